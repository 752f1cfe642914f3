//! From configuration to running sources: which plugins load, which event sources they make
//! known and enabled, each source's own initialised plugin instances (Falco's one inspector
//! per source), and the field catalogs the rules compile against.

use std::sync::Arc;

use crate::cli::Cli;
use crate::config::{Config, PluginConfig, RuleSelection};
use crate::engine::catalog::{extracts_from, SourceCatalog};
use crate::engine::SourceRuntime;
use crate::plugins::{LoadOptions, Plugin, PluginInfo, PluginSet, TableRegistry};
use crate::rules::output::program::{AppendOutput, ExtraField};
use crate::rules::ruleset::RuleSet;
use crate::rules::select::{NamePattern, Selection};

use super::Fatal;

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
}

/// One enabled source's plugins: the source plugin plus every extract/parse plugin that handles
/// its events, freshly loaded and initialised for this source alone.
struct SourceSet {
    name: String,
    plugins: Vec<Plugin>,
    source_plugin: usize,
    open_params: String,
    // Keeps the tables the plugins share alive as long as the plugins.
    _tables: Arc<TableRegistry>,
}

impl SourcePlan {
    pub fn load(config: &Config, cli: &Cli) -> Result<SourcePlan, Fatal> {
        let options = LoadOptions::default();
        let mut plugins = PluginSet::new(TableRegistry::new());
        let mut configs = Vec::new();
        for pc in config.plugins_to_load() {
            let path = config.resolve_plugin_path(&pc.library_path);
            tracing::info!("Loading plugin '{}' from file {}", pc.name, path.display());
            plugins.load(&path, &options)?;
            configs.push(pc.clone());
        }
        let known_sources: Vec<String> = plugins
            .iter()
            .filter(|p| p.info().capabilities.sourcing && !p.info().event_source.is_empty())
            .map(|p| p.info().event_source.clone())
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
                return Err(Fatal(format!("Attempted enabling or disabling an unknown source: '{source}' (known: {})", known_sources.join(", "))));
            }
        }
        let enabled_sources: Vec<String> = known_sources
            .iter()
            .filter(|s| cli.enable_sources.is_empty() || cli.enable_sources.contains(s))
            .filter(|s| !cli.disable_sources.contains(s))
            .cloned()
            .collect();
        let mut plan = SourcePlan { plugins, configs, known_sources, enabled_sources, running: Vec::new() };
        for source in plan.enabled_sources.clone() {
            let set = plan.source_set(&source, &options)?;
            plan.running.push(set);
        }
        Ok(plan)
    }

    /// Loads and initialises, for one source, every plugin that takes part in it.
    fn source_set(&self, source: &str, options: &LoadOptions) -> Result<SourceSet, Fatal> {
        let tables = TableRegistry::new();
        let mut set = PluginSet::new(tables.clone());
        let mut source_plugin = None;
        let mut open_params = String::new();
        for (plugin, pc) in self.plugins.iter().zip(&self.configs) {
            let info = plugin.info();
            let is_source = info.capabilities.sourcing && info.event_source == source;
            if !is_source && !handles(info, source) {
                continue;
            }
            let index = set.load(&info.path, options)?;
            set.init(index, &pc.init_config)?;
            if is_source && source_plugin.is_none() {
                source_plugin = Some(index);
                open_params = pc.open_params.clone();
            } else if is_source {
                tracing::warn!("several plugins provide source '{source}': '{}' is ignored, the first one wins", info.name);
            }
        }
        let source_plugin = source_plugin.ok_or_else(|| Fatal(format!("no plugin provides event source '{source}'")))?;
        Ok(SourceSet { name: source.to_string(), plugins: set.into_plugins(), source_plugin, open_params, _tables: tables })
    }

    /// `(name, version)` of every loaded plugin, for `required_plugin_versions`.
    pub fn plugin_versions(&self) -> Vec<(String, String)> {
        self.plugins.iter().map(|p| (p.info().name.clone(), p.info().version_text.clone())).collect()
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

    /// Hands each enabled source's plugins and field bindings to the engine. Consumes the
    /// running sets: call once, after the rules compiled against `catalogs`.
    pub fn into_runtimes(self, catalogs: &[SourceCatalog], ruleset: &RuleSet) -> Vec<SourceRuntime> {
        let mut out = Vec::new();
        for set in self.running {
            let Some(catalog) = catalogs.iter().find(|c| c.source() == set.name) else { continue };
            let Some(ruleset_index) = ruleset.source_names.iter().position(|n| *n == set.name) else { continue };
            out.push(SourceRuntime {
                name: set.name,
                plugins: set.plugins,
                source_plugin: set.source_plugin,
                open_params: set.open_params,
                bindings: catalog.bindings(),
                ruleset_index,
                tables: set._tables,
            });
        }
        out
    }
}

/// Whether a plugin extracts from or parses events of `source`.
fn handles(info: &PluginInfo, source: &str) -> bool {
    let parses = info.capabilities.parsing
        && (info.parse_event_sources.is_empty() || info.parse_event_sources.iter().any(|s| s == source));
    extracts_from(info, source) || parses
}

/// The rule selection of the command line and configuration.
pub fn selection(config: &Config, cli: &Cli) -> Result<Selection, Fatal> {
    let mut selection = Selection {
        min_priority: config.priority,
        rule_matching: config.rule_matching,
        ..Selection::default()
    };
    selection.disabled_names = cli.disabled_rule_substrings.iter().map(|s| NamePattern::new(s)).collect();
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
                    Some(format) => ExtraField::Custom { key: name.clone(), format: format.clone() },
                })
                .collect(),
        })
        .collect()
}
