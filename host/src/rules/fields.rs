//! The field model: field types (libsinsp `PT_*`), field descriptions, the catalog the compiler
//! resolves names against (one per event source) and the runtime source the evaluator extracts
//! values from.

use std::collections::HashMap;

use super::value::Values;

/// A field's value type, covering libsinsp's `ppm_param_type`s that filters use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldType {
    Int8,
    Int16,
    Int32,
    Int64,
    UInt8,
    UInt16,
    UInt32,
    UInt64,
    /// NUL-terminated string (`PT_CHARBUF`).
    CharBuf,
    /// Absolute path string (`PT_FSPATH`).
    FsPath,
    /// Path relative to a directory fd (`PT_FSRELPATH`).
    FsRelPath,
    /// Binary buffer (`PT_BYTEBUF`).
    ByteBuf,
    Bool,
    IpAddr,
    IpNet,
    Ipv4Addr,
    Ipv4Net,
    Ipv6Addr,
    Ipv6Net,
    Port,
    L4Proto,
    SockFamily,
    Mode,
    Flags8,
    Flags16,
    Flags32,
    EnumFlags8,
    EnumFlags16,
    EnumFlags32,
    Uid,
    Gid,
    RelTime,
    AbsTime,
    Double,
    SyscallId,
    Errno,
    Fd,
    Pid,
    SigType,
    /// Type decided per event (`PT_DYN`, e.g. `evt.rawarg.*`).
    Dyn,
}

/// How values of a type compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeClass {
    Signed,
    Unsigned,
    Double,
    Bool,
    String,
    Buffer,
    Ip,
    Net,
    /// Types without comparison support in filters.
    Other,
}

impl FieldType {
    /// Parses libsinsp's enum name (`"PT_UINT64"`).
    pub fn from_libsinsp_name(name: &str) -> Option<FieldType> {
        use FieldType::*;
        Some(match name.trim() {
            "PT_INT8" => Int8,
            "PT_INT16" => Int16,
            "PT_INT32" => Int32,
            "PT_INT64" => Int64,
            "PT_UINT8" => UInt8,
            "PT_UINT16" => UInt16,
            "PT_UINT32" => UInt32,
            "PT_UINT64" => UInt64,
            "PT_CHARBUF" => CharBuf,
            "PT_FSPATH" => FsPath,
            "PT_FSRELPATH" => FsRelPath,
            "PT_BYTEBUF" => ByteBuf,
            "PT_BOOL" => Bool,
            "PT_IPADDR" => IpAddr,
            "PT_IPNET" => IpNet,
            "PT_IPV4ADDR" => Ipv4Addr,
            "PT_IPV4NET" => Ipv4Net,
            "PT_IPV6ADDR" => Ipv6Addr,
            "PT_IPV6NET" => Ipv6Net,
            "PT_PORT" => Port,
            "PT_L4PROTO" => L4Proto,
            "PT_SOCKFAMILY" => SockFamily,
            "PT_MODE" => Mode,
            "PT_FLAGS8" => Flags8,
            "PT_FLAGS16" => Flags16,
            "PT_FLAGS32" => Flags32,
            "PT_ENUMFLAGS8" => EnumFlags8,
            "PT_ENUMFLAGS16" => EnumFlags16,
            "PT_ENUMFLAGS32" => EnumFlags32,
            "PT_UID" => Uid,
            "PT_GID" => Gid,
            "PT_RELTIME" => RelTime,
            "PT_ABSTIME" => AbsTime,
            "PT_DOUBLE" => Double,
            "PT_SYSCALLID" => SyscallId,
            "PT_ERRNO" => Errno,
            "PT_FD" => Fd,
            "PT_PID" => Pid,
            "PT_SIGTYPE" => SigType,
            "PT_DYN" => Dyn,
            _ => return None,
        })
    }

    /// Parses a plugin field schema type (plugin API `fields[].type`).
    pub fn from_plugin_type(name: &str) -> Option<FieldType> {
        Some(match name {
            "uint64" => FieldType::UInt64,
            "string" => FieldType::CharBuf,
            "reltime" => FieldType::RelTime,
            "abstime" => FieldType::AbsTime,
            "bool" => FieldType::Bool,
            "ipaddr" => FieldType::IpAddr,
            "ipnet" => FieldType::IpNet,
            _ => return None,
        })
    }

    /// libsinsp's name of the type as used in messages (`param_type_to_string`).
    pub fn libsinsp_name(self) -> &'static str {
        use FieldType::*;
        match self {
            Int8 => "INT8",
            Int16 => "INT16",
            Int32 => "INT32",
            Int64 => "INT64",
            UInt8 => "UINT8",
            UInt16 => "UINT16",
            UInt32 => "UINT32",
            UInt64 => "UINT64",
            CharBuf => "CHARBUF",
            FsPath => "FSPATH",
            FsRelPath => "FSRELPATH",
            ByteBuf => "BYTEBUF",
            Bool => "BOOL",
            IpAddr => "IPADDR",
            IpNet => "IPNET",
            Ipv4Addr => "IPV4ADDR",
            Ipv4Net => "IPV4NET",
            Ipv6Addr => "IPV6ADDR",
            Ipv6Net => "IPV6NET",
            Port => "PORT",
            L4Proto => "L4PROTO",
            SockFamily => "SOCKFAMILY",
            Mode => "MODE",
            Flags8 => "FLAGS8",
            Flags16 => "FLAGS16",
            Flags32 => "FLAGS32",
            EnumFlags8 => "ENUMFLAGS8",
            EnumFlags16 => "ENUMFLAGS16",
            EnumFlags32 => "ENUMFLAGS32",
            Uid => "UID",
            Gid => "GID",
            RelTime => "RELTIME",
            AbsTime => "ABSTIME",
            Double => "DOUBLE",
            SyscallId => "SYSCALLID",
            Errno => "ERRNO",
            Fd => "FD",
            Pid => "PID",
            SigType => "SIGTYPE",
            Dyn => "DYN",
        }
    }

    pub fn class(self) -> TypeClass {
        use FieldType::*;
        match self {
            Int8 | Int16 | Int32 | Int64 | Errno | Fd | Pid => TypeClass::Signed,
            UInt8 | UInt16 | UInt32 | UInt64 | Port | L4Proto | Mode | Flags8 | Flags16 | Flags32 | EnumFlags8
            | EnumFlags16 | EnumFlags32 | Uid | Gid | RelTime | AbsTime | SyscallId | SigType => TypeClass::Unsigned,
            Double => TypeClass::Double,
            Bool => TypeClass::Bool,
            CharBuf | FsPath | FsRelPath => TypeClass::String,
            ByteBuf => TypeClass::Buffer,
            IpAddr | Ipv4Addr | Ipv6Addr => TypeClass::Ip,
            IpNet | Ipv4Net | Ipv6Net => TypeClass::Net,
            SockFamily | Dyn => TypeClass::Other,
        }
    }

    /// Bit width of integer types (values are truncated to it, as libsinsp's casts do).
    pub fn int_bits(self) -> u32 {
        use FieldType::*;
        match self {
            Int8 | UInt8 | Flags8 | EnumFlags8 | L4Proto | SigType => 8,
            Int16 | UInt16 | Flags16 | EnumFlags16 | Port | SyscallId => 16,
            Int32 | UInt32 | Flags32 | EnumFlags32 | Mode | Uid | Gid => 32,
            _ => 64,
        }
    }
}

/// Which arguments a field accepts (`proc.aname[2]`, `proc.env[HOME]`, `evt.arg.fd`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ArgSpec {
    /// The field cannot be used without an argument.
    pub required: bool,
    /// A numeric index is accepted.
    pub index: bool,
    /// A key (any text) is accepted.
    pub key: bool,
    /// The argument may also be written after a dot (`evt.arg.fd` for `evt.arg[fd]`).
    pub dotted: bool,
}

impl ArgSpec {
    pub fn accepts_arg(&self) -> bool {
        self.required || self.index || self.key
    }
}

/// A field's description, as listed by `--list` and checked by the compiler.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldInfo {
    pub name: String,
    pub ty: FieldType,
    pub is_list: bool,
    pub arg: ArgSpec,
    pub desc: String,
    pub display: String,
    pub hidden: bool,
    pub deprecated: bool,
    /// Usable in filters only, not in outputs.
    pub filter_only: bool,
    /// Usable in outputs only (libsinsp `EPF_PRINT_ONLY`).
    pub print_only: bool,
    /// Cannot be compared with another field (`val()`) nor used as one (`EPF_NO_RHS`).
    pub no_rhs: bool,
    /// Transformers cannot be applied (`EPF_NO_TRANSFORMER`).
    pub no_transformer: bool,
    /// Extraction is expensive or stateful; kept for listing (`EPF_TABLE_ONLY`).
    pub table_only: bool,
    /// A single-valued field that may yield several candidate values for one event (both ends
    /// of a connection for `fd.ip`, every ancestor for `proc.aname` without an index): a
    /// comparison holds when it holds for any of them, `!=` when none is equal (libsinsp).
    pub any_value: bool,
}

impl FieldInfo {
    /// A plain field of the given type with no argument and no flags.
    pub fn new(name: &str, ty: FieldType, desc: &str) -> Self {
        FieldInfo {
            name: name.to_string(),
            ty,
            is_list: false,
            arg: ArgSpec::default(),
            desc: desc.to_string(),
            display: String::new(),
            hidden: false,
            deprecated: false,
            filter_only: false,
            print_only: false,
            no_rhs: false,
            no_transformer: false,
            table_only: false,
            any_value: false,
        }
    }
}

/// A catalog-chosen identifier of a field, passed back to the `FieldSource` at extraction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FieldId(pub u32);

/// The argument of a resolved field.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FieldArg {
    None,
    Index(u64),
    Key(String),
}

/// A name resolved by a catalog.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedField<'a> {
    pub id: FieldId,
    pub info: &'a FieldInfo,
    pub arg: FieldArg,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    /// libsinsp's message for an unknown field.
    #[error("filter_check called with nonexistent field {0}")]
    Unknown(String),
    /// libsinsp's message (plugin fields), e.g. `filter 'k8s.ns.label': ... requires ...`.
    #[error("filter '{0}': {0} requires an argument but none provided")]
    ArgRequired(String),
    #[error("filter '{field}[{arg}]': {field} does not allow nor require an argument but one is provided: {arg}")]
    ArgNotAllowed { field: String, arg: String },
    #[error("field '{field}' expects a numeric index argument, found '{arg}'")]
    IndexExpected { field: String, arg: String },
    #[error("line {line} of the field table: {problem}")]
    BadTable { line: usize, problem: String },
}

/// The fields of one event source, as the compiler sees them.
pub trait FieldCatalog {
    /// Resolves `name` (possibly `prefix.arg` for dotted-argument fields) and the bracket
    /// argument written after it.
    fn resolve(&self, name: &str, arg: Option<&str>) -> Result<ResolvedField<'_>, FieldError>;

    /// The description of a field this catalog returned.
    fn info(&self, id: FieldId) -> Option<&FieldInfo>;
}

/// Values of fields for the event being evaluated.
pub trait FieldSource {
    /// Fills `out` (already cleared) with the values of `field` for the current event;
    /// returns false when the field has no value for it.
    fn extract(&mut self, field: FieldId, arg: &FieldArg, out: &mut Values) -> bool;

    /// Extracts several fields of the current event together where that is cheaper than one
    /// [`extract`](Self::extract) each (e.g. one plugin call for all of a plugin's fields).
    /// For each field it extracts, calls `store(i, values)` with the values of `fields[i]` as
    /// `extract` gives them (the field is present when they are not empty); fields it leaves
    /// out are extracted one by one later. `key` names this list of fields: the same key
    /// always comes with the same `fields`, so a source may keep what it prepares for them.
    /// The default extracts nothing.
    fn extract_together(&mut self, key: FieldSetKey, fields: &[FieldId], store: &mut dyn FnMut(usize, &mut Values)) {
        let _ = (key, fields, store);
    }
}

/// Names a list of fields given to [`FieldSource::extract_together`]: `set` a list of fields
/// known when the rules load, `subset` a mask of the members of that list asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FieldSetKey {
    pub set: u64,
    pub subset: u64,
}

/// Source of [`FieldSetKey::set`] ids, unique within the process.
static NEXT_FIELD_SET: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

impl FieldSetKey {
    /// A `set` id no other list of fields has.
    pub fn new_set() -> u64 {
        NEXT_FIELD_SET.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    }
}

/// A catalog backed by a table of `FieldInfo`s, matching names as libsinsp does: exact names,
/// bracket arguments, and dotted arguments after prefix-registered fields (`evt.arg.fd`).
#[derive(Debug, Clone, Default)]
pub struct TableCatalog {
    fields: Vec<FieldInfo>,
    by_name: HashMap<String, u32>,
}

impl TableCatalog {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a field; a later field with the same name replaces the earlier one's lookup.
    pub fn add(&mut self, info: FieldInfo) -> FieldId {
        let id = self.fields.len() as u32;
        self.by_name.insert(info.name.clone(), id);
        self.fields.push(info);
        FieldId(id)
    }

    pub fn fields(&self) -> impl Iterator<Item = (FieldId, &FieldInfo)> {
        self.fields.iter().enumerate().map(|(i, f)| (FieldId(i as u32), f))
    }

    pub fn lookup(&self, name: &str) -> Option<FieldId> {
        self.by_name.get(name).map(|&i| FieldId(i))
    }
}

/// Turns an argument's text into a `FieldArg` following the field's `ArgSpec`.
pub fn parse_field_arg(info: &FieldInfo, arg: Option<&str>) -> Result<FieldArg, FieldError> {
    let Some(arg) = arg else {
        if info.arg.required {
            return Err(FieldError::ArgRequired(info.name.clone()));
        }
        return Ok(FieldArg::None);
    };
    if !info.arg.accepts_arg() {
        return Err(FieldError::ArgNotAllowed {
            field: info.name.clone(),
            arg: arg.to_string(),
        });
    }
    let numeric = !arg.is_empty() && arg.bytes().all(|b| b.is_ascii_digit());
    if info.arg.index && numeric {
        if let Ok(i) = arg.parse::<u64>() {
            return Ok(FieldArg::Index(i));
        }
    }
    if info.arg.key || (info.arg.required && !info.arg.index) {
        return Ok(FieldArg::Key(arg.to_string()));
    }
    Err(FieldError::IndexExpected {
        field: info.name.clone(),
        arg: arg.to_string(),
    })
}

impl FieldCatalog for TableCatalog {
    fn resolve(&self, name: &str, arg: Option<&str>) -> Result<ResolvedField<'_>, FieldError> {
        if let Some(&i) = self.by_name.get(name) {
            let info = &self.fields[i as usize];
            return Ok(ResolvedField {
                id: FieldId(i),
                info,
                arg: parse_field_arg(info, arg)?,
            });
        }
        // `prefix.rest`: the longest registered dotted-argument prefix takes `rest` as argument.
        let mut cut = name.len();
        while let Some(dot) = name[..cut].rfind('.') {
            let prefix = &name[..dot];
            if let Some(&i) = self.by_name.get(prefix) {
                let info = &self.fields[i as usize];
                if info.arg.dotted && arg.is_none() {
                    return Ok(ResolvedField {
                        id: FieldId(i),
                        info,
                        arg: parse_field_arg(info, Some(&name[dot + 1..]))?,
                    });
                }
            }
            cut = dot;
        }
        Err(FieldError::Unknown(match arg {
            Some(a) => format!("{name}[{a}]"),
            None => name.to_string(),
        }))
    }

    fn info(&self, id: FieldId) -> Option<&FieldInfo> {
        self.fields.get(id.0 as usize)
    }
}

/// Fields whose argument can follow a dot, as libsinsp parses them.
const DOTTED_ARG_FIELDS: &[&str] = &["evt.arg", "evt.rawarg", "evt.type.is", "thread.cgroup", "evt.abspath"];

/// Fields flagged `EPF_ARG_REQUIRED` that libsinsp nevertheless accepts bare
/// (`evt.abspath` alone means the event's only path argument).
const ARG_OPTIONAL_FIELDS: &[&str] = &["evt.abspath"];

/// Fields whose argument is a numeric index (the others with arguments take keys).
const INDEX_ARG_FIELDS: &[&str] = &[
    "proc.aname",
    "proc.aexe",
    "proc.aexepath",
    "proc.acmdline",
    "proc.apid",
    "proc.args",
    "proc.aargs",
    "fd.types",
    "evt.arg",
    "evt.rawarg",
];

/// Fields whose argument may be a key (text).
const KEY_ARG_FIELDS: &[&str] = &[
    "evt.arg",
    "evt.rawarg",
    "evt.type.is",
    "evt.around",
    "evt.abspath",
    "proc.env",
    "proc.aenv",
    "thread.cgroup",
];

/// Builds a catalog from `shared/reference/libsinsp_fields.tsv` (columns: file, array, type,
/// flags, print format, name, display, description). Internal rows (`NA`) are skipped.
pub fn catalog_from_libsinsp_tsv(text: &str) -> Result<TableCatalog, FieldError> {
    let mut catalog = TableCatalog::new();
    for (n, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() < 8 {
            return Err(FieldError::BadTable {
                line: n + 1,
                problem: format!("expected 8 tab-separated columns, found {}", cols.len()),
            });
        }
        let name = cols[5].trim();
        if name == "NA" {
            continue;
        }
        let ty = FieldType::from_libsinsp_name(cols[2]).ok_or_else(|| FieldError::BadTable {
            line: n + 1,
            problem: format!("unknown type '{}' for field '{name}'", cols[2]),
        })?;
        let flags = cols[3];
        let has = |f: &str| flags.contains(f);
        let arg_allowed = has("EPF_ARG_ALLOWED") || ARG_OPTIONAL_FIELDS.contains(&name);
        let arg_required = has("EPF_ARG_REQUIRED") && !ARG_OPTIONAL_FIELDS.contains(&name);
        let takes_arg = arg_allowed || arg_required;
        let mut info = FieldInfo::new(name, ty, cols[7].trim());
        info.display = cols[6].trim().to_string();
        info.is_list = has("EPF_IS_LIST");
        info.deprecated = has("EPF_DEPRECATED");
        info.filter_only = has("EPF_FILTER_ONLY");
        info.print_only = has("EPF_PRINT_ONLY");
        info.no_rhs = has("EPF_NO_RHS");
        info.no_transformer = has("EPF_NO_TRANSFORMER");
        info.table_only = has("EPF_TABLE_ONLY");
        info.hidden = info.table_only;
        info.arg = ArgSpec {
            required: arg_required,
            index: takes_arg && INDEX_ARG_FIELDS.contains(&name),
            key: takes_arg && (KEY_ARG_FIELDS.contains(&name) || !INDEX_ARG_FIELDS.contains(&name)),
            dotted: DOTTED_ARG_FIELDS.contains(&name),
        };
        catalog.add(info);
    }
    Ok(catalog)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tsv() -> Option<String> {
        let mut dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf();
        loop {
            let p = dir.join("shared/reference/libsinsp_fields.tsv");
            if let Ok(t) = std::fs::read_to_string(&p) {
                return Some(t);
            }
            if !dir.pop() {
                return None;
            }
        }
    }

    #[test]
    fn types_from_names() {
        assert_eq!(FieldType::from_libsinsp_name("PT_UINT64"), Some(FieldType::UInt64));
        assert_eq!(FieldType::from_plugin_type("ipnet"), Some(FieldType::IpNet));
        assert_eq!(FieldType::from_plugin_type("float"), None);
        assert_eq!(FieldType::Port.class(), TypeClass::Unsigned);
        assert_eq!(FieldType::Int32.int_bits(), 32);
    }

    #[test]
    fn libsinsp_catalog_matching() {
        let Some(text) = tsv() else {
            eprintln!("skipped: shared/reference/libsinsp_fields.tsv not found");
            return;
        };
        let cat = catalog_from_libsinsp_tsv(&text).unwrap();
        let f = cat.resolve("proc.name", None).unwrap();
        assert_eq!(f.info.ty, FieldType::CharBuf);
        assert_eq!(f.arg, FieldArg::None);
        let a = cat.resolve("proc.aname", Some("2")).unwrap();
        assert_eq!(a.arg, FieldArg::Index(2));
        assert!(matches!(
            cat.resolve("proc.aname", Some("x")),
            Err(FieldError::IndexExpected { .. })
        ));
        let d = cat.resolve("evt.arg.fd", None).unwrap();
        assert_eq!(d.info.name, "evt.arg");
        assert_eq!(d.arg, FieldArg::Key("fd".into()));
        let i = cat.resolve("evt.arg", Some("0")).unwrap();
        assert_eq!(i.arg, FieldArg::Index(0));
        assert!(matches!(cat.resolve("evt.arg", None), Err(FieldError::ArgRequired(_))));
        assert_eq!(
            cat.resolve("proc.nme", None).unwrap_err().to_string(),
            "filter_check called with nonexistent field proc.nme"
        );
        assert!(matches!(
            cat.resolve("proc.name", Some("1")),
            Err(FieldError::ArgNotAllowed { .. })
        ));
        assert_eq!(cat.resolve("fd.ip", None).unwrap().info.ty, FieldType::IpAddr);
    }
}
