//! Container id from a thread's cgroup paths, as Falco's container plugin 0.7.1 derives it
//! (`reference/fields/container.md`, "Container-id derivation from cgroups").
//!
//! Each path is tried against the enabled engines' layouts in a fixed order (static, podman,
//! docker, cri, containerd, lxc, libvirt-lxc, bpm); the first match wins. runc-style engines
//! yield the first 12 hex characters of a 64-hex id.

use std::sync::OnceLock;

use regex::Regex;

use crate::info::ContainerType;

/// Length of a full runc-style container id (hex characters).
pub const FULL_ID_LEN: usize = 64;
/// Length of the short id Falco uses as `container.id`.
pub const SHORT_ID_LEN: usize = 12;

/// Which engine's layout matched, and the id it gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CgroupMatch {
    pub id: String,
    /// The engine whose layout matched. For docker/podman/cri/containerd this only says where
    /// the id came from: the metadata (and `container.type`) come from the runtime that knows it.
    pub engine: ContainerType,
}

/// The engines whose layouts are tried (Falco's `engines.*.enabled`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CgroupMatcher {
    pub podman: bool,
    pub docker: bool,
    pub cri: bool,
    pub containerd: bool,
    pub lxc: bool,
    pub libvirt_lxc: bool,
    pub bpm: bool,
    /// `engines.static.container_id` when the static engine is enabled: every cgroup, even the
    /// host's, resolves to it.
    pub static_id: Option<String>,
}

impl Default for CgroupMatcher {
    /// Every engine enabled, static disabled (Falco's defaults).
    fn default() -> Self {
        CgroupMatcher {
            podman: true,
            docker: true,
            cri: true,
            containerd: true,
            lxc: true,
            libvirt_lxc: true,
            bpm: true,
            static_id: None,
        }
    }
}

const PODMAN_LAYOUTS: &[(&str, &str)] = &[
    ("/libpod-", ".scope"),
    ("/libpod-", ".scope/container"),
    ("/libpod-", ""),
    ("/libpod-payload-", ".scope"),
    ("/libpod-payload-", ".scope/container"),
    ("/libpod-payload-", ""),
];
const DOCKER_LAYOUTS: &[(&str, &str)] = &[("/", ""), ("/docker-", ".scope")];
const CRI_LAYOUTS: &[(&str, &str)] = &[
    ("/", ""),
    ("/crio-", ""),
    ("/cri-containerd-", ".scope"),
    ("/crio-", ".scope"),
    (":cri-containerd:", ""),
    ("/docker-", ".scope"),
    ("/nerdctl-", ".scope"),
];
/// Suffixes of systemd units: a free-form containerd id never ends like this.
const SYSTEMD_UNIT_SUFFIXES: &[&str] = &[".service", ".slice", ".scope"];

impl CgroupMatcher {
    /// The container of the first cgroup path that matches, or `None` for a host thread.
    pub fn match_paths<'a>(&self, paths: impl IntoIterator<Item = &'a str>) -> Option<CgroupMatch> {
        paths
            .into_iter()
            .filter(|p| !p.is_empty())
            .find_map(|p| self.match_path(p))
    }

    /// The container one cgroup path belongs to, if any.
    pub fn match_path(&self, cgroup: &str) -> Option<CgroupMatch> {
        if let Some(id) = &self.static_id {
            return Some(found(id.clone(), ContainerType::Static));
        }
        let runc = |enabled: bool, layouts: &[(&str, &str)], ty: ContainerType| {
            if !enabled {
                return None;
            }
            layouts
                .iter()
                .find_map(|(prefix, suffix)| runc_id(cgroup, prefix, suffix, false))
                .map(|id| found(id, ty))
        };
        runc(self.podman, PODMAN_LAYOUTS, ContainerType::Podman)
            .or_else(|| runc(self.docker, DOCKER_LAYOUTS, ContainerType::Docker))
            .or_else(|| runc(self.cri, CRI_LAYOUTS, ContainerType::Cri))
            .or_else(|| self.containerd.then(|| containerd_id(cgroup)).flatten())
            .or_else(|| self.lxc.then(|| lxc_id(cgroup)).flatten())
            .or_else(|| self.libvirt_lxc.then(|| libvirt_lxc_id(cgroup)).flatten())
            .or_else(|| self.bpm.then(|| bpm_id(cgroup)).flatten())
    }
}

fn found(id: String, engine: ContainerType) -> CgroupMatch {
    CgroupMatch { id, engine }
}

/// The id between the last `prefix` and the last `suffix` (end of path when empty): a 64-hex
/// id shortened to 12; with `free_form`, any shorter id that is not a systemd unit name.
fn runc_id(cgroup: &str, prefix: &str, suffix: &str, free_form: bool) -> Option<String> {
    let start = cgroup.rfind(prefix)? + prefix.len();
    let end = if suffix.is_empty() {
        cgroup.len()
    } else {
        cgroup.rfind(suffix)?
    };
    let id = cgroup.get(start..end)?;
    if id.len() == FULL_ID_LEN && id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Some(id[..SHORT_ID_LEN].to_owned());
    }
    // Saker also refuses a '/' in free-form ids: a nested host cgroup is not a container.
    let free_form_ok = free_form
        && !id.is_empty()
        && id.len() < FULL_ID_LEN
        && !id.contains('/')
        && !SYSTEMD_UNIT_SUFFIXES.iter().any(|s| cgroup.ends_with(s));
    free_form_ok.then(|| crate::truncate(id, SHORT_ID_LEN).to_owned())
}

/// Native containerd (`ctr run`): `/<namespace>/<id>` with free-form ids.
fn containerd_id(cgroup: &str) -> Option<CgroupMatch> {
    static NAMESPACE: OnceLock<Regex> = OnceLock::new();
    let re = NAMESPACE.get_or_init(|| {
        Regex::new(r"/([A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*)/").expect("valid containerd namespace pattern")
    });
    let ns = re.find(cgroup)?;
    runc_id(cgroup, ns.as_str(), "", true).map(|id| found(id, ContainerType::Containerd))
}

/// LXC: `/lxc/<id>`, `/lxc.payload/<id>` or `/lxc.payload.<id>`, the id up to the next `/`.
fn lxc_id(cgroup: &str) -> Option<CgroupMatch> {
    ["/lxc/", "/lxc.payload/", "/lxc.payload."].iter().find_map(|prefix| {
        let start = cgroup.find(prefix)? + prefix.len();
        let rest = &cgroup[start..];
        let id = rest.split('/').next().unwrap_or("");
        (!id.is_empty()).then(|| found(id.to_owned(), ContainerType::Lxc))
    })
}

/// libvirt LXC: `<dir>/<id>.libvirt-lxc`, systemd `…-lxc\x2d<id>.scope[/libvirt]`, or
/// legacy `/libvirt/lxc/<id>`.
fn libvirt_lxc_id(cgroup: &str) -> Option<CgroupMatch> {
    let ty = ContainerType::LibvirtLxc;
    if let Some(head) = cgroup.strip_suffix(".libvirt-lxc") {
        let id = head.rsplit('/').next().unwrap_or("");
        return (!id.is_empty()).then(|| found(id.to_owned(), ty));
    }
    const SYSTEMD_MARK: &str = "-lxc\\x2d";
    if let Some(pos) = cgroup.rfind(SYSTEMD_MARK) {
        let rest = &cgroup[pos + SYSTEMD_MARK.len()..];
        let rest = rest.strip_suffix("/libvirt").unwrap_or(rest);
        if let Some(id) = rest.strip_suffix(".scope") {
            if !id.is_empty() && !id.contains('/') {
                return Some(found(id.to_owned(), ty));
            }
        }
    }
    let start = cgroup.find("/libvirt/lxc/")? + "/libvirt/lxc/".len();
    let id = cgroup[start..].split('/').next().unwrap_or("");
    (!id.is_empty()).then(|| found(id.to_owned(), ty))
}

/// BOSH process manager: `bpm-<id>` or `bpm-<id>.scope` as the last component.
fn bpm_id(cgroup: &str) -> Option<CgroupMatch> {
    let last = cgroup.rsplit('/').next()?;
    let rest = last.strip_prefix("bpm-")?;
    let id = rest.strip_suffix(".scope").unwrap_or(rest);
    let valid = !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-');
    valid.then(|| found(id.to_owned(), ContainerType::Bpm))
}

/// Parses the `cgroups` text of the `threads` table: one `subsystem=path` entry per line
/// (the syscall plugin's encoding); yields the paths in order. Subsystem names may contain
/// `=` themselves (`name=systemd`), so the path starts at the first `=/`.
pub fn paths_of(cgroups: &str) -> impl Iterator<Item = &str> {
    cgroups.lines().map(|l| match l.find("=/") {
        Some(i) => &l[i + 1..],
        None => l.split_once('=').map_or(l, |(_, path)| path),
    })
}

#[cfg(test)]
mod tests;
