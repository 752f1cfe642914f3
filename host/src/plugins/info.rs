//! Everything a plugin declares statically, copied out of the plugin at load time
//! (`PluginInfo`), and the validation of its JSON declarations (fields, event sources,
//! async event names, open params) following libsinsp's rules (plugin API 3.12.0,
//! `reference/plugin-abi.md` §2, §7.1), lenient about the differences between SDK emitters.

use super::version::SemVer;
use serde::Serialize;
use serde_json::Value;

/// The capabilities a plugin has, from the symbols it exports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Capabilities {
    pub sourcing: bool,
    pub extraction: bool,
    pub parsing: bool,
    pub async_events: bool,
    pub capture_listening: bool,
}

impl Capabilities {
    pub fn any(&self) -> bool {
        self.sourcing || self.extraction || self.parsing || self.async_events || self.capture_listening
    }

    /// Names of the capabilities that are present, for reports.
    pub fn names(&self) -> Vec<&'static str> {
        let mut names = Vec::new();
        for (on, name) in [
            (self.sourcing, "sourcing"),
            (self.extraction, "extraction"),
            (self.parsing, "parsing"),
            (self.async_events, "async"),
            (self.capture_listening, "capture-listening"),
        ] {
            if on {
                names.push(name);
            }
        }
        names
    }
}

/// Declared type of an extractable field (values equal the ABI's `FTYPE_*` codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    String,
    Uint64,
    Reltime,
    Abstime,
    Bool,
    Ipaddr,
    Ipnet,
}

impl FieldType {
    pub fn from_json_name(name: &str) -> Option<FieldType> {
        Some(match name {
            "string" => FieldType::String,
            "uint64" => FieldType::Uint64,
            "reltime" => FieldType::Reltime,
            "abstime" => FieldType::Abstime,
            "bool" => FieldType::Bool,
            "ipaddr" => FieldType::Ipaddr,
            "ipnet" => FieldType::Ipnet,
            _ => return None,
        })
    }

    pub fn json_name(self) -> &'static str {
        match self {
            FieldType::String => "string",
            FieldType::Uint64 => "uint64",
            FieldType::Reltime => "reltime",
            FieldType::Abstime => "abstime",
            FieldType::Bool => "bool",
            FieldType::Ipaddr => "ipaddr",
            FieldType::Ipnet => "ipnet",
        }
    }

    /// The `ftype` code passed in extraction requests.
    pub fn ffi_code(self) -> u32 {
        use plugin_api::ffi::*;
        match self {
            FieldType::String => FTYPE_STRING,
            FieldType::Uint64 => FTYPE_UINT64,
            FieldType::Reltime => FTYPE_RELTIME,
            FieldType::Abstime => FTYPE_ABSTIME,
            FieldType::Bool => FTYPE_BOOL,
            FieldType::Ipaddr => FTYPE_IPADDR,
            FieldType::Ipnet => FTYPE_IPNET,
        }
    }
}

/// What argument a field accepts (`field[arg]`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct FieldArgSpec {
    pub required: bool,
    pub index: bool,
    pub key: bool,
}

/// One extractable field as declared by `plugin_get_fields`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PluginField {
    pub name: String,
    pub ty: FieldType,
    pub is_list: bool,
    pub arg: FieldArgSpec,
    pub desc: String,
    pub display: String,
    pub properties: Vec<String>,
    pub add_output: bool,
    /// Saker extension `"sakerType"`: the libsinsp type (`PT_INT64`, `PT_PORT`, …) the value
    /// really has; `ty` stays the ABI type other hosts see (signed values travel as u64 bits).
    pub saker_type: Option<String>,
    /// Saker extension `"sakerDotted"`: the argument may follow a dot (`evt.arg.fd`).
    pub dotted: bool,
    /// Saker extension properties `sakerEitherEnd` / `sakerAnyAncestor`: a single-valued field
    /// that may return several candidate values (the first is the one outputs show).
    pub several_values: bool,
}

/// An entry of `plugin_list_open_params`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OpenParam {
    pub value: String,
    pub desc: String,
    pub separator: String,
}

/// The plugin's init schema (`plugin_get_init_schema` with type JSON).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InitSchema {
    pub text: String,
}

/// Everything static about a plugin, copied at load time.
#[derive(Debug, Clone, Serialize)]
pub struct PluginInfo {
    pub path: std::path::PathBuf,
    pub name: String,
    pub version: SemVer,
    pub version_text: String,
    pub description: String,
    pub contact: String,
    pub required_api_version: SemVer,
    pub required_api_version_text: String,
    pub capabilities: Capabilities,
    /// Source id (sourcing plugins; 0 otherwise).
    pub id: u32,
    /// Event source name (sourcing plugins; empty otherwise).
    pub event_source: String,
    pub fields: Vec<PluginField>,
    /// `plugin_get_extract_event_sources`; empty = compatible with every source.
    pub extract_event_sources: Vec<String>,
    /// `plugin_get_parse_event_sources`; empty = compatible with every source.
    pub parse_event_sources: Vec<String>,
    /// `plugin_get_async_event_sources`; empty = compatible with every source.
    pub async_event_sources: Vec<String>,
    /// `plugin_get_async_events`.
    pub async_event_names: Vec<String>,
    pub init_schema: Option<InitSchema>,
    /// Saker extension (`saker_plugin_event_table`): the event types a syscall-source plugin
    /// emits, for the rules' event-type index.
    pub event_table: Option<EventTable>,
}

/// The event types of a syscall-source plugin (Saker extension symbol
/// `saker_plugin_event_table`, a JSON object `{"events":[{"code","name","dir","old"}…],
/// "generic_syscalls":[…]}`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EventTable {
    pub events: Vec<EventTypeInfo>,
    /// Syscalls without an event of their own, reported through the generic event.
    pub generic_syscalls: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventTypeInfo {
    pub code: u16,
    pub name: String,
    /// "E" (enter), "X" (exit) or "" (no direction).
    pub dir: String,
    /// An old event version (met only in old captures).
    pub old: bool,
}

impl EventTable {
    /// Parses the JSON the extension symbol returns.
    pub(crate) fn parse(json: &str) -> Result<EventTable, String> {
        #[derive(serde::Deserialize)]
        struct Raw {
            events: Vec<RawEvent>,
            #[serde(default)]
            generic_syscalls: Vec<String>,
        }
        #[derive(serde::Deserialize)]
        struct RawEvent {
            code: u16,
            name: String,
            #[serde(default)]
            dir: String,
            #[serde(default)]
            old: bool,
        }
        let raw: Raw = serde_json::from_str(json).map_err(|e| format!("not the expected JSON object ({e})"))?;
        Ok(EventTable {
            events: raw
                .events
                .into_iter()
                .map(|e| EventTypeInfo {
                    code: e.code,
                    name: e.name,
                    dir: e.dir,
                    old: e.old,
                })
                .collect(),
            generic_syscalls: raw.generic_syscalls,
        })
    }
}

impl PluginInfo {
    /// Index of a field by name.
    pub fn field_index(&self, name: &str) -> Option<u32> {
        self.fields.iter().position(|f| f.name == name).map(|i| i as u32)
    }

    /// A "syscall-source" plugin: a source with id 0 and no source name (Saker's own syscall
    /// plugin), which may emit any libscap event type.
    pub fn is_syscall_source(&self) -> bool {
        self.capabilities.sourcing && self.id == 0 && self.event_source.is_empty()
    }
}

/// Why a JSON declaration was rejected (turned into `PluginError` by the loader, which knows the
/// plugin's name and path).
#[derive(Debug)]
pub(crate) struct FieldProblem {
    pub index: usize,
    pub field: String,
    pub detail: String,
}

pub(crate) enum DeclError {
    Json(String),
    Field(FieldProblem),
}

fn optional_bool(obj: &serde_json::Map<String, Value>, key: &str) -> Result<bool, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(format!("'{key}' must be a boolean, found {other}")),
    }
}

fn optional_string(obj: &serde_json::Map<String, Value>, key: &str) -> Result<String, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Err(format!("'{key}' must be a string, found {other}")),
    }
}

/// Parses and validates the `plugin_get_fields` JSON.
pub(crate) fn parse_fields(json: &str) -> Result<Vec<PluginField>, DeclError> {
    let value: Value =
        serde_json::from_str(json).map_err(|e| DeclError::Json(format!("not valid JSON ({e}); text: {json}")))?;
    let Value::Array(entries) = value else {
        return Err(DeclError::Json(format!(
            "expected a JSON array of field objects, found: {json}"
        )));
    };
    // An empty list is accepted as "no fields" (the loader then drops the extraction
    // capability), as Falco 0.35 did for source plugins exporting an empty extractor.
    let mut fields = Vec::with_capacity(entries.len());
    for (index, entry) in entries.iter().enumerate() {
        let problem = |field: &str, detail: String| {
            DeclError::Field(FieldProblem {
                index,
                field: field.into(),
                detail,
            })
        };
        let Value::Object(obj) = entry else {
            return Err(problem("", format!("expected an object, found {entry}")));
        };
        let name = match obj.get("name") {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            other => {
                return Err(problem(
                    "",
                    format!("'name' must be a non-empty string, found {other:?}"),
                ))
            }
        };
        let ty = match obj.get("type") {
            Some(Value::String(s)) => FieldType::from_json_name(s).ok_or_else(|| {
                problem(
                    &name,
                    format!(
                        "unknown type '{s}', expected one of string, uint64, reltime, abstime, bool, ipaddr, ipnet"
                    ),
                )
            })?,
            other => return Err(problem(&name, format!("'type' must be a string, found {other:?}"))),
        };
        let desc = match obj.get("desc") {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            other => {
                return Err(problem(
                    &name,
                    format!("'desc' must be a non-empty string, found {other:?}"),
                ))
            }
        };
        let display = optional_string(obj, "display").map_err(|d| problem(&name, d))?;
        let is_list = optional_bool(obj, "isList").map_err(|d| problem(&name, d))?;
        let add_output = optional_bool(obj, "addOutput").map_err(|d| problem(&name, d))?;
        let arg = match obj.get("arg") {
            None | Some(Value::Null) => FieldArgSpec::default(),
            Some(Value::Object(arg)) => {
                let spec = FieldArgSpec {
                    required: optional_bool(arg, "isRequired").map_err(|d| problem(&name, format!("arg: {d}")))?,
                    index: optional_bool(arg, "isIndex").map_err(|d| problem(&name, format!("arg: {d}")))?,
                    key: optional_bool(arg, "isKey").map_err(|d| problem(&name, format!("arg: {d}")))?,
                };
                if spec.required && !spec.index && !spec.key {
                    return Err(problem(
                        &name,
                        "arg.isRequired is true but neither isIndex nor isKey is; say which kind of argument is required"
                            .into(),
                    ));
                }
                spec
            }
            Some(other) => return Err(problem(&name, format!("'arg' must be an object, found {other}"))),
        };
        let properties = match obj.get("properties") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|p| match p {
                    Value::String(s) => Ok(s.clone()),
                    other => Err(problem(&name, format!("'properties' must hold strings, found {other}"))),
                })
                .collect::<Result<_, _>>()?,
            Some(other) => {
                return Err(problem(
                    &name,
                    format!("'properties' must be an array of strings, found {other}"),
                ))
            }
        };
        let saker_type = optional_string(obj, "sakerType").map_err(|d| problem(&name, d))?;
        let several_values = properties
            .iter()
            .any(|p| p == "sakerEitherEnd" || p == "sakerAnyAncestor");
        let dotted = optional_bool(obj, "sakerDotted").map_err(|d| problem(&name, d))?;
        fields.push(PluginField {
            name,
            ty,
            is_list,
            arg,
            desc,
            display,
            properties,
            add_output,
            saker_type: (!saker_type.is_empty()).then_some(saker_type),
            dotted,
            several_values,
        });
    }
    Ok(fields)
}

/// Parses a JSON array of strings (event sources lists). An empty text means "no list".
pub(crate) fn parse_string_array(json: &str) -> Result<Vec<String>, String> {
    if json.trim().is_empty() {
        return Ok(Vec::new());
    }
    let value: Value = serde_json::from_str(json).map_err(|e| format!("not valid JSON ({e}); text: {json}"))?;
    let Value::Array(items) = value else {
        return Err(format!("expected a JSON array of strings, found: {json}"));
    };
    items
        .into_iter()
        .map(|v| match v {
            Value::String(s) => Ok(s),
            other => Err(format!("expected a JSON array of strings, found element {other}")),
        })
        .collect()
}

/// Parses `plugin_list_open_params` JSON: `[{"value", "desc"?, "separator"?}]`.
pub(crate) fn parse_open_params(json: &str) -> Result<Vec<OpenParam>, String> {
    if json.trim().is_empty() {
        return Ok(Vec::new());
    }
    let value: Value = serde_json::from_str(json).map_err(|e| format!("not valid JSON ({e}); text: {json}"))?;
    let Value::Array(items) = value else {
        return Err(format!("expected a JSON array of objects, found: {json}"));
    };
    let mut params = Vec::with_capacity(items.len());
    for item in items {
        let Value::Object(obj) = &item else {
            return Err(format!("expected an object, found {item}"));
        };
        let value = optional_string(obj, "value")?;
        if value.is_empty() {
            return Err(format!("'value' must be a non-empty string in {item}"));
        }
        params.push(OpenParam {
            value,
            desc: optional_string(obj, "desc")?,
            separator: optional_string(obj, "separator")?,
        });
    }
    Ok(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_err(json: &str) -> String {
        match parse_fields(json) {
            Ok(_) => panic!("accepted {json}"),
            Err(DeclError::Json(d)) => d,
            Err(DeclError::Field(p)) => format!("#{} {}: {}", p.index, p.field, p.detail),
        }
    }

    #[test]
    fn accepts_every_sdk_style() {
        // Rust SDK style: explicit nulls.
        let rust =
            r#"[{"type":"uint64","name":"a.n","desc":"d","arg":null,"display":null,"properties":null,"isList":false}]"#;
        // Go SDK style: arg object, empty display.
        let go = r#"[{"type":"string","name":"a.s","desc":"d","display":"","arg":{"isRequired":true,"isIndex":false,"isKey":true},"properties":["hidden"]}]"#;
        let f = parse_fields(rust).unwrap_or_else(|_| panic!("rust style rejected"));
        assert_eq!(f[0].ty, FieldType::Uint64);
        let g = parse_fields(go).unwrap_or_else(|_| panic!("go style rejected"));
        assert_eq!(
            g[0].arg,
            FieldArgSpec {
                required: true,
                index: false,
                key: true
            }
        );
        assert_eq!(g[0].properties, vec!["hidden".to_string()]);
    }

    #[test]
    fn rejects_bad_fields() {
        // An empty list is no fields (the loader then drops the extraction capability).
        assert!(parse_fields("[]")
            .unwrap_or_else(|_| panic!("empty list rejected"))
            .is_empty());
        assert!(field_err("{}").contains("expected a JSON array"));
        assert!(field_err("[{").contains("not valid JSON"));
        assert!(field_err(r#"[{"name":"x","type":"float","desc":"d"}]"#).contains("unknown type 'float'"));
        assert!(field_err(r#"[{"name":"x","type":"bool","desc":""}]"#).contains("'desc' must be a non-empty string"));
        assert!(field_err(r#"[{"name":"x","type":"bool","desc":"d","isList":"yes"}]"#)
            .contains("'isList' must be a boolean"));
        assert!(
            field_err(r#"[{"name":"x","type":"bool","desc":"d","arg":{"isRequired":true}}]"#)
                .contains("neither isIndex nor isKey")
        );
    }

    #[test]
    fn string_arrays() {
        assert_eq!(parse_string_array("").unwrap(), Vec::<String>::new());
        assert_eq!(parse_string_array(r#"["a","syscall"]"#).unwrap(), vec!["a", "syscall"]);
        assert!(parse_string_array(r#"[1]"#).unwrap_err().contains("element 1"));
    }
}
