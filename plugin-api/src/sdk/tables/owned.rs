//! Tables owned by the plugin, backed by a Rust map, shared with the host through
//! `add_table` ([`InitTables::add_table`](super::InitTables::add_table)).

use std::ffi::{c_char, CStr, CString};
use std::sync::{Arc, Mutex, MutexGuard};

use super::{cstring, StateType, StateValue, TableError};
use crate::ffi::{self, ss_plugin_state_data, ss_plugin_table_entry_t, ss_plugin_table_field_t, ss_plugin_table_t};

/// An owned value stored in an [`OwnedTable`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableValue {
    Int(i64),
    UInt(u64),
    Bool(bool),
    Str(String),
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum OwnedKey {
    Int(i64),
    UInt(u64),
    Str(String),
}

#[derive(Debug, Clone)]
enum Stored {
    Int(i64),
    UInt(u64),
    Str(CString),
}

/// A set field of an entry, with the field's declared type (every write is checked against
/// it), so a read needs no look at the table's field list.
#[derive(Debug, Clone)]
struct Slot {
    ty: StateType,
    value: Stored,
}

/// A field of an [`OwnedTable`] resolved by [`OwnedTable::field_id`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OwnedFieldId {
    idx: usize,
    ty: StateType,
}

struct OwnedField {
    name: CString,
    ty: StateType,
}

struct OwnedEntry {
    values: Mutex<Vec<Option<Slot>>>,
}

struct OwnedData {
    fields: Vec<OwnedField>,
    infos: Vec<ffi::ss_plugin_table_fieldinfo>,
    /// Hashed for the per-event lookups; iteration sorts by key, so it visits entries in
    /// key order.
    entries: foldhash::HashMap<OwnedKey, Arc<OwnedEntry>>,
}

pub(super) struct OwnedInner {
    pub(super) name: CString,
    pub(super) key_type: StateType,
    data: Mutex<OwnedData>,
}

/// A table owned by the plugin, backed by a Rust map, that the host and other plugins can
/// read and write through the tables API once registered with [`InitTables::add_table`](super::InitTables::add_table).
pub struct OwnedTable {
    pub(super) inner: Box<OwnedInner>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock cannot leave the map half-updated in a way that matters
    // more than refusing all further access, so poisoning is ignored.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn owned_key(v: StateValue<'_>) -> OwnedKey {
    match v {
        StateValue::I8(x) => OwnedKey::Int(x.into()),
        StateValue::I16(x) => OwnedKey::Int(x.into()),
        StateValue::I32(x) => OwnedKey::Int(x.into()),
        StateValue::I64(x) => OwnedKey::Int(x),
        StateValue::U8(x) => OwnedKey::UInt(x.into()),
        StateValue::U16(x) => OwnedKey::UInt(x.into()),
        StateValue::U32(x) => OwnedKey::UInt(x.into()),
        StateValue::U64(x) => OwnedKey::UInt(x),
        StateValue::Bool(x) => OwnedKey::UInt(x.into()),
        StateValue::Str(s) => OwnedKey::Str(s.to_owned()),
    }
}

fn stored(v: StateValue<'_>) -> Result<Stored, TableError> {
    Ok(match owned_key(v) {
        OwnedKey::Int(i) => Stored::Int(i),
        OwnedKey::UInt(u) => Stored::UInt(u),
        OwnedKey::Str(s) => Stored::Str(CString::new(s.clone()).map_err(|_| TableError::Nul(s))?),
    })
}

impl OwnedTable {
    /// A new empty table with the given key type and fields. Keys and fields may be any
    /// scalar or string type (not `Table`).
    pub fn new(name: &str, key_type: StateType, fields: &[(&str, StateType)]) -> Result<Self, TableError> {
        let mut data = OwnedData {
            fields: Vec::new(),
            infos: Vec::new(),
            entries: foldhash::HashMap::default(),
        };
        for &(fname, ty) in fields {
            add_owned_field(&mut data, fname, ty)?;
        }
        if key_type == StateType::Table {
            return Err(TableError::TypeMismatch {
                what: format!("key of table {name:?}"),
                expected: StateType::I64,
                found: key_type,
            });
        }
        Ok(OwnedTable {
            inner: Box::new(OwnedInner {
                name: cstring(name)?,
                key_type,
                data: Mutex::new(data),
            }),
        })
    }

    pub fn name(&self) -> &str {
        self.inner.name.to_str().unwrap_or("")
    }

    pub(super) fn raw(&self) -> *mut ss_plugin_table_t {
        (&*self.inner as *const OwnedInner).cast_mut().cast()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        lock(&self.inner.data).entries.len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn check_key(&self, key: StateValue<'_>) -> Result<OwnedKey, TableError> {
        let kt = self.inner.key_type;
        let ok = key.state_type() == kt;
        if !ok {
            return Err(TableError::TypeMismatch {
                what: format!("key of table {:?}", self.name()),
                expected: kt,
                found: key.state_type(),
            });
        }
        Ok(owned_key(key))
    }

    /// Sets `field` of the entry at `key`, creating the entry if needed.
    pub fn set(&self, key: StateValue<'_>, field: &str, value: StateValue<'_>) -> Result<(), TableError> {
        let key = self.check_key(key)?;
        let mut data = lock(&self.inner.data);
        let idx = field_index(&data, field, value.state_type(), self.name())?;
        let n = data.fields.len();
        let entry = data.entries.entry(key).or_insert_with(|| {
            Arc::new(OwnedEntry {
                values: Mutex::new(vec![None; n]),
            })
        });
        let mut values = lock(&entry.values);
        if values.len() <= idx {
            values.resize(idx + 1, None);
        }
        values[idx] = Some(Slot {
            ty: value.state_type(),
            value: stored(value)?,
        });
        Ok(())
    }

    /// A field resolved once for [`OwnedTable::set_fields`]: its index and declared type.
    /// Fields are never removed, so the id stays valid for the table's lifetime.
    pub fn field_id(&self, field: &str, ty: StateType) -> Result<OwnedFieldId, TableError> {
        let data = lock(&self.inner.data);
        let idx = field_index(&data, field, ty, self.name())?;
        Ok(OwnedFieldId { idx, ty })
    }

    /// Sets several fields of the entry at `key` (created if needed) under one lock, in order,
    /// stopping at the first error as a sequence of [`OwnedTable::set`] calls would. A value
    /// equal to the stored one is left in place (no copy): the entry's content is the same as
    /// after those `set` calls.
    pub fn set_fields(&self, key: StateValue<'_>, values: &[(OwnedFieldId, StateValue<'_>)]) -> Result<(), TableError> {
        let key = self.check_key(key)?;
        let mut data = lock(&self.inner.data);
        let n = data.fields.len();
        let entry = data.entries.entry(key).or_insert_with(|| {
            Arc::new(OwnedEntry {
                values: Mutex::new(vec![None; n]),
            })
        });
        let mut slots = lock(&entry.values);
        for &(id, value) in values {
            let ty = value.state_type();
            if ty != id.ty {
                drop(slots);
                let name = data.fields.get(id.idx).map(|f| f.name.to_string_lossy().into_owned());
                return Err(TableError::TypeMismatch {
                    what: format!("field {:?} of table {:?}", name.unwrap_or_default(), self.name()),
                    expected: id.ty,
                    found: ty,
                });
            }
            if slots.len() <= id.idx {
                slots.resize(id.idx + 1, None);
            }
            let slot = &mut slots[id.idx];
            if let Some(old) = slot {
                if old.ty == ty && same_value(&old.value, value) {
                    continue;
                }
            }
            *slot = Some(Slot {
                ty,
                value: stored(value)?,
            });
        }
        Ok(())
    }

    /// The value of `field` at `key`; `None` if the entry does not exist or the field is unset.
    pub fn get(&self, key: StateValue<'_>, field: &str) -> Result<Option<TableValue>, TableError> {
        let key = self.check_key(key)?;
        let data = lock(&self.inner.data);
        let Some(idx) = data.fields.iter().position(|f| f.name.to_bytes() == field.as_bytes()) else {
            return Err(TableError::NoSuchField {
                table: self.name().into(),
                field: field.into(),
                ty: StateType::Str,
                host_error: "not defined".into(),
            });
        };
        let ty = data.fields[idx].ty;
        let Some(entry) = data.entries.get(&key) else {
            return Ok(None);
        };
        let values = lock(&entry.values);
        Ok(values
            .get(idx)
            .and_then(Option::as_ref)
            .map(|slot| match (&slot.value, ty) {
                (Stored::Int(i), _) => TableValue::Int(*i),
                (Stored::UInt(u), StateType::Bool) => TableValue::Bool(*u != 0),
                (Stored::UInt(u), _) => TableValue::UInt(*u),
                (Stored::Str(s), _) => TableValue::Str(s.to_string_lossy().into_owned()),
            }))
    }

    /// Removes the entry at `key`; true if it existed.
    pub fn remove(&self, key: StateValue<'_>) -> Result<bool, TableError> {
        let key = self.check_key(key)?;
        Ok(lock(&self.inner.data).entries.remove(&key).is_some())
    }
}

/// Whether `stored` holds what storing `v` would store.
fn same_value(stored: &Stored, v: StateValue<'_>) -> bool {
    match (stored, v) {
        (Stored::Str(s), StateValue::Str(v)) => s.as_bytes() == v.as_bytes(),
        (Stored::Str(_), _) | (_, StateValue::Str(_)) => false,
        (Stored::Int(i), v) => matches!(owned_key(v), OwnedKey::Int(x) if x == *i),
        (Stored::UInt(u), v) => matches!(owned_key(v), OwnedKey::UInt(x) if x == *u),
    }
}

fn field_index(data: &OwnedData, name: &str, ty: StateType, table: &str) -> Result<usize, TableError> {
    let Some(idx) = data.fields.iter().position(|f| f.name.to_bytes() == name.as_bytes()) else {
        return Err(TableError::NoSuchField {
            table: table.into(),
            field: name.into(),
            ty,
            host_error: "field not defined in this table".into(),
        });
    };
    let declared = data.fields[idx].ty;
    if declared != ty {
        return Err(TableError::TypeMismatch {
            what: format!("field {name:?} of table {table:?}"),
            expected: declared,
            found: ty,
        });
    }
    Ok(idx)
}

fn add_owned_field(data: &mut OwnedData, name: &str, ty: StateType) -> Result<usize, TableError> {
    if ty == StateType::Table {
        return Err(TableError::TypeMismatch {
            what: format!("field {name:?}"),
            expected: StateType::Str,
            found: ty,
        });
    }
    if let Some(i) = data.fields.iter().position(|f| f.name.to_bytes() == name.as_bytes()) {
        if data.fields[i].ty != ty {
            return Err(TableError::TypeMismatch {
                what: format!("field {name:?}"),
                expected: data.fields[i].ty,
                found: ty,
            });
        }
        return Ok(i);
    }
    data.fields.push(OwnedField {
        name: cstring(name)?,
        ty,
    });
    // Names live in `fields` (CString heap buffers do not move when the Vec grows).
    data.infos = data
        .fields
        .iter()
        .map(|f| ffi::ss_plugin_table_fieldinfo {
            name: f.name.as_ptr(),
            field_type: f.ty as u32,
            read_only: 0,
        })
        .collect();
    Ok(data.fields.len() - 1)
}

/// The `extern "C"` functions the host calls on an [`OwnedTable`].
pub(super) mod vtables {
    use super::*;

    pub(in crate::sdk::tables) const READER: ffi::ss_plugin_table_reader_vtable_ext =
        ffi::ss_plugin_table_reader_vtable_ext {
            get_table_name: Some(get_table_name),
            get_table_size: Some(get_table_size),
            get_table_entry: Some(get_table_entry),
            read_entry_field: Some(read_entry_field),
            release_table_entry: Some(release_table_entry),
            iterate_entries: Some(iterate_entries),
        };
    pub(in crate::sdk::tables) const WRITER: ffi::ss_plugin_table_writer_vtable = ffi::ss_plugin_table_writer_vtable {
        clear_table: Some(clear_table),
        erase_table_entry: Some(erase_table_entry),
        create_table_entry: Some(create_table_entry),
        destroy_table_entry: Some(destroy_table_entry),
        add_table_entry: Some(add_table_entry),
        write_entry_field: Some(write_entry_field),
    };
    pub(in crate::sdk::tables) const FIELDS: ffi::ss_plugin_table_fields_vtable = ffi::ss_plugin_table_fields_vtable {
        list_table_fields: Some(list_table_fields),
        get_table_field: Some(get_table_field),
        add_table_field: Some(add_table_field),
    };

    /// # Safety
    /// `t` must be the pointer `OwnedTable::raw` handed to the host, still alive.
    unsafe fn table<'a>(t: *mut ss_plugin_table_t) -> &'a OwnedInner {
        // SAFETY: per the contract, `t` points to a live OwnedInner.
        unsafe { &*t.cast::<OwnedInner>() }
    }
    /// # Safety
    /// `e` must come from `Arc::into_raw` of this module and not be released yet.
    unsafe fn entry<'a>(e: *mut ss_plugin_table_entry_t) -> &'a OwnedEntry {
        // SAFETY: per the contract, `e` is a live Arc<OwnedEntry> pointer.
        unsafe { &*e.cast::<OwnedEntry>() }
    }
    fn into_raw(e: Arc<OwnedEntry>) -> *mut ss_plugin_table_entry_t {
        Arc::into_raw(e).cast_mut().cast()
    }
    /// # Safety
    /// `key` must point to a value of the table's key type.
    unsafe fn key_of(t: &OwnedInner, key: *const ss_plugin_state_data) -> Option<OwnedKey> {
        if key.is_null() {
            return None;
        }
        // SAFETY: the host passes a key of the declared key type.
        let v = unsafe { StateValue::from_raw(&*key, t.key_type, "") }.ok()?;
        Some(owned_key(v))
    }
    fn field_idx(f: *const ss_plugin_table_field_t) -> usize {
        (f as usize).wrapping_sub(1)
    }

    unsafe extern "C" fn get_table_name(t: *mut ss_plugin_table_t) -> *const c_char {
        // SAFETY: host passes back our handle.
        unsafe { table(t) }.name.as_ptr()
    }
    unsafe extern "C" fn get_table_size(t: *mut ss_plugin_table_t) -> u64 {
        // SAFETY: host passes back our handle.
        lock(&unsafe { table(t) }.data).entries.len() as u64
    }
    unsafe extern "C" fn get_table_entry(
        t: *mut ss_plugin_table_t,
        key: *const ss_plugin_state_data,
    ) -> *mut ss_plugin_table_entry_t {
        // SAFETY: host passes back our handle.
        let t = unsafe { table(t) };
        // SAFETY: the key has the table's key type.
        let Some(k) = (unsafe { key_of(t, key) }) else {
            return std::ptr::null_mut();
        };
        match lock(&t.data).entries.get(&k) {
            Some(e) => into_raw(e.clone()),
            None => std::ptr::null_mut(),
        }
    }
    unsafe extern "C" fn read_entry_field(
        t: *mut ss_plugin_table_t,
        e: *mut ss_plugin_table_entry_t,
        f: *const ss_plugin_table_field_t,
        out: *mut ss_plugin_state_data,
    ) -> ffi::ss_plugin_rc {
        // SAFETY: host passes back our handles.
        let (t, e) = unsafe { (table(t), entry(e)) };
        let idx = field_idx(f);
        let values = lock(&e.values);
        let raw = match values.get(idx).and_then(Option::as_ref) {
            // Strings point into the entry's own copy, valid while the entry is held.
            Some(slot) => encode(slot),
            None => {
                // Never written: the default of the field's type. The entry lock is released
                // first: writers lock the table before the entry.
                drop(values);
                match lock(&t.data).fields.get(idx).map(|f| f.ty) {
                    Some(StateType::Str) => ss_plugin_state_data { str_: c"".as_ptr() },
                    Some(_) => ss_plugin_state_data { u64_: 0 },
                    None => return ffi::SS_PLUGIN_FAILURE,
                }
            }
        };
        // SAFETY: the host gives a writable output.
        unsafe { out.write(raw) };
        ffi::SS_PLUGIN_SUCCESS
    }
    /// The C union member of the slot's declared type.
    fn encode(slot: &Slot) -> ss_plugin_state_data {
        match (&slot.value, slot.ty) {
            (Stored::Str(s), _) => ss_plugin_state_data { str_: s.as_ptr() },
            (&Stored::Int(i), ty) => match ty {
                StateType::I8 => ss_plugin_state_data { s8: i as i8 },
                StateType::I16 => ss_plugin_state_data { s16: i as i16 },
                StateType::I32 => ss_plugin_state_data { s32: i as i32 },
                _ => ss_plugin_state_data { s64: i },
            },
            (&Stored::UInt(u), ty) => match ty {
                StateType::U8 => ss_plugin_state_data { u8_: u as u8 },
                StateType::U16 => ss_plugin_state_data { u16_: u as u16 },
                StateType::U32 => ss_plugin_state_data { u32_: u as u32 },
                StateType::Bool => ss_plugin_state_data { b: (u != 0) as u32 },
                _ => ss_plugin_state_data { u64_: u },
            },
        }
    }
    unsafe extern "C" fn release_table_entry(_t: *mut ss_plugin_table_t, e: *mut ss_plugin_table_entry_t) {
        if !e.is_null() {
            // SAFETY: `e` came from into_raw and is released once.
            drop(unsafe { Arc::from_raw(e.cast_const().cast::<OwnedEntry>()) });
        }
    }
    unsafe extern "C" fn iterate_entries(
        t: *mut ss_plugin_table_t,
        it: Option<ffi::ss_plugin_table_iterator_func_t>,
        s: *mut ffi::ss_plugin_table_iterator_state_t,
    ) -> ffi::ss_plugin_bool {
        let Some(it) = it else { return 0 };
        // SAFETY: host passes back our handle.
        let t = unsafe { table(t) };
        // Snapshot first so the callback may call back into this table; key order, as before
        // the map was hashed.
        let mut entries: Vec<(OwnedKey, Arc<OwnedEntry>)> = lock(&t.data)
            .entries
            .iter()
            .map(|(k, e)| (k.clone(), e.clone()))
            .collect();
        entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        for (_, e) in &entries {
            let raw = Arc::as_ptr(e).cast_mut().cast();
            // SAFETY: host iterator callback with its own state; `raw` lives over the call.
            if unsafe { it(s, raw) } == 0 {
                return 0;
            }
        }
        1
    }
    unsafe extern "C" fn clear_table(t: *mut ss_plugin_table_t) -> ffi::ss_plugin_rc {
        // SAFETY: host passes back our handle.
        lock(&unsafe { table(t) }.data).entries.clear();
        ffi::SS_PLUGIN_SUCCESS
    }
    unsafe extern "C" fn erase_table_entry(
        t: *mut ss_plugin_table_t,
        key: *const ss_plugin_state_data,
    ) -> ffi::ss_plugin_rc {
        // SAFETY: host passes back our handle.
        let t = unsafe { table(t) };
        // SAFETY: the key has the table's key type.
        let Some(k) = (unsafe { key_of(t, key) }) else {
            return ffi::SS_PLUGIN_FAILURE;
        };
        match lock(&t.data).entries.remove(&k) {
            Some(_) => ffi::SS_PLUGIN_SUCCESS,
            None => ffi::SS_PLUGIN_FAILURE,
        }
    }
    unsafe extern "C" fn create_table_entry(t: *mut ss_plugin_table_t) -> *mut ss_plugin_table_entry_t {
        // SAFETY: host passes back our handle.
        let n = lock(&unsafe { table(t) }.data).fields.len();
        into_raw(Arc::new(OwnedEntry {
            values: Mutex::new(vec![None; n]),
        }))
    }
    unsafe extern "C" fn destroy_table_entry(t: *mut ss_plugin_table_t, e: *mut ss_plugin_table_entry_t) {
        // SAFETY: a detached entry is one Arc reference, dropped here.
        unsafe { release_table_entry(t, e) }
    }
    unsafe extern "C" fn add_table_entry(
        t: *mut ss_plugin_table_t,
        key: *const ss_plugin_state_data,
        e: *mut ss_plugin_table_entry_t,
    ) -> *mut ss_plugin_table_entry_t {
        // SAFETY: host passes back our handle.
        let t = unsafe { table(t) };
        // SAFETY: the key has the table's key type.
        let Some(k) = (unsafe { key_of(t, key) }) else {
            return std::ptr::null_mut();
        };
        if e.is_null() {
            return std::ptr::null_mut();
        }
        // SAFETY: the detached entry's reference is taken over by the table.
        let arc = unsafe { Arc::from_raw(e.cast_const().cast::<OwnedEntry>()) };
        lock(&t.data).entries.insert(k, arc.clone());
        into_raw(arc)
    }
    unsafe extern "C" fn write_entry_field(
        t: *mut ss_plugin_table_t,
        e: *mut ss_plugin_table_entry_t,
        f: *const ss_plugin_table_field_t,
        in_: *const ss_plugin_state_data,
    ) -> ffi::ss_plugin_rc {
        // SAFETY: host passes back our handles.
        let (t, e) = unsafe { (table(t), entry(e)) };
        let idx = field_idx(f);
        let Some(ty) = lock(&t.data).fields.get(idx).map(|f| f.ty) else {
            return ffi::SS_PLUGIN_FAILURE;
        };
        if in_.is_null() {
            return ffi::SS_PLUGIN_FAILURE;
        }
        // SAFETY: the host passes a value of the field's type; strings are copied below.
        let Ok(v) = (unsafe { StateValue::from_raw(&*in_, ty, "") }) else {
            return ffi::SS_PLUGIN_FAILURE;
        };
        let Ok(value) = stored(v) else {
            return ffi::SS_PLUGIN_FAILURE;
        };
        let mut values = lock(&e.values);
        if values.len() <= idx {
            values.resize(idx + 1, None);
        }
        values[idx] = Some(Slot { ty, value });
        ffi::SS_PLUGIN_SUCCESS
    }
    unsafe extern "C" fn list_table_fields(
        t: *mut ss_plugin_table_t,
        n: *mut u32,
    ) -> *const ffi::ss_plugin_table_fieldinfo {
        // SAFETY: host passes back our handle.
        let data = lock(&unsafe { table(t) }.data);
        // SAFETY: the host gives a writable count.
        unsafe { n.write(data.infos.len() as u32) };
        // The array lives in the table until the next add_table_field.
        data.infos.as_ptr()
    }
    unsafe extern "C" fn get_table_field(
        t: *mut ss_plugin_table_t,
        name: *const c_char,
        ty: ffi::ss_plugin_state_type,
    ) -> *mut ss_plugin_table_field_t {
        // SAFETY: host passes back our handle and a C string.
        let (t, name) = unsafe { (table(t), CStr::from_ptr(name)) };
        let data = lock(&t.data);
        match data
            .fields
            .iter()
            .position(|f| f.name.as_c_str() == name && f.ty as u32 == ty)
        {
            Some(i) => (i + 1) as *mut ss_plugin_table_field_t,
            None => std::ptr::null_mut(),
        }
    }
    unsafe extern "C" fn add_table_field(
        t: *mut ss_plugin_table_t,
        name: *const c_char,
        ty: ffi::ss_plugin_state_type,
    ) -> *mut ss_plugin_table_field_t {
        // SAFETY: host passes back our handle and a C string.
        let (t, name) = unsafe { (table(t), CStr::from_ptr(name)) };
        let (Ok(name), Ok(ty)) = (name.to_str(), StateType::from_code(ty)) else {
            return std::ptr::null_mut();
        };
        match add_owned_field(&mut lock(&t.data), name, ty) {
            Ok(i) => (i + 1) as *mut ss_plugin_table_field_t,
            Err(_) => std::ptr::null_mut(),
        }
    }
}
