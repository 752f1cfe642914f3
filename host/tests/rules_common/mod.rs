//! Shared by the rules tests: finding the conformance data and building field catalogs from
//! the reference material.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use saker::rules::event_types::EventTypes;
use saker::rules::fields::{catalog_from_libsinsp_tsv, ArgSpec, FieldInfo, FieldType, TableCatalog};

/// `<ancestor>/shared` of the manifest directory, when the shared material is present.
pub fn shared_dir() -> Option<PathBuf> {
    let mut dir = Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf();
    loop {
        let candidate = dir.join("shared");
        if candidate.join("conformance").is_dir() {
            return Some(candidate);
        }
        if !dir.pop() {
            return None;
        }
    }
}

/// Prints why a test is skipped and returns `None` when the shared material is absent.
pub fn shared_or_skip(test: &str) -> Option<PathBuf> {
    let s = shared_dir();
    if s.is_none() {
        eprintln!("{test}: skipped: no `shared/conformance` directory above CARGO_MANIFEST_DIR");
    }
    s
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// Plugin fields listed in a reference markdown table: rows whose first cell names fields in
/// backquotes (`` `ka.user.name` ``), a type cell (`string`, `**bool**`, `uint64`…) and an
/// argument cell (`None`, `Index`, `Key, Required`, `Idx|Key, Req`).
pub fn fields_from_markdown(text: &str, prefixes: &[&str]) -> Vec<FieldInfo> {
    let mut out = Vec::new();
    for line in text.lines() {
        if !line.starts_with('|') {
            continue;
        }
        // `\|` is a pipe inside a cell.
        let line = line.replace("\\|", "/");
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        // Some tables have a leading index column.
        let first = cells
            .iter()
            .position(|c| c.starts_with('`') && prefixes.iter().any(|p| c.trim_matches('`').starts_with(p)));
        let Some(first) = first else {
            continue;
        };
        let Some(ty_cell) = cells.get(first + 1) else {
            continue;
        };
        let ty_name = ty_cell.trim_matches('*').trim_matches('`');
        let Some(ty) = FieldType::from_plugin_type(ty_name) else {
            continue;
        };
        let arg_cell = cells.get(first + 2).copied().unwrap_or("");
        let is_list = cells.get(first + 3).is_some_and(|c| *c == "yes");
        let arg = ArgSpec {
            required: arg_cell.contains("Req"),
            index: arg_cell.contains("Idx") || arg_cell.contains("Index"),
            key: arg_cell.contains("Key"),
            dotted: false,
        };
        // A cell may list several fields: `a`,`b`(Key,Req),…
        let mut rest = cells[first];
        while let Some(start) = rest.find('`') {
            let Some(len) = rest[start + 1..].find('`') else {
                break;
            };
            let name = &rest[start + 1..start + 1 + len];
            rest = &rest[start + len + 2..];
            let keyed = rest.starts_with("(Key");
            if !prefixes.iter().any(|p| name.starts_with(p)) {
                continue;
            }
            let mut info = FieldInfo::new(name, ty, "");
            info.is_list = is_list;
            info.arg = if keyed {
                ArgSpec {
                    required: true,
                    index: false,
                    key: true,
                    dotted: false,
                }
            } else {
                arg
            };
            out.push(info);
        }
    }
    out
}

/// The syscall source's fields: libsinsp's table plus the container plugin's fields (the
/// official rules use `container.*`).
pub fn syscall_catalog(shared: &Path) -> TableCatalog {
    let mut cat = catalog_from_libsinsp_tsv(&read(&shared.join("reference/libsinsp_fields.tsv")))
        .expect("libsinsp_fields.tsv parses");
    let container = read(&shared.join("reference/fields/container.md"));
    for f in fields_from_markdown(&container, &["container.", "proc.is_container", "k8s."]) {
        if cat.lookup(&f.name).is_none() {
            cat.add(f);
        }
    }
    cat
}

/// The `k8s_audit` source's fields: k8saudit's plus json's.
pub fn k8saudit_catalog(shared: &Path) -> TableCatalog {
    let mut cat = TableCatalog::new();
    let k8s = read(&shared.join("reference/fields/k8saudit.md"));
    let json = read(&shared.join("reference/fields/json.md"));
    for f in fields_from_markdown(&k8s, &["ka."])
        .into_iter()
        .chain(fields_from_markdown(&json, &["json.", "jevt."]))
    {
        cat.add(f);
    }
    cat
}

/// Kernel headers listing syscall numbers (`#define __NR_madvise 28`), where present.
const SYSCALL_HEADERS: &[&str] = &[
    "/usr/include/x86_64-linux-gnu/asm/unistd_64.h",
    "/usr/include/aarch64-linux-gnu/asm/unistd.h",
    "/usr/include/asm/unistd_64.h",
];

/// Whether a kernel syscall header is available (see `syscall_event_types`).
pub fn has_syscall_header() -> bool {
    SYSCALL_HEADERS.iter().any(|p| Path::new(p).is_file())
}

/// The syscall source's event types: libscap's event table, plus the syscall names of the
/// kernel headers as generic events (what `evt.type` shows for syscalls without an event).
pub fn syscall_event_types(shared: &Path) -> EventTypes {
    let mut types = EventTypes::from_event_table_tsv(&read(&shared.join("reference/event_table.tsv")))
        .expect("event_table.tsv parses");
    if let Some(header) = SYSCALL_HEADERS.iter().find_map(|p| std::fs::read_to_string(p).ok()) {
        let names: Vec<&str> = header
            .lines()
            .filter_map(|l| l.strip_prefix("#define __NR_")?.split_whitespace().next())
            .collect();
        types.add_generic_syscalls(names);
    } else {
        eprintln!("no kernel syscall header found: syscalls without an event of their own are unknown event types");
    }
    types
}
