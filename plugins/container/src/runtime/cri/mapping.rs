//! CRI statuses to Falco's container info, as Falco's container plugin 0.7.1 maps them
//! (`reference/fields/container.md`, "Per-engine field mapping", cri).

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use super::proto;
use crate::cgroup::SHORT_ID_LEN;
use crate::info::{split_image_ref, ContainerInfo, ContainerType, Mount};

/// Longest `cni_json` kept (Falco's limit).
pub const MAX_CNI_JSON_LEN: usize = 4096;

/// Spec annotations naming the image when the status has only an image id.
const IMAGE_NAME_ANNOTATIONS: &[&str] = &[
    "io.kubernetes.cri.image-name",
    "io.kubernetes.cri-o.Image",
    "io.kubernetes.cri-o.ImageName",
];

/// Container `status` (verbose) and the status of its pod sandbox, if the runtime gave it.
pub fn to_info(
    status: proto::ContainerStatusResponse,
    sandbox: Option<proto::PodSandboxStatusResponse>,
    ty: ContainerType,
    label_max_len: usize,
) -> ContainerInfo {
    let verbose: VerboseInfo = status
        .info
        .get("info")
        .and_then(|j| serde_json::from_str(j).ok())
        .unwrap_or_default();
    let ctr = status.status.unwrap_or_default();
    let (sandbox_status, sandbox_info) = match sandbox {
        Some(s) => (s.status, s.info),
        None => (None, HashMap::new()),
    };
    let sandbox_status = sandbox_status.unwrap_or_default();
    let pod_sandbox_id = if sandbox_status.id.is_empty() {
        ctr.id.clone()
    } else {
        sandbox_status.id.clone()
    };

    let image = image_fields(&ctr, &verbose);
    let keep = |labels: HashMap<String, String>| -> BTreeMap<String, String> {
        labels.into_iter().filter(|(_, v)| v.len() <= label_max_len).collect()
    };
    let mut labels = keep(ctr.labels);
    labels.insert("io.kubernetes.sandbox.id".into(), pod_sandbox_id.clone());
    if let Some(m) = &sandbox_status.metadata {
        labels.insert("io.kubernetes.pod.uid".into(), m.uid.clone());
        labels.insert("io.kubernetes.pod.name".into(), m.name.clone());
        labels.insert("io.kubernetes.pod.namespace".into(), m.namespace.clone());
    }

    let ns = sandbox_status
        .linux
        .as_ref()
        .and_then(|l| l.namespaces.as_ref())
        .and_then(|n| n.options.clone())
        .unwrap_or_default();
    let mounts = ctr
        .mounts
        .iter()
        .map(|m| Mount {
            source: m.host_path.clone(),
            dest: m.container_path.clone(),
            mode: String::new(),
            rdwr: !m.readonly,
            propagation: propagation_name(m.propagation).to_owned(),
        })
        .collect();
    ContainerInfo {
        id: crate::truncate(&ctr.id, SHORT_ID_LEN).to_owned(),
        full_id: ctr.id.clone(),
        name: ctr.metadata.map(|m| m.name).unwrap_or_default(),
        image: image.name,
        image_id: image.id,
        image_repo: image.repo,
        image_tag: image.tag,
        image_digest: image.digest,
        user: ctr.user.and_then(|u| u.linux).map_or(0, |l| l.uid).to_string(),
        ip: sandbox_status.network.map(|n| n.ip).unwrap_or_default(),
        cni_json: cni_json(&sandbox_info),
        privileged: verbose.privileged(),
        host_pid: ns.pid == proto::NAMESPACE_MODE_NODE,
        host_network: ns.network == proto::NAMESPACE_MODE_NODE,
        host_ipc: ns.ipc == proto::NAMESPACE_MODE_NODE,
        is_pod_sandbox: false,
        labels,
        pod_sandbox_id,
        pod_sandbox_labels: keep(sandbox_status.labels),
        mounts,
        created_time: ctr.created_at.div_euclid(1_000_000_000),
        ..ContainerInfo::minimal("", ty)
    }
}

/// A pod sandbox (its pause process has a cgroup of its own): Falco's plugin gives such ids
/// a minimal entry marked `is_pod_sandbox`; Saker adds the pod's name, labels and network.
pub fn sandbox_to_info(
    sandbox: proto::PodSandboxStatusResponse,
    ty: ContainerType,
    label_max_len: usize,
) -> ContainerInfo {
    let s = sandbox.status.unwrap_or_default();
    let ns = s
        .linux
        .as_ref()
        .and_then(|l| l.namespaces.as_ref())
        .and_then(|n| n.options.clone())
        .unwrap_or_default();
    let pod_sandbox_labels: BTreeMap<String, String> =
        s.labels.into_iter().filter(|(_, v)| v.len() <= label_max_len).collect();
    let mut labels = BTreeMap::from([("io.kubernetes.sandbox.id".to_owned(), s.id.clone())]);
    let meta = s.metadata.unwrap_or_default();
    labels.insert("io.kubernetes.pod.uid".into(), meta.uid);
    labels.insert("io.kubernetes.pod.name".into(), meta.name.clone());
    labels.insert("io.kubernetes.pod.namespace".into(), meta.namespace);
    ContainerInfo {
        id: crate::truncate(&s.id, SHORT_ID_LEN).to_owned(),
        full_id: s.id.clone(),
        name: meta.name,
        ip: s.network.map(|n| n.ip).unwrap_or_default(),
        cni_json: cni_json(&sandbox.info),
        host_pid: ns.pid == proto::NAMESPACE_MODE_NODE,
        host_network: ns.network == proto::NAMESPACE_MODE_NODE,
        host_ipc: ns.ipc == proto::NAMESPACE_MODE_NODE,
        is_pod_sandbox: true,
        labels,
        pod_sandbox_id: s.id,
        pod_sandbox_labels,
        ..ContainerInfo::minimal("", ty)
    }
}

/// `containerd` and `cri-o` have their own container types; any other CRI runtime is `cri`.
pub fn runtime_type(runtime_name: &str) -> ContainerType {
    match runtime_name {
        "containerd" => ContainerType::Containerd,
        "cri-o" => ContainerType::CriO,
        _ => ContainerType::Cri,
    }
}

fn propagation_name(p: i32) -> &'static str {
    match p {
        proto::PROPAGATION_PRIVATE => "private",
        proto::PROPAGATION_HOST_TO_CONTAINER => "rslave",
        proto::PROPAGATION_BIDIRECTIONAL => "rshared",
        _ => "unknown",
    }
}

#[derive(Debug, Default, PartialEq, Eq)]
struct ImageFields {
    name: String,
    repo: String,
    tag: String,
    id: String,
    digest: String,
}

/// Image name, repository, tag, id and digest. `image_ref` is `sha256:<digest>` (imported
/// images) or `repo@sha256:<digest>` (pulled images); a name that is only an image id is
/// replaced by the runtime's image-name annotation.
fn image_fields(ctr: &proto::ContainerStatus, verbose: &VerboseInfo) -> ImageFields {
    let spec_image = ctr.image.as_ref().map_or("", |i| i.image.as_str());
    let mut name = spec_image.to_owned();
    let mut digest = String::new();
    let mut tag_from_spec = false;
    match ctr.image_ref.find("sha256:") {
        Some(0) => digest = ctr.image_ref.clone(),
        Some(at) if ctr.image_ref.as_bytes()[at - 1] == b'@' => {
            name = ctr.image_ref[..at - 1].to_owned();
            digest = ctr.image_ref[at..].to_owned();
            tag_from_spec = true;
        }
        _ => {}
    }
    if name.is_empty() || name.starts_with("sha256") {
        let annotated = IMAGE_NAME_ANNOTATIONS
            .iter()
            .find_map(|k| verbose.runtime_spec.as_ref()?.annotations.get(*k));
        if let Some(a) = annotated {
            name = a.clone();
            tag_from_spec = false;
        }
    }
    let (repo, mut tag, _) = split_image_ref(&name);
    let repo = repo.to_owned();
    if tag_from_spec {
        let (_, spec_tag, _) = split_image_ref(spec_image);
        if !spec_tag.is_empty() {
            tag = spec_tag;
            name = format!("{name}:{tag}");
        }
    }
    let tag = tag.to_owned();
    let config_image = verbose
        .config
        .as_ref()
        .and_then(|c| c.image.as_ref())
        .map_or("", |i| i.image.as_str());
    let mut id = config_image
        .split_once(':')
        .map_or(config_image, |(_, id)| id)
        .to_owned();
    if id.is_empty() {
        id = ctr.image_id.clone();
    }
    ImageFields {
        name,
        repo,
        tag,
        id,
        digest,
    }
}

/// The sandbox's CNI result without the `lo` and `veth` interfaces (containerd), or cri-o's
/// CNI annotation, cut to [`MAX_CNI_JSON_LEN`].
fn cni_json(sandbox_info: &HashMap<String, String>) -> String {
    #[derive(Deserialize)]
    struct SandboxInfo {
        #[serde(rename = "cniResult")]
        cni_result: Option<CniResult>,
        #[serde(rename = "runtimeSpec")]
        runtime_spec: Option<RuntimeSpec>,
    }
    #[derive(Deserialize)]
    struct CniResult {
        interfaces: Option<Vec<serde_json::Value>>,
    }
    let Some(info) = sandbox_info
        .get("info")
        .and_then(|j| serde_json::from_str::<SandboxInfo>(j).ok())
    else {
        return String::new();
    };
    let text = match (info.cni_result.and_then(|c| c.interfaces), info.runtime_spec) {
        (Some(ifaces), _) => {
            let kept: Vec<_> = ifaces
                .into_iter()
                .filter(|i| !matches!(i.get("name").and_then(|n| n.as_str()), Some("lo" | "veth")))
                .collect();
            serde_json::Value::Array(kept).to_string()
        }
        (None, Some(spec)) => spec
            .annotations
            .get("io.kubernetes.cri-o.CNIResult")
            .cloned()
            .unwrap_or_default(),
        (None, None) => String::new(),
    };
    crate::truncate(&text, MAX_CNI_JSON_LEN).to_owned()
}

/// The parts of a verbose `ContainerStatus` `info["info"]` JSON used.
#[derive(Debug, Default, Deserialize)]
struct VerboseInfo {
    privileged: Option<bool>,
    config: Option<VerboseConfig>,
    #[serde(rename = "runtimeSpec")]
    runtime_spec: Option<RuntimeSpec>,
}

#[derive(Debug, Default, Deserialize)]
struct VerboseConfig {
    image: Option<VerboseImage>,
    linux: Option<SecurityHolder>,
}

#[derive(Debug, Default, Deserialize)]
struct VerboseImage {
    #[serde(default)]
    image: String,
}

#[derive(Debug, Default, Deserialize)]
struct RuntimeSpec {
    #[serde(default)]
    annotations: HashMap<String, String>,
    linux: Option<SecurityHolder>,
}

#[derive(Debug, Default, Deserialize)]
struct SecurityHolder {
    security_context: Option<SecurityContext>,
}

#[derive(Debug, Default, Deserialize)]
struct SecurityContext {
    privileged: Option<bool>,
}

impl VerboseInfo {
    /// The first of the spec's, the config's and the top-level `privileged` that is set.
    fn privileged(&self) -> bool {
        let from = |h: Option<&SecurityHolder>| h.and_then(|l| l.security_context.as_ref()?.privileged);
        from(self.runtime_spec.as_ref().and_then(|s| s.linux.as_ref()))
            .or_else(|| from(self.config.as_ref().and_then(|c| c.linux.as_ref())))
            .or(self.privileged)
            .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests;
