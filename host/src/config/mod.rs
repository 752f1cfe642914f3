//! `falco.yaml`-compatible configuration: the main file, `config_files` drop-ins, `${VAR}`
//! expansion and `-o key.path=value` overrides, checked against every key Falco 0.35–0.44
//! knows and read into typed structs.
//!
//! Loading order (as Falco 0.44): read the main file (expanding `${VAR}`), apply `-o
//! config_files=…`, merge the drop-ins, apply the other `-o` options, then check and read.

mod engine;
mod env;
mod include;
mod ops;
mod outputs;
pub mod overrides;
mod plugins;
mod read;
pub mod schema;
pub mod tree;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use engine::{BaseSyscalls, DropAction, Engine, EngineKind, FalcoLibs, ModernEbpf, SyscallEventDrops};
pub use include::{ConfigFileRef, MergeStrategy};
pub use ops::{Logging, Metrics, Priority, RuleMatching, Webserver};
pub use outputs::{AppendOutput, FileOutput, Grpc, HttpOutput, OutputRate, Outputs, OutputsQueue, ProgramOutput};
pub use plugins::{PluginConfig, INSTALLED_PLUGINS_DIR, PLUGINS_DIR_ENV};
pub use tree::{Item, Origin, Tree};

use read::Reader;

/// Where Falco looks for its configuration when `-c` is not given.
pub const DEFAULT_CONFIG_FILE: &str = "/etc/falco/falco.yaml";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("config file {path}: {source}")]
    Yaml {
        path: PathBuf,
        #[source]
        source: crate::yaml::YamlError,
    },
    #[error("config file {path}: the top level must be a mapping of keys, found {found}")]
    NotAMapping { path: PathBuf, found: String },
    #[error("{origin}: key '{key}' must be {expected}, found {found}")]
    Type {
        origin: Origin,
        key: String,
        expected: String,
        found: String,
    },
    #[error("{origin}: key '{key}': {message}")]
    Invalid {
        origin: Origin,
        key: String,
        message: String,
    },
    #[error("error parsing config option \"{option}\": {message}")]
    Override { option: String, message: String },
    #[error("{origin}: config_files: {message}")]
    Include { origin: Origin, message: String },
}

/// Something in the configuration that Saker ignores but the user should know about.
#[derive(Debug, Clone, PartialEq)]
pub enum ConfigWarning {
    UnknownKey {
        origin: Origin,
        key: String,
    },
    MissingInclude {
        origin: Origin,
        path: PathBuf,
    },
    DeprecatedKey {
        origin: Origin,
        key: String,
        replacement: String,
    },
}

impl std::fmt::Display for ConfigWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigWarning::UnknownKey { origin, key } => {
                write!(
                    f,
                    "{origin}: unknown configuration key '{key}' (ignored; check its spelling)"
                )
            }
            ConfigWarning::MissingInclude { origin, path } => {
                write!(
                    f,
                    "{origin}: config_files entry {} does not exist (skipped)",
                    path.display()
                )
            }
            ConfigWarning::DeprecatedKey {
                origin,
                key,
                replacement,
            } => write!(
                f,
                "{origin}: configuration key '{key}' is deprecated; use '{replacement}'"
            ),
        }
    }
}

/// One entry of the `rules` list (Falco 0.38+): enable or disable rules by name (with `*`
/// wildcards) or by tag, applied in order after all rules files are loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleSelection {
    EnableRule(String),
    DisableRule(String),
    EnableTag(String),
    DisableTag(String),
}

/// The typed configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The files merged into this configuration, main file first.
    pub loaded_files: Vec<PathBuf>,
    pub config_files: Vec<ConfigFileRef>,
    pub watch_config_files: bool,
    /// `rules_files` (or the older `rules_file`): files and directories, in order.
    pub rules_files: Vec<PathBuf>,
    pub rules: Vec<RuleSelection>,
    pub plugins: Vec<PluginConfig>,
    /// `load_plugins`: `None` when absent (load every plugin listed), else the names to load.
    pub load_plugins: Option<Vec<String>>,
    pub plugins_hostinfo: bool,
    /// `saker.plugins_dir`.
    pub plugins_dir: Option<PathBuf>,
    /// `saker.evaluation_workers`: evaluation threads per stateless plugin source (k8saudit …);
    /// `None` (unset or 0): the available cores, at most 4; 1: the source thread alone.
    pub evaluation_workers: Option<usize>,
    /// `capture_file` (Saker, `--capture`): where live syscall capture also records a `.scap`.
    pub capture_file: Option<PathBuf>,
    pub priority: Priority,
    pub rule_matching: RuleMatching,
    pub outputs: Outputs,
    pub logging: Logging,
    pub webserver: Webserver,
    pub metrics: Metrics,
    pub engine: Engine,
    pub base_syscalls: BaseSyscalls,
    pub syscall_event_drops: SyscallEventDrops,
    pub syscall_event_timeouts_max_consecutives: u64,
    pub falco_libs: FalcoLibs,
    /// The merged tree, for keys without a typed field.
    pub tree: Item,
}

impl Config {
    /// Loads `path` (or starts from an empty configuration when `None`), merges its drop-ins,
    /// applies `overrides` (`-o` option values, without the `-o`), checks every key.
    pub fn load(path: Option<&Path>, overrides: &[String]) -> Result<(Config, Vec<ConfigWarning>), ConfigError> {
        Self::load_with_env(path, overrides, &|name| std::env::var(name).ok())
    }

    /// [`Config::load`] with an explicit environment, for tests and embedding.
    pub fn load_with_env(
        path: Option<&Path>,
        overrides: &[String],
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<(Config, Vec<ConfigWarning>), ConfigError> {
        let parsed: Vec<overrides::Override> = overrides
            .iter()
            .map(|o| overrides::parse(o))
            .collect::<Result<_, _>>()?;
        let mut warnings = Vec::new();
        let mut loaded_files = Vec::new();
        let mut root = match path {
            Some(path) => {
                loaded_files.push(path.to_path_buf());
                include::read_file(path, lookup)?
            }
            None => Item::empty_map(Origin {
                source: Arc::from("built-in defaults"),
                line: 0,
                column: 0,
            }),
        };
        let is_config_files = |o: &&overrides::Override| o.top_key() == Some(include::CONFIG_FILES_KEY);
        for ov in parsed.iter().filter(is_config_files) {
            overrides::apply(&mut root, ov)?;
        }
        let config_files = include::merge_drop_ins(&mut root, path, lookup, &mut loaded_files, &mut warnings)?;
        for ov in parsed.iter().filter(|o| !is_config_files(o)) {
            overrides::apply(&mut root, ov)?;
        }
        schema::check(&root, &schema::FALCO_YAML, "", &mut warnings)?;
        let config = Self::read(root, loaded_files, config_files, &mut warnings)?;
        Ok((config, warnings))
    }

    fn read(
        root: Item,
        loaded_files: Vec<PathBuf>,
        config_files: Vec<ConfigFileRef>,
        warnings: &mut Vec<ConfigWarning>,
    ) -> Result<Config, ConfigError> {
        let r = Reader { root: &root };
        let rules_files = match (r.str_list("rules_files")?, r.str_list("rules_file")?) {
            (Some(_), Some(_)) => {
                return Err(r.invalid(
                    "rules_file",
                    "both 'rules_files' and 'rules_file' are set; keep only 'rules_files'".into(),
                ))
            }
            (Some(files), None) => files,
            (None, Some(files)) => {
                if let Some(item) = r.get("rules_file") {
                    warnings.push(ConfigWarning::DeprecatedKey {
                        origin: item.origin.clone(),
                        key: "rules_file".into(),
                        replacement: "rules_files".into(),
                    });
                }
                files
            }
            (None, None) => Vec::new(),
        };
        let mut rules = Vec::new();
        for (i, entry) in r.seq("rules")?.iter().enumerate() {
            let er = Reader { root: entry };
            let before = rules.len();
            for (action, enable) in [("enable", true), ("disable", false)] {
                if let Some(rule) = er.opt_string(&format!("{action}.rule"))? {
                    rules.push(if enable {
                        RuleSelection::EnableRule(rule)
                    } else {
                        RuleSelection::DisableRule(rule)
                    });
                }
                if let Some(tag) = er.opt_string(&format!("{action}.tag"))? {
                    rules.push(if enable {
                        RuleSelection::EnableTag(tag)
                    } else {
                        RuleSelection::DisableTag(tag)
                    });
                }
            }
            if rules.len() == before {
                return Err(ConfigError::Invalid {
                    origin: entry.origin.clone(),
                    key: format!("rules[{i}]"),
                    message: "expected 'enable:' or 'disable:' with a 'rule:' or 'tag:'".into(),
                });
            }
        }
        Ok(Config {
            loaded_files,
            config_files,
            watch_config_files: r.bool("watch_config_files", true)?,
            rules_files: rules_files.into_iter().map(PathBuf::from).collect(),
            rules,
            plugins: plugins::read_plugins(&r)?,
            load_plugins: r.str_list("load_plugins")?,
            plugins_hostinfo: r.bool("plugins_hostinfo", true)?,
            plugins_dir: r.opt_string("saker.plugins_dir")?.map(PathBuf::from),
            evaluation_workers: match r.u64("saker.evaluation_workers", 0)? {
                0 => None,
                n => Some(usize::try_from(n).unwrap_or(usize::MAX)),
            },
            capture_file: r
                .opt_string("capture_file")?
                .filter(|f| !f.is_empty())
                .map(PathBuf::from),
            priority: ops::read_priority(&r, "priority", Priority::Debug)?,
            rule_matching: ops::read_rule_matching(&r)?,
            outputs: Outputs::read(&r)?,
            logging: Logging::read(&r)?,
            webserver: Webserver::read(&r)?,
            metrics: Metrics::read(&r)?,
            engine: Engine::read(&r)?,
            base_syscalls: BaseSyscalls::read(&r)?,
            syscall_event_drops: SyscallEventDrops::read(&r)?,
            syscall_event_timeouts_max_consecutives: engine::read_max_consecutive_timeouts(&r)?,
            falco_libs: FalcoLibs::read(&r)?,
            tree: root.clone(),
        })
    }

    /// The directory relative `library_path`s are resolved against.
    pub fn plugins_dir(&self) -> PathBuf {
        plugins::plugins_dir(self.plugins_dir.as_deref())
    }

    /// An absolute `library_path` as is; a relative one under [`Config::plugins_dir`].
    pub fn resolve_plugin_path(&self, library_path: &str) -> PathBuf {
        let path = Path::new(library_path);
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.plugins_dir().join(path)
        }
    }

    /// The plugins to load: those named by `load_plugins` (in the plugins list's order), or all.
    pub fn plugins_to_load(&self) -> Vec<&PluginConfig> {
        match &self.load_plugins {
            None => self.plugins.iter().collect(),
            Some(names) => self.plugins.iter().filter(|p| names.contains(&p.name)).collect(),
        }
    }
}
