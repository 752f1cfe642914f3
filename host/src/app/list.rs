//! `--list-plugins` and `--list`: what the loaded plugins are and which fields they offer.

use std::fmt::Write;

use crate::engine::catalog::SourceCatalog;

use super::sources::SourcePlan;

/// Falco's `--list-plugins` text: `<n> Plugins Loaded:` then one block per plugin.
pub fn plugins(plan: &SourcePlan) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} Plugins Loaded:", plan.plugins.len());
    for plugin in plan.plugins.iter() {
        let info = plugin.info();
        let _ = writeln!(out);
        let _ = writeln!(out, "Name: {}", info.name);
        let _ = writeln!(out, "Description: {}", info.description);
        let _ = writeln!(out, "Contact: {}", info.contact);
        let _ = writeln!(out, "Version: {}", info.version_text);
        let _ = writeln!(out, "Capabilities:");
        if info.capabilities.sourcing {
            let _ = writeln!(out, "  - Event Sourcing (ID={}, source='{}')", info.id, info.event_source);
        }
        if info.capabilities.extraction {
            let _ = writeln!(out, "  - Field Extraction");
        }
        if info.capabilities.parsing {
            let _ = writeln!(out, "  - Event Parsing");
        }
        if info.capabilities.async_events {
            let _ = writeln!(out, "  - Async Events");
        }
        if info.capabilities.capture_listening {
            let _ = writeln!(out, "  - Capture Listening");
        }
    }
    out
}

/// `--list [SOURCE]`: every field of every known source (or of one), grouped by provider.
pub fn fields(plan: &SourcePlan, source: &str, names_only: bool) -> String {
    let mut out = String::new();
    let catalogs = match plan.catalogs() {
        Ok(c) => c,
        Err(e) => return format!("{}\n", e.0),
    };
    for catalog in catalogs.iter().filter(|c| source.is_empty() || c.source() == source) {
        list_catalog(&mut out, catalog, names_only);
    }
    out
}

fn list_catalog(out: &mut String, catalog: &SourceCatalog, names_only: bool) {
    let mut current_provider = String::new();
    for field in catalog.listed() {
        if field.info.hidden {
            continue;
        }
        if names_only {
            let _ = writeln!(out, "{}", field.info.name);
            continue;
        }
        if field.provider != current_provider {
            current_provider = field.provider.clone();
            let _ = writeln!(out, "\nField Class: {} (source: {})\n", field.provider, catalog.source());
        }
        let name = match (field.info.arg.required, field.info.arg.index || field.info.arg.key) {
            (true, _) => format!("{}[...]", field.info.name),
            (false, true) => format!("{}[...?]", field.info.name),
            _ => field.info.name.clone(),
        };
        let list = if field.info.is_list { " (list)" } else { "" };
        let _ = writeln!(
            out,
            "{name:<32} {:<9} {}{list}",
            field.info.ty.libsinsp_name().trim_start_matches("PT_").to_lowercase(),
            field.info.desc
        );
    }
}
