//! Compiles a C program against `include/plugin_api.h` that prints the size and member
//! offsets of every ABI struct and the value of every constant, and compares them with the
//! Rust definitions in `plugin_api::ffi`.

use std::collections::HashMap;
use std::mem::{offset_of, size_of};
use std::path::PathBuf;
use std::process::Command;

use plugin_api::ffi::*;

type Layout = Vec<(&'static str, usize, Vec<(&'static str, usize)>)>;

macro_rules! layouts {
    ($($cty:literal => $rty:ty { $($member:ident),* $(,)? }),* $(,)?) => {
        vec![$( ($cty, size_of::<$rty>(), vec![$( (stringify!($member), offset_of!($rty, $member)) ),*]) ),*]
    };
}

fn layouts() -> Layout {
    let mut l: Layout = layouts![
        "ss_plugin_event_input" => ss_plugin_event_input { evt, evtnum, evtsrc },
        "ss_plugin_byte_buffer" => ss_plugin_byte_buffer { len, ptr },
        "ss_plugin_extract_value_offsets" => ss_plugin_extract_value_offsets { start, length },
        "ss_plugin_extract_field" => ss_plugin_extract_field {
            res, res_len, field_id, field, arg_key, arg_index, arg_present, ftype, flist
        },
        "ss_plugin_field_extract_input" => ss_plugin_field_extract_input {
            owner, get_owner_last_error, num_fields, fields, table_reader, table_reader_ext, value_offsets
        },
        "ss_plugin_event_parse_input" => ss_plugin_event_parse_input {
            owner, get_owner_last_error, table_reader, table_writer, table_reader_ext, table_writer_ext
        },
        "ss_plugin_init_input" => ss_plugin_init_input { config, owner, get_owner_last_error, tables, log_fn },
        "ss_plugin_init_tables_input" => ss_plugin_init_tables_input {
            list_tables, get_table, add_table, fields, fields_ext, reader_ext, writer_ext
        },
        "ss_plugin_table_input" => ss_plugin_table_input {
            name, key_type, table, reader, writer, fields, reader_ext, writer_ext, fields_ext
        },
        "ss_plugin_table_fields_vtable" => ss_plugin_table_fields_vtable {
            list_table_fields, get_table_field, add_table_field
        },
        "ss_plugin_table_fields_vtable_ext" => ss_plugin_table_fields_vtable_ext {
            list_table_fields, get_table_field, add_table_field
        },
        "ss_plugin_table_reader_vtable" => ss_plugin_table_reader_vtable {
            get_table_name, get_table_size, get_table_entry, read_entry_field
        },
        "ss_plugin_table_reader_vtable_ext" => ss_plugin_table_reader_vtable_ext {
            get_table_name, get_table_size, get_table_entry, read_entry_field, release_table_entry, iterate_entries
        },
        "ss_plugin_table_writer_vtable" => ss_plugin_table_writer_vtable {
            clear_table, erase_table_entry, create_table_entry, destroy_table_entry, add_table_entry, write_entry_field
        },
        "ss_plugin_table_writer_vtable_ext" => ss_plugin_table_writer_vtable_ext {
            clear_table, erase_table_entry, create_table_entry, destroy_table_entry, add_table_entry, write_entry_field
        },
        "ss_plugin_table_info" => ss_plugin_table_info { name, key_type },
        "ss_plugin_table_fieldinfo" => ss_plugin_table_fieldinfo { name, field_type, read_only },
        "ss_plugin_metric" => ss_plugin_metric { name, value, value_type },
        "ss_plugin_capture_listen_input" => ss_plugin_capture_listen_input {
            owner, routine, table_reader_ext, table_writer_ext, get_owner_last_error
        },
        "ss_plugin_routine_vtable" => ss_plugin_routine_vtable { subscribe, unsubscribe },
        "ss_plugin_set_config_input" => ss_plugin_set_config_input { config },
        "ss_plugin_state_data" => ss_plugin_state_data { s8, s64, str_, table, b },
        "ss_plugin_metric_value" => ss_plugin_metric_value { u32_, d, f, i },
    ];
    // Members whose Rust names differ from C (keywords / reserved words).
    l.push((
        "ss_plugin_event",
        size_of::<ss_plugin_event>(),
        vec![
            ("ts", offset_of!(ss_plugin_event, ts)),
            ("tid", offset_of!(ss_plugin_event, tid)),
            ("len", offset_of!(ss_plugin_event, len)),
            ("type", offset_of!(ss_plugin_event, type_)),
            ("nparams", offset_of!(ss_plugin_event, nparams)),
        ],
    ));
    l.push((
        "ss_plugin_metric",
        size_of::<ss_plugin_metric>(),
        vec![("type", offset_of!(ss_plugin_metric, type_))],
    ));
    l
}

/// C spelling of a Rust member name.
fn c_member(m: &str) -> &str {
    match m {
        "str_" => "str",
        "u32_" => "u32",
        "u64_" => "u64",
        "type_" => "type",
        other => other,
    }
}

fn constants() -> Vec<(&'static str, i64)> {
    vec![
        ("SS_PLUGIN_SUCCESS", SS_PLUGIN_SUCCESS as i64),
        ("SS_PLUGIN_FAILURE", SS_PLUGIN_FAILURE as i64),
        ("SS_PLUGIN_TIMEOUT", SS_PLUGIN_TIMEOUT as i64),
        ("SS_PLUGIN_EOF", SS_PLUGIN_EOF as i64),
        ("SS_PLUGIN_NOT_SUPPORTED", SS_PLUGIN_NOT_SUPPORTED as i64),
        ("FTYPE_UINT64", FTYPE_UINT64 as i64),
        ("FTYPE_STRING", FTYPE_STRING as i64),
        ("FTYPE_RELTIME", FTYPE_RELTIME as i64),
        ("FTYPE_ABSTIME", FTYPE_ABSTIME as i64),
        ("FTYPE_BOOL", FTYPE_BOOL as i64),
        ("FTYPE_IPADDR", FTYPE_IPADDR as i64),
        ("FTYPE_IPNET", FTYPE_IPNET as i64),
        ("SS_PLUGIN_ST_INT8", SS_PLUGIN_ST_INT8 as i64),
        ("SS_PLUGIN_ST_INT16", SS_PLUGIN_ST_INT16 as i64),
        ("SS_PLUGIN_ST_INT32", SS_PLUGIN_ST_INT32 as i64),
        ("SS_PLUGIN_ST_INT64", SS_PLUGIN_ST_INT64 as i64),
        ("SS_PLUGIN_ST_UINT8", SS_PLUGIN_ST_UINT8 as i64),
        ("SS_PLUGIN_ST_UINT16", SS_PLUGIN_ST_UINT16 as i64),
        ("SS_PLUGIN_ST_UINT32", SS_PLUGIN_ST_UINT32 as i64),
        ("SS_PLUGIN_ST_UINT64", SS_PLUGIN_ST_UINT64 as i64),
        ("SS_PLUGIN_ST_STRING", SS_PLUGIN_ST_STRING as i64),
        ("SS_PLUGIN_ST_TABLE", SS_PLUGIN_ST_TABLE as i64),
        ("SS_PLUGIN_ST_BOOL", SS_PLUGIN_ST_BOOL as i64),
        ("SS_PLUGIN_LOG_SEV_FATAL", SS_PLUGIN_LOG_SEV_FATAL as i64),
        ("SS_PLUGIN_LOG_SEV_CRITICAL", SS_PLUGIN_LOG_SEV_CRITICAL as i64),
        ("SS_PLUGIN_LOG_SEV_ERROR", SS_PLUGIN_LOG_SEV_ERROR as i64),
        ("SS_PLUGIN_LOG_SEV_WARNING", SS_PLUGIN_LOG_SEV_WARNING as i64),
        ("SS_PLUGIN_LOG_SEV_NOTICE", SS_PLUGIN_LOG_SEV_NOTICE as i64),
        ("SS_PLUGIN_LOG_SEV_INFO", SS_PLUGIN_LOG_SEV_INFO as i64),
        ("SS_PLUGIN_LOG_SEV_DEBUG", SS_PLUGIN_LOG_SEV_DEBUG as i64),
        ("SS_PLUGIN_LOG_SEV_TRACE", SS_PLUGIN_LOG_SEV_TRACE as i64),
        (
            "SS_PLUGIN_METRIC_TYPE_MONOTONIC",
            SS_PLUGIN_METRIC_TYPE_MONOTONIC as i64,
        ),
        (
            "SS_PLUGIN_METRIC_TYPE_NON_MONOTONIC",
            SS_PLUGIN_METRIC_TYPE_NON_MONOTONIC as i64,
        ),
        (
            "SS_PLUGIN_METRIC_VALUE_TYPE_U32",
            SS_PLUGIN_METRIC_VALUE_TYPE_U32 as i64,
        ),
        (
            "SS_PLUGIN_METRIC_VALUE_TYPE_S32",
            SS_PLUGIN_METRIC_VALUE_TYPE_S32 as i64,
        ),
        (
            "SS_PLUGIN_METRIC_VALUE_TYPE_U64",
            SS_PLUGIN_METRIC_VALUE_TYPE_U64 as i64,
        ),
        (
            "SS_PLUGIN_METRIC_VALUE_TYPE_S64",
            SS_PLUGIN_METRIC_VALUE_TYPE_S64 as i64,
        ),
        ("SS_PLUGIN_METRIC_VALUE_TYPE_D", SS_PLUGIN_METRIC_VALUE_TYPE_D as i64),
        ("SS_PLUGIN_METRIC_VALUE_TYPE_F", SS_PLUGIN_METRIC_VALUE_TYPE_F as i64),
        ("SS_PLUGIN_METRIC_VALUE_TYPE_I", SS_PLUGIN_METRIC_VALUE_TYPE_I as i64),
        ("SS_PLUGIN_SCHEMA_NONE", SS_PLUGIN_SCHEMA_NONE as i64),
        ("SS_PLUGIN_SCHEMA_JSON", SS_PLUGIN_SCHEMA_JSON as i64),
        ("PLUGIN_MAX_ERRLEN", PLUGIN_MAX_ERRLEN as i64),
        ("PLUGIN_EVENT_PAYLOAD_OFFSET", PLUGIN_EVENT_PAYLOAD_OFFSET as i64),
        ("PLUGIN_API_VERSION_MAJOR", PLUGIN_API_VERSION_MAJOR as i64),
        ("PLUGIN_API_VERSION_MINOR", PLUGIN_API_VERSION_MINOR as i64),
        ("PLUGIN_API_VERSION_PATCH", PLUGIN_API_VERSION_PATCH as i64),
        ("sizeof(ss_plugin_rc)", 4),
        ("sizeof(ss_plugin_field_type)", 4),
        ("sizeof(ss_plugin_state_type)", 4),
        ("sizeof(ss_plugin_bool)", size_of::<ss_plugin_bool>() as i64),
    ]
}

fn include_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("include")
}

#[test]
fn c_header_matches_rust_layouts_and_constants() {
    let mut c = String::from(
        "#define SAKER_PLUGIN_PROTOTYPES\n#include <stdio.h>\n#include <stddef.h>\n#include <plugin_api.h>\nint main(void) {\n",
    );
    for (ty, _, members) in layouts() {
        c += &format!("  printf(\"{ty} %zu\\n\", sizeof({ty}));\n");
        for (m, _) in members {
            let cm = c_member(m);
            c += &format!("  printf(\"{ty}.{cm} %zu\\n\", offsetof({ty}, {cm}));\n");
        }
    }
    for (name, _) in constants() {
        c += &format!("  printf(\"{name} %lld\\n\", (long long)({name}));\n");
    }
    c += "  printf(\"PLUGIN_API_VERSION_STR %s\\n\", PLUGIN_API_VERSION_STR);\n  return 0;\n}\n";

    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("c_header");
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("layout.c");
    let exe = dir.join("layout");
    std::fs::write(&src, &c).unwrap();
    let out = Command::new("cc")
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-I"])
        .arg(include_dir())
        .arg(&src)
        .arg("-o")
        .arg(&exe)
        .output()
        .expect("`cc` not found: install a C compiler (apt-get install gcc)");
    assert!(
        out.status.success(),
        "C compile failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let run = Command::new(&exe).output().unwrap();
    assert!(run.status.success());
    let text = String::from_utf8(run.stdout).unwrap();
    let got: HashMap<&str, &str> = text.lines().filter_map(|l| l.rsplit_once(' ')).collect();

    let mut checked = 0;
    for (ty, size, members) in layouts() {
        assert_eq!(got[ty], size.to_string(), "sizeof({ty}): C vs Rust");
        for (m, off) in members {
            let key = format!("{ty}.{}", c_member(m));
            assert_eq!(
                got[key.as_str()],
                off.to_string(),
                "offsetof({ty}, {}): C vs Rust",
                c_member(m)
            );
            checked += 1;
        }
    }
    for (name, value) in constants() {
        assert_eq!(got[name], value.to_string(), "{name}: C vs Rust");
    }
    assert_eq!(got["PLUGIN_API_VERSION_STR"], PLUGIN_API_VERSION_STR);
    assert!(checked > 90, "only {checked} offsets checked");
}

#[test]
fn compatibility_include_paths_compile_in_c_and_cpp() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("c_header_compat");
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("compat.c");
    std::fs::write(
        &src,
        "#include <engine/source_plugin/plugin_info.h>\n#include <plugin/plugin_api.h>\n\
         int main(void) { plugin_api api = {0}; return api.get_fields == 0 && sizeof(ss_plugin_event) == 26 ? 0 : 1; }\n",
    )
    .unwrap();
    for (compiler, extra) in [("cc", vec!["-std=c11"]), ("c++", vec!["-x", "c++"])] {
        let exe = dir.join(format!("compat-{compiler}"));
        let out = match Command::new(compiler)
            .args(&extra)
            .arg("-I")
            .arg(include_dir())
            .arg(&src)
            .arg("-o")
            .arg(&exe)
            .output()
        {
            Ok(o) => o,
            Err(e) => {
                eprintln!("skipping {compiler}: {e}");
                continue;
            }
        };
        assert!(
            out.status.success(),
            "{compiler}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(Command::new(&exe).status().unwrap().success());
    }
}
