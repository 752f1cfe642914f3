//! The event types a condition can match, over event codes, with libsinsp's rules: `evt.type =`
//! and `in` restrict, `!=` excludes, other checks match any type, and negation is pushed down
//! (De Morgan), so `not proc.name=foo` still matches any type while `not evt.type=open` matches
//! every type but `open`.

use std::collections::BTreeSet;

use crate::rules::ast::{BinaryOp, Expr, FieldExpr, ValueExpr};
use crate::rules::event_types::EventTypes;

/// The field whose checks restrict event types.
pub const EVT_TYPE_FIELD: &str = "evt.type";

/// A set of codes, either listed or "every code except".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeSet {
    Only(BTreeSet<u16>),
    AllExcept(BTreeSet<u16>),
}

impl CodeSet {
    pub fn all() -> CodeSet {
        CodeSet::AllExcept(BTreeSet::new())
    }

    fn complement(self) -> CodeSet {
        match self {
            CodeSet::Only(s) => CodeSet::AllExcept(s),
            CodeSet::AllExcept(s) => CodeSet::Only(s),
        }
    }

    fn intersect(self, other: CodeSet) -> CodeSet {
        use CodeSet::*;
        match (self, other) {
            (Only(a), Only(b)) => Only(a.intersection(&b).copied().collect()),
            (Only(a), AllExcept(b)) | (AllExcept(b), Only(a)) => Only(a.difference(&b).copied().collect()),
            (AllExcept(a), AllExcept(b)) => AllExcept(a.union(&b).copied().collect()),
        }
    }

    fn union(self, other: CodeSet) -> CodeSet {
        use CodeSet::*;
        match (self, other) {
            (Only(a), Only(b)) => Only(a.union(&b).copied().collect()),
            (Only(a), AllExcept(b)) | (AllExcept(b), Only(a)) => AllExcept(b.difference(&a).copied().collect()),
            (AllExcept(a), AllExcept(b)) => AllExcept(a.intersection(&b).copied().collect()),
        }
    }

    /// How many of the `universe` codes (the indexed ones) the set holds.
    pub fn count_in(&self, universe: &BTreeSet<u16>) -> usize {
        match self {
            CodeSet::Only(s) => s.intersection(universe).count(),
            CodeSet::AllExcept(s) => universe.len() - s.intersection(universe).count(),
        }
    }

    pub fn contains(&self, code: u16) -> bool {
        match self {
            CodeSet::Only(s) => s.contains(&code),
            CodeSet::AllExcept(s) => !s.contains(&code),
        }
    }
}

/// The event-type names of the `evt.type` checks of `expr` that are not in `types` (the
/// first one found), for libsinsp's "unknown event type" error.
pub fn first_unknown_event_type(expr: &Expr, types: &EventTypes) -> Option<String> {
    match expr {
        Expr::And(c, _) | Expr::Or(c, _) => c.iter().find_map(|e| first_unknown_event_type(e, types)),
        Expr::Not(e, _) => first_unknown_event_type(e, types),
        Expr::Binary(b) if is_evt_type(&b.field) => names(&b.value)
            .into_iter()
            .find(|n| types.codes(n).is_none())
            .map(str::to_string),
        _ => None,
    }
}

fn is_evt_type(f: &FieldExpr) -> bool {
    matches!(f, FieldExpr::Field { name, arg: None, .. } if name == EVT_TYPE_FIELD)
}

fn names(v: &ValueExpr) -> Vec<&str> {
    match v {
        ValueExpr::Value(s, _) => vec![s.as_str()],
        ValueExpr::List(items, _) => items.iter().map(|i| i.value.as_str()).collect(),
        ValueExpr::FieldRef(..) => Vec::new(),
    }
}

fn codes_of(v: &ValueExpr, types: &EventTypes) -> BTreeSet<u16> {
    names(v)
        .into_iter()
        .filter_map(|n| types.codes(n))
        .flatten()
        .copied()
        .collect()
}

/// The codes `expr` can match (`negated`: the expression is under an odd number of `not`).
pub fn event_codes(expr: &Expr, types: &EventTypes, negated: bool) -> CodeSet {
    match expr {
        Expr::And(children, _) | Expr::Or(children, _) => {
            let is_and = matches!(expr, Expr::And(..));
            let mut acc: Option<CodeSet> = None;
            for c in children {
                let s = event_codes(c, types, negated);
                acc = Some(match acc {
                    None => s,
                    Some(a) if is_and != negated => a.intersect(s),
                    Some(a) => a.union(s),
                });
            }
            acc.unwrap_or_else(CodeSet::all)
        }
        Expr::Not(inner, _) => event_codes(inner, types, !negated),
        Expr::Binary(b) if is_evt_type(&b.field) && b.modifier.is_none() => {
            let set = match b.op {
                BinaryOp::Eq | BinaryOp::In => CodeSet::Only(codes_of(&b.value, types)),
                BinaryOp::Ne => CodeSet::AllExcept(codes_of(&b.value, types)),
                _ => return CodeSet::all(),
            };
            if negated {
                set.complement()
            } else {
                set
            }
        }
        _ => CodeSet::all(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::parse::parse_condition;

    fn types() -> EventTypes {
        EventTypes::from_pairs([("open", 3), ("execve", 5), ("connect", 7), ("close", 9)])
    }

    fn set(cond: &str) -> CodeSet {
        event_codes(&parse_condition(cond).unwrap(), &types(), false)
    }

    fn only(codes: &[u16]) -> CodeSet {
        CodeSet::Only(codes.iter().copied().collect())
    }

    #[test]
    fn restrictions_through_and_or_not() {
        assert_eq!(set("evt.type=execve"), only(&[5]));
        assert_eq!(set("proc.name=foo"), CodeSet::all());
        assert_eq!(set("evt.type!=execve"), CodeSet::AllExcept([5].into()));
        assert_eq!(set("not evt.type=execve"), CodeSet::AllExcept([5].into()));
        assert_eq!(set("evt.type=execve and not proc.name=foo"), only(&[5]));
        assert_eq!(
            set("evt.type=execve and proc.name=foo or evt.type in (open, connect)"),
            only(&[3, 5, 7])
        );
        assert_eq!(
            set("evt.type in (execve, open) or evt.type!=connect"),
            CodeSet::AllExcept([7].into())
        );
        assert_eq!(set("not proc.name=foo and evt.type in (execve, open)"), only(&[3, 5]));
        assert_eq!(
            set("not (evt.type=open or proc.name=x)"),
            CodeSet::AllExcept([3].into()).intersect(CodeSet::all())
        );
        let universe: BTreeSet<u16> = [3, 5, 7, 9].into();
        assert_eq!(set("evt.type!=execve").count_in(&universe), 3);
    }

    #[test]
    fn unknown_names_are_found() {
        let e = parse_condition("evt.type in (open, list_a) and proc.name=x").unwrap();
        assert_eq!(first_unknown_event_type(&e, &types()), Some("list_a".to_string()));
        let e = parse_condition("evt.type = open").unwrap();
        assert_eq!(first_unknown_event_type(&e, &types()), None);
    }
}
