//! A loaded plugin: its library, static info and (after `init`) its state, with the calls the
//! engine makes on it. One thread drives a state at a time (plugin API 3.12.0 §13), so a
//! `Plugin` is `Send` but not `Sync`.

use super::asyncev::{async_handler, AsyncQueue, AsyncSink};
use super::error::PluginError;
use super::extract::{ExtractedValue, ExtractedValues, FieldArg, FieldBatch, ValueSink, MAX_EXTRACTED_VALUES};
use super::info::{FieldType, PluginInfo};
use super::loader::{self, copy_c_string, LoadedLibrary};
use super::owner::{self, Owner};
use super::routines::{self, RoutinePool};
use super::tables::{vtable, TableRegistry};
use super::version::{SemVer, HOST_API_VERSION};
use plugin_api::ffi::{self, PPME_PLUGINEVENT_E, SS_PLUGIN_SUCCESS};
use std::cell::Cell;
use std::collections::HashSet;
use std::ffi::{CStr, CString};
use std::path::Path;
use std::sync::Arc;

/// How many payload bytes `event_to_string`'s fallback shows.
pub const EVENT_STRING_FALLBACK_BYTES: usize = 50;

/// Options for [`Plugin::load`].
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {}

/// Which events a plugin's parse or extract capability sees.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// None = every event type.
    pub types: Option<HashSet<u16>>,
    /// Empty = every source.
    pub sources: Vec<String>,
    /// `types` as one bit per event code (empty when `types` is None): the engine asks
    /// `matches` for every field of every event, where hashing the code cost more than the
    /// rest of the check.
    type_bits: Vec<u64>,
}

impl EventFilter {
    pub fn new(types: Option<HashSet<u16>>, sources: Vec<String>) -> EventFilter {
        let mut type_bits = Vec::new();
        for &code in types.iter().flatten() {
            let word = usize::from(code / 64);
            if type_bits.len() <= word {
                type_bits.resize(word + 1, 0);
            }
            type_bits[word] |= 1u64 << (code % 64);
        }
        EventFilter {
            types,
            sources,
            type_bits,
        }
    }

    #[inline]
    pub fn matches(&self, event_type: u16, source: &str) -> bool {
        self.matches_type(event_type) && (self.sources.is_empty() || self.sources.iter().any(|s| s == source))
    }

    #[inline]
    fn matches_type(&self, event_type: u16) -> bool {
        if self.types.is_none() {
            return true;
        }
        let word = self.type_bits.get(usize::from(event_type / 64)).copied().unwrap_or(0);
        word & (1u64 << (event_type % 64)) != 0
    }
}

/// Per-plugin counters of silent outcomes (not logged per event, like libsinsp).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PluginCounters {
    pub extract_calls: u64,
    pub extract_no_value: u64,
    pub parse_calls: u64,
    pub parse_failures: u64,
}

pub(crate) struct PluginState(pub *mut ffi::ss_plugin_t);

/// A loaded, possibly initialised plugin.
pub struct Plugin {
    pub(crate) lib: LoadedLibrary,
    info: PluginInfo,
    pub(crate) state: Option<PluginState>,
    pub(crate) owner: Option<Box<Owner>>,
    /// Names of the fields: only kept alive, `field_requests` point at them.
    _field_names: Vec<CString>,
    /// The ABI request of each field without argument (results unset), copied per call.
    field_requests: Vec<ffi::ss_plugin_extract_field>,
    /// What every `extract_fields` call passes, set once init succeeded.
    extract_call: Option<ExtractCall>,
    extract_filter: EventFilter,
    parse_filter: EventFilter,
    counters: Cell<PluginCounters>,
    async_active: bool,
    /// See [`Plugin::extracts_several_fields_per_call`].
    several_fields_per_call: bool,
    /// Unique per loaded plugin in the process (never 0): tells a [`FieldBatch`] whether its
    /// request array was built for this plugin.
    instance: u64,
}

/// The parts of an `extract_fields` call that stay the same from call to call (state, entry
/// point, owner and table vtables), so a call only fills in its requests.
struct ExtractCall {
    state: *mut ffi::ss_plugin_t,
    extract: ffi::symbols::extract_fields,
    /// `num_fields`, `fields` and `value_offsets` are set per call, in place (copying the
    /// whole input cost ~10 instructions per call). Only [`Plugin::call_extract`] touches it,
    /// and a `Plugin` is not `Sync` and is never re-entered by its own plugin's extraction.
    input: std::cell::UnsafeCell<ffi::ss_plugin_field_extract_input>,
    /// The plugin knows the input's `value_offsets` member (API 3.11+).
    value_offsets: bool,
}

/// The last [`Plugin::instance`] given out.
static LAST_INSTANCE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

// SAFETY: the plugin API lets any thread drive a state as long as one thread does it at a time;
// `Plugin` is not `Sync`, so `&Plugin` cannot be shared across threads, and moving it moves the
// whole state with it.
unsafe impl Send for Plugin {}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("name", &self.info.name)
            .field("initialized", &self.state.is_some())
            .finish()
    }
}

impl Plugin {
    /// Opens a plugin `.so` and reads everything static, with libsinsp's load-time checks.
    pub fn load(path: impl AsRef<Path>, _options: &LoadOptions) -> Result<Plugin, PluginError> {
        let (lib, info) = loader::load(path.as_ref())?;
        let field_names = info
            .fields
            .iter()
            .map(|f| CString::new(f.name.clone()).unwrap_or_default())
            .collect::<Vec<CString>>();
        let field_requests = info
            .fields
            .iter()
            .zip(&field_names)
            .enumerate()
            .map(|(index, (field, name))| ffi::ss_plugin_extract_field {
                res: ffi::ss_plugin_extract_field_res {
                    u64_: std::ptr::null_mut(),
                },
                res_len: 0,
                field_id: index as u32,
                // A CString's heap buffer does not move when the vector holding it moves.
                field: name.as_ptr(),
                arg_key: std::ptr::null(),
                arg_index: u64::MAX,
                arg_present: 0,
                ftype: field.ty.ffi_code(),
                flist: field.is_list as u32,
            })
            .collect();
        // SAFETY: `saker_plugin_extracts_several_fields` takes nothing and returns a u32.
        let declared = lib.symbols.saker_several_fields.is_some_and(|f| unsafe { f() } != 0);
        let several_fields_per_call = lib.symbols.saker_manifest.is_some() || declared;
        Ok(Plugin {
            lib,
            info,
            state: None,
            owner: None,
            _field_names: field_names,
            field_requests,
            extract_call: None,
            extract_filter: EventFilter::default(),
            parse_filter: EventFilter::default(),
            counters: Cell::new(PluginCounters::default()),
            async_active: false,
            several_fields_per_call,
            instance: LAST_INSTANCE.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1,
        })
    }

    pub fn info(&self) -> &PluginInfo {
        &self.info
    }

    pub fn name(&self) -> &str {
        &self.info.name
    }

    pub fn counters(&self) -> PluginCounters {
        self.counters.get()
    }

    pub fn extract_filter(&self) -> &EventFilter {
        &self.extract_filter
    }

    pub fn parse_filter(&self) -> &EventFilter {
        &self.parse_filter
    }

    /// The last error host callbacks (tables API) reported to this plugin.
    pub fn owner_last_error(&self) -> Option<String> {
        self.owner.as_ref().and_then(|o| o.last_error())
    }

    pub fn is_initialized(&self) -> bool {
        self.state.is_some()
    }

    pub(crate) fn state_ptr(&self, call: &'static str) -> Result<*mut ffi::ss_plugin_t, PluginError> {
        self.state
            .as_ref()
            .map(|s| s.0)
            .ok_or_else(|| PluginError::NotInitialized {
                plugin: self.info.name.clone(),
                call,
            })
    }

    /// The plugin's last error text, copied at once.
    pub(crate) fn last_error(&self, state: *mut ffi::ss_plugin_t) -> String {
        let Some(get) = self.lib.symbols.get_last_error else {
            return "(no error text)".into();
        };
        // SAFETY: `state` came from this plugin's init; the string is copied at once.
        let text = unsafe { copy_c_string(get(state)) };
        text.filter(|t| !t.is_empty())
            .unwrap_or_else(|| "(the plugin gave no error text)".into())
    }

    /// Validates `config` against the init schema (an empty config becomes "{}" when a schema
    /// exists) and returns the text to pass to init.
    fn checked_config(&self, config: &str) -> Result<String, PluginError> {
        let Some(schema) = &self.info.init_schema else {
            return Ok(config.to_string());
        };
        let config = if config.trim().is_empty() { "{}" } else { config };
        let err = |detail: String| PluginError::InitConfig {
            plugin: self.info.name.clone(),
            detail,
        };
        let schema_json: serde_json::Value = serde_json::from_str(&schema.text)
            .map_err(|e| err(format!("the plugin's init schema is not JSON: {e}")))?;
        let value: serde_json::Value =
            serde_json::from_str(config).map_err(|e| err(format!("init_config is not valid JSON ({e}): {config}")))?;
        let validator = jsonschema::validator_for(&schema_json)
            .map_err(|e| err(format!("the plugin's init schema is invalid: {e}")))?;
        let problems: Vec<String> = validator
            .iter_errors(&value)
            .map(|e| {
                let path = e.instance_path().to_string();
                format!("In {}, {}", if path.is_empty() { "/" } else { &path }, e)
            })
            .collect();
        if !problems.is_empty() {
            return Err(err(problems.join("; ")));
        }
        Ok(config.to_string())
    }

    /// Initialises the plugin with its `init_config` (Falco passes YAML maps as JSON).
    pub fn init(&mut self, config: &str, tables: &Arc<TableRegistry>) -> Result<(), PluginError> {
        let name = self.info.name.clone();
        if self.state.is_some() {
            return Err(PluginError::Init {
                plugin: name,
                reason: "init was already called on this plugin".into(),
            });
        }
        let config = self.checked_config(config)?;
        let config_c = CString::new(config).map_err(|_| PluginError::InitConfig {
            plugin: name.clone(),
            detail: "init_config contains a NUL byte".into(),
        })?;
        let owner = Owner::new(&name, tables.clone());
        let tables_input = vtable::init_tables_input();
        let caps = self.info.capabilities;
        let input = ffi::ss_plugin_init_input {
            config: config_c.as_ptr(),
            owner: owner.as_ffi(),
            get_owner_last_error: Some(owner::get_owner_last_error),
            tables: if caps.extraction || caps.parsing {
                &tables_input
            } else {
                std::ptr::null()
            },
            // 3.3 plugins call a 3-argument log_fn (no owner); only 3.4+ get ours.
            log_fn: if self.info.required_api_version.minor >= 4 {
                Some(owner::log_fn)
            } else {
                None
            },
        };
        let init = self.lib.symbols.init.ok_or_else(|| PluginError::Init {
            plugin: name.clone(),
            reason: "no init".into(),
        })?;
        let mut rc = ffi::SS_PLUGIN_FAILURE;
        // SAFETY: `input` and everything it points to live until after the call; `rc` is a
        // valid out-pointer.
        let state = unsafe { init(&input, &mut rc) };
        owner.collect_garbage();
        if rc != SS_PLUGIN_SUCCESS || state.is_null() {
            let reason = if state.is_null() {
                format!("init returned no state (rc {rc})")
            } else {
                let text = self.last_error(state);
                if let Some(destroy) = self.lib.symbols.destroy {
                    // SAFETY: a state returned by init is destroyed exactly once.
                    unsafe { destroy(state) };
                }
                text
            };
            tables.retire_plugin_tables(&name);
            return Err(PluginError::Init { plugin: name, reason });
        }
        self.state = Some(PluginState(state));
        self.owner = Some(owner);
        self.extract_filter = self.event_filter(
            self.lib.symbols.get_extract_event_types.filter(|_| caps.extraction),
            &self.info.extract_event_sources,
            state,
        );
        self.parse_filter = self.event_filter(
            self.lib.symbols.get_parse_event_types.filter(|_| caps.parsing),
            &self.info.parse_event_sources,
            state,
        );
        if let Err(e) = self.check_event_schema(state) {
            self.state = None;
            if let Some(destroy) = self.lib.symbols.destroy {
                // SAFETY: the state came from init and is destroyed exactly once.
                unsafe { destroy(state) };
            }
            tables.retire_plugin_tables(&name);
            self.owner = None;
            return Err(e);
        }
        self.extract_call = self.extract_call_of(state);
        Ok(())
    }

    /// 3.12: plugins that see events other than plugin events (322) declare the libscap event
    /// schema they need; it must be compatible with the host's by the API version rule.
    fn check_event_schema(&self, state: *mut ffi::ss_plugin_t) -> Result<(), PluginError> {
        let caps = self.info.capabilities;
        let only_plugin_events = |f: &EventFilter| {
            f.types
                .as_ref()
                .is_some_and(|t| t.iter().all(|c| *c == PPME_PLUGINEVENT_E))
        };
        let extract_ok = !caps.extraction || only_plugin_events(&self.extract_filter);
        let parse_ok = !caps.parsing || only_plugin_events(&self.parse_filter);
        if extract_ok && parse_ok {
            return Ok(());
        }
        let required = match self.lib.symbols.get_required_event_schema_version {
            // SAFETY: valid state; the string is copied at once.
            Some(get) => unsafe { copy_c_string(get(state)) }.unwrap_or_default(),
            None => String::new(),
        };
        let required = if required.is_empty() {
            "3.0.0".to_string()
        } else {
            required
        };
        let host = SemVer::parse_prefix(ffi::EVENT_SCHEMA_VERSION_STR).unwrap_or(HOST_API_VERSION);
        // Unlike the API rule, an older major is fine (the schema only grows compatibly;
        // libs proposal 20250923: 3.0.0 runs on 4.x, 5.0.0 and 4.2.0 do not on 4.1.0).
        let why = match SemVer::parse_prefix(&required) {
            None => Some("it is not a version 'MAJOR.MINOR.PATCH'"),
            Some(v) if v.major > host.major => Some("major versions disagree"),
            Some(v) if v > host => Some("it is newer than the host's"),
            Some(_) => None,
        };
        match why {
            None => Ok(()),
            Some(why) => Err(PluginError::Init {
                plugin: self.info.name.clone(),
                reason: format!(
                    "the plugin requires event schema version '{required}' but Saker provides '{}': {why}; \
                     use a plugin built for this event schema",
                    ffi::EVENT_SCHEMA_VERSION_STR
                ),
            }),
        }
    }

    /// §7.2: declared types, else all types if the sources allow "syscall", else only 322.
    fn event_filter(
        &self,
        get_types: Option<ffi::symbols::get_event_types>,
        sources: &[String],
        state: *mut ffi::ss_plugin_t,
    ) -> EventFilter {
        let mut declared = HashSet::new();
        if let Some(get) = get_types {
            let mut n = 0u32;
            // SAFETY: valid out-pointer and state; the array is copied at once.
            let ptr = unsafe { get(&mut n, state) };
            if !ptr.is_null() && n > 0 {
                // SAFETY: the plugin returns `n` u16 codes at `ptr`.
                let codes = unsafe { std::slice::from_raw_parts(ptr, n as usize) };
                declared.extend(codes.iter().copied());
            }
        }
        let types = if !declared.is_empty() {
            Some(declared)
        } else if sources.is_empty() || sources.iter().any(|s| s == loader::RESERVED_SOURCE_NAME) {
            None
        } else {
            Some(HashSet::from([PPME_PLUGINEVENT_E]))
        };
        EventFilter::new(types, sources.to_vec())
    }

    /// Index of a field by name.
    pub fn field_index(&self, name: &str) -> Option<u32> {
        self.info.field_index(name)
    }

    /// Extracts one field of one event into `out` (host-owned copy). Returns false for "no
    /// value" (plugin FAILURE, res_len 0, or a malformed result), which is counted.
    pub fn extract(
        &self,
        event: &[u8],
        evtnum: u64,
        source: &CStr,
        field_index: u32,
        arg: &FieldArg,
        out: &mut ExtractedValues,
    ) -> bool {
        self.extract_into(event, evtnum, source, field_index, arg, out, 0)
    }

    /// [`extract`](Self::extract) writing straight into `out` as field `slot` of the sink.
    #[allow(clippy::too_many_arguments)]
    pub fn extract_into<S: ValueSink + ?Sized>(
        &self,
        event: &[u8],
        evtnum: u64,
        source: &CStr,
        field_index: u32,
        arg: &FieldArg,
        out: &mut S,
        slot: usize,
    ) -> bool {
        // The request is built where the call reads it (an Option around it cost a copy).
        let ok = match self.field_requests.get(field_index as usize) {
            Some(template) => {
                let mut request = *template;
                set_arg(&mut request, arg);
                // SAFETY: one request, built for this plugin, alive during the call.
                let ok = unsafe { self.call_extract(event, evtnum, source, &mut request, 1) }
                    && self.copy_results(field_index, &request, out, slot);
                self.end_extract();
                ok
            }
            None => false,
        };
        self.count_extractions(1, !ok as u64);
        if !ok {
            out.clear(slot);
        }
        ok
    }

    /// Whether `extract_fields` may carry several fields per call to this plugin: only to
    /// plugins built with Saker's SDK or exporting `saker_plugin_extracts_several_fields`
    /// returning non-zero (`plugin_api.h`). libsinsp sends one field per call, and Falco's Rust
    /// SDK (falco_plugin 0.5.1) returns garbage for all but the last field of a multi-field
    /// call (`reference/plugin-abi.md` §14), so other plugins get one field per call.
    pub fn extracts_several_fields_per_call(&self) -> bool {
        self.several_fields_per_call
    }

    /// Extracts every field of `batch` from one event, with a single `extract_fields` call
    /// when the plugin [supports it](Self::extracts_several_fields_per_call), else one call per
    /// field; returns how many fields have values. Each field gets what
    /// [`extract`](Self::extract) would give it: when the plugin fails the whole call, the
    /// fields are asked again one by one so that one failing field does not hide the others'
    /// values.
    pub fn extract_batch(&self, event: &[u8], evtnum: u64, source: &CStr, batch: &mut FieldBatch) -> usize {
        let mut results = std::mem::take(&mut batch.results);
        let found = self.extract_batch_into(event, evtnum, source, batch, &mut results[..]);
        batch.results = results;
        found
    }

    /// [`extract_batch`](Self::extract_batch) writing the `i`-th field's values straight into
    /// field `i` of `out` (the batch's own result buffers are left as they are).
    pub fn extract_batch_into<S: ValueSink + ?Sized>(
        &self,
        event: &[u8],
        evtnum: u64,
        source: &CStr,
        batch: &mut FieldBatch,
        results: &mut S,
    ) -> usize {
        let FieldBatch {
            fields,
            requests,
            built_for,
            ..
        } = batch;
        if !self.extracts_several_fields_per_call() {
            return self.extract_one_by_one(event, evtnum, source, fields, results);
        }
        let n = fields.len();
        if *built_for == self.instance {
            // Same plugin, same fields: only the result counts need resetting.
            for r in requests.iter_mut() {
                r.res_len = 0;
            }
        } else {
            requests.clear();
            for (field_index, arg) in fields.iter() {
                match self.request(*field_index, arg) {
                    Some(r) => requests.push(r),
                    // An index this plugin does not have: the fields are asked one by one below.
                    None => break,
                }
            }
            *built_for = if requests.len() == n { self.instance } else { 0 };
        }
        let called = requests.len() == n
            && n > 0
            && u32::try_from(n).is_ok()
            // SAFETY: `n` requests built for this plugin, alive during the call.
            && unsafe { self.call_extract(event, evtnum, source, requests.as_mut_ptr(), n as u32) };
        if !called && n > 1 {
            self.end_extract();
            return self.extract_one_by_one(event, evtnum, source, fields, results);
        }
        let mut found = 0;
        for (slot, (request, (field_index, _))) in requests.iter().zip(fields.iter()).enumerate() {
            if called && self.copy_results(*field_index, request, results, slot) {
                found += 1;
            } else {
                results.clear(slot);
            }
        }
        for slot in requests.len()..fields.len() {
            results.clear(slot);
        }
        self.end_extract();
        self.count_extractions(n as u64, (n - found) as u64);
        found
    }

    fn extract_one_by_one<S: ValueSink + ?Sized>(
        &self,
        event: &[u8],
        evtnum: u64,
        source: &CStr,
        fields: &[(u32, FieldArg)],
        results: &mut S,
    ) -> usize {
        fields
            .iter()
            .enumerate()
            .map(|(slot, (field_index, arg))| {
                self.extract_into(event, evtnum, source, *field_index, arg, results, slot)
            })
            .filter(|&found| found)
            .count()
    }

    #[inline]
    fn count_extractions(&self, calls: u64, no_value: u64) {
        let mut counters = self.counters.get();
        counters.extract_calls += calls;
        counters.extract_no_value += no_value;
        self.counters.set(counters);
    }

    /// The ABI request for one field (results unset); None for an index the plugin lacks.
    #[inline]
    fn request(&self, field_index: u32, arg: &FieldArg) -> Option<ffi::ss_plugin_extract_field> {
        let mut request = *self.field_requests.get(field_index as usize)?;
        set_arg(&mut request, arg);
        Some(request)
    }

    /// One `extract_fields` call; true when the plugin answered SUCCESS. The caller copies the
    /// results, then calls [`Self::end_extract`].
    ///
    /// # Safety
    /// `requests` must point to `num_fields` requests built by [`Self::request`] on this plugin
    /// whose argument keys are alive during the call.
    #[inline]
    unsafe fn call_extract(
        &self,
        event: &[u8],
        evtnum: u64,
        source: &CStr,
        requests: *mut ffi::ss_plugin_extract_field,
        num_fields: u32,
    ) -> bool {
        let Some(call) = self.extract_call.as_ref() else {
            return false;
        };
        if event.len() < ffi::EVENT_HEADER_LEN {
            return false;
        }
        let mut offsets = ffi::ss_plugin_extract_value_offsets {
            start: std::ptr::null_mut(),
            length: std::ptr::null_mut(),
        };
        // SAFETY: see `ExtractCall::input`: no other reference to the input exists now.
        let input = unsafe { &mut *call.input.get() };
        input.num_fields = num_fields;
        input.fields = requests;
        if call.value_offsets {
            input.value_offsets = &mut offsets;
        }
        let evt_input = ffi::ss_plugin_event_input {
            evt: event.as_ptr() as *const ffi::ss_plugin_event,
            evtnum,
            evtsrc: source.as_ptr(),
        };
        // SAFETY: all inputs live until after the call; the event holds at least a header;
        // `requests` per the contract.
        let rc = unsafe { (call.extract)(call.state, &evt_input, input) };
        rc == SS_PLUGIN_SUCCESS
    }

    /// The constant part of this plugin's `extract_fields` calls once `state` is initialised.
    fn extract_call_of(&self, state: *mut ffi::ss_plugin_t) -> Option<ExtractCall> {
        let owner = self.owner.as_ref()?;
        Some(ExtractCall {
            state,
            extract: self.lib.symbols.extract_fields?,
            input: std::cell::UnsafeCell::new(ffi::ss_plugin_field_extract_input {
                owner: owner.as_ffi(),
                get_owner_last_error: Some(owner::get_owner_last_error),
                num_fields: 0,
                fields: std::ptr::null_mut(),
                table_reader: vtable::READER,
                table_reader_ext: vtable::reader_ext_ptr(),
                // Plugins declaring a minor below 11 do not know this member; it is NULL-safe
                // anyway.
                value_offsets: std::ptr::null_mut(),
            }),
            value_offsets: self.info.required_api_version.minor >= 11,
        })
    }

    /// Frees the table handles the plugin used during the last call, once its results (which
    /// may point into table storage) have been copied.
    #[inline]
    fn end_extract(&self) {
        if let Some(owner) = self.owner.as_ref() {
            owner.collect_garbage();
        }
    }

    /// Copies the plugin's results of one request into field `slot` of `out`; false when there
    /// are none or they are malformed (the caller then clears the slot).
    #[inline(always)]
    fn copy_results<S: ValueSink + ?Sized>(
        &self,
        field_index: u32,
        request: &ffi::ss_plugin_extract_field,
        out: &mut S,
        slot: usize,
    ) -> bool {
        let Some(field) = self.info.fields.get(field_index as usize) else {
            return false;
        };
        let (ty, is_list) = (field.ty, field.is_list || field.several_values);
        let n = request.res_len;
        if n == 0 || n > MAX_EXTRACTED_VALUES || (!is_list && n > 1) {
            return false;
        }
        let n = n as usize;
        out.start(slot, ty);
        // SAFETY: the plugin set `res` to an array of `res_len` values of the declared type,
        // valid until its next extract call; we copy everything now.
        unsafe {
            match ty {
                FieldType::String => {
                    let ptr = request.res.str_;
                    if ptr.is_null() {
                        return false;
                    }
                    for &s in std::slice::from_raw_parts(ptr, n) {
                        if s.is_null() {
                            return false;
                        }
                        out.push(slot, ExtractedValue::Str(CStr::from_ptr(s).to_bytes()));
                    }
                }
                FieldType::Uint64 | FieldType::Reltime | FieldType::Abstime => {
                    let ptr = request.res.u64_;
                    if ptr.is_null() {
                        return false;
                    }
                    for i in 0..n {
                        out.push(slot, ExtractedValue::U64(std::ptr::read_unaligned(ptr.add(i))));
                    }
                }
                FieldType::Bool => {
                    let ptr = request.res.boolean;
                    if ptr.is_null() {
                        return false;
                    }
                    for i in 0..n {
                        out.push(slot, ExtractedValue::Bool(std::ptr::read_unaligned(ptr.add(i)) != 0));
                    }
                }
                FieldType::Ipaddr | FieldType::Ipnet => {
                    let ptr = request.res.buf;
                    if ptr.is_null() {
                        return false;
                    }
                    for i in 0..n {
                        let buf = std::ptr::read_unaligned(ptr.add(i));
                        if !(buf.len == 4 || buf.len == 16) || buf.ptr.is_null() {
                            return false;
                        }
                        out.push(
                            slot,
                            ExtractedValue::Ip(std::slice::from_raw_parts(buf.ptr as *const u8, buf.len as usize)),
                        );
                    }
                }
            }
        }
        true
    }

    /// Calls `parse_event` once for an event; returns whether the plugin reported success.
    /// Failures are counted, not reported (libsinsp ignores them).
    pub fn parse(&self, event: &[u8], evtnum: u64, source: &CStr) -> bool {
        let (Some(state), Some(owner), Some(parse)) =
            (self.state.as_ref(), self.owner.as_ref(), self.lib.symbols.parse_event)
        else {
            return false;
        };
        if event.len() < ffi::EVENT_HEADER_LEN {
            return false;
        }
        let input = ffi::ss_plugin_event_parse_input {
            owner: owner.as_ffi(),
            get_owner_last_error: Some(owner::get_owner_last_error),
            table_reader: vtable::READER,
            table_writer: vtable::WRITER,
            table_reader_ext: vtable::reader_ext_ptr(),
            table_writer_ext: vtable::writer_ext_ptr(),
        };
        let evt_input = ffi::ss_plugin_event_input {
            evt: event.as_ptr() as *const ffi::ss_plugin_event,
            evtnum,
            evtsrc: source.as_ptr(),
        };
        // SAFETY: all inputs live until after the call.
        let rc = unsafe { parse(state.0, &evt_input, &input) };
        owner.collect_garbage();
        let mut c = self.counters.get();
        c.parse_calls += 1;
        if rc != SS_PLUGIN_SUCCESS {
            c.parse_failures += 1;
        }
        self.counters.set(c);
        rc == SS_PLUGIN_SUCCESS
    }

    /// Text of one of this plugin's own events (`evt.plugininfo`), with Falco's fallback
    /// `datalen=N data=…` when the plugin has no `event_to_string` or returns nothing.
    pub fn event_to_string(&self, event: &[u8], evtnum: u64, source: &CStr) -> String {
        if let (Some(state), Some(to_string)) = (self.state.as_ref(), self.lib.symbols.event_to_string) {
            if event.len() >= ffi::EVENT_HEADER_LEN {
                let input = ffi::ss_plugin_event_input {
                    evt: event.as_ptr() as *const ffi::ss_plugin_event,
                    evtnum,
                    evtsrc: source.as_ptr(),
                };
                // SAFETY: input valid for the call; result copied at once.
                let text = unsafe { copy_c_string(to_string(state.0, &input)) };
                if let Some(text) = text.filter(|t| !t.is_empty()) {
                    return text;
                }
            }
        }
        let data = event.get(ffi::PLUGIN_EVENT_PAYLOAD_OFFSET..).unwrap_or_default();
        let shown = &data[..data.len().min(EVENT_STRING_FALLBACK_BYTES)];
        let printable = shown.iter().all(|b| b.is_ascii_graphic() || *b == b' ');
        if printable {
            format!("datalen={} data={}", data.len(), String::from_utf8_lossy(shown))
        } else {
            format!("datalen={} data=<binary>", data.len())
        }
    }

    /// `plugin_list_open_params` (empty if the plugin does not export it).
    pub fn list_open_params(&self) -> Result<Vec<super::info::OpenParam>, PluginError> {
        let state = self.state_ptr("list_open_params")?;
        let Some(list) = self.lib.symbols.list_open_params else {
            return Ok(Vec::new());
        };
        let mut rc = ffi::SS_PLUGIN_FAILURE;
        // SAFETY: valid state and out-pointer; result copied at once.
        let text = unsafe { copy_c_string(list(state, &mut rc)) };
        let fail = |reason: String| PluginError::CallFailed {
            plugin: self.info.name.clone(),
            call: "list_open_params",
            reason,
        };
        if rc != SS_PLUGIN_SUCCESS {
            return Err(fail(self.last_error(state)));
        }
        super::info::parse_open_params(&text.unwrap_or_default()).map_err(fail)
    }

    /// `plugin_set_config` (3.4), validated against the init schema like init.
    pub fn set_config(&self, config: &str) -> Result<(), PluginError> {
        let state = self.state_ptr("set_config")?;
        let Some(set) = self.lib.symbols.set_config else {
            return Err(PluginError::Unsupported {
                plugin: self.info.name.clone(),
                call: "set_config",
                capability: "set_config",
            });
        };
        let config = self.checked_config(config)?;
        let c = CString::new(config).map_err(|_| PluginError::InitConfig {
            plugin: self.info.name.clone(),
            detail: "config contains a NUL byte".into(),
        })?;
        let input = ffi::ss_plugin_set_config_input { config: c.as_ptr() };
        // SAFETY: valid state and input for the call.
        let rc = unsafe { set(state, &input) };
        if rc != SS_PLUGIN_SUCCESS {
            return Err(PluginError::CallFailed {
                plugin: self.info.name.clone(),
                call: "set_config",
                reason: self.last_error(state),
            });
        }
        Ok(())
    }

    /// Starts async event delivery into `queue` for a capture whose source has
    /// `source_plugin_id` (0 = syscall).
    pub fn start_async_events(&mut self, queue: Arc<AsyncQueue>, source_plugin_id: u32) -> Result<(), PluginError> {
        let state = self.state_ptr("set_async_event_handler")?;
        let Some(set) = self
            .lib
            .symbols
            .set_async_event_handler
            .filter(|_| self.info.capabilities.async_events)
        else {
            return Err(PluginError::Unsupported {
                plugin: self.info.name.clone(),
                call: "set_async_event_handler",
                capability: "async events",
            });
        };
        if self.async_active {
            self.stop_async_events()?;
        }
        let owner = self.owner.as_ref().ok_or_else(|| PluginError::NotInitialized {
            plugin: self.info.name.clone(),
            call: "set_async_event_handler",
        })?;
        *owner.async_sink.lock().unwrap_or_else(|p| p.into_inner()) = Some(AsyncSink {
            queue,
            names: self.info.async_event_names.clone(),
            source_plugin_id,
            source_is_plugin: source_plugin_id != 0,
        });
        // SAFETY: valid state and owner; the handler stays valid for the process.
        let rc = unsafe { set(state, owner.as_ffi(), Some(async_handler)) };
        if rc != SS_PLUGIN_SUCCESS {
            *owner.async_sink.lock().unwrap_or_else(|p| p.into_inner()) = None;
            return Err(PluginError::CallFailed {
                plugin: self.info.name.clone(),
                call: "set_async_event_handler",
                reason: self.last_error(state),
            });
        }
        self.async_active = true;
        Ok(())
    }

    /// Resets the async handler (the plugin stops and joins its producers before returning).
    pub fn stop_async_events(&mut self) -> Result<(), PluginError> {
        if !self.async_active {
            return Ok(());
        }
        self.async_active = false;
        let state = self.state_ptr("set_async_event_handler")?;
        let (Some(set), Some(owner)) = (self.lib.symbols.set_async_event_handler, self.owner.as_ref()) else {
            return Ok(());
        };
        // SAFETY: valid state and owner; NULL handler resets.
        let rc = unsafe { set(state, owner.as_ffi(), None) };
        *owner.async_sink.lock().unwrap_or_else(|p| p.into_inner()) = None;
        if rc != SS_PLUGIN_SUCCESS {
            return Err(PluginError::CallFailed {
                plugin: self.info.name.clone(),
                call: "set_async_event_handler",
                reason: self.last_error(state),
            });
        }
        Ok(())
    }
}

impl Plugin {
    /// `capture_open`: the capture starts; routines the plugin subscribes run on `pool`.
    pub fn capture_open(&mut self, pool: &Arc<RoutinePool>) -> Result<(), PluginError> {
        self.capture_call(true, Some(pool))
    }

    /// `capture_close`, then every routine of this plugin is stopped (waiting for running ones).
    pub fn capture_close(&mut self) -> Result<(), PluginError> {
        let result = self.capture_call(false, None);
        if let Some(owner) = self.owner.as_ref() {
            routines::purge(owner);
        }
        result
    }

    fn capture_call(&mut self, open: bool, pool: Option<&Arc<RoutinePool>>) -> Result<(), PluginError> {
        let call = if open { "capture_open" } else { "capture_close" };
        let state = self.state_ptr(call)?;
        let symbol = if open {
            self.lib.symbols.capture_open
        } else {
            self.lib.symbols.capture_close
        };
        let Some(f) = symbol.filter(|_| self.info.capabilities.capture_listening) else {
            return Err(PluginError::Unsupported {
                plugin: self.info.name.clone(),
                call,
                capability: "capture listening",
            });
        };
        let owner = self.owner.as_ref().ok_or_else(|| PluginError::NotInitialized {
            plugin: self.info.name.clone(),
            call,
        })?;
        if let Some(pool) = pool {
            *owner.routines.lock().unwrap_or_else(|p| p.into_inner()) = Some(routines::RoutineContext {
                pool: pool.clone(),
                plugin_state: state as usize,
            });
        }
        // Stack-allocated like libsinsp's: valid during the call only.
        let mut routine_vtable = ffi::ss_plugin_routine_vtable {
            subscribe: Some(routines::subscribe),
            unsubscribe: Some(routines::unsubscribe),
        };
        let input = ffi::ss_plugin_capture_listen_input {
            owner: owner.as_ffi(),
            routine: &mut routine_vtable,
            table_reader_ext: vtable::reader_ext_ptr(),
            table_writer_ext: vtable::writer_ext_ptr(),
            get_owner_last_error: Some(owner::get_owner_last_error),
        };
        // SAFETY: valid state and input for the call.
        let rc = unsafe { f(state, &input) };
        owner.collect_garbage();
        if rc != SS_PLUGIN_SUCCESS {
            return Err(PluginError::CallFailed {
                plugin: self.info.name.clone(),
                call,
                reason: self.last_error(state),
            });
        }
        Ok(())
    }
}

impl Drop for Plugin {
    fn drop(&mut self) {
        if let Some(owner) = self.owner.as_ref() {
            // Routines run on the plugin state: stop them before destroy.
            routines::purge(owner);
        }
        if self.async_active {
            if let Err(e) = self.stop_async_events() {
                tracing::warn!(target: "saker::plugins", "{e}");
            }
        }
        if let Some(owner) = self.owner.as_ref() {
            owner.tables.retire_plugin_tables(&self.info.name);
        }
        self.extract_call = None;
        if let (Some(state), Some(destroy)) = (self.state.take(), self.lib.symbols.destroy) {
            // SAFETY: the state came from init and is destroyed exactly once, after which the
            // owner (still alive here) is dropped.
            unsafe { destroy(state.0) };
        }
        self.owner = None;
    }
}

/// One metric a plugin exports (`plugin_get_metrics`, 3.6), named `<plugin>.<metric>`.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginMetric {
    pub name: String,
    pub monotonic: bool,
    pub value: f64,
}

impl Plugin {
    /// The plugin's metrics, copied at once (empty if it exports none).
    pub fn metrics(&self) -> Vec<PluginMetric> {
        let (Some(state), Some(get)) = (self.state.as_ref(), self.lib.symbols.get_metrics) else {
            return Vec::new();
        };
        let mut n = 0u32;
        // SAFETY: valid state and out-pointer; the array is copied before any other call.
        let ptr = unsafe { get(state.0, &mut n) };
        if ptr.is_null() || n == 0 {
            return Vec::new();
        }
        // SAFETY: the plugin returns `n` metrics at `ptr`, valid until its next get_metrics.
        let metrics = unsafe { std::slice::from_raw_parts(ptr, n as usize) };
        metrics
            .iter()
            .map(|m| {
                // SAFETY: each metric's name is NULL or a NUL-terminated string; the union
                // member read is the one `value_type` designates.
                let (name, value) = unsafe {
                    let name = copy_c_string(m.name).unwrap_or_default();
                    let v = &m.value;
                    let value = match m.value_type {
                        ffi::SS_PLUGIN_METRIC_VALUE_TYPE_U32 => v.u32_ as f64,
                        ffi::SS_PLUGIN_METRIC_VALUE_TYPE_S32 => v.s32 as f64,
                        ffi::SS_PLUGIN_METRIC_VALUE_TYPE_U64 => v.u64_ as f64,
                        ffi::SS_PLUGIN_METRIC_VALUE_TYPE_S64 => v.s64 as f64,
                        ffi::SS_PLUGIN_METRIC_VALUE_TYPE_D => v.d,
                        ffi::SS_PLUGIN_METRIC_VALUE_TYPE_F => v.f as f64,
                        _ => v.i as f64,
                    };
                    (name, value)
                };
                PluginMetric {
                    name: format!("{}.{name}", self.info.name),
                    monotonic: m.type_ == ffi::SS_PLUGIN_METRIC_TYPE_MONOTONIC,
                    value,
                }
            })
            .collect()
    }
}

/// Sets the argument of a request built from a field's template.
#[inline(always)]
fn set_arg(request: &mut ffi::ss_plugin_extract_field, arg: &FieldArg) {
    match arg {
        FieldArg::None => {}
        FieldArg::Index(i) => {
            request.arg_index = *i;
            request.arg_present = 1;
        }
        FieldArg::Key(k) => {
            request.arg_key = k.as_ptr();
            request.arg_present = 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A plugin state may move to its source thread (§13); `!Sync` is what keeps two threads
    /// from driving it at once (a `&Plugin` cannot cross threads).
    #[test]
    fn plugin_is_send() {
        fn assert_send<T: Send>() {}
        assert_send::<Plugin>();
    }

    #[test]
    fn event_filter_matches_declared_codes_and_sources_only() {
        let filter = EventFilter::new(Some(HashSet::from([0, 63, 64, 322, u16::MAX])), vec!["syscall".into()]);
        for code in [0, 63, 64, 322, u16::MAX] {
            assert!(filter.matches(code, "syscall"), "code {code}");
            assert!(!filter.matches(code, "k8s_audit"), "code {code}");
        }
        for code in [1, 62, 65, 321, 323, u16::MAX - 1] {
            assert!(!filter.matches(code, "syscall"), "code {code}");
        }
        let any = EventFilter::new(None, vec![]);
        assert!(any.matches(7, "anything"));
        assert!(EventFilter::default().matches(u16::MAX, ""));
        assert!(!EventFilter::new(Some(HashSet::new()), vec![]).matches(0, ""));
    }
}
