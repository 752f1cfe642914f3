//! `saker plugins inspect FILE.so`: what a plugin declares. Without executing plugin code when
//! the ELF carries a `.saker_manifest` section (Saker SDK plugins); otherwise by loading it and
//! reading its static information (which runs its constructors and getters, not `init`).
//! The manifest does not carry parse/async event sources; those lists stay empty there.

use super::error::PluginError;
use super::info::{self, Capabilities, DeclError, InitSchema, PluginInfo};
use super::plugin::{LoadOptions, Plugin};
use super::version::SemVer;
use serde::Serialize;
use std::fmt::Write as _;
use std::path::Path;

/// Name of the ELF section holding a Saker plugin manifest.
pub use plugin_api::manifest::MANIFEST_SECTION;

/// What `inspect` found, and how.
#[derive(Debug, Clone, Serialize)]
pub struct InspectReport {
    /// "manifest" (read without running code) or "dlopen".
    pub method: &'static str,
    pub info: PluginInfo,
}

/// Inspects a plugin file: from its manifest section when present, else by loading it.
pub fn inspect(path: impl AsRef<Path>) -> Result<InspectReport, PluginError> {
    let path = path.as_ref();
    // Unreadable or non-ELF files fall through to the loader, which reports them like Falco.
    if let Ok(bytes) = std::fs::read(path) {
        if let Ok(Some(json)) = plugin_api::manifest::read_manifest(&bytes) {
            let info = info_from_manifest(path, &json)?;
            return Ok(InspectReport {
                method: "manifest",
                info,
            });
        }
    }
    let plugin = Plugin::load(path, &LoadOptions::default())?;
    Ok(InspectReport {
        method: "dlopen",
        info: plugin.info().clone(),
    })
}

/// Builds the static info from a manifest, with the same validation as the loader.
fn info_from_manifest(path: &Path, json: &str) -> Result<PluginInfo, PluginError> {
    let bad = |detail: String| PluginError::Manifest {
        path: path.to_path_buf(),
        detail,
    };
    let v: serde_json::Value = serde_json::from_str(json).map_err(|e| bad(format!("not valid JSON ({e})")))?;
    let text = |key: &str| v.get(key).and_then(|x| x.as_str()).map(str::to_string);
    let need = |key: &str| text(key).ok_or_else(|| bad(format!("missing string '{key}'")));
    let version_text = need("version")?;
    let api_text = need("required_api_version")?;
    let version =
        SemVer::parse_prefix(&version_text).ok_or_else(|| bad(format!("version '{version_text}' is not x.y.z")))?;
    let required_api_version = SemVer::parse_prefix(&api_text)
        .ok_or_else(|| bad(format!("required_api_version '{api_text}' is not x.y.z")))?;
    let caps: Vec<String> = v
        .get("capabilities")
        .and_then(|c| c.as_array())
        .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    let has = |c: &str| caps.iter().any(|x| x == c);
    let capabilities = Capabilities {
        sourcing: has("sourcing"),
        extraction: has("extraction"),
        parsing: has("parsing"),
        async_events: has("async_events"),
        capture_listening: has("capture_listening"),
    };
    let fields = match v.get("fields") {
        Some(f) if capabilities.extraction => info::parse_fields(&f.to_string()).map_err(|e| match e {
            DeclError::Json(d) => bad(format!("fields: {d}")),
            DeclError::Field(p) => bad(format!("field #{} '{}': {}", p.index, p.field, p.detail)),
        })?,
        _ => Vec::new(),
    };
    let strings = |key: &str| -> Vec<String> {
        v.get(key)
            .and_then(|c| c.as_array())
            .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
            .unwrap_or_default()
    };
    Ok(PluginInfo {
        path: path.to_path_buf(),
        name: need("name")?,
        version,
        version_text,
        description: text("description").unwrap_or_default(),
        contact: text("contact").unwrap_or_default(),
        required_api_version,
        required_api_version_text: api_text,
        capabilities,
        id: v.get("id").and_then(|x| x.as_u64()).unwrap_or(0) as u32,
        event_source: text("event_source").unwrap_or_default(),
        fields,
        extract_event_sources: strings("extract_event_sources"),
        parse_event_sources: Vec::new(),
        async_event_sources: Vec::new(),
        async_event_names: strings("async_events"),
        init_schema: text("init_schema")
            .filter(|s| !s.is_empty())
            .map(|text| InitSchema { text }),
        event_table: None,
    })
}

impl InspectReport {
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    pub fn to_text(&self) -> String {
        let i = &self.info;
        let mut s = String::new();
        let _ = writeln!(s, "File:               {}", i.path.display());
        let _ = writeln!(s, "Read from:          {}", self.method);
        let _ = writeln!(s, "Name:               {}", i.name);
        let _ = writeln!(s, "Version:            {}", i.version_text);
        let _ = writeln!(s, "Description:        {}", i.description);
        let _ = writeln!(s, "Contact:            {}", i.contact);
        let _ = writeln!(s, "Required API:       {}", i.required_api_version_text);
        let _ = writeln!(s, "Capabilities:       {}", i.capabilities.names().join(", "));
        if i.capabilities.sourcing {
            let _ = writeln!(s, "Event source:       {} (id {})", i.event_source, i.id);
        }
        if !i.extract_event_sources.is_empty() {
            let _ = writeln!(s, "Extract sources:    {}", i.extract_event_sources.join(", "));
        }
        if !i.parse_event_sources.is_empty() {
            let _ = writeln!(s, "Parse sources:      {}", i.parse_event_sources.join(", "));
        }
        if !i.async_event_names.is_empty() {
            let _ = writeln!(s, "Async events:       {}", i.async_event_names.join(", "));
        }
        if !i.fields.is_empty() {
            let _ = writeln!(s, "Fields:");
            let width = i.fields.iter().map(|f| f.name.len() + 8).max().unwrap_or(0);
            for f in &i.fields {
                let mut name = f.name.clone();
                if f.arg.index || f.arg.key {
                    name.push_str(if f.arg.required { "[arg]" } else { "[arg?]" });
                }
                let ty = if f.is_list {
                    format!("list<{}>", f.ty.json_name())
                } else {
                    f.ty.json_name().to_string()
                };
                let _ = writeln!(s, "  {name:<width$} {ty:<14} {}", f.desc);
            }
        }
        match &i.init_schema {
            Some(schema) => {
                let _ = writeln!(s, "Init schema:        {}", schema.text);
            }
            None => {
                let _ = writeln!(s, "Init schema:        (none)");
            }
        }
        s
    }
}
