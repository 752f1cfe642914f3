//! A minimal plugin host for tests: dlopen a plugin `.so`, init it, run batches, extract fields.
//! Shared by plugin-api's tests (C plugin) and the Rust example plugin's tests (`#[path]`).
#![allow(dead_code)]

use std::ffi::{c_char, CStr, CString};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use plugin_api::event::{EventRef, PluginEvent};
use plugin_api::ffi::*;

/// Messages received through the host's log_fn.
pub static LOGS: Mutex<Vec<String>> = Mutex::new(Vec::new());

unsafe extern "C" fn log_fn(_o: *mut ss_plugin_owner_t, _c: *const c_char, msg: *const c_char, _s: u32) {
    // SAFETY: the plugin passes a C string valid for the call.
    let m = unsafe { CStr::from_ptr(msg) }.to_string_lossy().into_owned();
    LOGS.lock().unwrap().push(m);
}

unsafe extern "C" fn owner_last_error(_o: *mut ss_plugin_owner_t) -> *const c_char {
    std::ptr::null()
}

/// Walks up from `start` to the workspace's `target` directory holding `profile`.
pub fn target_dir() -> PathBuf {
    // Test binaries live in target/<profile>/deps.
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().to_path_buf()
}

/// Finds a plugin `.so` built by cargo in this profile (`target/<profile>` or its `deps`).
pub fn built_so(file: &str) -> PathBuf {
    let dir = target_dir();
    // deps/ first: `cargo test` refreshes it, while target/<profile>/ is only updated by `cargo build`.
    for candidate in [dir.join("deps").join(file), dir.join(file)] {
        if candidate.exists() {
            return candidate;
        }
    }
    panic!("{file} not found under {}; build it with cargo first", dir.display());
}

pub struct LoadedPlugin {
    pub lib: libloading::Library,
}

/// One extracted value, decoded by the field's type.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    U64(u64),
    Bool(bool),
    Str(String),
    Bytes(Vec<u8>),
}

/// One field request of an extract call.
pub struct Request {
    pub field_id: u32,
    pub name: CString,
    pub arg_key: Option<CString>,
    pub arg_index: Option<u64>,
    pub ftype: u32,
    pub flist: bool,
}

impl Request {
    pub fn new(field_id: u32, name: &str, ftype: u32, flist: bool) -> Self {
        Request {
            field_id,
            name: CString::new(name).unwrap(),
            arg_key: None,
            arg_index: None,
            ftype,
            flist,
        }
    }
    pub fn index(mut self, i: u64) -> Self {
        self.arg_index = Some(i);
        self
    }
    pub fn key(mut self, k: &str) -> Self {
        self.arg_key = Some(CString::new(k).unwrap());
        self
    }
}

impl LoadedPlugin {
    pub fn load(path: &Path) -> Self {
        // SAFETY: test plugins are our own; loading runs no untrusted initializers.
        let lib =
            unsafe { libloading::Library::new(path) }.unwrap_or_else(|e| panic!("dlopen {}: {e}", path.display()));
        LoadedPlugin { lib }
    }

    pub fn has(&self, name: &str) -> bool {
        // SAFETY: only checks presence.
        unsafe { self.lib.get::<unsafe extern "C" fn()>(name.as_bytes()) }.is_ok()
    }

    pub fn sym<T: Copy>(&self, name: &str) -> T {
        // SAFETY: the caller names a symbol of type T per the plugin ABI.
        *unsafe { self.lib.get::<T>(name.as_bytes()) }.unwrap_or_else(|e| panic!("symbol {name}: {e}"))
    }

    /// Calls a `() -> const char*` getter and copies the string.
    pub fn get_str(&self, name: &str) -> String {
        let f: symbols::get_static_string = self.sym(name);
        // SAFETY: ABI getter returning a static C string.
        unsafe { cstr(f()) }
    }

    pub fn init(&self, config: &str) -> (*mut ss_plugin_t, ss_plugin_rc) {
        let f: symbols::init = self.sym("plugin_init");
        let config = CString::new(config).unwrap();
        let input = ss_plugin_init_input {
            config: config.as_ptr(),
            owner: std::ptr::null_mut(),
            get_owner_last_error: Some(owner_last_error),
            tables: std::ptr::null(),
            log_fn: Some(log_fn),
        };
        let mut rc = -99;
        // SAFETY: valid input for the call.
        let s = unsafe { f(&input, &mut rc) };
        (s, rc)
    }

    pub fn last_error(&self, s: *mut ss_plugin_t) -> String {
        let f: symbols::get_last_error = self.sym("plugin_get_last_error");
        // SAFETY: state from init.
        unsafe { cstr(f(s)) }
    }

    pub fn destroy(&self, s: *mut ss_plugin_t) {
        let f: symbols::destroy = self.sym("plugin_destroy");
        // SAFETY: state from init, not used afterwards.
        unsafe { f(s) }
    }

    pub fn open(&self, s: *mut ss_plugin_t, params: &str) -> Result<*mut ss_instance_t, String> {
        let f: symbols::open = self.sym("plugin_open");
        let p = CString::new(params).unwrap();
        let mut rc = -99;
        // SAFETY: state from init and a C string.
        let h = unsafe { f(s, p.as_ptr(), &mut rc) };
        if rc != SS_PLUGIN_SUCCESS {
            return Err(self.last_error(s));
        }
        assert!(!h.is_null());
        Ok(h)
    }

    pub fn close(&self, s: *mut ss_plugin_t, h: *mut ss_instance_t) {
        let f: symbols::close = self.sym("plugin_close");
        // SAFETY: instance from open.
        unsafe { f(s, h) }
    }

    /// One next_batch call; returns rc and copies of the events (validated).
    pub fn next_batch(&self, s: *mut ss_plugin_t, h: *mut ss_instance_t) -> (ss_plugin_rc, Vec<Vec<u8>>) {
        let f: symbols::next_batch = self.sym("plugin_next_batch");
        let mut n = 0u32;
        let mut evts: *mut *mut ss_plugin_event = std::ptr::null_mut();
        // SAFETY: state and instance from init/open; writable outputs.
        let rc = unsafe { f(s, h, &mut n, &mut evts) };
        let mut out = Vec::new();
        for i in 0..n as usize {
            // SAFETY: the plugin returned `n` event pointers valid until the next call.
            let ev = unsafe { EventRef::from_raw(*evts.add(i)) }.expect("plugin returned a malformed event");
            out.push(ev.as_bytes().to_vec());
        }
        (rc, out)
    }

    /// Drains an instance until EOF (or failure), returning all events.
    pub fn all_events(&self, s: *mut ss_plugin_t, h: *mut ss_instance_t) -> (ss_plugin_rc, Vec<Vec<u8>>) {
        let mut all = Vec::new();
        loop {
            let (rc, evs) = self.next_batch(s, h);
            all.extend(evs);
            if rc != SS_PLUGIN_SUCCESS {
                return (rc, all);
            }
        }
    }

    /// One extract_fields call with all `reqs`; decodes each field's values.
    pub fn extract(
        &self,
        s: *mut ss_plugin_t,
        event: &[u8],
        evtnum: u64,
        reqs: &[Request],
    ) -> (ss_plugin_rc, Vec<Vec<Value>>) {
        let f: symbols::extract_fields = self.sym("plugin_extract_fields");
        let src = c"countgen";
        // Copy to an odd address: plugins must not assume alignment.
        let mut store = vec![0u8; event.len() + 1];
        store[1..].copy_from_slice(event);
        let evt_input = ss_plugin_event_input {
            evt: store[1..].as_ptr().cast(),
            evtnum,
            evtsrc: src.as_ptr(),
        };
        let mut fields: Vec<ss_plugin_extract_field> = reqs
            .iter()
            .map(|r| ss_plugin_extract_field {
                res: ss_plugin_extract_field_res {
                    u64_: std::ptr::null_mut(),
                },
                res_len: 0,
                field_id: r.field_id,
                field: r.name.as_ptr(),
                arg_key: r.arg_key.as_ref().map_or(std::ptr::null(), |k| k.as_ptr()),
                arg_index: r.arg_index.unwrap_or(u64::MAX),
                arg_present: (r.arg_key.is_some() || r.arg_index.is_some()) as u32,
                ftype: r.ftype,
                flist: r.flist as u32,
            })
            .collect();
        let mut reader = ss_plugin_table_reader_vtable_ext::default();
        let input = ss_plugin_field_extract_input {
            owner: std::ptr::null_mut(),
            get_owner_last_error: Some(owner_last_error),
            num_fields: fields.len() as u32,
            fields: fields.as_mut_ptr(),
            table_reader: ss_plugin_table_reader_vtable::default(),
            table_reader_ext: &mut reader,
            value_offsets: std::ptr::null_mut(),
        };
        // SAFETY: valid inputs for the call.
        let rc = unsafe { f(s, &evt_input, &input) };
        // Results must be readable after the call, for every field of the call.
        let values = fields.iter().map(|f| unsafe { decode(f) }).collect();
        (rc, values)
    }
}

/// # Safety
/// `f` must carry results set by the plugin during the last extract call.
pub unsafe fn decode(f: &ss_plugin_extract_field) -> Vec<Value> {
    let n = f.res_len as usize;
    (0..n)
        .map(|i| {
            // SAFETY: the plugin set `res` to an array of res_len values of type ftype.
            unsafe {
                match f.ftype {
                    FTYPE_UINT64 | FTYPE_RELTIME | FTYPE_ABSTIME => Value::U64(*f.res.u64_.add(i)),
                    FTYPE_BOOL => Value::Bool(*f.res.boolean.add(i) != 0),
                    FTYPE_STRING => Value::Str(cstr(*f.res.str_.add(i))),
                    FTYPE_IPADDR | FTYPE_IPNET => {
                        let b = *f.res.buf.add(i);
                        Value::Bytes(std::slice::from_raw_parts(b.ptr.cast::<u8>(), b.len as usize).to_vec())
                    }
                    other => panic!("unknown ftype {other}"),
                }
            }
        })
        .collect()
}

/// # Safety
/// `p` NULL or a C string.
pub unsafe fn cstr(p: *const c_char) -> String {
    if p.is_null() {
        return "<NULL>".into();
    }
    // SAFETY: per the contract.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

/// The plugin payload of an event.
pub fn payload(ev: &[u8]) -> Vec<u8> {
    let r = EventRef::parse_any(ev).unwrap();
    PluginEvent::parse(&r).unwrap().data.to_vec()
}

/// Field list as (id, name, ftype, is_list) from get_fields JSON.
pub fn fields_of(p: &LoadedPlugin) -> Vec<(u32, String, u32, bool, serde_json::Value)> {
    let json: serde_json::Value = serde_json::from_str(&p.get_str("plugin_get_fields")).unwrap();
    json.as_array()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let ty = match f["type"].as_str().unwrap() {
                "uint64" => FTYPE_UINT64,
                "string" => FTYPE_STRING,
                "reltime" => FTYPE_RELTIME,
                "abstime" => FTYPE_ABSTIME,
                "bool" => FTYPE_BOOL,
                "ipaddr" => FTYPE_IPADDR,
                "ipnet" => FTYPE_IPNET,
                other => panic!("bad type {other}"),
            };
            (
                i as u32,
                f["name"].as_str().unwrap().to_owned(),
                ty,
                f["isList"].as_bool().unwrap_or(false),
                f.clone(),
            )
        })
        .collect()
}

/// The event number in a countgen event.
pub fn num_of(ev: &[u8]) -> u64 {
    u64::from_le_bytes(payload(ev).try_into().unwrap())
}

/// One request per field of get_fields, without arguments.
pub fn requests(p: &LoadedPlugin) -> Vec<Request> {
    fields_of(p)
        .into_iter()
        .map(|(id, name, ty, list, _)| Request::new(id, &name, ty, list))
        .collect()
}

/// Gives countgen.byindex the index 3 and countgen.bykey the key "user".
pub fn with_args(reqs: Vec<Request>) -> Vec<Request> {
    reqs.into_iter()
        .map(|r| match r.name.to_str().unwrap() {
            "countgen.byindex" => r.index(3),
            "countgen.bykey" => r.key("user"),
            _ => r,
        })
        .collect()
}

/// What the countgen plugins (C and Rust) extract for event `n` stamped `ts`, in field
/// order (the first ten fields, shared by both).
pub fn countgen_expected(n: u64, ts: u64) -> Vec<Vec<Value>> {
    vec![
        vec![Value::U64(n)],
        vec![Value::Str(format!("event-{n}"))],
        vec![Value::Bool(n % 2 == 0)],
        vec![Value::U64(n * 1000)],
        vec![Value::U64(ts)],
        vec![Value::Bytes(vec![10, 0, (n >> 8) as u8, n as u8])],
        vec![Value::Bytes({
            let mut b = vec![0x20, 0x01, 0x0d, 0xb8];
            b.extend_from_slice(&[0; 8]);
            b.extend_from_slice(&[(n >> 24) as u8, (n >> 16) as u8, (n >> 8) as u8, n as u8]);
            b
        })],
        (0..=n % 3).map(|i| Value::Str(format!("item{i}"))).collect(),
        vec![Value::U64(n * 3)],
        vec![Value::Str(format!("user={n}"))],
    ]
}

impl Clone for Request {
    fn clone(&self) -> Self {
        Request {
            field_id: self.field_id,
            name: self.name.clone(),
            arg_key: self.arg_key.clone(),
            arg_index: self.arg_index,
            ftype: self.ftype,
            flist: self.flist,
        }
    }
}
