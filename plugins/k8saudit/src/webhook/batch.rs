//! Splitting one webhook request body into audit events.
//!
//! Accepted bodies (as Falco's k8saudit plugin 0.x `ParseAuditEventsJSON`): an `audit.k8s.io/v1`
//! object of kind `EventList` (each of `items` is one event), of kind `Event` (itself one event),
//! or a JSON array whose elements are any of these. Unlike Falco, which logs and skips a bad item,
//! a request is all-or-nothing: any bad item rejects the whole request with the item's location,
//! so the sender learns about it and nothing is half-delivered.

use std::borrow::Cow;

use serde::Deserialize;
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
    items: Option<&'a RawValue>,
    #[serde(borrow, rename = "stageTimestamp")]
    stage_timestamp: Option<&'a RawValue>,
}

/// Splits a request body (or one JSON line of an audit log) into audit events, in document order.
pub fn split_into_events(body: &[u8]) -> Result<Vec<AuditEvent>, BatchError> {
    let text = std::str::from_utf8(body).map_err(|err| BatchError::NotUtf8 {
        offset: err.valid_up_to(),
    })?;
    check_nesting(text.as_bytes())?;
    let root: &RawValue = serde_json::from_str(text)?;
    let mut events = Vec::new();
    let mut location = Location(Vec::new());
    collect(root, &mut location, &mut events)?;
    Ok(events)
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

fn collect(value: &RawValue, location: &mut Location, events: &mut Vec<AuditEvent>) -> Result<(), BatchError> {
    match value.get().as_bytes().first() {
        Some(b'[') => {
            let elements: Vec<&RawValue> = serde_json::from_str(value.get())?;
            for (index, element) in elements.into_iter().enumerate() {
                location.0.push(Step::Element(index));
                collect(element, location, events)?;
                location.0.pop();
            }
            Ok(())
        }
        Some(b'{') => {
            let envelope: Envelope = serde_json::from_str(value.get())?;
            let kind = match envelope.kind {
                Some(kind) if kind.get().starts_with('"') => json_string(kind)?,
                Some(kind) => {
                    return Err(BatchError::WrongKind {
                        location: location.to_string(),
                        found: format!("an object whose `kind` is {}", describe(kind)),
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
                "EventList" => collect_items(&envelope, location, events),
                "Event" => {
                    events.push(audit_event(value, &envelope, location)?);
                    Ok(())
                }
                other => Err(BatchError::WrongKind {
                    location: location.to_string(),
                    found: format!("kind {other:?}"),
                }),
            }
        }
        _ => Err(BatchError::WrongKind {
            location: location.to_string(),
            found: describe(value),
        }),
    }
}

fn collect_items(list: &Envelope, location: &mut Location, events: &mut Vec<AuditEvent>) -> Result<(), BatchError> {
    let missing = |found: String| BatchError::MissingItems {
        location: location.to_string(),
        found,
    };
    let items = list.items.ok_or_else(|| missing("no `items`".to_owned()))?;
    if !items.get().starts_with('[') {
        return Err(missing(describe(items)));
    }
    let items: Vec<&RawValue> = serde_json::from_str(items.get())?;
    events.reserve(items.len());
    for (index, item) in items.into_iter().enumerate() {
        location.0.push(Step::Item(index));
        // Falco does not check the kind of list items; an item only has to be an object.
        if !item.get().starts_with('{') {
            return Err(BatchError::WrongKind {
                location: location.to_string(),
                found: describe(item),
            });
        }
        let envelope: Envelope = serde_json::from_str(item.get())?;
        events.push(audit_event(item, &envelope, location)?);
        location.0.pop();
    }
    Ok(())
}

fn audit_event(item: &RawValue, envelope: &Envelope, location: &Location) -> Result<AuditEvent, BatchError> {
    let raw_timestamp = envelope.stage_timestamp.ok_or_else(|| BatchError::MissingTimestamp {
        location: location.to_string(),
        found: "no such key".to_owned(),
    })?;
    if !raw_timestamp.get().starts_with('"') {
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
        json: compact_json(item.get()),
    })
}

/// Decodes a raw JSON string (the caller checked that it is one).
fn json_string(raw: &RawValue) -> Result<Cow<'_, str>, BatchError> {
    Ok(serde_json::from_str::<Cow<str>>(raw.get())?)
}

/// A short description of an unexpected JSON value for error messages.
fn describe(value: &RawValue) -> String {
    const MAX_SHOWN_CHARS: usize = 40;
    let text = value.get();
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

/// Checks that arrays/objects nest at most [`MAX_JSON_NESTING`] deep, without recursion.
fn check_nesting(json: &[u8]) -> Result<(), BatchError> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (offset, &byte) in json.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == b'"' {
                in_string = false;
            }
            continue;
        }
        match byte {
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
    }
    Ok(())
}

/// The item's JSON text without insignificant whitespace (Falco re-serialises each item
/// compactly). Key order and string escapes are kept as sent. `json` must be valid JSON.
fn compact_json(json: &str) -> Vec<u8> {
    let bytes = json.as_bytes();
    let mut compact = Vec::with_capacity(bytes.len());
    let mut in_string = false;
    let mut escaped = false;
    let mut run_start = 0;
    for (offset, &byte) in bytes.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == b'"' {
                in_string = false;
            }
        } else if byte == b'"' {
            in_string = true;
        } else if matches!(byte, b' ' | b'\t' | b'\n' | b'\r') {
            // Copy the run of significant bytes before this whitespace in one go.
            compact.extend_from_slice(&bytes[run_start..offset]);
            run_start = offset + 1;
        }
    }
    compact.extend_from_slice(&bytes[run_start..]);
    compact
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVENT: &str = r#"{"kind":"Event","auditID":"a1","stageTimestamp":"2022-01-18T09:10:37.382458Z"}"#;

    #[test]
    fn single_event_is_one_compact_event_with_stage_timestamp() {
        let body = "{ \"kind\" : \"Event\",\n \"auditID\": \"a b\\\" \\n\",\t\"stageTimestamp\": \"1970-01-01T00:00:02Z\", \"requestReceivedTimestamp\": \"1970-01-01T00:00:01Z\" }";
        let events = split_into_events(body.as_bytes()).unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].timestamp_ns, 2_000_000_000);
        assert_eq!(
            String::from_utf8(events[0].json.clone()).unwrap(),
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
