//! Rule exceptions turned into condition text, the way Falco does it:
//! `(<condition>) and not <ex1> and not <ex2> …` where a tuple exception is
//! `((f1 c1 v1 and f2 c2 v2) or (…))` and a single-field exception is `(f c (v1, v2))`.
//! Exceptions without values add nothing.

use crate::rules::load::items::{ExceptionDef, ExceptionValue, Tuple};

/// Operators whose right-hand side is a list.
fn takes_list(comp: &str) -> bool {
    matches!(comp, "in" | "intersects" | "pmatch")
}

/// A value as a condition token: kept as written when already quoted or a bare word, quoted
/// (with escapes) when it holds spaces or characters that would end a bare word.
pub fn quote_value(v: &str) -> String {
    let b = v.as_bytes();
    let already_quoted = b.len() >= 2 && (b[0] == b'"' || b[0] == b'\'') && b[b.len() - 1] == b[0];
    let bare_ok = !v.is_empty()
        && !v
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '(' | ')' | ',' | '"' | '\'' | '=' | '<' | '>' | '!'));
    if already_quoted || bare_ok {
        return v.to_string();
    }
    let mut out = String::with_capacity(v.len() + 2);
    out.push('"');
    for c in v.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// `(a, b)` from a list value.
fn paren_list(items: &[ExceptionValue]) -> String {
    let parts: Vec<String> = items
        .iter()
        .map(|i| match i {
            ExceptionValue::Scalar(s) => quote_value(s),
            ExceptionValue::List(inner) => paren_list(inner),
        })
        .collect();
    format!("({})", parts.join(", "))
}

/// The right-hand side for `comp`: a list value as `(…)`; a scalar given to a list operator
/// is wrapped in parentheses unless it already starts with one (so it may name a list).
fn rhs(comp: &str, v: &ExceptionValue) -> String {
    match v {
        ExceptionValue::List(items) => paren_list(items),
        ExceptionValue::Scalar(s) if takes_list(comp) => {
            if s.starts_with('(') {
                s.clone()
            } else {
                format!("({})", quote_value(s))
            }
        }
        ExceptionValue::Scalar(s) => quote_value(s),
    }
}

/// The text of one exception, or `None` when it has no values.
pub fn exception_condition(ex: &ExceptionDef) -> Option<String> {
    let fields = ex.fields.as_ref()?;
    let comps = ex.comps.clone().unwrap_or(Tuple::Single("in".into()));
    if ex.values.is_empty() {
        return None;
    }
    match (fields, &comps) {
        (Tuple::Single(f), comp) => {
            let comp = comp.items().first().copied().unwrap_or("in").to_string();
            let parts: Vec<String> = ex
                .values
                .iter()
                .map(|v| match v {
                    ExceptionValue::Scalar(s) => quote_value(s),
                    ExceptionValue::List(items) => paren_list(items),
                })
                .collect();
            Some(format!("({f} {comp} ({}))", parts.join(", ")))
        }
        (Tuple::Many(fs), comps) => {
            let comps = comps.items();
            let mut alts = Vec::new();
            for v in &ex.values {
                let ExceptionValue::List(vals) = v else {
                    continue;
                };
                let checks: Vec<String> = fs
                    .iter()
                    .zip(vals)
                    .enumerate()
                    .map(|(k, (f, val))| {
                        let c = comps.get(k).copied().unwrap_or("=");
                        format!("{f} {c} {}", rhs(c, val))
                    })
                    .collect();
                alts.push(format!("({})", checks.join(" and ")));
            }
            if alts.is_empty() {
                None
            } else {
                Some(format!("({})", alts.join(" or ")))
            }
        }
    }
}

/// The rule condition with its exceptions applied; unchanged when no exception has values.
pub fn apply_exceptions(condition: &str, exceptions: &[ExceptionDef]) -> String {
    let parts: Vec<String> = exceptions.iter().filter_map(exception_condition).collect();
    if parts.is_empty() {
        return condition.to_string();
    }
    let mut out = format!("({condition})");
    for p in parts {
        out.push_str(" and not ");
        out.push_str(&p);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::results::Context;

    fn s(v: &str) -> ExceptionValue {
        ExceptionValue::Scalar(v.into())
    }

    fn ex(fields: Tuple, comps: Option<Tuple>, values: Vec<ExceptionValue>) -> ExceptionDef {
        ExceptionDef {
            name: "e".into(),
            fields: Some(fields),
            comps,
            values,
            ctx: Context::default(),
        }
    }

    #[test]
    fn tuple_exceptions_quote_values_with_spaces() {
        let e = ex(
            Tuple::Many(vec!["proc.name".into(), "proc.cmdline".into()]),
            Some(Tuple::Many(vec!["=".into(), "=".into()])),
            vec![
                ExceptionValue::List(vec![s("not-cat"), s("not-cat")]),
                ExceptionValue::List(vec![s("cat"), s("\"cat /dev/null\"")]),
            ],
        );
        assert_eq!(
            apply_exceptions("evt.type=open", &[e]),
            "(evt.type=open) and not ((proc.name = not-cat and proc.cmdline = not-cat) or (proc.name = cat and proc.cmdline = \"cat /dev/null\"))"
        );
    }

    #[test]
    fn list_operators_get_parenthesised_values() {
        let e = ex(
            Tuple::Many(vec!["proc.name".into(), "proc.cmdline".into()]),
            Some(Tuple::Many(vec!["=".into(), "in".into()])),
            vec![ExceptionValue::List(vec![s("cat"), s("cat_cmdlines")])],
        );
        assert_eq!(
            exception_condition(&e).unwrap(),
            "((proc.name = cat and proc.cmdline in (cat_cmdlines)))"
        );
        let single = ex(
            Tuple::Single("proc.cmdline".into()),
            Some(Tuple::Single("in".into())),
            vec![s("cat /dev/null"), s("x")],
        );
        assert_eq!(
            exception_condition(&single).unwrap(),
            "(proc.cmdline in (\"cat /dev/null\", x))"
        );
        let none = ex(Tuple::Single("proc.name".into()), None, vec![]);
        assert_eq!(apply_exceptions("a", &[none]), "a");
    }

    #[test]
    fn generated_conditions_parse_back_to_the_values() {
        use crate::rules::ast::{Expr, ValueExpr};
        use crate::rules::parse::parse_condition;
        let tricky = "say \"hi\" (now), ok";
        let e = ex(
            Tuple::Many(vec!["proc.cmdline".into(), "fd.name".into()]),
            Some(Tuple::Many(vec!["=".into(), "startswith".into()])),
            vec![ExceptionValue::List(vec![s(tricky), s("/tmp/")])],
        );
        let text = apply_exceptions("evt.type=open", &[e]);
        let ast = parse_condition(&text).unwrap_or_else(|err| panic!("{text}: {err}"));
        let Expr::And(parts, _) = ast else { panic!("{ast:?}") };
        let Expr::Not(inner, _) = &parts[1] else { panic!() };
        let Expr::And(checks, _) = inner.as_ref() else {
            panic!("{inner:?}")
        };
        let Expr::Binary(b) = &checks[0] else { panic!() };
        assert_eq!(
            b.value,
            ValueExpr::Value(
                tricky.to_string(),
                match &b.value {
                    ValueExpr::Value(_, p) => *p,
                    _ => panic!(),
                }
            )
        );
    }
}
