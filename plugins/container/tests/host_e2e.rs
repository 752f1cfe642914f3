//! `libsyscall.so` and `libcontainer.so` in Saker's own plugin host, sharing one table
//! registry: the syscall plugin keeps the `threads` table from clone events, the container
//! plugin derives each thread's container from the `cgroups` field, records `container_id`
//! and answers the container fields.

mod support;

use std::ffi::CString;
use std::path::PathBuf;

use plugin_api::event::EventWriter;
use saker::plugins::tables::TableRegistry;
use saker::plugins::{ExtractedValue, ExtractedValues, FieldArg, LoadOptions, Plugin};

const HEX: &str = "3ad7b26ded6d8e7b23da7d48fe889434573036c27ae5a74837233de441c3601e";
const CLONE_20_X: u16 = 223;

/// Builds the cdylibs with the same cargo (integration tests only get the rlib).
fn cdylibs() -> (PathBuf, PathBuf) {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let status = std::process::Command::new(env!("CARGO"))
        .args([
            "build",
            "-j",
            "1",
            "--lib",
            "-p",
            "syscall",
            "-p",
            "container",
            "--manifest-path",
        ])
        .arg(manifest.join("Cargo.toml"))
        .status()
        .expect("cargo runs");
    assert!(status.success(), "building libsyscall.so and libcontainer.so failed");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("../../target"));
    (target.join("debug/libsyscall.so"), target.join("debug/libcontainer.so"))
}

/// The child side of a clone (res 0) of thread `tid` with these cgroups.
fn clone_child(tid: u64, cgroups: &[String], vpid: i64, pidns_init_start_ts: u64) -> Vec<u8> {
    let mut out = Vec::new();
    let mut w = EventWriter::begin(&mut out, 1_000_000_000_000, tid, CLONE_20_X, 21);
    let cg: Vec<u8> = cgroups.iter().flat_map(|c| c.bytes().chain([0])).collect();
    let i64b = |v: i64| v.to_le_bytes().to_vec();
    let params: Vec<Vec<u8>> = vec![
        i64b(0),                     // res
        b"/bin/sleep\0".to_vec(),    // exe
        b"3600\0".to_vec(),          // args
        i64b(tid as i64),            // tid
        i64b(tid as i64),            // pid
        i64b(1),                     // ptid
        b"/\0".to_vec(),             // cwd
        i64b(1024),                  // fdlimit
        0u64.to_le_bytes().to_vec(), // pgft_maj
        0u64.to_le_bytes().to_vec(), // pgft_min
        0u32.to_le_bytes().to_vec(), // vm_size
        0u32.to_le_bytes().to_vec(), // vm_rss
        0u32.to_le_bytes().to_vec(), // vm_swap
        b"sleep\0".to_vec(),         // comm
        cg,                          // cgroups
        0u32.to_le_bytes().to_vec(), // flags
        0u32.to_le_bytes().to_vec(), // uid
        0u32.to_le_bytes().to_vec(), // gid
        i64b(vpid),                  // vtid
        i64b(vpid),                  // vpid
        pidns_init_start_ts.to_le_bytes().to_vec(),
    ];
    for p in &params {
        w.param(p).unwrap();
    }
    w.finish().unwrap();
    out
}

struct Host {
    _tables: std::sync::Arc<TableRegistry>,
    syscall: Plugin,
    container: Plugin,
    evtnum: u64,
    source: CString,
}

impl Host {
    fn new(container_config: &str) -> Host {
        let (syscall_lib, container_lib) = cdylibs();
        let tables = TableRegistry::new();
        let mut syscall = Plugin::load(&syscall_lib, &LoadOptions::default()).unwrap();
        syscall.init("", &tables).unwrap();
        let mut container = Plugin::load(&container_lib, &LoadOptions::default()).unwrap();
        container.init(container_config, &tables).unwrap();
        Host {
            _tables: tables,
            syscall,
            container,
            evtnum: 0,
            source: CString::new("syscall").unwrap(),
        }
    }

    /// Parses the event in both plugins (syscall first, as its state comes first).
    fn feed(&mut self, ev: &[u8]) -> u64 {
        self.evtnum += 1;
        assert!(self.syscall.parse(ev, self.evtnum, &self.source));
        if self
            .container
            .parse_filter()
            .matches(u16::from_le_bytes([ev[20], ev[21]]), "syscall")
        {
            assert!(self.container.parse(ev, self.evtnum, &self.source));
        }
        self.evtnum
    }

    fn field(&self, ev: &[u8], n: u64, name: &str) -> Option<String> {
        let index = self
            .container
            .field_index(name)
            .unwrap_or_else(|| panic!("{name} declared"));
        let mut out = ExtractedValues::new();
        if !self
            .container
            .extract(ev, n, &self.source, index, &FieldArg::None, &mut out)
        {
            return None;
        }
        match out.get(0)? {
            ExtractedValue::Str(s) => Some(String::from_utf8_lossy(s).into_owned()),
            ExtractedValue::U64(v) => Some(v.to_string()),
            other => Some(format!("{other:?}")),
        }
    }
}

const NO_RUNTIMES: &str = r#"{"engines":{"docker":{"enabled":false},"podman":{"enabled":false}}}"#;

#[test]
fn container_id_comes_from_the_threads_cgroups_and_host_threads_are_host() {
    let mut host = Host::new(NO_RUNTIMES);
    let in_container = clone_child(
        4242,
        &[format!("cpuset=/docker/{HEX}"), format!("memory=/docker/{HEX}")],
        1,
        777,
    );
    let n = host.feed(&in_container);
    assert_eq!(
        host.field(&in_container, n, "container.id").as_deref(),
        Some("3ad7b26ded6d")
    );
    // No runtime knows it: metadata fields have no value, start time still does.
    assert_eq!(host.field(&in_container, n, "container.name"), None);
    assert_eq!(
        host.field(&in_container, n, "container.start_ts").as_deref(),
        Some("777")
    );

    let on_host = clone_child(
        4343,
        &["cpuset=/".to_string(), "memory=/user.slice".to_string()],
        4343,
        0,
    );
    let n = host.feed(&on_host);
    assert_eq!(host.field(&on_host, n, "container.id").as_deref(), Some("host"));
    assert_eq!(host.field(&on_host, n, "container.name").as_deref(), Some("host"));
    assert_eq!(host.field(&on_host, n, "container.type").as_deref(), Some("host"));
    assert_eq!(
        host.field(&on_host, n, "container.image.repository").as_deref(),
        Some("")
    );
    assert_eq!(host.field(&on_host, n, "k8s.pod.name"), None);

    // A thread the table does not know: no value at all.
    let mut unknown = in_container.clone();
    unknown[10..18].copy_from_slice(&999_999u64.to_le_bytes());
    assert_eq!(host.field(&unknown, n + 1, "container.id"), None);
}

/// Runs with podman from `scripts/runtimes-up` (see tests/real_runtime.rs); skips, saying why,
/// without it unless `SAKER_RUNTIMES=1`.
#[test]
fn metadata_of_a_real_podman_container() {
    let Some(socket) = support::runtime_socket("metadata_of_a_real_podman_container", "SAKER_PODMAN_SOCKET") else {
        return;
    };
    let socket = socket.display().to_string();
    let name = std::env::var("SAKER_PODMAN_CONTAINER").unwrap_or_else(|_| "demo1".into());
    let full_id = String::from_utf8(
        std::process::Command::new("curl")
            .args([
                "-s",
                "--unix-socket",
                &socket,
                &format!("http://d/containers/{name}/json"),
            ])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let doc: serde_json::Value = serde_json::from_str(&full_id).unwrap();
    let pid = doc["State"]["Pid"].as_u64().unwrap();
    let cgroups: Vec<String> = std::fs::read_to_string(format!("/proc/{pid}/cgroup"))
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once(':').and_then(|(_, rest)| rest.rsplit_once(':')))
        .map(|(s, p)| format!("{s}={p}"))
        .collect();
    let config = serde_json::json!({"engines": {"podman": {"enabled": true, "sockets": [socket]},
        "docker": {"enabled": false}}})
    .to_string();
    let mut host = Host::new(&config);
    let ev = clone_child(pid, &cgroups, 1, 0);
    let n = host.feed(&ev);
    let short = &doc["Id"].as_str().unwrap()[..12];
    assert_eq!(host.field(&ev, n, "container.id").as_deref(), Some(short));
    assert_eq!(host.field(&ev, n, "container.name").as_deref(), Some(name.as_str()));
    assert_eq!(host.field(&ev, n, "container.type").as_deref(), Some("podman"));
    assert_eq!(
        host.field(&ev, n, "container.image").as_deref(),
        Some("localhost/busybox:test")
    );
    assert_eq!(
        host.field(&ev, n, "container.image.repository").as_deref(),
        Some("localhost/busybox")
    );
    assert_eq!(host.field(&ev, n, "container.image.tag").as_deref(), Some("test"));
    assert_eq!(
        host.field(&ev, n, "container.labels").as_deref(),
        Some("app:demo, org.example.test:yes")
    );
}
