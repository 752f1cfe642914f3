//! Saker's `json` plugin (`libjson.so`): extracts `json.value[/pointer]`, `json.obj`,
//! `json.rawtime` and their `jevt.*` aliases from any event whose plugin payload is JSON.
//!
//! Behaviour matches Falco's json plugin 0.7.4 (falcosecurity/plugins `plugins/json`), so rules
//! pinning `json` in `required_plugin_versions` keep loading; see `README.md`.
#![deny(unsafe_op_in_unsafe_fn)]

pub mod fields;

use plugin_api::sdk::{
    ExtractOutput, ExtractPlugin, ExtractRequest, FieldArg, FieldDef, InitInput, Plugin, PluginError,
};

pub use fields::{JsonFieldError, JsonFieldExtractor, FIELDS};

/// Init config schema: Falco's plugin accepts `useAsync` (a Go SDK option, ignored here) and
/// any other key.
pub const INIT_SCHEMA: &str = r#"{"$schema":"http://json-schema.org/draft-04/schema#","type":"object","properties":{"useAsync":{"type":"boolean","description":"Accepted for compatibility with Falco's json plugin; ignored by Saker.","default":true}},"additionalProperties":true}"#;

/// The plugin state: the per-event parse cache.
pub struct JsonPlugin {
    extractor: JsonFieldExtractor,
}

impl Plugin for JsonPlugin {
    const NAME: &'static str = "json";
    /// The Falco json plugin release whose fields and behaviour this one matches.
    const VERSION: &'static str = "0.7.4";
    const DESCRIPTION: &'static str = "implements extracting arbitrary fields from inputs formatted as JSON";
    const CONTACT: &'static str = "https://github.com/saker-project/saker";
    const INIT_SCHEMA: Option<&'static str> = Some(INIT_SCHEMA);

    /// Like Falco's plugin, the init config is not used and never rejected.
    fn init(_input: InitInput<'_>) -> Result<Self, PluginError> {
        Ok(JsonPlugin {
            extractor: JsonFieldExtractor::new(),
        })
    }
}

impl ExtractPlugin for JsonPlugin {
    const FIELDS: &'static [FieldDef] = &FIELDS;
    /// Every source: the host only routes plugin events (type 322) to this plugin.
    const EXTRACT_EVENT_SOURCES: &'static [&'static str] = &[];

    fn extract(&mut self, req: ExtractRequest<'_>, out: &mut ExtractOutput) -> Result<(), PluginError> {
        let arg = match req.arg {
            FieldArg::Key(k) => Some(k),
            FieldArg::None => None,
            // An index arg is not declared, but `json.value[0]` reaches us as a key anyway.
            FieldArg::Index(_) => None,
        };
        let mut sink_error = None;
        let r = self.extractor.extract(
            req.evt_num,
            req.event.ts(),
            req.data(),
            req.field_index,
            arg,
            &mut |s: &str| {
                if let Err(e) = out.str(s) {
                    sink_error.get_or_insert(e);
                }
            },
        );
        r.map_err(|e| PluginError::Message(e.to_string()))?;
        sink_error.map_or(Ok(()), Err)
    }
}

plugin_api::saker_plugin!(JsonPlugin; extract);
