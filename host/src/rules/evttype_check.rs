//! Checks on expanded conditions before compilation: libsinsp's "unknown event type" (every
//! name compared with `evt.type` must be an event type of the source; a list name left
//! unexpanded shows up here) and Falco's unsafe `<NA>` comparison warning.

use crate::rules::ast::{Expr, FieldExpr, ValueExpr};
use crate::rules::event_types::EventTypes;

/// The field whose values are event-type names.
pub const EVT_TYPE_FIELD: &str = "evt.type";

/// The first name compared with `evt.type` in `expr` that `types` does not know.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::parse::parse_condition;

    #[test]
    fn unknown_names_are_found() {
        let types = EventTypes::from_pairs([("open", 3), ("execve", 5)]);
        let e = parse_condition("evt.type in (open, list_a) and proc.name=x").unwrap();
        assert_eq!(first_unknown_event_type(&e, &types), Some("list_a".to_string()));
        let e = parse_condition("not evt.type = open and evt.type != execve").unwrap();
        assert_eq!(first_unknown_event_type(&e, &types), None);
        let e = parse_condition("proc.name = list_a").unwrap();
        assert_eq!(first_unknown_event_type(&e, &types), None);
    }
}

/// The value libsinsp renders for a missing field; comparing with it is unreliable.
pub const NA_VALUE: &str = "<NA>";

/// The first field compared with the literal `<NA>` (`=`, `!=`, or inside an `in` list): such
/// checks get LOAD_UNSAFE_NA_CHECK, as in Falco.
pub fn first_unsafe_na_check(expr: &Expr) -> Option<String> {
    use crate::rules::ast::BinaryOp;
    match expr {
        Expr::And(c, _) | Expr::Or(c, _) => c.iter().find_map(first_unsafe_na_check),
        Expr::Not(e, _) => first_unsafe_na_check(e),
        Expr::Binary(b) if matches!(b.op, BinaryOp::Eq | BinaryOp::Ne | BinaryOp::In) => {
            if names(&b.value).contains(&NA_VALUE) {
                Some(match &b.field {
                    FieldExpr::Field { name, arg: Some(a), .. } => format!("{name}[{a}]"),
                    FieldExpr::Field { name, .. } => name.clone(),
                    _ => "a transformed field".to_string(),
                })
            } else {
                None
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod na_tests {
    use super::*;
    use crate::rules::parse::parse_condition;

    #[test]
    fn na_comparisons_are_found() {
        let e = parse_condition("evt.type = open and not proc.pname = \"<NA>\"").unwrap();
        assert_eq!(first_unsafe_na_check(&e), Some("proc.pname".to_string()));
        let e = parse_condition("proc.aname[2] in (a, <NA>)").unwrap();
        assert_eq!(first_unsafe_na_check(&e), Some("proc.aname[2]".to_string()));
        let e = parse_condition("proc.name contains \"<NA>\"").unwrap();
        assert_eq!(first_unsafe_na_check(&e), None);
    }
}
