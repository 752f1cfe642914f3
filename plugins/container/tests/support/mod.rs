//! Shared by the real-runtime tests: which runtimes scripts/runtimes-up started, and CRI pods
//! made the way kubelet makes them (the CRI calls the plugin itself never makes).
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use container::runtime::cri::CriClient;

/// The runtime socket named by `var`. `None` (after saying why) when it is not set and
/// `SAKER_RUNTIMES` is not `1`; with `SAKER_RUNTIMES=1` (scripts/test as root) a missing
/// runtime fails the test.
pub fn runtime_socket(test: &str, var: &str) -> Option<PathBuf> {
    let required = std::env::var("SAKER_RUNTIMES").as_deref() == Ok("1");
    match std::env::var_os(var).map(PathBuf::from) {
        Some(socket) if socket.exists() => Some(socket),
        Some(socket) => panic!(
            "{test}: {var}={} does not exist: is the runtime running? (scripts/runtimes-up)",
            socket.display()
        ),
        None if required => panic!(
            "{test}: SAKER_RUNTIMES=1 but {var} is not set: scripts/runtimes-up did not run or its env was not loaded"
        ),
        None => {
            eprintln!(
                "skipped {test}: no runtime ({var} is not set); run scripts/runtimes-up as root and \
                 load /tmp/saker-runtimes/env, or set SAKER_RUNTIMES=1 to require it"
            );
            None
        }
    }
}

/// `/proc/<pid>/cgroup` as the syscall plugin's `cgroups` text (`subsystem=path` lines).
pub fn cgroups_of(pid: u32) -> String {
    let text = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap();
    text.lines()
        .filter_map(|l| l.split_once(':').map(|(_, rest)| rest))
        .filter_map(|rest| rest.rsplit_once(':'))
        .map(|(subsys, path)| format!("{subsys}={path}"))
        .collect::<Vec<_>>()
        .join("\n")
}

const IMAGE_STATUS: &str = "/runtime.v1.ImageService/ImageStatus";
const RUN_POD_SANDBOX: &str = "/runtime.v1.RuntimeService/RunPodSandbox";
const CREATE_CONTAINER: &str = "/runtime.v1.RuntimeService/CreateContainer";
const START_CONTAINER: &str = "/runtime.v1.RuntimeService/StartContainer";
const STOP_POD_SANDBOX: &str = "/runtime.v1.RuntimeService/StopPodSandbox";
const REMOVE_POD_SANDBOX: &str = "/runtime.v1.RuntimeService/RemovePodSandbox";
/// `NamespaceMode` values (cri-api).
const POD: i32 = 0;
const NODE: i32 = 2;

// Request messages of cri-api `runtime.v1` (Apache-2.0, The Kubernetes Authors), the fields
// kubelet sets for a host-network pod.
#[derive(Clone, PartialEq, prost::Message)]
struct PodSandboxMetadata {
    #[prost(string, tag = "1")]
    name: String,
    #[prost(string, tag = "2")]
    uid: String,
    #[prost(string, tag = "3")]
    namespace: String,
    #[prost(uint32, tag = "4")]
    attempt: u32,
}
#[derive(Clone, PartialEq, prost::Message)]
struct NamespaceOption {
    #[prost(int32, tag = "1")]
    network: i32,
    #[prost(int32, tag = "2")]
    pid: i32,
    #[prost(int32, tag = "3")]
    ipc: i32,
}
#[derive(Clone, PartialEq, prost::Message)]
struct LinuxSandboxSecurityContext {
    #[prost(message, optional, tag = "1")]
    namespace_options: Option<NamespaceOption>,
}
#[derive(Clone, PartialEq, prost::Message)]
struct LinuxPodSandboxConfig {
    #[prost(string, tag = "1")]
    cgroup_parent: String,
    #[prost(message, optional, tag = "2")]
    security_context: Option<LinuxSandboxSecurityContext>,
}
#[derive(Clone, PartialEq, prost::Message)]
struct PodSandboxConfig {
    #[prost(message, optional, tag = "1")]
    metadata: Option<PodSandboxMetadata>,
    #[prost(string, tag = "2")]
    hostname: String,
    #[prost(string, tag = "3")]
    log_directory: String,
    #[prost(map = "string, string", tag = "6")]
    labels: HashMap<String, String>,
    #[prost(map = "string, string", tag = "7")]
    annotations: HashMap<String, String>,
    #[prost(message, optional, tag = "8")]
    linux: Option<LinuxPodSandboxConfig>,
}
#[derive(Clone, PartialEq, prost::Message)]
struct RunPodSandboxRequest {
    #[prost(message, optional, tag = "1")]
    config: Option<PodSandboxConfig>,
}
#[derive(Clone, PartialEq, prost::Message)]
struct RunPodSandboxResponse {
    #[prost(string, tag = "1")]
    pod_sandbox_id: String,
}
#[derive(Clone, PartialEq, prost::Message)]
struct ContainerMetadata {
    #[prost(string, tag = "1")]
    name: String,
    #[prost(uint32, tag = "2")]
    attempt: u32,
}
#[derive(Clone, PartialEq, prost::Message)]
struct ImageSpec {
    #[prost(string, tag = "1")]
    image: String,
}
#[derive(Clone, PartialEq, prost::Message)]
struct Mount {
    #[prost(string, tag = "1")]
    container_path: String,
    #[prost(string, tag = "2")]
    host_path: String,
    #[prost(bool, tag = "3")]
    readonly: bool,
}
#[derive(Clone, PartialEq, prost::Message)]
struct ContainerConfig {
    #[prost(message, optional, tag = "1")]
    metadata: Option<ContainerMetadata>,
    #[prost(message, optional, tag = "2")]
    image: Option<ImageSpec>,
    #[prost(string, repeated, tag = "3")]
    command: Vec<String>,
    #[prost(string, repeated, tag = "4")]
    args: Vec<String>,
    #[prost(message, repeated, tag = "7")]
    mounts: Vec<Mount>,
    #[prost(map = "string, string", tag = "9")]
    labels: HashMap<String, String>,
    #[prost(map = "string, string", tag = "10")]
    annotations: HashMap<String, String>,
    #[prost(string, tag = "11")]
    log_path: String,
}
#[derive(Clone, PartialEq, prost::Message)]
struct CreateContainerRequest {
    #[prost(string, tag = "1")]
    pod_sandbox_id: String,
    #[prost(message, optional, tag = "2")]
    config: Option<ContainerConfig>,
    #[prost(message, optional, tag = "3")]
    sandbox_config: Option<PodSandboxConfig>,
}
#[derive(Clone, PartialEq, prost::Message)]
struct CreateContainerResponse {
    #[prost(string, tag = "1")]
    container_id: String,
}
#[derive(Clone, PartialEq, prost::Message)]
struct ContainerIdRequest {
    #[prost(string, tag = "1")]
    container_id: String,
}
#[derive(Clone, PartialEq, prost::Message)]
struct SandboxIdRequest {
    #[prost(string, tag = "1")]
    pod_sandbox_id: String,
}
#[derive(Clone, PartialEq, prost::Message)]
struct Empty {}
#[derive(Clone, PartialEq, prost::Message)]
struct ImageStatusRequest {
    #[prost(message, optional, tag = "1")]
    image: Option<ImageSpec>,
}
#[derive(Clone, PartialEq, prost::Message)]
struct ImageStatusResponse {
    #[prost(message, optional, tag = "1")]
    image: Option<Image>,
}
#[derive(Clone, PartialEq, prost::Message)]
struct Image {
    #[prost(string, tag = "1")]
    id: String,
}

/// The test image every pod runs.
pub const IMAGE: &str = "localhost/busybox:test";

/// A running pod (host network, kubelet's labels, cgroup parent
/// `/kubepods/besteffort/pod<uid>`) with one container `main` running `sleep 3600` and a
/// read-only mount of `mount_source` at `/data`; stopped and removed when dropped.
pub struct CriPod {
    client: CriClient,
    pub name: String,
    pub namespace: String,
    pub uid: String,
    pub sandbox_id: String,
    pub container_id: String,
    /// The container's main process.
    pub pid: u32,
    /// The sandbox's pause process.
    pub sandbox_pid: u32,
    pub mount_source: PathBuf,
    /// The image id (`sha256:<config digest>`).
    pub image_id: String,
}

impl CriPod {
    pub fn start(socket: &Path, name: &str, namespace: &str) -> CriPod {
        let client = CriClient::connect(socket, Duration::from_secs(30)).expect("connecting to the CRI socket");
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let uid = format!(
            "{:08x}-0000-4000-8000-{:012x}",
            std::process::id(),
            nanos & 0xffff_ffff_ffff
        );
        let dir = std::env::temp_dir().join(format!("saker-cri-{name}-{uid}"));
        let mount_source = dir.join("data");
        std::fs::create_dir_all(&mount_source).unwrap();
        let kubelet_labels = HashMap::from([
            ("io.kubernetes.pod.name".to_owned(), name.to_owned()),
            ("io.kubernetes.pod.namespace".to_owned(), namespace.to_owned()),
            ("io.kubernetes.pod.uid".to_owned(), uid.clone()),
        ]);
        let mut pod_labels = kubelet_labels.clone();
        pod_labels.insert("app".into(), "demo".into());
        let sandbox_config = PodSandboxConfig {
            metadata: Some(PodSandboxMetadata {
                name: name.into(),
                uid: uid.clone(),
                namespace: namespace.into(),
                attempt: 0,
            }),
            // Host network means the host's UTS namespace: the hostname must be empty.
            hostname: String::new(),
            log_directory: dir.join("logs").display().to_string(),
            labels: pod_labels,
            annotations: HashMap::from([("kubernetes.io/config.source".to_owned(), "api".to_owned())]),
            linux: Some(LinuxPodSandboxConfig {
                cgroup_parent: format!("/kubepods/besteffort/pod{uid}"),
                security_context: Some(LinuxSandboxSecurityContext {
                    namespace_options: Some(NamespaceOption {
                        network: NODE,
                        pid: POD,
                        ipc: POD,
                    }),
                }),
            }),
        };
        let sandbox: RunPodSandboxResponse = client
            .unary(
                RUN_POD_SANDBOX,
                "RunPodSandbox",
                RunPodSandboxRequest {
                    config: Some(sandbox_config.clone()),
                },
            )
            .expect("RunPodSandbox");
        // kubelet creates containers from the image id it resolved, not from the name.
        let image: ImageStatusResponse = client
            .unary(
                IMAGE_STATUS,
                "ImageStatus",
                ImageStatusRequest {
                    image: Some(ImageSpec { image: IMAGE.into() }),
                },
            )
            .expect("ImageStatus");
        let image_id = image
            .image
            .map(|i| i.id)
            .unwrap_or_else(|| panic!("{IMAGE} is not imported in the k8s.io namespace (scripts/runtimes-up)"));
        let mut pod = CriPod {
            client,
            name: name.into(),
            namespace: namespace.into(),
            uid: uid.clone(),
            sandbox_id: sandbox.pod_sandbox_id,
            container_id: String::new(),
            pid: 0,
            sandbox_pid: 0,
            mount_source: mount_source.clone(),
            image_id: image_id.clone(),
        };
        let mut container_labels = kubelet_labels;
        container_labels.insert("io.kubernetes.container.name".into(), "main".into());
        container_labels.insert("tier".into(), "backend".into());
        let config = ContainerConfig {
            metadata: Some(ContainerMetadata {
                name: "main".into(),
                attempt: 0,
            }),
            image: Some(ImageSpec { image: image_id }),
            command: vec!["/bin/sleep".into()],
            args: vec!["3600".into()],
            mounts: vec![Mount {
                container_path: "/data".into(),
                host_path: mount_source.display().to_string(),
                readonly: true,
            }],
            labels: container_labels,
            annotations: HashMap::from([("io.kubernetes.container.restartCount".to_owned(), "0".to_owned())]),
            log_path: "main/0.log".into(),
        };
        let created: CreateContainerResponse = pod
            .client
            .unary(
                CREATE_CONTAINER,
                "CreateContainer",
                CreateContainerRequest {
                    pod_sandbox_id: pod.sandbox_id.clone(),
                    config: Some(config),
                    sandbox_config: Some(sandbox_config),
                },
            )
            .expect("CreateContainer");
        pod.container_id = created.container_id;
        let _: Empty = pod
            .client
            .unary(
                START_CONTAINER,
                "StartContainer",
                ContainerIdRequest {
                    container_id: pod.container_id.clone(),
                },
            )
            .expect("StartContainer");
        let status = pod.client.container_status(&pod.container_id).unwrap().unwrap();
        pod.pid = verbose_pid(&status.info);
        let sandbox = pod.client.pod_sandbox_status(&pod.sandbox_id).unwrap().unwrap();
        pod.sandbox_pid = verbose_pid(&sandbox.info);
        pod
    }
}

/// `pid` of a verbose status' `info["info"]` JSON.
fn verbose_pid(info: &HashMap<String, String>) -> u32 {
    let doc: serde_json::Value = serde_json::from_str(&info["info"]).unwrap();
    doc["pid"].as_u64().expect("verbose info has the pid") as u32
}

impl Drop for CriPod {
    fn drop(&mut self) {
        let id = || SandboxIdRequest {
            pod_sandbox_id: self.sandbox_id.clone(),
        };
        let stopped: Result<Empty, _> = self.client.unary(STOP_POD_SANDBOX, "StopPodSandbox", id());
        let removed: Result<Empty, _> = self.client.unary(REMOVE_POD_SANDBOX, "RemovePodSandbox", id());
        if let Err(e) = stopped.and(removed) {
            eprintln!("removing pod {}: {e}", self.name);
        }
        if let Some(dir) = self.mount_source.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}
