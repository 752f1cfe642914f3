//! Boundary cost measurement (not a timed assertion): run with
//! `cargo test -p saker-example-plugin --release --test throughput -- --ignored --nocapture`.

#[path = "../../../../plugin-api/tests/support/mod.rs"]
mod support;

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use plugin_api::ffi::*;
use support::LoadedPlugin;

/// CPU seconds (user + system) used by this thread so far: the machine may be shared, so
/// wall time alone overstates the cost. Resolution: one clock tick (10 ms).
fn thread_cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    // Fields after the ")" of the command name; utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 =
        f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0) + f.get(12).and_then(|v| v.parse().ok()).unwrap_or(0);
    ticks as f64 / 100.0
}

/// Events pulled through next_batch for the events/s figure.
const MEASURED_EVENTS: u64 = 20_000_000;
/// Extract calls per measured field.
const MEASURED_EXTRACTS: u32 = 5_000_000;
/// Divides both counts, e.g. to profile under valgrind (`SAKER_THROUGHPUT_DIVISOR=100`).
const DIVISOR_ENV: &str = "SAKER_THROUGHPUT_DIVISOR";

fn measured_events() -> u64 {
    MEASURED_EVENTS / divisor()
}
fn measured_extracts() -> u32 {
    (MEASURED_EXTRACTS as u64 / divisor()) as u32
}

fn divisor() -> u64 {
    std::env::var(DIVISOR_ENV)
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&d| d > 0)
        .unwrap_or(1)
}

#[test]
#[ignore = "measurement; run in release with --ignored --nocapture"]
fn next_batch_and_extract_cost() {
    let p = LoadedPlugin::load(&support::built_so("libcountgen_rs.so"));
    let (s, _) = p.init("");
    let h = p.open(s, &measured_events().to_string()).unwrap();
    let next: symbols::next_batch = p.sym("plugin_next_batch");
    let mut total = 0u64;
    let mut first = Vec::new();
    let start = Instant::now();
    let cpu0 = thread_cpu_secs();
    loop {
        let mut n = 0u32;
        let mut evts: *mut *mut ss_plugin_event = std::ptr::null_mut();
        // SAFETY: live state and instance, writable outputs.
        let rc = unsafe { next(s, h, &mut n, &mut evts) };
        if first.is_empty() && n > 0 {
            // SAFETY: the first event is valid until the next call.
            first = unsafe { plugin_api::event::EventRef::from_raw(*evts) }
                .unwrap()
                .as_bytes()
                .to_vec();
        }
        total += n as u64;
        if rc != SS_PLUGIN_SUCCESS {
            break;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let cpu = thread_cpu_secs() - cpu0;
    assert_eq!(total, measured_events());
    println!(
        "next_batch: {:.1} M events/s wall, {:.1} M events/s CPU ({total} events, {secs:.3} s wall, {cpu:.2} s CPU)",
        total as f64 / secs / 1e6,
        total as f64 / cpu.max(0.01) / 1e6
    );
    p.close(s, h);

    let rust_ns = extract_cost(&p, s, &first, "countgen_rs");
    p.destroy(s);

    // Baseline in the same run: the same plugin written in plain C.
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("throughput");
    std::fs::create_dir_all(&dir).unwrap();
    let so = dir.join("libcountgen.so");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../..");
    let built = Command::new("cc")
        .args(["-shared", "-fPIC", "-O2", "-std=c11", "-I"])
        .arg(root.join("plugin-api/include"))
        .arg("-o")
        .arg(&so)
        .arg(root.join("examples/plugins/c/countgen.c"))
        .status();
    if !matches!(built, Ok(st) if st.success()) {
        println!("C baseline skipped: cc failed ({built:?})");
        return;
    }
    let c = LoadedPlugin::load(&so);
    let (cs, _) = c.init("");
    let c_ns = extract_cost(&c, cs, &first, "countgen (C)");
    c.destroy(cs);
    for (name, (r, b)) in ["countgen.num", "countgen.str"]
        .iter()
        .zip(rust_ns.iter().zip(c_ns.iter()))
    {
        println!("{name}: Rust SDK / plain C CPU time per field = {:.2}", r / b);
    }
}

/// CPU ns per field of one-field extract calls for countgen.num and countgen.str.
fn extract_cost(p: &LoadedPlugin, s: *mut ss_plugin_t, event: &[u8], label: &str) -> Vec<f64> {
    let mut out = Vec::new();
    let extract: symbols::extract_fields = p.sym("plugin_extract_fields");
    let evt = ss_plugin_event_input {
        evt: event.as_ptr().cast(),
        evtnum: 1,
        evtsrc: c"countgen".as_ptr(),
    };
    for (id, name, ftype) in [
        (0u32, c"countgen.num", FTYPE_UINT64),
        (1, c"countgen.str", FTYPE_STRING),
    ] {
        let mut field = ss_plugin_extract_field {
            res: ss_plugin_extract_field_res {
                u64_: std::ptr::null_mut(),
            },
            res_len: 0,
            field_id: id,
            field: name.as_ptr(),
            arg_key: std::ptr::null(),
            arg_index: u64::MAX,
            arg_present: 0,
            ftype,
            flist: 0,
        };
        let mut reader = ss_plugin_table_reader_vtable_ext::default();
        let input = ss_plugin_field_extract_input {
            owner: std::ptr::null_mut(),
            get_owner_last_error: None,
            num_fields: 1,
            fields: &mut field,
            table_reader: Default::default(),
            table_reader_ext: &mut reader,
            value_offsets: std::ptr::null_mut(),
        };
        let start = Instant::now();
        let cpu0 = thread_cpu_secs();
        for _ in 0..measured_extracts() {
            // SAFETY: valid inputs for the call.
            let rc = unsafe { extract(s, &evt, &input) };
            debug_assert_eq!(rc, SS_PLUGIN_SUCCESS);
        }
        let ns = start.elapsed().as_nanos() as f64 / measured_extracts() as f64;
        let cpu_ns = (thread_cpu_secs() - cpu0) * 1e9 / measured_extracts() as f64;
        // SAFETY: the call above set res for one field.
        let value = unsafe { support::decode(&field) };
        assert_eq!(value.len(), 1);
        println!(
            "{label} extract {}: {ns:.1} ns per field wall, {cpu_ns:.1} ns CPU",
            name.to_str().unwrap()
        );
        out.push(cpu_ns);
    }
    out
}
