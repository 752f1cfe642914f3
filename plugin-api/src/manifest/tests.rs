use super::*;
use crate::sdk::extract::FieldType;

const TRICKY: &str = "quote \" backslash \\ newline \n tab \t bell \u{7} unicode é ✓";

const FIELDS: &[FieldDef] = &[
    FieldDef::new("t.a", FieldType::U64, "plain"),
    FieldDef::new("t.b", FieldType::String, TRICKY)
        .list()
        .display("B")
        .properties(&["hidden", "info"]),
    FieldDef::new("t.c", FieldType::IpNet, "key").key_arg(true).add_output(),
];

const INFO: ManifestInfo = {
    let mut i = ManifestInfo {
        name: "t",
        version: "1.2.3",
        required_api: "3.12.0",
        description: TRICKY,
        contact: "c",
        init_schema: Some("{\"type\":\"object\"}"),
        sourcing: false,
        extraction: false,
        parsing: false,
        async_events: false,
        capture_listening: false,
        id: 0,
        event_source: "",
        fields: &[],
        extract_event_sources: &[],
        async_event_names: &[],
    };
    i.sourcing = true;
    i.id = 4_294_967_295;
    i.event_source = "src";
    i.extraction = true;
    i.fields = FIELDS;
    i.extract_event_sources = &["syscall", "k8s_audit"];
    i.capture_listening = true;
    i
};
const LEN: usize = manifest_len(&INFO);
static BYTES: [u8; LEN] = manifest_bytes::<LEN>(&INFO);

#[test]
fn const_manifest_is_valid_json_with_escaping() {
    assert_eq!(BYTES[LEN - 1], 0, "NUL-terminated");
    let text = std::str::from_utf8(&BYTES[..LEN - 1]).unwrap();
    let v: serde_json::Value = serde_json::from_str(text).unwrap();
    assert_eq!(v["saker_manifest"], 1);
    assert_eq!(v["description"], TRICKY);
    assert_eq!(v["id"], 4_294_967_295u64);
    assert_eq!(
        v["capabilities"],
        serde_json::json!(["sourcing", "extraction", "capture_listening"])
    );
    assert_eq!(v["extract_event_sources"], serde_json::json!(["syscall", "k8s_audit"]));
    assert_eq!(v["async_events"], serde_json::json!([]));
    assert_eq!(v["init_schema"], "{\"type\":\"object\"}");
    let b = &v["fields"][1];
    assert_eq!(b["desc"], TRICKY);
    assert_eq!(b["isList"], true);
    assert_eq!(b["display"], "B");
    assert_eq!(b["properties"], serde_json::json!(["hidden", "info"]));
    assert!(v["fields"][0].get("display").is_none());
    assert_eq!(v["fields"][2]["type"], "ipnet");
    assert_eq!(
        v["fields"][2]["arg"],
        serde_json::json!({"isRequired": true, "isIndex": false, "isKey": true})
    );
    assert_eq!(v["fields"][2]["addOutput"], true);
}

#[test]
fn fields_json_equals_the_manifest_fields() {
    const N: usize = fields_json_len(FIELDS);
    static F: [u8; N] = fields_json::<N>(FIELDS);
    let fields: serde_json::Value = serde_json::from_str(std::str::from_utf8(&F[..N - 1]).unwrap()).unwrap();
    let manifest: serde_json::Value = serde_json::from_str(std::str::from_utf8(&BYTES[..LEN - 1]).unwrap()).unwrap();
    assert_eq!(manifest["fields"], fields);
    const S: usize = string_array_len(&[]);
    assert_eq!(&string_array::<S>(&[]), b"[]\0");
    assert_eq!(&c_string::<4>("abc"), b"abc\0");
}

/// A minimal ELF64 LE image: header, one data section, a section-name table, 3 headers.
fn elf_with_section(name: &str, data: &[u8]) -> Vec<u8> {
    let mut f = vec![0u8; 64];
    f[..4].copy_from_slice(b"\x7fELF");
    f[4] = 2;
    f[5] = 1;
    let data_off = f.len() as u64;
    f.extend_from_slice(data);
    let names_off = f.len() as u64;
    let mut names = b"\0.shstrtab\0".to_vec();
    let name_idx = names.len() as u32;
    names.extend_from_slice(name.as_bytes());
    names.push(0);
    f.extend_from_slice(&names);
    let shoff = f.len() as u64;
    let sh = |name: u32, ty: u32, off: u64, size: u64| {
        let mut h = [0u8; 64];
        h[0..4].copy_from_slice(&name.to_le_bytes());
        h[4..8].copy_from_slice(&ty.to_le_bytes());
        h[0x18..0x20].copy_from_slice(&off.to_le_bytes());
        h[0x20..0x28].copy_from_slice(&size.to_le_bytes());
        h.to_vec()
    };
    let headers = [
        sh(0, 0, 0, 0),
        sh(1, 3, names_off, names.len() as u64),
        sh(name_idx, 1, data_off, data.len() as u64),
    ];
    for h in headers {
        f.extend_from_slice(&h);
    }
    f[0x28..0x30].copy_from_slice(&shoff.to_le_bytes());
    f[0x3a..0x3c].copy_from_slice(&64u16.to_le_bytes());
    f[0x3c..0x3e].copy_from_slice(&3u16.to_le_bytes());
    f[0x3e..0x40].copy_from_slice(&1u16.to_le_bytes());
    f
}

#[test]
fn reads_the_manifest_section_of_an_elf_image() {
    let elf = elf_with_section(MANIFEST_SECTION, b"{\"a\":1}\0");
    assert_eq!(read_manifest(&elf).unwrap().as_deref(), Some("{\"a\":1}"));
    let other = elf_with_section(".data", b"xyz");
    assert_eq!(read_manifest(&other).unwrap(), None);
}

#[test]
fn bad_files_are_errors_not_panics() {
    assert!(matches!(read_manifest(b"MZ\x90\0"), Err(ManifestError::NotElf { .. })));
    assert!(matches!(read_manifest(&[]), Err(ManifestError::NotElf { .. })));
    let mut be = elf_with_section(MANIFEST_SECTION, b"{}");
    be[5] = 2;
    assert_eq!(
        read_manifest(&be).unwrap_err(),
        ManifestError::Unsupported { class: 2, data: 2 }
    );
    let elf = elf_with_section(MANIFEST_SECTION, b"{\"a\":1}\0");
    for cut in 16..elf.len() {
        let _ = read_manifest(&elf[..cut]);
    }
    let err = read_manifest(&elf[..100]).unwrap_err();
    assert!(
        err.to_string().starts_with("truncated ELF file: section header table"),
        "{err}"
    );
    let bad_utf8 = elf_with_section(MANIFEST_SECTION, b"\xff\xfe");
    assert!(matches!(read_manifest(&bad_utf8), Err(ManifestError::NotText { .. })));
}
