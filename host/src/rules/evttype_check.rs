//! libsinsp's "unknown event type" check: every name an `evt.type` check compares with must
//! be an event type of the source (a list name left unexpanded shows up here).

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
