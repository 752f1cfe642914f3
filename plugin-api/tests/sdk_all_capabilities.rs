//! A plugin exporting all five capabilities through `saker_plugin!` inside this test binary;
//! the exported `plugin_*` symbols are called through `extern "C"` declarations, as a host
//! would after dlsym. Covers the macro arms and glue the example plugin does not use:
//! async events, capture listening, set_config, table access at init.

use std::ffi::{c_char, CStr, CString};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;
use std::thread::JoinHandle;

use plugin_api::event::{AsyncEvent, EventRef};
use plugin_api::ffi::*;
use plugin_api::sdk::*;

static CAPTURE_CALLS: AtomicU32 = AtomicU32::new(0);

struct Everything {
    threshold: u64,
    tables_seen: Vec<String>,
    producer: Option<JoinHandle<()>>,
}

impl Plugin for Everything {
    const NAME: &'static str = "everything";
    const VERSION: &'static str = "1.0.0";
    const DESCRIPTION: &'static str = "all capabilities";
    const CONTACT: &'static str = "tests";
    const INIT_SCHEMA: Option<&'static str> = Some(r#"{"type":"object"}"#);

    fn init(mut input: InitInput<'_>) -> Result<Self, PluginError> {
        #[derive(serde::Deserialize)]
        struct Cfg {
            threshold: u64,
        }
        let cfg: Cfg = input.json()?;
        let tables_seen = match input.tables() {
            Some(t) => t.list_tables()?.into_iter().map(|(n, _)| n).collect(),
            None => Vec::new(),
        };
        Ok(Everything {
            threshold: cfg.threshold,
            tables_seen,
            producer: None,
        })
    }

    fn set_config(&mut self, config: &str) -> Result<(), PluginError> {
        let v: serde_json::Value = parse_json_config(config)?;
        self.threshold = v["threshold"]
            .as_u64()
            .ok_or_else(|| PluginError::Config("threshold must be a number".into()))?;
        Ok(())
    }

    fn metrics(&mut self) -> Vec<Metric> {
        vec![
            Metric {
                name: "threshold".into(),
                monotonic: false,
                value: MetricValue::U64(self.threshold),
            },
            Metric {
                name: "tables".into(),
                monotonic: false,
                value: MetricValue::U32(self.tables_seen.len() as u32),
            },
        ]
    }
}

struct NoEvents;
impl SourceInstance<Everything> for NoEvents {
    fn next_batch(&mut self, _p: &mut Everything, _b: &mut EventBatch) -> Result<BatchEnd, PluginError> {
        Ok(BatchEnd::Success)
    }
}

impl SourcePlugin for Everything {
    const ID: u32 = 998;
    const EVENT_SOURCE: &'static str = "everything";
    type Instance = NoEvents;
    fn open(&mut self, _params: &str) -> Result<NoEvents, PluginError> {
        Ok(NoEvents)
    }
}

impl ExtractPlugin for Everything {
    const FIELDS: &'static [FieldDef] = &[FieldDef::new("every.threshold", FieldType::U64, "the threshold")];
    const EXTRACT_EVENT_SOURCES: &'static [&'static str] = &["everything", "syscall"];
    fn extract(&mut self, _req: ExtractRequest<'_>, out: &mut ExtractOutput) -> Result<(), PluginError> {
        out.u64(self.threshold)
    }
}

impl ParsePlugin for Everything {
    const PARSE_EVENT_TYPES: &'static [u16] = &[322, 1];
    fn parse_event(&mut self, _input: &ParseInput<'_>) -> Result<(), PluginError> {
        Ok(())
    }
}

impl AsyncPlugin for Everything {
    const ASYNC_EVENTS: &'static [&'static str] = &["tick"];
    fn start_async(&mut self, mut handler: AsyncHandler) -> Result<(), PluginError> {
        let threshold = self.threshold;
        self.producer = Some(std::thread::spawn(move || {
            for i in 0..threshold {
                handler.emit("tick", &i.to_le_bytes()).unwrap();
            }
        }));
        Ok(())
    }
    fn stop_async(&mut self) -> Result<(), PluginError> {
        if let Some(p) = self.producer.take() {
            p.join().map_err(|_| PluginError::msg("async producer panicked"))?;
        }
        Ok(())
    }
}

impl CaptureListenPlugin for Everything {
    fn capture_open(&mut self, _input: &CaptureListenInput<'_>) -> Result<(), PluginError> {
        CAPTURE_CALLS.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
    fn capture_close(&mut self, _input: &CaptureListenInput<'_>) -> Result<(), PluginError> {
        Err(PluginError::msg("close refused on purpose"))
    }
}

plugin_api::saker_plugin!(Everything; source, extract, parse, async_events, capture_listen);

extern "C" {
    fn saker_plugin_manifest() -> *const c_char;
    fn plugin_init(input: *const ss_plugin_init_input, rc: *mut ss_plugin_rc) -> *mut ss_plugin_t;
    fn plugin_destroy(s: *mut ss_plugin_t);
    fn plugin_get_last_error(s: *mut ss_plugin_t) -> *const c_char;
    fn plugin_set_config(s: *mut ss_plugin_t, i: *const ss_plugin_set_config_input) -> ss_plugin_rc;
    fn plugin_get_metrics(s: *mut ss_plugin_t, n: *mut u32) -> *mut ss_plugin_metric;
    fn plugin_get_async_events() -> *const c_char;
    fn plugin_get_extract_event_sources() -> *const c_char;
    fn plugin_get_parse_event_types(n: *mut u32, s: *mut ss_plugin_t) -> *mut u16;
    fn plugin_set_async_event_handler(
        s: *mut ss_plugin_t,
        owner: *mut ss_plugin_owner_t,
        handler: Option<ss_plugin_async_event_handler_t>,
    ) -> ss_plugin_rc;
    fn plugin_capture_open(s: *mut ss_plugin_t, i: *const ss_plugin_capture_listen_input) -> ss_plugin_rc;
    fn plugin_capture_close(s: *mut ss_plugin_t, i: *const ss_plugin_capture_listen_input) -> ss_plugin_rc;
    fn plugin_open(s: *mut ss_plugin_t, params: *const c_char, rc: *mut ss_plugin_rc) -> *mut ss_instance_t;
    fn plugin_next_batch(
        s: *mut ss_plugin_t,
        h: *mut ss_instance_t,
        n: *mut u32,
        e: *mut *mut *mut ss_plugin_event,
    ) -> ss_plugin_rc;
    fn plugin_close(s: *mut ss_plugin_t, h: *mut ss_instance_t);
}

fn text(p: *const c_char) -> String {
    assert!(!p.is_null());
    // SAFETY: the plugin returns C strings.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

static TICKS: Mutex<Vec<u64>> = Mutex::new(Vec::new());

unsafe extern "C" fn on_async(
    _o: *mut ss_plugin_owner_t,
    evt: *const ss_plugin_event,
    _err: *mut c_char,
) -> ss_plugin_rc {
    // SAFETY: the plugin passes a full event valid during the call.
    let ev = unsafe { EventRef::from_raw(evt) }.unwrap();
    let ae = AsyncEvent::parse(&ev).unwrap();
    assert_eq!(ae.name, "tick");
    TICKS
        .lock()
        .unwrap()
        .push(u64::from_le_bytes(ae.data.try_into().unwrap()));
    SS_PLUGIN_SUCCESS
}

unsafe extern "C" fn list_two_tables(_o: *mut ss_plugin_owner_t, n: *mut u32) -> *const ss_plugin_table_info {
    // Leaked: the host owns the array for the plugin's lifetime (one per test run).
    let infos = Box::leak(Box::new([
        ss_plugin_table_info {
            name: c"threads".as_ptr(),
            key_type: SS_PLUGIN_ST_INT64,
        },
        ss_plugin_table_info {
            name: c"containers".as_ptr(),
            key_type: SS_PLUGIN_ST_STRING,
        },
    ]));
    // SAFETY: writable count.
    unsafe { n.write(2) };
    infos.as_ptr()
}

fn init(config: &str, tables: *const ss_plugin_init_tables_input) -> (*mut ss_plugin_t, ss_plugin_rc) {
    let config = CString::new(config).unwrap();
    let input = ss_plugin_init_input {
        config: config.as_ptr(),
        owner: std::ptr::null_mut(),
        get_owner_last_error: None,
        tables,
        log_fn: None,
    };
    let mut rc = -9;
    // SAFETY: valid input for the call.
    let s = unsafe { plugin_init(&input, &mut rc) };
    (s, rc)
}

#[test]
fn manifest_and_static_getters_list_every_capability() {
    // SAFETY: static getters.
    let m: serde_json::Value = serde_json::from_str(&text(unsafe { saker_plugin_manifest() })).unwrap();
    assert_eq!(
        m["capabilities"],
        serde_json::json!(["sourcing", "extraction", "parsing", "async_events", "capture_listening"])
    );
    assert_eq!(m["async_events"], serde_json::json!(["tick"]));
    assert_eq!(m["extract_event_sources"], serde_json::json!(["everything", "syscall"]));
    // SAFETY: static getters.
    unsafe {
        assert_eq!(text(plugin_get_async_events()), r#"["tick"]"#);
        assert_eq!(text(plugin_get_extract_event_sources()), r#"["everything","syscall"]"#);
        let mut n = 0;
        let types = plugin_get_parse_event_types(&mut n, std::ptr::null_mut());
        assert_eq!(std::slice::from_raw_parts(types, n as usize), &[322, 1]);
    }
}

#[test]
fn init_reads_tables_and_config_set_config_and_metrics() {
    let tables = ss_plugin_init_tables_input {
        list_tables: Some(list_two_tables),
        get_table: None,
        add_table: None,
        fields: Default::default(),
        fields_ext: std::ptr::null_mut(),
        reader_ext: std::ptr::null_mut(),
        writer_ext: std::ptr::null_mut(),
    };
    let (s, rc) = init(r#"{"threshold": 3}"#, &tables);
    assert_eq!(rc, SS_PLUGIN_SUCCESS);
    // SAFETY: live state for every call below.
    unsafe {
        let bad = ss_plugin_set_config_input {
            config: cr#"{"threshold": "x"}"#.as_ptr(),
        };
        assert_eq!(plugin_set_config(s, &bad), SS_PLUGIN_FAILURE);
        assert_eq!(
            text(plugin_get_last_error(s)),
            "invalid plugin config: threshold must be a number"
        );
        let good = ss_plugin_set_config_input {
            config: cr#"{"threshold": 7}"#.as_ptr(),
        };
        assert_eq!(plugin_set_config(s, &good), SS_PLUGIN_SUCCESS);
        let mut n = 0;
        let m = plugin_get_metrics(s, &mut n);
        let m = std::slice::from_raw_parts(m, n as usize);
        assert_eq!(text(m[0].name), "threshold");
        assert_eq!(m[0].type_, SS_PLUGIN_METRIC_TYPE_NON_MONOTONIC);
        assert_eq!(m[0].value.u64_, 7);
        assert_eq!(text(m[1].name), "tables");
        assert_eq!((m[1].value_type, m[1].value.u32_), (SS_PLUGIN_METRIC_VALUE_TYPE_U32, 2));

        // A Success batch without events is reported as TIMEOUT, never SUCCESS with 0 events.
        let mut rc = -9;
        let h = plugin_open(s, c"".as_ptr(), &mut rc);
        let (mut n, mut evts) = (7u32, std::ptr::null_mut());
        assert_eq!(plugin_next_batch(s, h, &mut n, &mut evts), SS_PLUGIN_TIMEOUT);
        assert_eq!(n, 0);
        plugin_close(s, h);
        plugin_destroy(s);
    }
    // Missing config field: init fails and says why.
    let (s, rc) = init("{}", std::ptr::null());
    assert_eq!(rc, SS_PLUGIN_FAILURE);
    // SAFETY: the failed state is still valid until destroy.
    unsafe {
        assert!(text(plugin_get_last_error(s)).contains("missing field `threshold`"));
        plugin_destroy(s);
    }
}

#[test]
fn async_events_flow_from_a_plugin_thread_and_stop_joins_it() {
    let (s, rc) = init(r#"{"threshold": 50}"#, std::ptr::null());
    assert_eq!(rc, SS_PLUGIN_SUCCESS);
    // SAFETY: live state; the handler stays valid until reset to NULL.
    unsafe {
        assert_eq!(
            plugin_set_async_event_handler(s, std::ptr::null_mut(), Some(on_async)),
            SS_PLUGIN_SUCCESS
        );
        assert_eq!(
            plugin_set_async_event_handler(s, std::ptr::null_mut(), None),
            SS_PLUGIN_SUCCESS
        );
        plugin_destroy(s);
    }
    // stop_async joined the producer: every event arrived before the handler was reset.
    assert_eq!(*TICKS.lock().unwrap(), (0..50).collect::<Vec<u64>>());
}

#[test]
fn capture_listen_open_and_a_failing_close() {
    let (s, _) = init(r#"{"threshold": 1}"#, std::ptr::null());
    let mut routine = ss_plugin_routine_vtable::default();
    let input = ss_plugin_capture_listen_input {
        owner: std::ptr::null_mut(),
        routine: &mut routine,
        table_reader_ext: std::ptr::null_mut(),
        table_writer_ext: std::ptr::null_mut(),
        get_owner_last_error: None,
    };
    // SAFETY: live state and valid input.
    unsafe {
        assert_eq!(plugin_capture_open(s, &input), SS_PLUGIN_SUCCESS);
        assert_eq!(plugin_capture_close(s, &input), SS_PLUGIN_FAILURE);
        assert_eq!(text(plugin_get_last_error(s)), "close refused on purpose");
        plugin_destroy(s);
    }
    assert_eq!(CAPTURE_CALLS.load(Ordering::SeqCst), 1);
}
