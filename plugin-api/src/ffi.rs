//! The raw C ABI of Falco's plugin API 3.12.0: every type, constant and function-pointer
//! signature a plugin exports or a host provides, laid out exactly as `plugin_api.h` /
//! `plugin_types.h` lay them out on LP64 Linux.
//!
//! Names keep the C spelling so that the header (`include/plugin_api.h`) and this module
//! read side by side. Layout facts come from `reference/plugin-abi.md` §5; `tests` below pin
//! every size and offset so a change to a struct fails the build's tests, not a plugin at runtime.

#![allow(non_camel_case_types)]

use std::ffi::{c_char, c_void};

/// Plugin API version implemented by this crate (Falco libs 0.22–0.25 ship 3.12.0).
pub const PLUGIN_API_VERSION_MAJOR: u32 = 3;
pub const PLUGIN_API_VERSION_MINOR: u32 = 12;
pub const PLUGIN_API_VERSION_PATCH: u32 = 0;
/// The same version as the string plugins return from `plugin_get_required_api_version`.
pub const PLUGIN_API_VERSION_STR: &str = "3.12.0";
/// Version of the libscap event table this ABI describes (libs `driver/SCHEMA_VERSION`).
pub const EVENT_SCHEMA_VERSION_STR: &str = "4.5.1";

/// Size of the error buffer a plugin hands to the async event handler (including the NUL).
pub const PLUGIN_MAX_ERRLEN: usize = 1024;

// ---------------------------------------------------------------------------------------------
// Return codes

/// `ss_plugin_rc`: a C enum, so 4 bytes.
pub type ss_plugin_rc = i32;
pub const SS_PLUGIN_SUCCESS: ss_plugin_rc = 0;
pub const SS_PLUGIN_FAILURE: ss_plugin_rc = 1;
pub const SS_PLUGIN_TIMEOUT: ss_plugin_rc = -1;
pub const SS_PLUGIN_EOF: ss_plugin_rc = 2;
pub const SS_PLUGIN_NOT_SUPPORTED: ss_plugin_rc = 3;

/// `ss_plugin_bool`: 0 is false, anything else true.
pub type ss_plugin_bool = u32;

// ---------------------------------------------------------------------------------------------
// Opaque handles. Never dereferenced across the boundary; the Go SDK even uses small integers.

macro_rules! opaque {
    ($($name:ident),* $(,)?) => {$(
        #[repr(C)]
        pub struct $name {
            _private: [u8; 0],
        }
    )*};
}
opaque!(
    ss_plugin_t,
    ss_instance_t,
    ss_plugin_owner_t,
    ss_plugin_table_t,
    ss_plugin_table_entry_t,
    ss_plugin_table_field_t,
    ss_plugin_routine_t,
    ss_plugin_routine_state_t,
);
/// `ss_plugin_table_iterator_state_t` is `void` in C.
pub type ss_plugin_table_iterator_state_t = c_void;

// ---------------------------------------------------------------------------------------------
// Enumerations (all 4-byte C enums)

/// Field types of `get_fields` (equal to libscap `PT_*` codes).
pub type ss_plugin_field_type = u32;
pub const FTYPE_UINT64: ss_plugin_field_type = 8;
pub const FTYPE_STRING: ss_plugin_field_type = 9;
pub const FTYPE_RELTIME: ss_plugin_field_type = 20;
pub const FTYPE_ABSTIME: ss_plugin_field_type = 21;
pub const FTYPE_BOOL: ss_plugin_field_type = 25;
pub const FTYPE_IPADDR: ss_plugin_field_type = 40;
pub const FTYPE_IPNET: ss_plugin_field_type = 41;

/// Types of table keys and table fields.
pub type ss_plugin_state_type = u32;
pub const SS_PLUGIN_ST_INT8: ss_plugin_state_type = 1;
pub const SS_PLUGIN_ST_INT16: ss_plugin_state_type = 2;
pub const SS_PLUGIN_ST_INT32: ss_plugin_state_type = 3;
pub const SS_PLUGIN_ST_INT64: ss_plugin_state_type = 4;
pub const SS_PLUGIN_ST_UINT8: ss_plugin_state_type = 5;
pub const SS_PLUGIN_ST_UINT16: ss_plugin_state_type = 6;
pub const SS_PLUGIN_ST_UINT32: ss_plugin_state_type = 7;
pub const SS_PLUGIN_ST_UINT64: ss_plugin_state_type = 8;
pub const SS_PLUGIN_ST_STRING: ss_plugin_state_type = 9;
pub const SS_PLUGIN_ST_TABLE: ss_plugin_state_type = 10;
pub const SS_PLUGIN_ST_BOOL: ss_plugin_state_type = 25;

/// Severity passed to the host's `log_fn`.
pub type ss_plugin_log_severity = u32;
pub const SS_PLUGIN_LOG_SEV_FATAL: ss_plugin_log_severity = 1;
pub const SS_PLUGIN_LOG_SEV_CRITICAL: ss_plugin_log_severity = 2;
pub const SS_PLUGIN_LOG_SEV_ERROR: ss_plugin_log_severity = 3;
pub const SS_PLUGIN_LOG_SEV_WARNING: ss_plugin_log_severity = 4;
pub const SS_PLUGIN_LOG_SEV_NOTICE: ss_plugin_log_severity = 5;
pub const SS_PLUGIN_LOG_SEV_INFO: ss_plugin_log_severity = 6;
pub const SS_PLUGIN_LOG_SEV_DEBUG: ss_plugin_log_severity = 7;
pub const SS_PLUGIN_LOG_SEV_TRACE: ss_plugin_log_severity = 8;

/// Kind of a metric exported through `get_metrics`.
pub type ss_plugin_metric_type = u32;
pub const SS_PLUGIN_METRIC_TYPE_MONOTONIC: ss_plugin_metric_type = 0;
pub const SS_PLUGIN_METRIC_TYPE_NON_MONOTONIC: ss_plugin_metric_type = 1;

/// Which member of `ss_plugin_metric_value` is set.
pub type ss_plugin_metric_value_type = u32;
pub const SS_PLUGIN_METRIC_VALUE_TYPE_U32: ss_plugin_metric_value_type = 0;
pub const SS_PLUGIN_METRIC_VALUE_TYPE_S32: ss_plugin_metric_value_type = 1;
pub const SS_PLUGIN_METRIC_VALUE_TYPE_U64: ss_plugin_metric_value_type = 2;
pub const SS_PLUGIN_METRIC_VALUE_TYPE_S64: ss_plugin_metric_value_type = 3;
pub const SS_PLUGIN_METRIC_VALUE_TYPE_D: ss_plugin_metric_value_type = 4;
pub const SS_PLUGIN_METRIC_VALUE_TYPE_F: ss_plugin_metric_value_type = 5;
pub const SS_PLUGIN_METRIC_VALUE_TYPE_I: ss_plugin_metric_value_type = 6;

/// Type of the init schema returned by `get_init_schema`.
pub type ss_plugin_schema_type = u32;
pub const SS_PLUGIN_SCHEMA_NONE: ss_plugin_schema_type = 0;
pub const SS_PLUGIN_SCHEMA_JSON: ss_plugin_schema_type = 1;

// ---------------------------------------------------------------------------------------------
// Events

/// libscap event code of a plugin event (`PPME_PLUGINEVENT_E`).
pub const PPME_PLUGINEVENT_E: u16 = 322;
/// libscap event code of an async event (`PPME_ASYNCEVENT_E`).
pub const PPME_ASYNCEVENT_E: u16 = 402;
/// Size of the packed scap event header.
pub const EVENT_HEADER_LEN: usize = 26;
/// Offset of a plugin event's payload: header, two u32 lengths, the u32 plugin id.
pub const PLUGIN_EVENT_PAYLOAD_OFFSET: usize = 38;

/// The scap event header (`ppm_evt_hdr`). Packed: always read it with unaligned loads.
#[repr(C, packed)]
#[derive(Debug, Clone, Copy, Default)]
pub struct ss_plugin_event {
    pub ts: u64,
    pub tid: u64,
    pub len: u32,
    pub type_: u16,
    pub nparams: u32,
}

/// An event handed to extract, parse and `event_to_string`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ss_plugin_event_input {
    pub evt: *const ss_plugin_event,
    pub evtnum: u64,
    pub evtsrc: *const c_char,
}

/// An address (4 or 16 bytes) returned for `ipaddr`/`ipnet` fields.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ss_plugin_byte_buffer {
    pub len: u32,
    pub ptr: *const c_void,
}

// ---------------------------------------------------------------------------------------------
// Field extraction

/// Where each extracted value lies inside the event (3.11). Plugin-owned arrays.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ss_plugin_extract_value_offsets {
    pub start: *mut u32,
    pub length: *mut u32,
}

/// The result pointer of one extraction: an array of `res_len` values of the field's type.
#[repr(C)]
#[derive(Clone, Copy)]
pub union ss_plugin_extract_field_res {
    pub str_: *mut *const c_char,
    pub u64_: *mut u64,
    pub u32_: *mut u32,
    pub boolean: *mut ss_plugin_bool,
    pub buf: *mut ss_plugin_byte_buffer,
}

/// One field request: inputs set by the host, `res`/`res_len` set by the plugin.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct ss_plugin_extract_field {
    pub res: ss_plugin_extract_field_res,
    pub res_len: u64,
    pub field_id: u32,
    pub field: *const c_char,
    pub arg_key: *const c_char,
    pub arg_index: u64,
    pub arg_present: ss_plugin_bool,
    pub ftype: u32,
    pub flist: ss_plugin_bool,
}

pub type get_owner_last_error_fn = unsafe extern "C" fn(o: *mut ss_plugin_owner_t) -> *const c_char;

/// Input of `plugin_extract_fields`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct ss_plugin_field_extract_input {
    pub owner: *mut ss_plugin_owner_t,
    pub get_owner_last_error: Option<get_owner_last_error_fn>,
    pub num_fields: u32,
    pub fields: *mut ss_plugin_extract_field,
    pub table_reader: ss_plugin_table_reader_vtable,
    pub table_reader_ext: *mut ss_plugin_table_reader_vtable_ext,
    pub value_offsets: *mut ss_plugin_extract_value_offsets,
}

// ---------------------------------------------------------------------------------------------
// Tables

/// A key or field value of a table. Which member is valid depends on the declared type.
#[repr(C)]
#[derive(Clone, Copy)]
pub union ss_plugin_state_data {
    pub s8: i8,
    pub s16: i16,
    pub s32: i32,
    pub s64: i64,
    pub u8_: u8,
    pub u16_: u16,
    pub u32_: u32,
    pub u64_: u64,
    pub str_: *const c_char,
    pub table: *mut ss_plugin_table_t,
    pub b: ss_plugin_bool,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ss_plugin_table_info {
    pub name: *const c_char,
    pub key_type: ss_plugin_state_type,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ss_plugin_table_fieldinfo {
    pub name: *const c_char,
    pub field_type: ss_plugin_state_type,
    pub read_only: ss_plugin_bool,
}

pub type list_table_fields_fn =
    unsafe extern "C" fn(t: *mut ss_plugin_table_t, nfields: *mut u32) -> *const ss_plugin_table_fieldinfo;
pub type get_table_field_fn = unsafe extern "C" fn(
    t: *mut ss_plugin_table_t,
    name: *const c_char,
    data_type: ss_plugin_state_type,
) -> *mut ss_plugin_table_field_t;
pub type add_table_field_fn = get_table_field_fn;

/// Field discovery and definition; the legacy by-value vtable and `_ext` share the layout.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct ss_plugin_table_fields_vtable {
    pub list_table_fields: Option<list_table_fields_fn>,
    pub get_table_field: Option<get_table_field_fn>,
    pub add_table_field: Option<add_table_field_fn>,
}
pub type ss_plugin_table_fields_vtable_ext = ss_plugin_table_fields_vtable;

pub type get_table_name_fn = unsafe extern "C" fn(t: *mut ss_plugin_table_t) -> *const c_char;
pub type get_table_size_fn = unsafe extern "C" fn(t: *mut ss_plugin_table_t) -> u64;
pub type get_table_entry_fn =
    unsafe extern "C" fn(t: *mut ss_plugin_table_t, key: *const ss_plugin_state_data) -> *mut ss_plugin_table_entry_t;
pub type read_entry_field_fn = unsafe extern "C" fn(
    t: *mut ss_plugin_table_t,
    e: *mut ss_plugin_table_entry_t,
    f: *const ss_plugin_table_field_t,
    out: *mut ss_plugin_state_data,
) -> ss_plugin_rc;
pub type release_table_entry_fn = unsafe extern "C" fn(t: *mut ss_plugin_table_t, e: *mut ss_plugin_table_entry_t);
pub type ss_plugin_table_iterator_func_t =
    unsafe extern "C" fn(s: *mut ss_plugin_table_iterator_state_t, e: *mut ss_plugin_table_entry_t) -> ss_plugin_bool;
pub type iterate_entries_fn = unsafe extern "C" fn(
    t: *mut ss_plugin_table_t,
    it: Option<ss_plugin_table_iterator_func_t>,
    s: *mut ss_plugin_table_iterator_state_t,
) -> ss_plugin_bool;

/// Legacy (3.0) reader vtable, passed by value.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct ss_plugin_table_reader_vtable {
    pub get_table_name: Option<get_table_name_fn>,
    pub get_table_size: Option<get_table_size_fn>,
    pub get_table_entry: Option<get_table_entry_fn>,
    pub read_entry_field: Option<read_entry_field_fn>,
}

/// Reader vtable (3.1+): the legacy members plus release and iteration.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct ss_plugin_table_reader_vtable_ext {
    pub get_table_name: Option<get_table_name_fn>,
    pub get_table_size: Option<get_table_size_fn>,
    pub get_table_entry: Option<get_table_entry_fn>,
    pub read_entry_field: Option<read_entry_field_fn>,
    pub release_table_entry: Option<release_table_entry_fn>,
    pub iterate_entries: Option<iterate_entries_fn>,
}

pub type clear_table_fn = unsafe extern "C" fn(t: *mut ss_plugin_table_t) -> ss_plugin_rc;
pub type erase_table_entry_fn =
    unsafe extern "C" fn(t: *mut ss_plugin_table_t, key: *const ss_plugin_state_data) -> ss_plugin_rc;
pub type create_table_entry_fn = unsafe extern "C" fn(t: *mut ss_plugin_table_t) -> *mut ss_plugin_table_entry_t;
pub type destroy_table_entry_fn = unsafe extern "C" fn(t: *mut ss_plugin_table_t, e: *mut ss_plugin_table_entry_t);
pub type add_table_entry_fn = unsafe extern "C" fn(
    t: *mut ss_plugin_table_t,
    key: *const ss_plugin_state_data,
    entry: *mut ss_plugin_table_entry_t,
) -> *mut ss_plugin_table_entry_t;
pub type write_entry_field_fn = unsafe extern "C" fn(
    t: *mut ss_plugin_table_t,
    e: *mut ss_plugin_table_entry_t,
    f: *const ss_plugin_table_field_t,
    in_: *const ss_plugin_state_data,
) -> ss_plugin_rc;

/// Writer vtable; the legacy and `_ext` forms are identical.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct ss_plugin_table_writer_vtable {
    pub clear_table: Option<clear_table_fn>,
    pub erase_table_entry: Option<erase_table_entry_fn>,
    pub create_table_entry: Option<create_table_entry_fn>,
    pub destroy_table_entry: Option<destroy_table_entry_fn>,
    pub add_table_entry: Option<add_table_entry_fn>,
    pub write_entry_field: Option<write_entry_field_fn>,
}
pub type ss_plugin_table_writer_vtable_ext = ss_plugin_table_writer_vtable;

/// What a plugin passes to `add_table` to share a table it owns. The legacy vtables and the
/// `_ext` pointers must carry identical function pointers.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct ss_plugin_table_input {
    pub name: *const c_char,
    pub key_type: ss_plugin_state_type,
    pub table: *mut ss_plugin_table_t,
    pub reader: ss_plugin_table_reader_vtable,
    pub writer: ss_plugin_table_writer_vtable,
    pub fields: ss_plugin_table_fields_vtable,
    pub reader_ext: *mut ss_plugin_table_reader_vtable_ext,
    pub writer_ext: *mut ss_plugin_table_writer_vtable_ext,
    pub fields_ext: *mut ss_plugin_table_fields_vtable_ext,
}

pub type list_tables_fn =
    unsafe extern "C" fn(o: *mut ss_plugin_owner_t, ntables: *mut u32) -> *const ss_plugin_table_info;
pub type get_table_fn = unsafe extern "C" fn(
    o: *mut ss_plugin_owner_t,
    name: *const c_char,
    key_type: ss_plugin_state_type,
) -> *mut ss_plugin_table_t;
pub type add_table_fn =
    unsafe extern "C" fn(o: *mut ss_plugin_owner_t, in_: *const ss_plugin_table_input) -> ss_plugin_rc;

/// Table access offered to a plugin during `init` (only with parse or extract capability).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct ss_plugin_init_tables_input {
    pub list_tables: Option<list_tables_fn>,
    pub get_table: Option<get_table_fn>,
    pub add_table: Option<add_table_fn>,
    pub fields: ss_plugin_table_fields_vtable,
    pub fields_ext: *mut ss_plugin_table_fields_vtable_ext,
    pub reader_ext: *mut ss_plugin_table_reader_vtable_ext,
    pub writer_ext: *mut ss_plugin_table_writer_vtable_ext,
}

// ---------------------------------------------------------------------------------------------
// Init, parse, async, capture listening, config, metrics

/// Host logger (3.4 form: owner first). `component` NULL means "the plugin's name".
pub type ss_plugin_log_fn_t = unsafe extern "C" fn(
    o: *mut ss_plugin_owner_t,
    component: *const c_char,
    msg: *const c_char,
    sev: ss_plugin_log_severity,
);

#[repr(C)]
#[derive(Clone, Copy)]
pub struct ss_plugin_init_input {
    pub config: *const c_char,
    pub owner: *mut ss_plugin_owner_t,
    pub get_owner_last_error: Option<get_owner_last_error_fn>,
    pub tables: *const ss_plugin_init_tables_input,
    pub log_fn: Option<ss_plugin_log_fn_t>,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct ss_plugin_event_parse_input {
    pub owner: *mut ss_plugin_owner_t,
    pub get_owner_last_error: Option<get_owner_last_error_fn>,
    pub table_reader: ss_plugin_table_reader_vtable,
    pub table_writer: ss_plugin_table_writer_vtable,
    pub table_reader_ext: *mut ss_plugin_table_reader_vtable_ext,
    pub table_writer_ext: *mut ss_plugin_table_writer_vtable_ext,
}

/// Called by a plugin (from any thread) to push an async event; `err` is a plugin-owned
/// buffer of `PLUGIN_MAX_ERRLEN` bytes the host fills on failure.
pub type ss_plugin_async_event_handler_t =
    unsafe extern "C" fn(o: *mut ss_plugin_owner_t, evt: *const ss_plugin_event, err: *mut c_char) -> ss_plugin_rc;

pub type ss_plugin_routine_fn_t =
    unsafe extern "C" fn(s: *mut ss_plugin_t, i: *mut ss_plugin_routine_state_t) -> ss_plugin_bool;
pub type routine_subscribe_fn = unsafe extern "C" fn(
    o: *mut ss_plugin_owner_t,
    f: Option<ss_plugin_routine_fn_t>,
    i: *mut ss_plugin_routine_state_t,
) -> *mut ss_plugin_routine_t;
pub type routine_unsubscribe_fn =
    unsafe extern "C" fn(o: *mut ss_plugin_owner_t, r: *mut ss_plugin_routine_t) -> ss_plugin_rc;

#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct ss_plugin_routine_vtable {
    pub subscribe: Option<routine_subscribe_fn>,
    pub unsubscribe: Option<routine_unsubscribe_fn>,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct ss_plugin_capture_listen_input {
    pub owner: *mut ss_plugin_owner_t,
    pub routine: *mut ss_plugin_routine_vtable,
    pub table_reader_ext: *mut ss_plugin_table_reader_vtable_ext,
    pub table_writer_ext: *mut ss_plugin_table_writer_vtable_ext,
    pub get_owner_last_error: Option<get_owner_last_error_fn>,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct ss_plugin_set_config_input {
    pub config: *const c_char,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub union ss_plugin_metric_value {
    pub u32_: u32,
    pub s32: i32,
    pub u64_: u64,
    pub s64: i64,
    pub d: f64,
    pub f: f32,
    pub i: i32,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct ss_plugin_metric {
    pub name: *const c_char,
    pub type_: ss_plugin_metric_type,
    pub value: ss_plugin_metric_value,
    pub value_type: ss_plugin_metric_value_type,
}

// ---------------------------------------------------------------------------------------------
// Signatures of the exported `plugin_*` symbols, for hosts resolving them with dlsym.

pub mod symbols {
    use super::*;

    pub type get_required_api_version = unsafe extern "C" fn() -> *const c_char;
    pub type get_static_string = unsafe extern "C" fn() -> *const c_char;
    pub type get_init_schema = unsafe extern "C" fn(schema_type: *mut ss_plugin_schema_type) -> *const c_char;
    pub type init = unsafe extern "C" fn(input: *const ss_plugin_init_input, rc: *mut ss_plugin_rc) -> *mut ss_plugin_t;
    pub type destroy = unsafe extern "C" fn(s: *mut ss_plugin_t);
    pub type get_last_error = unsafe extern "C" fn(s: *mut ss_plugin_t) -> *const c_char;
    pub type set_config =
        unsafe extern "C" fn(s: *mut ss_plugin_t, i: *const ss_plugin_set_config_input) -> ss_plugin_rc;
    pub type get_metrics = unsafe extern "C" fn(s: *mut ss_plugin_t, num_metrics: *mut u32) -> *mut ss_plugin_metric;
    pub type get_required_event_schema_version = unsafe extern "C" fn(s: *mut ss_plugin_t) -> *const c_char;

    pub type get_id = unsafe extern "C" fn() -> u32;
    pub type open =
        unsafe extern "C" fn(s: *mut ss_plugin_t, params: *const c_char, rc: *mut ss_plugin_rc) -> *mut ss_instance_t;
    pub type close = unsafe extern "C" fn(s: *mut ss_plugin_t, h: *mut ss_instance_t);
    pub type next_batch = unsafe extern "C" fn(
        s: *mut ss_plugin_t,
        h: *mut ss_instance_t,
        nevts: *mut u32,
        evts: *mut *mut *mut ss_plugin_event,
    ) -> ss_plugin_rc;
    pub type get_progress =
        unsafe extern "C" fn(s: *mut ss_plugin_t, h: *mut ss_instance_t, progress_pct: *mut u32) -> *const c_char;
    pub type event_to_string =
        unsafe extern "C" fn(s: *mut ss_plugin_t, evt: *const ss_plugin_event_input) -> *const c_char;
    pub type list_open_params = unsafe extern "C" fn(s: *mut ss_plugin_t, rc: *mut ss_plugin_rc) -> *const c_char;

    pub type extract_fields = unsafe extern "C" fn(
        s: *mut ss_plugin_t,
        evt: *const ss_plugin_event_input,
        input: *const ss_plugin_field_extract_input,
    ) -> ss_plugin_rc;
    pub type get_event_types = unsafe extern "C" fn(numtypes: *mut u32, s: *mut ss_plugin_t) -> *mut u16;

    pub type parse_event = unsafe extern "C" fn(
        s: *mut ss_plugin_t,
        evt: *const ss_plugin_event_input,
        input: *const ss_plugin_event_parse_input,
    ) -> ss_plugin_rc;

    pub type set_async_event_handler = unsafe extern "C" fn(
        s: *mut ss_plugin_t,
        owner: *mut ss_plugin_owner_t,
        handler: Option<ss_plugin_async_event_handler_t>,
    ) -> ss_plugin_rc;
    pub type dump_state = set_async_event_handler;

    pub type capture_listen =
        unsafe extern "C" fn(s: *mut ss_plugin_t, i: *const ss_plugin_capture_listen_input) -> ss_plugin_rc;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{offset_of, size_of};

    #[test]
    fn sizes_match_the_c_abi() {
        assert_eq!(size_of::<ss_plugin_event>(), 26);
        assert_eq!(size_of::<ss_plugin_event_input>(), 24);
        assert_eq!(size_of::<ss_plugin_byte_buffer>(), 16);
        assert_eq!(size_of::<ss_plugin_extract_value_offsets>(), 16);
        assert_eq!(size_of::<ss_plugin_extract_field>(), 64);
        assert_eq!(size_of::<ss_plugin_field_extract_input>(), 80);
        assert_eq!(size_of::<ss_plugin_event_parse_input>(), 112);
        assert_eq!(size_of::<ss_plugin_init_input>(), 40);
        assert_eq!(size_of::<ss_plugin_init_tables_input>(), 72);
        assert_eq!(size_of::<ss_plugin_table_input>(), 152);
        assert_eq!(size_of::<ss_plugin_state_data>(), 8);
        assert_eq!(size_of::<ss_plugin_table_info>(), 16);
        assert_eq!(size_of::<ss_plugin_table_fieldinfo>(), 16);
        assert_eq!(size_of::<ss_plugin_metric>(), 32);
        assert_eq!(size_of::<ss_plugin_capture_listen_input>(), 40);
        assert_eq!(size_of::<ss_plugin_routine_vtable>(), 16);
        assert_eq!(size_of::<ss_plugin_set_config_input>(), 8);
    }

    #[test]
    fn offsets_match_the_c_abi() {
        assert_eq!(offset_of!(ss_plugin_event, tid), 8);
        assert_eq!(offset_of!(ss_plugin_event, len), 16);
        assert_eq!(offset_of!(ss_plugin_event, type_), 20);
        assert_eq!(offset_of!(ss_plugin_event, nparams), 22);
        assert_eq!(offset_of!(ss_plugin_extract_field, res_len), 8);
        assert_eq!(offset_of!(ss_plugin_extract_field, field_id), 16);
        assert_eq!(offset_of!(ss_plugin_extract_field, field), 24);
        assert_eq!(offset_of!(ss_plugin_extract_field, arg_key), 32);
        assert_eq!(offset_of!(ss_plugin_extract_field, arg_index), 40);
        assert_eq!(offset_of!(ss_plugin_extract_field, arg_present), 48);
        assert_eq!(offset_of!(ss_plugin_extract_field, ftype), 52);
        assert_eq!(offset_of!(ss_plugin_extract_field, flist), 56);
        assert_eq!(offset_of!(ss_plugin_field_extract_input, num_fields), 16);
        assert_eq!(offset_of!(ss_plugin_field_extract_input, fields), 24);
        assert_eq!(offset_of!(ss_plugin_field_extract_input, table_reader), 32);
        assert_eq!(offset_of!(ss_plugin_field_extract_input, table_reader_ext), 64);
        assert_eq!(offset_of!(ss_plugin_field_extract_input, value_offsets), 72);
        assert_eq!(offset_of!(ss_plugin_event_parse_input, table_reader), 16);
        assert_eq!(offset_of!(ss_plugin_event_parse_input, table_writer), 48);
        assert_eq!(offset_of!(ss_plugin_event_parse_input, table_reader_ext), 96);
        assert_eq!(offset_of!(ss_plugin_event_parse_input, table_writer_ext), 104);
        assert_eq!(offset_of!(ss_plugin_init_input, tables), 24);
        assert_eq!(offset_of!(ss_plugin_init_input, log_fn), 32);
        assert_eq!(offset_of!(ss_plugin_init_tables_input, fields), 24);
        assert_eq!(offset_of!(ss_plugin_init_tables_input, fields_ext), 48);
        assert_eq!(offset_of!(ss_plugin_init_tables_input, reader_ext), 56);
        assert_eq!(offset_of!(ss_plugin_init_tables_input, writer_ext), 64);
        assert_eq!(offset_of!(ss_plugin_table_input, key_type), 8);
        assert_eq!(offset_of!(ss_plugin_table_input, table), 16);
        assert_eq!(offset_of!(ss_plugin_table_input, reader), 24);
        assert_eq!(offset_of!(ss_plugin_table_input, writer), 56);
        assert_eq!(offset_of!(ss_plugin_table_input, fields), 104);
        assert_eq!(offset_of!(ss_plugin_table_input, reader_ext), 128);
        assert_eq!(offset_of!(ss_plugin_table_input, writer_ext), 136);
        assert_eq!(offset_of!(ss_plugin_table_input, fields_ext), 144);
        assert_eq!(offset_of!(ss_plugin_table_fieldinfo, read_only), 12);
        assert_eq!(offset_of!(ss_plugin_metric, type_), 8);
        assert_eq!(offset_of!(ss_plugin_metric, value), 16);
        assert_eq!(offset_of!(ss_plugin_metric, value_type), 24);
        assert_eq!(offset_of!(ss_plugin_capture_listen_input, routine), 8);
        assert_eq!(offset_of!(ss_plugin_capture_listen_input, table_reader_ext), 16);
        assert_eq!(offset_of!(ss_plugin_capture_listen_input, table_writer_ext), 24);
        assert_eq!(offset_of!(ss_plugin_capture_listen_input, get_owner_last_error), 32);
    }
}
