//! `saker plugins inspect FILE.so`: what a plugin declares. Without executing plugin code when
//! the ELF carries a `.saker_manifest` section (Saker SDK plugins); otherwise by loading it and
//! reading its static information (which runs its constructors and getters, not `init`).

use super::error::PluginError;
use super::info::PluginInfo;
use super::plugin::{LoadOptions, Plugin};
use serde::Serialize;
use std::fmt::Write as _;
use std::path::Path;

/// Name of the ELF section holding a Saker plugin manifest.
pub const MANIFEST_SECTION: &str = ".saker_manifest";

/// What `inspect` found, and how.
#[derive(Debug, Clone, Serialize)]
pub struct InspectReport {
    /// "manifest" (read without running code) or "dlopen".
    pub method: &'static str,
    pub info: PluginInfo,
}

/// Inspects a plugin file.
pub fn inspect(path: impl AsRef<Path>) -> Result<InspectReport, PluginError> {
    // The manifest reader lives in plugin_api (sdk branch); until it is merged, every plugin
    // is inspected by loading it.
    let plugin = Plugin::load(path.as_ref(), &LoadOptions::default())?;
    Ok(InspectReport {
        method: "dlopen",
        info: plugin.info().clone(),
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
