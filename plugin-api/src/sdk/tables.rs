//! Safe access to the host's state tables (`reference/plugin-abi.md` §12) and tables owned by
//! the plugin ([`OwnedTable`], registered with `add_table`).
//!
//! Handles ([`Table`], [`TableField`]) are obtained at init through [`InitTables`] and used at
//! runtime with the [`TableReader`]/[`TableWriter`] the host passes to each extract/parse call.

use std::ffi::{CStr, CString};

mod owned;
pub use owned::{OwnedFieldId, OwnedTable, TableValue};

use crate::ffi::{self, ss_plugin_state_data, ss_plugin_table_entry_t, ss_plugin_table_field_t, ss_plugin_table_t};

/// Failures of table calls. `host_error` is the host's `get_owner_last_error` text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    #[error(
        "the host offered no {what}; table access needs a parse or extract capability and a host with the tables API"
    )]
    Missing { what: &'static str },
    #[error("host has no table {table:?} with key type {key_type}: {host_error}")]
    NoSuchTable {
        table: String,
        key_type: StateType,
        host_error: String,
    },
    #[error("table {table:?} has no field {field:?} of type {ty}: {host_error}")]
    NoSuchField {
        table: String,
        field: String,
        ty: StateType,
        host_error: String,
    },
    #[error("{op} on table {table:?} failed: {host_error}")]
    Call {
        op: &'static str,
        table: String,
        host_error: String,
    },
    #[error("{what}: expected a {expected} value but found {found}")]
    TypeMismatch {
        what: String,
        expected: StateType,
        found: StateType,
    },
    #[error("string {0:?} contains a NUL byte; table strings are C strings")]
    Nul(String),
    #[error("table {table:?} returned a string that is not UTF-8")]
    NotUtf8 { table: String },
    #[error("state type code {0} is unknown (expected one of 1-10 or 25)")]
    UnknownType(u32),
}

/// Type of a table key or field (`ss_plugin_state_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum StateType {
    I8 = ffi::SS_PLUGIN_ST_INT8,
    I16 = ffi::SS_PLUGIN_ST_INT16,
    I32 = ffi::SS_PLUGIN_ST_INT32,
    I64 = ffi::SS_PLUGIN_ST_INT64,
    U8 = ffi::SS_PLUGIN_ST_UINT8,
    U16 = ffi::SS_PLUGIN_ST_UINT16,
    U32 = ffi::SS_PLUGIN_ST_UINT32,
    U64 = ffi::SS_PLUGIN_ST_UINT64,
    Str = ffi::SS_PLUGIN_ST_STRING,
    Table = ffi::SS_PLUGIN_ST_TABLE,
    Bool = ffi::SS_PLUGIN_ST_BOOL,
}

impl StateType {
    pub fn from_code(code: u32) -> Result<Self, TableError> {
        Ok(match code {
            ffi::SS_PLUGIN_ST_INT8 => StateType::I8,
            ffi::SS_PLUGIN_ST_INT16 => StateType::I16,
            ffi::SS_PLUGIN_ST_INT32 => StateType::I32,
            ffi::SS_PLUGIN_ST_INT64 => StateType::I64,
            ffi::SS_PLUGIN_ST_UINT8 => StateType::U8,
            ffi::SS_PLUGIN_ST_UINT16 => StateType::U16,
            ffi::SS_PLUGIN_ST_UINT32 => StateType::U32,
            ffi::SS_PLUGIN_ST_UINT64 => StateType::U64,
            ffi::SS_PLUGIN_ST_STRING => StateType::Str,
            ffi::SS_PLUGIN_ST_TABLE => StateType::Table,
            ffi::SS_PLUGIN_ST_BOOL => StateType::Bool,
            other => return Err(TableError::UnknownType(other)),
        })
    }
}

impl std::fmt::Display for StateType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = match self {
            StateType::I8 => "int8",
            StateType::I16 => "int16",
            StateType::I32 => "int32",
            StateType::I64 => "int64",
            StateType::U8 => "uint8",
            StateType::U16 => "uint16",
            StateType::U32 => "uint32",
            StateType::U64 => "uint64",
            StateType::Str => "string",
            StateType::Table => "table",
            StateType::Bool => "bool",
        };
        f.write_str(s)
    }
}

/// A key or field value. Strings borrow from the host (valid while the entry is held).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateValue<'a> {
    I8(i8),
    I16(i16),
    I32(i32),
    I64(i64),
    U8(u8),
    U16(u16),
    U32(u32),
    U64(u64),
    Str(&'a str),
    Bool(bool),
}

impl<'a> StateValue<'a> {
    pub fn state_type(&self) -> StateType {
        match self {
            StateValue::I8(_) => StateType::I8,
            StateValue::I16(_) => StateType::I16,
            StateValue::I32(_) => StateType::I32,
            StateValue::I64(_) => StateType::I64,
            StateValue::U8(_) => StateType::U8,
            StateValue::U16(_) => StateType::U16,
            StateValue::U32(_) => StateType::U32,
            StateValue::U64(_) => StateType::U64,
            StateValue::Str(_) => StateType::Str,
            StateValue::Bool(_) => StateType::Bool,
        }
    }

    /// Encodes into the C union; strings go through `scratch`, which must outlive the call.
    fn to_raw(self, scratch: &mut Option<CString>) -> Result<ss_plugin_state_data, TableError> {
        Ok(match self {
            StateValue::I8(v) => ss_plugin_state_data { s8: v },
            StateValue::I16(v) => ss_plugin_state_data { s16: v },
            StateValue::I32(v) => ss_plugin_state_data { s32: v },
            StateValue::I64(v) => ss_plugin_state_data { s64: v },
            StateValue::U8(v) => ss_plugin_state_data { u8_: v },
            StateValue::U16(v) => ss_plugin_state_data { u16_: v },
            StateValue::U32(v) => ss_plugin_state_data { u32_: v },
            StateValue::U64(v) => ss_plugin_state_data { u64_: v },
            StateValue::Bool(v) => ss_plugin_state_data { b: v as u32 },
            StateValue::Str(s) => {
                let c = CString::new(s).map_err(|_| TableError::Nul(s.to_owned()))?;
                let data = ss_plugin_state_data { str_: c.as_ptr() };
                *scratch = Some(c);
                data
            }
        })
    }

    /// Decodes the C union according to `ty`.
    ///
    /// # Safety
    /// `raw` must hold a value of type `ty`; for strings a NUL-terminated string valid for `'a`.
    unsafe fn from_raw(raw: &ss_plugin_state_data, ty: StateType, table: &str) -> Result<Self, TableError> {
        // SAFETY: the caller guarantees the member matching `ty` is the initialized one.
        unsafe {
            Ok(match ty {
                StateType::I8 => StateValue::I8(raw.s8),
                StateType::I16 => StateValue::I16(raw.s16),
                StateType::I32 => StateValue::I32(raw.s32),
                StateType::I64 => StateValue::I64(raw.s64),
                StateType::U8 => StateValue::U8(raw.u8_),
                StateType::U16 => StateValue::U16(raw.u16_),
                StateType::U32 => StateValue::U32(raw.u32_),
                StateType::U64 => StateValue::U64(raw.u64_),
                StateType::Bool => StateValue::Bool(raw.b != 0),
                StateType::Str => {
                    if raw.str_.is_null() {
                        StateValue::Str("")
                    } else {
                        let s = CStr::from_ptr(raw.str_);
                        StateValue::Str(s.to_str().map_err(|_| TableError::NotUtf8 {
                            table: table.to_owned(),
                        })?)
                    }
                }
                StateType::Table => {
                    return Err(TableError::TypeMismatch {
                        what: format!("table {table:?}"),
                        expected: StateType::Table,
                        found: StateType::Table,
                    })
                }
            })
        }
    }
}

/// The owner pointer and `get_owner_last_error`, for error texts of host calls.
#[derive(Clone, Copy)]
pub(crate) struct HostErrors {
    pub(crate) owner: *mut ffi::ss_plugin_owner_t,
    pub(crate) get_owner_last_error: Option<ffi::get_owner_last_error_fn>,
}

impl HostErrors {
    pub(crate) const NONE: HostErrors = HostErrors {
        owner: std::ptr::null_mut(),
        get_owner_last_error: None,
    };

    fn last_error(&self) -> String {
        let Some(f) = self.get_owner_last_error else {
            return "host gave no error text".into();
        };
        // SAFETY: the host's function is valid for the owner it gave us during the current call.
        let p = unsafe { f(self.owner) };
        if p.is_null() {
            return "host gave no error text".into();
        }
        // SAFETY: non-NULL host strings are NUL-terminated and valid until the next host call.
        unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
    }
}

/// A table handle obtained at init. Valid for the plugin's lifetime.
#[derive(Debug, Clone)]
pub struct Table {
    raw: *mut ss_plugin_table_t,
    name: String,
    key_type: StateType,
}

// SAFETY: a table handle is an opaque token the host accepts from the plugin's event thread;
// moving the token between threads does not touch the table.
unsafe impl Send for Table {}
// SAFETY: see Send; the handle is never dereferenced by the plugin.
unsafe impl Sync for Table {}

impl Table {
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn key_type(&self) -> StateType {
        self.key_type
    }
}

/// A field accessor obtained at init, valid for every entry of its table.
#[derive(Debug, Clone)]
pub struct TableField {
    raw: *mut ss_plugin_table_field_t,
    name: String,
    ty: StateType,
}

// SAFETY: same reasoning as for `Table`: an opaque host token.
unsafe impl Send for TableField {}
// SAFETY: see Send.
unsafe impl Sync for TableField {}

impl TableField {
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn state_type(&self) -> StateType {
        self.ty
    }
}

/// The error of an absent host function or vtable, built only when it is absent (the success
/// path of every table call goes through here).
#[cold]
fn missing(what: &'static str) -> TableError {
    TableError::Missing { what }
}

pub(super) fn cstring(s: &str) -> Result<CString, TableError> {
    CString::new(s).map_err(|_| TableError::Nul(s.to_owned()))
}

/// Table access during `init`: discover and add tables and fields.
pub struct InitTables<'a> {
    input: &'a ffi::ss_plugin_init_tables_input,
    host: HostErrors,
}

impl<'a> InitTables<'a> {
    /// Wraps the host's init-time table input.
    ///
    /// # Safety
    /// `input` and the vtables it points to must be valid for `'a`; `owner` and
    /// `get_owner_last_error` are the ones of the same init input.
    pub unsafe fn from_raw(
        input: &'a ffi::ss_plugin_init_tables_input,
        owner: *mut ffi::ss_plugin_owner_t,
        get_owner_last_error: Option<ffi::get_owner_last_error_fn>,
    ) -> Self {
        InitTables {
            input,
            host: HostErrors {
                owner,
                get_owner_last_error,
            },
        }
    }

    /// Names and key types of the host's tables.
    pub fn list_tables(&self) -> Result<Vec<(String, StateType)>, TableError> {
        let f = self.input.list_tables.ok_or_else(|| missing("list_tables"))?;
        let mut n = 0u32;
        // SAFETY: host function called with its own owner during init.
        let infos = unsafe { f(self.host.owner, &mut n) };
        if infos.is_null() {
            return Ok(Vec::new());
        }
        // SAFETY: the host returns an array of `n` infos valid during init.
        let infos = unsafe { std::slice::from_raw_parts(infos, n as usize) };
        infos
            .iter()
            .map(|i| {
                // SAFETY: table names are NUL-terminated host strings.
                let name = if i.name.is_null() {
                    String::new()
                } else {
                    unsafe { CStr::from_ptr(i.name) }.to_string_lossy().into_owned()
                };
                Ok((name, StateType::from_code(i.key_type)?))
            })
            .collect()
    }

    /// Looks up a host table by name and key type (e.g. `("threads", StateType::I64)`).
    pub fn get_table(&self, name: &str, key_type: StateType) -> Result<Table, TableError> {
        let f = self.input.get_table.ok_or_else(|| missing("get_table"))?;
        let cname = cstring(name)?;
        // SAFETY: host function called with its own owner and a NUL-terminated name.
        let raw = unsafe { f(self.host.owner, cname.as_ptr(), key_type as u32) };
        if raw.is_null() {
            return Err(TableError::NoSuchTable {
                table: name.into(),
                key_type,
                host_error: self.host.last_error(),
            });
        }
        Ok(Table {
            raw,
            name: name.into(),
            key_type,
        })
    }

    fn fields_vtable(&self) -> Result<&'a ffi::ss_plugin_table_fields_vtable_ext, TableError> {
        // SAFETY: a non-NULL fields_ext is valid for 'a per from_raw's contract.
        unsafe { self.input.fields_ext.as_ref() }.ok_or_else(|| missing("fields_ext vtable"))
    }

    fn field_call(&self, table: &Table, name: &str, ty: StateType, add: bool) -> Result<TableField, TableError> {
        let vt = self.fields_vtable()?;
        let f = if add { vt.add_table_field } else { vt.get_table_field };
        let f = f.ok_or_else(|| missing(if add { "add_table_field" } else { "get_table_field" }))?;
        let cname = cstring(name)?;
        // SAFETY: host function called with a table handle it gave us and a C string.
        let raw = unsafe { f(table.raw, cname.as_ptr(), ty as u32) };
        if raw.is_null() {
            return Err(TableError::NoSuchField {
                table: table.name.clone(),
                field: name.into(),
                ty,
                host_error: self.host.last_error(),
            });
        }
        Ok(TableField {
            raw,
            name: name.into(),
            ty,
        })
    }

    /// Gets an accessor for an existing field.
    pub fn get_field(&self, table: &Table, name: &str, ty: StateType) -> Result<TableField, TableError> {
        self.field_call(table, name, ty, false)
    }

    /// Defines a new field on every entry of `table` (or gets it if it exists with that type).
    pub fn add_field(&self, table: &Table, name: &str, ty: StateType) -> Result<TableField, TableError> {
        self.field_call(table, name, ty, true)
    }

    /// Reader usable during init.
    pub fn reader(&self) -> TableReader<'a> {
        // SAFETY: a non-NULL reader_ext is valid for 'a per from_raw's contract.
        TableReader {
            vt: unsafe { self.input.reader_ext.as_ref() },
            host: self.host,
        }
    }

    /// Writer usable during init.
    pub fn writer(&self) -> TableWriter<'a> {
        // SAFETY: as for reader(); release_table_entry comes from the reader vtable.
        let release = unsafe { self.input.reader_ext.as_ref() }.and_then(|r| r.release_table_entry);
        // SAFETY: a non-NULL writer_ext is valid for 'a.
        TableWriter {
            vt: unsafe { self.input.writer_ext.as_ref() },
            release,
            host: self.host,
        }
    }

    /// Shares a plugin-owned table with the host and other plugins. `table` must outlive
    /// every use by the host: keep it in the plugin state.
    pub fn add_table(&self, table: &OwnedTable) -> Result<(), TableError> {
        let f = self.input.add_table.ok_or_else(|| missing("add_table"))?;
        let mut reader = owned::vtables::READER;
        let mut writer = owned::vtables::WRITER;
        let mut fields = owned::vtables::FIELDS;
        let input = ffi::ss_plugin_table_input {
            name: table.inner.name.as_ptr(),
            key_type: table.inner.key_type as u32,
            table: table.raw(),
            reader: ffi::ss_plugin_table_reader_vtable {
                get_table_name: reader.get_table_name,
                get_table_size: reader.get_table_size,
                get_table_entry: reader.get_table_entry,
                read_entry_field: reader.read_entry_field,
            },
            writer,
            fields,
            reader_ext: &mut reader,
            writer_ext: &mut writer,
            fields_ext: &mut fields,
        };
        // SAFETY: the input and its vtables live on our stack for the call; the host copies
        // the function pointers and keeps `name` and `table`, which live in `table.inner`.
        let rc = unsafe { f(self.host.owner, &input) };
        if rc != ffi::SS_PLUGIN_SUCCESS {
            return Err(TableError::Call {
                op: "add_table",
                table: table.name().to_owned(),
                host_error: self.host.last_error(),
            });
        }
        Ok(())
    }
}

/// An entry obtained from a table; released on drop.
pub struct Entry<'r> {
    raw: *mut ss_plugin_table_entry_t,
    table: *mut ss_plugin_table_t,
    release: Option<ffi::release_table_entry_fn>,
    _reader: std::marker::PhantomData<&'r ()>,
}

impl Drop for Entry<'_> {
    fn drop(&mut self) {
        if let Some(release) = self.release {
            // SAFETY: the entry came from this table's get/add call and is released once.
            unsafe { release(self.table, self.raw) };
        }
    }
}

/// Reads host tables; passed to extract and parse calls.
#[derive(Clone, Copy)]
pub struct TableReader<'a> {
    vt: Option<&'a ffi::ss_plugin_table_reader_vtable_ext>,
    host: HostErrors,
}

impl<'a> TableReader<'a> {
    /// Wraps a host reader vtable (NULL allowed: every call then fails with `Missing`).
    ///
    /// # Safety
    /// `vt`, if non-NULL, must be valid for `'a`, and `host` the owner of the current call.
    pub(crate) unsafe fn from_raw(vt: *const ffi::ss_plugin_table_reader_vtable_ext, host: HostErrors) -> Self {
        // SAFETY: per the contract above.
        TableReader {
            vt: unsafe { vt.as_ref() },
            host,
        }
    }

    /// A reader that has no host (calls fail with [`TableError::Missing`]).
    pub fn none() -> TableReader<'static> {
        TableReader {
            vt: None,
            host: HostErrors::NONE,
        }
    }

    fn vt(&self) -> Result<&'a ffi::ss_plugin_table_reader_vtable_ext, TableError> {
        self.vt.ok_or_else(|| missing("table reader vtable"))
    }

    /// Number of entries.
    pub fn size(&self, table: &Table) -> Result<u64, TableError> {
        let f = self.vt()?.get_table_size.ok_or_else(|| missing("get_table_size"))?;
        // SAFETY: host function with its own table handle.
        let n = unsafe { f(table.raw) };
        if n == u64::MAX {
            return Err(TableError::Call {
                op: "get_table_size",
                table: table.name.clone(),
                host_error: self.host.last_error(),
            });
        }
        Ok(n)
    }

    /// The entry at `key`, or `None` when absent.
    pub fn entry(&self, table: &Table, key: StateValue<'_>) -> Result<Option<Entry<'_>>, TableError> {
        let vt = self.vt()?;
        let f = vt.get_table_entry.ok_or_else(|| missing("get_table_entry"))?;
        if key.state_type() != table.key_type {
            return Err(TableError::TypeMismatch {
                what: format!("key of table {:?}", table.name),
                expected: table.key_type,
                found: key.state_type(),
            });
        }
        let mut scratch = None;
        let raw_key = key.to_raw(&mut scratch)?;
        // SAFETY: host function with its table handle and a key living over the call.
        let raw = unsafe { f(table.raw, &raw_key) };
        if raw.is_null() {
            return Ok(None);
        }
        Ok(Some(Entry {
            raw,
            table: table.raw,
            release: vt.release_table_entry,
            _reader: std::marker::PhantomData,
        }))
    }

    /// Reads `field` of `entry`; strings borrow from the entry.
    pub fn read<'e>(
        &self,
        table: &Table,
        entry: &'e Entry<'_>,
        field: &TableField,
    ) -> Result<StateValue<'e>, TableError> {
        let f = self.vt()?.read_entry_field.ok_or_else(|| missing("read_entry_field"))?;
        let mut out = ss_plugin_state_data { u64_: 0 };
        // SAFETY: host function with handles it gave us and a writable output.
        let rc = unsafe { f(table.raw, entry.raw, field.raw, &mut out) };
        if rc != ffi::SS_PLUGIN_SUCCESS {
            return Err(TableError::Call {
                op: "read_entry_field",
                table: table.name.clone(),
                host_error: self.host.last_error(),
            });
        }
        // SAFETY: the host wrote a value of the field's declared type; strings stay valid
        // while the entry is held (borrow 'e).
        unsafe { StateValue::from_raw(&out, field.ty, &table.name) }
    }
}

/// Writes host tables; passed to parse calls.
#[derive(Clone, Copy)]
pub struct TableWriter<'a> {
    vt: Option<&'a ffi::ss_plugin_table_writer_vtable_ext>,
    release: Option<ffi::release_table_entry_fn>,
    host: HostErrors,
}

/// An entry created with [`TableWriter::create_entry`], not yet in the table.
pub struct DetachedEntry {
    raw: *mut ss_plugin_table_entry_t,
}

impl<'a> TableWriter<'a> {
    /// # Safety
    /// `vt`, if non-NULL, must be valid for `'a`; `release` must be the same host's function.
    pub(crate) unsafe fn from_raw(
        vt: *const ffi::ss_plugin_table_writer_vtable_ext,
        release: Option<ffi::release_table_entry_fn>,
        host: HostErrors,
    ) -> Self {
        // SAFETY: per the contract above.
        TableWriter {
            vt: unsafe { vt.as_ref() },
            release,
            host,
        }
    }

    fn vt(&self) -> Result<&'a ffi::ss_plugin_table_writer_vtable_ext, TableError> {
        self.vt.ok_or_else(|| missing("table writer vtable"))
    }

    fn check(&self, rc: ffi::ss_plugin_rc, op: &'static str, table: &Table) -> Result<(), TableError> {
        if rc == ffi::SS_PLUGIN_SUCCESS {
            Ok(())
        } else {
            Err(TableError::Call {
                op,
                table: table.name.clone(),
                host_error: self.host.last_error(),
            })
        }
    }

    /// Writes `value` into `field` of `entry` (the host copies strings).
    pub fn write(
        &self,
        table: &Table,
        entry: &Entry<'_>,
        field: &TableField,
        value: StateValue<'_>,
    ) -> Result<(), TableError> {
        let f = self
            .vt()?
            .write_entry_field
            .ok_or_else(|| missing("write_entry_field"))?;
        if value.state_type() != field.ty {
            return Err(TableError::TypeMismatch {
                what: format!("field {:?} of table {:?}", field.name, table.name),
                expected: field.ty,
                found: value.state_type(),
            });
        }
        let mut scratch = None;
        let raw = value.to_raw(&mut scratch)?;
        // SAFETY: host function with handles it gave us; the value lives over the call.
        let rc = unsafe { f(table.raw, entry.raw, field.raw, &raw) };
        self.check(rc, "write_entry_field", table)
    }

    /// Creates a detached entry to fill and then [`add_entry`](Self::add_entry).
    pub fn create_entry(&self, table: &Table) -> Result<DetachedEntry, TableError> {
        let f = self
            .vt()?
            .create_table_entry
            .ok_or_else(|| missing("create_table_entry"))?;
        // SAFETY: host function with its table handle.
        let raw = unsafe { f(table.raw) };
        if raw.is_null() {
            return Err(TableError::Call {
                op: "create_table_entry",
                table: table.name.clone(),
                host_error: self.host.last_error(),
            });
        }
        Ok(DetachedEntry { raw })
    }

    /// Writes a field of a detached entry.
    pub fn write_detached(
        &self,
        table: &Table,
        entry: &DetachedEntry,
        field: &TableField,
        value: StateValue<'_>,
    ) -> Result<(), TableError> {
        let tmp = Entry {
            raw: entry.raw,
            table: table.raw,
            release: None,
            _reader: std::marker::PhantomData,
        };
        self.write(table, &tmp, field, value)
    }

    /// Inserts a detached entry at `key` (replacing any entry there) and returns it.
    pub fn add_entry(&self, table: &Table, key: StateValue<'_>, entry: DetachedEntry) -> Result<Entry<'_>, TableError> {
        let f = self.vt()?.add_table_entry.ok_or_else(|| missing("add_table_entry"))?;
        let mut scratch = None;
        let raw_key = key.to_raw(&mut scratch)?;
        // SAFETY: host function; the detached entry is handed over to the table.
        let raw = unsafe { f(table.raw, &raw_key, entry.raw) };
        if raw.is_null() {
            return Err(TableError::Call {
                op: "add_table_entry",
                table: table.name.clone(),
                host_error: self.host.last_error(),
            });
        }
        Ok(Entry {
            raw,
            table: table.raw,
            release: self.release,
            _reader: std::marker::PhantomData,
        })
    }

    /// Removes the entry at `key`.
    pub fn erase(&self, table: &Table, key: StateValue<'_>) -> Result<(), TableError> {
        let f = self
            .vt()?
            .erase_table_entry
            .ok_or_else(|| missing("erase_table_entry"))?;
        let mut scratch = None;
        let raw_key = key.to_raw(&mut scratch)?;
        // SAFETY: host function with its table handle and a key living over the call.
        let rc = unsafe { f(table.raw, &raw_key) };
        self.check(rc, "erase_table_entry", table)
    }
}

#[cfg(test)]
mod tests;
