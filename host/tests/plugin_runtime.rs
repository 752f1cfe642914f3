//! Init, sourcing, extraction, parsing and tables through real C fixture plugins.

#[path = "fixtures/plugins/support.rs"]
mod support;

use saker::plugins::tables::{HostTable, StateType, TableKey, TableValue};
use saker::plugins::{
    BatchEnd, ExtractedValue, ExtractedValues, FieldArg, LoadOptions, Plugin, PluginError, TableRegistry,
};
use std::ffi::{CStr, CString};
use std::sync::Arc;
use support::build_fixture;

const SOURCE: &CStr = c"cfixture";

fn loaded(variant: &str, defines: &[&str]) -> Plugin {
    Plugin::load(build_fixture(variant, defines), &LoadOptions::default()).expect("fixture loads")
}

fn threads_registry() -> (Arc<TableRegistry>, HostTable) {
    let registry = TableRegistry::new();
    let threads = HostTable::new("threads", StateType::Int64).unwrap();
    threads.define_field("comm", StateType::String).unwrap();
    registry.add_host_table(&threads).unwrap();
    (registry, threads)
}

/// Runs the source to the end and returns copies of the events and the batch ends seen.
fn drain(plugin: &Plugin, params: &str) -> (Vec<Vec<u8>>, Vec<BatchEnd>, Option<PluginError>) {
    let mut instance = plugin.open(params).expect("open");
    let (mut events, mut ends) = (Vec::new(), Vec::new());
    for _ in 0..100 {
        match instance.next_batch() {
            Ok(batch) => {
                events.extend(batch.events().map(|e| e.to_vec()));
                ends.push(batch.end);
                if batch.end == BatchEnd::Eof {
                    return (events, ends, None);
                }
            }
            Err(e) => return (events, ends, Some(e)),
        }
    }
    panic!("source did not end");
}

#[test]
fn init_failure_reports_the_plugins_text() {
    let mut plugin = loaded("base", &[]);
    let err = plugin.init(r#"{"fail":true}"#, &TableRegistry::new()).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"could not initialize plugin cfixture: the fixture was told to fail (config {"fail":true})"#
    );
    assert!(!plugin.is_initialized());
}

#[test]
fn init_config_is_validated_against_the_schema() {
    let mut plugin = loaded("base", &[]);
    let tables = TableRegistry::new();
    let err = plugin.init(r#"{"count":0}"#, &tables).unwrap_err().to_string();
    assert!(err.starts_with("plugin cfixture: init config: In /count, "), "{err}");
    assert!(err.contains("minimum of 1"), "{err}");
    let err = plugin.init(r#"{"colour":"red"}"#, &tables).unwrap_err().to_string();
    assert!(err.contains("In /, ") && err.contains("colour"), "{err}");
    let err = plugin.init("{not json", &tables).unwrap_err().to_string();
    assert!(
        err.contains("init_config is not valid JSON") && err.contains("fix init_config"),
        "{err}"
    );
    // Empty config + schema => "{}".
    plugin.init("", &tables).expect("empty config becomes {}");
    let err = plugin.init("", &tables).unwrap_err().to_string();
    assert!(err.contains("init was already called"), "{err}");
}

#[test]
fn calls_before_init_are_refused() {
    let plugin = loaded("base", &[]);
    let err = plugin.open("").err().expect("open before init fails").to_string();
    assert_eq!(err, "plugin cfixture: open called before init; call Plugin::init first");
}

#[test]
fn source_batches_follow_falco_semantics() {
    let mut plugin = loaded("base", &[]);
    plugin.init(r#"{"count":3}"#, &TableRegistry::new()).unwrap();
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let (events, ends, err) = drain(&plugin, "default");
    assert!(err.is_none(), "{err:?}");
    // First call times out with no events, then one event per batch, then EOF.
    assert_eq!(
        ends,
        vec![
            BatchEnd::Timeout,
            BatchEnd::More,
            BatchEnd::More,
            BatchEnd::More,
            BatchEnd::Eof
        ]
    );
    assert_eq!(events.len(), 3);
    for (n, e) in events.iter().enumerate() {
        let payload = format!("event-{n}");
        assert_eq!(e.len(), 38 + payload.len());
        assert_eq!(u16::from_ne_bytes([e[20], e[21]]), 322);
        assert_eq!(
            u32::from_ne_bytes(e[34..38].try_into().unwrap()),
            999,
            "plugin id 0 rewritten"
        );
        assert_eq!(
            u64::from_ne_bytes(e[8..16].try_into().unwrap()),
            u64::MAX,
            "tid forced to UINT64_MAX"
        );
        assert_eq!(&e[38..], payload.as_bytes());
    }
    let ts0 = u64::from_ne_bytes(events[0][0..8].try_into().unwrap());
    assert!(
        ts0 >= before && ts0 != u64::MAX,
        "UINT64_MAX timestamp stamped with now"
    );
    assert_eq!(
        u64::from_ne_bytes(events[1][0..8].try_into().unwrap()),
        1_700_000_000_000_000_001
    );
}

#[test]
fn open_failure_progress_and_open_params() {
    let mut plugin = loaded("base", &[]);
    plugin.init("", &TableRegistry::new()).unwrap();
    let err = plugin.open("fail").err().unwrap().to_string();
    assert_eq!(
        err,
        "plugin cfixture: could not open event source with params 'fail': cannot open: params say fail"
    );
    let params = plugin.list_open_params().unwrap();
    assert_eq!(
        params.iter().map(|p| p.value.as_str()).collect::<Vec<_>>(),
        vec!["default", "fail"]
    );
    assert_eq!(params[0].desc, "the default stream");
    let mut instance = plugin.open("").unwrap();
    assert_eq!(instance.progress(), Some((0, "progress".to_string())));
    let _ = instance.next_batch().unwrap();
    let _ = instance.next_batch().unwrap();
    assert_eq!(instance.progress(), Some((3333, "progress".to_string())));
}

#[test]
fn next_batch_failure_delivers_events_then_the_error() {
    let mut plugin = loaded("batchfail", &["CASE_BATCH_FAIL"]);
    plugin.init(r#"{"count":5}"#, &TableRegistry::new()).unwrap();
    let (events, _, err) = drain(&plugin, "");
    assert_eq!(events.len(), 1);
    assert_eq!(
        err.unwrap().to_string(),
        "plugin cfixture: next_batch failed: the batch exploded after 1 event"
    );
}

#[test]
fn success_with_zero_events_is_an_error() {
    let mut plugin = loaded("zerosuccess", &["CASE_ZERO_SUCCESS"]);
    plugin.init("", &TableRegistry::new()).unwrap();
    let (_, _, err) = drain(&plugin, "");
    let err = err.unwrap().to_string();
    assert!(
        err.starts_with("plugin cfixture: next_batch failed: unexpected 0 size event returned by plugin"),
        "{err}"
    );
}

#[test]
fn events_whose_length_or_id_lie_are_rejected() {
    let mut plugin = loaded("lyinglen", &["CASE_LYING_LEN"]);
    plugin.init("", &TableRegistry::new()).unwrap();
    let (events, _, err) = drain(&plugin, "");
    assert!(events.is_empty());
    assert_eq!(
        err.unwrap().to_string(),
        "plugin cfixture: malformed plugin event #0 in batch: event length field says 50 but header+params \
         add up to 45"
    );
    let mut plugin = loaded("foreignid", &["CASE_FOREIGN_ID"]);
    plugin.init("", &TableRegistry::new()).unwrap();
    let (_, _, err) = drain(&plugin, "");
    assert_eq!(
        err.unwrap().to_string(),
        "plugin cfixture: malformed plugin event #0 in batch: the event carries plugin id 1234, but this \
         plugin's id is 999; a source may only emit its own events"
    );
}

fn extract_one(plugin: &Plugin, event: &[u8], field: &str, arg: FieldArg) -> Option<Vec<String>> {
    let index = plugin.field_index(field).expect("field exists");
    let mut out = ExtractedValues::new();
    if !plugin.extract(event, 1, SOURCE, index, &arg, &mut out) {
        return None;
    }
    Some(
        out.iter()
            .map(|v| match v {
                ExtractedValue::U64(n) => n.to_string(),
                ExtractedValue::Bool(b) => b.to_string(),
                ExtractedValue::Str(s) => String::from_utf8_lossy(s).into_owned(),
                ExtractedValue::Ip(b) => format!("{b:?}"),
            })
            .collect(),
    )
}

#[test]
fn extraction_parsing_and_tables() {
    let (registry, threads) = threads_registry();
    // A plugin that owns the "cfixture_counts" table, initialised first.
    let mut owner = loaded(
        "tableowner",
        &["CASE_TABLE_OWNER", "PLUGIN_NAME=\"ctables\"", "HAVE_SOURCE=0"],
    );
    owner.init("", &registry).unwrap();
    assert_eq!(
        registry.plugin_table_owner("cfixture_counts").as_deref(),
        Some("ctables")
    );

    let mut plugin = loaded("base", &[]);
    plugin.init(r#"{"count":4}"#, &registry).unwrap();
    // The plugin added a dynamic field to the host's threads table at init.
    let (cid, ty) = threads
        .field("container_id")
        .expect("container_id field added by the plugin");
    assert_eq!(ty, StateType::String);

    let (events, _, err) = drain(&plugin, "");
    assert!(err.is_none());
    assert_eq!(plugin.extract_filter().types, Some([322u16].into_iter().collect()));
    for (n, event) in events.iter().enumerate() {
        let n = n as u64;
        assert!(plugin.parse_filter().matches(322, "cfixture"));
        assert!(plugin.parse(event, n, SOURCE));
        assert_eq!(
            extract_one(&plugin, event, "cf.num", FieldArg::None),
            Some(vec![n.to_string()])
        );
        assert_eq!(
            extract_one(&plugin, event, "cf.payload", FieldArg::None),
            Some(vec![format!("event-{n}")])
        );
        assert_eq!(
            extract_one(&plugin, event, "cf.even", FieldArg::None),
            Some(vec![(n % 2 == 0).to_string()])
        );
        assert_eq!(
            extract_one(&plugin, event, "cf.ip", FieldArg::None),
            Some(vec![format!("{:?}", [10, 0, 0, n as u8])])
        );
        assert_eq!(
            extract_one(&plugin, event, "cf.list", FieldArg::None),
            Some(vec!["a".into(), "b".into()])
        );
        assert_eq!(
            extract_one(&plugin, event, "cf.parsed", FieldArg::None),
            Some(vec![(n + 1).to_string()])
        );
        // Written by parse through the writer vtable, read back by extract through the reader.
        assert_eq!(
            extract_one(&plugin, event, "cf.threadcid", FieldArg::None),
            Some(vec![format!("c{n}")])
        );
        assert_eq!(
            threads.get(&TableKey::Int(n as i64), cid),
            Some(TableValue::Str(format!("c{n}")))
        );
        // Read from the other plugin's table through the host's forwarding vtables.
        assert_eq!(
            extract_one(&plugin, event, "cf.count10", FieldArg::None),
            Some(vec![(n * 10).to_string()])
        );
        assert_eq!(extract_one(&plugin, event, "cf.nothing", FieldArg::None), None);
    }
    assert_eq!(threads.len(), 4);
    let event = &events[0];
    assert_eq!(
        extract_one(&plugin, event, "cf.argecho", FieldArg::None),
        Some(vec!["none index=18446744073709551615 key=null".into()])
    );
    assert_eq!(
        extract_one(&plugin, event, "cf.argecho", FieldArg::Index(5)),
        Some(vec!["index=5".into()])
    );
    let key = FieldArg::Key(CString::new("abc").unwrap());
    assert_eq!(
        extract_one(&plugin, event, "cf.argecho", key),
        Some(vec!["key=abc".into()])
    );
    let field = &plugin.info().fields[5];
    assert_eq!(FieldArg::parse(field, Some("7")).unwrap(), FieldArg::Index(7));
    assert_eq!(
        FieldArg::parse(field, Some("07")).unwrap(),
        FieldArg::Key(CString::new("07").unwrap())
    );

    let counters = plugin.counters();
    assert_eq!(counters.parse_calls, 4);
    assert_eq!(counters.parse_failures, 0);
    assert_eq!(counters.extract_no_value, 4, "one per cf.nothing call");
    assert_eq!(plugin.event_to_string(event, 1, SOURCE), "cfixture event: event-0");

    let metrics: Vec<(String, bool, f64)> = plugin
        .metrics()
        .into_iter()
        .map(|m| (m.name, m.monotonic, m.value))
        .collect();
    assert_eq!(
        metrics,
        vec![
            ("cfixture.events_parsed".to_string(), true, 4.0),
            ("cfixture.ratio".to_string(), false, 0.5)
        ]
    );

    // Destroying the plugin that owns a table retires it: readers get "no value", not a crash.
    drop(owner);
    assert_eq!(registry.plugin_table_owner("cfixture_counts"), None);
    assert_eq!(extract_one(&plugin, event, "cf.count10", FieldArg::None), None);
    assert_eq!(
        plugin.owner_last_error().as_deref(),
        Some("plugin ctables that owned this table was destroyed")
    );
}

#[test]
fn event_to_string_fallback() {
    let mut plugin = loaded("notostring", &["CASE_NO_TO_STRING"]);
    plugin.init("", &TableRegistry::new()).unwrap();
    let (events, _, _) = drain(&plugin, "");
    assert_eq!(plugin.event_to_string(&events[1], 1, SOURCE), "datalen=7 data=event-1");
}

#[test]
fn inconsistent_plugin_table_is_refused() {
    let registry = TableRegistry::new();
    let mut owner = loaded(
        "tableinconsistent",
        &[
            "CASE_TABLE_OWNER",
            "CASE_TABLE_INCONSISTENT",
            "PLUGIN_NAME=\"ctables\"",
            "HAVE_SOURCE=0",
        ],
    );
    let err = owner.init("", &registry).unwrap_err().to_string();
    assert!(
        err.starts_with(
            "could not initialize plugin ctables: add_table failed: add_table: broken or inconsistent \
             reader/writer/fields vtables for table 'cfixture_counts'"
        ),
        "{err}"
    );
    assert!(registry.list().is_empty());
}

#[test]
fn async_events_are_checked_and_queued() {
    use saker::plugins::AsyncQueue;
    let mut plugin = loaded("async", &["CASE_ASYNC"]);
    assert!(plugin.info().capabilities.async_events);
    assert_eq!(plugin.info().async_event_names, vec!["cfix_async".to_string()]);
    plugin.init("", &TableRegistry::new()).unwrap();
    let queue = Arc::new(AsyncQueue::new(8));
    // The fixture emits from its own thread: one valid event, one with an unknown name and one
    // with a thread id on a plugin source; it fails this call unless the host answered
    // SUCCESS, FAILURE, FAILURE with the expected reasons in its error buffer.
    plugin
        .start_async_events(queue.clone(), 999)
        .expect("handler results as expected");
    assert_eq!(queue.counters(), (1, 0, 2));
    let event = queue.pop().unwrap();
    assert_eq!(u16::from_ne_bytes([event[20], event[21]]), 402);
    assert_eq!(
        u32::from_ne_bytes(event[38..42].try_into().unwrap()),
        999,
        "plugin id set to the source's"
    );
    assert_eq!(&event[42..53], b"cfix_async\0");
    assert_eq!(&event[53..], b"hello");
    assert!(queue.pop().is_none());
    plugin.stop_async_events().unwrap();
}

#[test]
fn capture_listening_runs_routines_on_the_host_pool() {
    use saker::plugins::RoutinePool;
    let mut plugin = loaded("capture", &["CASE_CAPTURE"]);
    assert!(plugin.info().capabilities.capture_listening);
    plugin.init("", &TableRegistry::new()).unwrap();
    let pool = RoutinePool::new(2);
    plugin.capture_open(&pool).unwrap();
    // The finite routine stops itself after 5 runs; the other runs until unsubscribed.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while (pool.active_routines() != 1 || pool.runs() < 10) && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert_eq!(pool.active_routines(), 1);
    // The fixture's capture_close checks the run counts and that unsubscribe works once.
    plugin.capture_close().expect("routine behaviour as expected");
    assert_eq!(pool.active_routines(), 0);
    let runs = pool.runs();
    std::thread::sleep(std::time::Duration::from_millis(20));
    assert_eq!(pool.runs(), runs, "no routine runs after capture_close");
}

#[test]
fn event_schema_version_is_checked_for_non_plugin_events() {
    // Extracting from event type 3 as well as 322 triggers the 3.12 schema check.
    let mut plugin = loaded("schema9", &["SCHEMA_REQ=\"9.0.0\""]);
    let err = plugin.init("", &TableRegistry::new()).unwrap_err().to_string();
    assert_eq!(
        err,
        "could not initialize plugin cfixture: the plugin requires event schema version '9.0.0' but Saker \
         provides '4.5.1': major versions disagree; use a plugin built for this event schema"
    );
    assert!(!plugin.is_initialized());
    let mut plugin = loaded("schema46", &["SCHEMA_REQ=\"4.6.0\""]);
    let err = plugin.init("", &TableRegistry::new()).unwrap_err().to_string();
    assert!(
        err.contains("'4.6.0'") && err.contains("it is newer than the host's"),
        "{err}"
    );
    let mut plugin = loaded("schema3", &["SCHEMA_REQ=\"3.0.0\""]);
    plugin
        .init("", &TableRegistry::new())
        .expect("an older schema major is compatible");
    assert_eq!(plugin.extract_filter().types, Some([322u16, 3].into_iter().collect()));
}
