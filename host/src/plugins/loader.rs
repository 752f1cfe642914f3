//! Opening a plugin `.so`, resolving its `plugin_*` symbols and copying out its static
//! declarations, with the checks libsinsp applies at load time (plugin API 3.12.0,
//! `reference/plugin-abi.md` §1–2), in the same order.

use super::error::PluginError;
use super::info::{self, Capabilities, DeclError, EventTable, InitSchema, PluginInfo};
use super::version::{SemVer, HOST_API_VERSION};
use plugin_api::ffi::{self, symbols as sym, PLUGIN_API_VERSION_STR};
use std::ffi::{c_char, CStr};
use std::path::{Path, PathBuf};

/// The source name reserved for Saker's own syscall plugin.
pub const RESERVED_SOURCE_NAME: &str = "syscall";

/// Every `plugin_*` symbol of API 3.12; a missing symbol is `None`.
#[derive(Clone, Copy, Default)]
pub(crate) struct Symbols {
    pub get_required_api_version: Option<sym::get_required_api_version>,
    pub get_version: Option<sym::get_static_string>,
    pub get_name: Option<sym::get_static_string>,
    pub get_description: Option<sym::get_static_string>,
    pub get_contact: Option<sym::get_static_string>,
    pub get_init_schema: Option<sym::get_init_schema>,
    pub init: Option<sym::init>,
    pub destroy: Option<sym::destroy>,
    pub get_last_error: Option<sym::get_last_error>,
    pub set_config: Option<sym::set_config>,
    pub get_metrics: Option<sym::get_metrics>,
    pub get_required_event_schema_version: Option<sym::get_required_event_schema_version>,
    pub get_id: Option<sym::get_id>,
    pub get_event_source: Option<sym::get_static_string>,
    pub open: Option<sym::open>,
    pub close: Option<sym::close>,
    pub next_batch: Option<sym::next_batch>,
    pub get_progress: Option<sym::get_progress>,
    pub event_to_string: Option<sym::event_to_string>,
    pub list_open_params: Option<sym::list_open_params>,
    pub get_fields: Option<sym::get_static_string>,
    pub extract_fields: Option<sym::extract_fields>,
    pub get_extract_event_sources: Option<sym::get_static_string>,
    pub get_extract_event_types: Option<sym::get_event_types>,
    pub parse_event: Option<sym::parse_event>,
    pub get_parse_event_sources: Option<sym::get_static_string>,
    pub get_parse_event_types: Option<sym::get_event_types>,
    pub get_async_event_sources: Option<sym::get_static_string>,
    pub get_async_events: Option<sym::get_static_string>,
    pub set_async_event_handler: Option<sym::set_async_event_handler>,
    // Resolved for completeness; capture dumps are not implemented by the host yet.
    #[allow(dead_code)]
    pub dump_state: Option<sym::dump_state>,
    pub capture_open: Option<sym::capture_listen>,
    pub capture_close: Option<sym::capture_listen>,
    /// Saker extension: `saker_plugin_event_table` (not prefixed with `plugin_`).
    pub saker_event_table: Option<sym::get_static_string>,
    /// Exported by every plugin built with Saker's SDK, whose `extract_fields` answers several
    /// fields per call correctly (Falco's Rust SDK does not, `reference/plugin-abi.md` §14).
    pub saker_manifest: Option<sym::get_static_string>,
    /// Saker extension for plugins in other languages: non-zero = `extract_fields` answers
    /// several fields per call correctly.
    pub saker_several_fields: Option<sym::get_id>,
}

/// Looks up `plugin_<name>`; absent symbols are `None`.
fn lookup<T: Copy>(lib: &libloading::Library, name: &str) -> Option<T> {
    lookup_exact(lib, &format!("plugin_{name}"))
}

/// Looks up a symbol by its full name; absent symbols are `None`.
fn lookup_exact<T: Copy>(lib: &libloading::Library, name: &str) -> Option<T> {
    let symbol = format!("{name}\0");
    // SAFETY: `T` is the C signature documented for that symbol by the plugin API (the caller
    // picks the type from `plugin_api::ffi::symbols`); the pointer is copied out and used only
    // while `lib` stays loaded (the `LoadedLibrary` keeps both together).
    unsafe { lib.get::<T>(symbol.as_bytes()).ok().map(|s| *s) }
}

impl Symbols {
    fn resolve(lib: &libloading::Library) -> Symbols {
        Symbols {
            get_required_api_version: lookup(lib, "get_required_api_version"),
            get_version: lookup(lib, "get_version"),
            get_name: lookup(lib, "get_name"),
            get_description: lookup(lib, "get_description"),
            get_contact: lookup(lib, "get_contact"),
            get_init_schema: lookup(lib, "get_init_schema"),
            init: lookup(lib, "init"),
            destroy: lookup(lib, "destroy"),
            get_last_error: lookup(lib, "get_last_error"),
            set_config: lookup(lib, "set_config"),
            get_metrics: lookup(lib, "get_metrics"),
            get_required_event_schema_version: lookup(lib, "get_required_event_schema_version"),
            get_id: lookup(lib, "get_id"),
            get_event_source: lookup(lib, "get_event_source"),
            open: lookup(lib, "open"),
            close: lookup(lib, "close"),
            next_batch: lookup(lib, "next_batch"),
            get_progress: lookup(lib, "get_progress"),
            event_to_string: lookup(lib, "event_to_string"),
            list_open_params: lookup(lib, "list_open_params"),
            get_fields: lookup(lib, "get_fields"),
            extract_fields: lookup(lib, "extract_fields"),
            get_extract_event_sources: lookup(lib, "get_extract_event_sources"),
            get_extract_event_types: lookup(lib, "get_extract_event_types"),
            parse_event: lookup(lib, "parse_event"),
            get_parse_event_sources: lookup(lib, "get_parse_event_sources"),
            get_parse_event_types: lookup(lib, "get_parse_event_types"),
            get_async_event_sources: lookup(lib, "get_async_event_sources"),
            get_async_events: lookup(lib, "get_async_events"),
            set_async_event_handler: lookup(lib, "set_async_event_handler"),
            dump_state: lookup(lib, "dump_state"),
            capture_open: lookup(lib, "capture_open"),
            capture_close: lookup(lib, "capture_close"),
            saker_event_table: lookup_exact(lib, "saker_plugin_event_table"),
            saker_manifest: lookup_exact(lib, "saker_plugin_manifest"),
            saker_several_fields: lookup_exact(lib, "saker_plugin_extracts_several_fields"),
        }
    }
}

/// An opened library with its resolved symbols. Symbols are only valid while `_library` lives.
pub(crate) struct LoadedLibrary {
    pub symbols: Symbols,
    _library: libloading::Library,
}

/// Copies a plugin-owned C string at once (SDKs may reuse one buffer for every getter).
///
/// # Safety
/// `ptr` must be NULL or point to a NUL-terminated string valid for the duration of the call.
pub(crate) unsafe fn copy_c_string(ptr: *const c_char) -> Option<String> {
    if ptr.is_null() {
        return None;
    }
    // SAFETY: non-NULL and NUL-terminated per the caller's contract.
    Some(unsafe { CStr::from_ptr(ptr) }.to_string_lossy().into_owned())
}

/// Calls a static string getter and copies its result.
fn call_getter(getter: sym::get_static_string) -> Option<String> {
    // SAFETY: a plugin static getter takes no argument and returns NULL or a NUL-terminated
    // string that stays valid at least until the next call of a getter; we copy it at once.
    unsafe { copy_c_string(getter()) }
}

/// Opens the library with RTLD_NOW | RTLD_LOCAL, as libsinsp does.
fn open_library(path: &Path) -> Result<libloading::Library, PluginError> {
    use libloading::os::unix::{Library, RTLD_LOCAL, RTLD_NOW};
    if !path.exists() {
        return Err(PluginError::Open {
            path: path.to_path_buf(),
            reason: "No such file or directory".into(),
        });
    }
    // SAFETY: loading a plugin runs its ELF constructors; that is inherent to hosting plugins
    // and the same trust decision Falco makes when the operator lists the plugin.
    let lib = unsafe { Library::open(Some(path), RTLD_NOW | RTLD_LOCAL) }.map_err(|e| {
        // libloading's Display is just "dlopen failed"; the system's reason is the source.
        let reason = match std::error::Error::source(&e) {
            Some(detail) => format!("{e}: {detail}"),
            None => e.to_string(),
        };
        PluginError::Open {
            path: path.to_path_buf(),
            reason,
        }
    })?;
    Ok(lib.into())
}

/// Loads a plugin library and its static information, applying every load-time check.
pub(crate) fn load(path: &Path) -> Result<(LoadedLibrary, PluginInfo), PluginError> {
    let library = open_library(path)?;
    let symbols = Symbols::resolve(&library);
    let loaded = LoadedLibrary {
        symbols,
        _library: library,
    };
    let info = read_info(path, &loaded.symbols)?;
    Ok((loaded, info))
}

fn read_info(path: &Path, s: &Symbols) -> Result<PluginInfo, PluginError> {
    let file = path.to_path_buf();
    // 1. API version.
    let Some(get_api) = s.get_required_api_version else {
        return Err(PluginError::MissingSymbol {
            path: file,
            symbol: "get_required_api_version",
        });
    };
    let api_text = call_getter(get_api).unwrap_or_default();
    let Some(required_api) = SemVer::parse_prefix(&api_text) else {
        return Err(PluginError::BadVersion {
            plugin: file.display().to_string(),
            path: file,
            what: "plugin_get_required_api_version",
            found: api_text,
        });
    };
    if let Some(why) = required_api.incompatibility_with(HOST_API_VERSION) {
        let fix = if required_api.major != HOST_API_VERSION.major {
            format!("rebuild the plugin against API {}.x", HOST_API_VERSION.major)
        } else {
            "use a plugin version built for an older API, or a newer Saker".to_string()
        };
        return Err(PluginError::IncompatibleApi {
            path: file,
            required: api_text,
            provided: PLUGIN_API_VERSION_STR,
            why,
            fix,
        });
    }

    // 2. Required symbols.
    for (present, symbol) in [
        (s.get_version.is_some(), "get_version"),
        (s.get_name.is_some(), "get_name"),
        (s.get_description.is_some(), "get_description"),
        (s.get_contact.is_some(), "get_contact"),
        (s.init.is_some(), "init"),
        (s.destroy.is_some(), "destroy"),
        (s.get_last_error.is_some(), "get_last_error"),
    ] {
        if !present {
            return Err(PluginError::MissingSymbol { path: file, symbol });
        }
    }

    // 3. Static strings, copied at once.
    let getter_text = |g: Option<sym::get_static_string>| g.and_then(call_getter);
    let name = getter_text(s.get_name).unwrap_or_default();
    let plugin = if name.is_empty() {
        file.display().to_string()
    } else {
        name.clone()
    };
    if name.is_empty() {
        return Err(PluginError::NullString {
            plugin,
            path: file,
            what: "plugin_get_name",
        });
    }
    let description = getter_text(s.get_description).unwrap_or_default();
    let contact = getter_text(s.get_contact).unwrap_or_default();
    let version_text = getter_text(s.get_version).unwrap_or_default();
    let Some(version) = SemVer::parse_prefix(&version_text) else {
        return Err(PluginError::BadVersion {
            plugin,
            path: file,
            what: "plugin_get_version",
            found: version_text,
        });
    };

    // 4. Capabilities.
    let caps = capabilities(s).map_err(|detail| PluginError::BrokenCapabilities {
        plugin: plugin.clone(),
        path: file.clone(),
        detail,
    })?;
    if !caps.any() {
        return Err(PluginError::NoCapability { plugin, path: file });
    }

    // 5. Sourcing: id and source name.
    let (mut id, mut event_source) = (0, String::new());
    if caps.sourcing {
        // SAFETY: `plugin_get_id` takes no argument and returns a u32.
        id = s.get_id.map(|f| unsafe { f() }).unwrap_or(0);
        event_source = getter_text(s.get_event_source).unwrap_or_default();
        if (id != 0) == event_source.is_empty() {
            return Err(PluginError::BrokenCapabilities {
                plugin,
                path: file,
                detail: format!(
                    "a source plugin must have both a non-zero id and a non-empty event source, or neither; \
                     found id {id} and event source '{event_source}'"
                ),
            });
        }
        if event_source == RESERVED_SOURCE_NAME {
            return Err(PluginError::ReservedSource { plugin, path: file });
        }
    }

    let invalid_json = |what: &'static str, detail: String| PluginError::InvalidJson {
        plugin: plugin.clone(),
        path: file.clone(),
        what,
        detail,
    };

    // 6. Fields.
    let mut fields = Vec::new();
    if caps.extraction {
        let Some(json) = getter_text(s.get_fields) else {
            return Err(invalid_json(
                "plugin_get_fields",
                "it returned NULL; return a JSON array of fields".into(),
            ));
        };
        fields = info::parse_fields(&json).map_err(|e| match e {
            DeclError::Json(detail) => invalid_json("plugin_get_fields", detail),
            DeclError::Field(p) => PluginError::InvalidField {
                plugin: plugin.clone(),
                path: file.clone(),
                index: p.index,
                field: p.field,
                detail: p.detail,
            },
        })?;
    }

    let mut caps = caps;
    if caps.extraction && fields.is_empty() {
        caps.extraction = false;
    }

    // 7. Event sources and async event names.
    let sources = |g: Option<sym::get_static_string>, what: &'static str| -> Result<Vec<String>, PluginError> {
        let mut list = match getter_text(g) {
            None => Vec::new(),
            Some(json) => info::parse_string_array(&json).map_err(|d| invalid_json(what, d))?,
        };
        if caps.sourcing && id != 0 && !list.contains(&event_source) {
            list.push(event_source.clone());
        }
        Ok(list)
    };
    let extract_event_sources = if caps.extraction {
        sources(s.get_extract_event_sources, "plugin_get_extract_event_sources")?
    } else {
        vec![]
    };
    let parse_event_sources = if caps.parsing {
        sources(s.get_parse_event_sources, "plugin_get_parse_event_sources")?
    } else {
        vec![]
    };
    let (mut async_event_sources, mut async_event_names) = (Vec::new(), Vec::new());
    if caps.async_events {
        async_event_sources = sources(s.get_async_event_sources, "plugin_get_async_event_sources")?;
        let json = getter_text(s.get_async_events).unwrap_or_default();
        async_event_names = info::parse_string_array(&json).map_err(|d| invalid_json("plugin_get_async_events", d))?;
        if async_event_names.is_empty() || async_event_names.iter().any(String::is_empty) {
            return Err(invalid_json(
                "plugin_get_async_events",
                format!("expected a non-empty JSON array of non-empty event names, found '{json}'"),
            ));
        }
    }

    // Init schema.
    let init_schema = match s.get_init_schema {
        None => None,
        Some(get_schema) => {
            let mut schema_type = ffi::SS_PLUGIN_SCHEMA_NONE;
            // SAFETY: `schema_type` is a valid out-pointer for the call; the string is copied at once.
            let text = unsafe { copy_c_string(get_schema(&mut schema_type)) }.unwrap_or_default();
            match schema_type {
                _ if text.is_empty() => None,
                ffi::SS_PLUGIN_SCHEMA_NONE => None,
                ffi::SS_PLUGIN_SCHEMA_JSON => {
                    match serde_json::from_str::<serde_json::Value>(&text) {
                        Ok(serde_json::Value::Object(_)) => {}
                        Ok(_) => {
                            return Err(invalid_json(
                                "plugin_get_init_schema",
                                "the schema is not a JSON object".into(),
                            ))
                        }
                        Err(e) => return Err(invalid_json("plugin_get_init_schema", format!("not valid JSON ({e})"))),
                    }
                    Some(InitSchema { text })
                }
                other => {
                    return Err(invalid_json(
                        "plugin_get_init_schema",
                        format!("unknown schema type {other}; expected 0 (none) or 1 (JSON)"),
                    ))
                }
            }
        }
    };

    let event_table = match getter_text(s.saker_event_table) {
        None => None,
        Some(json) => Some(EventTable::parse(&json).map_err(|d| invalid_json("saker_plugin_event_table", d))?),
    };

    Ok(PluginInfo {
        path: PathBuf::from(path),
        name,
        version,
        version_text,
        description,
        contact,
        required_api_version: required_api,
        required_api_version_text: api_text,
        capabilities: caps,
        id,
        event_source,
        fields,
        extract_event_sources,
        parse_event_sources,
        async_event_sources,
        async_event_names,
        init_schema,
        event_table,
    })
}

/// Capability detection with libsinsp's BROKEN rules.
fn capabilities(s: &Symbols) -> Result<Capabilities, String> {
    let mut broken = Vec::new();
    let source_syms = [s.open.is_some(), s.close.is_some(), s.next_batch.is_some()];
    let sourcing = source_syms.iter().all(|b| *b);
    if !sourcing && source_syms.iter().any(|b| *b) {
        broken.push("event sourcing needs plugin_open, plugin_close and plugin_next_batch, only some are exported");
    }
    let extraction = s.get_fields.is_some() && s.extract_fields.is_some();
    if s.extract_fields.is_some() && s.get_fields.is_none() {
        broken.push("plugin_extract_fields is exported without plugin_get_fields");
    }
    let async_events = s.get_async_events.is_some() && s.set_async_event_handler.is_some();
    if s.set_async_event_handler.is_some() && s.get_async_events.is_none() {
        broken.push("plugin_set_async_event_handler is exported without plugin_get_async_events");
    }
    let capture_listening = s.capture_open.is_some() && s.capture_close.is_some();
    if s.capture_open.is_some() && s.capture_close.is_none() {
        broken.push("plugin_capture_open is exported without plugin_capture_close");
    }
    if !broken.is_empty() {
        return Err(broken.join("; "));
    }
    Ok(Capabilities {
        sourcing,
        extraction,
        parsing: s.parse_event.is_some(),
        async_events,
        capture_listening,
    })
}
