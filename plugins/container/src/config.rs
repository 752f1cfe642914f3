//! The init config: Falco's container plugin 0.7.1 keys (`reference/fields/container.md`,
//! "Init config") plus Saker's `lookup_wait_ms`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::cgroup::CgroupMatcher;
use crate::info::ContainerType;
use crate::runtime::cri::CriEndpoint;
use crate::runtime::{Endpoint, Runtimes};

/// Falco's default `label_max_len`.
pub const DEFAULT_LABEL_MAX_LEN: usize = 100;
/// Saker's default wait for a first lookup, in milliseconds.
pub const DEFAULT_LOOKUP_WAIT_MS: u64 = 100;
/// Deadline of each read/write on a runtime socket.
pub const SOCKET_IO_TIMEOUT: Duration = Duration::from_millis(500);
/// Deadline of each CRI call (connect included): containerd answers a verbose status in a few
/// milliseconds, but its first call after start can take longer.
pub const CRI_CALL_TIMEOUT: Duration = Duration::from_secs(2);
/// Environment variable prefixed to every socket path (a host root mounted in a container).
pub const HOST_ROOT_ENV: &str = "HOST_ROOT";

pub const DEFAULT_DOCKER_SOCKETS: &[&str] = &["/var/run/docker.sock"];
pub const DEFAULT_PODMAN_SOCKETS: &[&str] = &["/run/podman/podman.sock"];
pub const DEFAULT_CONTAINERD_SOCKETS: &[&str] = &["/run/host-containerd/containerd.sock"];
pub const DEFAULT_CRI_SOCKETS: &[&str] = &[
    "/run/containerd/containerd.sock",
    "/run/crio/crio.sock",
    "/run/k3s/containerd/containerd.sock",
    "/run/host-containerd/containerd.sock",
];

/// JSON schema of the init config (Falco's keys, plus `lookup_wait_ms`).
pub const INIT_SCHEMA: &str = r##"{"$schema":"http://json-schema.org/draft-04/schema#","type":"object","additionalProperties":false,"definitions":{"sockets":{"type":"object","additionalProperties":false,"properties":{"enabled":{"type":"boolean"},"sockets":{"type":"array","items":{"type":"string"}}}},"simple":{"type":"object","additionalProperties":false,"properties":{"enabled":{"type":"boolean"}}}},"properties":{"label_max_len":{"type":"integer","minimum":0,"description":"Container and pod labels whose value is longer are dropped","default":100},"with_size":{"type":"boolean","description":"Accepted for compatibility; sizes are not fetched","default":false},"hooks":{"type":"array","items":{"type":"string","enum":["create","start"]},"description":"Accepted for compatibility; Saker looks containers up at first sight"},"log_level":{"type":"string","enum":["trace","debug","info","warn","error"],"default":"warn"},"lookup_wait_ms":{"type":"integer","minimum":0,"description":"Saker: how long an event waits for the first lookup of a new container","default":100},"engines":{"type":"object","additionalProperties":false,"properties":{"docker":{"$ref":"#/definitions/sockets"},"podman":{"$ref":"#/definitions/sockets"},"containerd":{"$ref":"#/definitions/sockets"},"cri":{"$ref":"#/definitions/sockets"},"lxc":{"$ref":"#/definitions/simple"},"libvirt_lxc":{"$ref":"#/definitions/simple"},"bpm":{"$ref":"#/definitions/simple"},"static":{"type":"object","additionalProperties":false,"properties":{"enabled":{"type":"boolean"},"container_id":{"type":"string"},"container_name":{"type":"string"},"container_image":{"type":"string"}}}}}}}"##;

/// A runtime reached through sockets.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SocketEngine {
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Empty = the engine's default sockets.
    #[serde(default)]
    pub sockets: Vec<String>,
}

impl Default for SocketEngine {
    fn default() -> Self {
        SocketEngine {
            enabled: true,
            sockets: Vec::new(),
        }
    }
}

/// An engine known from cgroups alone.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimpleEngine {
    #[serde(default = "yes")]
    pub enabled: bool,
}

impl Default for SimpleEngine {
    fn default() -> Self {
        SimpleEngine { enabled: true }
    }
}

/// The static engine: every thread belongs to one configured container.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaticEngine {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub container_id: String,
    #[serde(default)]
    pub container_name: String,
    #[serde(default)]
    pub container_image: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Engines {
    #[serde(default)]
    pub docker: SocketEngine,
    #[serde(default)]
    pub podman: SocketEngine,
    #[serde(default)]
    pub containerd: SocketEngine,
    #[serde(default)]
    pub cri: SocketEngine,
    #[serde(default)]
    pub lxc: SimpleEngine,
    #[serde(default)]
    pub libvirt_lxc: SimpleEngine,
    #[serde(default)]
    pub bpm: SimpleEngine,
    #[serde(default, rename = "static")]
    pub fixed: StaticEngine,
}

/// The plugin's init config.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContainerConfig {
    #[serde(default = "default_label_max_len")]
    pub label_max_len: usize,
    /// Accepted; sizes are not fetched.
    #[serde(default)]
    pub with_size: bool,
    /// Accepted; lookups happen at first sight of an id whatever the hooks.
    #[serde(default)]
    pub hooks: Vec<String>,
    #[serde(default)]
    pub log_level: Option<String>,
    #[serde(default = "default_lookup_wait_ms")]
    pub lookup_wait_ms: u64,
    #[serde(default)]
    pub engines: Engines,
}

fn yes() -> bool {
    true
}
fn default_label_max_len() -> usize {
    DEFAULT_LABEL_MAX_LEN
}
fn default_lookup_wait_ms() -> u64 {
    DEFAULT_LOOKUP_WAIT_MS
}

impl Default for ContainerConfig {
    fn default() -> Self {
        serde_json::from_str("{}").expect("every key has a default")
    }
}

impl ContainerConfig {
    /// Checks values the schema cannot; the message names the key.
    pub fn validate(&self) -> Result<(), String> {
        let s = &self.engines.fixed;
        if s.enabled && s.container_id.is_empty() {
            return Err(
                "init_config key `engines.static.container_id` must be set when the static engine is enabled".into(),
            );
        }
        Ok(())
    }

    /// Which cgroup layouts are tried.
    pub fn matcher(&self) -> CgroupMatcher {
        let e = &self.engines;
        CgroupMatcher {
            podman: e.podman.enabled,
            docker: e.docker.enabled,
            cri: e.cri.enabled,
            containerd: e.containerd.enabled,
            lxc: e.lxc.enabled,
            libvirt_lxc: e.libvirt_lxc.enabled,
            bpm: e.bpm.enabled,
            static_id: e.fixed.enabled.then(|| e.fixed.container_id.clone()),
        }
    }

    /// The sockets that exist now: podman first then docker (each speaks the Docker REST
    /// API), then the CRI sockets. `host_root` prefixes every path, as `HOST_ROOT` does in
    /// Falco.
    pub fn runtimes(&self, host_root: &Path) -> Runtimes {
        let mut endpoints = Vec::new();
        let mut cri: Vec<std::sync::Arc<CriEndpoint>> = Vec::new();
        if !self.engines.fixed.enabled {
            for s in configured(&self.engines.cri, DEFAULT_CRI_SOCKETS) {
                let socket = under_root(host_root, &s);
                if socket.exists() && !cri.iter().any(|e| e.socket() == socket) {
                    cri.push(std::sync::Arc::new(CriEndpoint::new(socket, CRI_CALL_TIMEOUT)));
                }
            }
            let mut podman = configured(&self.engines.podman, DEFAULT_PODMAN_SOCKETS);
            if self.engines.podman.enabled && self.engines.podman.sockets.is_empty() {
                podman.extend(rootless_podman_sockets(host_root));
            }
            let docker = configured(&self.engines.docker, DEFAULT_DOCKER_SOCKETS);
            for (ty, sockets) in [(ContainerType::Podman, podman), (ContainerType::Docker, docker)] {
                for s in sockets {
                    let socket = under_root(host_root, &s);
                    if socket.exists() && !endpoints.iter().any(|e: &Endpoint| e.socket == socket) {
                        endpoints.push(Endpoint { ty, socket });
                    }
                }
            }
        }
        Runtimes {
            endpoints,
            cri,
            label_max_len: self.label_max_len,
            io_timeout: SOCKET_IO_TIMEOUT,
        }
    }
}

fn configured(engine: &SocketEngine, defaults: &[&str]) -> Vec<String> {
    if !engine.enabled {
        Vec::new()
    } else if engine.sockets.is_empty() {
        defaults.iter().map(|s| s.to_string()).collect()
    } else {
        engine.sockets.clone()
    }
}

/// `<root>/<path>` (a plain join would drop the root for an absolute path).
fn under_root(root: &Path, path: &str) -> PathBuf {
    root.join(path.trim_start_matches('/'))
}

/// Every `/run/user/<uid>/podman/podman.sock` present.
fn rootless_podman_sockets(host_root: &Path) -> Vec<String> {
    let Ok(dir) = std::fs::read_dir(under_root(host_root, "/run/user")) else {
        return Vec::new();
    };
    let mut found: Vec<String> = dir
        .flatten()
        .map(|e| format!("/run/user/{}/podman/podman.sock", e.file_name().to_string_lossy()))
        .collect();
    found.sort();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn falco_default_config_and_static_engine() {
        let c: ContainerConfig = serde_json::from_str(r#"{"label_max_len":100,"with_size":false}"#).unwrap();
        assert_eq!(c.label_max_len, 100);
        assert!(c.engines.docker.enabled && c.engines.lxc.enabled && !c.engines.fixed.enabled);
        assert_eq!(c.matcher(), CgroupMatcher::default());
        let c: ContainerConfig = serde_json::from_str(
            r#"{"engines":{"static":{"enabled":true,"container_id":"abc","container_name":"n","container_image":"i"}}}"#,
        )
        .unwrap();
        assert_eq!(c.matcher().static_id.as_deref(), Some("abc"));
        assert!(c.runtimes(Path::new("/")).endpoints.is_empty());
        let bad: ContainerConfig = serde_json::from_str(r#"{"engines":{"static":{"enabled":true}}}"#).unwrap();
        assert!(bad.validate().unwrap_err().contains("engines.static.container_id"));
        let err = serde_json::from_str::<ContainerConfig>(r#"{"engines":{"dockr":{}}}"#).unwrap_err();
        assert!(err.to_string().contains("dockr"), "{err}");
    }

    #[test]
    fn only_existing_sockets_under_host_root_are_used() {
        let root = std::env::temp_dir().join(format!("saker-container-root-{}", std::process::id()));
        std::fs::create_dir_all(root.join("run/podman")).unwrap();
        std::fs::create_dir_all(root.join("run/user/1000/podman")).unwrap();
        std::fs::write(root.join("run/podman/podman.sock"), b"").unwrap();
        std::fs::write(root.join("run/user/1000/podman/podman.sock"), b"").unwrap();
        let r = ContainerConfig::default().runtimes(&root);
        let got: Vec<_> = r.endpoints.iter().map(|e| (e.ty, e.socket.clone())).collect();
        assert_eq!(
            got,
            vec![
                (ContainerType::Podman, root.join("run/podman/podman.sock")),
                (ContainerType::Podman, root.join("run/user/1000/podman/podman.sock")),
            ]
        );
        let _ = std::fs::remove_dir_all(&root);
    }
}
