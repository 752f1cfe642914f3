//! The data model of host-owned tables: typed fields (shared by every subtable of one kind),
//! entries keyed by an integer or string, values stored per field index.

use plugin_api::ffi;
use std::collections::BTreeMap;
use std::ffi::CString;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

/// Most fields a table kind may have (static + dynamic); bounds what plugins can add.
pub const MAX_TABLE_FIELDS: usize = 1024;

#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum TableError {
    #[error("a table named '{0}' is already registered; table names must be unique")]
    DuplicateTable(String),
    #[error("table '{table}': field '{field}' is already defined with type {existing:?}, not {requested:?}")]
    FieldTypeMismatch {
        table: String,
        field: String,
        existing: StateType,
        requested: StateType,
    },
    #[error("table '{table}': unknown field '{field}'")]
    UnknownField { table: String, field: String },
    #[error("table '{table}': key type is {expected:?}, the key given is {found:?}")]
    KeyTypeMismatch {
        table: String,
        expected: StateType,
        found: TableKey,
    },
    #[error("table '{table}': field '{field}' has type {expected:?}, the value given is {found:?}")]
    ValueTypeMismatch {
        table: String,
        field: String,
        expected: StateType,
        found: TableValue,
    },
    #[error("table '{table}': too many fields (limit {MAX_TABLE_FIELDS})")]
    TooManyFields { table: String },
    #[error("table '{table}': a table cannot be used as a key type")]
    TableKey { table: String },
}

/// A table key or field type (the ABI's `SS_PLUGIN_ST_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum StateType {
    Int8,
    Int16,
    Int32,
    Int64,
    Uint8,
    Uint16,
    Uint32,
    Uint64,
    String,
    Table,
    Bool,
}

impl StateType {
    pub fn from_ffi(code: ffi::ss_plugin_state_type) -> Option<StateType> {
        Some(match code {
            ffi::SS_PLUGIN_ST_INT8 => StateType::Int8,
            ffi::SS_PLUGIN_ST_INT16 => StateType::Int16,
            ffi::SS_PLUGIN_ST_INT32 => StateType::Int32,
            ffi::SS_PLUGIN_ST_INT64 => StateType::Int64,
            ffi::SS_PLUGIN_ST_UINT8 => StateType::Uint8,
            ffi::SS_PLUGIN_ST_UINT16 => StateType::Uint16,
            ffi::SS_PLUGIN_ST_UINT32 => StateType::Uint32,
            ffi::SS_PLUGIN_ST_UINT64 => StateType::Uint64,
            ffi::SS_PLUGIN_ST_STRING => StateType::String,
            ffi::SS_PLUGIN_ST_TABLE => StateType::Table,
            ffi::SS_PLUGIN_ST_BOOL => StateType::Bool,
            _ => return None,
        })
    }

    pub fn to_ffi(self) -> ffi::ss_plugin_state_type {
        match self {
            StateType::Int8 => ffi::SS_PLUGIN_ST_INT8,
            StateType::Int16 => ffi::SS_PLUGIN_ST_INT16,
            StateType::Int32 => ffi::SS_PLUGIN_ST_INT32,
            StateType::Int64 => ffi::SS_PLUGIN_ST_INT64,
            StateType::Uint8 => ffi::SS_PLUGIN_ST_UINT8,
            StateType::Uint16 => ffi::SS_PLUGIN_ST_UINT16,
            StateType::Uint32 => ffi::SS_PLUGIN_ST_UINT32,
            StateType::Uint64 => ffi::SS_PLUGIN_ST_UINT64,
            StateType::String => ffi::SS_PLUGIN_ST_STRING,
            StateType::Table => ffi::SS_PLUGIN_ST_TABLE,
            StateType::Bool => ffi::SS_PLUGIN_ST_BOOL,
        }
    }

    fn is_signed(self) -> bool {
        matches!(
            self,
            StateType::Int8 | StateType::Int16 | StateType::Int32 | StateType::Int64
        )
    }
}

/// A table key. Signed integer key types use `Int`, unsigned ones (and bool) `Uint`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TableKey {
    Int(i64),
    Uint(u64),
    Str(String),
}

/// A field value as the Rust side sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum TableValue {
    Int(i64),
    Uint(u64),
    Bool(bool),
    Str(String),
}

/// Stored value of one field of one entry.
#[derive(Clone)]
pub(crate) enum StoredValue {
    Unset,
    /// Integers of any width and bools, as the bits of the declared type widened to 64.
    Scalar(u64),
    Str(CString),
    Table(Arc<Mutex<TableData>>),
}

/// A field definition. Boxed inside the schema so its address is a stable field handle.
pub(crate) struct FieldDef {
    pub index: usize,
    pub name: CString,
    pub ty: StateType,
    pub read_only: bool,
    /// For `Table` fields: key type and schema of the subtables.
    pub subtable: Option<(StateType, Arc<Schema>)>,
}

/// The fields of one kind of table, shared by all subtables of that kind.
pub(crate) struct Schema {
    pub id: u64,
    pub fields: RwLock<SchemaFields>,
}

#[derive(Default)]
pub(crate) struct SchemaFields {
    /// Boxed: a def's address is the field handle plugins hold, so it must not move.
    #[allow(clippy::vec_box)]
    pub defs: Vec<Box<FieldDef>>,
    /// The C view handed out by `list_table_fields`; rebuilt when a field is added.
    pub infos: Vec<ffi::ss_plugin_table_fieldinfo>,
}

// SAFETY: `infos` only holds pointers into the `CString`s of `defs`, which live as long as the
// schema and are never mutated.
unsafe impl Send for SchemaFields {}
// SAFETY: see `Send`.
unsafe impl Sync for SchemaFields {}

static NEXT_SCHEMA_ID: AtomicU64 = AtomicU64::new(1);

impl Schema {
    pub fn new() -> Arc<Schema> {
        Arc::new(Schema {
            id: NEXT_SCHEMA_ID.fetch_add(1, Ordering::Relaxed),
            fields: RwLock::default(),
        })
    }

    pub fn find(&self, name: &[u8]) -> Option<*const FieldDef> {
        let fields = self.fields.read().unwrap_or_else(|p| p.into_inner());
        fields
            .defs
            .iter()
            .find(|d| d.name.as_bytes() == name)
            .map(|d| &**d as *const FieldDef)
    }

    /// Adds a field, or returns the existing one of the same name and type.
    pub fn add(
        &self,
        table: &str,
        name: &str,
        ty: StateType,
        read_only: bool,
        subtable_key: Option<StateType>,
    ) -> Result<*const FieldDef, TableError> {
        let mut fields = self.fields.write().unwrap_or_else(|p| p.into_inner());
        if let Some(def) = fields.defs.iter().find(|d| d.name.as_bytes() == name.as_bytes()) {
            if def.ty != ty {
                return Err(TableError::FieldTypeMismatch {
                    table: table.into(),
                    field: name.into(),
                    existing: def.ty,
                    requested: ty,
                });
            }
            return Ok(&**def as *const FieldDef);
        }
        if fields.defs.len() >= MAX_TABLE_FIELDS {
            return Err(TableError::TooManyFields { table: table.into() });
        }
        let def = Box::new(FieldDef {
            index: fields.defs.len(),
            name: CString::new(name.replace('\0', "")).unwrap_or_default(),
            ty,
            read_only,
            subtable: subtable_key.map(|k| (k, Schema::new())),
        });
        let ptr = &*def as *const FieldDef;
        fields.defs.push(def);
        let infos = fields
            .defs
            .iter()
            .map(|d| ffi::ss_plugin_table_fieldinfo {
                name: d.name.as_ptr(),
                field_type: d.ty.to_ffi(),
                read_only: d.read_only as u32,
            })
            .collect();
        fields.infos = infos;
        Ok(ptr)
    }
}

/// Entry storage: one value per field index (absent trailing values are unset).
#[derive(Default)]
pub(crate) struct EntryData {
    pub values: Vec<StoredValue>,
}

impl EntryData {
    pub fn get(&self, index: usize) -> &StoredValue {
        self.values.get(index).unwrap_or(&StoredValue::Unset)
    }

    pub fn set(&mut self, index: usize, value: StoredValue) {
        if self.values.len() <= index {
            self.values.resize(index + 1, StoredValue::Unset);
        }
        self.values[index] = value;
    }
}

/// A table: name, key type, schema and entries.
pub(crate) struct TableData {
    pub name: CString,
    pub key_type: StateType,
    pub schema: Arc<Schema>,
    pub entries: BTreeMap<TableKey, Arc<Mutex<EntryData>>>,
}

impl TableData {
    pub fn name_lossy(&self) -> String {
        self.name.to_string_lossy().into_owned()
    }

    /// Checks a key against the table's key type.
    pub fn check_key(&self, key: &TableKey) -> Result<(), TableError> {
        let ok = match key {
            TableKey::Int(_) => self.key_type.is_signed(),
            TableKey::Uint(_) => !self.key_type.is_signed() && !matches!(self.key_type, StateType::String),
            TableKey::Str(_) => self.key_type == StateType::String,
        };
        if ok {
            Ok(())
        } else {
            Err(TableError::KeyTypeMismatch {
                table: self.name_lossy(),
                expected: self.key_type,
                found: key.clone(),
            })
        }
    }
}

/// Converts between a stored scalar and a Rust value.
pub(crate) fn to_stored(table: &str, def: &FieldDef, value: TableValue) -> Result<StoredValue, TableError> {
    let mismatch = |value: TableValue| TableError::ValueTypeMismatch {
        table: table.into(),
        field: def.name.to_string_lossy().into_owned(),
        expected: def.ty,
        found: value,
    };
    Ok(match (def.ty, value) {
        (StateType::String, TableValue::Str(s)) => {
            StoredValue::Str(CString::new(s.replace('\0', "")).unwrap_or_default())
        }
        (StateType::Bool, TableValue::Bool(b)) => StoredValue::Scalar(b as u64),
        (ty, TableValue::Int(v)) if ty.is_signed() => StoredValue::Scalar(v as u64),
        (StateType::Uint8 | StateType::Uint16 | StateType::Uint32 | StateType::Uint64, TableValue::Uint(v)) => {
            StoredValue::Scalar(v)
        }
        (_, value) => return Err(mismatch(value)),
    })
}

pub(crate) fn from_stored(def: &FieldDef, value: &StoredValue) -> Option<TableValue> {
    Some(match value {
        StoredValue::Unset | StoredValue::Table(_) => return None,
        StoredValue::Str(s) => TableValue::Str(s.to_string_lossy().into_owned()),
        StoredValue::Scalar(bits) => match def.ty {
            StateType::Bool => TableValue::Bool(*bits != 0),
            ty if ty.is_signed() => TableValue::Int(*bits as i64),
            _ => TableValue::Uint(*bits),
        },
    })
}

/// Handle of a field of a [`HostTable`] for the Rust API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableFieldId {
    schema_id: u64,
    index: usize,
}

/// A table owned by Rust code and shared with plugins through a [`super::TableRegistry`].
///
/// ```
/// use saker::plugins::tables::{HostTable, StateType, TableKey, TableValue};
/// let threads = HostTable::new("threads", StateType::Int64).unwrap();
/// let comm = threads.define_field("comm", StateType::String).unwrap();
/// threads.set(TableKey::Int(42), comm, TableValue::Str("bash".into())).unwrap();
/// assert_eq!(threads.get(&TableKey::Int(42), comm), Some(TableValue::Str("bash".into())));
/// ```
#[derive(Clone)]
pub struct HostTable {
    inner: Arc<Mutex<TableData>>,
}

impl HostTable {
    /// A new empty table. Tables cannot be keys.
    pub fn new(name: &str, key_type: StateType) -> Result<HostTable, TableError> {
        if key_type == StateType::Table {
            return Err(TableError::TableKey { table: name.into() });
        }
        Ok(HostTable::from_data(TableData {
            name: CString::new(name.replace('\0', "")).unwrap_or_default(),
            key_type,
            schema: Schema::new(),
            entries: BTreeMap::new(),
        }))
    }

    fn from_data(data: TableData) -> HostTable {
        HostTable {
            inner: Arc::new(Mutex::new(data)),
        }
    }

    pub(crate) fn from_inner(inner: Arc<Mutex<TableData>>) -> HostTable {
        HostTable { inner }
    }

    pub(crate) fn inner(&self) -> Arc<Mutex<TableData>> {
        self.inner.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, TableData> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn name_and_key(&self) -> (CString, ffi::ss_plugin_state_type) {
        let data = self.lock();
        (data.name.clone(), data.key_type.to_ffi())
    }

    /// Defines (or finds, if same name and type) a field on every entry.
    pub fn define_field(&self, name: &str, ty: StateType) -> Result<TableFieldId, TableError> {
        let data = self.lock();
        let def = data.schema.add(&data.name_lossy(), name, ty, false, None)?;
        // SAFETY: the def is boxed inside the schema, which `data` keeps alive.
        let index = unsafe { (*def).index };
        Ok(TableFieldId {
            schema_id: data.schema.id,
            index,
        })
    }

    /// Defines a subtable field: every entry gets its own table keyed by `key_type`, whose
    /// fields are defined once through the returned template (shared by all those subtables).
    pub fn define_subtable(&self, name: &str, key_type: StateType) -> Result<(TableFieldId, HostTable), TableError> {
        if key_type == StateType::Table {
            return Err(TableError::TableKey { table: name.into() });
        }
        let data = self.lock();
        let def = data
            .schema
            .add(&data.name_lossy(), name, StateType::Table, false, Some(key_type))?;
        // SAFETY: the def is boxed inside the schema, which `data` keeps alive.
        let def = unsafe { &*def };
        let (key, schema) = def.subtable.clone().unwrap_or((key_type, Schema::new()));
        let template = HostTable::from_data(TableData {
            name: def.name.clone(),
            key_type: key,
            schema,
            entries: BTreeMap::new(),
        });
        Ok((
            TableFieldId {
                schema_id: data.schema.id,
                index: def.index,
            },
            template,
        ))
    }

    /// A field by name (including fields plugins added).
    pub fn field(&self, name: &str) -> Option<(TableFieldId, StateType)> {
        let data = self.lock();
        let def = data.schema.find(name.as_bytes())?;
        // SAFETY: the def is boxed inside the schema, which `data` keeps alive.
        let def = unsafe { &*def };
        Some((
            TableFieldId {
                schema_id: data.schema.id,
                index: def.index,
            },
            def.ty,
        ))
    }

    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Creates the entry if absent.
    pub fn insert(&self, key: TableKey) -> Result<(), TableError> {
        let mut data = self.lock();
        data.check_key(&key)?;
        data.entries.entry(key).or_default();
        Ok(())
    }

    pub fn remove(&self, key: &TableKey) -> bool {
        self.lock().entries.remove(key).is_some()
    }

    pub fn contains(&self, key: &TableKey) -> bool {
        self.lock().entries.contains_key(key)
    }

    fn def_of(&self, data: &TableData, field: TableFieldId) -> Result<(String, StateType, usize), TableError> {
        let fields = data.schema.fields.read().unwrap_or_else(|p| p.into_inner());
        match fields.defs.get(field.index) {
            Some(def) if field.schema_id == data.schema.id => {
                Ok((def.name.to_string_lossy().into_owned(), def.ty, def.index))
            }
            _ => Err(TableError::UnknownField {
                table: data.name_lossy(),
                field: format!("#{}", field.index),
            }),
        }
    }

    /// Sets a field of the entry at `key`, creating the entry if needed.
    pub fn set(&self, key: TableKey, field: TableFieldId, value: TableValue) -> Result<(), TableError> {
        let mut data = self.lock();
        data.check_key(&key)?;
        let (_, _, index) = self.def_of(&data, field)?;
        let stored = {
            let fields = data.schema.fields.read().unwrap_or_else(|p| p.into_inner());
            to_stored(&data.name_lossy(), &fields.defs[index], value)?
        };
        let entry = data.entries.entry(key).or_default().clone();
        drop(data);
        entry.lock().unwrap_or_else(|p| p.into_inner()).set(index, stored);
        Ok(())
    }

    /// Reads a field of the entry at `key` (None if the entry or the value is absent).
    pub fn get(&self, key: &TableKey, field: TableFieldId) -> Option<TableValue> {
        let data = self.lock();
        let (_, _, index) = self.def_of(&data, field).ok()?;
        let entry = data.entries.get(key)?.clone();
        let fields = data.schema.fields.read().unwrap_or_else(|p| p.into_inner());
        let def = &fields.defs[index];
        let entry = entry.lock().unwrap_or_else(|p| p.into_inner());
        from_stored(def, entry.get(index))
    }

    /// The subtable stored in a `Table` field of the entry at `key`, created on first use.
    pub fn subtable(&self, key: &TableKey, field: TableFieldId) -> Option<HostTable> {
        let data = self.lock();
        let (_, ty, index) = self.def_of(&data, field).ok()?;
        if ty != StateType::Table {
            return None;
        }
        let entry = data.entries.get(key)?.clone();
        let fields = data.schema.fields.read().unwrap_or_else(|p| p.into_inner());
        let sub = subtable_of(
            &fields.defs[index],
            &mut entry.lock().unwrap_or_else(|p| p.into_inner()),
        );
        sub.map(HostTable::from_inner)
    }

    /// Keys of all entries, in key order.
    pub fn keys(&self) -> Vec<TableKey> {
        self.lock().entries.keys().cloned().collect()
    }
}

/// The subtable of a `Table` field in an entry, created empty on first access.
pub(crate) fn subtable_of(def: &FieldDef, entry: &mut EntryData) -> Option<Arc<Mutex<TableData>>> {
    let (key_type, schema) = def.subtable.as_ref()?;
    if let StoredValue::Table(t) = entry.get(def.index) {
        return Some(t.clone());
    }
    let table = Arc::new(Mutex::new(TableData {
        name: def.name.clone(),
        key_type: *key_type,
        schema: schema.clone(),
        entries: BTreeMap::new(),
    }));
    entry.set(def.index, StoredValue::Table(table.clone()));
    Some(table)
}
