//! Docker and podman metadata through the Docker-compatible REST API on a unix socket
//! (`GET /containers/<id>/json`, `GET /images/<id>/json`), mapped as Falco's go-worker maps
//! docker inspect results (`reference/fields/container.md`, "Per-engine field mapping").

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use super::http::{self, HttpError};
use crate::cgroup::SHORT_ID_LEN;
use crate::info::{ContainerInfo, ContainerType, Mount};

/// Failures of one lookup.
#[derive(Debug, thiserror::Error)]
pub enum DockerError {
    #[error(transparent)]
    Http(#[from] HttpError),
    #[error("{socket}: GET {path} answered HTTP {status}: {body}")]
    Status {
        socket: String,
        path: String,
        status: u16,
        body: String,
    },
    #[error("{socket}: GET {path} returned JSON that is not a container inspect result: {source}")]
    Json {
        socket: String,
        path: String,
        source: serde_json::Error,
    },
}

/// HTTP status of "no such container".
const NOT_FOUND: u16 = 404;
/// Longest piece of an error body quoted in messages.
const MAX_QUOTED_BODY: usize = 200;

/// Inspects container `id` (short or full) on `socket`; `Ok(None)` when the engine does not
/// know it.
pub fn inspect(
    socket: &Path,
    id: &str,
    ty: ContainerType,
    label_max_len: usize,
    timeout: Duration,
) -> Result<Option<ContainerInfo>, DockerError> {
    let path = format!("/containers/{id}/json");
    let Some(body) = get_json(socket, &path, timeout)? else {
        return Ok(None);
    };
    let ctr: Inspect = serde_json::from_slice(&body).map_err(|source| DockerError::Json {
        socket: socket.display().to_string(),
        path: path.clone(),
        source,
    })?;
    // The image inspect only adds repository, tag and digest: without it the rest stands.
    let image = match ctr.image.as_deref() {
        Some(image_id) if !image_id.is_empty() => get_json(socket, &format!("/images/{image_id}/json"), timeout)
            .ok()
            .flatten()
            .and_then(|b| serde_json::from_slice::<ImageInspect>(&b).ok()),
        _ => None,
    };
    Ok(Some(to_info(ctr, image.unwrap_or_default(), ty, label_max_len)))
}

/// Ids of every container the engine knows (`GET /containers/json?all=1`).
pub fn list(socket: &Path, timeout: Duration) -> Result<Vec<String>, DockerError> {
    #[derive(Deserialize)]
    struct Summary {
        #[serde(rename = "Id")]
        id: String,
    }
    let path = "/containers/json?all=1";
    let body = get_json(socket, path, timeout)?.unwrap_or_default();
    let all: Vec<Summary> = serde_json::from_slice(&body).map_err(|source| DockerError::Json {
        socket: socket.display().to_string(),
        path: path.to_owned(),
        source,
    })?;
    Ok(all.into_iter().map(|s| s.id).collect())
}

fn get_json(socket: &Path, path: &str, timeout: Duration) -> Result<Option<Vec<u8>>, DockerError> {
    let r = http::get(socket, path, timeout)?;
    match r.status {
        200 => Ok(Some(r.body)),
        NOT_FOUND => Ok(None),
        status => {
            let body = String::from_utf8_lossy(&r.body);
            Err(DockerError::Status {
                socket: socket.display().to_string(),
                path: path.to_owned(),
                status,
                body: crate::truncate(body.trim(), MAX_QUOTED_BODY).to_owned(),
            })
        }
    }
}

/// Maps inspect results to Falco's container info.
pub fn to_info(ctr: Inspect, image: ImageInspect, ty: ContainerType, label_max_len: usize) -> ContainerInfo {
    let config = ctr.config.unwrap_or_default();
    let host = ctr.host_config.unwrap_or_default();
    let name = ctr.name.trim_start_matches('/').to_owned();
    let (image_repo, image_digest) = repo_and_digest(&image.repo_digests);
    let image_repo_for_tag = image_repo.clone();
    let (image_repo, image_tag) = repo_and_tag(&image.repo_tags, image_repo_for_tag);
    // Falco takes the id part of `sha256:<id>` (not of a `repo:tag` reference).
    let image_id = match ctr.image.as_deref() {
        Some(img) if !img.contains('/') => img.split_once(':').map(|(_, id)| id.to_owned()).unwrap_or_default(),
        _ => String::new(),
    };
    let labels: BTreeMap<String, String> = config
        .labels
        .unwrap_or_default()
        .into_iter()
        .filter(|(_, v)| v.len() <= label_max_len)
        .collect();
    let mounts = ctr
        .mounts
        .unwrap_or_default()
        .into_iter()
        .map(|m| Mount {
            source: m.source,
            dest: m.destination,
            mode: m.mode,
            rdwr: m.rw,
            propagation: m.propagation,
        })
        .collect();
    let ip = ctr.network_settings.map(|n| n.ip_address).unwrap_or_default();
    let created_time = ctr.created.as_deref().map_or(0, rfc3339_seconds);
    ContainerInfo {
        id: crate::truncate(&ctr.id, SHORT_ID_LEN).to_owned(),
        full_id: ctr.id,
        is_pod_sandbox: name.contains("k8s_POD"),
        name,
        image: config.image,
        image_id,
        image_repo,
        image_tag,
        image_digest,
        user: config.user,
        ip,
        privileged: host.privileged,
        host_pid: host.pid_mode == "host",
        host_network: host.network_mode == "host",
        host_ipc: host.ipc_mode == "host",
        labels,
        mounts,
        created_time,
        ..ContainerInfo::minimal("", ty)
    }
}

/// Repository and digest from the first well-formed `repo@digest`.
fn repo_and_digest(repo_digests: &[String]) -> (String, String) {
    let parsed: Vec<(&str, &str)> = repo_digests.iter().filter_map(|rd| rd.split_once('@')).collect();
    let Some((repo, digest)) = parsed.first() else {
        return (String::new(), String::new());
    };
    (repo.to_string(), digest.to_string())
}

/// Tag from `RepoTags` (the one of `repo` when known, else the first; its repository then
/// becomes the repository).
fn repo_and_tag(repo_tags: &[String], repo: String) -> (String, String) {
    let split = |rt: &str| -> Option<(String, String)> {
        let slash = rt.rfind('/').map_or(0, |i| i + 1);
        let colon = rt[slash..].rfind(':')? + slash;
        Some((rt[..colon].to_owned(), rt[colon + 1..].to_owned()))
    };
    let tags: Vec<(String, String)> = repo_tags.iter().filter_map(|rt| split(rt)).collect();
    if repo.is_empty() {
        return tags.into_iter().next().unwrap_or_default();
    }
    let tag = tags
        .into_iter()
        .find(|(r, _)| *r == repo)
        .map(|(_, t)| t)
        .unwrap_or_default();
    (repo, tag)
}

/// Seconds since the epoch of an RFC 3339 UTC time (`2026-11-22T21:52:28.123Z`); 0 if not
/// of that form.
fn rfc3339_seconds(t: &str) -> i64 {
    let num = |s: &str| s.parse::<i64>().ok();
    let parse = || -> Option<i64> {
        let (date, time) = t.split_once('T')?;
        let mut d = date.split('-');
        let (y, m, day) = (num(d.next()?)?, num(d.next()?)?, num(d.next()?)?);
        let mut hms = time.get(..8)?.split(':');
        let (h, min, s) = (num(hms.next()?)?, num(hms.next()?)?, num(hms.next()?)?);
        // Days from civil date (proleptic Gregorian), Howard Hinnant's algorithm.
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + day - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146097 + doe - 719468;
        Some(days * 86400 + h * 3600 + min * 60 + s)
    };
    parse().unwrap_or(0)
}

/// The parts of `GET /containers/<id>/json` the plugin uses.
#[derive(Debug, Default, Deserialize)]
pub struct Inspect {
    #[serde(rename = "Id", default)]
    pub id: String,
    #[serde(rename = "Name", default)]
    pub name: String,
    /// Image id, `sha256:<hex>`.
    #[serde(rename = "Image")]
    pub image: Option<String>,
    #[serde(rename = "Created")]
    pub created: Option<String>,
    #[serde(rename = "Config")]
    pub config: Option<Config>,
    #[serde(rename = "HostConfig")]
    pub host_config: Option<HostConfig>,
    #[serde(rename = "NetworkSettings")]
    pub network_settings: Option<NetworkSettings>,
    #[serde(rename = "Mounts")]
    pub mounts: Option<Vec<InspectMount>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Config {
    #[serde(rename = "Image", default)]
    pub image: String,
    #[serde(rename = "User", default)]
    pub user: String,
    #[serde(rename = "Labels")]
    pub labels: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Default, Deserialize)]
pub struct HostConfig {
    #[serde(rename = "Privileged", default)]
    pub privileged: bool,
    #[serde(rename = "PidMode", default)]
    pub pid_mode: String,
    #[serde(rename = "IpcMode", default)]
    pub ipc_mode: String,
    #[serde(rename = "NetworkMode", default)]
    pub network_mode: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct NetworkSettings {
    #[serde(rename = "IPAddress", default)]
    pub ip_address: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct InspectMount {
    #[serde(rename = "Source", default)]
    pub source: String,
    #[serde(rename = "Destination", default)]
    pub destination: String,
    #[serde(rename = "Mode", default)]
    pub mode: String,
    #[serde(rename = "RW", default)]
    pub rw: bool,
    #[serde(rename = "Propagation", default)]
    pub propagation: String,
}

/// The parts of `GET /images/<id>/json` the plugin uses.
#[derive(Debug, Default, Deserialize)]
pub struct ImageInspect {
    #[serde(rename = "RepoTags", default, deserialize_with = "null_as_empty")]
    pub repo_tags: Vec<String>,
    #[serde(rename = "RepoDigests", default, deserialize_with = "null_as_empty")]
    pub repo_digests: Vec<String>,
}

fn null_as_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(Option::<Vec<String>>::deserialize(d)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shaped like podman 4.3's and docker 20.10's answers for a locally loaded busybox.
    const INSPECT: &str = r#"{"Id":"3ad7b26ded6d8e7b23da7d48fe889434573036c27ae5a74837233de441c3601e",
        "Created":"2026-11-22T21:52:28.123456789Z","Name":"/demo1",
        "Image":"sha256:9f1c2e8b6d0a","Config":{"Image":"localhost/busybox:test","User":"",
        "Labels":{"app":"demo","io.kubernetes.pod.name":"web-0","big":"xxxxxxxxxxxx"}},
        "HostConfig":{"Privileged":true,"NetworkMode":"host","PidMode":"","IpcMode":"private"},
        "NetworkSettings":{"IPAddress":""},
        "Mounts":[{"Type":"bind","Source":"/etc","Destination":"/host/etc","Mode":"ro","RW":false,"Propagation":"rprivate"}]}"#;

    #[test]
    fn inspect_maps_to_falco_fields() {
        let ctr: Inspect = serde_json::from_str(INSPECT).unwrap();
        let image: ImageInspect =
            serde_json::from_str(r#"{"RepoTags":["localhost/busybox:test"],"RepoDigests":null}"#).unwrap();
        let info = to_info(ctr, image, ContainerType::Podman, 10);
        assert_eq!(info.id, "3ad7b26ded6d");
        assert_eq!(info.full_id.len(), 64);
        assert_eq!(info.name, "demo1");
        assert_eq!(info.image, "localhost/busybox:test");
        assert_eq!(info.image_id, "9f1c2e8b6d0a");
        assert_eq!(
            (info.image_repo.as_str(), info.image_tag.as_str()),
            ("localhost/busybox", "test")
        );
        assert_eq!(info.image_digest, "");
        assert!(info.privileged && info.host_network && !info.host_pid && !info.host_ipc);
        assert_eq!(info.labels.len(), 2, "labels longer than label_max_len are dropped");
        assert_eq!(info.mounts[0].render(), "/etc:/host/etc:ro:false:rprivate");
        assert_eq!(info.created_time, 1_795_384_348);
        assert_eq!(info.ty, ContainerType::Podman);
    }

    #[test]
    fn pulled_images_take_repo_and_digest_from_repo_digests() {
        let image: ImageInspect = serde_json::from_str(
            r#"{"RepoTags":["docker.io/library/nginx:1.25","other/nginx:x"],"RepoDigests":["docker.io/library/nginx@sha256:abcd"]}"#,
        )
        .unwrap();
        let info = to_info(Inspect::default(), image, ContainerType::Docker, 100);
        assert_eq!(info.image_repo, "docker.io/library/nginx");
        assert_eq!(info.image_tag, "1.25");
        assert_eq!(info.image_digest, "sha256:abcd");
    }

    #[test]
    fn rfc3339_times() {
        assert_eq!(rfc3339_seconds("1970-01-01T00:00:00Z"), 0);
        assert_eq!(rfc3339_seconds("2000-03-01T12:30:15.5Z"), 951_913_815);
        assert_eq!(rfc3339_seconds("yesterday"), 0);
    }
}
