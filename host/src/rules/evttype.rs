//! Event-type inference: the `evt.type` names a condition can match (libsinsp
//! `filter_ppm_codes` semantics), used to index rules by event type and to warn about rules
//! that match every event.

use std::collections::BTreeSet;

use super::ast::{BinaryCheck, BinaryOp, Expr, FieldExpr, OpModifier, ValueExpr};

/// A set of event-type names, kept symbolic so that complements need no event table:
/// `Only(S)` is exactly S, `AllExcept(S)` every event type but those in S.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventTypeSet {
    Only(BTreeSet<String>),
    AllExcept(BTreeSet<String>),
}

impl EventTypeSet {
    /// Every event type.
    pub fn any() -> Self {
        EventTypeSet::AllExcept(BTreeSet::new())
    }

    /// No event type.
    pub fn none() -> Self {
        EventTypeSet::Only(BTreeSet::new())
    }

    pub fn is_any(&self) -> bool {
        matches!(self, EventTypeSet::AllExcept(s) if s.is_empty())
    }

    pub fn is_none(&self) -> bool {
        matches!(self, EventTypeSet::Only(s) if s.is_empty())
    }

    fn complement(self) -> Self {
        match self {
            EventTypeSet::Only(s) => EventTypeSet::AllExcept(s),
            EventTypeSet::AllExcept(s) => EventTypeSet::Only(s),
        }
    }

    pub fn union(self, other: Self) -> Self {
        use EventTypeSet::*;
        match (self, other) {
            (Only(a), Only(b)) => Only(a.union(&b).cloned().collect()),
            (Only(a), AllExcept(b)) | (AllExcept(b), Only(a)) => AllExcept(b.difference(&a).cloned().collect()),
            (AllExcept(a), AllExcept(b)) => AllExcept(a.intersection(&b).cloned().collect()),
        }
    }

    pub fn intersection(self, other: Self) -> Self {
        use EventTypeSet::*;
        match (self, other) {
            (Only(a), Only(b)) => Only(a.intersection(&b).cloned().collect()),
            (Only(a), AllExcept(b)) | (AllExcept(b), Only(a)) => Only(a.difference(&b).cloned().collect()),
            (AllExcept(a), AllExcept(b)) => AllExcept(a.union(&b).cloned().collect()),
        }
    }

    /// Maps the names to event codes: `codes_of(name)` gives the codes of one name and `all`
    /// every code of the source. The result is sorted and deduplicated.
    pub fn to_codes<F>(&self, codes_of: F, all: &[u16]) -> Vec<u16>
    where
        F: Fn(&str) -> Vec<u16>,
    {
        let mut out: BTreeSet<u16> = BTreeSet::new();
        match self {
            EventTypeSet::Only(names) => {
                for n in names {
                    out.extend(codes_of(n));
                }
            }
            EventTypeSet::AllExcept(names) => {
                let excluded: BTreeSet<u16> = names.iter().flat_map(|n| codes_of(n)).collect();
                out.extend(all.iter().filter(|c| !excluded.contains(c)));
            }
        }
        out.into_iter().collect()
    }
}

/// The event types `expr` can match. Unexpanded macros count as matching anything.
pub fn event_types(expr: &Expr) -> EventTypeSet {
    infer(expr, false)
}

/// Negation is pushed down (De Morgan) rather than taken as a complement, so that a check
/// on another field stays "any event" whether negated or not.
fn infer(expr: &Expr, negated: bool) -> EventTypeSet {
    match expr {
        Expr::And(children, _) | Expr::Or(children, _) => {
            let is_and = matches!(expr, Expr::And(..));
            let mut sets = children.iter().map(|c| infer(c, negated));
            let first = sets.next().unwrap_or_else(EventTypeSet::any);
            // not(a and b) = not a or not b; not(a or b) = not a and not b.
            if is_and != negated {
                sets.fold(first, EventTypeSet::intersection)
            } else {
                sets.fold(first, EventTypeSet::union)
            }
        }
        Expr::Not(child, _) => infer(child, !negated),
        Expr::Identifier(..) | Expr::Unary(_) => EventTypeSet::any(),
        Expr::Binary(b) => match plain_field(&b.field) {
            Some(("evt.type", None)) => evt_type_check(b, negated),
            Some(("evt.num", None)) => {
                if evt_num_never_true(b, negated) {
                    EventTypeSet::none()
                } else {
                    EventTypeSet::any()
                }
            }
            _ => EventTypeSet::any(),
        },
    }
}

fn plain_field(f: &FieldExpr) -> Option<(&str, Option<&str>)> {
    match f {
        FieldExpr::Field { name, arg, .. } => Some((name.as_str(), arg.as_deref())),
        _ => None,
    }
}

fn list_names(v: &ValueExpr) -> Option<BTreeSet<String>> {
    match v {
        ValueExpr::Value(s, _) => Some(BTreeSet::from([s.clone()])),
        ValueExpr::List(items, _) => Some(items.iter().map(|i| i.value.clone()).collect()),
        ValueExpr::FieldRef(..) => None,
    }
}

fn evt_type_check(b: &BinaryCheck, negated: bool) -> EventTypeSet {
    let Some(names) = list_names(&b.value) else {
        return EventTypeSet::any();
    };
    // `= anyof/oneof (…)` matches one of the names; `!= allof (…)` none of them.
    let positive = match (b.op, b.modifier) {
        (BinaryOp::Eq, None | Some(OpModifier::AnyOf) | Some(OpModifier::OneOf)) => true,
        (BinaryOp::In | BinaryOp::Intersects, None) => true,
        (BinaryOp::Ne, None | Some(OpModifier::AllOf)) => false,
        _ => return EventTypeSet::any(),
    };
    let set = EventTypeSet::Only(names);
    if positive != negated {
        set
    } else {
        set.complement()
    }
}

/// `evt.num` starts at 1: a check equivalent to `evt.num = 0`, `< 1` or `<= 0` never holds
/// (the `never_true` macro). Values must be plain decimal numbers to count.
fn evt_num_never_true(b: &BinaryCheck, negated: bool) -> bool {
    let num = |s: &str| -> Option<u64> {
        (!s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    if b.modifier.is_some() {
        return false;
    }
    match (&b.value, b.op, negated) {
        (ValueExpr::List(items, _), BinaryOp::In, false) => items.iter().all(|i| num(&i.value) == Some(0)),
        (ValueExpr::Value(v, _), op, neg) => {
            let Some(n) = num(v) else {
                return false;
            };
            match (op, neg) {
                (BinaryOp::Eq, false) | (BinaryOp::Ne, true) => n == 0,
                (BinaryOp::Lt, false) | (BinaryOp::Ge, true) => n <= 1,
                (BinaryOp::Le, false) | (BinaryOp::Gt, true) => n == 0,
                _ => false,
            }
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::parse::parse_condition;

    fn names(s: &[&str]) -> BTreeSet<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    fn infer_text(c: &str) -> EventTypeSet {
        event_types(&parse_condition(c).unwrap())
    }

    #[test]
    fn inference() {
        assert_eq!(
            infer_text("evt.type in (open, openat) and proc.name=cat"),
            EventTypeSet::Only(names(&["open", "openat"]))
        );
        assert_eq!(
            infer_text("not evt.type=openat"),
            EventTypeSet::AllExcept(names(&["openat"]))
        );
        assert!(infer_text("not proc.name=cat").is_any());
        assert!(infer_text("evt.num=0 and evt.type=openat").is_none());
        assert!(infer_text("not evt.num>=1").is_none());
        assert!(infer_text("evt.num=-1").is_any());
        assert!(infer_text("(evt.type=mmap and not evt.type=mmap)").is_none());
        let codes =
            EventTypeSet::AllExcept(names(&["a"])).to_codes(|n| if n == "a" { vec![1, 2] } else { vec![] }, &[1, 2, 3]);
        assert_eq!(codes, vec![3]);
    }
}
