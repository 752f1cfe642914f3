//! The 61 fields of Falco's container plugin 0.7.1 (`container.*`, `proc.is_container_*`,
//! `k8s.*`): names, types, arguments and display names as Falco declares them, and their
//! values for one thread (`reference/fields/container.md`, "Fields").

use std::borrow::Cow;

use plugin_api::sdk::{ExtractOutput, FieldArg, FieldDef, FieldType, PluginError};

use crate::cgroup::SHORT_ID_LEN;
use crate::info::ContainerInfo;

/// One field, in the order of [`FIELDS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Id,
    FullId,
    Name,
    Image,
    ImageId,
    Type,
    Privileged,
    Mounts,
    Mount,
    MountSource,
    MountDest,
    MountMode,
    MountRdwr,
    MountPropagation,
    ImageRepository,
    ImageTag,
    ImageDigest,
    Healthcheck,
    LivenessProbe,
    ReadinessProbe,
    StartTs,
    Duration,
    Ip,
    CniJson,
    HostPid,
    HostNetwork,
    HostIpc,
    Label,
    Labels,
    IsHealthcheck,
    IsLivenessProbe,
    IsReadinessProbe,
    PodName,
    NsName,
    PodId,
    PodUid,
    PodSandboxId,
    PodFullSandboxId,
    PodLabel,
    PodLabels,
    PodIp,
    PodCniJson,
    /// The 19 `k8s.rc/svc/ns/rs/deployment.*` fields: declared, never a value.
    DeprecatedK8s,
}

const S: FieldType = FieldType::String;
const B: FieldType = FieldType::Bool;

const fn f(name: &'static str, ty: FieldType, display: &'static str, desc: &'static str) -> FieldDef {
    FieldDef::new(name, ty, desc).display(display)
}
/// `[N]` or `[key]`, required.
const fn both(def: FieldDef) -> FieldDef {
    def.index_arg(true).key_arg(true)
}
/// `[key]`, required.
const fn key(def: FieldDef) -> FieldDef {
    def.key_arg(true)
}
/// Suggested for rule outputs (Falco appends these itself).
const fn out(def: FieldDef) -> FieldDef {
    def.add_output()
}

const DEPRECATED: &str = "Deprecated: never has a value (use the k8smeta plugin)";

/// Every field, in Falco's order.
pub const FIELDS: [FieldDef; 61] = [
    out(f(
        "container.id",
        S,
        "Container ID",
        "Truncated container id (12 characters) from the thread's cgroups; 'host' for host processes",
    )),
    f(
        "container.full_id",
        S,
        "Container ID",
        "Full container id (64 hex characters for runc engines)",
    ),
    out(f(
        "container.name",
        S,
        "Container Name",
        "Container name; 'host' for host processes",
    )),
    f(
        "container.image",
        S,
        "Image Name",
        "Container image name, e.g. busybox:latest",
    ),
    f("container.image.id", S, "Image ID", "Container image id"),
    f(
        "container.type",
        S,
        "Type",
        "Container type: docker, podman, cri, containerd, cri-o, lxc, libvirt-lxc, bpm or host",
    ),
    f(
        "container.privileged",
        B,
        "Privileged",
        "true for a privileged container",
    ),
    f(
        "container.mounts",
        S,
        "Mounts",
        "All mounts as source:dest:mode:rdwr:propagation, comma-separated",
    ),
    both(f(
        "container.mount",
        S,
        "Mount",
        "One mount by index, or by a regex searched in the mount source",
    )),
    both(f(
        "container.mount.source",
        S,
        "Mount Source",
        "Mount source by index, or by a regex searched in the destination",
    )),
    both(f(
        "container.mount.dest",
        S,
        "Mount Destination",
        "Mount destination by index, or by a regex searched in the source",
    )),
    both(f(
        "container.mount.mode",
        S,
        "Mount Mode",
        "Mount mode by index, or by a regex searched in the source",
    )),
    both(f(
        "container.mount.rdwr",
        S,
        "Mount Read/Write",
        "'true' or 'false', by index or by a regex searched in the source",
    )),
    both(f(
        "container.mount.propagation",
        S,
        "Mount Propagation",
        "Mount propagation by index, or by a regex searched in the source",
    )),
    out(f(
        "container.image.repository",
        S,
        "Repository",
        "Image repository, e.g. docker.io/library/busybox",
    )),
    out(f("container.image.tag", S, "Image Tag", "Image tag, e.g. latest")),
    f(
        "container.image.digest",
        S,
        "Registry Digest",
        "Image registry digest, e.g. sha256:...",
    ),
    f(
        "container.healthcheck",
        S,
        "[Deprecated] Health Check",
        "Deprecated: never has a value",
    ),
    f("container.liveness_probe", S, "[Deprecated] Liveness", DEPRECATED),
    f("container.readiness_probe", S, "[Deprecated] Readiness", DEPRECATED),
    f(
        "container.start_ts",
        FieldType::AbsTime,
        "Container Start",
        "Start of the thread's pid namespace init (proc.pidns_init_start_ts), ns since the epoch",
    ),
    f(
        "container.duration",
        FieldType::RelTime,
        "Container Duration",
        "Nanoseconds since container.start_ts",
    ),
    f(
        "container.ip",
        S,
        "Container ip address",
        "Primary IPv4 address of the container or pod",
    ),
    f(
        "container.cni.json",
        S,
        "Container's / pod's CNI result json",
        "CNI result of the pod (CRI), as JSON text",
    ),
    f(
        "container.host_pid",
        B,
        "Host PID Namespace",
        "true if the container shares the host pid namespace",
    ),
    f(
        "container.host_network",
        B,
        "Host Network Namespace",
        "true if the container shares the host network namespace",
    ),
    f(
        "container.host_ipc",
        B,
        "Host IPC Namespace",
        "true if the container shares the host ipc namespace",
    ),
    key(f(
        "container.label",
        S,
        "Container Label",
        "A container label: container.label[key]",
    )),
    f(
        "container.labels",
        S,
        "Container Labels",
        "Container labels as key:value, comma-separated",
    ),
    f(
        "proc.is_container_healthcheck",
        B,
        "[Deprecated] Process Is Container Healthcheck",
        "Deprecated: never has a value",
    ),
    f(
        "proc.is_container_liveness_probe",
        B,
        "[Deprecated] Process Is Container Liveness",
        DEPRECATED,
    ),
    f(
        "proc.is_container_readiness_probe",
        B,
        "[Deprecated] Process Is Container Readiness",
        DEPRECATED,
    ),
    out(f(
        "k8s.pod.name",
        S,
        "Pod Name",
        "Kubernetes pod name (label io.kubernetes.pod.name)",
    )),
    out(f(
        "k8s.ns.name",
        S,
        "Namespace Name",
        "Kubernetes namespace name (label io.kubernetes.pod.namespace)",
    )),
    f("k8s.pod.id", S, "Legacy Pod UID", "Legacy alias of k8s.pod.uid"),
    f(
        "k8s.pod.uid",
        S,
        "Pod UID",
        "Kubernetes pod uid (label io.kubernetes.pod.uid)",
    ),
    f(
        "k8s.pod.sandbox_id",
        S,
        "Pod / Sandbox ID",
        "Truncated (12 characters) pod sandbox id",
    ),
    f("k8s.pod.full_sandbox_id", S, "Pod / Sandbox ID", "Full pod sandbox id"),
    key(f("k8s.pod.label", S, "Pod Label", "A pod label: k8s.pod.label[key]")),
    f(
        "k8s.pod.labels",
        S,
        "Pod Labels",
        "Pod labels as key:value, comma-separated",
    ),
    f("k8s.pod.ip", S, "Pod Ip", "Pod IPv4 address"),
    f(
        "k8s.pod.cni.json",
        S,
        "Pod CNI result json",
        "CNI result of the pod, as JSON text",
    ),
    f("k8s.rc.name", S, "[Deprecated] Replication Controller Name", DEPRECATED),
    f("k8s.rc.id", S, "[Deprecated] Replication Controller ID", DEPRECATED),
    key(f(
        "k8s.rc.label",
        S,
        "[Deprecated] Replication Controller Label",
        DEPRECATED,
    )),
    f(
        "k8s.rc.labels",
        S,
        "[Deprecated] Replication Controller Labels",
        DEPRECATED,
    ),
    f("k8s.svc.name", S, "[Deprecated] Service Name", DEPRECATED),
    f("k8s.svc.id", S, "[Deprecated] Service ID", DEPRECATED),
    key(f("k8s.svc.label", S, "[Deprecated] Service Label", DEPRECATED)),
    f("k8s.svc.labels", S, "[Deprecated] Service Labels", DEPRECATED),
    f("k8s.ns.id", S, "[Deprecated] Namespace ID", DEPRECATED),
    key(f("k8s.ns.label", S, "[Deprecated] Namespace Label", DEPRECATED)),
    f("k8s.ns.labels", S, "[Deprecated] Namespace Labels", DEPRECATED),
    f("k8s.rs.name", S, "[Deprecated] Replica Set Name", DEPRECATED),
    f("k8s.rs.id", S, "[Deprecated] Replica Set ID", DEPRECATED),
    key(f("k8s.rs.label", S, "[Deprecated] Replica Set Label", DEPRECATED)),
    f("k8s.rs.labels", S, "[Deprecated] Replica Set Labels", DEPRECATED),
    f("k8s.deployment.name", S, "[Deprecated] Deployment Name", DEPRECATED),
    f("k8s.deployment.id", S, "[Deprecated] Deployment ID", DEPRECATED),
    key(f(
        "k8s.deployment.label",
        S,
        "[Deprecated] Deployment Label",
        DEPRECATED,
    )),
    f("k8s.deployment.labels", S, "[Deprecated] Deployment Labels", DEPRECATED),
];

/// [`Field`] of each entry of [`FIELDS`].
const ORDER: [Field; 42] = [
    Field::Id,
    Field::FullId,
    Field::Name,
    Field::Image,
    Field::ImageId,
    Field::Type,
    Field::Privileged,
    Field::Mounts,
    Field::Mount,
    Field::MountSource,
    Field::MountDest,
    Field::MountMode,
    Field::MountRdwr,
    Field::MountPropagation,
    Field::ImageRepository,
    Field::ImageTag,
    Field::ImageDigest,
    Field::Healthcheck,
    Field::LivenessProbe,
    Field::ReadinessProbe,
    Field::StartTs,
    Field::Duration,
    Field::Ip,
    Field::CniJson,
    Field::HostPid,
    Field::HostNetwork,
    Field::HostIpc,
    Field::Label,
    Field::Labels,
    Field::IsHealthcheck,
    Field::IsLivenessProbe,
    Field::IsReadinessProbe,
    Field::PodName,
    Field::NsName,
    Field::PodId,
    Field::PodUid,
    Field::PodSandboxId,
    Field::PodFullSandboxId,
    Field::PodLabel,
    Field::PodLabels,
    Field::PodIp,
    Field::PodCniJson,
];

impl Field {
    /// The field at `index` of [`FIELDS`] (every index past the live ones is a deprecated
    /// k8s field).
    pub fn from_index(index: usize) -> Option<Field> {
        match ORDER.get(index) {
            Some(f) => Some(*f),
            None if index < FIELDS.len() => Some(Field::DeprecatedK8s),
            None => None,
        }
    }
}

/// Everything the fields of one event read.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    /// The thread's container id (from cgroups; `""` = host).
    pub container_id: &'a str,
    /// Metadata of that container (the host entry for host threads), if known yet.
    pub info: Option<&'a ContainerInfo>,
    /// Metadata of the pod sandbox container, when cached (k8s.pod.* fallbacks).
    pub sandbox: Option<&'a ContainerInfo>,
    /// The thread's `pidns_init_start_ts` (0 = unknown).
    pub pidns_init_start_ts: u64,
    /// Event timestamp (ns).
    pub evt_ts: u64,
}

/// Labels as Falco renders them: `k:v` (or `k` for an empty value), `", "`-separated, without
/// `annotation.*` and `io.kubernetes.*` keys.
pub fn render_labels<'a>(labels: impl IntoIterator<Item = (&'a String, &'a String)>) -> String {
    let mut s = String::new();
    for (k, v) in labels {
        if k.starts_with("annotation.") || k.starts_with("io.kubernetes.") {
            continue;
        }
        if !s.is_empty() {
            s.push_str(", ");
        }
        s.push_str(k);
        if !v.is_empty() {
            s.push(':');
            s.push_str(v);
        }
    }
    s
}

/// One field value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value<'a> {
    Str(Cow<'a, str>),
    Bool(bool),
    AbsTime(u64),
    RelTime(u64),
}

impl Value<'_> {
    /// Writes the value into the host's output buffer.
    pub fn write_to(&self, out: &mut ExtractOutput) -> Result<(), PluginError> {
        match self {
            Value::Str(s) => out.str(s),
            Value::Bool(b) => out.bool(*b),
            Value::AbsTime(t) => out.abstime(*t),
            Value::RelTime(t) => out.reltime(*t),
        }
    }
}

fn text(s: &str) -> Option<Value<'_>> {
    Some(Value::Str(Cow::Borrowed(s)))
}

fn owned(s: String) -> Option<Value<'static>> {
    Some(Value::Str(Cow::Owned(s)))
}

/// The value of `field` for `subject`; `None` where Falco's plugin gives no value. Without
/// metadata only `container.id`, `container.start_ts` and `container.duration` have one.
pub fn value<'a>(field: Field, arg: FieldArg<'a>, subject: &Subject<'a>) -> Option<Value<'a>> {
    let Some(info) = subject.info else {
        return match field {
            Field::Id => text(subject.container_id),
            Field::StartTs | Field::Duration => start_time(field, subject),
            _ => None,
        };
    };
    let label = |k: &str| info.labels.get(k).and_then(|v| text(v));
    // The pod sandbox's entry stands in for pod-level data when this container has no CNI
    // result of its own (Falco 0.7.1).
    let sandbox = if info.cni_json.is_empty() {
        subject.sandbox
    } else {
        None
    };
    match field {
        Field::Id => text(&info.id),
        Field::FullId => text(&info.full_id),
        Field::Name => text(&info.name),
        Field::Image => text(&info.image),
        Field::ImageId => text(&info.image_id),
        Field::Type => text(info.ty.as_str()),
        Field::Privileged => Some(Value::Bool(info.privileged)),
        Field::Mounts => owned(info.mounts.iter().map(|m| m.render()).collect::<Vec<_>>().join(",")),
        Field::Mount
        | Field::MountSource
        | Field::MountDest
        | Field::MountMode
        | Field::MountRdwr
        | Field::MountPropagation => {
            let m = match arg {
                FieldArg::Index(i) => info.mount_by_index(i),
                FieldArg::Key(k) => info.mount_matching(k, field == Field::MountSource),
                FieldArg::None => None,
            }?;
            match field {
                Field::Mount => owned(m.render()),
                Field::MountSource => text(&m.source),
                Field::MountDest => text(&m.dest),
                Field::MountMode => text(&m.mode),
                Field::MountRdwr => text(if m.rdwr { "true" } else { "false" }),
                _ => text(&m.propagation),
            }
        }
        Field::ImageRepository => text(&info.image_repo),
        Field::ImageTag => text(&info.image_tag),
        Field::ImageDigest => text(&info.image_digest),
        Field::StartTs | Field::Duration => start_time(field, subject),
        Field::Ip => text(&info.ip),
        Field::CniJson => text(&info.cni_json),
        Field::HostPid => Some(Value::Bool(info.host_pid)),
        Field::HostNetwork => Some(Value::Bool(info.host_network)),
        Field::HostIpc => Some(Value::Bool(info.host_ipc)),
        Field::Label => match arg {
            FieldArg::Key(k) => label(k),
            _ => None,
        },
        Field::Labels => owned(render_labels(&info.labels)),
        Field::PodName => label("io.kubernetes.pod.name"),
        Field::NsName => label("io.kubernetes.pod.namespace"),
        Field::PodId | Field::PodUid => label("io.kubernetes.pod.uid"),
        Field::PodSandboxId => text(crate::truncate(&info.pod_sandbox_id, SHORT_ID_LEN)),
        Field::PodFullSandboxId => text(&info.pod_sandbox_id),
        Field::PodLabel => {
            let FieldArg::Key(k) = arg else { return None };
            sandbox
                .and_then(|s| s.pod_sandbox_labels.get(k))
                .or_else(|| info.pod_sandbox_labels.get(k))
                .and_then(|v| text(v))
        }
        Field::PodLabels => owned(render_labels(
            sandbox.map_or(&info.pod_sandbox_labels, |s| &s.pod_sandbox_labels),
        )),
        Field::PodIp | Field::PodCniJson => {
            let source = if info.cni_json.is_empty() {
                subject.sandbox?
            } else {
                info
            };
            text(if field == Field::PodIp {
                &source.ip
            } else {
                &source.cni_json
            })
        }
        Field::Healthcheck
        | Field::LivenessProbe
        | Field::ReadinessProbe
        | Field::IsHealthcheck
        | Field::IsLivenessProbe
        | Field::IsReadinessProbe
        | Field::DeprecatedK8s => None,
    }
}

fn start_time<'a>(field: Field, subject: &Subject<'_>) -> Option<Value<'a>> {
    let start = subject.pidns_init_start_ts;
    if start == 0 {
        return None;
    }
    Some(if field == Field::StartTs {
        Value::AbsTime(start)
    } else {
        Value::RelTime(subject.evt_ts.saturating_sub(start))
    })
}

#[cfg(test)]
mod tests;
