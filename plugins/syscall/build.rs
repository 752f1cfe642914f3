//! Generates the syscall event table (`$OUT_DIR/event_table.rs`) from `event_table.tsv`,
//! a copy of `reference/event_table.tsv` (libs driver `event_table.c`, 454 event types).
//!
//! The tsv is checked in beside this script so the crate builds without the shared reference
//! folder; a unit test checks that the copy matches the reference when the reference exists.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

const TABLE_FILE: &str = "event_table.tsv";
/// ppm_sc codes → syscall names (the generic event's `ID` parameter).
const PPM_SC_FILE: &str = "ppm_sc.tsv";
const COLUMNS: usize = 8;

fn main() {
    println!("cargo:rerun-if-changed={TABLE_FILE}");
    println!("cargo:rerun-if-changed=build.rs");
    let text = std::fs::read_to_string(TABLE_FILE)
        .unwrap_or_else(|e| fail(&format!("cannot read {TABLE_FILE}: {e}; it must sit beside build.rs")));
    let out = generate(&text).unwrap_or_else(|e| fail(&e));
    let dest =
        PathBuf::from(std::env::var("OUT_DIR").unwrap_or_else(|_| fail("OUT_DIR is not set"))).join("event_table.rs");
    std::fs::write(&dest, out).unwrap_or_else(|e| fail(&format!("cannot write {}: {e}", dest.display())));

    println!("cargo:rerun-if-changed={PPM_SC_FILE}");
    let text = std::fs::read_to_string(PPM_SC_FILE)
        .unwrap_or_else(|e| fail(&format!("cannot read {PPM_SC_FILE}: {e}; it must sit beside build.rs")));
    let out = generate_ppm_sc(&text).unwrap_or_else(|e| fail(&e));
    let dest = dest.with_file_name("ppm_sc.rs");
    std::fs::write(&dest, out).unwrap_or_else(|e| fail(&format!("cannot write {}: {e}", dest.display())));

    compile_bpf(&dest.with_file_name(BPF_OBJECT));
}

/// The eBPF programs of the live source, C compiled by clang.
const BPF_SOURCE: &str = "bpf/saker.bpf.c";
const BPF_HEADERS: [&str; 2] = ["bpf/records.h", "bpf/kernel_types.h"];
/// The object `src/live/bpf.rs` embeds; empty when the build has no clang.
const BPF_OBJECT: &str = "saker.bpf.o";
/// libbpf's BPF-side headers (bpf_helpers.h …), from Debian's libbpf-dev.
const LIBBPF_HELPERS: &str = "/usr/include/bpf/bpf_helpers.h";

/// Compiles `bpf/saker.bpf.c` into `out`. Without clang or libbpf's headers the object is left
/// empty and the build goes on: opening the live source then fails with what to install.
fn compile_bpf(out: &std::path::Path) {
    println!("cargo:rerun-if-changed={BPF_SOURCE}");
    for h in BPF_HEADERS {
        println!("cargo:rerun-if-changed={h}");
    }
    println!("cargo:rerun-if-env-changed=SAKER_CLANG");
    let clang = std::env::var("SAKER_CLANG").unwrap_or_else(|_| "clang".to_string());
    let missing = if std::process::Command::new(&clang).arg("--version").output().is_err() {
        Some(format!("`{clang}` was not found"))
    } else if !std::path::Path::new(LIBBPF_HELPERS).exists() {
        Some(format!("{LIBBPF_HELPERS} was not found"))
    } else {
        None
    };
    if let Some(why) = missing {
        println!(
            "cargo:warning=building without the live eBPF programs: {why}; install clang and libbpf-dev \
             (apt install clang libbpf-dev) and rebuild to get live capture"
        );
        std::fs::write(out, b"").unwrap_or_else(|e| fail(&format!("cannot write {}: {e}", out.display())));
        return;
    }
    // x86_64 kernel structures; asm/ headers of the host's multiarch include directory.
    let status = std::process::Command::new(&clang)
        .args(["-target", "bpf", "-O2", "-g", "-Wall", "-D__TARGET_ARCH_x86"])
        .args(["-I/usr/include/x86_64-linux-gnu", "-Ibpf", "-c", BPF_SOURCE, "-o"])
        .arg(out)
        .status()
        .unwrap_or_else(|e| fail(&format!("cannot run {clang}: {e}")));
    if !status.success() {
        fail(&format!("{clang} failed to compile {BPF_SOURCE} ({status})"));
    }
}

/// `ppm_sc.tsv` (code, name) → a sorted `(code, name)` slice.
fn generate_ppm_sc(text: &str) -> Result<String, String> {
    let mut out = String::from(
        "/// `(ppm_sc code, syscall name)`, sorted by code.\npub static PPM_SC_NAMES: &[(u16, &str)] = &[\n",
    );
    let mut last: Option<u16> = None;
    for (i, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let (code, name) = line
            .split_once('\t')
            .ok_or_else(|| format!("{PPM_SC_FILE}:{}: expected `code<TAB>name`, found {line:?}", i + 1))?;
        let code: u16 = code
            .parse()
            .map_err(|_| format!("{PPM_SC_FILE}:{}: code {code:?} is not a u16", i + 1))?;
        if last.is_some_and(|l| l >= code) {
            return Err(format!(
                "{PPM_SC_FILE}:{}: codes must increase, {code} follows {last:?}",
                i + 1
            ));
        }
        if !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(format!(
                "{PPM_SC_FILE}:{}: name {name:?} is not a lowercase identifier",
                i + 1
            ));
        }
        last = Some(code);
        let _ = writeln!(out, "    ({code}, {name:?}),");
    }
    out.push_str("];\n");
    Ok(out)
}

fn fail(msg: &str) -> ! {
    eprintln!("error: {msg}");
    std::process::exit(1);
}

/// `PT_FSPATH` → `FsPath`-style variant names of `ParamType`.
fn param_type_variant(pt: &str) -> Option<&'static str> {
    Some(match pt {
        "PT_NONE" => "None",
        "PT_INT8" => "Int8",
        "PT_INT16" => "Int16",
        "PT_INT32" => "Int32",
        "PT_INT64" => "Int64",
        "PT_UINT8" => "Uint8",
        "PT_UINT16" => "Uint16",
        "PT_UINT32" => "Uint32",
        "PT_UINT64" => "Uint64",
        "PT_CHARBUF" => "CharBuf",
        "PT_BYTEBUF" => "ByteBuf",
        "PT_ERRNO" => "Errno",
        "PT_SOCKADDR" => "SockAddr",
        "PT_SOCKTUPLE" => "SockTuple",
        "PT_FD" => "Fd",
        "PT_PID" => "Pid",
        "PT_FDLIST" => "FdList",
        "PT_FSPATH" => "FsPath",
        "PT_SYSCALLID" => "SyscallId",
        "PT_SIGTYPE" => "SigType",
        "PT_RELTIME" => "RelTime",
        "PT_ABSTIME" => "AbsTime",
        "PT_PORT" => "Port",
        "PT_L4PROTO" => "L4Proto",
        "PT_SOCKFAMILY" => "SockFamily",
        "PT_BOOL" => "Bool",
        "PT_IPV4ADDR" => "Ipv4Addr",
        "PT_DYN" => "Dyn",
        "PT_FLAGS8" => "Flags8",
        "PT_FLAGS16" => "Flags16",
        "PT_FLAGS32" => "Flags32",
        "PT_UID" => "Uid",
        "PT_GID" => "Gid",
        "PT_DOUBLE" => "Double",
        "PT_SIGSET" => "SigSet",
        "PT_CHARBUFARRAY" => "CharBufArray",
        "PT_CHARBUF_PAIR_ARRAY" => "CharBufPairArray",
        "PT_IPV4NET" => "Ipv4Net",
        "PT_IPV6ADDR" => "Ipv6Addr",
        "PT_IPV6NET" => "Ipv6Net",
        "PT_IPADDR" => "IpAddr",
        "PT_IPNET" => "IpNet",
        "PT_MODE" => "Mode",
        "PT_FSRELPATH" => "FsRelPath",
        "PT_ENUMFLAGS8" => "EnumFlags8",
        "PT_ENUMFLAGS16" => "EnumFlags16",
        "PT_ENUMFLAGS32" => "EnumFlags32",
        "PT_FD32" => "Fd32",
        "PT_PID32" => "Pid32",
        _ => return None,
    })
}

fn category_class(token: &str) -> Option<&'static str> {
    Some(match token {
        "EC_UNKNOWN" => "Unknown",
        "EC_OTHER" => "Other",
        "EC_FILE" => "File",
        "EC_NET" => "Net",
        "EC_IPC" => "Ipc",
        "EC_MEMORY" => "Memory",
        "EC_PROCESS" => "Process",
        "EC_SLEEP" => "Sleep",
        "EC_SYSTEM" => "System",
        "EC_SIGNAL" => "Signal",
        "EC_USER" => "User",
        "EC_TIME" => "Time",
        "EC_IO_READ" => "IoRead",
        "EC_IO_WRITE" => "IoWrite",
        "EC_IO_OTHER" => "IoOther",
        "EC_WAIT" => "Wait",
        "EC_SCHEDULER" => "Scheduler",
        "EC_INTERNAL" => "Internal",
        _ => return None,
    })
}

fn category_origin(token: &str) -> Option<&'static str> {
    Some(match token {
        "EC_SYSCALL" => "Syscall",
        "EC_TRACEPOINT" => "Tracepoint",
        "EC_PLUGIN" => "Plugin",
        "EC_METAEVENT" => "MetaEvent",
        "EC_ITER" => "Iterator",
        _ => return None,
    })
}

fn event_flag_const(token: &str) -> Option<&'static str> {
    Some(match token {
        "EF_CREATES_FD" => "EventFlags::CREATES_FD",
        "EF_DESTROYS_FD" => "EventFlags::DESTROYS_FD",
        "EF_USES_FD" => "EventFlags::USES_FD",
        "EF_READS_FROM_FD" => "EventFlags::READS_FROM_FD",
        "EF_WRITES_TO_FD" => "EventFlags::WRITES_TO_FD",
        "EF_MODIFIES_STATE" => "EventFlags::MODIFIES_STATE",
        "EF_UNUSED" => "EventFlags::UNUSED",
        "EF_WAITS" => "EventFlags::WAITS",
        "EF_SKIPPARSERESET" => "EventFlags::SKIP_PARSE_RESET",
        "EF_OLD_VERSION" => "EventFlags::OLD_VERSION",
        "EF_LARGE_PAYLOAD" => "EventFlags::LARGE_PAYLOAD",
        "EF_CONVERTER_MANAGED" => "EventFlags::CONVERTER_MANAGED",
        _ => return None,
    })
}

fn generate(text: &str) -> Result<String, String> {
    let mut out = String::from("// @generated by build.rs from event_table.tsv; do not edit.\n\n");
    out.push_str("pub(crate) static EVENT_TABLE: &[EventInfo] = &[\n");
    let mut names: BTreeMap<String, Vec<u16>> = BTreeMap::new();
    let mut expected_code = 0u32;
    for (i, line) in text.lines().enumerate() {
        let lineno = i + 1;
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let at = |what: &str| format!("{TABLE_FILE}:{lineno}: {what}");
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() != COLUMNS {
            return Err(at(&format!(
                "expected {COLUMNS} tab-separated columns, found {}",
                cols.len()
            )));
        }
        let code: u32 = cols[0]
            .parse()
            .map_err(|_| at(&format!("code {:?} is not a number", cols[0])))?;
        if code != expected_code {
            return Err(at(&format!(
                "codes must be contiguous: expected {expected_code}, found {code}"
            )));
        }
        expected_code += 1;
        let (enum_name, name) = (cols[1], cols[2]);
        let direction = match cols[3] {
            "E" => "Direction::Enter",
            "X" => "Direction::Exit",
            d => return Err(at(&format!("direction must be E or X, found {d:?}"))),
        };
        let mut class = "Unknown";
        let mut origin = "None";
        for tok in cols[4].split('|').map(str::trim) {
            if let Some(c) = category_class(tok) {
                class = c;
            } else if let Some(o) = category_origin(tok) {
                origin = o;
            } else {
                return Err(at(&format!("unknown category token {tok:?}")));
            }
        }
        let mut flags = Vec::new();
        for tok in cols[5].split('|').map(str::trim) {
            if tok == "EF_NONE" || tok.is_empty() {
                continue;
            }
            flags.push(event_flag_const(tok).ok_or_else(|| at(&format!("unknown event flag {tok:?}")))?);
        }
        let nparams: usize = cols[6]
            .parse()
            .map_err(|_| at(&format!("nparams {:?} is not a number", cols[6])))?;
        let mut params = String::new();
        let specs: Vec<&str> = cols[7].split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
        if specs.len() != nparams {
            return Err(at(&format!(
                "nparams says {nparams} but {} params are listed",
                specs.len()
            )));
        }
        for spec in specs {
            let (pname, ptype) = spec
                .split_once(':')
                .ok_or_else(|| at(&format!("param {spec:?} is not name:PT_TYPE")))?;
            let variant = param_type_variant(ptype).ok_or_else(|| at(&format!("unknown param type {ptype:?}")))?;
            let _ = write!(
                params,
                "ParamInfo {{ name: {pname:?}, param_type: ParamType::{variant} }}, "
            );
        }
        let flags_expr = if flags.is_empty() {
            "EventFlags::NONE".to_string()
        } else {
            format!(
                "EventFlags({})",
                flags.iter().map(|f| format!("{f}.0")).collect::<Vec<_>>().join(" | ")
            )
        };
        let _ = writeln!(
            out,
            "    EventInfo {{ code: {code}, enum_name: {enum_name:?}, name: {name:?}, direction: {direction}, \
             category: Category {{ class: CategoryClass::{class}, origin: CategoryOrigin::{origin} }}, \
             flags: {flags_expr}, params: &[{params}] }},"
        );
        if !cols[5].contains("EF_UNUSED") {
            names.entry(name.to_string()).or_default().push(code as u16);
        }
    }
    out.push_str("];\n\n");
    out.push_str("/// Event names (EF_UNUSED excluded) sorted for binary search, with every code of the name.\n");
    out.push_str("pub(crate) static NAME_INDEX: &[(&str, &[u16])] = &[\n");
    for (name, codes) in &names {
        let _ = writeln!(out, "    ({name:?}, &{codes:?}),");
    }
    out.push_str("];\n");
    Ok(out)
}
