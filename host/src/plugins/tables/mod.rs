//! State tables shared between the host and plugins (plugin API 3.12.0 tables API,
//! `reference/plugin-abi.md` §12).
//!
//! - [`HostTable`] is a table owned by Rust code (the host or a future built-in syscall source):
//!   typed fields, keyed entries, subtables. It is exposed to plugins through the C vtables in
//!   [`vtable`].
//! - [`TableRegistry`] is the set of tables every plugin of one host sees: host tables and
//!   tables plugins register with `add_table`.
//!
//! Tables are `Mutex`-protected so a registry can be shared by plugins driven from different
//! source threads; the plugin API itself expects table calls only from the event thread.

mod model;
pub(crate) mod vtable;

pub(crate) use model::TableData;
pub use model::{HostTable, StateType, TableError, TableFieldId, TableKey, TableValue};

use plugin_api::ffi;
use std::ffi::CString;
use std::sync::{Arc, Mutex};

/// A table registered by a plugin with `add_table`: its function pointers are copied (the input
/// struct may live on the plugin's stack); only `name` and `table` are kept as pointers.
pub(crate) struct PluginTable {
    pub owner_plugin: String,
    /// Cleared when the owning plugin is destroyed: its functions are gone with it.
    pub alive: std::sync::atomic::AtomicBool,
    pub table: *mut ffi::ss_plugin_table_t,
    pub reader: ffi::ss_plugin_table_reader_vtable_ext,
    pub writer: ffi::ss_plugin_table_writer_vtable,
    pub fields: ffi::ss_plugin_table_fields_vtable,
}

// SAFETY: `table` is an opaque handle owned by the plugin; it is only passed back to that
// plugin's own table functions, which the plugin API requires to be callable from the event
// thread of whichever host component holds the registry.
unsafe impl Send for PluginTable {}
// SAFETY: see `Send`; the struct itself is never mutated after registration.
unsafe impl Sync for PluginTable {}

/// What a registered table name resolves to.
#[derive(Clone)]
pub(crate) enum TableTarget {
    Host(Arc<Mutex<TableData>>),
    Plugin(Arc<PluginTable>),
}

pub(crate) struct RegisteredTable {
    pub name: CString,
    pub key_type: ffi::ss_plugin_state_type,
    pub target: TableTarget,
}

/// All tables visible to the plugins of one host.
#[derive(Default)]
pub struct TableRegistry {
    pub(crate) tables: Mutex<Vec<RegisteredTable>>,
}

impl TableRegistry {
    pub fn new() -> Arc<TableRegistry> {
        Arc::new(TableRegistry::default())
    }

    /// Registers a host table under its name.
    pub fn add_host_table(&self, table: &HostTable) -> Result<(), TableError> {
        let (name, key_type) = table.name_and_key();
        self.register(RegisteredTable {
            name,
            key_type,
            target: TableTarget::Host(table.inner()),
        })
    }

    pub(crate) fn register(&self, table: RegisteredTable) -> Result<(), TableError> {
        let mut tables = self.tables.lock().unwrap_or_else(|p| p.into_inner());
        if tables.iter().any(|t| t.name == table.name) {
            return Err(TableError::DuplicateTable(table.name.to_string_lossy().into_owned()));
        }
        tables.push(table);
        Ok(())
    }

    /// Names and key types of every table.
    pub fn list(&self) -> Vec<(String, StateType)> {
        let tables = self.tables.lock().unwrap_or_else(|p| p.into_inner());
        tables
            .iter()
            .map(|t| {
                (
                    t.name.to_string_lossy().into_owned(),
                    StateType::from_ffi(t.key_type).unwrap_or(StateType::Table),
                )
            })
            .collect()
    }

    /// A host table by name (None for plugin-owned tables or unknown names).
    pub fn host_table(&self, name: &str) -> Option<HostTable> {
        let tables = self.tables.lock().unwrap_or_else(|p| p.into_inner());
        tables
            .iter()
            .find(|t| t.name.as_bytes() == name.as_bytes())
            .and_then(|t| match &t.target {
                TableTarget::Host(data) => Some(HostTable::from_inner(data.clone())),
                TableTarget::Plugin(_) => None,
            })
    }

    /// The name of the plugin that registered table `name`, if a plugin did.
    pub fn plugin_table_owner(&self, name: &str) -> Option<String> {
        let tables = self.tables.lock().unwrap_or_else(|p| p.into_inner());
        tables
            .iter()
            .find(|t| t.name.as_bytes() == name.as_bytes())
            .and_then(|t| match &t.target {
                TableTarget::Plugin(p) => Some(p.owner_plugin.clone()),
                TableTarget::Host(_) => None,
            })
    }

    /// Removes the tables a plugin registered, before that plugin is destroyed; handles other
    /// plugins still hold then fail with an owner error instead of calling into freed code.
    pub(crate) fn retire_plugin_tables(&self, plugin: &str) {
        let mut tables = self.tables.lock().unwrap_or_else(|p| p.into_inner());
        tables.retain(|t| match &t.target {
            TableTarget::Plugin(p) if p.owner_plugin == plugin => {
                p.alive.store(false, std::sync::atomic::Ordering::Release);
                false
            }
            _ => true,
        });
    }

    pub(crate) fn lookup(&self, name: &[u8]) -> Option<(ffi::ss_plugin_state_type, TableTarget)> {
        let tables = self.tables.lock().unwrap_or_else(|p| p.into_inner());
        tables
            .iter()
            .find(|t| t.name.as_bytes() == name)
            .map(|t| (t.key_type, t.target.clone()))
    }
}

#[cfg(test)]
mod tests;
