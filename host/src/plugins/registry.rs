//! The set of loaded plugins of one host: unique names and unique non-zero source ids
//! (libsinsp `plugin_manager`), plus the table registry they share.

use super::error::PluginError;
use super::plugin::{LoadOptions, Plugin};
use super::tables::TableRegistry;
use std::path::Path;
use std::sync::Arc;

/// Loaded plugins, in load order.
pub struct PluginSet {
    plugins: Vec<Plugin>,
    tables: Arc<TableRegistry>,
}

impl Default for PluginSet {
    fn default() -> Self {
        PluginSet::new(TableRegistry::new())
    }
}

impl PluginSet {
    pub fn new(tables: Arc<TableRegistry>) -> PluginSet {
        PluginSet {
            plugins: Vec::new(),
            tables,
        }
    }

    pub fn tables(&self) -> &Arc<TableRegistry> {
        &self.tables
    }

    /// Loads a plugin and adds it; returns its index.
    pub fn load(&mut self, path: impl AsRef<Path>, options: &LoadOptions) -> Result<usize, PluginError> {
        let plugin = Plugin::load(path, options)?;
        self.add(plugin)
    }

    /// Adds a loaded plugin after checking name and source id uniqueness.
    pub fn add(&mut self, plugin: Plugin) -> Result<usize, PluginError> {
        let info = plugin.info();
        if let Some(other) = self.plugins.iter().find(|p| p.info().name == info.name) {
            return Err(PluginError::DuplicateName {
                plugin: info.name.clone(),
                path: info.path.clone(),
                other: other.info().path.clone(),
            });
        }
        if info.capabilities.sourcing && info.id != 0 {
            if let Some(other) = self
                .plugins
                .iter()
                .find(|p| p.info().capabilities.sourcing && p.info().id == info.id)
            {
                return Err(PluginError::DuplicateSourceId {
                    plugin: info.name.clone(),
                    path: info.path.clone(),
                    id: info.id,
                    other: other.info().name.clone(),
                });
            }
        }
        self.plugins.push(plugin);
        Ok(self.plugins.len() - 1)
    }

    /// Moves the plugin at `index` before all others (it is initialised first).
    pub fn move_to_front(&mut self, index: usize) {
        if index < self.plugins.len() {
            self.plugins[..=index].rotate_right(1);
        }
    }

    /// Initialises the plugin at `index` with the shared tables.
    pub fn init(&mut self, index: usize, config: &str) -> Result<(), PluginError> {
        let tables = self.tables.clone();
        match self.plugins.get_mut(index) {
            Some(p) => p.init(config, &tables),
            None => Err(PluginError::CallFailed {
                plugin: format!("#{index}"),
                call: "init",
                reason: format!("no plugin at index {index}; {} plugins are loaded", self.plugins.len()),
            }),
        }
    }

    pub fn get(&self, index: usize) -> Option<&Plugin> {
        self.plugins.get(index)
    }

    pub fn get_mut(&mut self, index: usize) -> Option<&mut Plugin> {
        self.plugins.get_mut(index)
    }

    pub fn by_name(&self, name: &str) -> Option<&Plugin> {
        self.plugins.iter().find(|p| p.info().name == name)
    }

    /// The source plugin for an event source name.
    pub fn source(&self, event_source: &str) -> Option<&Plugin> {
        self.plugins
            .iter()
            .find(|p| p.info().capabilities.sourcing && p.info().event_source == event_source)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Plugin> {
        self.plugins.iter()
    }

    pub fn len(&self) -> usize {
        self.plugins.len()
    }

    pub fn is_empty(&self) -> bool {
        self.plugins.is_empty()
    }

    /// Hands the plugins out (e.g. to move each to its source thread).
    pub fn into_plugins(self) -> Vec<Plugin> {
        self.plugins
    }
}
