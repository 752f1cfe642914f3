//! The static plugin manifest: JSON describing a plugin, built at compile time with `const fn`s
//! and stored in the ELF section [`MANIFEST_SECTION`] so a host can read it without running
//! plugin code (`saker plugins inspect`).
//!
//! Format: `{"saker_manifest":1,"name":…,"version":…,"required_api_version":…,"description":…,
//! "contact":…,"capabilities":[…],"id":…,"event_source":…,"fields":[…],"extract_event_sources":[…],
//! "async_events":[…],"init_schema":"…"|null}`. `fields` holds the same objects as `get_fields`.

use crate::sdk::extract::FieldDef;
use crate::sdk::{AsyncPlugin, ExtractPlugin, Plugin, SourcePlugin};

/// Name of the ELF section holding the manifest (JSON followed by one NUL byte).
pub const MANIFEST_SECTION: &str = ".saker_manifest";
/// Version of the manifest format (the `saker_manifest` key).
pub const MANIFEST_FORMAT_VERSION: u64 = 1;

/// Everything the manifest and the static getters say about a plugin.
#[derive(Debug, Clone, Copy)]
pub struct ManifestInfo {
    pub name: &'static str,
    pub version: &'static str,
    pub required_api: &'static str,
    pub description: &'static str,
    pub contact: &'static str,
    pub init_schema: Option<&'static str>,
    pub sourcing: bool,
    pub extraction: bool,
    pub parsing: bool,
    pub async_events: bool,
    pub capture_listening: bool,
    pub id: u32,
    pub event_source: &'static str,
    pub fields: &'static [FieldDef],
    pub extract_event_sources: &'static [&'static str],
    pub async_event_names: &'static [&'static str],
}

impl ManifestInfo {
    /// The common part, from [`Plugin`].
    pub const fn of<P: Plugin>() -> Self {
        ManifestInfo {
            name: P::NAME,
            version: P::VERSION,
            required_api: P::REQUIRED_API,
            description: P::DESCRIPTION,
            contact: P::CONTACT,
            init_schema: P::INIT_SCHEMA,
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
        }
    }
    pub const fn with_source<P: SourcePlugin>(mut self) -> Self {
        self.sourcing = true;
        self.id = P::ID;
        self.event_source = P::EVENT_SOURCE;
        self
    }
    pub const fn with_extract<P: ExtractPlugin>(mut self) -> Self {
        self.extraction = true;
        self.fields = P::FIELDS;
        self.extract_event_sources = P::EXTRACT_EVENT_SOURCES;
        self
    }
    pub const fn with_parse(mut self) -> Self {
        self.parsing = true;
        self
    }
    pub const fn with_async<P: AsyncPlugin>(mut self) -> Self {
        self.async_events = true;
        self.async_event_names = P::ASYNC_EVENTS;
        self
    }
    pub const fn with_capture_listen(mut self) -> Self {
        self.capture_listening = true;
        self
    }
}

// ---------------------------------------------------------------------------------------------
// const JSON writer: the same code counts (N = 0) and writes (N = exact length).

/// A fixed-size byte buffer written by `const fn`s. Bytes past `N` are counted, not stored,
/// so a first pass with `N = 0` measures the output.
pub struct ConstBuf<const N: usize> {
    buf: [u8; N],
    len: usize,
}

impl<const N: usize> ConstBuf<N> {
    pub const fn new() -> Self {
        ConstBuf { buf: [0; N], len: 0 }
    }
    pub const fn len(&self) -> usize {
        self.len
    }
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }
    const fn byte(&mut self, b: u8) {
        if self.len < N {
            self.buf[self.len] = b;
        }
        self.len += 1;
    }
    const fn raw(&mut self, s: &str) {
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() {
            self.byte(b[i]);
            i += 1;
        }
    }
    /// A JSON string literal with `"`, `\` and control characters escaped.
    const fn string(&mut self, s: &str) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let b = s.as_bytes();
        self.byte(b'"');
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            match c {
                b'"' => self.raw("\\\""),
                b'\\' => self.raw("\\\\"),
                b'\n' => self.raw("\\n"),
                b'\r' => self.raw("\\r"),
                b'\t' => self.raw("\\t"),
                0..=0x1f => {
                    self.raw("\\u00");
                    self.byte(HEX[(c >> 4) as usize]);
                    self.byte(HEX[(c & 0xf) as usize]);
                }
                _ => self.byte(c),
            }
            i += 1;
        }
        self.byte(b'"');
    }
    const fn uint(&mut self, v: u64) {
        let mut digits = [0u8; 20];
        let mut n = 0;
        let mut v = v;
        loop {
            digits[n] = b'0' + (v % 10) as u8;
            n += 1;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        while n > 0 {
            n -= 1;
            self.byte(digits[n]);
        }
    }
    const fn boolean(&mut self, v: bool) {
        self.raw(if v { "true" } else { "false" });
    }
    const fn key(&mut self, k: &str) {
        self.string(k);
        self.byte(b':');
    }
    const fn string_array(&mut self, items: &[&str]) {
        self.byte(b'[');
        let mut i = 0;
        while i < items.len() {
            if i > 0 {
                self.byte(b',');
            }
            self.string(items[i]);
            i += 1;
        }
        self.byte(b']');
    }
    const fn field(&mut self, f: &FieldDef) {
        self.byte(b'{');
        self.key("name");
        self.string(f.name);
        self.raw(",");
        self.key("type");
        self.string(f.ty.json_name());
        self.raw(",");
        self.key("isList");
        self.boolean(f.is_list);
        self.raw(",");
        self.key("arg");
        self.byte(b'{');
        self.key("isRequired");
        self.boolean(f.arg.required);
        self.raw(",");
        self.key("isIndex");
        self.boolean(f.arg.index);
        self.raw(",");
        self.key("isKey");
        self.boolean(f.arg.key);
        self.byte(b'}');
        if let Some(d) = f.display {
            self.raw(",");
            self.key("display");
            self.string(d);
        }
        self.raw(",");
        self.key("desc");
        self.string(f.desc);
        self.raw(",");
        self.key("properties");
        self.string_array(f.properties);
        self.raw(",");
        self.key("addOutput");
        self.boolean(f.add_output);
        if let Some(pt) = f.saker_type {
            self.raw(",");
            self.key("sakerType");
            self.string(pt);
        }
        if f.dotted {
            self.raw(",");
            self.key("sakerDotted");
            self.boolean(true);
        }
        self.byte(b'}');
    }
    const fn fields(&mut self, fields: &[FieldDef]) {
        self.byte(b'[');
        let mut i = 0;
        while i < fields.len() {
            if i > 0 {
                self.byte(b',');
            }
            self.field(&fields[i]);
            i += 1;
        }
        self.byte(b']');
    }
    /// The buffer, checking that exactly `N` bytes were written (else a compile-time error).
    pub const fn into_array(self) -> [u8; N] {
        assert!(self.len == N, "const buffer length mismatch");
        self.buf
    }
}

impl<const N: usize> Default for ConstBuf<N> {
    fn default() -> Self {
        Self::new()
    }
}

const fn write_manifest<const N: usize>(info: &ManifestInfo, out: &mut ConstBuf<N>) {
    out.byte(b'{');
    out.key("saker_manifest");
    out.uint(MANIFEST_FORMAT_VERSION);
    out.raw(",");
    out.key("name");
    out.string(info.name);
    out.raw(",");
    out.key("version");
    out.string(info.version);
    out.raw(",");
    out.key("required_api_version");
    out.string(info.required_api);
    out.raw(",");
    out.key("description");
    out.string(info.description);
    out.raw(",");
    out.key("contact");
    out.string(info.contact);
    out.raw(",");
    out.key("capabilities");
    out.byte(b'[');
    let caps: [(bool, &str); 5] = [
        (info.sourcing, "sourcing"),
        (info.extraction, "extraction"),
        (info.parsing, "parsing"),
        (info.async_events, "async_events"),
        (info.capture_listening, "capture_listening"),
    ];
    let mut first = true;
    let mut i = 0;
    while i < caps.len() {
        if caps[i].0 {
            if !first {
                out.byte(b',');
            }
            out.string(caps[i].1);
            first = false;
        }
        i += 1;
    }
    out.byte(b']');
    out.raw(",");
    out.key("id");
    out.uint(info.id as u64);
    out.raw(",");
    out.key("event_source");
    out.string(info.event_source);
    out.raw(",");
    out.key("fields");
    out.fields(info.fields);
    out.raw(",");
    out.key("extract_event_sources");
    out.string_array(info.extract_event_sources);
    out.raw(",");
    out.key("async_events");
    out.string_array(info.async_event_names);
    out.raw(",");
    out.key("init_schema");
    match info.init_schema {
        Some(s) => out.string(s),
        None => out.raw("null"),
    }
    out.byte(b'}');
}

/// Length of the manifest JSON plus its NUL terminator.
pub const fn manifest_len(info: &ManifestInfo) -> usize {
    let mut b = ConstBuf::<0>::new();
    write_manifest(info, &mut b);
    b.len() + 1
}
/// The manifest JSON followed by a NUL; `N` must be [`manifest_len`].
pub const fn manifest_bytes<const N: usize>(info: &ManifestInfo) -> [u8; N] {
    let mut b = ConstBuf::<N>::new();
    write_manifest(info, &mut b);
    b.byte(0);
    b.into_array()
}

/// Length of the `get_fields` JSON array plus NUL.
pub const fn fields_json_len(fields: &[FieldDef]) -> usize {
    let mut b = ConstBuf::<0>::new();
    b.fields(fields);
    b.len() + 1
}
/// The `get_fields` JSON array followed by a NUL.
pub const fn fields_json<const N: usize>(fields: &[FieldDef]) -> [u8; N] {
    let mut b = ConstBuf::<N>::new();
    b.fields(fields);
    b.byte(0);
    b.into_array()
}

/// Length of a JSON array of strings plus NUL.
pub const fn string_array_len(items: &[&str]) -> usize {
    let mut b = ConstBuf::<0>::new();
    b.string_array(items);
    b.len() + 1
}
/// A JSON array of strings followed by a NUL.
pub const fn string_array<const N: usize>(items: &[&str]) -> [u8; N] {
    let mut b = ConstBuf::<N>::new();
    b.string_array(items);
    b.byte(0);
    b.into_array()
}

/// `s` followed by a NUL; `N` must be `s.len() + 1`. A NUL inside `s` is a compile-time error.
pub const fn c_string<const N: usize>(s: &str) -> [u8; N] {
    assert!(s.len() + 1 == N, "c_string: N must be s.len() + 1");
    let b = s.as_bytes();
    let mut out = [0u8; N];
    let mut i = 0;
    while i < b.len() {
        assert!(b[i] != 0, "plugin strings must not contain NUL bytes");
        out[i] = b[i];
        i += 1;
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Reading the manifest back from an ELF file.

/// Failures of [`read_manifest`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    #[error("not an ELF file: expected magic 7f 45 4c 46, found {found:02x?}")]
    NotElf { found: Vec<u8> },
    #[error("unsupported ELF file: expected 64-bit little-endian (class 2, data 1), found class {class}, data {data}")]
    Unsupported { class: u8, data: u8 },
    #[error(
        "truncated ELF file: {what} at offset {offset} (+{len} bytes) lies past the end of the {file_len}-byte file"
    )]
    Truncated {
        what: &'static str,
        offset: u64,
        len: u64,
        file_len: usize,
    },
    #[error("ELF section header entry size is {found}, expected at least 64")]
    BadEntrySize { found: u16 },
    #[error("section {MANIFEST_SECTION} is not UTF-8 JSON text: {reason}")]
    NotText { reason: String },
}

/// Size of an ELF64 section header.
const ELF64_SHDR_LEN: usize = 64;
/// `SHT_NOBITS`: a section with no bytes in the file.
const SHT_NOBITS: u32 = 8;

fn slice<'a>(bytes: &'a [u8], what: &'static str, offset: u64, len: u64) -> Result<&'a [u8], ManifestError> {
    let end = offset.checked_add(len);
    match end {
        Some(end) if end <= bytes.len() as u64 => Ok(&bytes[offset as usize..end as usize]),
        _ => Err(ManifestError::Truncated {
            what,
            offset,
            len,
            file_len: bytes.len(),
        }),
    }
}
fn le16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}
fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}
fn le64(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

/// Finds the [`MANIFEST_SECTION`] section of an ELF64 little-endian file and returns its JSON
/// text (without the trailing NUL); `Ok(None)` if the file has no such section (not a Saker
/// SDK plugin).
pub fn read_manifest(elf: &[u8]) -> Result<Option<String>, ManifestError> {
    let ident = slice(elf, "ELF identification", 0, 16).map_err(|_| ManifestError::NotElf {
        found: elf.iter().take(4).copied().collect(),
    })?;
    if ident[..4] != [0x7f, b'E', b'L', b'F'] {
        return Err(ManifestError::NotElf {
            found: ident[..4].to_vec(),
        });
    }
    if ident[4] != 2 || ident[5] != 1 {
        return Err(ManifestError::Unsupported {
            class: ident[4],
            data: ident[5],
        });
    }
    let ehdr = slice(elf, "ELF header", 0, 64)?;
    let shoff = le64(ehdr, 0x28);
    let shentsize = le16(ehdr, 0x3a);
    let shnum = le16(ehdr, 0x3c) as u64;
    let shstrndx = le16(ehdr, 0x3e) as u64;
    if shoff == 0 || shnum == 0 {
        return Ok(None);
    }
    if (shentsize as usize) < ELF64_SHDR_LEN {
        return Err(ManifestError::BadEntrySize { found: shentsize });
    }
    let table = slice(elf, "section header table", shoff, shnum * shentsize as u64)?;
    let header = |i: u64| &table[(i * shentsize as u64) as usize..][..ELF64_SHDR_LEN];
    if shstrndx >= shnum {
        return Ok(None);
    }
    let strtab_hdr = header(shstrndx);
    let strtab = slice(
        elf,
        "section name table",
        le64(strtab_hdr, 0x18),
        le64(strtab_hdr, 0x20),
    )?;
    for i in 0..shnum {
        let h = header(i);
        let name_off = le32(h, 0) as usize;
        let Some(name) = strtab.get(name_off..).and_then(|s| s.split(|&b| b == 0).next()) else {
            continue;
        };
        if name != MANIFEST_SECTION.as_bytes() {
            continue;
        }
        if le32(h, 4) == SHT_NOBITS {
            return Err(ManifestError::NotText {
                reason: "section has no bytes in the file (NOBITS)".into(),
            });
        }
        let data = slice(elf, "manifest section", le64(h, 0x18), le64(h, 0x20))?;
        let text = match data.iter().position(|&b| b == 0) {
            Some(n) => &data[..n],
            None => data,
        };
        let text = std::str::from_utf8(text).map_err(|e| ManifestError::NotText { reason: e.to_string() })?;
        return Ok(Some(text.to_owned()));
    }
    Ok(None)
}

#[cfg(test)]
mod tests;
