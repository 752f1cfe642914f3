//! What the plugin knows about one container (Falco's `container_info`), and the JSON form
//! Falco's plugin exchanges in `container` async events and legacy `PPME_CONTAINER_JSON_E`
//! events (`reference/fields/container.md`, "Async event payload").

use std::collections::BTreeMap;

use serde::Deserialize;

/// Container engine type, with libsinsp's numeric values (`container_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u16)]
pub enum ContainerType {
    Docker = 0,
    Lxc = 1,
    LibvirtLxc = 2,
    Mesos = 3,
    Rkt = 4,
    Custom = 5,
    Cri = 6,
    Containerd = 7,
    CriO = 8,
    Bpm = 9,
    Static = 10,
    Podman = 11,
    Host = 0xfffe,
    Unknown = 0xffff,
}

impl ContainerType {
    pub fn from_code(code: u64) -> ContainerType {
        use ContainerType::*;
        match code {
            0 => Docker,
            1 => Lxc,
            2 => LibvirtLxc,
            3 => Mesos,
            4 => Rkt,
            5 => Custom,
            6 => Cri,
            7 => Containerd,
            8 => CriO,
            9 => Bpm,
            10 => Static,
            11 => Podman,
            0xfffe => Host,
            _ => Unknown,
        }
    }

    /// The `container.type` text; custom, static and unknown types render as `""` as in
    /// Falco 0.7.1.
    pub fn as_str(self) -> &'static str {
        use ContainerType::*;
        match self {
            Docker => "docker",
            Lxc => "lxc",
            LibvirtLxc => "libvirt-lxc",
            Mesos => "mesos",
            Rkt => "rkt",
            Cri => "cri",
            Containerd => "containerd",
            CriO => "cri-o",
            Bpm => "bpm",
            Podman => "podman",
            Host => "host",
            Custom | Static | Unknown => "",
        }
    }
}

/// One mount of a container.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mount {
    pub source: String,
    pub dest: String,
    pub mode: String,
    pub rdwr: bool,
    pub propagation: String,
}

impl Mount {
    /// `source:dest:mode:rdwr:propagation`, the `container.mount` rendering.
    pub fn render(&self) -> String {
        format!(
            "{}:{}:{}:{}:{}",
            self.source, self.dest, self.mode, self.rdwr, self.propagation
        )
    }
}

/// Metadata of one container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerInfo {
    pub ty: ContainerType,
    /// Short id (12 characters for runc engines): the key of the cache.
    pub id: String,
    pub full_id: String,
    pub name: String,
    pub image: String,
    pub image_id: String,
    pub image_repo: String,
    pub image_tag: String,
    pub image_digest: String,
    pub user: String,
    pub ip: String,
    pub cni_json: String,
    pub privileged: bool,
    pub host_pid: bool,
    pub host_network: bool,
    pub host_ipc: bool,
    pub is_pod_sandbox: bool,
    pub labels: BTreeMap<String, String>,
    pub pod_sandbox_id: String,
    pub pod_sandbox_labels: BTreeMap<String, String>,
    pub mounts: Vec<Mount>,
    /// Creation time, seconds since the epoch (0 unknown).
    pub created_time: i64,
}

impl ContainerInfo {
    /// An info with only an id and a type (lxc, libvirt-lxc, bpm, or a runtime that failed to
    /// answer about a container it announced).
    pub fn minimal(id: &str, ty: ContainerType) -> Self {
        ContainerInfo {
            ty,
            id: id.to_owned(),
            full_id: String::new(),
            name: String::new(),
            image: String::new(),
            image_id: String::new(),
            image_repo: String::new(),
            image_tag: String::new(),
            image_digest: String::new(),
            user: String::new(),
            ip: String::new(),
            cni_json: String::new(),
            privileged: false,
            host_pid: false,
            host_network: false,
            host_ipc: false,
            is_pod_sandbox: false,
            labels: BTreeMap::new(),
            pod_sandbox_id: String::new(),
            pod_sandbox_labels: BTreeMap::new(),
            mounts: Vec::new(),
            created_time: 0,
        }
    }

    /// The built-in entry for host threads: id, full id, name `host`, type `host`, everything
    /// else empty.
    pub fn host() -> Self {
        ContainerInfo {
            full_id: HOST_ID.to_owned(),
            name: HOST_ID.to_owned(),
            ..ContainerInfo::minimal(HOST_ID, ContainerType::Host)
        }
    }

    /// The static engine's container (`engines.static`): name and image as configured, the
    /// image split into repository, tag and digest.
    pub fn fixed(id: &str, name: &str, image: &str) -> Self {
        let (repo, tag, digest) = split_image_ref(image);
        ContainerInfo {
            name: name.to_owned(),
            image: image.to_owned(),
            image_repo: repo.to_owned(),
            image_tag: tag.to_owned(),
            image_digest: digest.to_owned(),
            ..ContainerInfo::minimal(id, ContainerType::Static)
        }
    }

    /// Mount by position.
    pub fn mount_by_index(&self, index: u64) -> Option<&Mount> {
        usize::try_from(index).ok().and_then(|i| self.mounts.get(i))
    }

    /// First mount whose field (source or destination) contains a match of `pattern`
    /// (a regex search, as Falco 0.7.1 does). An invalid pattern matches nothing.
    pub fn mount_matching(&self, pattern: &str, by_dest: bool) -> Option<&Mount> {
        let re = regex::RegexBuilder::new(pattern).multi_line(true).build().ok()?;
        self.mounts
            .iter()
            .find(|m| re.is_match(if by_dest { &m.dest } else { &m.source }))
    }

    /// Parses Falco's container JSON (`{"container": {...}}`); missing keys and `null`
    /// objects take defaults, as Falco's parser does.
    pub fn from_falco_json(text: &[u8]) -> Result<Self, serde_json::Error> {
        let doc: FalcoDoc = serde_json::from_slice(text)?;
        let c = doc.container;
        let mounts = c
            .mounts
            .unwrap_or_default()
            .into_iter()
            .map(|m| Mount {
                source: m.source.unwrap_or_default(),
                dest: m.destination.unwrap_or_default(),
                mode: m.mode.unwrap_or_default(),
                rdwr: m.rw.unwrap_or(false),
                propagation: m.propagation.unwrap_or_default(),
            })
            .collect();
        Ok(ContainerInfo {
            ty: c.ty.map_or(ContainerType::Unknown, ContainerType::from_code),
            id: c.id.unwrap_or_default(),
            full_id: c.full_id.unwrap_or_default(),
            name: c.name.unwrap_or_default(),
            image: c.image.unwrap_or_default(),
            image_id: c.imageid.unwrap_or_default(),
            image_repo: c.imagerepo.unwrap_or_default(),
            image_tag: c.imagetag.unwrap_or_default(),
            image_digest: c.imagedigest.unwrap_or_default(),
            user: c.user.unwrap_or_default(),
            ip: c.ip.map(|v| json_scalar_text(&v)).unwrap_or_default(),
            cni_json: c.cni_json.unwrap_or_default(),
            privileged: c.privileged.unwrap_or(false),
            host_pid: c.host_pid.unwrap_or(false),
            host_network: c.host_network.unwrap_or(false),
            host_ipc: c.host_ipc.unwrap_or(false),
            is_pod_sandbox: c.is_pod_sandbox.unwrap_or(false),
            labels: c.labels.unwrap_or_default(),
            pod_sandbox_id: c.pod_sandbox_id.unwrap_or_default(),
            pod_sandbox_labels: c.pod_sandbox_labels.unwrap_or_default(),
            mounts,
            created_time: c.created_time.unwrap_or(0),
        })
    }

    /// Falco's container JSON for this info (the payload of a `container` async event).
    pub fn to_falco_json(&self) -> String {
        let mounts: Vec<serde_json::Value> = self
            .mounts
            .iter()
            .map(|m| {
                serde_json::json!({"Source": m.source, "Destination": m.dest, "Mode": m.mode,
                    "RW": m.rdwr, "Propagation": m.propagation})
            })
            .collect();
        serde_json::json!({"container": {
            "type": self.ty as u16, "id": self.id, "full_id": self.full_id, "name": self.name,
            "image": self.image, "imageid": self.image_id, "imagerepo": self.image_repo,
            "imagetag": self.image_tag, "imagedigest": self.image_digest, "User": self.user,
            "ip": self.ip, "cni_json": self.cni_json, "privileged": self.privileged,
            "host_pid": self.host_pid, "host_network": self.host_network, "host_ipc": self.host_ipc,
            "is_pod_sandbox": self.is_pod_sandbox, "labels": self.labels,
            "pod_sandbox_id": self.pod_sandbox_id, "pod_sandbox_labels": self.pod_sandbox_labels,
            "Mounts": mounts, "created_time": self.created_time,
        }})
        .to_string()
    }
}

/// The cache key and `container.id` of host threads.
pub const HOST_ID: &str = "host";

/// Splits an image reference `repo[:tag][@digest]` (the tag is after the last `:` that follows
/// the last `/`, so a registry port is not a tag).
pub fn split_image_ref(image: &str) -> (&str, &str, &str) {
    let (name, digest) = image.split_once('@').unwrap_or((image, ""));
    let slash = name.rfind('/').map_or(0, |i| i + 1);
    match name[slash..].rfind(':') {
        Some(i) => (&name[..slash + i], &name[slash + i + 1..], digest),
        None => (name, "", digest),
    }
}

/// Older Falco versions wrote `ip` as a number (host order u32); newer ones as text.
fn json_scalar_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => match n.as_u64().and_then(|n| u32::try_from(n).ok()) {
            Some(0) | None => String::new(),
            Some(ip) => std::net::Ipv4Addr::from(ip).to_string(),
        },
        _ => String::new(),
    }
}

#[derive(Deserialize)]
struct FalcoDoc {
    #[serde(default)]
    container: FalcoContainer,
}

#[derive(Deserialize, Default)]
struct FalcoContainer {
    #[serde(rename = "type")]
    ty: Option<u64>,
    id: Option<String>,
    full_id: Option<String>,
    name: Option<String>,
    image: Option<String>,
    imageid: Option<String>,
    imagerepo: Option<String>,
    imagetag: Option<String>,
    imagedigest: Option<String>,
    #[serde(rename = "User")]
    user: Option<String>,
    ip: Option<serde_json::Value>,
    cni_json: Option<String>,
    privileged: Option<bool>,
    host_pid: Option<bool>,
    host_network: Option<bool>,
    host_ipc: Option<bool>,
    is_pod_sandbox: Option<bool>,
    labels: Option<BTreeMap<String, String>>,
    pod_sandbox_id: Option<String>,
    pod_sandbox_labels: Option<BTreeMap<String, String>>,
    #[serde(rename = "Mounts")]
    mounts: Option<Vec<FalcoMount>>,
    created_time: Option<i64>,
}

#[derive(Deserialize)]
struct FalcoMount {
    #[serde(rename = "Source")]
    source: Option<String>,
    #[serde(rename = "Destination")]
    destination: Option<String>,
    #[serde(rename = "Mode")]
    mode: Option<String>,
    #[serde(rename = "RW")]
    rw: Option<bool>,
    #[serde(rename = "Propagation")]
    propagation: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_references_split_into_repo_tag_digest() {
        assert_eq!(split_image_ref("busybox"), ("busybox", "", ""));
        assert_eq!(
            split_image_ref("localhost/busybox:test"),
            ("localhost/busybox", "test", "")
        );
        assert_eq!(
            split_image_ref("registry:5000/team/app:1.2@sha256:abc"),
            ("registry:5000/team/app", "1.2", "sha256:abc")
        );
        assert_eq!(split_image_ref("registry:5000/app"), ("registry:5000/app", "", ""));
    }

    #[test]
    fn falco_json_round_trips_and_tolerates_nulls() {
        let mut info = ContainerInfo::minimal("3ad7b26ded6d", ContainerType::Docker);
        info.name = "web".into();
        info.labels.insert("app".into(), "demo".into());
        info.mounts.push(Mount {
            source: "/var/lib".into(),
            dest: "/data".into(),
            mode: "z".into(),
            rdwr: true,
            propagation: "rprivate".into(),
        });
        let back = ContainerInfo::from_falco_json(info.to_falco_json().as_bytes()).unwrap();
        assert_eq!(back, info);
        let sparse = br#"{"container":{"id":"abc","type":7,"labels":null,"Mounts":null,"ip":"172.17.0.2"}}"#;
        let c = ContainerInfo::from_falco_json(sparse).unwrap();
        assert_eq!(
            (c.id.as_str(), c.ty, c.ip.as_str()),
            ("abc", ContainerType::Containerd, "172.17.0.2")
        );
        assert!(c.labels.is_empty() && c.mounts.is_empty());
        let numeric_ip = br#"{"container":{"id":"abc","ip":2886795266}}"#;
        assert_eq!(ContainerInfo::from_falco_json(numeric_ip).unwrap().ip, "172.17.0.2");
        assert!(ContainerInfo::from_falco_json(b"not json").is_err());
    }

    #[test]
    fn mounts_are_found_by_index_or_by_regex_search() {
        let mut info = ContainerInfo::minimal("x", ContainerType::Docker);
        for (s, d) in [("/host/etc", "/etc"), ("/proc", "/host/proc")] {
            info.mounts.push(Mount {
                source: s.into(),
                dest: d.into(),
                ..Mount::default()
            });
        }
        assert_eq!(info.mount_by_index(1).unwrap().source, "/proc");
        assert!(info.mount_by_index(2).is_none());
        assert_eq!(info.mount_matching("/proc*", true).unwrap().source, "/proc");
        assert_eq!(info.mount_matching("^/proc$", false).unwrap().dest, "/host/proc");
        assert_eq!(info.mount_matching("/", false).unwrap().source, "/host/etc");
        assert!(info.mount_matching("nomatch", false).is_none());
        assert!(info.mount_matching("(", false).is_none());
        assert_eq!(info.mounts[0].render(), "/host/etc:/etc::false:");
    }
}
