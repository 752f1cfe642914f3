//! Against a real containerd with its CRI plugin (`scripts/runtimes-up`): pods made the way
//! kubelet makes them (cgroup parent `/kubepods/besteffort/pod<uid>`), then the plugin finds
//! the container of their processes from `/proc/<pid>/cgroup` and its metadata over CRI gRPC.
//!
//! `scripts/test` (as root) starts the runtimes, loads `/tmp/saker-runtimes/env` and sets
//! `SAKER_RUNTIMES=1`, which makes a missing runtime a failure. Elsewhere these tests say why
//! they skip. By hand: `sudo scripts/runtimes-up; set -a; . /tmp/saker-runtimes/env; set +a;
//! cargo test -p container --test cri_runtime; sudo scripts/runtimes-down`.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use container::fields::{value, Field, Subject, Value};
use container::{ContainerConfig, ContainerInfo, ContainerPlugin, ContainerType, State};
use plugin_api::sdk::{FieldArg, Logger};
use support::{cgroups_of, runtime_socket, CriPod};

/// Longest wait for the poller to find a new container (it polls every second).
const POLL_WAIT_LIMIT: Duration = Duration::from_secs(30);

fn plugin_for(socket: &Path) -> ContainerPlugin {
    let config: ContainerConfig = serde_json::from_value(serde_json::json!({
        "engines": {
            "cri": {"enabled": true, "sockets": [socket]},
            "docker": {"enabled": false, "sockets": []},
            "podman": {"enabled": false, "sockets": []},
        }
    }))
    .unwrap();
    ContainerPlugin::with_config(&config, Logger::disconnected()).unwrap()
}

fn field_text(field: Field, arg: FieldArg<'_>, info: &ContainerInfo) -> Option<String> {
    let subject = Subject {
        container_id: &info.id,
        info: Some(info),
        sandbox: None,
        pidns_init_start_ts: 0,
        evt_ts: 0,
    };
    match value(field, arg, &subject)? {
        Value::Str(s) => Some(s.into_owned()),
        Value::Bool(b) => Some(b.to_string()),
        other => Some(format!("{other:?}")),
    }
}

#[test]
fn a_cri_container_is_identified_and_described() {
    let Some(socket) = runtime_socket("a_cri_container_is_identified_and_described", "SAKER_CRI_SOCKET") else {
        return;
    };
    let pod = CriPod::start(&socket, "web-0", "shop");
    let plugin = plugin_for(&socket);

    let cgroups = cgroups_of(pod.pid);
    assert!(
        cgroups.contains(&format!("/kubepods/besteffort/pod{}/{}", pod.uid, pod.container_id)),
        "kubelet-like cgroup path expected, got:\n{cgroups}"
    );
    let id = plugin.container_of(&cgroups);
    assert_eq!(id, pod.container_id[..12]);
    let info = plugin.info_of(&id).expect("containerd knows the container");

    assert_eq!(info.ty, ContainerType::Containerd, "Version() names containerd");
    assert_eq!(info.full_id, pod.container_id);
    assert_eq!(info.name, "main");
    assert_eq!(info.image, "localhost/busybox:test");
    assert_eq!(
        (info.image_repo.as_str(), info.image_tag.as_str()),
        ("localhost/busybox", "test")
    );
    // Imported, not pulled: image_ref is the image id (no repo digest).
    assert_eq!(info.image_digest, pod.image_id);
    assert_eq!(Some(info.image_id.as_str()), pod.image_id.strip_prefix("sha256:"));
    assert_eq!(info.pod_sandbox_id, pod.sandbox_id);
    assert!(info.host_network && !info.host_pid && !info.host_ipc);
    assert!(!info.privileged && !info.is_pod_sandbox);
    assert_eq!(info.user, "0");
    assert!(info.created_time > 1_700_000_000, "{}", info.created_time);
    assert_eq!(info.ip, "", "host network: the sandbox has no IP of its own");
    let mount = info.mount_matching("^/data$", true).expect("the /data mount");
    assert_eq!(Path::new(&mount.source), pod.mount_source);
    assert!(!mount.rdwr);

    // The fields rules read, as Falco's plugin fills them for CRI.
    let f = |field, arg| field_text(field, arg, &info);
    assert_eq!(f(Field::Name, FieldArg::None).as_deref(), Some("main"));
    assert_eq!(f(Field::Type, FieldArg::None).as_deref(), Some("containerd"));
    assert_eq!(f(Field::PodName, FieldArg::None).as_deref(), Some("web-0"));
    assert_eq!(f(Field::NsName, FieldArg::None).as_deref(), Some("shop"));
    assert_eq!(f(Field::PodUid, FieldArg::None), Some(pod.uid.clone()));
    assert_eq!(
        f(Field::PodSandboxId, FieldArg::None),
        Some(pod.sandbox_id[..12].to_owned())
    );
    assert_eq!(f(Field::PodLabel, FieldArg::Key("app")).as_deref(), Some("demo"));
    assert_eq!(f(Field::PodLabels, FieldArg::None).as_deref(), Some("app:demo"));
    assert_eq!(f(Field::Label, FieldArg::Key("tier")).as_deref(), Some("backend"));
    assert_eq!(
        f(Field::Label, FieldArg::Key("io.kubernetes.container.name")).as_deref(),
        Some("main")
    );
    assert_eq!(f(Field::Labels, FieldArg::None).as_deref(), Some("tier:backend"));
    assert_eq!(
        f(Field::MountDest, FieldArg::Key("saker-cri")).as_deref(),
        Some("/data")
    );

    // The pause process of the sandbox: an entry of its own, marked as the pod sandbox.
    let sandbox_id = plugin.container_of(&cgroups_of(pod.sandbox_pid));
    assert_eq!(sandbox_id, pod.sandbox_id[..12]);
    let sandbox = plugin.info_of(&sandbox_id).expect("containerd knows the sandbox");
    assert!(sandbox.is_pod_sandbox);
    assert_eq!(sandbox.name, "web-0");
    assert_eq!(
        sandbox.labels.get("io.kubernetes.pod.namespace").map(String::as_str),
        Some("shop")
    );

    // Forgotten, then seen again: the first-sight lookup finds it by its short id
    // (ListContainers with an id prefix).
    plugin.cache().remove(&id);
    let started = Instant::now();
    let again = plugin.info_of(&id).expect("looked up again at first sight");
    eprintln!("CRI first-sight lookup took {:?}", started.elapsed());
    assert_eq!(
        (again.name.as_str(), again.full_id.as_str()),
        ("main", pod.container_id.as_str())
    );

    // An id containerd does not know is absent, not an error.
    assert!(plugin.info_of("0123456789ab").is_none());
    assert!(matches!(
        plugin.cache().state("0123456789ab"),
        Some(State::Absent { .. })
    ));
    let errors = plugin.cache().errors.lock().unwrap().clone();
    assert_eq!(errors.0, 0, "no lookup failed: {}", errors.1);
}

#[test]
fn containers_started_after_init_are_found_by_polling() {
    let Some(socket) = runtime_socket("containers_started_after_init_are_found_by_polling", "SAKER_CRI_SOCKET") else {
        return;
    };
    let plugin = plugin_for(&socket);
    let pod = CriPod::start(&socket, "late-0", "default");
    let id = &pod.container_id[..12];
    // No lookup is asked for: only the poller can record it.
    let start = Instant::now();
    loop {
        if let Some(State::Known(info)) = plugin.cache().state(id) {
            assert_eq!(info.name, "main");
            assert_eq!(
                info.labels.get("io.kubernetes.pod.name").map(String::as_str),
                Some("late-0")
            );
            break;
        }
        assert!(
            start.elapsed() < POLL_WAIT_LIMIT,
            "the poller never recorded {id}; errors: {:?}",
            plugin.cache().errors.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
