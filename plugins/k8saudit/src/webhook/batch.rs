//! Splitting one webhook request body into audit events.
//!
//! Accepted bodies (as Falco's k8saudit plugin 0.x `ParseAuditEventsJSON`): an `audit.k8s.io/v1`
//! object of kind `EventList` (each of `items` is one event), of kind `Event` (itself one event),
//! or a JSON array whose elements are any of these. Unlike Falco, which logs and skips a bad item,
//! a request is all-or-nothing: any bad item rejects the whole request with the item's location,
//! so the sender learns about it and nothing is half-delivered.
//!
//! Cost, for a compact body (as kube-apiserver sends): one json-tape parse of it that checks it
//! all and records only the envelope and each item's members (finding the items and their
//! `stageTimestamp`); each event's JSON is then a slice of the body (shared, not copied). A body with whitespace
//! between tokens first takes one byte pass (nesting check and whitespace removal) and a full
//! parse of its compact form. Bodies that are refused or unusual
//! (duplicate envelope keys) take a slower serde path that says exactly what is wrong: one serde
//! pass over the body and, per item, a structural scan that finds its `stageTimestamp`.

use std::borrow::Cow;
use std::cell::RefCell;

use bytes::Bytes;

use json_tape::{Kind, Limits, Tape, Value};
use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;
use thiserror::Error;

use super::timestamp::{parse_rfc3339_nanos, TimestampError};
use super::AuditEvent;

/// Deepest nesting of JSON arrays/objects accepted. serde_json's default recursion limit (which
/// the `ka.*` field extraction relies on) accepts 127 levels; deeper documents are refused here so
/// an accepted event can always be parsed later, and so nothing recurses without bound.
pub const MAX_JSON_NESTING: usize = 127;

/// Why a request body is not a batch of audit events. Every variant is a client error (400).
#[derive(Debug, Error)]
pub enum BatchError {
    #[error("request body is not UTF-8: invalid byte at offset {offset}; send UTF-8 JSON")]
    NotUtf8 { offset: usize },
    #[error(
        "request body nests JSON arrays/objects deeper than {MAX_JSON_NESTING} levels \
         (at byte offset {offset}); audit events are never that deep"
    )]
    TooDeep { offset: usize },
    #[error("request body is not valid JSON: {0}")]
    MalformedJson(#[from] serde_json::Error),
    #[error(
        "{location}: expected an audit.k8s.io/v1 object of kind \"EventList\" or \"Event\" \
         (or an array of them), found {found}"
    )]
    WrongKind { location: String, found: String },
    #[error("{location}: an EventList needs an `items` array, found {found}")]
    MissingItems { location: String, found: String },
    #[error("{location}: audit event has no `stageTimestamp` string (found {found})")]
    MissingTimestamp { location: String, found: String },
    #[error("{location}: `stageTimestamp` {value:?} is not usable: {source}")]
    BadTimestamp {
        location: String,
        value: String,
        source: TimestampError,
    },
}

/// The only keys read from an object; everything else is skipped without being materialised.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    kind: Option<&'a RawValue>,
    #[serde(borrow)]
    items: Option<Items<'a>>,
    #[serde(borrow, rename = "stageTimestamp")]
    stage_timestamp: Option<&'a RawValue>,
}

/// An `EventList`'s `items`: the raw elements when it is an array (found in the same pass as the
/// envelope), otherwise what kind of JSON value it was.
enum Items<'a> {
    Array(Vec<&'a RawValue>),
    Other(&'static str),
}

impl<'de: 'a, 'a> Deserialize<'de> for Items<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ItemsVisitor)
    }
}

struct ItemsVisitor;

impl<'de> Visitor<'de> for ItemsVisitor {
    type Value = Items<'de>;

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("an array of audit events")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element::<&'de RawValue>()? {
            items.push(item);
        }
        Ok(Items::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Items::Other("an object"))
    }

    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Items::Other("a string"))
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Items::Other("a boolean"))
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Items::Other("a number"))
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Items::Other("a number"))
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Items::Other("a number"))
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Items::Other("null"))
    }
}

/// Splits a request body (or one JSON line of an audit log) into audit events, in document order.
pub fn split_into_events(body: &[u8]) -> Result<Vec<AuditEvent>, BatchError> {
    split_body(Bytes::copy_from_slice(body))
}

/// [`split_into_events`] of a body the caller hands over: the events of a compact body are
/// slices of it (no copy, one allocation per body rather than per event).
pub fn split_body(body: Bytes) -> Result<Vec<AuditEvent>, BatchError> {
    let text = std::str::from_utf8(&body).map_err(|err| BatchError::NotUtf8 {
        offset: err.valid_up_to(),
    })?;
    if let Some(events) = split_compact_body(text, &body) {
        return Ok(events);
    }
    let compact = compact_checking_nesting(text)?;
    if let Some(events) = split_common_case(&compact) {
        return Ok(events);
    }
    split_with_serde(text, &compact)
}

/// [`split_into_events`] for any body: `text` as sent and its `compact` form.
fn split_with_serde(text: &str, compact: &str) -> Result<Vec<AuditEvent>, BatchError> {
    let mut events = Vec::new();
    let mut location = Location(Vec::new());
    collect(compact, &mut location, &mut events).map_err(|error| match error {
        // Positions in serde's message must refer to the body as sent, not the compacted copy.
        BatchError::MalformedJson(_) => match serde_json::from_str::<IgnoredAny>(text) {
            Err(original) => BatchError::MalformedJson(original),
            Ok(_) => error,
        },
        other => other,
    })?;
    Ok(events)
}

thread_local! {
    /// The tape of the last body split on this thread, kept for its buffers.
    static BODY_TAPE: RefCell<Tape> = RefCell::new(Tape::new());
}

/// The most common case, a body sent compact (as kube-apiserver does), in one pass over the
/// body: a json-tape parse that checks all of it (nesting included) but records only the
/// envelope, the items and their members, not what is inside those. Any body this leaves out
/// (whitespace between tokens, an error, anything unusual) goes down the paths below, which
/// would find the same events for it: a compact body is its own compact form.
fn split_compact_body(text: &str, body: &Bytes) -> Option<Vec<AuditEvent>> {
    // Depths: the EventList 0, `items` 1, an item 2, an item's members 3. Bodies that are
    // arrays nest their lists deeper: recorded whole.
    let expand_depth = match text.trim_start().as_bytes().first() {
        Some(b'{') => 3,
        _ => usize::MAX,
    };
    let limits = Limits {
        max_depth: MAX_JSON_NESTING,
        expand_depth,
    };
    BODY_TAPE.with(|tape| {
        let mut tape = tape.try_borrow_mut().ok()?;
        tape.parse_with(text.as_bytes(), limits).ok()?;
        if !tape.is_compact() {
            return None;
        }
        let mut events = Vec::new();
        collect_common_case(tape.root()?, Some(body), &mut events)?;
        Some(events)
    })
}

/// The common case in one parse of the body: JSON that json-tape accepts (it accepts exactly
/// what serde accepts once the body has passed [`compact_checking_nesting`]), envelopes with
/// each of `kind`, `items` and `stageTimestamp` at most once (serde refuses duplicates), and
/// events that all carry a usable `stageTimestamp`. `None` sends the body down the serde path,
/// which finds the same events or says precisely what is wrong.
fn split_common_case(compact: &str) -> Option<Vec<AuditEvent>> {
    BODY_TAPE.with(|tape| {
        let mut tape = tape.try_borrow_mut().ok()?;
        tape.parse(compact.as_bytes()).ok()?;
        let mut events = Vec::new();
        collect_common_case(tape.root()?, None, &mut events)?;
        Some(events)
    })
}

/// `body`: the text the tape was parsed from, when it is compact (each event's JSON is then
/// its span of `body`).
fn collect_common_case(value: Value<'_>, body: Option<&Bytes>, events: &mut Vec<AuditEvent>) -> Option<()> {
    match value.kind() {
        Kind::Array => value
            .elements()
            .try_for_each(|element| collect_common_case(element, body, events)),
        Kind::Object => {
            let once = |key: &str| value.members().filter(|(k, _)| k.key_eq(key)).count() <= 1;
            if !(once("kind") && once("items") && once("stageTimestamp")) {
                return None;
            }
            match &*value.get("kind")?.as_str()? {
                "EventList" => {
                    let items = value.get("items").filter(|items| items.kind() == Kind::Array)?;
                    events.reserve(items.len());
                    items.elements().try_for_each(|item| {
                        // Falco does not check the kind of list items; an item only has to be an object.
                        (item.kind() == Kind::Object).then_some(())?;
                        events.push(common_case_event(item, body)?);
                        Some(())
                    })
                }
                "Event" => {
                    events.push(common_case_event(value, body)?);
                    Some(())
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// An event whose first `stageTimestamp` is a string that [`parse_rfc3339_nanos`] accepts; its
/// JSON is its span of `body` when given (the compact text the tape holds a copy of).
fn common_case_event(item: Value<'_>, body: Option<&Bytes>) -> Option<AuditEvent> {
    let raw = item.get("stageTimestamp").filter(|t| t.kind() == Kind::String)?.raw();
    let timestamp = if raw.contains(&b'\\') {
        // Decoded by serde as on the other path (it refuses lone surrogates, for one).
        json_string(std::str::from_utf8(raw).ok()?).ok()?
    } else {
        // Without escapes a checked JSON string's value is its text between the quotes.
        Cow::Borrowed(std::str::from_utf8(&raw[1..raw.len() - 1]).ok()?)
    };
    let timestamp_ns = parse_rfc3339_nanos(&timestamp).ok()?;
    let json = match body {
        Some(body) => body.slice(item.offset()..item.offset() + item.raw().len()),
        None => {
            let mut json = Vec::with_capacity(item.raw().len());
            item.write_compact(&mut json);
            Bytes::from(json)
        }
    };
    Some(AuditEvent { timestamp_ns, json })
}

/// Where an item sits in the request body, for error messages (`body[2].items[17]`).
struct Location(Vec<Step>);

enum Step {
    Element(usize),
    Item(usize),
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("body")?;
        for step in &self.0 {
            match step {
                Step::Element(index) => write!(f, "[{index}]")?,
                Step::Item(index) => write!(f, ".items[{index}]")?,
            }
        }
        Ok(())
    }
}

/// Collects the events of one compact JSON value (the body or an element of an array in it).
fn collect(value: &str, location: &mut Location, events: &mut Vec<AuditEvent>) -> Result<(), BatchError> {
    match value.as_bytes().first() {
        Some(b'[') => {
            let elements: Vec<&RawValue> = serde_json::from_str(value)?;
            for (index, element) in elements.into_iter().enumerate() {
                location.0.push(Step::Element(index));
                collect(element.get(), location, events)?;
                location.0.pop();
            }
            Ok(())
        }
        Some(b'{') => {
            let envelope: Envelope = serde_json::from_str(value)?;
            let kind = match envelope.kind {
                Some(kind) if kind.get().starts_with('"') => json_string(kind.get())?,
                Some(kind) => {
                    return Err(BatchError::WrongKind {
                        location: location.to_string(),
                        found: format!("an object whose `kind` is {}", describe(kind.get())),
                    })
                }
                None => {
                    return Err(BatchError::WrongKind {
                        location: location.to_string(),
                        found: "an object without `kind`".to_owned(),
                    })
                }
            };
            match &*kind {
                "EventList" => collect_items(envelope.items, location, events),
                "Event" => {
                    events.push(audit_event(
                        value,
                        envelope.stage_timestamp.map(RawValue::get),
                        location,
                    )?);
                    Ok(())
                }
                other => Err(BatchError::WrongKind {
                    location: location.to_string(),
                    found: format!("kind {other:?}"),
                }),
            }
        }
        _ => {
            serde_json::from_str::<IgnoredAny>(value)?;
            Err(BatchError::WrongKind {
                location: location.to_string(),
                found: describe(value),
            })
        }
    }
}

fn collect_items(
    items: Option<Items>,
    location: &mut Location,
    events: &mut Vec<AuditEvent>,
) -> Result<(), BatchError> {
    let items = match items {
        Some(Items::Array(items)) => items,
        Some(Items::Other(found)) => {
            return Err(BatchError::MissingItems {
                location: location.to_string(),
                found: found.to_owned(),
            })
        }
        None => {
            return Err(BatchError::MissingItems {
                location: location.to_string(),
                found: "no `items`".to_owned(),
            })
        }
    };
    events.reserve(items.len());
    for (index, item) in items.into_iter().enumerate() {
        location.0.push(Step::Item(index));
        let item = item.get();
        // Falco does not check the kind of list items; an item only has to be an object.
        if !item.starts_with('{') {
            return Err(BatchError::WrongKind {
                location: location.to_string(),
                found: describe(item),
            });
        }
        // Serde checked the item while collecting `items`: a structural scan finds the key.
        events.push(audit_event(item, top_level_member(item, "stageTimestamp")?, location)?);
        location.0.pop();
    }
    Ok(())
}

/// One event from its compact JSON text.
fn audit_event(item: &str, stage_timestamp: Option<&str>, location: &Location) -> Result<AuditEvent, BatchError> {
    let raw_timestamp = stage_timestamp.ok_or_else(|| BatchError::MissingTimestamp {
        location: location.to_string(),
        found: "no such key".to_owned(),
    })?;
    if !raw_timestamp.starts_with('"') {
        return Err(BatchError::MissingTimestamp {
            location: location.to_string(),
            found: describe(raw_timestamp),
        });
    }
    let timestamp = json_string(raw_timestamp)?;
    let timestamp_ns = parse_rfc3339_nanos(&timestamp).map_err(|source| BatchError::BadTimestamp {
        location: location.to_string(),
        value: timestamp.into_owned(),
        source,
    })?;
    Ok(AuditEvent {
        timestamp_ns,
        json: Bytes::copy_from_slice(item.as_bytes()),
    })
}

/// Decodes a raw JSON string (the caller checked that it is one).
fn json_string(raw: &str) -> Result<Cow<'_, str>, BatchError> {
    Ok(serde_json::from_str::<Cow<str>>(raw)?)
}

/// Offset just past the string whose opening quote is at `start` in valid JSON `text`.
fn string_end(text: &[u8], start: usize) -> usize {
    let mut p = start + 1;
    while let Some(found) = memchr::memchr2(b'"', b'\\', &text[p..]) {
        if text[p + found] == b'"' {
            return p + found + 1;
        }
        p += found + 2;
    }
    text.len()
}

/// The text of member `key` of the object `object`, which must be compact JSON that serde has
/// already checked (an item of a request): a structural scan, about one `memchr` per string,
/// instead of a second full parse of every event. The first of duplicate keys wins, as in
/// Falco's parser.
fn top_level_member<'a>(object: &'a str, key: &str) -> Result<Option<&'a str>, BatchError> {
    let text = object.as_bytes();
    let mut depth = 0usize;
    let mut p = 0;
    while p < text.len() {
        match text[p] {
            b'"' => {
                let end = string_end(text, p);
                if depth == 1 && text.get(end) == Some(&b':') {
                    let raw_key = &object[p..end];
                    let matches = if raw_key.contains('\\') {
                        json_string(raw_key)? == key
                    } else {
                        &raw_key[1..raw_key.len() - 1] == key
                    };
                    if matches {
                        return Ok(Some(&object[end + 1..value_end(text, end + 1)]));
                    }
                }
                p = end;
                continue;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        p += 1;
    }
    Ok(None)
}

/// Offset just past the value starting at `start` in valid compact JSON `text`.
fn value_end(text: &[u8], start: usize) -> usize {
    let mut depth = 0usize;
    let mut p = start;
    while p < text.len() {
        match text[p] {
            b'"' => {
                p = string_end(text, p);
                if depth == 0 {
                    return p;
                }
                continue;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' if depth == 0 => return p,
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return p + 1;
                }
            }
            b',' if depth == 0 => return p,
            _ => {}
        }
        p += 1;
    }
    text.len()
}

/// A short description of an unexpected JSON value for error messages.
fn describe(text: &str) -> String {
    const MAX_SHOWN_CHARS: usize = 40;
    let kind = match text.as_bytes().first() {
        Some(b'{') => "an object",
        Some(b'[') => "an array",
        Some(b'"') => "a string",
        Some(b't' | b'f') => "a boolean",
        Some(b'n') => "null",
        _ => "a number",
    };
    let shown: String = text.chars().take(MAX_SHOWN_CHARS).collect();
    let ellipsis = if shown.len() < text.len() { "…" } else { "" };
    format!("{kind} `{shown}{ellipsis}`")
}

/// Characters of numbers and literals: whitespace between two of them separates tokens.
fn is_scalar_char(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'+' | b'.')
}

/// One pass over the body: refuses nesting deeper than [`MAX_JSON_NESTING`] (without recursion)
/// and drops insignificant whitespace, so each item's text is already its compact form (Falco
/// re-serialises each item compactly; key order and string escapes stay as sent). Whitespace
/// between two scalar characters is kept as one space, so invalid JSON like `[1 2]` stays
/// invalid. Borrows the body when it is compact already (as kube-apiserver sends it).
fn compact_checking_nesting(text: &str) -> Result<Cow<'_, str>, BatchError> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut in_string = false;
    let mut compact: Option<String> = None;
    // Start of the run of kept bytes not yet copied to `compact`.
    let mut run_start = 0;
    let mut after_whitespace = false;
    let mut previous_kept = b'[';
    let mut offset = 0;
    while offset < bytes.len() {
        if in_string {
            // Most of an audit event is string contents: jump to the next quote or escape.
            match memchr::memchr2(b'"', b'\\', &bytes[offset..]) {
                Some(found) if bytes[offset + found] == b'\\' => offset += found + 2,
                Some(found) => {
                    in_string = false;
                    offset += found + 1;
                }
                // An unterminated string: serde reports it.
                None => break,
            }
            continue;
        }
        let byte = bytes[offset];
        match byte {
            b' ' | b'\t' | b'\n' | b'\r' => {
                let compact = compact.get_or_insert_with(|| String::with_capacity(text.len()));
                // Whitespace bytes are ASCII, so these offsets are character boundaries.
                compact.push_str(&text[run_start..offset]);
                run_start = offset + 1;
                after_whitespace = true;
                offset += 1;
                continue;
            }
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_JSON_NESTING {
                    return Err(BatchError::TooDeep { offset });
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if after_whitespace {
            after_whitespace = false;
            if is_scalar_char(previous_kept) && is_scalar_char(byte) {
                if let Some(compact) = compact.as_mut() {
                    compact.push(' ');
                }
            }
        }
        previous_kept = byte;
        offset += 1;
    }
    Ok(match compact {
        Some(mut compact) => {
            compact.push_str(&text[run_start..]);
            Cow::Owned(compact)
        }
        None => Cow::Borrowed(text),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVENT: &str = r#"{"kind":"Event","auditID":"a1","stageTimestamp":"2022-01-18T09:10:37.382458Z"}"#;

    fn compact_split(body: &str) -> Option<Vec<AuditEvent>> {
        split_compact_body(body, &Bytes::copy_from_slice(body.as_bytes()))
    }

    #[test]
    fn single_event_is_one_compact_event_with_stage_timestamp() {
        let body = "{ \"kind\" : \"Event\",\n \"auditID\": \"a b\\\" \\n\",\t\"stageTimestamp\": \"1970-01-01T00:00:02Z\", \"requestReceivedTimestamp\": \"1970-01-01T00:00:01Z\" }";
        let events = split_into_events(body.as_bytes()).unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].timestamp_ns, 2_000_000_000);
        assert_eq!(
            String::from_utf8(events[0].json.to_vec()).unwrap(),
            r#"{"kind":"Event","auditID":"a b\" \n","stageTimestamp":"1970-01-01T00:00:02Z","requestReceivedTimestamp":"1970-01-01T00:00:01Z"}"#
        );
    }

    #[test]
    fn event_list_items_and_arrays_are_split_in_order() {
        let item = |id: u32| format!(r#"{{"auditID":"{id}","stageTimestamp":"1970-01-01T00:00:0{id}Z"}}"#);
        let list = format!(
            r#"{{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{},{}]}}"#,
            item(1),
            item(2)
        );
        let body = format!("[{list}, [{}], {EVENT}]", item(3).replace('{', r#"{"kind":"Event","#));
        let events = split_into_events(body.as_bytes()).unwrap();
        let stamps: Vec<u64> = events.iter().map(|e| e.timestamp_ns / 1_000_000_000).collect();
        assert_eq!(stamps, [1, 2, 3, 1_642_497_037]);
        assert_eq!(events[0].json, item(1).into_bytes());
        assert_eq!(events[3].json, EVENT.as_bytes());
    }

    /// The events of a compact body share its bytes; those of other bodies are their own
    /// compact copies. Either way, the same events.
    #[test]
    fn compact_body_events_are_slices_of_the_body() {
        let items = [
            EVENT,
            r#"{"kind":"Event","auditID":"a2","stageTimestamp":"1970-01-01T00:00:01Z"}"#,
        ];
        let body = Bytes::from(format!(r#"{{"kind":"EventList","items":[{}]}}"#, items.join(",")));
        let range = body.as_ptr_range();
        let events = split_body(body.clone()).unwrap();
        assert_eq!(events.len(), 2);
        for (event, item) in events.iter().zip(items) {
            assert_eq!(event.json, item.as_bytes());
            assert!(range.contains(&event.json.as_ptr()), "{item} was copied");
        }
        let spaced = Bytes::from(format!(r#"{{"kind": "EventList", "items": [{}]}}"#, items.join(", ")));
        let range = spaced.as_ptr_range();
        let spaced_events = split_body(spaced.clone()).unwrap();
        assert_eq!(spaced_events, events);
        assert!(!range.contains(&spaced_events[0].json.as_ptr()));
    }

    #[test]
    fn top_level_member_skips_nested_keys_and_string_contents() {
        let item = r#"{"a":{"stageTimestamp":"nested"},"s":"\"stageTimestamp\":{[","n":[1,{"x":"]"}],"stage\u0054imestamp":"escaped","stageTimestamp":"second"}"#;
        assert_eq!(top_level_member(item, "stageTimestamp").unwrap(), Some(r#""escaped""#));
        assert_eq!(top_level_member(item, "n").unwrap(), Some(r#"[1,{"x":"]"}]"#));
        assert_eq!(
            top_level_member(item, "a").unwrap(),
            Some(r#"{"stageTimestamp":"nested"}"#)
        );
        assert_eq!(
            top_level_member(r#"{"k":12.5e3,"z":null}"#, "k").unwrap(),
            Some("12.5e3")
        );
        assert_eq!(top_level_member(r#"{"k":12.5e3,"z":null}"#, "z").unwrap(), Some("null"));
        assert_eq!(
            top_level_member(r#"{"x":"stageTimestamp"}"#, "stageTimestamp").unwrap(),
            None
        );
        // Each item's timestamp is its own top-level one.
        let body = r#"{"kind":"EventList","items":[{"requestObject":{"stageTimestamp":"bad"},"stageTimestamp":"1970-01-01T00:00:05Z"}]}"#;
        assert_eq!(
            split_into_events(body.as_bytes()).unwrap()[0].timestamp_ns,
            5_000_000_000
        );
    }

    /// The one-parse common case finds exactly the events of the serde path, and leaves the
    /// bodies serde refuses (or reads differently) to it.
    #[test]
    fn common_case_agrees_with_the_serde_path() {
        let item =
            |id: u32| format!(r#"{{"auditID":"{id}","x":"\u00e9 \" {{","stageTimestamp":"1970-01-01T00:00:0{id}Z"}}"#);
        let mut bodies = vec![
            format!(r#"{{"kind":"EventList","items":[{},{}]}}"#, item(1), item(2)),
            format!(r#"[{{"kind":"EventList","items":[{}]}},[{}]]"#, item(3), EVENT),
            format!(r#"{{"kind":"EventList","items":[{}],"stageTimestamp":1}}"#, item(4)),
            EVENT.to_owned(),
        ];
        if let Some(dir) = webhook_trace_dir() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().is_some_and(|e| e == "json") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    let items: Vec<&str> = text.lines().filter(|l| l.starts_with('{')).collect();
                    bodies.push(format!(r#"{{"kind":"EventList","items":[{}]}}"#, items.join(",")));
                }
            }
        }
        let mut compact_bodies = 0;
        for body in &bodies {
            let compact = compact_checking_nesting(body).unwrap();
            let Ok(expected) = split_with_serde(body, &compact) else {
                assert!(split_common_case(&compact).is_none(), "{body}");
                continue;
            };
            let found = split_common_case(&compact).unwrap_or_else(|| panic!("not the common case: {body}"));
            let pairs = |events: &[AuditEvent]| -> Vec<(u64, Vec<u8>)> {
                events.iter().map(|e| (e.timestamp_ns, e.json.to_vec())).collect()
            };
            assert_eq!(pairs(&found), pairs(&expected), "{body}");
            // Bodies sent compact take the shallow parse, and it finds the same events.
            let shallow = compact_split(body);
            assert_eq!(shallow.is_some(), *compact == **body, "{body}");
            if let Some(shallow) = shallow {
                assert_eq!(pairs(&shallow), pairs(&expected), "{body}");
            }
            compact_bodies += usize::from(*compact == **body);
        }
        assert!(compact_bodies >= 4, "only {compact_bodies} compact bodies");
        // Whitespace between tokens, or a body too deep, is left to the other paths.
        let spaced = format!(r#"{{"kind": "EventList","items":[{}]}}"#, item(1));
        assert!(compact_split(&spaced).is_none());
        let deep = format!(
            "[{}]",
            EVENT.replace("\"a1\"", &format!("{}{}", "[".repeat(126), "]".repeat(126)))
        );
        assert!(compact_split(&deep).is_none());
        assert!(matches!(
            split_into_events(deep.as_bytes()),
            Err(BatchError::TooDeep { .. })
        ));
        assert!(bodies.len() > 40, "only {} bodies", bodies.len());
        for refused_by_serde in [
            format!(r#"{{"kind":"EventList","kind":"EventList","items":[{}]}}"#, item(1)),
            r#"{"kind":"Event","stageTimestamp":"1970-01-01T00:00:01Z","stageTimestamp":"x"}"#.to_owned(),
            r#"{"kind":"Event","stageTimestamp":"\ud800"}"#.to_owned(),
        ] {
            let compact = compact_checking_nesting(&refused_by_serde).unwrap();
            assert!(split_common_case(&compact).is_none(), "{refused_by_serde}");
            assert!(
                split_into_events(refused_by_serde.as_bytes()).is_err(),
                "{refused_by_serde}"
            );
        }
    }

    fn webhook_trace_dir() -> Option<std::path::PathBuf> {
        let mut dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        loop {
            let candidate = dir.join("shared/conformance/falco-legacy/test/trace_files/k8s_audit");
            if candidate.is_dir() {
                return Some(candidate);
            }
            if !dir.pop() {
                eprintln!("shared/conformance not found: only synthetic bodies checked");
                return None;
            }
        }
    }

    #[test]
    fn empty_list_and_empty_array_give_no_events() {
        assert!(split_into_events(br#"{"kind":"EventList","items":[]}"#)
            .unwrap()
            .is_empty());
        assert!(split_into_events(b"[]").unwrap().is_empty());
    }

    #[test]
    fn bad_items_reject_the_whole_request_and_say_where() {
        let cases: [(&str, &str); 9] = [
            (r#"{"kind":"Pod"}"#, "body: expected"),
            (r#"{"apiVersion":"v1"}"#, "without `kind`"),
            (r#"{"kind":0}"#, "whose `kind` is a number `0`"),
            ("42", "found a number `42`"),
            (r#"{"kind":"EventList"}"#, "needs an `items` array"),
            (r#"{"kind":"EventList","items":{}}"#, "found an object"),
            (
                r#"{"kind":"EventList","items":[{"stageTimestamp":"1970-01-01T00:00:00Z"},"x"]}"#,
                "body.items[1]",
            ),
            (
                r#"[{"kind":"Event","stageTimestamp":7}]"#,
                "body[0]: audit event has no `stageTimestamp` string (found a number `7`)",
            ),
            (
                r#"[{"kind":"EventList","items":[{"stageTimestamp":"yesterday"}]}]"#,
                "body[0].items[0]: `stageTimestamp` \"yesterday\"",
            ),
        ];
        for (body, wanted) in cases {
            let message = split_into_events(body.as_bytes()).unwrap_err().to_string();
            assert!(message.contains(wanted), "{body}: {message:?} lacks {wanted:?}");
        }
        assert!(matches!(
            split_into_events(br#"{"kind":"Event"}"#),
            Err(BatchError::MissingTimestamp { .. })
        ));
    }

    #[test]
    fn malformed_json_and_non_utf8_are_told_apart() {
        assert!(matches!(
            split_into_events(br#"{"kind":"Event","#),
            Err(BatchError::MalformedJson(_))
        ));
        assert!(matches!(
            split_into_events(format!("{EVENT} trailing").as_bytes()),
            Err(BatchError::MalformedJson(_))
        ));
        let mut latin1 = EVENT.as_bytes().to_vec();
        latin1[20] = 0xE9;
        assert!(matches!(
            split_into_events(&latin1),
            Err(BatchError::NotUtf8 { offset: 20 })
        ));
    }

    #[test]
    fn whitespace_removal_never_makes_invalid_json_valid() {
        for invalid in ["[1 2]", "[- 1]", "[1 .5]", "[tr ue]", "{\"a\" :\n 1 2}"] {
            let error = split_into_events(invalid.as_bytes()).unwrap_err();
            assert!(matches!(error, BatchError::MalformedJson(_)), "{invalid}: {error}");
        }
        // Error positions refer to the body as sent.
        let error = split_into_events(b"[\n\n   {\"kind\": \"Event\",, }]").unwrap_err();
        assert!(error.to_string().contains("line 3 column"), "{error}");
        // Whitespace inside strings is data.
        let event = "{\"kind\":\"Event\", \"msg\":\" a \\\" b\\\\\"  , \"stageTimestamp\":\"1970-01-01T00:00:00Z\"}";
        let events = split_into_events(event.as_bytes()).unwrap();
        assert_eq!(
            std::str::from_utf8(&events[0].json).unwrap(),
            "{\"kind\":\"Event\",\"msg\":\" a \\\" b\\\\\",\"stageTimestamp\":\"1970-01-01T00:00:00Z\"}"
        );
    }

    #[test]
    fn nesting_limit_matches_serde_json_recursion_limit() {
        let nested = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        // What we accept, serde_json (used by the field extraction) can parse, and vice versa.
        assert!(serde_json::from_str::<serde_json::Value>(&nested(MAX_JSON_NESTING)).is_ok());
        assert!(serde_json::from_str::<serde_json::Value>(&nested(MAX_JSON_NESTING + 1)).is_err());
        assert!(split_into_events(nested(MAX_JSON_NESTING).as_bytes()).is_ok());
        assert!(matches!(
            split_into_events(nested(100_000).as_bytes()),
            Err(BatchError::TooDeep {
                offset: MAX_JSON_NESTING
            })
        ));
        // Brackets inside strings do not count.
        let event = EVENT.replace("a1", &"[{".repeat(1000));
        assert_eq!(split_into_events(event.as_bytes()).unwrap().len(), 1);
    }
}
