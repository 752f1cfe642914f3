//! `saker-conformance`: runs Falco's legacy regression suite (`shared/conformance`) against an
//! engine binary and prints `PASS name` / `FAIL name: reason` per test, then
//! `N passed, M failed` (and `, K skipped` for tests whose prerequisite is absent).
//!
//! ```text
//! cargo build -p saker && cargo run -p saker-conformance -- \
//!     --engine target/debug/saker --plugins-dir target/debug \
//!     [--suite falco_tests] [--test NAME] [--jobs 2] [--expected FILE]
//! ```
//! Exit status: 0 when every test passed (or, with `--expected`, when exactly the listed tests
//! failed), 1 otherwise, 2 when the runner itself could not start.

mod command;
mod expected;
mod judge;
mod run;
mod suite;

use std::collections::{BTreeMap, VecDeque};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use clap::Parser;

use command::{Layout, Prepared};
use expected::Outcome;
use suite::TestCase;

/// Runs Falco's legacy regression tests against an engine.
#[derive(Debug, Parser)]
#[command(name = "saker-conformance")]
struct Args {
    /// The engine binary to test (e.g. target/debug/saker).
    #[arg(long, value_name = "PATH")]
    engine: PathBuf,
    /// The conformance directory (holding falco-legacy/); found by walking up from the current
    /// directory and from this crate when absent.
    #[arg(long, value_name = "DIR")]
    conformance: Option<PathBuf>,
    /// Where lib<name>.so of the k8saudit, json and cloudtrail plugins are.
    #[arg(long, value_name = "DIR")]
    plugins_dir: Option<PathBuf>,
    /// Where the libtest_*.so test plugins are (default: --plugins-dir).
    #[arg(long, value_name = "DIR")]
    test_plugins_dir: Option<PathBuf>,
    /// Run only this suite (falco_tests, falco_tests_exceptions, falco_k8s_audit_tests,
    /// falco_tests_plugins); repeatable.
    #[arg(long = "suite", value_name = "NAME")]
    suites: Vec<String>,
    /// Run only this test; repeatable.
    #[arg(long = "test", value_name = "NAME")]
    tests: Vec<String>,
    /// Engine runs in parallel.
    #[arg(long, default_value_t = 2)]
    jobs: usize,
    /// Tests expected to fail, one `name  # reason` per line: the run then succeeds iff exactly
    /// those fail.
    #[arg(long, value_name = "FILE")]
    expected: Option<PathBuf>,
    /// Per-run time limit in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = run::ENGINE_TIMEOUT.as_secs())]
    timeout: u64,
}

#[derive(Debug, thiserror::Error)]
enum RunnerError {
    #[error("no conformance directory: pass --conformance DIR (the directory holding falco-legacy/)")]
    NoConformance,
    #[error("engine {0} is not a file: build it first (cargo build -p saker) or fix --engine")]
    NoEngine(PathBuf),
    #[error("unknown suite '{0}'; the suites are {1}")]
    UnknownSuite(String, String),
    #[error("no test named '{0}' in the selected suites")]
    UnknownTest(String),
    #[error("--jobs must be at least 1")]
    NoJobs,
    #[error("expected-failures list {0}: {1}")]
    ExpectedList(PathBuf, String),
    #[error(transparent)]
    Suite(#[from] suite::SuiteError),
    #[error("{0}: {1}")]
    Io(PathBuf, std::io::Error),
}

fn find_conformance() -> Option<PathBuf> {
    let starts = [
        std::env::current_dir().ok(),
        Some(PathBuf::from(env!("CARGO_MANIFEST_DIR"))),
    ];
    for start in starts.into_iter().flatten() {
        let mut dir = start;
        loop {
            for candidate in [dir.join("shared/conformance"), dir.join("conformance")] {
                if candidate.join("falco-legacy").is_dir() {
                    return Some(candidate);
                }
            }
            if !dir.pop() {
                break;
            }
        }
    }
    None
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

fn run_case(case: &TestCase, layout: &Layout, engine: &Path, timeout: Duration) -> Outcome {
    let inv = match command::prepare(case, layout, engine) {
        Ok(Prepared::Run(inv)) => inv,
        Ok(Prepared::Skip(reason)) => return Outcome::Skip(reason),
        Err(reason) => return Outcome::Fail(format!("cannot build the command line: {reason}")),
    };
    let grpc = case.grpc.as_ref().zip(layout.grpcurl.as_deref());
    let output = match run::execute(&inv, grpc, timeout) {
        Ok(output) => output,
        Err(reason) => return Outcome::Fail(reason),
    };
    let test_dir = layout.test_dir();
    let read = |path: &str| std::fs::read_to_string(test_dir.join(path)).ok();
    match judge::judge(case, &output, &read) {
        Ok(()) => Outcome::Pass,
        Err(reason) => Outcome::Fail(reason),
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    match real_main(args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("saker-conformance: {e}");
            ExitCode::from(2)
        }
    }
}

fn real_main(args: Args) -> Result<bool, RunnerError> {
    if args.jobs == 0 {
        return Err(RunnerError::NoJobs);
    }
    let conformance = args
        .conformance
        .clone()
        .or_else(find_conformance)
        .ok_or(RunnerError::NoConformance)?;
    let engine = absolute(&args.engine);
    if !engine.is_file() {
        return Err(RunnerError::NoEngine(engine));
    }
    for name in &args.suites {
        if !suite::SUITES.contains(&name.as_str()) {
            return Err(RunnerError::UnknownSuite(name.clone(), suite::SUITES.join(", ")));
        }
    }
    let legacy = absolute(&conformance.join("falco-legacy"));
    let mut all_cases = Vec::new();
    for name in suite::SUITES {
        all_cases.extend(suite::load_suite(
            &legacy.join("test").join(format!("{name}.yaml")),
            name,
        )?);
    }
    let all_names: Vec<String> = all_cases.iter().map(|c| c.name.clone()).collect();
    let cases: Vec<TestCase> = all_cases
        .into_iter()
        .filter(|c| args.suites.is_empty() || args.suites.contains(&c.suite))
        .filter(|c| args.tests.is_empty() || args.tests.contains(&c.name))
        .collect();
    if let Some(missing) = args.tests.iter().find(|t| !cases.iter().any(|c| &c.name == *t)) {
        return Err(RunnerError::UnknownTest(missing.clone()));
    }
    let expected_list = match &args.expected {
        None => None,
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| RunnerError::Io(path.clone(), e))?;
            Some(expected::parse(&text).map_err(|e| RunnerError::ExpectedList(path.clone(), e))?)
        }
    };

    let scratch = std::env::temp_dir().join(format!("saker-conformance-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).map_err(|e| RunnerError::Io(scratch.clone(), e))?;
    let layout = Arc::new(Layout {
        legacy,
        scratch: scratch.clone(),
        plugins_dir: args.plugins_dir.as_deref().map(absolute),
        test_plugins_dir: args
            .test_plugins_dir
            .as_deref()
            .or(args.plugins_dir.as_deref())
            .map(absolute),
        grpcurl: run::find_in_path("grpcurl"),
    });
    let timeout = Duration::from_secs(args.timeout);

    let queue = Arc::new(Mutex::new(cases.into_iter().collect::<VecDeque<_>>()));
    let (sender, receiver) = mpsc::channel();
    let workers: Vec<_> = (0..args.jobs)
        .map(|_| {
            let (queue, layout, engine, sender) = (queue.clone(), layout.clone(), engine.clone(), sender.clone());
            std::thread::spawn(move || loop {
                let next = queue.lock().map(|mut q| q.pop_front()).unwrap_or(None);
                let Some(case) = next else { break };
                let outcome = run_case(&case, &layout, &engine, timeout);
                if sender.send((case.name.clone(), outcome)).is_err() {
                    break;
                }
            })
        })
        .collect();
    drop(sender);

    let mut outcomes = BTreeMap::new();
    let mut out = std::io::stdout().lock();
    for (name, outcome) in receiver {
        let _ = match &outcome {
            Outcome::Pass => writeln!(out, "PASS {name}"),
            Outcome::Fail(reason) => writeln!(out, "FAIL {name}: {reason}"),
            Outcome::Skip(reason) => writeln!(out, "SKIP {name}: {reason}"),
        };
        let _ = out.flush();
        outcomes.insert(name, outcome);
    }
    for worker in workers {
        let _ = worker.join();
    }
    let _ = std::fs::remove_dir_all(&scratch);

    let skipped: Vec<_> = outcomes
        .iter()
        .filter_map(|(n, o)| match o {
            Outcome::Skip(reason) => Some((n, reason)),
            _ => None,
        })
        .collect();
    if !skipped.is_empty() {
        let _ = writeln!(out, "skipped (prerequisite absent):");
        for (name, reason) in skipped {
            let _ = writeln!(out, "  {name}: {reason}");
        }
    }
    let success = match &expected_list {
        None => !outcomes.values().any(|o| matches!(o, Outcome::Fail(_))),
        Some(list) => {
            let problems = expected::reconcile(&outcomes, &all_names, list);
            for problem in &problems {
                let _ = writeln!(out, "EXPECTED-LIST {problem}");
            }
            problems.is_empty()
        }
    };
    let summary = expected::summary(&outcomes);
    match &expected_list {
        // Failures that are all listed (with their reasons) are reported as such, so that the
        // line is not mistaken for a run with unexpected failures.
        Some(list) if success && !list.is_empty() => {
            let _ = writeln!(
                out,
                "{summary} (every failure is a listed, expected one: {} listed)",
                list.len()
            );
        }
        _ => {
            let _ = writeln!(out, "{summary}");
        }
    }
    Ok(success)
}
