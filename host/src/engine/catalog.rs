//! The fields of one event source as the rule engine sees them: the host's own `evt.*` fields
//! plus every field of the extraction plugins compatible with that source.
//!
//! Resolving a field reference interns the pair (field, argument) once at compile time, so the
//! per-event path passes a ready-made plugin argument and never allocates.

use std::cell::RefCell;
use std::collections::HashMap;

use crate::plugins::{self, FieldArg as PluginArg, Plugin, PluginField};
use crate::rules::fields::{ArgSpec, FieldArg, FieldCatalog, FieldError, FieldId, FieldInfo, FieldType, ResolvedField};

use super::host_fields::HostField;

/// Where the value of a catalog field comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldOrigin {
    Host(HostField),
    /// Field `field` of plugin number `plugin` in the engine's `PluginSet`.
    Plugin {
        plugin: usize,
        field: u32,
    },
}

/// A resolved (field, argument) pair, ready for extraction.
#[derive(Debug, Clone)]
pub struct Binding {
    pub origin: FieldOrigin,
    pub plugin_arg: PluginArg,
    /// The type the engine compares values as (signed and floating values arrive as u64 bits).
    pub ty: FieldType,
    /// Index of the field in the catalog (its `FieldInfo`).
    pub base: u32,
}

/// One field as listed by `--list`: its description and who provides it.
#[derive(Debug, Clone)]
pub struct ListedField {
    pub info: FieldInfo,
    pub provider: String,
}

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum CatalogError {
    /// Falco's wording, which the conformance suite looks for.
    #[error("Plugin '{plugin}' supports extraction of field '{field}' that is overlapping for source '{source_name}'")]
    OverlappingField {
        plugin: String,
        field: String,
        source_name: String,
    },
}

/// The catalog of one event source.
#[derive(Debug)]
pub struct SourceCatalog {
    source: String,
    fields: Vec<FieldInfo>,
    origins: Vec<FieldOrigin>,
    providers: Vec<String>,
    by_name: HashMap<String, u32>,
    bindings: RefCell<Vec<Binding>>,
    interned: RefCell<HashMap<(u32, FieldArg), u32>>,
}

impl SourceCatalog {
    /// Builds the catalog of `source` from the host fields and the extraction plugins whose
    /// declared sources include it (an empty declaration means every source, §7.2 of the ABI
    /// reference; a source plugin's own source is always included).
    pub fn build<'p>(
        source: &str,
        plugins: impl IntoIterator<Item = &'p Plugin>,
    ) -> Result<SourceCatalog, CatalogError> {
        let mut catalog = SourceCatalog {
            source: source.to_string(),
            fields: Vec::new(),
            origins: Vec::new(),
            providers: Vec::new(),
            by_name: HashMap::new(),
            bindings: RefCell::new(Vec::new()),
            interned: RefCell::new(HashMap::new()),
        };
        for field in HostField::ALL {
            catalog.push(field.info(), FieldOrigin::Host(*field), "saker");
        }
        for (index, plugin) in plugins.into_iter().enumerate() {
            if !extracts_from(plugin.info(), source) {
                continue;
            }
            for (field_index, field) in plugin.info().fields.iter().enumerate() {
                if catalog.by_name.contains_key(&field.name) {
                    return Err(CatalogError::OverlappingField {
                        plugin: plugin.name().to_string(),
                        field: field.name.clone(),
                        source_name: source.to_string(),
                    });
                }
                let origin = FieldOrigin::Plugin {
                    plugin: index,
                    field: field_index as u32,
                };
                catalog.push(field_info(field), origin, plugin.name());
            }
        }
        Ok(catalog)
    }

    fn push(&mut self, info: FieldInfo, origin: FieldOrigin, provider: &str) {
        self.by_name.insert(info.name.clone(), self.fields.len() as u32);
        self.fields.push(info);
        self.origins.push(origin);
        self.providers.push(provider.to_string());
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// Every field, in host-then-plugin order, for `--list`.
    pub fn listed(&self) -> Vec<ListedField> {
        self.fields
            .iter()
            .zip(&self.providers)
            .map(|(info, provider)| ListedField {
                info: info.clone(),
                provider: provider.clone(),
            })
            .collect()
    }

    /// True when some plugin (not only the host) provides fields for this source.
    pub fn has_plugin_fields(&self) -> bool {
        self.origins.iter().any(|o| matches!(o, FieldOrigin::Plugin { .. }))
    }

    /// The bindings interned so far; the per-event field source indexes them by `FieldId`.
    pub fn bindings(&self) -> Vec<Binding> {
        self.bindings.borrow().clone()
    }

    fn intern(&self, base: u32, arg: &FieldArg) -> FieldId {
        if let Some(&id) = self.interned.borrow().get(&(base, arg.clone())) {
            return FieldId(id);
        }
        let origin = self.origins[base as usize];
        let ty = self.fields[base as usize].ty;
        let plugin_arg = match arg {
            FieldArg::None => PluginArg::None,
            FieldArg::Index(i) => PluginArg::Index(*i),
            // Interior NULs cannot come from a rules file (the parser rejects them), but a bad
            // key must still not panic: it extracts as "no value".
            FieldArg::Key(k) => std::ffi::CString::new(k.as_str())
                .map(PluginArg::Key)
                .unwrap_or_default(),
        };
        let mut bindings = self.bindings.borrow_mut();
        let id = bindings.len() as u32;
        bindings.push(Binding {
            origin,
            plugin_arg,
            ty,
            base,
        });
        self.interned.borrow_mut().insert((base, arg.clone()), id);
        FieldId(id)
    }

    /// The longest registered dotted-argument field that prefixes `name`, and the rest.
    fn dotted_prefix<'n>(&self, name: &'n str) -> Option<(u32, &'n str)> {
        let mut cut = name.len();
        while let Some(dot) = name[..cut].rfind('.') {
            if let Some(&base) = self.by_name.get(&name[..dot]) {
                if self.fields[base as usize].arg.dotted {
                    return Some((base, &name[dot + 1..]));
                }
            }
            cut = dot;
        }
        None
    }
}

impl FieldCatalog for SourceCatalog {
    fn resolve(&self, name: &str, arg: Option<&str>) -> Result<ResolvedField<'_>, FieldError> {
        let (base, arg) = match self.by_name.get(name) {
            Some(&base) => (base, arg),
            // `prefix.rest` on a field that takes its argument after a dot (`evt.arg.fd`).
            None => match self.dotted_prefix(name) {
                Some((base, rest)) if arg.is_none() => (base, Some(rest)),
                _ => {
                    return Err(FieldError::Unknown(match arg {
                        Some(a) => format!("{name}[{a}]"),
                        None => name.to_string(),
                    }))
                }
            },
        };
        let info = &self.fields[base as usize];
        let arg = crate::rules::fields::parse_field_arg(info, arg)?;
        let id = self.intern(base, &arg);
        Ok(ResolvedField { id, info, arg })
    }

    fn info(&self, id: FieldId) -> Option<&FieldInfo> {
        self.fields
            .get(self.bindings.borrow().get(id.0 as usize)?.base as usize)
    }
}

/// Whether a plugin extracts fields from events of `source`.
pub fn extracts_from(info: &plugins::PluginInfo, source: &str) -> bool {
    info.capabilities.extraction && handles_source(info, &info.extract_event_sources, source)
}

/// Whether `source` is in a plugin's declared source set (extract or parse): a source plugin's
/// own source always counts; an empty declaration means every source for plugins without a
/// source of their own, and only their own source for source plugins (ABI reference §7.2).
pub fn handles_source(info: &plugins::PluginInfo, declared: &[String], source: &str) -> bool {
    let own = if info.is_syscall_source() {
        Some(SYSCALL_SOURCE)
    } else if info.capabilities.sourcing && !info.event_source.is_empty() {
        Some(info.event_source.as_str())
    } else {
        None
    };
    if own == Some(source) {
        return true;
    }
    if declared.is_empty() {
        return own.is_none();
    }
    declared.iter().any(|s| s == source)
}

/// The source name of syscall-source plugins (id 0, no source name), as Falco's built-in source.
pub const SYSCALL_SOURCE: &str = "syscall";

/// A plugin's declared field as the compiler sees it.
fn field_info(field: &PluginField) -> FieldInfo {
    // Saker's own plugins declare libsinsp's richer type next to the ABI type.
    let ty = field
        .saker_type
        .as_deref()
        .and_then(FieldType::from_libsinsp_name)
        .or_else(|| FieldType::from_plugin_type(field.ty.json_name()))
        .unwrap_or(FieldType::CharBuf);
    let mut info = FieldInfo::new(&field.name, ty, &field.desc);
    info.is_list = field.is_list;
    info.display = field.display.clone();
    info.arg = ArgSpec {
        required: field.arg.required,
        index: field.arg.index,
        key: field.arg.key,
        dotted: field.dotted,
    };
    info.hidden = field.properties.iter().any(|p| p == "hidden");
    // Saker extension properties of the syscall plugin's fields.
    info.any_value = field
        .properties
        .iter()
        .any(|p| p == "sakerEitherEnd" || p == "sakerAnyAncestor");
    info
}
