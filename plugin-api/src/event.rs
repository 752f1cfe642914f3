//! scap events as bytes: the 26-byte packed header, the parameter length slots and the
//! parameters (`reference/plugin-abi.md` §6).
//!
//! Everything here reads with unaligned loads: plugins hand over events at any address
//! (the official Rust SDK packs them back to back, so `ptr % 8` is often 5 or 7).
//! Parsing never trusts `len`: the length slots are read first and the sum is checked.

use crate::ffi::{ss_plugin_event, EVENT_HEADER_LEN, PPME_ASYNCEVENT_E, PPME_PLUGINEVENT_E};

/// Largest event Saker accepts (64 MiB). Bigger `len` fields are treated as corruption.
pub const MAX_EVENT_LEN: usize = 64 << 20;
/// Width of a parameter length slot for ordinary event types.
pub const PARAM_SLOT_LEN: usize = 2;
/// Width of a parameter length slot for `EF_LARGE_PAYLOAD` event types (322 and 402).
pub const LARGE_PARAM_SLOT_LEN: usize = 4;
/// Number of parameters of a plugin event (322): plugin id, data.
pub const PLUGIN_EVENT_NPARAMS: u32 = 2;
/// Number of parameters of an async event (402): plugin id, name, data.
pub const ASYNC_EVENT_NPARAMS: u32 = 3;
/// Length of the plugin id parameter of 322 and 402 events.
pub const PLUGIN_ID_PARAM_LEN: usize = 4;
/// Thread id of events that belong to no thread (plugin sources).
pub const NO_THREAD_ID: u64 = u64::MAX;
/// Timestamp meaning "the host stamps the current time".
pub const TS_NOW: u64 = u64::MAX;

/// What can be wrong with event bytes. Messages give the expected and found values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("event is {found} bytes, shorter than the {EVENT_HEADER_LEN}-byte scap header")]
    ShortHeader { found: usize },
    #[error("event length field says {len} but it must be at least the {EVENT_HEADER_LEN}-byte header")]
    LenBelowHeader { len: u32 },
    #[error("event length field says {len}, above the limit of {MAX_EVENT_LEN} bytes (corrupt event?)")]
    TooLarge { len: u64 },
    #[error("event length field says {len} but only {available} bytes are available")]
    Truncated { len: u32, available: usize },
    #[error("event of type {event_type} declares {nparams} parameters whose {slot_width}-byte length slots need {needed} bytes after the header, but the event length leaves {available}")]
    SlotsOverflow {
        event_type: u16,
        nparams: u32,
        slot_width: usize,
        needed: u64,
        available: usize,
    },
    #[error("event length field says {len} but header+params add up to {computed}")]
    LenMismatch { len: u32, computed: u64 },
    #[error("expected event type {expected} but found {found}")]
    WrongType { expected: u16, found: u16 },
    #[error("event of type {event_type} should have {expected} parameters but has {found}")]
    WrongParamCount { event_type: u16, expected: u32, found: u32 },
    #[error("plugin id parameter should be {PLUGIN_ID_PARAM_LEN} bytes but is {found}")]
    BadPluginIdLen { found: usize },
    #[error("async event name should be a NUL-terminated UTF-8 string (length includes the NUL); found {found:?}")]
    BadAsyncName { found: String },
    #[error("async event name {name:?} contains a NUL byte; names are NUL-terminated C strings")]
    NulInAsyncName { name: String },
    #[error("parameter {index} is {len} bytes, larger than a {slot_width}-byte length slot can hold")]
    ParamTooLong {
        index: usize,
        len: usize,
        slot_width: usize,
    },
    #[error("event writer: {written} of {declared} declared parameters were written before finish")]
    MissingParams { declared: u32, written: u32 },
    #[error("event writer: parameter {index} written but only {declared} were declared")]
    ExtraParam { declared: u32, index: u32 },
    #[error("event pointer is NULL")]
    NullPointer,
}

/// Decoded scap event header (the fields of the packed `ss_plugin_event`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EventHeader {
    pub ts: u64,
    pub tid: u64,
    pub len: u32,
    pub event_type: u16,
    pub nparams: u32,
}

// One bounds check per read (indexing each byte would check every one of them).
#[inline]
fn u16_at(b: &[u8], at: usize) -> u16 {
    let bytes: [u8; 2] = b[at..at + 2].try_into().expect("slice of 2 bytes");
    u16::from_ne_bytes(bytes)
}
#[inline]
fn u32_at(b: &[u8], at: usize) -> u32 {
    let bytes: [u8; 4] = b[at..at + 4].try_into().expect("slice of 4 bytes");
    u32::from_ne_bytes(bytes)
}
#[inline]
fn u64_at(b: &[u8], at: usize) -> u64 {
    let bytes: [u8; 8] = b[at..at + 8].try_into().expect("slice of 8 bytes");
    u64::from_ne_bytes(bytes)
}

impl EventHeader {
    /// Reads the header from the first 26 bytes of `bytes` (any alignment).
    #[inline]
    pub fn read(bytes: &[u8]) -> Result<Self, EventError> {
        if bytes.len() < EVENT_HEADER_LEN {
            return Err(EventError::ShortHeader { found: bytes.len() });
        }
        Ok(EventHeader {
            ts: u64_at(bytes, 0),
            tid: u64_at(bytes, 8),
            len: u32_at(bytes, 16),
            event_type: u16_at(bytes, 20),
            nparams: u32_at(bytes, 22),
        })
    }

    /// Reads the header behind a raw event pointer with an unaligned load.
    ///
    /// # Safety
    /// `evt` must be non-NULL and point to at least 26 readable bytes (alignment not required).
    #[inline]
    pub unsafe fn read_raw(evt: *const ss_plugin_event) -> Self {
        // SAFETY: the caller guarantees 26 readable bytes; read_unaligned needs no alignment.
        let raw = unsafe { std::ptr::read_unaligned(evt) };
        EventHeader {
            ts: raw.ts,
            tid: raw.tid,
            len: raw.len,
            event_type: raw.type_,
            nparams: raw.nparams,
        }
    }

    /// Appends the 26 header bytes to `out`.
    #[inline]
    pub fn write_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_bytes());
    }

    /// The 26 header bytes (one copy instead of five appends).
    #[inline]
    pub fn to_bytes(&self) -> [u8; EVENT_HEADER_LEN] {
        let mut b = [0u8; EVENT_HEADER_LEN];
        b[0..8].copy_from_slice(&self.ts.to_ne_bytes());
        b[8..16].copy_from_slice(&self.tid.to_ne_bytes());
        b[16..20].copy_from_slice(&self.len.to_ne_bytes());
        b[20..22].copy_from_slice(&self.event_type.to_ne_bytes());
        b[22..26].copy_from_slice(&self.nparams.to_ne_bytes());
        b
    }
}

/// True when events of this type use 4-byte parameter length slots (libscap `EF_LARGE_PAYLOAD`).
///
/// The one place that answers this question. In libscap's event table (schema 4.x) exactly
/// three types carry the flag: plugin events, `PPME_CONTAINER_JSON_2_E` and async events.
#[inline]
pub fn is_large_payload(event_type: u16) -> bool {
    matches!(
        event_type,
        PPME_PLUGINEVENT_E | PPME_CONTAINER_JSON_2_E | PPME_ASYNCEVENT_E
    )
}

/// libscap event code of `PPME_CONTAINER_JSON_2_E` (container metadata as JSON, large payload).
pub const PPME_CONTAINER_JSON_2_E: u16 = 324;

#[inline]
fn slot_width(large_payload: bool) -> usize {
    if large_payload {
        LARGE_PARAM_SLOT_LEN
    } else {
        PARAM_SLOT_LEN
    }
}

/// A validated view over exactly one event's bytes.
#[derive(Debug, Clone, Copy)]
pub struct EventRef<'a> {
    header: EventHeader,
    bytes: &'a [u8],
    slot_width: usize,
}

impl<'a> EventRef<'a> {
    /// Validates the event at the start of `bytes`: header, `nparams` length slots
    /// (4 bytes each if `large_payload`, else 2), `26 + slots + Σ lengths == len`,
    /// `len <= bytes.len()` and `len <= MAX_EVENT_LEN`. Bytes after `len` are ignored.
    #[inline]
    pub fn parse(bytes: &'a [u8], large_payload: bool) -> Result<Self, EventError> {
        let header = EventHeader::read(bytes)?;
        Self::parse_with_header(bytes, header, large_payload)
    }

    /// [`parse`](Self::parse) with the header already read from `bytes`.
    #[inline]
    fn parse_with_header(bytes: &'a [u8], header: EventHeader, large_payload: bool) -> Result<Self, EventError> {
        let len = header.len as usize;
        if len > MAX_EVENT_LEN {
            return Err(EventError::TooLarge { len: header.len as u64 });
        }
        if len < EVENT_HEADER_LEN {
            return Err(EventError::LenBelowHeader { len: header.len });
        }
        if len > bytes.len() {
            return Err(EventError::Truncated {
                len: header.len,
                available: bytes.len(),
            });
        }
        let bytes = &bytes[..len];
        let width = slot_width(large_payload);
        let slots = header.nparams as u64 * width as u64;
        let available = len - EVENT_HEADER_LEN;
        if slots > available as u64 {
            return Err(EventError::SlotsOverflow {
                event_type: header.event_type,
                nparams: header.nparams,
                slot_width: width,
                needed: slots,
                available,
            });
        }
        // Sum the slots in one tight loop per width (hot path of every extract call).
        let slot_bytes = &bytes[EVENT_HEADER_LEN..EVENT_HEADER_LEN + slots as usize];
        let params_len: u64 = if width == LARGE_PARAM_SLOT_LEN {
            slot_bytes
                .chunks_exact(4)
                .map(|c| u32::from_ne_bytes([c[0], c[1], c[2], c[3]]) as u64)
                .sum()
        } else {
            slot_bytes
                .chunks_exact(2)
                .map(|c| u16::from_ne_bytes([c[0], c[1]]) as u64)
                .sum()
        };
        let computed = EVENT_HEADER_LEN as u64 + slots + params_len;
        if computed != len as u64 {
            return Err(EventError::LenMismatch {
                len: header.len,
                computed,
            });
        }
        Ok(EventRef {
            header,
            bytes,
            slot_width: width,
        })
    }

    /// Parses with the slot width [`is_large_payload`] gives for the event's own type.
    pub fn parse_any(bytes: &'a [u8]) -> Result<Self, EventError> {
        let header = EventHeader::read(bytes)?;
        Self::parse(bytes, is_large_payload(header.event_type))
    }

    /// Validates the event behind a raw pointer given by a host or plugin.
    ///
    /// # Safety
    /// `evt` must point to a readable event header and, if the header's `len` is at most
    /// [`MAX_EVENT_LEN`], to `len` readable bytes that stay valid and unmodified for `'a`.
    #[inline]
    pub unsafe fn from_raw(evt: *const ss_plugin_event) -> Result<Self, EventError> {
        if evt.is_null() {
            return Err(EventError::NullPointer);
        }
        // SAFETY: non-NULL and the caller guarantees a readable header.
        let header = unsafe { EventHeader::read_raw(evt) };
        let len = header.len as usize;
        if len > MAX_EVENT_LEN {
            return Err(EventError::TooLarge { len: header.len as u64 });
        }
        if len < EVENT_HEADER_LEN {
            return Err(EventError::LenBelowHeader { len: header.len });
        }
        // SAFETY: the caller guarantees `len` readable bytes valid for 'a; u8 has no alignment.
        let bytes = unsafe { std::slice::from_raw_parts(evt.cast::<u8>(), len) };
        Self::parse_with_header(bytes, header, is_large_payload(header.event_type))
    }

    #[inline]
    pub fn header(&self) -> &EventHeader {
        &self.header
    }
    #[inline]
    pub fn event_type(&self) -> u16 {
        self.header.event_type
    }
    #[inline]
    pub fn ts(&self) -> u64 {
        self.header.ts
    }
    #[inline]
    pub fn tid(&self) -> u64 {
        self.header.tid
    }
    #[inline]
    pub fn nparams(&self) -> u32 {
        self.header.nparams
    }
    /// The event's bytes, exactly `len` long.
    #[inline]
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }
    /// Pointer to the event, for handing it across the ABI.
    pub fn as_ptr(&self) -> *const ss_plugin_event {
        self.bytes.as_ptr().cast()
    }

    /// The parameters in order.
    #[inline]
    pub fn params(&self) -> Params<'a> {
        Params {
            bytes: self.bytes,
            slot_width: self.slot_width,
            next_slot: EVENT_HEADER_LEN,
            next_data: EVENT_HEADER_LEN + self.header.nparams as usize * self.slot_width,
            remaining: self.header.nparams as usize,
        }
    }

    /// Fills `out` with the first parameters (as many as fit, at most `nparams`) and returns
    /// how many; one pass over the length slots, the same slices as [`EventRef::params`].
    #[inline]
    pub fn split_params(&self, out: &mut [&'a [u8]]) -> usize {
        let nparams = self.header.nparams as usize;
        let n = nparams.min(out.len());
        let w = self.slot_width;
        let mut data = EVENT_HEADER_LEN + nparams * w;
        let slots = &self.bytes[EVENT_HEADER_LEN..EVENT_HEADER_LEN + n * w];
        if w == LARGE_PARAM_SLOT_LEN {
            for (o, slot) in out.iter_mut().zip(slots.chunks_exact(LARGE_PARAM_SLOT_LEN)) {
                let len = u32_at(slot, 0) as usize;
                *o = &self.bytes[data..data + len];
                data += len;
            }
        } else {
            for (o, slot) in out.iter_mut().zip(slots.chunks_exact(2)) {
                let len = u16_at(slot, 0) as usize;
                *o = &self.bytes[data..data + len];
                data += len;
            }
        }
        n
    }

    /// Parameter `i`, or `None` past the last one.
    #[inline]
    pub fn param(&self, i: usize) -> Option<&'a [u8]> {
        self.params().nth(i)
    }
}

/// The last event validated behind a raw pointer, so that the several calls a host makes for
/// one event (parse, then one extraction per field) validate its bytes only once.
///
/// An event counts as already validated when its pointer, host event number and 26 header
/// bytes are those of the last successful validation: the ABI forbids changing an event while
/// the host hands it to plugins, and a changed `len` (the only value the unchecked view trusts)
/// would show in the header. Every accessor of [`EventRef`] reads with bounds-checked slices, so
/// even a host breaking that rule gets a wrong value or a caught panic, never a stray read.
#[derive(Debug, Default)]
pub struct EventMemo {
    last: Option<(usize, u64, EventHeader)>,
    /// The decoded plugin event (id, payload start) of `last`, once [`EventMemo::decode`]
    /// decoded it.
    plugin_event: Option<(u32, usize)>,
}

impl EventMemo {
    pub fn new() -> Self {
        Self::default()
    }

    /// [`EventRef::from_raw`], skipping the parameter checks for the event validated last.
    ///
    /// # Safety
    /// As for [`EventRef::from_raw`].
    #[inline(always)]
    pub unsafe fn event<'a>(&mut self, evt: *const ss_plugin_event, evtnum: u64) -> Result<EventRef<'a>, EventError> {
        if evt.is_null() {
            return Err(EventError::NullPointer);
        }
        // SAFETY: non-NULL and the caller guarantees a readable header.
        let header = unsafe { EventHeader::read_raw(evt) };
        let seen = matches!(&self.last, Some((ptr, num, seen))
            if *ptr == evt as usize && *num == evtnum && *seen == header);
        if !seen {
            // Out of line, and the view below is built from `header` on both paths: the
            // event's parts stay in registers instead of being merged through memory.
            // SAFETY: per the contract.
            unsafe { self.validate(evt, evtnum, header) }?;
        }
        // SAFETY: these bytes passed `from_raw` with this very header (so `len` is the
        // validated one), and the caller guarantees `len` readable bytes for 'a.
        let bytes = unsafe { std::slice::from_raw_parts(evt.cast::<u8>(), header.len as usize) };
        Ok(EventRef {
            header,
            bytes,
            slot_width: slot_width(is_large_payload(header.event_type)),
        })
    }

    /// [`EventMemo::event`] plus [`PluginEvent::parse`] for events of type 322, whose result
    /// is remembered with the event (the parse and field calls of one event decode it once).
    ///
    /// # Safety
    /// As for [`EventRef::from_raw`].
    #[inline(always)]
    pub unsafe fn decode<'a>(
        &mut self,
        evt: *const ss_plugin_event,
        evtnum: u64,
    ) -> Result<(EventRef<'a>, Option<PluginEvent<'a>>), EventError> {
        // SAFETY: per the contract.
        let ev = unsafe { self.event(evt, evtnum) }?;
        if ev.event_type() != PPME_PLUGINEVENT_E {
            return Ok((ev, None));
        }
        // `event` clears the decoded plugin event whenever it validates another event.
        let (plugin_id, start) = match self.plugin_event {
            Some(decoded) => decoded,
            None => self.decode_plugin_event(ev)?,
        };
        // SAFETY: `start` was measured in this very event's bytes (same pointer, number and
        // header, so the same `len`), hence `start <= ev.bytes.len()`.
        let data = unsafe { ev.bytes.get_unchecked(start..) };
        Ok((ev, Some(PluginEvent { plugin_id, data })))
    }

    /// Decodes the plugin event of the event validated last and remembers where its payload
    /// starts. `ev` is taken by value: a reference would keep the caller's view in memory.
    #[inline(never)]
    fn decode_plugin_event(&mut self, ev: EventRef<'_>) -> Result<(u32, usize), EventError> {
        let pe = PluginEvent::parse(&ev)?;
        let decoded = (pe.plugin_id, pe.data.as_ptr() as usize - ev.bytes.as_ptr() as usize);
        self.plugin_event = Some(decoded);
        Ok(decoded)
    }

    /// Validates an event not seen last and remembers it when valid.
    ///
    /// # Safety
    /// As for [`EventRef::from_raw`]; `header` is the event's header.
    #[inline(never)]
    unsafe fn validate(
        &mut self,
        evt: *const ss_plugin_event,
        evtnum: u64,
        header: EventHeader,
    ) -> Result<(), EventError> {
        self.last = None;
        self.plugin_event = None;
        // SAFETY: per the contract.
        unsafe { EventRef::from_raw(evt) }?;
        self.last = Some((evt as usize, evtnum, header));
        Ok(())
    }
}

#[inline]
fn read_slot(bytes: &[u8], at: usize, width: usize) -> usize {
    if width == LARGE_PARAM_SLOT_LEN {
        u32_at(bytes, at) as usize
    } else {
        u16_at(bytes, at) as usize
    }
}

/// Iterator over the parameters of a validated event.
#[derive(Debug, Clone)]
pub struct Params<'a> {
    bytes: &'a [u8],
    slot_width: usize,
    next_slot: usize,
    next_data: usize,
    remaining: usize,
}

impl<'a> Iterator for Params<'a> {
    type Item = &'a [u8];
    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.remaining == 0 {
            return None;
        }
        let len = read_slot(self.bytes, self.next_slot, self.slot_width);
        let p = &self.bytes[self.next_data..self.next_data + len];
        self.remaining -= 1;
        self.next_slot += self.slot_width;
        self.next_data += len;
        Some(p)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
    /// Skips `n` parameters by their lengths only (no slice per skipped parameter).
    #[inline]
    fn nth(&mut self, n: usize) -> Option<&'a [u8]> {
        if n >= self.remaining {
            self.remaining = 0;
            return None;
        }
        let w = self.slot_width;
        // One bounds check for the skipped slots, then a tight sum per width.
        let slots = &self.bytes[self.next_slot..self.next_slot + n * w];
        let skipped: usize = if w == LARGE_PARAM_SLOT_LEN {
            slots
                .chunks_exact(LARGE_PARAM_SLOT_LEN)
                .map(|c| u32::from_ne_bytes([c[0], c[1], c[2], c[3]]) as usize)
                .sum()
        } else {
            slots
                .chunks_exact(2)
                .map(|c| u16::from_ne_bytes([c[0], c[1]]) as usize)
                .sum()
        };
        self.next_data += skipped;
        self.next_slot += n * w;
        self.remaining -= n;
        self.next()
    }
}
impl ExactSizeIterator for Params<'_> {}

/// Decoded plugin event (type 322): which plugin produced it and its opaque payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PluginEvent<'a> {
    pub plugin_id: u32,
    pub data: &'a [u8],
}

#[inline]
fn expect_shape(ev: &EventRef<'_>, event_type: u16, nparams: u32) -> Result<(), EventError> {
    if ev.event_type() != event_type {
        return Err(EventError::WrongType {
            expected: event_type,
            found: ev.event_type(),
        });
    }
    if ev.nparams() != nparams {
        return Err(EventError::WrongParamCount {
            event_type,
            expected: nparams,
            found: ev.nparams(),
        });
    }
    Ok(())
}

#[inline]
fn plugin_id_param(p: &[u8]) -> Result<u32, EventError> {
    if p.len() != PLUGIN_ID_PARAM_LEN {
        return Err(EventError::BadPluginIdLen { found: p.len() });
    }
    Ok(u32_at(p, 0))
}

impl<'a> PluginEvent<'a> {
    /// Decodes an event of type 322 with 2 parameters, the first 4 bytes long.
    #[inline]
    pub fn parse(ev: &EventRef<'a>) -> Result<Self, EventError> {
        if ev.event_type() == PPME_PLUGINEVENT_E
            && ev.nparams() == PLUGIN_EVENT_NPARAMS
            && ev.slot_width == LARGE_PARAM_SLOT_LEN
            && u32_at(ev.bytes, EVENT_HEADER_LEN) as usize == PLUGIN_ID_PARAM_LEN
        {
            // Fast path: the layout is fixed once the slots were validated by EventRef::parse.
            let start = crate::ffi::PLUGIN_EVENT_PAYLOAD_OFFSET;
            return Ok(PluginEvent {
                plugin_id: u32_at(ev.bytes, start - PLUGIN_ID_PARAM_LEN),
                data: &ev.bytes[start..],
            });
        }
        Self::parse_slow(ev)
    }

    /// Every other case: 2-byte slots, or a shape error to report.
    #[cold]
    fn parse_slow(ev: &EventRef<'a>) -> Result<Self, EventError> {
        expect_shape(ev, PPME_PLUGINEVENT_E, PLUGIN_EVENT_NPARAMS)?;
        let mut params = ev.params();
        let (Some(id), Some(data)) = (params.next(), params.next()) else {
            unreachable!("nparams checked above")
        };
        Ok(PluginEvent {
            plugin_id: plugin_id_param(id)?,
            data,
        })
    }
}

/// Appends a plugin event (type 322, tid = [`NO_THREAD_ID`]) to `out`. Nothing is cleared,
/// so many events can be packed back to back into one reused buffer.
///
/// Fails only if the event would exceed [`MAX_EVENT_LEN`].
#[inline]
pub fn encode_plugin_event(ts: u64, plugin_id: u32, data: &[u8], out: &mut Vec<u8>) -> Result<(), EventError> {
    let len = crate::ffi::PLUGIN_EVENT_PAYLOAD_OFFSET as u64 + data.len() as u64;
    if len > MAX_EVENT_LEN as u64 {
        return Err(EventError::TooLarge { len });
    }
    let header = EventHeader {
        ts,
        tid: NO_THREAD_ID,
        len: len as u32,
        event_type: PPME_PLUGINEVENT_E,
        nparams: 2,
    };
    // Header, both length slots and the plugin id, copied at once.
    let mut head = [0u8; crate::ffi::PLUGIN_EVENT_PAYLOAD_OFFSET];
    head[..EVENT_HEADER_LEN].copy_from_slice(&header.to_bytes());
    head[EVENT_HEADER_LEN..EVENT_HEADER_LEN + 4].copy_from_slice(&(PLUGIN_ID_PARAM_LEN as u32).to_ne_bytes());
    head[EVENT_HEADER_LEN + 4..EVENT_HEADER_LEN + 8].copy_from_slice(&(data.len() as u32).to_ne_bytes());
    head[EVENT_HEADER_LEN + 8..].copy_from_slice(&plugin_id.to_ne_bytes());
    out.reserve(len as usize);
    out.extend_from_slice(&head);
    out.extend_from_slice(data);
    Ok(())
}

/// Decoded async event (type 402).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AsyncEvent<'a> {
    pub plugin_id: u32,
    pub name: &'a str,
    pub data: &'a [u8],
}

impl<'a> AsyncEvent<'a> {
    /// Decodes an event of type 402 with 3 parameters: plugin id (4 bytes), NUL-terminated
    /// UTF-8 name, data.
    #[inline]
    pub fn parse(ev: &EventRef<'a>) -> Result<Self, EventError> {
        expect_shape(ev, PPME_ASYNCEVENT_E, ASYNC_EVENT_NPARAMS)?;
        let mut params = ev.params();
        let (Some(id), Some(name), Some(data)) = (params.next(), params.next(), params.next()) else {
            unreachable!("nparams checked above")
        };
        let plugin_id = plugin_id_param(id)?;
        let bad = || EventError::BadAsyncName {
            found: String::from_utf8_lossy(name).into_owned(),
        };
        let Some((&0, text)) = name.split_last() else {
            return Err(bad());
        };
        if text.contains(&0) {
            return Err(bad());
        }
        let name = std::str::from_utf8(text).map_err(|_| bad())?;
        Ok(AsyncEvent { plugin_id, name, data })
    }
}

/// Appends an async event (type 402) to `out`. `tid` is [`NO_THREAD_ID`] for plugin sources;
/// plugins leave `plugin_id` 0 (the host fills it in).
pub fn encode_async_event(
    ts: u64,
    tid: u64,
    plugin_id: u32,
    name: &str,
    data: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), EventError> {
    if name.as_bytes().contains(&0) {
        return Err(EventError::NulInAsyncName { name: name.to_owned() });
    }
    let mut w = EventWriter::begin(out, ts, tid, PPME_ASYNCEVENT_E, ASYNC_EVENT_NPARAMS);
    w.param(&plugin_id.to_ne_bytes())?;
    w.param_parts(&[name.as_bytes(), &[0]])?;
    w.param(data)?;
    w.finish()
}

/// Writes one event of any type into a buffer: header, `nparams` length slots (2 or 4 bytes
/// per [`is_large_payload`]), then the parameters in order. Nothing is allocated besides the
/// growth of `out`; the event is appended after what `out` already holds.
///
/// ```
/// # use plugin_api::event::*;
/// let mut buf = Vec::new();
/// let mut w = EventWriter::begin(&mut buf, 5, 7, 3, 2);
/// w.param(b"ab").unwrap();
/// w.param(&[]).unwrap();
/// w.finish().unwrap();
/// let ev = EventRef::parse_any(&buf).unwrap();
/// assert_eq!(ev.params().collect::<Vec<_>>(), vec![&b"ab"[..], &[][..]]);
/// ```
#[derive(Debug)]
pub struct EventWriter<'o> {
    out: &'o mut Vec<u8>,
    start: usize,
    slot_width: usize,
    declared: u32,
    written: u32,
}

impl<'o> EventWriter<'o> {
    /// Starts an event of `event_type` with `nparams` parameters at the end of `out`.
    pub fn begin(out: &'o mut Vec<u8>, ts: u64, tid: u64, event_type: u16, nparams: u32) -> Self {
        Self::begin_with_slots(out, ts, tid, event_type, nparams, is_large_payload(event_type))
    }

    /// Like [`begin`](Self::begin) with an explicit slot width (4 bytes if `large_payload`).
    pub fn begin_with_slots(
        out: &'o mut Vec<u8>,
        ts: u64,
        tid: u64,
        event_type: u16,
        nparams: u32,
        large_payload: bool,
    ) -> Self {
        let start = out.len();
        let width = slot_width(large_payload);
        EventHeader {
            ts,
            tid,
            len: 0,
            event_type,
            nparams,
        }
        .write_to(out);
        out.resize(out.len() + nparams as usize * width, 0);
        EventWriter {
            out,
            start,
            slot_width: width,
            declared: nparams,
            written: 0,
        }
    }

    /// Appends the next parameter.
    #[inline]
    pub fn param(&mut self, value: &[u8]) -> Result<(), EventError> {
        self.param_parts(&[value])
    }

    /// Appends the next parameter made of several byte pieces (e.g. a string and its NUL).
    pub fn param_parts(&mut self, parts: &[&[u8]]) -> Result<(), EventError> {
        let index = self.written;
        if index >= self.declared {
            return Err(EventError::ExtraParam {
                declared: self.declared,
                index,
            });
        }
        let len: usize = parts.iter().map(|p| p.len()).sum();
        let max = if self.slot_width == LARGE_PARAM_SLOT_LEN {
            MAX_EVENT_LEN
        } else {
            u16::MAX as usize
        };
        if len > max {
            return Err(EventError::ParamTooLong {
                index: index as usize,
                len,
                slot_width: self.slot_width,
            });
        }
        let slot = self.start + EVENT_HEADER_LEN + index as usize * self.slot_width;
        if self.slot_width == LARGE_PARAM_SLOT_LEN {
            self.out[slot..slot + 4].copy_from_slice(&(len as u32).to_ne_bytes());
        } else {
            self.out[slot..slot + 2].copy_from_slice(&(len as u16).to_ne_bytes());
        }
        for p in parts {
            self.out.extend_from_slice(p);
        }
        self.written += 1;
        Ok(())
    }

    /// Writes the final length. On error the partial event is removed from `out`.
    pub fn finish(self) -> Result<(), EventError> {
        let len = (self.out.len() - self.start) as u64;
        let err = if self.written != self.declared {
            Some(EventError::MissingParams {
                declared: self.declared,
                written: self.written,
            })
        } else if len > MAX_EVENT_LEN as u64 {
            Some(EventError::TooLarge { len })
        } else {
            None
        };
        if let Some(e) = err {
            self.out.truncate(self.start);
            return Err(e);
        }
        let at = self.start + 16;
        self.out[at..at + 4].copy_from_slice(&(len as u32).to_ne_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests;
