//! Field extraction capability: field declarations usable in `const` arrays, the request a
//! plugin sees, and the typed output buffer.

use std::net::IpAddr;

use super::tables::TableReader;
use super::{Plugin, PluginError};
use crate::event::{EventRef, PluginEvent};
use crate::ffi;

/// Type of an extracted field (`ss_plugin_field_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum FieldType {
    U64 = ffi::FTYPE_UINT64,
    String = ffi::FTYPE_STRING,
    RelTime = ffi::FTYPE_RELTIME,
    AbsTime = ffi::FTYPE_ABSTIME,
    Bool = ffi::FTYPE_BOOL,
    IpAddr = ffi::FTYPE_IPADDR,
    IpNet = ffi::FTYPE_IPNET,
}

impl FieldType {
    /// The name used in `get_fields` JSON.
    pub const fn json_name(self) -> &'static str {
        match self {
            FieldType::U64 => "uint64",
            FieldType::String => "string",
            FieldType::RelTime => "reltime",
            FieldType::AbsTime => "abstime",
            FieldType::Bool => "bool",
            FieldType::IpAddr => "ipaddr",
            FieldType::IpNet => "ipnet",
        }
    }
    pub const fn code(self) -> u32 {
        self as u32
    }
}

/// Which argument a field accepts: `field[3]` (index) and/or `field[key]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ArgSpec {
    pub required: bool,
    pub index: bool,
    pub key: bool,
}

impl ArgSpec {
    pub const NONE: ArgSpec = ArgSpec {
        required: false,
        index: false,
        key: false,
    };
}

/// One exported field, as `get_fields` describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldDef {
    pub name: &'static str,
    pub ty: FieldType,
    pub desc: &'static str,
    pub display: Option<&'static str>,
    pub is_list: bool,
    pub arg: ArgSpec,
    /// e.g. `"hidden"`, `"info"`, `"conversation"`.
    pub properties: &'static [&'static str],
    /// Suggest appending the field to rule outputs (3.8).
    pub add_output: bool,
    /// Saker extension: the libsinsp `PT_*` type the value really has (JSON key `sakerType`);
    /// Falco-style hosts ignore it.
    pub saker_type: Option<&'static str>,
    /// Saker extension: the argument may also be written after a dot, `evt.arg.fd`
    /// (JSON key `sakerDotted`).
    pub dotted: bool,
}

impl FieldDef {
    /// A scalar field without argument.
    pub const fn new(name: &'static str, ty: FieldType, desc: &'static str) -> Self {
        FieldDef {
            name,
            ty,
            desc,
            display: None,
            is_list: false,
            arg: ArgSpec::NONE,
            properties: &[],
            add_output: false,
            saker_type: None,
            dotted: false,
        }
    }
    pub const fn list(mut self) -> Self {
        self.is_list = true;
        self
    }
    pub const fn display(mut self, display: &'static str) -> Self {
        self.display = Some(display);
        self
    }
    /// Accepts a numeric index argument `field[N]`.
    pub const fn index_arg(mut self, required: bool) -> Self {
        self.arg.index = true;
        self.arg.required = required;
        self
    }
    /// Accepts a string key argument `field[key]`.
    pub const fn key_arg(mut self, required: bool) -> Self {
        self.arg.key = true;
        self.arg.required = required;
        self
    }
    pub const fn properties(mut self, properties: &'static [&'static str]) -> Self {
        self.properties = properties;
        self
    }
    pub const fn add_output(mut self) -> Self {
        self.add_output = true;
        self
    }
    /// Saker extension: declares the libsinsp `PT_*` type (e.g. `"PT_INT64"`).
    pub const fn saker_type(mut self, pt: &'static str) -> Self {
        self.saker_type = Some(pt);
        self
    }
    /// Saker extension: the argument may be given after a dot (`evt.arg.fd`).
    pub const fn dotted(mut self) -> Self {
        self.dotted = true;
        self
    }
}

/// The argument of a field request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldArg<'a> {
    None,
    Index(u64),
    Key(&'a str),
}

/// One field request of an `extract_fields` call.
#[derive(Clone, Copy)]
pub struct ExtractRequest<'a> {
    /// Index of the field in `ExtractPlugin::FIELDS`.
    pub field_index: usize,
    pub field: &'static FieldDef,
    pub arg: FieldArg<'a>,
    pub event: EventRef<'a>,
    /// The decoded plugin event, when the event is of type 322.
    pub plugin_event: Option<PluginEvent<'a>>,
    /// Host event number.
    pub evt_num: u64,
    pub(crate) source: SourceName<'a>,
    pub tables: &'a TableReader<'a>,
}

impl<'a> ExtractRequest<'a> {
    /// The field's name.
    #[inline]
    pub fn name(&self) -> &'static str {
        self.field.name
    }
    /// Payload of the plugin event (empty for other event types).
    #[inline]
    pub fn data(&self) -> &'a [u8] {
        self.plugin_event.map(|p| p.data).unwrap_or(&[])
    }
    /// Name of the event's source (`"syscall"` or a plugin source); `""` if not UTF-8.
    #[inline]
    pub fn source(&self) -> &'a str {
        self.source.get()
    }
}

/// The event's source name, measured only when asked for (saves a `strlen` per call).
#[derive(Clone, Copy)]
pub(crate) struct SourceName<'a> {
    ptr: *const std::ffi::c_char,
    _host: std::marker::PhantomData<&'a std::ffi::CStr>,
}

impl<'a> SourceName<'a> {
    /// # Safety
    /// `ptr` must be NULL or a C string valid for `'a`.
    pub(crate) unsafe fn from_raw(ptr: *const std::ffi::c_char) -> Self {
        SourceName {
            ptr,
            _host: std::marker::PhantomData,
        }
    }
    pub(crate) fn get(&self) -> &'a str {
        if self.ptr.is_null() {
            return "";
        }
        // SAFETY: from_raw's contract.
        unsafe { std::ffi::CStr::from_ptr(self.ptr) }.to_str().unwrap_or("")
    }
}

/// Field extraction capability.
pub trait ExtractPlugin: Plugin {
    const FIELDS: &'static [FieldDef];
    /// Sources whose events this plugin extracts from; empty = its own source (or any).
    const EXTRACT_EVENT_SOURCES: &'static [&'static str] = &[];
    /// Event types this plugin extracts from; default only plugin events (322).
    const EXTRACT_EVENT_TYPES: &'static [u16] = &[ffi::PPME_PLUGINEVENT_E];

    /// Extracts one field. Leaving `out` empty means "no value".
    fn extract(&mut self, req: ExtractRequest<'_>, out: &mut ExtractOutput) -> Result<(), PluginError>;

    /// What the SDK calls for each field: [`ExtractPlugin::extract`] on a copy of the request.
    /// The SDK builds the request once per `extract_fields` call and only changes the field
    /// and argument between fields; a plugin on a hot path may implement this instead of
    /// copying the request (its `extract` then just calls `extract_ref(&req, out)`).
    #[inline]
    fn extract_ref(&mut self, req: &ExtractRequest<'_>, out: &mut ExtractOutput) -> Result<(), PluginError> {
        self.extract(*req, out)
    }
}

/// The field of a request before the first field of a call is set (never extracted).
pub(crate) static NO_FIELD: FieldDef = FieldDef::new("", FieldType::U64, "");

/// Where a field's values are stored until `res` pointers are published: the index of the
/// storage's base pointer in [`ExtractOutput::publish`] (`u64s`, `bools`, `str_ptrs`, `bufs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Store {
    U64 = 0,
    Bool = 1,
    Str = 2,
    Buf = 3,
}

/// Size of one value of each [`Store`], in its array.
const STORE_VALUE_SIZE: [usize; 4] = [
    std::mem::size_of::<u64>(),
    std::mem::size_of::<u32>(),
    std::mem::size_of::<*const std::ffi::c_char>(),
    std::mem::size_of::<ffi::ss_plugin_byte_buffer>(),
];

/// The values of one field: `count` values from byte `offset` of its store's array.
#[derive(Debug, Clone, Copy)]
struct Pending {
    store: Store,
    offset: usize,
    count: usize,
}

impl Pending {
    /// A field without values (an unknown field id).
    const NONE: Pending = Pending {
        store: Store::U64,
        offset: 0,
        count: 0,
    };

    /// Bits of a placeholder holding the store; the byte offset is above them.
    const STORE_BITS: u32 = 2;

    /// Parks this field's result in its request until [`ExtractOutput::publish`]: `res_len`
    /// is final, `res` holds the store and offset (the stores may still grow and move).
    #[inline]
    fn write_to(self, req: &mut ffi::ss_plugin_extract_field) {
        let placeholder = (self.offset << Self::STORE_BITS) | self.store as usize;
        req.res = ffi::ss_plugin_extract_field_res {
            u64_: std::ptr::without_provenance_mut(placeholder),
        };
        req.res_len = self.count as u64;
    }
}

impl Default for Pending {
    fn default() -> Self {
        Pending::NONE
    }
}

/// Reused storage for the values of one `extract_fields` call.
///
/// Values of all fields of a call are collected first; the `res` pointers are set only once
/// every field is done, so growing a buffer never invalidates an earlier field's result
/// (the official Rust SDK's multi-field bug, `reference/plugin-abi.md` §14).
#[derive(Debug, Default)]
pub struct ExtractOutput {
    u64s: Vec<u64>,
    bools: Vec<u32>,
    /// NUL-terminated strings and raw address bytes, back to back.
    bytes: Vec<u8>,
    str_offsets: Vec<usize>,
    buf_specs: Vec<(usize, u32)>,
    str_ptrs: Vec<*const std::ffi::c_char>,
    bufs: Vec<ffi::ss_plugin_byte_buffer>,
    /// The field being extracted (None outside of a field) and its values so far.
    field: Option<&'static FieldDef>,
    current: Pending,
}

/// A value of the wrong kind for the field being extracted.
fn mismatch(field: &FieldDef, given: &str) -> PluginError {
    PluginError::Message(format!(
        "field {} is declared {}{} but the plugin returned {given}",
        field.name,
        field.ty.json_name(),
        if field.is_list { " list" } else { "" }
    ))
}

impl ExtractOutput {
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts a call (keeps capacity).
    #[inline]
    pub(crate) fn reset(&mut self) {
        self.u64s.clear();
        self.bools.clear();
        self.bytes.clear();
        self.str_offsets.clear();
        self.buf_specs.clear();
        self.field = None;
    }

    /// Starts a field. Where its values go is learnt from its first value (see [`Self::slot`]):
    /// no dispatch on the field's type here.
    #[inline]
    pub(crate) fn begin_field(&mut self, field: &'static FieldDef) {
        self.field = Some(field);
        // The first value sets the rest of `current`; without one only the count is read.
        self.current.count = 0;
    }

    /// Ends the current field, whose request is `req`; on error its values are dropped
    /// (reported as "no value"). Until [`Self::publish`], `req.res` holds where the values
    /// will be (see [`Pending::write_to`]), not a pointer.
    #[inline]
    pub(crate) fn end_field(&mut self, ok: bool, req: &mut ffi::ss_plugin_extract_field) {
        let mut p = self.current;
        if !ok {
            p.count = 0;
        }
        self.field = None;
        p.write_to(req);
    }

    /// Records a field that has no definition (an unknown field id): no values.
    #[inline]
    pub(crate) fn skip_field(&mut self, req: &mut ffi::ss_plugin_extract_field) {
        Pending::NONE.write_to(req);
    }

    /// Counts one more value of type `ty` for the current field, which goes at index `len` of
    /// `store`'s array; the first value fixes where the field's values start.
    #[inline]
    fn slot(&mut self, ty: FieldType, store: Store, len: usize, given: &str) -> Result<(), PluginError> {
        match self.field {
            Some(field) if field.ty == ty && self.current.count == 0 => {
                self.current = Pending {
                    store,
                    offset: len * STORE_VALUE_SIZE[store as usize],
                    count: 1,
                };
                Ok(())
            }
            Some(field) if field.ty == ty && field.is_list => {
                self.current.count += 1;
                Ok(())
            }
            _ => self.slot_slow(ty, given),
        }
    }

    /// The rare cases of [`Self::slot`]: errors, and a second value of a several-candidate field.
    #[cold]
    fn slot_slow(&mut self, ty: FieldType, given: &str) -> Result<(), PluginError> {
        let Some(field) = self.field else {
            return Err(PluginError::msg("extract output used outside of an extract call"));
        };
        if field.ty != ty {
            return Err(mismatch(field, given));
        }
        // Saker's several-candidate fields (either end, any ancestor) may return more than one.
        let several = field
            .properties
            .iter()
            .any(|p| *p == "sakerEitherEnd" || *p == "sakerAnyAncestor");
        if !field.is_list && self.current.count >= 1 && !several {
            return Err(PluginError::Message(format!(
                "field {} is not a list but the plugin returned more than one value; declare it with .list()",
                field.name
            )));
        }
        self.current.count += 1;
        Ok(())
    }

    /// A `uint64` value.
    #[inline]
    pub fn u64(&mut self, v: u64) -> Result<(), PluginError> {
        self.slot(FieldType::U64, Store::U64, self.u64s.len(), "a uint64")?;
        self.u64s.push(v);
        Ok(())
    }
    /// A `reltime` value (nanoseconds).
    #[inline]
    pub fn reltime(&mut self, ns: u64) -> Result<(), PluginError> {
        self.slot(FieldType::RelTime, Store::U64, self.u64s.len(), "a reltime")?;
        self.u64s.push(ns);
        Ok(())
    }
    /// An `abstime` value (nanoseconds since the epoch).
    #[inline]
    pub fn abstime(&mut self, ns: u64) -> Result<(), PluginError> {
        self.slot(FieldType::AbsTime, Store::U64, self.u64s.len(), "an abstime")?;
        self.u64s.push(ns);
        Ok(())
    }
    #[inline]
    pub fn bool(&mut self, v: bool) -> Result<(), PluginError> {
        self.slot(FieldType::Bool, Store::Bool, self.bools.len(), "a bool")?;
        self.bools.push(v as u32);
        Ok(())
    }
    /// A string value (copied; an interior NUL ends the string for C readers).
    #[inline]
    pub fn str(&mut self, s: &str) -> Result<(), PluginError> {
        self.slot(FieldType::String, Store::Str, self.str_offsets.len(), "a string")?;
        self.str_offsets.push(self.bytes.len());
        self.bytes.extend_from_slice(s.as_bytes());
        self.bytes.push(0);
        Ok(())
    }
    /// A string value assembled with `write!` without an intermediate `String`.
    #[inline]
    pub fn str_fmt(&mut self, args: std::fmt::Arguments<'_>) -> Result<(), PluginError> {
        use std::io::Write;
        self.slot(FieldType::String, Store::Str, self.str_offsets.len(), "a string")?;
        self.str_offsets.push(self.bytes.len());
        self.bytes.write_fmt(args).map_err(PluginError::msg)?;
        self.bytes.push(0);
        Ok(())
    }
    /// Several `uint64` values of a list field.
    pub fn u64_list(&mut self, values: impl IntoIterator<Item = u64>) -> Result<(), PluginError> {
        values.into_iter().try_for_each(|v| self.u64(v))
    }
    /// Several string values of a list field.
    pub fn str_list<'s>(&mut self, values: impl IntoIterator<Item = &'s str>) -> Result<(), PluginError> {
        values.into_iter().try_for_each(|v| self.str(v))
    }
    /// An `ipaddr` value.
    #[inline]
    pub fn ip(&mut self, addr: IpAddr) -> Result<(), PluginError> {
        self.slot(FieldType::IpAddr, Store::Buf, self.buf_specs.len(), "an ipaddr")?;
        self.push_addr(addr);
        Ok(())
    }
    /// An `ipnet` value (the ABI carries only the network address).
    #[inline]
    pub fn ipnet(&mut self, addr: IpAddr) -> Result<(), PluginError> {
        self.slot(FieldType::IpNet, Store::Buf, self.buf_specs.len(), "an ipnet")?;
        self.push_addr(addr);
        Ok(())
    }
    #[inline]
    fn push_addr(&mut self, addr: IpAddr) {
        let off = self.bytes.len();
        match addr {
            IpAddr::V4(a) => self.bytes.extend_from_slice(&a.octets()),
            IpAddr::V6(a) => self.bytes.extend_from_slice(&a.octets()),
        }
        self.buf_specs.push((off, (self.bytes.len() - off) as u32));
    }

    /// Sets `res`/`res_len` of every request from the collected values.
    ///
    /// `fields` are the call's requests, each ended or skipped since [`Self::reset`].
    #[inline]
    pub(crate) fn publish(&mut self, fields: &mut [ffi::ss_plugin_extract_field]) {
        // Most calls carry no string or address: skip the loops' setup then (no pending
        // field points into `str_ptrs` or `bufs` then).
        if !self.str_offsets.is_empty() {
            self.str_ptrs.clear();
            let base = self.bytes.as_ptr();
            let ptrs = self
                .str_offsets
                .iter()
                .map(|&o| base.wrapping_add(o).cast::<std::ffi::c_char>());
            self.str_ptrs.extend(ptrs);
        }
        if !self.buf_specs.is_empty() {
            self.bufs.clear();
            let base = self.bytes.as_ptr();
            let bufs = self.buf_specs.iter().map(|&(o, len)| ffi::ss_plugin_byte_buffer {
                len,
                ptr: base.wrapping_add(o).cast(),
            });
            self.bufs.extend(bufs);
        }
        // Every `res` member is a pointer to the field's first value: one base per store.
        let bases: [*mut u8; 4] = [
            self.u64s.as_mut_ptr().cast(),
            self.bools.as_mut_ptr().cast(),
            self.str_ptrs.as_mut_ptr().cast(),
            self.bufs.as_mut_ptr().cast(),
        ];
        let publish_one = |f: &mut ffi::ss_plugin_extract_field| {
            const STORE_MASK: usize = (1 << Pending::STORE_BITS) - 1;
            // SAFETY: `end_field`/`skip_field` set every request's `res` to a placeholder.
            let placeholder = unsafe { f.res.u64_ } as usize;
            let base = bases[placeholder & STORE_MASK];
            f.res = ffi::ss_plugin_extract_field_res {
                u64_: base.wrapping_add(placeholder >> Pending::STORE_BITS).cast(),
            };
        };
        // Hosts mostly ask one field per call: skip the unrolled loop's setup then.
        match fields {
            [f] => publish_one(f),
            _ => fields.iter_mut().for_each(publish_one),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static NUM: FieldDef = FieldDef::new("t.num", FieldType::U64, "n");
    static NAMES: FieldDef = FieldDef::new("t.names", FieldType::String, "names").list();
    static ADDR: FieldDef = FieldDef::new("t.addr", FieldType::IpAddr, "addr");

    fn blank() -> ffi::ss_plugin_extract_field {
        ffi::ss_plugin_extract_field {
            res: ffi::ss_plugin_extract_field_res {
                u64_: std::ptr::null_mut(),
            },
            res_len: 99,
            field_id: 0,
            field: std::ptr::null(),
            arg_key: std::ptr::null(),
            arg_index: 0,
            arg_present: 0,
            ftype: 0,
            flist: 0,
        }
    }

    #[test]
    fn wrong_type_and_second_scalar_value_are_errors() {
        let mut out = ExtractOutput::new();
        out.reset();
        out.begin_field(&NUM);
        let e = out.str("x").unwrap_err().to_string();
        assert_eq!(e, "field t.num is declared uint64 but the plugin returned a string");
        out.u64(1).unwrap();
        let e = out.u64(2).unwrap_err().to_string();
        assert!(e.contains("is not a list"), "{e}");
        let e = out.u64_list([3, 4]).unwrap_err().to_string();
        assert!(e.contains("is not a list"), "{e}");
        out.end_field(true, &mut blank());
    }

    #[test]
    fn an_unknown_field_keeps_its_place_among_the_results() {
        let mut out = ExtractOutput::new();
        out.reset();
        // An unknown field id has no FieldDef: it is skipped.
        let mut fields = [blank(), blank()];
        out.skip_field(&mut fields[0]);
        out.begin_field(&NUM);
        out.u64(7).unwrap();
        out.end_field(true, &mut fields[1]);
        out.publish(&mut fields);
        assert_eq!(fields.map(|f| f.res_len), [0, 1]);
        // SAFETY: the second request's res points at one u64 owned by `out`.
        assert_eq!(unsafe { *fields[1].res.u64_ }, 7);
    }

    #[test]
    fn a_field_without_values_does_not_shift_the_others() {
        static EVEN: FieldDef = FieldDef::new("t.even", FieldType::Bool, "even");
        let mut out = ExtractOutput::new();
        out.reset();
        let mut fields = [blank(), blank(), blank(), blank()];
        out.begin_field(&NUM);
        out.end_field(true, &mut fields[0]); // no value
        out.begin_field(&EVEN);
        out.bool(true).unwrap();
        out.end_field(true, &mut fields[1]);
        out.begin_field(&NAMES);
        out.str_list(["a", "b"]).unwrap();
        out.end_field(true, &mut fields[2]);
        out.begin_field(&NUM);
        out.u64(42).unwrap();
        out.end_field(true, &mut fields[3]);
        out.publish(&mut fields);
        assert_eq!(fields.map(|f| f.res_len), [0, 1, 2, 1]);
        // SAFETY: res points at res_len values owned by `out`.
        unsafe {
            assert_eq!(*fields[1].res.boolean, 1);
            let s = std::ffi::CStr::from_ptr(*fields[2].res.str_.add(1));
            assert_eq!(s.to_str().unwrap(), "b");
            assert_eq!(*fields[3].res.u64_, 42);
        }
    }

    #[test]
    fn results_of_every_field_survive_buffer_growth() {
        let mut out = ExtractOutput::new();
        out.reset();
        let mut fields = [blank(), blank(), blank(), blank()];
        out.begin_field(&NAMES);
        out.str_list(["first", "second"]).unwrap();
        out.end_field(true, &mut fields[0]);
        out.begin_field(&ADDR);
        out.ip("192.168.1.2".parse().unwrap()).unwrap();
        out.end_field(true, &mut fields[1]);
        out.begin_field(&NAMES);
        // Grow the byte arena a lot: earlier pointers must still be right after publish.
        for i in 0..1000 {
            out.str_fmt(format_args!("n{i}")).unwrap();
        }
        out.end_field(true, &mut fields[2]);
        out.begin_field(&NUM);
        out.u64(5).unwrap();
        out.end_field(false, &mut fields[3]); // failed field: no value
        out.publish(&mut fields);
        assert_eq!(fields.map(|f| f.res_len), [2, 1, 1000, 0]);
        // SAFETY: res points at res_len C strings / buffers owned by `out`.
        unsafe {
            let s = std::ffi::CStr::from_ptr(*fields[0].res.str_.add(1));
            assert_eq!(s.to_str().unwrap(), "second");
            let b = *fields[1].res.buf;
            assert_eq!(
                std::slice::from_raw_parts(b.ptr.cast::<u8>(), b.len as usize),
                &[192, 168, 1, 2]
            );
            let s = std::ffi::CStr::from_ptr(*fields[2].res.str_.add(999));
            assert_eq!(s.to_str().unwrap(), "n999");
        }
    }
}
