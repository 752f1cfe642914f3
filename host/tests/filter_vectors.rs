//! Runs libsinsp's condition-language vectors (shared/conformance/filter_vectors.json) that need
//! no syscall event: parse, compile, compile+eval, evttype_set, escape_str, unescape_str,
//! escape_roundtrip, and the `eval` vectors whose expression reads no event field (transformers
//! over literals). The other `eval` vectors need synthetic syscall events: reported as not run.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

use saker::rules::ast::{Expr, FieldExpr, ValueExpr};
use saker::rules::compile::compile;
use saker::rules::escape::{escape_str, unescape_str};
use saker::rules::eval::EvalContext;
use saker::rules::evttype::{event_types, EventTypeSet};
use saker::rules::fields::{
    catalog_from_libsinsp_tsv, FieldArg, FieldId, FieldInfo, FieldSource, FieldType, TableCatalog,
};
use saker::rules::parse::parse_condition;
use saker::rules::value::Values;

fn conformance_dir() -> Option<PathBuf> {
    let mut dir = Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf();
    loop {
        let candidate = dir.join("shared/conformance");
        if candidate.join("filter_vectors.json").is_file() {
            return Some(candidate);
        }
        if !dir.pop() {
            return None;
        }
    }
}

/// A vector's identity in reports and in the known-failures file: `kind file:line expr`.
fn vector_id(v: &Value) -> String {
    format!(
        "{} {}:{} {}",
        v["kind"].as_str().unwrap_or("?"),
        v["file"].as_str().unwrap_or("?"),
        v["line"],
        v["expr"].as_str().or(v["input"].as_str()).unwrap_or("")
    )
}

/// libsinsp's real fields plus the mock fields of its compiler tests: `c.true`, `c.false`,
/// `c.singlequote`, `c.doublequote` (strings) and `c.buffer` (a byte buffer).
struct Catalogs {
    catalog: TableCatalog,
    mock: Vec<(FieldId, &'static str)>,
}

fn catalogs(reference: &Path) -> Catalogs {
    let tsv = std::fs::read_to_string(reference.join("libsinsp_fields.tsv")).expect("read tsv");
    let mut catalog = catalog_from_libsinsp_tsv(&tsv).expect("tsv parses");
    let mut mock = Vec::new();
    for (name, ty) in [
        ("c.true", FieldType::CharBuf),
        ("c.false", FieldType::CharBuf),
        ("c.buffer", FieldType::ByteBuf),
        ("c.singlequote", FieldType::CharBuf),
        ("c.doublequote", FieldType::CharBuf),
    ] {
        mock.push((catalog.add(FieldInfo::new(name, ty, "mock")), name));
    }
    Catalogs { catalog, mock }
}

/// Values of the mock fields: the libsinsp mocks answer every comparison of `c.true` with
/// true and of `c.false`/`c.buffer` with false; the vectors only compare them with `= 1`, so
/// `c.true` holds "1", `c.false` "0" and `c.buffer` nothing. `c.singlequote`/`c.doublequote`
/// hold the strings their mocks compare with.
struct MockSource<'a> {
    mock: &'a [(FieldId, &'static str)],
}

impl FieldSource for MockSource<'_> {
    fn extract(&mut self, field: FieldId, _arg: &FieldArg, out: &mut Values) -> bool {
        let Some((_, name)) = self.mock.iter().find(|(id, _)| *id == field) else {
            return false;
        };
        let value = match *name {
            "c.true" => "1",
            "c.false" => "0",
            "c.singlequote" => "hello 'quoted'",
            "c.doublequote" => "hello \"quoted\"",
            _ => return false,
        };
        out.push_str(value);
        true
    }
}

fn run_compile(v: &Value, cats: &Catalogs) -> Outcome {
    let expr = v["expr"].as_str().unwrap_or_default();
    let want_ok = v["expect"] == "ok";
    let compiled = parse_condition(expr)
        .map_err(|e| e.to_string())
        .and_then(|ast| compile(&ast, &cats.catalog).map_err(|e| e.message));
    match compiled {
        Ok(filter) if want_ok => {
            if let Some(n) = v.get("warnings").and_then(Value::as_u64) {
                if filter.warnings.len() as u64 != n {
                    return Outcome::Fail(format!(
                        "{} warnings, expected {n}: {:?}",
                        filter.warnings.len(),
                        filter.warnings
                    ));
                }
            }
            if let Some(want) = v.get("eval_result").and_then(Value::as_bool) {
                let mut ctx = EvalContext::new();
                let mut src = MockSource { mock: &cats.mock };
                let got = filter.eval(&mut ctx, &mut src);
                if got != want {
                    return Outcome::Fail(format!("evaluated to {got}, expected {want}"));
                }
            }
            Outcome::Pass
        }
        Ok(_) => Outcome::Fail("compiled, expected an error".into()),
        Err(e) if want_ok => Outcome::Fail(format!("rejected: {e}")),
        Err(e) => match v.get("message").and_then(Value::as_str) {
            Some(msg) if msg != e => Outcome::Fail(format!("message {e:?}, expected {msg:?}")),
            _ => Outcome::Pass,
        },
    }
}

/// Event codes by name, from shared/reference/event_table.tsv (code, enum, name, …).
struct EventTable {
    by_name: std::collections::HashMap<String, Vec<u16>>,
    all: Vec<u16>,
}

fn event_table(reference: &Path) -> EventTable {
    let text = std::fs::read_to_string(reference.join("event_table.tsv")).expect("event table");
    let mut by_name: std::collections::HashMap<String, Vec<u16>> = Default::default();
    let mut all = Vec::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() < 3 {
            continue;
        }
        let Ok(code) = cols[0].parse::<u16>() else {
            continue;
        };
        by_name.entry(cols[2].to_string()).or_default().push(code);
        all.push(code);
    }
    EventTable { by_name, all }
}

impl EventTable {
    fn codes(&self, set: &EventTypeSet) -> Vec<u16> {
        set.to_codes(|n| self.by_name.get(n).cloned().unwrap_or_default(), &self.all)
    }
}

/// The set variables of libsinsp's filter_ppm_codes tests, as event-type names. Their C++
/// definitions build them from the names in the variable (`openat_only` = the openat event
/// codes, `not_openat` = every code but openat's, `all_events`/`no_events` = all/none).
fn named_set(name: &str) -> Option<EventTypeSet> {
    let names = |s: &[&str]| s.iter().map(|x| x.to_string()).collect();
    Some(match name {
        "openat_only" => EventTypeSet::Only(names(&["openat"])),
        "not_openat" => EventTypeSet::AllExcept(names(&["openat"])),
        "openat_close_only" => EventTypeSet::Only(names(&["openat", "close"])),
        "not_openat_close" => EventTypeSet::AllExcept(names(&["openat", "close"])),
        "all_events" => EventTypeSet::any(),
        "no_events" => EventTypeSet::none(),
        _ => return None,
    })
}

fn run_evttype(v: &Value, table: &EventTable) -> Outcome {
    let expr = v["expr"].as_str().unwrap_or_default();
    let got = match parse_condition(expr) {
        Ok(ast) => table.codes(&event_types(&ast)),
        Err(e) => return Outcome::Fail(format!("parse error: {e}")),
    };
    let want = if let Some(name) = v.get("equals_set").and_then(Value::as_str) {
        match named_set(name) {
            Some(set) => table.codes(&set),
            None => return Outcome::Fail(format!("set variable {name} not defined in the test")),
        }
    } else if let Some(other) = v.get("same_set_as").and_then(Value::as_str) {
        match parse_condition(other) {
            Ok(ast) => table.codes(&event_types(&ast)),
            Err(e) => return Outcome::Fail(format!("parse error in same_set_as: {e}")),
        }
    } else {
        return Outcome::Fail("vector names no expected set".into());
    };
    if got == want {
        Outcome::Pass
    } else {
        Outcome::Fail(format!("{} codes, expected {}", got.len(), want.len()))
    }
}

/// Sources that give every field the same value, whatever its type.
enum AnySource {
    Text,
    Number,
    Empty,
}

impl FieldSource for AnySource {
    fn extract(&mut self, _field: FieldId, _arg: &FieldArg, out: &mut Values) -> bool {
        match self {
            AnySource::Text => out.push_str("1"),
            AnySource::Number => {
                out.push_u64(1);
                out.push_i64(-1);
            }
            AnySource::Empty => return false,
        }
        true
    }
}

/// Whether a condition reads any event field (eval vectors that read none, e.g. `join` or
/// `getopt` over literals, need no synthetic event and run here).
fn reads_fields(e: &Expr) -> bool {
    fn field(f: &FieldExpr) -> bool {
        match f {
            FieldExpr::Field { .. } => true,
            FieldExpr::Literal(..) => false,
            FieldExpr::Transform { args, .. } | FieldExpr::List(args, _) => args.iter().any(field),
        }
    }
    match e {
        Expr::And(c, _) | Expr::Or(c, _) => c.iter().any(reads_fields),
        Expr::Not(c, _) => reads_fields(c),
        Expr::Identifier(..) => true,
        Expr::Unary(u) => field(&u.field),
        Expr::Binary(b) => field(&b.field) || matches!(&b.value, ValueExpr::FieldRef(f, _) if field(f)),
    }
}

/// An `eval` vector on an expression that reads no field: compile and evaluate it with a
/// source that has no values. Others need synthetic syscall events and are not run.
fn run_literal_eval(v: &Value, cats: &Catalogs) -> Outcome {
    let expr = v["expr"].as_str().unwrap_or_default();
    let Ok(ast) = parse_condition(expr) else {
        return Outcome::NotRun;
    };
    if reads_fields(&ast) {
        return Outcome::NotRun;
    }
    let want_ok = v["expect"] == "ok";
    match compile(&ast, &cats.catalog) {
        Ok(filter) if want_ok => {
            let want = v["eval_result"].as_bool().unwrap_or(false);
            let got = filter.eval(&mut EvalContext::new(), &mut AnySource::Empty);
            if got == want {
                Outcome::Pass
            } else {
                Outcome::Fail(format!("evaluated to {got}, expected {want}"))
            }
        }
        Ok(_) => Outcome::Fail("compiled, expected an error".into()),
        Err(e) if want_ok => Outcome::Fail(format!("rejected: {}", e.message)),
        Err(_) => Outcome::Pass,
    }
}

enum Outcome {
    Pass,
    Fail(String),
    NotRun,
}

fn run_parse(v: &Value) -> Outcome {
    let expr = v["expr"].as_str().unwrap_or_default();
    let want_ok = v["expect"] == "ok";
    match parse_condition(expr) {
        Ok(_) if want_ok => {
            // test_accept without a position argument also re-parses with whitespace variants.
            if v.get("note").is_none() {
                let variants = [format!(" {expr} "), expr.replace(' ', "\n"), expr.replace(' ', "\t")];
                for variant in variants {
                    if let Err(e) = parse_condition(&variant) {
                        return Outcome::Fail(format!("variant {variant:?} rejected: {e}"));
                    }
                }
            }
            Outcome::Pass
        }
        Ok(ast) => Outcome::Fail(format!("accepted, expected an error; AST {ast:?}")),
        Err(e) if want_ok => Outcome::Fail(format!("rejected: {e}")),
        Err(e) => match v.get("message").and_then(Value::as_str) {
            Some(msg) if msg != e.message => Outcome::Fail(format!("message {:?}, expected {msg:?}", e.message)),
            _ => Outcome::Pass,
        },
    }
}

fn run_escape(v: &Value) -> Outcome {
    let input = v["input"].as_str().unwrap_or_default();
    match v["kind"].as_str().unwrap_or_default() {
        "escape_str" => {
            let got = escape_str(input);
            if Some(got.as_str()) == v["output"].as_str() {
                Outcome::Pass
            } else {
                Outcome::Fail(format!("got {got:?}"))
            }
        }
        "unescape_str" => match (unescape_str(input), v["output"].as_str()) {
            (Ok(got), Some(want)) if got == want.as_bytes() => Outcome::Pass,
            (Err(_), None) => Outcome::Pass,
            (got, _) => Outcome::Fail(format!("got {got:?}")),
        },
        "escape_roundtrip" => match unescape_str(&escape_str(input)) {
            Ok(back) if back == input.as_bytes() => Outcome::Pass,
            other => Outcome::Fail(format!("round trip gave {other:?}")),
        },
        _ => Outcome::NotRun,
    }
}

fn known_failures() -> BTreeSet<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/filter_vectors_known_failures.txt");
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect()
}

#[test]
fn filter_vectors() {
    let Some(dir) = conformance_dir() else {
        eprintln!("skipped: no shared/conformance/filter_vectors.json above CARGO_MANIFEST_DIR");
        return;
    };
    let text = std::fs::read_to_string(dir.join("filter_vectors.json")).expect("read vectors");
    let doc: Value = serde_json::from_str(&text).expect("vectors are JSON");
    let vectors = doc["vectors"].as_array().expect("vectors array");
    let known = known_failures();
    let reference = dir.parent().expect("shared dir").join("reference");
    let cats = catalogs(&reference);
    let table = event_table(&reference);

    let (mut passed, mut failed, mut not_run) = (0, 0, 0);
    let mut problems = Vec::new();
    let mut seen_known = BTreeSet::new();
    for v in vectors {
        let outcome = match v["kind"].as_str().unwrap_or_default() {
            "parse" => run_parse(v),
            "compile" | "compile+eval" => run_compile(v, &cats),
            "evttype_set" => run_evttype(v, &table),
            "eval" => run_literal_eval(v, &cats),
            "escape_str" | "unescape_str" | "escape_roundtrip" => run_escape(v),
            _ => Outcome::NotRun,
        };
        let id = vector_id(v);
        match outcome {
            Outcome::Pass => {
                passed += 1;
                if known.contains(&id) {
                    problems.push(format!("listed as known failure but passes: {id}"));
                }
            }
            Outcome::Fail(why) => {
                failed += 1;
                if known.contains(&id) {
                    seen_known.insert(id);
                } else {
                    problems.push(format!("FAIL {id}: {why}"));
                }
            }
            Outcome::NotRun => not_run += 1,
        }
    }
    // Every expression of every vector (eval ones included) must compile or fail cleanly, and
    // evaluate without panicking against sources of ill-typed values.
    for v in vectors {
        let Some(expr) = v["expr"].as_str() else {
            continue;
        };
        let Ok(ast) = parse_condition(expr) else {
            continue;
        };
        if let Ok(filter) = compile(&ast, &cats.catalog) {
            let mut ctx = EvalContext::new();
            for mut src in [AnySource::Text, AnySource::Number, AnySource::Empty] {
                ctx.next_event();
                let _ = filter.eval(&mut ctx, &mut src);
            }
        }
    }
    println!("{passed} passed, {failed} failed, {not_run} not run (need syscall events)");
    for p in &problems {
        println!("{p}");
    }
    assert!(problems.is_empty(), "{} vector problems", problems.len());
}

/// Counts this thread's heap allocations, to check that steady-state evaluation allocates
/// nothing.
struct CountingAllocator;

thread_local! {
    static ALLOCATIONS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

// SAFETY: every call is forwarded unchanged to the system allocator; the counter is a plain
// thread-local Cell that never allocates.
unsafe impl std::alloc::GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as our caller's.
        unsafe { std::alloc::System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        // SAFETY: same contract as our caller's.
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as our caller's.
        unsafe { std::alloc::System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// A source giving `fd.*` string fields "/etc/shadow", other string fields "Bash" and every
/// number 42.
struct SteadySource<'a> {
    catalog: &'a TableCatalog,
}

impl FieldSource for SteadySource<'_> {
    fn extract(&mut self, field: FieldId, _arg: &FieldArg, out: &mut Values) -> bool {
        use saker::rules::fields::{FieldCatalog, TypeClass};
        let Some(info) = self.catalog.info(field) else {
            return false;
        };
        match info.ty.class() {
            TypeClass::String if info.name.starts_with("fd.") => out.push_str("/etc/shadow"),
            TypeClass::String => out.push_str("Bash"),
            TypeClass::Signed => out.push_i64(42),
            TypeClass::Unsigned => out.push_u64(42),
            TypeClass::Bool => out.push_bool(true),
            _ => return false,
        }
        true
    }
}

#[test]
fn steady_state_evaluation_does_not_allocate() {
    let Some(dir) = conformance_dir() else {
        eprintln!("skipped: no shared/conformance above CARGO_MANIFEST_DIR");
        return;
    };
    let cats = catalogs(&dir.parent().expect("shared dir").join("reference"));
    let cond = "evt.type in (open, openat, execve) or (proc.name icontains bash \
        and tolower(proc.name) startswith bash and fd.name pmatch (/etc, /usr) \
        and proc.pid > 10 and proc.cmdline regex '.*ash' and fd.name glob '*shadow' \
        and len(fd.name) = 11 and not proc.name in (sshd, sh) and evt.is_io = true \
        and concat(proc.name, \"x\") endswith x)";
    let filter = compile(&parse_condition(cond).expect("parses"), &cats.catalog).expect("compiles");
    let mut ctx = EvalContext::new();
    let mut src = SteadySource { catalog: &cats.catalog };
    for _ in 0..3 {
        ctx.next_event();
        assert!(filter.eval(&mut ctx, &mut src));
    }
    let before = ALLOCATIONS.with(|c| c.get());
    for _ in 0..100 {
        ctx.next_event();
        assert!(filter.eval(&mut ctx, &mut src));
    }
    let after = ALLOCATIONS.with(|c| c.get());
    assert_eq!(after - before, 0, "allocations while evaluating 100 events");
}
