//! From configuration to running sources: which plugins load, which event sources they make
//! known and enabled, each source's own initialised plugin instances (Falco's one inspector
//! per source), and the field catalogs the rules compile against.

use std::sync::Arc;

use crate::cli::Cli;
use crate::config::{Config, EngineKind, PluginConfig, RuleSelection};
use crate::engine::catalog::{extracts_from, handles_source, SourceCatalog, SYSCALL_SOURCE};
use crate::engine::workers::{default_evaluation_workers, EvaluatorSet};
use crate::engine::SourceRuntime;
use crate::plugins::{LoadOptions, Plugin, PluginInfo, PluginSet, TableRegistry};
use crate::rules::event_types::EventTypes;
use crate::rules::output::program::{AppendOutput, ExtraField};
use crate::rules::ruleset::RuleSet;
use crate::rules::select::{NamePattern, Selection};

use super::capture::{CaptureError, LiveCapture, SyscallCapture};
use super::Fatal;

/// The library that provides the syscall source when the configuration declares none.
pub const SYSCALL_PLUGIN_LIBRARY: &str = "libsyscall.so";
/// The container metadata plugin, loaded beside the syscall source when not declared (as
/// Falco's default configuration loads its container plugin).
pub const CONTAINER_PLUGIN_LIBRARY: &str = "libcontainer.so";
const CONTAINER_PLUGIN: &str = "container";
/// Most evaluation workers `saker.evaluation_workers` may ask for per source.
pub const MAX_CONFIGURED_EVALUATION_WORKERS: usize = 64;

/// The event source a plugin provides, if any.
pub fn provided_source(info: &PluginInfo) -> Option<&str> {
    if info.is_syscall_source() {
        Some(SYSCALL_SOURCE)
    } else if info.capabilities.sourcing && !info.event_source.is_empty() {
        Some(&info.event_source)
    } else {
        None
    }
}

/// The plugins of the configuration and the sources they provide.
pub struct SourcePlan {
    /// Every configured plugin, loaded for its static information.
    pub plugins: PluginSet,
    configs: Vec<PluginConfig>,
    /// Names of the sources provided by source plugins, in configuration order.
    pub known_sources: Vec<String>,
    pub enabled_sources: Vec<String>,
    /// One initialised plugin set per enabled source (same order as `enabled_sources`).
    running: Vec<SourceSet>,
    /// Why the syscall source asked for by `engine.kind` cannot open.
    missing_syscall: Option<String>,
    /// How the syscall source opens (an error surfaces only when it would open).
    syscall: Result<SyscallCapture, CaptureError>,
    /// `engine.kind` when it names a driver Saker replaces with modern eBPF (`kmod`, `ebpf`).
    replaced_driver: Option<&'static str>,
}

/// One enabled source's plugins: the source plugin plus every extract/parse plugin that handles
/// its events, freshly loaded and initialised for this source alone.
struct SourceSet {
    name: String,
    plugins: Vec<Plugin>,
    source_plugin: usize,
    open_params: String,
    /// The evaluation workers' own plugin sets (a stateless source on several cores).
    evaluators: Vec<EvaluatorSet>,
    // Keeps the tables the plugins share alive as long as the plugins.
    _tables: Arc<TableRegistry>,
}

impl SourcePlan {
    pub fn load(config: &Config, cli: &Cli) -> Result<SourcePlan, Fatal> {
        let options = LoadOptions::default();
        let mut plugins = PluginSet::new(TableRegistry::new());
        let mut configs = Vec::new();
        let mut missing_syscall = None;
        for pc in config.plugins_to_load() {
            let path = config.resolve_plugin_path(&pc.library_path);
            tracing::info!("Loading plugin '{}' from file {}", pc.name, path.display());
            plugins.load(&path, &options)?;
            configs.push(pc.clone());
        }
        let has_plugin_sources = plugins
            .iter()
            .any(|p| provided_source(p.info()).is_some_and(|s| s != SYSCALL_SOURCE));
        let syscall = SyscallCapture::from_config(config, has_plugin_sources);
        let syscall_opens = !matches!(syscall, Ok(SyscallCapture::Closed));
        // As Falco's syscall source is built in, an undeclared syscall plugin is loaded from the
        // plugin directory when it is there (its fields serve `-V`, `--list` and the rules).
        if !plugins.iter().any(|p| p.info().is_syscall_source()) {
            let path = config.resolve_plugin_path(SYSCALL_PLUGIN_LIBRARY);
            if path.is_file() {
                tracing::debug!("Loading the syscall source plugin from {}", path.display());
                plugins.load(&path, &options)?;
                configs.push(PluginConfig {
                    name: SYSCALL_SOURCE.to_string(),
                    library_path: path.display().to_string(),
                    init_config: String::new(),
                    open_params: String::new(),
                });
            } else if syscall_opens {
                // Not fatal here: `-V`, `--list` … don't open the capture.
                let what = if config.engine.kind == EngineKind::Replay {
                    "replaying a capture"
                } else {
                    "live syscall capture"
                };
                missing_syscall = Some(format!(
                    "{what} needs the syscall plugin, but {} does not exist; build it \
                     (cargo build --release) or set SAKER_PLUGINS_DIR to the directory holding it",
                    path.display()
                ));
            }
        }
        // The syscall plugin owns the `threads` table other plugins (container …) read at
        // their init: it is initialised first, as Falco's built-in syscall inspector exists
        // before any plugin.
        let syscall_index = plugins.iter().position(|p| p.info().is_syscall_source());
        if let Some(i) = syscall_index {
            plugins.move_to_front(i);
            configs[..=i].rotate_right(1);
            let declared = plugins.iter().any(|p| p.info().name == CONTAINER_PLUGIN);
            let path = config.resolve_plugin_path(CONTAINER_PLUGIN_LIBRARY);
            if !declared && path.is_file() {
                tracing::debug!("Loading the container plugin from {}", path.display());
                plugins.load(&path, &options)?;
                configs.push(PluginConfig {
                    name: CONTAINER_PLUGIN.to_string(),
                    library_path: path.display().to_string(),
                    init_config: String::new(),
                    open_params: String::new(),
                });
            }
        }
        let known_sources: Vec<String> = plugins
            .iter()
            .filter_map(|p| provided_source(p.info()))
            .map(str::to_string)
            .collect();
        for plugin in plugins.iter() {
            let info = plugin.info();
            let useful = info.capabilities.sourcing || known_sources.iter().any(|s| handles(info, s));
            if !useful {
                return Err(Fatal(format!(
                    "Plugin '{}' is loaded but unused as not compatible with any known event source",
                    info.name
                )));
            }
        }
        for source in cli.enable_sources.iter().chain(&cli.disable_sources) {
            if !known_sources.contains(source) {
                return Err(Fatal(format!(
                    "Attempted enabling or disabling an unknown source: '{source}' (known: {})",
                    known_sources.join(", ")
                )));
            }
        }
        let enabled_sources: Vec<String> = known_sources
            .iter()
            .filter(|s| cli.enable_sources.is_empty() || cli.enable_sources.contains(s))
            .filter(|s| !cli.disable_sources.contains(s))
            .filter(|s| {
                let usable = s.as_str() != SYSCALL_SOURCE || syscall_opens;
                if !usable && cli.enable_sources.contains(s) {
                    tracing::warn!(
                        "the syscall source stays closed: engine.kind is {} (set engine.kind: modern_ebpf to capture live)",
                        if config.engine.kind == EngineKind::Nodriver { "nodriver" } else { "not set and source plugins are configured" }
                    );
                }
                usable
            })
            .cloned()
            .collect();
        let mut plan = SourcePlan {
            plugins,
            configs,
            known_sources,
            enabled_sources,
            running: Vec::new(),
            missing_syscall,
            syscall,
            replaced_driver: match config.engine.kind {
                _ if !config.engine.kind_configured => None,
                EngineKind::Kmod => Some("kmod"),
                EngineKind::Ebpf => Some("ebpf"),
                _ => None,
            },
        };
        let workers = match config.evaluation_workers {
            Some(n) if n > MAX_CONFIGURED_EVALUATION_WORKERS => {
                return Err(Fatal(format!(
                    "saker.evaluation_workers is {n}: at most {MAX_CONFIGURED_EVALUATION_WORKERS} are allowed (leave it unset for one per core, at most 4)"
                )))
            }
            Some(n) => n,
            None => default_evaluation_workers(),
        };
        for source in plan.enabled_sources.clone() {
            let mut set = plan.source_set(&source, &options)?;
            if workers > 1 && is_stateless(&set) {
                tracing::debug!("source '{source}': {workers} evaluation workers");
                for _ in 0..workers {
                    let (plugins, tables) = plan.plugin_set(&source, &options)?;
                    set.evaluators.push(EvaluatorSet { plugins, tables });
                }
            }
            plan.running.push(set);
        }
        Ok(plan)
    }

    /// Loads and initialises, for one source, every plugin that takes part in it.
    fn source_set(&self, source: &str, options: &LoadOptions) -> Result<SourceSet, Fatal> {
        let (plugins, tables) = self.plugin_set(source, options)?;
        let mut source_plugin = None;
        let mut open_params = String::new();
        let taking_part = self.plugins.iter().zip(&self.configs).filter(|(p, _)| {
            let info = p.info();
            provided_source(info) == Some(source) || handles(info, source)
        });
        for (index, (plugin, pc)) in taking_part.enumerate() {
            let info = plugin.info();
            if provided_source(info) != Some(source) {
                continue;
            }
            if source_plugin.is_none() {
                source_plugin = Some(index);
                open_params = pc.open_params.clone();
            } else {
                tracing::warn!(
                    "several plugins provide source '{source}': '{}' is ignored, the first one wins",
                    info.name
                );
            }
        }
        let source_plugin =
            source_plugin.ok_or_else(|| Fatal(format!("no plugin provides event source '{source}'")))?;
        Ok(SourceSet {
            name: source.to_string(),
            plugins,
            source_plugin,
            open_params,
            evaluators: Vec::new(),
            _tables: tables,
        })
    }

    /// Every plugin that takes part in `source`, in configuration order, loaded and initialised
    /// with its own tables (Falco's one inspector per source).
    fn plugin_set(&self, source: &str, options: &LoadOptions) -> Result<(Vec<Plugin>, Arc<TableRegistry>), Fatal> {
        let tables = TableRegistry::new();
        let mut set = PluginSet::new(tables.clone());
        for (plugin, pc) in self.plugins.iter().zip(&self.configs) {
            let info = plugin.info();
            if provided_source(info) != Some(source) && !handles(info, source) {
                continue;
            }
            let index = set.load(&info.path, options)?;
            set.init(index, &pc.init_config)?;
        }
        Ok((set.into_plugins(), tables))
    }

    /// The event types of each known source (same order as `known_sources`): from the source
    /// plugin's event table when it has one (the syscall plugin). Enter events are left out:
    /// they update state but never reach rules (Falco 0.44).
    pub fn event_types(&self) -> Vec<Option<EventTypes>> {
        self.known_sources
            .iter()
            .map(|source| {
                let plugin = self
                    .plugins
                    .iter()
                    .find(|p| provided_source(p.info()) == Some(source.as_str()))?;
                let table = plugin.info().event_table.as_ref()?;
                // Meta events that only exist as "enter" (container, notification …) do reach
                // rules; the enter half of a syscall never does.
                let has_exit: std::collections::HashSet<&str> = table
                    .events
                    .iter()
                    .filter(|e| e.dir == "X")
                    .map(|e| e.name.as_str())
                    .collect();
                let mut types = EventTypes::from_pairs(
                    table
                        .events
                        .iter()
                        .filter(|e| e.dir != "E" || !has_exit.contains(e.name.as_str()))
                        .map(|e| (e.name.as_str(), e.code)),
                );
                types.add_generic_syscalls(table.generic_syscalls.iter().map(String::as_str));
                Some(types)
            })
            .collect()
    }

    /// `(name, version)` of every loaded plugin, for `required_plugin_versions`.
    pub fn plugin_versions(&self) -> Vec<(String, String)> {
        self.plugins
            .iter()
            .map(|p| (p.info().name.clone(), p.info().version_text.clone()))
            .collect()
    }

    /// One catalog per known source: enabled sources from their running plugin sets (so field
    /// bindings index those plugins), the others from the statically loaded plugins.
    pub fn catalogs(&self) -> Result<Vec<SourceCatalog>, Fatal> {
        let mut out = Vec::new();
        for source in &self.known_sources {
            let catalog = match self.running.iter().find(|s| &s.name == source) {
                Some(set) => SourceCatalog::build(source, set.plugins.iter())?,
                None => SourceCatalog::build(source, self.plugins.iter())?,
            };
            out.push(catalog);
        }
        Ok(out)
    }

    /// The live-capture settings when the syscall source opens live with Saker's own open
    /// parameters (reloads send them again, with the new event codes, through `set_config`).
    pub fn live_capture(&self) -> Option<&LiveCapture> {
        let own_params = self
            .running
            .iter()
            .any(|s| s.name == SYSCALL_SOURCE && s.open_params.is_empty());
        match &self.syscall {
            Ok(SyscallCapture::Live(live)) if own_params => Some(live),
            _ => None,
        }
    }

    /// Hands each enabled source's plugins and field bindings to the engine. Consumes the
    /// running sets: call once, after the rules compiled against `catalogs` (the live syscall
    /// capture asks the kernel for the event types of `ruleset`).
    pub fn into_runtimes(self, catalogs: &[SourceCatalog], ruleset: &RuleSet) -> Result<Vec<SourceRuntime>, Fatal> {
        if let Some(problem) = &self.missing_syscall {
            tracing::error!("{problem}");
        }
        let mut out = Vec::new();
        for mut set in self.running {
            let Some(catalog) = catalogs.iter().find(|c| c.source() == set.name) else {
                continue;
            };
            let Some(ruleset_index) = ruleset.source_names.iter().position(|n| *n == set.name) else {
                continue;
            };
            // A syscall plugin declared with its own open_params keeps them.
            if set.name == SYSCALL_SOURCE && set.open_params.is_empty() {
                let capture = self.syscall.as_ref().map_err(|e| Fatal(e.to_string()))?;
                if let (SyscallCapture::Live(_), Some(driver)) = (capture, self.replaced_driver) {
                    tracing::warn!(
                        "engine.kind is {driver}: Saker captures syscalls with modern eBPF only and uses it instead"
                    );
                }
                match capture.open_params(ruleset, ruleset_index) {
                    Some(params) => set.open_params = params,
                    None => continue,
                }
            }
            out.push(SourceRuntime {
                name: set.name,
                plugins: set.plugins,
                source_plugin: set.source_plugin,
                open_params: set.open_params,
                bindings: catalog.bindings(),
                ruleset_index,
                evaluators: set.evaluators,
                tables: set._tables,
            });
        }
        Ok(out)
    }
}

/// Whether each event of the source can be evaluated on its own, on any thread: no plugin
/// keeps state from the events (parse) or injects events (async), and it is not the syscall
/// source (whose threads and fds follow the event order).
fn is_stateless(set: &SourceSet) -> bool {
    set.name != SYSCALL_SOURCE
        && set.plugins.iter().all(|p| {
            let capabilities = &p.info().capabilities;
            !capabilities.parsing && !capabilities.async_events
        })
}

/// Whether a plugin extracts from or parses events of `source`.
fn handles(info: &PluginInfo, source: &str) -> bool {
    extracts_from(info, source)
        || (info.capabilities.parsing && handles_source(info, &info.parse_event_sources, source))
}

/// The rule selection of the command line and configuration.
pub fn selection(config: &Config, cli: &Cli) -> Result<Selection, Fatal> {
    let mut selection = Selection {
        min_priority: config.priority,
        rule_matching: config.rule_matching,
        ..Selection::default()
    };
    selection.disabled_names = cli
        .disabled_rule_substrings
        .iter()
        .map(|s| NamePattern::new(s))
        .collect();
    selection.disabled_tags = cli.disabled_tags.clone();
    selection.enabled_tags = cli.enabled_tags.clone();
    for entry in &config.rules {
        match entry {
            RuleSelection::DisableRule(name) => selection.disabled_names.push(NamePattern::new(name)),
            RuleSelection::DisableTag(tag) => selection.disabled_tags.push(tag.clone()),
            RuleSelection::EnableRule(_) | RuleSelection::EnableTag(_) => {
                tracing::warn!("the `rules:` enable entries are not supported yet and are ignored: {entry:?}")
            }
        }
    }
    Ok(selection)
}

/// `append_output` entries of the configuration in the rule engine's form.
pub fn append_outputs(config: &Config) -> Vec<AppendOutput> {
    config
        .outputs
        .append_output
        .iter()
        .map(|a| AppendOutput {
            source: a.match_source.clone(),
            tags: a.match_tags.clone(),
            rule: a.match_rule.clone(),
            extra_output: a.extra_output.clone().unwrap_or_default(),
            extra_fields: a
                .extra_fields
                .iter()
                .map(|(name, expr)| match expr {
                    None => ExtraField::Field(name.clone()),
                    Some(format) => ExtraField::Custom {
                        key: name.clone(),
                        format: format.clone(),
                    },
                })
                .collect(),
        })
        .collect()
}
