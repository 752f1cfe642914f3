//! The declared syscall fields: names, types, Saker's JSON extensions.

use plugin_api::manifest::{fields_json, fields_json_len};
use plugin_api::sdk::extract::FieldType;
use syscall::fields::{FieldId, ALL_FIELD_IDS, FIELDS};

const JSON_LEN: usize = fields_json_len(FIELDS);
static JSON: [u8; JSON_LEN] = fields_json(FIELDS);

fn def(name: &str) -> &'static plugin_api::sdk::extract::FieldDef {
    FIELDS
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("{name} not declared"))
}

#[test]
fn every_field_the_rules_use_is_declared_with_its_libsinsp_type() {
    let expected = [
        ("evt.type", FieldType::String, "PT_CHARBUF"),
        ("evt.rawres", FieldType::U64, "PT_INT64"),
        ("evt.is_open_read", FieldType::Bool, "PT_BOOL"),
        ("fd.num", FieldType::U64, "PT_INT64"),
        ("fd.sport", FieldType::U64, "PT_PORT"),
        ("fd.sip", FieldType::IpAddr, "PT_IPADDR"),
        ("fd.snet", FieldType::IpNet, "PT_IPNET"),
        ("proc.duration", FieldType::RelTime, "PT_RELTIME"),
        ("proc.exe_ino.ctime", FieldType::AbsTime, "PT_ABSTIME"),
        ("proc.tty", FieldType::U64, "PT_UINT32"),
        ("proc.fdusage", FieldType::U64, "PT_DOUBLE"),
        ("user.loginuid", FieldType::U64, "PT_INT64"),
        ("group.gid", FieldType::U64, "PT_UINT32"),
        ("evt.buffer", FieldType::String, "PT_BYTEBUF"),
    ];
    for (name, ty, pt) in expected {
        let d = def(name);
        assert_eq!(d.ty, ty, "{name}");
        assert_eq!(d.saker_type, Some(pt), "{name}");
    }
    for name in [
        "proc.name",
        "proc.pname",
        "proc.cmdline",
        "proc.pcmdline",
        "proc.exe",
        "proc.exepath",
        "proc.pexe",
        "proc.sname",
        "proc.vpid",
        "proc.is_vpgid_leader",
        "proc.is_exe_upper_layer",
        "proc.is_exe_from_memfd",
        "thread.cap_effective",
        "thread.cap_permitted",
        "user.name",
        "user.uid",
        "user.loginname",
        "group.name",
        "fd.name",
        "fd.nameraw",
        "fd.directory",
        "fd.filename",
        "fd.typechar",
        "fd.type",
        "fd.l4proto",
        "fd.sockfamily",
        "fd.connected",
        "fd.name_changed",
        "fd.rport",
        "fd.lport",
        "fd.cip.name",
        "fd.sip.name",
        "fd.rip.name",
        "fd.lip.name",
        "fd.rnet",
        "fd.cnet",
        "fd.net",
        "fd.ip",
        "fd.port",
        "evt.res",
        "evt.args",
        "fs.path.name",
    ] {
        def(name);
    }
    for host_field in [
        "evt.num",
        "evt.time",
        "evt.source",
        "evt.hostname",
        "container.id",
        "k8s.ns.name",
    ] {
        assert!(FIELDS.iter().all(|f| f.name != host_field), "{host_field} is not ours");
    }
}

#[test]
fn argument_shapes_follow_libsinsp() {
    let arg = def("evt.arg");
    assert!(arg.arg.required && arg.arg.index && arg.arg.key && arg.dotted);
    let aname = def("proc.aname");
    assert!(!aname.arg.required && aname.arg.index && !aname.arg.key && !aname.dotted);
    let env = def("proc.env");
    assert!(!env.arg.required && env.arg.key);
    // Scalars (rules use `=`/`!=` on them, which list fields refuse); the host compares
    // both ends, as the property says.
    for name in ["fd.ip", "fd.port", "fd.net", "fd.proto"] {
        assert!(!def(name).is_list, "{name}");
        assert_eq!(def(name).properties, &["sakerEitherEnd"], "{name}");
    }
    assert_eq!(aname.properties, &["sakerAnyAncestor"]);
    assert!(def("fd.types").is_list);
    assert!(!def("proc.name").is_list && def("proc.name").arg == plugin_api::sdk::extract::ArgSpec::NONE);
}

#[test]
fn ids_match_positions_and_names_are_unique() {
    assert_eq!(ALL_FIELD_IDS.len(), FIELDS.len());
    for (i, id) in ALL_FIELD_IDS.iter().enumerate() {
        assert_eq!(*id as usize, i);
        assert_eq!(FieldId::from_index(i), Some(*id));
    }
    assert_eq!(FieldId::from_index(FIELDS.len()), None);
    let mut names: Vec<_> = FIELDS.iter().map(|f| f.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), FIELDS.len());
    assert_eq!(FieldId::ProcAname.def().name, "proc.aname");
}

#[test]
fn manifest_json_carries_saker_type_and_dotted_keys() {
    let json = std::str::from_utf8(&JSON).unwrap().trim_end_matches(char::from(0));
    assert!(json.starts_with('[') && json.ends_with(']'));
    assert!(
        json.contains(r#""name":"fd.sport","type":"uint64""#),
        "fd.sport entry missing"
    );
    assert!(json.contains(r#""sakerType":"PT_PORT""#));
    let evt_arg = json.find(r#""name":"evt.arg","#).expect("evt.arg entry");
    let rest = &json[evt_arg..];
    let entry = &rest[..rest.find(r#"{"name":"#).unwrap_or(rest.len())];
    assert!(entry.contains(r#""sakerDotted":true"#), "{entry}");
    assert_eq!(
        json.matches(r#""sakerDotted":true"#).count(),
        FIELDS.iter().filter(|f| f.dotted).count()
    );
    assert_eq!(json.matches(r#""sakerType":"#).count(), FIELDS.len());
}
