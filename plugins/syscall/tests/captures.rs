//! Reading Falco's conformance captures: block and event counts, timestamps, decoded params,
//! and agreement with `sysdig -r` as an independent decoder.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use syscall::event_table::{event_info, ParamType};
use syscall::params::{DecodedEvent, ParamValue};
use syscall::scap::{block, CaptureItem, CaptureReader, FdInfo};

#[derive(Debug, Default)]
struct Summary {
    events: u64,
    by_type: BTreeMap<u16, u64>,
    first_ts: u64,
    last_ts: u64,
    processes: u64,
    fds: u64,
    interfaces: u64,
    users: u64,
    machines: u64,
    hostname: String,
}

fn summarize(path: &Path) -> (Summary, syscall::scap::CaptureStats) {
    let mut r = CaptureReader::open(path).unwrap();
    let mut s = Summary::default();
    while let Some(item) = r.next_item().unwrap() {
        match item {
            CaptureItem::Event(ev) => {
                if s.events == 0 {
                    s.first_ts = ev.event.ts();
                }
                s.last_ts = ev.event.ts();
                s.events += 1;
                *s.by_type.entry(ev.event.event_type()).or_default() += 1;
            }
            CaptureItem::Process(_) => s.processes += 1,
            CaptureItem::Fd(_) => s.fds += 1,
            CaptureItem::Interface(_) => s.interfaces += 1,
            CaptureItem::User(_) => s.users += 1,
            CaptureItem::Machine(m) => {
                s.machines += 1;
                s.hostname = m.hostname;
            }
            CaptureItem::Section(h) => assert_eq!(h.major_version, 1),
        }
    }
    (s, r.stats().clone())
}

fn capture(name: &str) -> Option<std::path::PathBuf> {
    let dir = common::trace_dir();
    if dir.is_none() {
        eprintln!("skipped: no shared/conformance above CARGO_MANIFEST_DIR");
    }
    dir.map(|d| d.join(name))
}

#[test]
fn block_and_event_counts_of_every_capture() {
    // Counted independently (a Python walk over the decompressed blocks):
    // (file, PL block type, FDL blocks, event block type, events, procinfo (234) events, first ts, last ts)
    type Row = (&'static str, u32, u64, u32, u64, u64, u64, u64);
    let expected: &[Row] = &[
        (
            "cat_write.scap",
            block::PROCESS_LIST_V6,
            73,
            block::EVENT,
            345,
            260,
            1470327475999999999,
            1470327478999999999,
        ),
        (
            "connect_localhost.scap",
            block::PROCESS_LIST_V7,
            184,
            block::EVENT,
            374,
            366,
            1522704422999999999,
            1522704423999999999,
        ),
        (
            "empty.scap",
            block::PROCESS_LIST_V9,
            218,
            block::EVENT_V2,
            143,
            143,
            1564595787999999999,
            1564595787999999999,
        ),
        (
            "open-multiple-files.scap",
            block::PROCESS_LIST_V6,
            128,
            block::EVENT,
            1272,
            1183,
            0,
            1486171335999999999,
        ),
        (
            "ping_sendto.scap",
            block::PROCESS_LIST_V9,
            136,
            block::EVENT_V2,
            1526,
            1506,
            1553620426999999999,
            1553620436999999999,
        ),
        (
            "syscall.scap",
            block::PROCESS_LIST_V8,
            229,
            block::EVENT,
            368,
            356,
            1523545099999999999,
            1523545100999999999,
        ),
    ];
    let all = common::captures();
    if all.is_empty() {
        return;
    }
    assert_eq!(all.len(), expected.len(), "captures changed: {all:?}");
    for &(name, pl, fdl, ev_block, events, procinfo, first_ts, last_ts) in expected {
        let (s, stats) = summarize(&capture(name).unwrap());
        assert_eq!(stats.blocks_by_type.get(&pl), Some(&1), "{name}: {stats:?}");
        let fdl_blocks = stats.blocks_by_type.get(&block::FD_LIST).copied().unwrap_or(0)
            + stats.blocks_by_type.get(&block::FD_LIST_V2).copied().unwrap_or(0);
        assert_eq!(fdl_blocks, fdl, "{name}");
        assert_eq!(stats.blocks_by_type.get(&ev_block), Some(&events), "{name}");
        assert_eq!(s.events, events, "{name}");
        assert_eq!(s.by_type.get(&234), Some(&procinfo), "{name}: procinfo count");
        assert_eq!(stats.unknown_blocks, 0);
        assert_eq!(s.machines, 1);
        assert!(s.processes > 0 && s.fds > 0 && s.interfaces > 0, "{name}: {s:?}");
        assert_eq!((s.first_ts, s.last_ts), (first_ts, last_ts), "{name}");
        if ev_block == block::EVENT {
            assert_eq!(
                stats.upgraded_old_events, events,
                "{name}: all events use the old header"
            );
        }
    }
}

#[test]
fn cat_write_decodes_execve_open_and_errno() {
    let Some(path) = capture("cat_write.scap") else { return };
    let mut r = CaptureReader::open(&path).unwrap();
    let mut seen_execve = false;
    let mut opens = Vec::new();
    let mut enoent = 0;
    let mut procexit_ts = 0;
    while let Some(item) = r.next_item().unwrap() {
        let CaptureItem::Event(ev) = item else { continue };
        let d = DecodedEvent::new(ev.event).unwrap();
        match d.info.enum_name {
            "PPME_SYSCALL_EXECVE_16_X" => {
                seen_execve = true;
                assert_eq!(d.param_by_name("exe").unwrap().unwrap(), ParamValue::Str(b"cat"));
                assert_eq!(d.render_param(2).unwrap(), "/dev/null.");
                assert_eq!(d.param_by_name("tid").unwrap().unwrap(), ParamValue::Signed(20072));
                assert_eq!(d.param_by_name("ptid").unwrap().unwrap(), ParamValue::Signed(11310));
            }
            "PPME_PROCEXIT_1_E" => procexit_ts = ev.event.ts(),
            "PPME_SYSCALL_OPEN_X" => {
                if let Ok(ParamValue::Str(name)) = d.param_by_name("name").unwrap() {
                    opens.push(String::from_utf8_lossy(name).into_owned());
                }
            }
            "PPME_SYSCALL_ACCESS_X" if d.render_param(0).unwrap() == "-2(ENOENT)" => enoent += 1,
            _ => {}
        }
    }
    assert!(seen_execve);
    assert_eq!(opens[0], "/etc/ld.so.cache");
    assert_eq!(opens[1], "/lib/x86_64-linux-gnu/libc.so.6");
    assert_eq!(enoent, 3);
    // `sysdig -r cat_write.scap -p %evt.rawtime` on the procexit event.
    assert_eq!(procexit_ts, 1_470_327_477_882_122_308);
}

#[test]
fn metadata_of_new_and_old_captures() {
    let Some(path) = capture("empty.scap") else { return };
    let mut r = CaptureReader::open(&path).unwrap();
    let mut procs = Vec::new();
    let mut file_fds = 0;
    let mut users = 0;
    while let Some(item) = r.next_item().unwrap() {
        match item {
            CaptureItem::Process(p) => procs.push(p),
            CaptureItem::Fd(f) => {
                if matches!(f.info, FdInfo::File { .. }) {
                    file_fds += 1;
                }
            }
            CaptureItem::User(_) => users += 1,
            _ => {}
        }
    }
    assert!(users > 0);
    let init = procs.iter().find(|p| p.tid == 1).expect("pid 1 in the process list");
    assert_eq!(init.pid, 1);
    assert!(!init.comm.is_empty());
    assert!(procs.iter().all(|p| p.pid != 0 && p.vtid != 0));
    assert!(file_fds > 0);
}

fn sysdig_available() -> bool {
    Command::new("sysdig")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Whether our rendering of this parameter can be compared with sysdig's without thread/fd
/// state and without depending on the event-table version sysdig was built with.
fn comparable(pt: ParamType, v: &ParamValue<'_>) -> bool {
    !matches!(v, ParamValue::Empty)
        && !matches!(
            pt,
            ParamType::Fd | ParamType::Pid | ParamType::Uid | ParamType::Gid | ParamType::FdList | ParamType::Dyn
        )
}

#[test]
fn agrees_with_sysdig_on_numbers_types_and_args() {
    if !sysdig_available() {
        eprintln!("skipped: `sysdig` is not installed (apt-get install --no-install-recommends sysdig)");
        return;
    }
    let mut compared_args = 0;
    for path in common::captures() {
        let out = Command::new("sysdig")
            .arg("-r")
            .arg(&path)
            .args(["-p", "%evt.num %evt.type %evt.args"])
            .output()
            .unwrap();
        assert!(out.status.success(), "sysdig failed on {}", path.display());
        let text = String::from_utf8_lossy(&out.stdout);
        let mut lines: BTreeMap<u64, (String, String)> = BTreeMap::new();
        for line in text.lines() {
            let mut it = line.splitn(3, ' ');
            let num: u64 = it.next().unwrap().parse().unwrap();
            let ty = it.next().unwrap_or("").to_string();
            lines.insert(num, (ty, it.next().unwrap_or("").to_string()));
        }
        let mut r = CaptureReader::open(&path).unwrap();
        let mut num = 0u64;
        let mut matched_lines = 0;
        while let Some(item) = r.next_item().unwrap() {
            let CaptureItem::Event(ev) = item else { continue };
            num += 1;
            let Some((ty, args)) = lines.get(&num) else { continue };
            matched_lines += 1;
            let d = DecodedEvent::new(ev.event).unwrap();
            // Generic events are named after their syscall id (needs the ppm_sc name table) and
            // sysdig prints no args for them.
            if d.info.code <= 1 {
                continue;
            }
            let ours = if d.info.name == "schedswitch" {
                "switch"
            } else {
                d.info.name
            };
            assert_eq!(ty, ours, "{} event {num}", path.display());
            for i in 0..d.event.nparams() as usize {
                let Some(p) = event_info(d.info.code).unwrap().params.get(i) else {
                    continue;
                };
                let v = d.param(i).unwrap().unwrap();
                if !comparable(p.param_type, &v) {
                    continue;
                }
                let rendered = format!("{}={}", p.name, d.render_param(i).unwrap());
                assert!(
                    args.contains(&rendered),
                    "{} event {num} ({}): ours {rendered:?} not in sysdig's {args:?}",
                    path.display(),
                    d.info.enum_name
                );
                compared_args += 1;
            }
        }
        assert_eq!(
            matched_lines,
            lines.len(),
            "{}: every sysdig event has our counterpart",
            path.display()
        );
    }
    if !common::captures().is_empty() {
        assert!(compared_args > 300, "only {compared_args} args compared");
    }
}

#[test]
fn old_captures_upgrade_to_the_current_model() {
    use syscall::convert::{Converted, EventConverter};
    use syscall::event_table::EventFlags;
    let mut upgraded_total = 0;
    for path in common::captures() {
        let mut r = CaptureReader::open(&path).unwrap();
        let mut c = EventConverter::new();
        let mut read_exits = Vec::new();
        while let Some(item) = r.next_item().unwrap() {
            let CaptureItem::Event(ev) = item else { continue };
            let out = match c.convert(ev.event).unwrap() {
                Converted::Pass(e) | Converted::Upgraded(e) => e,
                Converted::Dropped => continue,
            };
            let info = event_info(out.event_type()).unwrap();
            assert!(!info.flags.contains(EventFlags::UNUSED));
            if info.code != 228 {
                assert!(
                    !info.flags.contains(EventFlags::OLD_VERSION),
                    "{}: {} survived conversion",
                    path.display(),
                    info.enum_name
                );
                assert_eq!(
                    out.nparams() as usize,
                    info.params.len(),
                    "{}: {}",
                    path.display(),
                    info.enum_name
                );
            }
            if info.enum_name == "PPME_SYSCALL_READ_X" {
                read_exits.push(DecodedEvent::new(out).unwrap().render_args());
            }
        }
        if path.ends_with("cat_write.scap") {
            // `sysdig` shows the first read as `read > fd=3 size=832` + `read < res=832 data=...`;
            // after conversion the exit carries fd and size itself.
            assert!(read_exits[0].starts_with("res=832 data=.ELF"), "{}", read_exits[0]);
            assert!(read_exits[0].ends_with(" fd=3 size=832"), "{}", read_exits[0]);
        }
        upgraded_total += c.stats().upgraded;
    }
    if !common::captures().is_empty() {
        assert!(upgraded_total > 50, "{upgraded_total}");
    }
}

#[test]
fn interfaces_and_users_of_an_old_capture() {
    use syscall::scap::{Interface, UserListEntry};
    let Some(path) = capture("cat_write.scap") else { return };
    let mut r = CaptureReader::open(&path).unwrap();
    let mut ifs = Vec::new();
    let mut users = Vec::new();
    while let Some(item) = r.next_item().unwrap() {
        match item {
            CaptureItem::Interface(i) => ifs.push(i),
            CaptureItem::User(u) => users.push(u),
            CaptureItem::Event(_) => break,
            _ => {}
        }
    }
    assert!(
        ifs.iter()
            .any(|i| matches!(i, Interface::V4 { addr: [127, 0, 0, 1], name, .. } if name == "lo")),
        "{ifs:?}"
    );
    assert!(
        users
            .iter()
            .any(|u| matches!(u, UserListEntry::User { uid: 0, name, home, .. } if name == "root" && home == "/root")),
        "{users:?}"
    );
    assert!(users
        .iter()
        .any(|u| matches!(u, UserListEntry::Group { gid: 0, name } if name == "root")));
}
