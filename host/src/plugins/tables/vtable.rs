//! The C side of the tables API: the functions behind the `list_tables`/`get_table`/`add_table`
//! entry points and the fields/reader/writer vtables handed to plugins. Legacy and `_ext`
//! vtables carry the same functions. Every table handle given to a plugin is a [`TableHandle`]
//! of that plugin's owner, so errors land in that owner's `get_owner_last_error` and handles
//! are collected per owner; plugin-owned tables are reached through the same functions, which
//! forward to the owning plugin's copied function pointers.

use super::model::{subtable_of, EntryData, FieldDef, StateType, StoredValue, TableKey};
use super::{PluginTable, RegisteredTable, TableTarget};
use crate::plugins::owner::Owner;
use plugin_api::ffi::{self, ss_plugin_rc, ss_plugin_state_data, SS_PLUGIN_FAILURE, SS_PLUGIN_SUCCESS};
use std::ffi::{c_char, CStr};
use std::sync::{Arc, Mutex};

/// A table as a plugin sees it: which owner asked for it, and what it is.
pub(crate) struct TableHandle {
    owner: *const Owner,
    target: TableTarget,
}

impl TableHandle {
    pub fn new(owner: &Owner, target: TableTarget) -> TableHandle {
        TableHandle { owner, target }
    }

    pub fn name_is(&self, name: &[u8]) -> bool {
        match &self.target {
            TableTarget::Host(t) => t.lock().unwrap_or_else(|p| p.into_inner()).name.as_bytes() == name,
            // SAFETY: get_table_name of a registered plugin table returns its (stable) name.
            TableTarget::Plugin(p) => p
                .reader
                .get_table_name
                .map(|f| unsafe { f(p.table) })
                .filter(|n| !n.is_null())
                // SAFETY: non-NULL NUL-terminated name from the plugin.
                .is_some_and(|n| unsafe { CStr::from_ptr(n) }.to_bytes() == name),
        }
    }
}

/// An entry as a plugin sees it.
pub(crate) struct EntryHandle {
    entry: Arc<Mutex<EntryData>>,
}

/// Resolves a table pointer from a plugin into its handle and owner.
///
/// # Safety
/// `t` must be NULL or a `TableHandle` pointer this host gave out and has not collected.
unsafe fn handle<'a>(t: *mut ffi::ss_plugin_table_t) -> Option<(&'a TableHandle, &'a Owner)> {
    // SAFETY: per the contract.
    let h = unsafe { (t as *const TableHandle).as_ref()? };
    // SAFETY: a handle never outlives its owner (owners free their handles on drop).
    let owner = unsafe { h.owner.as_ref()? };
    if let TableTarget::Plugin(p) = &h.target {
        if !p.alive.load(std::sync::atomic::Ordering::Acquire) {
            owner.set_error(format!("plugin {} that owned this table was destroyed", p.owner_plugin));
            return None;
        }
    }
    Some((h, owner))
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Reads a key of the given type from a plugin-provided union.
///
/// # Safety
/// `key` must be NULL or point to a valid `ss_plugin_state_data` whose member for `key_type` is set.
unsafe fn read_key(key: *const ss_plugin_state_data, key_type: StateType) -> Option<TableKey> {
    // SAFETY: per the contract.
    let key = unsafe { key.as_ref()? };
    // SAFETY: the member read is the one the key type designates.
    Some(unsafe {
        match key_type {
            StateType::Int8 => TableKey::Int(key.s8 as i64),
            StateType::Int16 => TableKey::Int(key.s16 as i64),
            StateType::Int32 => TableKey::Int(key.s32 as i64),
            StateType::Int64 => TableKey::Int(key.s64),
            StateType::Uint8 => TableKey::Uint(key.u8_ as u64),
            StateType::Uint16 => TableKey::Uint(key.u16_ as u64),
            StateType::Uint32 => TableKey::Uint(key.u32_ as u64),
            StateType::Uint64 => TableKey::Uint(key.u64_),
            StateType::Bool => TableKey::Uint((key.b != 0) as u64),
            StateType::String => {
                if key.str_.is_null() {
                    return None;
                }
                TableKey::Str(CStr::from_ptr(key.str_).to_string_lossy().into_owned())
            }
            StateType::Table => return None,
        }
    })
}

/// Validates a field pointer against a table's schema.
fn field_of<'a>(schema: &super::model::Schema, f: *const ffi::ss_plugin_table_field_t) -> Option<&'a FieldDef> {
    let fields = schema.fields.read().unwrap_or_else(|p| p.into_inner());
    let def = fields.defs.iter().find(|d| std::ptr::eq(&***d, f as *const FieldDef))?;
    // SAFETY: defs are boxed and never removed while the schema lives; the table holds the schema.
    Some(unsafe { &*(&**def as *const FieldDef) })
}

fn state_type(code: ffi::ss_plugin_state_type) -> Option<StateType> {
    StateType::from_ffi(code)
}

fn type_name(code: ffi::ss_plugin_state_type) -> String {
    state_type(code).map_or_else(|| format!("unknown type {code}"), |t| format!("{t:?}"))
}

// ---------------------------------------------------------------------------------------------
// Init-time entry points

pub(crate) unsafe extern "C" fn list_tables(
    o: *mut ffi::ss_plugin_owner_t,
    ntables: *mut u32,
) -> *const ffi::ss_plugin_table_info {
    // SAFETY: plugins pass back the owner pointer we gave them.
    let Some(owner) = (unsafe { Owner::from_ffi(o) }) else {
        return std::ptr::null();
    };
    let infos: Vec<ffi::ss_plugin_table_info> = lock(&owner.tables.tables)
        .iter()
        .map(|t| ffi::ss_plugin_table_info {
            name: t.name.as_ptr(),
            key_type: t.key_type,
        })
        .collect();
    let mut handles = lock(&owner.handles);
    handles.table_infos = infos;
    if !ntables.is_null() {
        // SAFETY: non-NULL out-pointer from the plugin.
        unsafe { *ntables = handles.table_infos.len() as u32 };
    }
    handles.table_infos.as_ptr()
}

pub(crate) unsafe extern "C" fn get_table(
    o: *mut ffi::ss_plugin_owner_t,
    name: *const c_char,
    key_type: ffi::ss_plugin_state_type,
) -> *mut ffi::ss_plugin_table_t {
    // SAFETY: plugins pass back the owner pointer we gave them.
    let Some(owner) = (unsafe { Owner::from_ffi(o) }) else {
        return std::ptr::null_mut();
    };
    if name.is_null() {
        owner.set_error("get_table: table name is NULL");
        return std::ptr::null_mut();
    }
    // SAFETY: non-NULL NUL-terminated string from the plugin.
    let name = unsafe { CStr::from_ptr(name) }.to_bytes();
    let Some((actual_key, target)) = owner.tables.lookup(name) else {
        owner.set_error(format!("get_table: no table named '{}'", String::from_utf8_lossy(name)));
        return std::ptr::null_mut();
    };
    if actual_key != key_type {
        owner.set_error(format!(
            "get_table: table '{}' has key type {}, the plugin asked for {}",
            String::from_utf8_lossy(name),
            type_name(actual_key),
            type_name(key_type)
        ));
        return std::ptr::null_mut();
    }
    owner.table_handle(name, target) as *mut ffi::ss_plugin_table_t
}

pub(crate) unsafe extern "C" fn add_table(
    o: *mut ffi::ss_plugin_owner_t,
    input: *const ffi::ss_plugin_table_input,
) -> ss_plugin_rc {
    // SAFETY: plugins pass back the owner pointer we gave them.
    let Some(owner) = (unsafe { Owner::from_ffi(o) }) else {
        return SS_PLUGIN_FAILURE;
    };
    // SAFETY: the plugin's input is valid for the call; we copy what we keep.
    let Some(input) = (unsafe { input.as_ref() }) else {
        owner.set_error("add_table: input is NULL");
        return SS_PLUGIN_FAILURE;
    };
    if input.name.is_null() || input.table.is_null() {
        owner.set_error("add_table: table name or table pointer is NULL");
        return SS_PLUGIN_FAILURE;
    }
    // SAFETY: non-NULL NUL-terminated name from the plugin, copied now.
    let name = unsafe { CStr::from_ptr(input.name) }.to_owned();
    let Some(key) = state_type(input.key_type).filter(|k| *k != StateType::Table) else {
        owner.set_error(format!(
            "add_table: table '{}' has invalid key type {}",
            name.to_string_lossy(),
            input.key_type
        ));
        return SS_PLUGIN_FAILURE;
    };
    let _ = key;
    // SAFETY: the `_ext` pointers are NULL or valid for the call.
    let (reader, writer, fields) = unsafe {
        (
            input.reader_ext.as_ref(),
            input.writer_ext.as_ref(),
            input.fields_ext.as_ref(),
        )
    };
    let (Some(reader), Some(writer), Some(fields)) = (reader, writer, fields) else {
        owner.set_error(format!(
            "add_table: broken or inconsistent reader/writer/fields vtables for table '{}': an _ext vtable is NULL",
            name.to_string_lossy()
        ));
        return SS_PLUGIN_FAILURE;
    };
    let l = &input.reader;
    let fp = |f: Option<usize>| f;
    let consistent = fp(l.get_table_name.map(|f| f as usize)) == fp(reader.get_table_name.map(|f| f as usize))
        && l.get_table_size.map(|f| f as usize) == reader.get_table_size.map(|f| f as usize)
        && l.get_table_entry.map(|f| f as usize) == reader.get_table_entry.map(|f| f as usize)
        && l.read_entry_field.map(|f| f as usize) == reader.read_entry_field.map(|f| f as usize)
        && writer_eq(&input.writer, writer)
        && input.fields.list_table_fields.map(|f| f as usize) == fields.list_table_fields.map(|f| f as usize)
        && input.fields.get_table_field.map(|f| f as usize) == fields.get_table_field.map(|f| f as usize)
        && input.fields.add_table_field.map(|f| f as usize) == fields.add_table_field.map(|f| f as usize);
    let complete = reader.get_table_name.is_some()
        && reader.get_table_size.is_some()
        && reader.get_table_entry.is_some()
        && reader.read_entry_field.is_some()
        && fields.get_table_field.is_some();
    if !consistent || !complete {
        owner.set_error(format!(
            "add_table: broken or inconsistent reader/writer/fields vtables for table '{}': the legacy and _ext \
             function pointers must be identical and the reader/fields functions present",
            name.to_string_lossy()
        ));
        return SS_PLUGIN_FAILURE;
    }
    let table = PluginTable {
        owner_plugin: owner.plugin_name.clone(),
        alive: std::sync::atomic::AtomicBool::new(true),
        table: input.table,
        reader: *reader,
        writer: *writer,
        fields: *fields,
    };
    let registered = RegisteredTable {
        name: name.clone(),
        key_type: input.key_type,
        target: TableTarget::Plugin(Arc::new(table)),
    };
    match owner.tables.register(registered) {
        Ok(()) => SS_PLUGIN_SUCCESS,
        Err(e) => {
            owner.set_error(format!("add_table: {e}"));
            SS_PLUGIN_FAILURE
        }
    }
}

fn writer_eq(a: &ffi::ss_plugin_table_writer_vtable, b: &ffi::ss_plugin_table_writer_vtable) -> bool {
    a.clear_table.map(|f| f as usize) == b.clear_table.map(|f| f as usize)
        && a.erase_table_entry.map(|f| f as usize) == b.erase_table_entry.map(|f| f as usize)
        && a.create_table_entry.map(|f| f as usize) == b.create_table_entry.map(|f| f as usize)
        && a.destroy_table_entry.map(|f| f as usize) == b.destroy_table_entry.map(|f| f as usize)
        && a.add_table_entry.map(|f| f as usize) == b.add_table_entry.map(|f| f as usize)
        && a.write_entry_field.map(|f| f as usize) == b.write_entry_field.map(|f| f as usize)
}

// ---------------------------------------------------------------------------------------------
// Fields vtable

unsafe extern "C" fn list_table_fields(
    t: *mut ffi::ss_plugin_table_t,
    nfields: *mut u32,
) -> *const ffi::ss_plugin_table_fieldinfo {
    // SAFETY: `t` is a handle we gave out.
    let Some((h, _owner)) = (unsafe { handle(t) }) else {
        return std::ptr::null();
    };
    match &h.target {
        TableTarget::Host(data) => {
            let schema = lock(data).schema.clone();
            let fields = schema.fields.read().unwrap_or_else(|p| p.into_inner());
            if !nfields.is_null() {
                // SAFETY: non-NULL out-pointer from the plugin.
                unsafe { *nfields = fields.infos.len() as u32 };
            }
            // Stays valid until a field is added to this table kind (schema outlives the handle).
            fields.infos.as_ptr()
        }
        // SAFETY: forwarding to the owning plugin with its own table pointer.
        TableTarget::Plugin(p) => match p.fields.list_table_fields {
            Some(f) => unsafe { f(p.table, nfields) },
            None => std::ptr::null(),
        },
    }
}

unsafe fn get_or_add_field(
    t: *mut ffi::ss_plugin_table_t,
    name: *const c_char,
    data_type: ffi::ss_plugin_state_type,
    add: bool,
) -> *mut ffi::ss_plugin_table_field_t {
    // SAFETY: `t` is a handle we gave out.
    let Some((h, owner)) = (unsafe { handle(t) }) else {
        return std::ptr::null_mut();
    };
    match &h.target {
        TableTarget::Host(data) => {
            if name.is_null() {
                owner.set_error("table field name is NULL");
                return std::ptr::null_mut();
            }
            // SAFETY: non-NULL NUL-terminated name from the plugin.
            let name = unsafe { CStr::from_ptr(name) }.to_string_lossy().into_owned();
            let (table_name, schema) = {
                let d = lock(data);
                (d.name_lossy(), d.schema.clone())
            };
            let Some(ty) = state_type(data_type) else {
                owner.set_error(format!(
                    "table '{table_name}': field '{name}': unknown type {data_type}"
                ));
                return std::ptr::null_mut();
            };
            if let Some(def) = schema.find(name.as_bytes()) {
                // SAFETY: defs are boxed in the schema and never freed while it lives.
                let existing = unsafe { &*def };
                if existing.ty != ty {
                    owner.set_error(format!(
                        "table '{table_name}': field '{name}' has type {:?}, requested {ty:?}",
                        existing.ty
                    ));
                    return std::ptr::null_mut();
                }
                return def as *mut ffi::ss_plugin_table_field_t;
            }
            if !add {
                owner.set_error(format!("table '{table_name}': no field named '{name}'"));
                return std::ptr::null_mut();
            }
            if ty == StateType::Table {
                owner.set_error(format!(
                    "table '{table_name}': plugins cannot add table-typed field '{name}'"
                ));
                return std::ptr::null_mut();
            }
            match schema.add(&table_name, &name, ty, false, None) {
                Ok(def) => def as *mut ffi::ss_plugin_table_field_t,
                Err(e) => {
                    owner.set_error(e.to_string());
                    std::ptr::null_mut()
                }
            }
        }
        TableTarget::Plugin(p) => {
            let f = if add {
                p.fields.add_table_field
            } else {
                p.fields.get_table_field
            };
            // SAFETY: forwarding to the owning plugin with its own table pointer.
            match f {
                Some(f) => unsafe { f(p.table, name, data_type) },
                None => {
                    owner.set_error("the plugin that owns this table does not support that field operation");
                    std::ptr::null_mut()
                }
            }
        }
    }
}

unsafe extern "C" fn get_table_field(
    t: *mut ffi::ss_plugin_table_t,
    name: *const c_char,
    data_type: ffi::ss_plugin_state_type,
) -> *mut ffi::ss_plugin_table_field_t {
    // SAFETY: same contract as the caller's.
    unsafe { get_or_add_field(t, name, data_type, false) }
}

unsafe extern "C" fn add_table_field(
    t: *mut ffi::ss_plugin_table_t,
    name: *const c_char,
    data_type: ffi::ss_plugin_state_type,
) -> *mut ffi::ss_plugin_table_field_t {
    // SAFETY: same contract as the caller's.
    unsafe { get_or_add_field(t, name, data_type, true) }
}

// ---------------------------------------------------------------------------------------------
// Reader vtable

unsafe extern "C" fn get_table_name(t: *mut ffi::ss_plugin_table_t) -> *const c_char {
    // SAFETY: `t` is a handle we gave out.
    let Some((h, _)) = (unsafe { handle(t) }) else {
        return std::ptr::null();
    };
    match &h.target {
        // The name CString is never replaced, so its buffer outlives the lock.
        TableTarget::Host(data) => lock(data).name.as_ptr(),
        // SAFETY: forwarding to the owning plugin.
        TableTarget::Plugin(p) => p
            .reader
            .get_table_name
            .map_or(std::ptr::null(), |f| unsafe { f(p.table) }),
    }
}

unsafe extern "C" fn get_table_size(t: *mut ffi::ss_plugin_table_t) -> u64 {
    // SAFETY: `t` is a handle we gave out.
    let Some((h, _)) = (unsafe { handle(t) }) else {
        return u64::MAX;
    };
    match &h.target {
        TableTarget::Host(data) => lock(data).entries.len() as u64,
        // SAFETY: forwarding to the owning plugin.
        TableTarget::Plugin(p) => p.reader.get_table_size.map_or(u64::MAX, |f| unsafe { f(p.table) }),
    }
}

unsafe extern "C" fn get_table_entry(
    t: *mut ffi::ss_plugin_table_t,
    key: *const ss_plugin_state_data,
) -> *mut ffi::ss_plugin_table_entry_t {
    // SAFETY: `t` is a handle we gave out.
    let Some((h, owner)) = (unsafe { handle(t) }) else {
        return std::ptr::null_mut();
    };
    match &h.target {
        TableTarget::Host(data) => {
            let d = lock(data);
            // SAFETY: `key` is the plugin's key of the table's declared type.
            let Some(k) = (unsafe { read_key(key, d.key_type) }) else {
                owner.set_error(format!(
                    "table '{}': get_table_entry: invalid or NULL key",
                    d.name_lossy()
                ));
                return std::ptr::null_mut();
            };
            match d.entries.get(&k) {
                Some(entry) => {
                    let entry = entry.clone();
                    drop(d);
                    owner.track_entry(EntryHandle { entry })
                }
                None => {
                    owner.set_error(format!(
                        "table '{}': get_entry found no element at given key {k:?}",
                        d.name_lossy()
                    ));
                    std::ptr::null_mut()
                }
            }
        }
        // SAFETY: forwarding to the owning plugin.
        TableTarget::Plugin(p) => p
            .reader
            .get_table_entry
            .map_or(std::ptr::null_mut(), |f| unsafe { f(p.table, key) }),
    }
}

unsafe extern "C" fn read_entry_field(
    t: *mut ffi::ss_plugin_table_t,
    e: *mut ffi::ss_plugin_table_entry_t,
    f: *const ffi::ss_plugin_table_field_t,
    out: *mut ss_plugin_state_data,
) -> ss_plugin_rc {
    // SAFETY: `t` is a handle we gave out.
    let Some((h, owner)) = (unsafe { handle(t) }) else {
        return SS_PLUGIN_FAILURE;
    };
    let data = match &h.target {
        TableTarget::Host(data) => data,
        TableTarget::Plugin(p) => {
            // SAFETY: forwarding to the owning plugin with its own pointers.
            return p
                .reader
                .read_entry_field
                .map_or(SS_PLUGIN_FAILURE, |rf| unsafe { rf(p.table, e, f, out) });
        }
    };
    let (table_name, schema) = {
        let d = lock(data);
        (d.name_lossy(), d.schema.clone())
    };
    let Some(def) = field_of(&schema, f) else {
        owner.set_error(format!(
            "table '{table_name}': read_entry_field: the field handle does not belong to this table"
        ));
        return SS_PLUGIN_FAILURE;
    };
    let Some(entry) = owner.entry(e) else {
        owner.set_error(format!(
            "table '{table_name}': read_entry_field: invalid or released entry"
        ));
        return SS_PLUGIN_FAILURE;
    };
    if out.is_null() {
        owner.set_error(format!(
            "table '{table_name}': read_entry_field: output pointer is NULL"
        ));
        return SS_PLUGIN_FAILURE;
    }
    let mut ent = lock(&entry.entry);
    let value = match def.ty {
        StateType::Table => match subtable_of(def, &mut ent) {
            Some(sub) => {
                let handle = owner.ephemeral_table(TableTarget::Host(sub));
                ss_plugin_state_data {
                    table: handle as *mut ffi::ss_plugin_table_t,
                }
            }
            None => return SS_PLUGIN_FAILURE,
        },
        StateType::String => match ent.get(def.index) {
            // The string stays valid while the entry holds this value.
            StoredValue::Str(s) => ss_plugin_state_data { str_: s.as_ptr() },
            _ => ss_plugin_state_data { str_: c"".as_ptr() },
        },
        ty => {
            let bits = match ent.get(def.index) {
                StoredValue::Scalar(bits) => *bits,
                _ => 0,
            };
            scalar_to_data(ty, bits)
        }
    };
    // SAFETY: `out` is a non-NULL out-pointer from the plugin.
    unsafe { out.write(value) };
    SS_PLUGIN_SUCCESS
}

fn scalar_to_data(ty: StateType, bits: u64) -> ss_plugin_state_data {
    let mut d = ss_plugin_state_data { u64_: 0 };
    match ty {
        StateType::Int8 => d.s8 = bits as i8,
        StateType::Int16 => d.s16 = bits as i16,
        StateType::Int32 => d.s32 = bits as i32,
        StateType::Int64 => d.s64 = bits as i64,
        StateType::Uint8 => d.u8_ = bits as u8,
        StateType::Uint16 => d.u16_ = bits as u16,
        StateType::Uint32 => d.u32_ = bits as u32,
        StateType::Bool => d.b = (bits != 0) as u32,
        _ => d.u64_ = bits,
    }
    d
}

/// # Safety
/// `d` must be valid and its member for `ty` set.
unsafe fn data_to_scalar(ty: StateType, d: &ss_plugin_state_data) -> u64 {
    // SAFETY: the member read is the one the field type designates.
    unsafe {
        match ty {
            StateType::Int8 => d.s8 as i64 as u64,
            StateType::Int16 => d.s16 as i64 as u64,
            StateType::Int32 => d.s32 as i64 as u64,
            StateType::Int64 => d.s64 as u64,
            StateType::Uint8 => d.u8_ as u64,
            StateType::Uint16 => d.u16_ as u64,
            StateType::Uint32 => d.u32_ as u64,
            StateType::Bool => (d.b != 0) as u64,
            _ => d.u64_,
        }
    }
}

unsafe extern "C" fn release_table_entry(t: *mut ffi::ss_plugin_table_t, e: *mut ffi::ss_plugin_table_entry_t) {
    // SAFETY: `t` is a handle we gave out.
    let Some((h, owner)) = (unsafe { handle(t) }) else {
        return;
    };
    match &h.target {
        TableTarget::Host(_) => drop(owner.untrack_entry(e)),
        TableTarget::Plugin(p) => {
            if let Some(f) = p.reader.release_table_entry {
                // SAFETY: forwarding to the owning plugin.
                unsafe { f(p.table, e) }
            }
        }
    }
}

unsafe extern "C" fn iterate_entries(
    t: *mut ffi::ss_plugin_table_t,
    it: Option<ffi::ss_plugin_table_iterator_func_t>,
    s: *mut ffi::ss_plugin_table_iterator_state_t,
) -> ffi::ss_plugin_bool {
    // SAFETY: `t` is a handle we gave out.
    let Some((h, owner)) = (unsafe { handle(t) }) else {
        return 0;
    };
    let data = match &h.target {
        TableTarget::Host(data) => data,
        // SAFETY: forwarding to the owning plugin.
        TableTarget::Plugin(p) => return p.reader.iterate_entries.map_or(0, |f| unsafe { f(p.table, it, s) }),
    };
    let Some(it) = it else {
        owner.set_error("iterate_entries: iterator function is NULL");
        return 0;
    };
    // Snapshot first: the callback may read or write this table.
    let entries: Vec<_> = lock(data).entries.values().cloned().collect();
    for entry in entries {
        let e = owner.track_entry(EntryHandle { entry });
        // SAFETY: calling the plugin's iterator with its state and a live entry handle.
        let go_on = unsafe { it(s, e) };
        drop(owner.untrack_entry(e));
        if go_on == 0 {
            return 0;
        }
    }
    1
}

// ---------------------------------------------------------------------------------------------
// Writer vtable

unsafe extern "C" fn clear_table(t: *mut ffi::ss_plugin_table_t) -> ss_plugin_rc {
    // SAFETY: `t` is a handle we gave out.
    let Some((h, _)) = (unsafe { handle(t) }) else {
        return SS_PLUGIN_FAILURE;
    };
    match &h.target {
        TableTarget::Host(data) => {
            lock(data).entries.clear();
            SS_PLUGIN_SUCCESS
        }
        // SAFETY: forwarding to the owning plugin.
        TableTarget::Plugin(p) => p
            .writer
            .clear_table
            .map_or(SS_PLUGIN_FAILURE, |f| unsafe { f(p.table) }),
    }
}

unsafe extern "C" fn erase_table_entry(
    t: *mut ffi::ss_plugin_table_t,
    key: *const ss_plugin_state_data,
) -> ss_plugin_rc {
    // SAFETY: `t` is a handle we gave out.
    let Some((h, owner)) = (unsafe { handle(t) }) else {
        return SS_PLUGIN_FAILURE;
    };
    match &h.target {
        TableTarget::Host(data) => {
            let mut d = lock(data);
            // SAFETY: the plugin's key of the declared type.
            let Some(k) = (unsafe { read_key(key, d.key_type) }) else {
                owner.set_error(format!(
                    "table '{}': erase_table_entry: invalid or NULL key",
                    d.name_lossy()
                ));
                return SS_PLUGIN_FAILURE;
            };
            if d.entries.remove(&k).is_none() {
                owner.set_error(format!(
                    "table '{}': erase_table_entry: no element at given key {k:?}",
                    d.name_lossy()
                ));
                return SS_PLUGIN_FAILURE;
            }
            SS_PLUGIN_SUCCESS
        }
        // SAFETY: forwarding to the owning plugin.
        TableTarget::Plugin(p) => p
            .writer
            .erase_table_entry
            .map_or(SS_PLUGIN_FAILURE, |f| unsafe { f(p.table, key) }),
    }
}

unsafe extern "C" fn create_table_entry(t: *mut ffi::ss_plugin_table_t) -> *mut ffi::ss_plugin_table_entry_t {
    // SAFETY: `t` is a handle we gave out.
    let Some((h, owner)) = (unsafe { handle(t) }) else {
        return std::ptr::null_mut();
    };
    match &h.target {
        TableTarget::Host(_) => owner.track_entry(EntryHandle {
            entry: Arc::new(Mutex::new(EntryData::default())),
        }),
        // SAFETY: forwarding to the owning plugin.
        TableTarget::Plugin(p) => p
            .writer
            .create_table_entry
            .map_or(std::ptr::null_mut(), |f| unsafe { f(p.table) }),
    }
}

unsafe extern "C" fn destroy_table_entry(t: *mut ffi::ss_plugin_table_t, e: *mut ffi::ss_plugin_table_entry_t) {
    // SAFETY: `t` is a handle we gave out.
    let Some((h, owner)) = (unsafe { handle(t) }) else {
        return;
    };
    match &h.target {
        TableTarget::Host(_) => drop(owner.untrack_entry(e)),
        TableTarget::Plugin(p) => {
            if let Some(f) = p.writer.destroy_table_entry {
                // SAFETY: forwarding to the owning plugin.
                unsafe { f(p.table, e) }
            }
        }
    }
}

unsafe extern "C" fn add_table_entry(
    t: *mut ffi::ss_plugin_table_t,
    key: *const ss_plugin_state_data,
    e: *mut ffi::ss_plugin_table_entry_t,
) -> *mut ffi::ss_plugin_table_entry_t {
    // SAFETY: `t` is a handle we gave out.
    let Some((h, owner)) = (unsafe { handle(t) }) else {
        return std::ptr::null_mut();
    };
    match &h.target {
        TableTarget::Host(data) => {
            let mut d = lock(data);
            // SAFETY: the plugin's key of the declared type.
            let Some(k) = (unsafe { read_key(key, d.key_type) }) else {
                owner.set_error(format!(
                    "table '{}': add_table_entry: invalid or NULL key",
                    d.name_lossy()
                ));
                return std::ptr::null_mut();
            };
            let Some(created) = owner.untrack_entry(e) else {
                owner.set_error(format!(
                    "table '{}': add_table_entry: the entry was not created by create_table_entry or was already used",
                    d.name_lossy()
                ));
                return std::ptr::null_mut();
            };
            d.entries.insert(k, created.entry.clone());
            drop(d);
            owner.track_entry(EntryHandle { entry: created.entry })
        }
        TableTarget::Plugin(p) => {
            // SAFETY: forwarding to the owning plugin.
            p.writer
                .add_table_entry
                .map_or(std::ptr::null_mut(), |f| unsafe { f(p.table, key, e) })
        }
    }
}

unsafe extern "C" fn write_entry_field(
    t: *mut ffi::ss_plugin_table_t,
    e: *mut ffi::ss_plugin_table_entry_t,
    f: *const ffi::ss_plugin_table_field_t,
    value: *const ss_plugin_state_data,
) -> ss_plugin_rc {
    // SAFETY: `t` is a handle we gave out.
    let Some((h, owner)) = (unsafe { handle(t) }) else {
        return SS_PLUGIN_FAILURE;
    };
    let data = match &h.target {
        TableTarget::Host(data) => data,
        // SAFETY: forwarding to the owning plugin.
        TableTarget::Plugin(p) => {
            return p
                .writer
                .write_entry_field
                .map_or(SS_PLUGIN_FAILURE, |wf| unsafe { wf(p.table, e, f, value) })
        }
    };
    let (table_name, schema) = {
        let d = lock(data);
        (d.name_lossy(), d.schema.clone())
    };
    let Some(def) = field_of(&schema, f) else {
        owner.set_error(format!(
            "table '{table_name}': write_entry_field: the field handle does not belong to this table"
        ));
        return SS_PLUGIN_FAILURE;
    };
    let Some(entry) = owner.entry(e) else {
        owner.set_error(format!(
            "table '{table_name}': write_entry_field: invalid or released entry"
        ));
        return SS_PLUGIN_FAILURE;
    };
    // SAFETY: NULL or a valid value from the plugin for the call.
    let Some(value) = (unsafe { value.as_ref() }) else {
        owner.set_error(format!("table '{table_name}': write_entry_field: value is NULL"));
        return SS_PLUGIN_FAILURE;
    };
    if def.read_only {
        owner.set_error(format!(
            "table '{table_name}': field '{}' is read-only",
            def.name.to_string_lossy()
        ));
        return SS_PLUGIN_FAILURE;
    }
    let stored = match def.ty {
        StateType::Table => {
            owner.set_error(format!(
                "table '{table_name}': writing table-typed field '{}' is not supported",
                def.name.to_string_lossy()
            ));
            return SS_PLUGIN_FAILURE;
        }
        StateType::String => {
            // SAFETY: string fields carry `str_`.
            let p = unsafe { value.str_ };
            if p.is_null() {
                owner.set_error(format!("table '{table_name}': string value is NULL"));
                return SS_PLUGIN_FAILURE;
            }
            // SAFETY: non-NULL NUL-terminated string from the plugin, copied now.
            StoredValue::Str(unsafe { CStr::from_ptr(p) }.to_owned())
        }
        // SAFETY: the member for the field's type is set by the plugin.
        ty => StoredValue::Scalar(unsafe { data_to_scalar(ty, value) }),
    };
    lock(&entry.entry).set(def.index, stored);
    SS_PLUGIN_SUCCESS
}

// ---------------------------------------------------------------------------------------------
// The vtables

pub(crate) static FIELDS: ffi::ss_plugin_table_fields_vtable = ffi::ss_plugin_table_fields_vtable {
    list_table_fields: Some(list_table_fields),
    get_table_field: Some(get_table_field),
    add_table_field: Some(add_table_field),
};

pub(crate) static READER_EXT: ffi::ss_plugin_table_reader_vtable_ext = ffi::ss_plugin_table_reader_vtable_ext {
    get_table_name: Some(get_table_name),
    get_table_size: Some(get_table_size),
    get_table_entry: Some(get_table_entry),
    read_entry_field: Some(read_entry_field),
    release_table_entry: Some(release_table_entry),
    iterate_entries: Some(iterate_entries),
};

pub(crate) static READER: ffi::ss_plugin_table_reader_vtable = ffi::ss_plugin_table_reader_vtable {
    get_table_name: Some(get_table_name),
    get_table_size: Some(get_table_size),
    get_table_entry: Some(get_table_entry),
    read_entry_field: Some(read_entry_field),
};

pub(crate) static WRITER: ffi::ss_plugin_table_writer_vtable = ffi::ss_plugin_table_writer_vtable {
    clear_table: Some(clear_table),
    erase_table_entry: Some(erase_table_entry),
    create_table_entry: Some(create_table_entry),
    destroy_table_entry: Some(destroy_table_entry),
    add_table_entry: Some(add_table_entry),
    write_entry_field: Some(write_entry_field),
};

/// Pointer forms of the static vtables (plugins never write through them).
pub(crate) fn reader_ext_ptr() -> *mut ffi::ss_plugin_table_reader_vtable_ext {
    &READER_EXT as *const _ as *mut _
}
pub(crate) fn writer_ext_ptr() -> *mut ffi::ss_plugin_table_writer_vtable_ext {
    &WRITER as *const _ as *mut _
}
pub(crate) fn fields_ext_ptr() -> *mut ffi::ss_plugin_table_fields_vtable_ext {
    &FIELDS as *const _ as *mut _
}

/// The `tables` input of init: valid while the returned value lives.
pub(crate) fn init_tables_input() -> ffi::ss_plugin_init_tables_input {
    ffi::ss_plugin_init_tables_input {
        list_tables: Some(list_tables),
        get_table: Some(get_table),
        add_table: Some(add_table),
        fields: FIELDS,
        fields_ext: fields_ext_ptr(),
        reader_ext: reader_ext_ptr(),
        writer_ext: writer_ext_ptr(),
    }
}
