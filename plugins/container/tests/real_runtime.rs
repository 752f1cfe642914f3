//! Against a real podman (`scripts/runtimes-up`): the container of a running process is found
//! from its `/proc/<pid>/cgroup` and its metadata from podman's Docker-compatible API.
//!
//! `scripts/test` (as root) starts podman's API service and a container `demo1` (label
//! `app=demo`), loads `/tmp/saker-runtimes/env` and sets `SAKER_RUNTIMES=1`, which makes a
//! missing runtime a failure. Elsewhere the test says why it skips. By hand (any Docker-API
//! socket and a container started with `--label app=demo`):
//! `SAKER_PODMAN_SOCKET=/path/podman.sock SAKER_PODMAN_CONTAINER=demo1 cargo test -p container --test real_runtime`.

mod support;

use std::time::Duration;

use container::runtime::http;
use container::{ContainerConfig, ContainerPlugin, ContainerType};
use plugin_api::sdk::Logger;

#[test]
fn a_running_container_is_identified_and_described() {
    let test = "a_running_container_is_identified_and_described";
    let Some(socket) = support::runtime_socket(test, "SAKER_PODMAN_SOCKET") else {
        return;
    };
    let name = std::env::var("SAKER_PODMAN_CONTAINER").unwrap_or_else(|_| "demo1".into());
    // The container's init pid, from the runtime itself.
    let r = http::get(&socket, &format!("/containers/{name}/json"), Duration::from_secs(2)).unwrap();
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let doc: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    let pid = doc["State"]["Pid"].as_u64().unwrap();
    let full_id = doc["Id"].as_str().unwrap().to_owned();
    // /proc/<pid>/cgroup lines `N:subsys:path` as the syscall plugin's `cgroups` text.
    let proc_cgroup = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap();
    let cgroups: Vec<String> = proc_cgroup
        .lines()
        .filter_map(|l| l.split_once(':').map(|(_, rest)| rest))
        .filter_map(|rest| rest.rsplit_once(':'))
        .map(|(subsys, path)| format!("{subsys}={path}"))
        .collect();

    let config: ContainerConfig = serde_json::from_value(serde_json::json!({
        "engines": {"podman": {"enabled": true, "sockets": [socket]}, "docker": {"enabled": false, "sockets": []}}
    }))
    .unwrap();
    let plugin = ContainerPlugin::with_config(&config, Logger::disconnected()).unwrap();
    let id = plugin.container_of(&cgroups.join("\n"));
    assert_eq!(id, full_id[..12]);
    let info = plugin.info_of(&id).expect("the runtime knows the container");
    assert_eq!(info.name, name);
    assert_eq!(info.full_id, full_id);
    assert_eq!(info.ty, ContainerType::Podman);
    assert_eq!(info.image, "localhost/busybox:test");
    assert_eq!(info.image_repo, "localhost/busybox");
    assert_eq!(info.image_tag, "test");
    assert_eq!(info.labels.get("app").map(String::as_str), Some("demo"));
    // Forgotten, then seen again: the first-sight lookup asks the socket.
    plugin.cache().remove(&id);
    let started = std::time::Instant::now();
    let again = plugin.info_of(&id).expect("looked up again at first sight");
    eprintln!("first-sight lookup took {:?}", started.elapsed());
    assert_eq!(again.name, name);
    assert!(matches!(plugin.cache().state(&id), Some(container::State::Known(_))));
    // An id no runtime knows is absent, not an error.
    assert!(plugin.info_of("0123456789ab").is_none());
    assert!(matches!(
        plugin.cache().state("0123456789ab"),
        Some(container::State::Absent { .. })
    ));
}
