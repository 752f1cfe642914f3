//! What `saker` does when run: read the command line and configuration, load plugins, load
//! rules, then validate, list, describe or run — in Falco's order and with Falco's messages.

pub mod capture;
mod list;
mod logging;
mod sources;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use crate::cli::{Cli, Command, PluginsCommand};
use crate::config::{BaseSyscalls, Config, EngineKind};
use crate::engine::catalog::SourceCatalog;
use crate::engine::catalog::SYSCALL_SOURCE;
use crate::engine::{self, ActiveRules, RulesHandle, RunOptions};
use crate::outputs::Outputs;
use crate::reload::ReloadTriggers;
use crate::rules::event_types::EventTypes;
use crate::rules::load::version::ENGINE_VERSION;
use crate::rules::load::RulesLoader;
use crate::rules::output::alert::AlertOptions;
use crate::rules::results::LoadResults;
use crate::rules::ruleset::{Catalogs, RuleSet, SourceSpec};
use crate::web::{WebConfig, WebServer};

use capture::LiveCapture;
pub use logging::init_logging;
use sources::SourcePlan;

/// A failure that ends the process with status 1 after printing `Error: <message>`.
#[derive(Debug)]
pub struct Fatal(pub String);

impl<E: std::fmt::Display> From<E> for Fatal {
    fn from(e: E) -> Fatal {
        Fatal(e.to_string())
    }
}

/// Runs the command line; the process exit status.
pub fn main(cli: Cli) -> ExitCode {
    match run(cli) {
        Ok(code) => code,
        Err(Fatal(message)) => {
            eprintln!("Error: {message}");
            ExitCode::from(1)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, Fatal> {
    if let Some(Command::Plugins(PluginsCommand::Inspect(args))) = &cli.command {
        let report = crate::plugins::inspect(&args.file)?;
        println!("{}", if args.json { report.to_json() } else { report.to_text() });
        return Ok(ExitCode::SUCCESS);
    }
    if cli.version {
        print_version();
        return Ok(ExitCode::SUCCESS);
    }
    cli.validate()?;
    let config_file = cli.config_file();
    let (config, warnings) = Config::load(config_file.as_deref(), &cli.config_overrides())?;
    init_logging(&config);
    tracing::info!(
        "Saker version: {} (Falco-compatible, plugin API {})",
        env!("CARGO_PKG_VERSION"),
        plugin_api::ffi::PLUGIN_API_VERSION_STR
    );
    if let Some(file) = &config_file {
        tracing::info!("Loading configuration file: {}", file.display());
    }
    for warning in &warnings {
        tracing::warn!("{warning}");
    }

    let plan = SourcePlan::load(&config, &cli)?;
    if cli.list_plugins {
        print!("{}", list::plugins(&plan));
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(source) = &cli.list_fields {
        print!("{}", list::fields(&plan, source, cli.names_only));
        return Ok(ExitCode::SUCCESS);
    }

    let json = config.outputs.json_output;
    if !cli.validate.is_empty() {
        let (_, results, _) = load_rules(&cli.validate, &plan, &config, &cli, RulesFor::KnownSources)?;
        println!("{}", if json { results.to_json() } else { results.to_text() });
        return Ok(if results.successful() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }

    let rules_files = cli.rules_files(&config);
    let plugin_versions = plan.plugin_versions();
    let scope = if cli.describe_all_rules || cli.describe_rule.is_some() {
        RulesFor::KnownSources
    } else {
        RulesFor::EnabledSources
    };
    let (ruleset, results, schemas) = load_rules(&rules_files, &plan, &config, &cli, scope)?;
    let catalogs = &schemas.catalogs;
    if !results.successful() {
        return Err(Fatal(format!(
            "could not load the rules:\n{}",
            results.to_text().trim_end()
        )));
    }
    if results.has_warnings() {
        tracing::warn!("rules loaded with warnings:\n{}", results.to_text().trim_end());
    }
    if cli.describe_all_rules {
        print!("{}", ruleset.describe_all());
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(name) = &cli.describe_rule {
        return match ruleset.describe_rule(name) {
            Some(text) => {
                print!("{text}");
                Ok(ExitCode::SUCCESS)
            }
            None => Err(Fatal(format!(
                "Rule '{name}' not found: it is not in the loaded rules files"
            ))),
        };
    }
    if cli.dry_run {
        tracing::info!("--dry-run: configuration, plugins and rules loaded; not opening any source");
        return Ok(ExitCode::SUCCESS);
    }

    let versions_json = versions_json(&plan.plugin_versions());
    let live = plan.live_capture().cloned();
    let runtimes = plan.into_runtimes(catalogs, &ruleset)?;
    if runtimes.is_empty() {
        return Err(Fatal(
            "no event source is enabled: set engine.kind: modern_ebpf for live syscall capture, replay a \
             capture with -e FILE, or declare a source plugin under `plugins` (and in `load_plugins`)"
                .into(),
        ));
    }
    for r in &runtimes {
        tracing::info!("Opening event source '{}'", r.name);
    }
    let hostname = engine::host_fields::hostname();
    let opts = RunOptions {
        max_duration: cli.duration_seconds.map(Duration::from_secs),
        json_output: json,
        alert: AlertOptions {
            time_format_iso_8601: config.outputs.time_format_iso_8601,
            json_include_output_property: config.outputs.json_include_output_property,
            json_include_tags_property: config.outputs.json_include_tags_property,
            json_include_output_fields_property: config.outputs.json_include_output_fields_property,
            json_include_message_property: config.outputs.json_include_message_property,
            hostname: hostname.clone(),
        },
        hostname,
        syscall_event_drops: config.syscall_event_drops.clone(),
        // Saker's live capture is eBPF whatever kind is asked for; replay is not a capture.
        ebpf_capture: config.engine.kind != EngineKind::Replay,
    };
    let outputs = Outputs::from_config(&config.outputs)?;
    let bindings = catalogs
        .iter()
        .map(|c| (c.source().to_string(), c.bindings()))
        .collect();
    let source_configs = live_configs(live.as_ref(), &config.base_syscalls, &ruleset);
    let rules = Arc::new(RulesHandle::new(ActiveRules {
        ruleset,
        bindings,
        source_configs,
    }));
    let telemetry = engine::telemetry_for(&runtimes, &rules, &outputs);
    let _web = if config.webserver.enabled {
        Some(WebServer::start(
            WebConfig::from_config(&config.webserver),
            telemetry.clone(),
            versions_json,
        )?)
    } else {
        None
    };
    engine::install_stop_handlers();
    engine::install_reload_handler();

    // Reloads recompile the rules against the catalogs of the running sources; the sources,
    // plugins and their state stay open.
    let mut watched = rules_watch_list(config_file.as_deref(), &rules_files);
    if !config.watch_config_files {
        watched.clear();
    }
    let mut triggers = ReloadTriggers::new(watched);
    let versions = plugin_versions;
    let mut reload = || -> Option<ActiveRules> {
        if !triggers.requested() {
            return None;
        }
        tracing::info!("Reloading rules (SIGHUP or a watched file changed)");
        match recompile(&cli, config_file.as_deref(), &versions, &schemas, live.as_ref()) {
            Ok((active, files)) => {
                tracing::info!("Rules reloaded: {} rules in force", active.ruleset.rule_names().count());
                if config.watch_config_files {
                    triggers.rewatch(rules_watch_list(config_file.as_deref(), &files));
                }
                Some(active)
            }
            Err(Fatal(message)) => {
                telemetry
                    .reload_failures
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                tracing::error!("Reload rejected, the previous rules keep running: {message}");
                None
            }
        }
    };
    let summary = engine::run(runtimes, rules, &opts, outputs, telemetry.clone(), Some(&mut reload));
    if summary.error_at_open {
        // Nothing ran: the reason (often a missing privilege) is the whole story.
        return Err(Fatal(summary.error.unwrap_or_default()));
    }
    print!("{}", summary.stats.render());
    for source in &telemetry.sources {
        if let Some(lines) = source.drops.summary() {
            eprint!("{lines}");
        }
    }
    tracing::info!("Events processed: {}", summary.events);
    match summary.error {
        Some(e) => Err(Fatal(e)),
        None => Ok(ExitCode::SUCCESS),
    }
}

/// The configuration file and every rules file (directories: their files) to watch.
fn rules_watch_list(config_file: Option<&Path>, rules_files: &[PathBuf]) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = config_file.map(Path::to_path_buf).into_iter().collect();
    for path in rules_files {
        files.extend(expand_rules_path(path).unwrap_or_default());
    }
    files
}

/// Reads the configuration again and compiles the rules it names; errors if any rule fails.
fn recompile(
    cli: &Cli,
    config_file: Option<&Path>,
    versions: &[(String, String)],
    schemas: &SourceSchemas,
    live: Option<&LiveCapture>,
) -> Result<(ActiveRules, Vec<PathBuf>), Fatal> {
    let (config, _) = Config::load(config_file, &cli.config_overrides())?;
    let files = cli.rules_files(&config);
    let (ruleset, results) = compile_rules(&files, versions, schemas, &config, cli)?;
    if !results.successful() {
        return Err(Fatal(format!(
            "the new rules do not load:\n{}",
            results.to_text().trim_end()
        )));
    }
    let bindings = schemas
        .catalogs
        .iter()
        .map(|c| (c.source().to_string(), c.bindings()))
        .collect();
    let source_configs = live_configs(live, &config.base_syscalls, &ruleset);
    Ok((
        ActiveRules {
            ruleset,
            bindings,
            source_configs,
        },
        files,
    ))
}

/// The syscall plugin's configuration under `ruleset` when it captures live (see
/// [`ActiveRules::source_configs`]).
fn live_configs(live: Option<&LiveCapture>, base: &BaseSyscalls, ruleset: &RuleSet) -> Vec<(String, String)> {
    let Some(live) = live else {
        return Vec::new();
    };
    let Some(index) = ruleset.source_names.iter().position(|n| n == SYSCALL_SOURCE) else {
        return Vec::new();
    };
    vec![(SYSCALL_SOURCE.to_string(), live.reload_json(base, ruleset, index))]
}

/// The `/versions` body.
fn versions_json(plugins: &[(String, String)]) -> String {
    serde_json::json!({
        "saker_version": env!("CARGO_PKG_VERSION"),
        "plugin_api_version": plugin_api::ffi::PLUGIN_API_VERSION_STR,
        "engine_version": ENGINE_VERSION.to_string(),
        "plugins": plugins.iter().map(|(n, v)| serde_json::json!({"name": n, "version": v})).collect::<Vec<_>>(),
    })
    .to_string()
}

fn print_version() {
    println!("Saker version: {}", env!("CARGO_PKG_VERSION"));
    println!("Plugin API version: {}", plugin_api::ffi::PLUGIN_API_VERSION_STR);
    println!("Engine version: {ENGINE_VERSION}");
}

/// Which sources' rules are compiled.
#[derive(Clone, Copy, PartialEq, Eq)]
enum RulesFor {
    /// Every source a loaded plugin provides (`-V`, `-L`).
    KnownSources,
    /// Only the sources this run opens: rules of a disabled source can never match, so they
    /// are skipped with a warning instead of needing every field of that source.
    EnabledSources,
}

/// What rules compile against: each source's field catalog and event types.
struct SourceSchemas {
    catalogs: Vec<SourceCatalog>,
    event_types: Vec<Option<EventTypes>>,
}

/// Loads rules files (directories expand to their files in name order) into one engine and
/// compiles them against the fields of the sources in `scope`.
fn load_rules(
    files: &[PathBuf],
    plan: &SourcePlan,
    config: &Config,
    cli: &Cli,
    scope: RulesFor,
) -> Result<(RuleSet, LoadResults, SourceSchemas), Fatal> {
    let (catalogs, event_types): (Vec<_>, Vec<_>) = plan
        .catalogs()?
        .into_iter()
        .zip(plan.event_types())
        .filter(|(c, _)| scope == RulesFor::KnownSources || plan.enabled_sources.iter().any(|s| s == c.source()))
        .unzip();
    let schemas = SourceSchemas { catalogs, event_types };
    let (ruleset, results) = compile_rules(files, &plan.plugin_versions(), &schemas, config, cli)?;
    Ok((ruleset, results, schemas))
}

/// Loads and compiles rules files against existing catalogs (startup and reloads).
fn compile_rules(
    files: &[PathBuf],
    versions: &[(String, String)],
    schemas: &SourceSchemas,
    config: &Config,
    cli: &Cli,
) -> Result<(RuleSet, LoadResults), Fatal> {
    let mut loader = RulesLoader::new(ENGINE_VERSION, versions);
    loader.set_append_output(sources::append_outputs(config));
    for file in files {
        for path in expand_rules_path(file)? {
            loader.load_file(&path);
        }
    }
    let specs = Catalogs {
        sources: schemas
            .catalogs
            .iter()
            .zip(&schemas.event_types)
            .map(|(c, types)| SourceSpec {
                name: c.source().to_string(),
                fields: c,
                event_types: types.as_ref(),
            })
            .collect(),
    };
    let selection = sources::selection(config, cli)?;
    Ok(loader.finish(&specs, &selection))
}

/// A rules path: a file, or a directory whose files are loaded in name order.
fn expand_rules_path(path: &Path) -> Result<Vec<PathBuf>, Fatal> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let entries =
        std::fs::read_dir(path).map_err(|e| Fatal(format!("cannot read rules directory {}: {e}", path.display())))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    Ok(files)
}
