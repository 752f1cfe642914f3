//! `plugins`, `load_plugins` and where plugin libraries are found.

use std::path::{Path, PathBuf};

use super::read::Reader;
use super::tree::Tree;
use super::ConfigError;

/// Where plugins are looked up when installed (Saker's counterpart of `/usr/share/falco/plugins`).
pub const INSTALLED_PLUGINS_DIR: &str = "/usr/share/saker/plugins";
/// Environment variable overriding the plugin directory (beats `saker.plugins_dir`).
pub const PLUGINS_DIR_ENV: &str = "SAKER_PLUGINS_DIR";

/// One `plugins[]` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginConfig {
    pub name: String,
    /// As written: absolute, or relative to the plugin directory (see
    /// [`super::Config::resolve_plugin_path`]).
    pub library_path: String,
    /// A YAML mapping/sequence is converted to JSON text; a string is passed verbatim; absent is "".
    pub init_config: String,
    pub open_params: String,
}

pub(super) fn read_plugins(r: &Reader<'_>) -> Result<Vec<PluginConfig>, ConfigError> {
    let mut plugins = Vec::new();
    for (i, entry) in r.seq("plugins")?.iter().enumerate() {
        let base = format!("plugins[{i}]");
        let er = Reader { root: entry };
        let required = |key: &str| -> Result<String, ConfigError> {
            match er.opt_string(key)? {
                Some(v) if !v.is_empty() => Ok(v),
                _ => Err(ConfigError::Invalid {
                    origin: entry.origin.clone(),
                    key: format!("{base}.{key}"),
                    message: format!("every plugin entry needs a non-empty '{key}'"),
                }),
            }
        };
        let name = required("name")?;
        let library_path = required("library_path")?;
        let init_config = match er.get("init_config") {
            None => String::new(),
            Some(item) => match &item.value {
                Tree::Scalar(text, _) => text.clone(),
                Tree::Seq(_) | Tree::Map(_) => item.to_yaml().to_json().to_string(),
            },
        };
        plugins.push(PluginConfig {
            name,
            library_path,
            init_config,
            open_params: er.string("open_params", "")?,
        });
    }
    Ok(plugins)
}

/// The plugin directory: `$SAKER_PLUGINS_DIR`, else `saker.plugins_dir`, else beside the binary
/// when it runs from a cargo `target/` directory or has `../share/saker/plugins`, else
/// [`INSTALLED_PLUGINS_DIR`].
pub fn plugins_dir(configured: Option<&Path>) -> PathBuf {
    if let Some(dir) = std::env::var_os(PLUGINS_DIR_ENV).filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    if let Some(dir) = configured {
        return dir.to_path_buf();
    }
    if let Some(exe_dir) = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_path_buf))
    {
        if exe_dir.components().any(|c| c.as_os_str() == "target") {
            return exe_dir;
        }
        let prefixed = exe_dir.join("../share/saker/plugins");
        if prefixed.is_dir() {
            return prefixed;
        }
    }
    PathBuf::from(INSTALLED_PLUGINS_DIR)
}
