//! Splitting JSON read from files into audit events (Falco's `ParseAuditEventsJSON`): an
//! `EventList` gives each of its `items`, an `Event` gives itself, an array gives what its
//! elements give. The webhook does the same for request bodies in [`crate::webhook`].

use json_tape::{Kind, Value};

use crate::webhook::{parse_rfc3339_nanos, AuditEvent};

/// Why a JSON value read from a file is not audit data. Ends a file stream (as Falco).
#[derive(Debug, thiserror::Error)]
pub enum AuditDataError {
    #[error(
        "data not recognized as a k8s audit event at {location}: expected an object of kind \"Event\" \
         or \"EventList\" (or an array of them), found {found}"
    )]
    NotAuditData { location: String, found: String },
    #[error("EventList at {location} has no `items` array (found {found})")]
    MissingItems { location: String, found: String },
}

/// An audit event left out of the stream (Falco logs and skips these too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedEvent {
    pub location: String,
    pub reason: String,
}

fn describe(v: &Value<'_>) -> String {
    const MAX_SHOWN: usize = 40;
    let raw = String::from_utf8_lossy(v.raw());
    let shown: String = raw.chars().take(MAX_SHOWN).collect();
    let more = if shown.len() < raw.len() { "…" } else { "" };
    format!("`{shown}{more}`")
}

/// Splits `v` (found at `location`, e.g. `audit.log:3`) into events appended to `events`;
/// events without a usable `stageTimestamp` or longer than `max_event_size` go to `skipped`.
pub fn split_audit_value(
    v: Value<'_>,
    location: &str,
    max_event_size: usize,
    events: &mut impl Extend<AuditEvent>,
    skipped: &mut Vec<SkippedEvent>,
) -> Result<(), AuditDataError> {
    match v.kind() {
        Kind::Array => {
            for (i, e) in v.elements().enumerate() {
                split_audit_value(e, &format!("{location}[{i}]"), max_event_size, events, skipped)?;
            }
            Ok(())
        }
        Kind::Object => {
            let kind = v.get("kind").and_then(|k| k.as_str());
            match kind.as_deref() {
                Some("EventList") => {
                    let items = v.get("items").filter(|i| i.kind() == Kind::Array);
                    let Some(items) = items else {
                        return Err(AuditDataError::MissingItems {
                            location: location.to_owned(),
                            found: v.get("items").map_or("nothing".into(), |i| describe(&i)),
                        });
                    };
                    for (i, item) in items.elements().enumerate() {
                        let loc = format!("{location}.items[{i}]");
                        one_event(item, loc, max_event_size, events, skipped);
                    }
                    Ok(())
                }
                Some("Event") => {
                    one_event(v, location.to_owned(), max_event_size, events, skipped);
                    Ok(())
                }
                _ => Err(AuditDataError::NotAuditData {
                    location: location.to_owned(),
                    found: match kind {
                        Some(k) => format!("kind {k:?}"),
                        None => format!("an object without a string `kind`: {}", describe(&v)),
                    },
                }),
            }
        }
        _ => Err(AuditDataError::NotAuditData {
            location: location.to_owned(),
            found: describe(&v),
        }),
    }
}

fn one_event(
    item: Value<'_>,
    location: String,
    max_event_size: usize,
    events: &mut impl Extend<AuditEvent>,
    skipped: &mut Vec<SkippedEvent>,
) {
    let ts = match item.get("stageTimestamp").map(|t| t.as_str()) {
        None => Err("it has no `stageTimestamp`".to_owned()),
        Some(None) => Err("its `stageTimestamp` is not a string".to_owned()),
        Some(Some(t)) => parse_rfc3339_nanos(&t).map_err(|e| format!("its `stageTimestamp` {t:?} is not usable: {e}")),
    };
    let timestamp_ns = match ts {
        Ok(ts) => ts,
        Err(reason) => return skipped.push(SkippedEvent { location, reason }),
    };
    let mut json = Vec::with_capacity(item.raw().len());
    item.write_compact(&mut json);
    if json.len() > max_event_size {
        return skipped.push(SkippedEvent {
            location,
            reason: format!(
                "it is {} bytes long, more than maxEventSize ({max_event_size}); raise maxEventSize in init_config",
                json.len()
            ),
        });
    }
    events.extend(Some(AuditEvent {
        timestamp_ns,
        json: json.into(),
    }));
}
