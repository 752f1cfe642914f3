//! The six fields and their extraction, independent of the plugin ABI.

use json_tape::{write_indented, Kind, Limits, ParseError, Tape, MAX_DEPTH};
use plugin_api::sdk::{FieldDef, FieldType};

/// Field order is part of the ABI (field ids): as Falco's plugin, value/obj/rawtime twice.
pub const FIELDS: [FieldDef; 6] = [
    FieldDef::new(
        "json.value",
        FieldType::String,
        "Extracts a value from a JSON-encoded input. Syntax is json.value[<json pointer>], where <json pointer> is a json pointer (see https://datatracker.ietf.org/doc/html/rfc6901)",
    )
    .key_arg(true),
    FieldDef::new("json.obj", FieldType::String, "The full json message as a text string."),
    FieldDef::new(
        "json.rawtime",
        FieldType::String,
        "The time of the event, identical to evt.rawtime.",
    ),
    FieldDef::new(
        "jevt.value",
        FieldType::String,
        "Alias for json.value, provided for backwards compatibility.",
    )
    .key_arg(true),
    FieldDef::new(
        "jevt.obj",
        FieldType::String,
        "Alias for json.obj, provided for backwards compatibility.",
    ),
    FieldDef::new(
        "jevt.rawtime",
        FieldType::String,
        "Alias for json.rawtime, provided for backwards compatibility.",
    ),
];

/// Indentation of `json.obj` (Go `json.Indent(.., "", "  ")`).
const OBJ_INDENT: &str = "  ";

/// Why a field could not be extracted from an event.
#[derive(Debug, thiserror::Error)]
pub enum JsonFieldError {
    #[error("invalid json format: event {evt_num} payload starts with {found}, expected '{{' or '['")]
    NotJson { evt_num: u64, found: String },
    #[error("event {evt_num} payload is not valid JSON: {source}")]
    Parse { evt_num: u64, source: ParseError },
    #[error("no known field with id {0}: the json plugin declares {n} fields", n = FIELDS.len())]
    UnknownField(usize),
}

/// Parses each event's payload once (cached by event number) and extracts fields from it.
///
/// The first parse of an event checks all of it but records only the root's members
/// ([`SHALLOW`]): enough for a one-token pointer (`jevt.value[/stage]`, what the audit rules
/// read of every event), `json.obj` and `json.rawtime`. A longer pointer parses the event again,
/// fully, once.
#[derive(Debug, Default)]
pub struct JsonFieldExtractor {
    tape: Tape,
    /// (event number, payload length) of the document in `tape`.
    cached: Option<(u64, usize)>,
    /// `tape` records the whole document, not only its top.
    full: bool,
    scratch: Vec<u8>,
}

/// The first parse of an event: the root and its members.
const SHALLOW: Limits = Limits {
    max_depth: MAX_DEPTH,
    expand_depth: 1,
};

impl JsonFieldExtractor {
    pub fn new() -> Self {
        Self::default()
    }

    /// Extracts field number `field` (index in [`FIELDS`]) with its key argument from the event
    /// `evt_num` with timestamp `ts_ns` and plugin payload `payload`; each value goes to `out`.
    /// No call of `out` means "no value".
    pub fn extract(
        &mut self,
        evt_num: u64,
        ts_ns: u64,
        payload: &[u8],
        field: usize,
        arg: Option<&str>,
        out: &mut dyn FnMut(&str),
    ) -> Result<(), JsonFieldError> {
        if field >= FIELDS.len() {
            return Err(JsonFieldError::UnknownField(field));
        }
        match payload.first() {
            Some(b'{' | b'[') => {}
            first => {
                return Err(JsonFieldError::NotJson {
                    evt_num,
                    found: first.map_or("nothing (empty payload)".into(), |b| format!("byte 0x{b:02x}")),
                })
            }
        }
        if self.cached != Some((evt_num, payload.len())) {
            self.cached = None;
            self.tape
                .parse_with(payload, SHALLOW)
                .map_err(|source| JsonFieldError::Parse { evt_num, source })?;
            self.cached = Some((evt_num, payload.len()));
            self.full = false;
        }
        let deep_pointer = field % 3 == 0 && arg.is_some_and(|p| p.strip_prefix('/').unwrap_or(p).contains('/'));
        if deep_pointer && !self.full {
            // The shallow parse checked the text already: this one does not fail.
            self.cached = None;
            self.tape
                .parse(payload)
                .map_err(|source| JsonFieldError::Parse { evt_num, source })?;
            self.cached = Some((evt_num, payload.len()));
            self.full = true;
        }
        let Some(root) = self.tape.root() else {
            return Ok(());
        };
        self.scratch.clear();
        match field % 3 {
            0 => {
                let pointer = arg.unwrap_or("");
                if pointer.is_empty() {
                    root.write_compact(&mut self.scratch);
                } else {
                    let pointer = pointer.strip_prefix('/').unwrap_or(pointer);
                    let mut value = root;
                    for token in pointer.split('/') {
                        let found = if token.contains('~') {
                            value.get(&token.replace("~1", "/").replace("~0", "~"))
                        } else {
                            value.get(token)
                        };
                        match found {
                            Some(v) => value = v,
                            None => return Ok(()),
                        }
                    }
                    if value.kind() == Kind::String {
                        if let Some(s) = value.as_str() {
                            out(&s);
                        }
                        return Ok(());
                    }
                    value.write_compact(&mut self.scratch);
                }
            }
            1 => write_indented(payload, OBJ_INDENT, &mut self.scratch),
            _ => {
                use std::io::Write;
                let _ = write!(self.scratch, "{ts_ns}");
            }
        }
        out(&json_tape::utf8_lossy(&self.scratch));
        Ok(())
    }
}
