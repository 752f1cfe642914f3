//! Macro and list expansion over the condition AST, with Falco's name rules:
//! * a bare identifier names a macro; it is replaced by the macro's (expanded) condition;
//! * an unquoted element of a list value that names a list is replaced by the list's items;
//!   quoted elements and plain values never name lists;
//! * a list's items may name lists defined before it (expanded once, at definition);
//! * a definition sees only the macros defined before it (or before its redefinition):
//!   `index < visibility`, so redefinition loops are detected as loops.

use std::collections::HashMap;

use crate::rules::ast::{BinaryCheck, Expr, ListItem, ValueExpr};

/// Deepest macro nesting followed before giving up (a loop is detected before this).
pub const MAX_MACRO_DEPTH: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExpandError {
    /// Falco's exact wording.
    #[error("Undefined macro '{0}' used in filter.")]
    UndefinedMacro(String),
    #[error("reference loop in macro '{0}'")]
    MacroLoop(String),
    #[error("macros nested deeper than {MAX_MACRO_DEPTH} levels (at macro '{0}')")]
    TooDeep(String),
}

/// A macro as expansion sees it: its parsed condition and its visibility bounds.
#[derive(Debug, Clone)]
pub struct MacroEntry {
    pub ast: Expr,
    pub index: usize,
    pub visibility: usize,
}

/// Lists (already resolved) and macros by name, plus "used" marks.
#[derive(Debug, Default)]
pub struct Definitions {
    pub lists: HashMap<String, (Vec<String>, usize)>,
    pub macros: HashMap<String, (MacroEntry, usize)>,
    pub list_used: Vec<bool>,
    pub macro_used: Vec<bool>,
}

/// Resolves list items that name earlier lists (`items: [list_a, x]`), in definition order.
/// `lists` is (name, raw items, index, visibility) in definition order. Returns the resolved
/// items of each and which lists were referenced by another list.
pub fn resolve_lists(lists: &[(&str, &[String], usize, usize)]) -> (Vec<Vec<String>>, Vec<bool>) {
    let by_name: HashMap<&str, usize> = lists.iter().enumerate().map(|(i, l)| (l.0, i)).collect();
    let mut used = vec![false; lists.len()];
    let mut out = Vec::with_capacity(lists.len());
    for (_, items, _, visibility) in lists {
        let mut resolved = Vec::with_capacity(items.len());
        for item in items.iter() {
            match by_name.get(item.as_str()) {
                Some(&r) if lists[r].2 < *visibility => {
                    used[r] = true;
                    resolved.extend(lists[r].1.iter().cloned());
                }
                _ => resolved.push(item.clone()),
            }
        }
        out.push(resolved);
    }
    (out, used)
}

impl Definitions {
    /// Expands macros and lists in `expr` as seen from a definition with `visibility`.
    /// `stack` holds the macros being expanded (for loop detection).
    pub fn expand(&mut self, expr: &Expr, visibility: usize, stack: &mut Vec<String>) -> Result<Expr, ExpandError> {
        Ok(match expr {
            Expr::And(children, p) => Expr::And(
                children
                    .iter()
                    .map(|c| self.expand(c, visibility, stack))
                    .collect::<Result<_, _>>()?,
                *p,
            ),
            Expr::Or(children, p) => Expr::Or(
                children
                    .iter()
                    .map(|c| self.expand(c, visibility, stack))
                    .collect::<Result<_, _>>()?,
                *p,
            ),
            Expr::Not(inner, p) => Expr::Not(Box::new(self.expand(inner, visibility, stack)?), *p),
            Expr::Identifier(name, _) => {
                let Some((entry, slot)) = self.macros.get(name) else {
                    return Err(ExpandError::UndefinedMacro(name.clone()));
                };
                if entry.index >= visibility {
                    return Err(ExpandError::UndefinedMacro(name.clone()));
                }
                if stack.iter().any(|s| s == name) {
                    return Err(ExpandError::MacroLoop(stack[0].clone()));
                }
                if stack.len() >= MAX_MACRO_DEPTH {
                    return Err(ExpandError::TooDeep(name.clone()));
                }
                let (ast, vis, slot) = (entry.ast.clone(), entry.visibility, *slot);
                self.macro_used[slot] = true;
                stack.push(name.clone());
                let expanded = self.expand(&ast, vis, stack);
                stack.pop();
                expanded?
            }
            Expr::Unary(u) => Expr::Unary(u.clone()),
            Expr::Binary(b) => Expr::Binary(self.expand_lists(b)),
        })
    }

    fn expand_lists(&mut self, b: &BinaryCheck) -> BinaryCheck {
        let (items, lp) = match &b.value {
            ValueExpr::List(items, lp) => (items, lp),
            // `x in name` (no parentheses): a bare identifier after a list operator.
            ValueExpr::Value(name, p) if b.op.takes_list() || b.modifier.is_some() => {
                let Some((values, slot)) = self.lists.get(name) else {
                    return b.clone();
                };
                self.list_used[*slot] = true;
                let items = values
                    .iter()
                    .map(|v| ListItem {
                        value: unquote(v),
                        quoted: true,
                        pos: *p,
                    })
                    .collect();
                return BinaryCheck {
                    value: ValueExpr::List(items, *p),
                    ..b.clone()
                };
            }
            // `x = name` with a one-item list: Falco 0.35 substituted list names as text, so
            // such conditions compare with the item (`proc.name=cat_binaries`).
            ValueExpr::Value(name, p) => {
                let Some((values, slot)) = self.lists.get(name) else {
                    return b.clone();
                };
                let [only] = values.as_slice() else {
                    return b.clone();
                };
                self.list_used[*slot] = true;
                return BinaryCheck {
                    value: ValueExpr::Value(unquote(only), *p),
                    ..b.clone()
                };
            }
            _ => return b.clone(),
        };
        let mut out: Vec<ListItem> = Vec::with_capacity(items.len());
        for item in items {
            match (item.quoted, self.lists.get(&item.value)) {
                (false, Some((values, slot))) => {
                    self.list_used[*slot] = true;
                    out.extend(values.iter().map(|v| ListItem {
                        value: unquote(v),
                        quoted: true,
                        pos: item.pos,
                    }));
                }
                _ => out.push(item.clone()),
            }
        }
        BinaryCheck {
            value: ValueExpr::List(out, *lp),
            ..b.clone()
        }
    }
}

/// List items written with quotes inside the YAML string (`'"cat /dev/null"'`) mean the text
/// between the quotes, as they would when pasted into a condition.
fn unquote(v: &str) -> String {
    let b = v.as_bytes();
    if b.len() >= 2 && (b[0] == b'"' || b[0] == b'\'') && b[b.len() - 1] == b[0] {
        v[1..v.len() - 1].to_string()
    } else {
        v.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::ast::{BinaryOp, FieldExpr, Pos};

    fn field(name: &str) -> FieldExpr {
        FieldExpr::Field {
            name: name.into(),
            arg: None,
            pos: Pos::default(),
        }
    }

    fn in_list(names: &[(&str, bool)]) -> Expr {
        Expr::Binary(BinaryCheck {
            field: field("proc.name"),
            op: BinaryOp::In,
            modifier: None,
            value: ValueExpr::List(
                names
                    .iter()
                    .map(|(n, q)| ListItem {
                        value: n.to_string(),
                        quoted: *q,
                        pos: Pos::default(),
                    })
                    .collect(),
                Pos::default(),
            ),
            pos: Pos::default(),
        })
    }

    #[test]
    fn lists_see_only_earlier_lists() {
        let a1 = vec!["open".to_string()];
        let b = vec!["list_a".to_string()];
        let a2 = vec!["list_b".to_string()];
        // list_a (index 0) redefined at counter 2; list_b defined at 1.
        let (resolved, used) = resolve_lists(&[("list_a", &a2, 0, 2), ("list_b", &b, 1, 1)]);
        assert_eq!(resolved[0], vec!["list_a".to_string()]);
        assert_eq!(resolved[1], vec!["list_b".to_string()]);
        assert_eq!(used, vec![true, true]);
        let (resolved, _) = resolve_lists(&[("list_a", &a1, 0, 0), ("list_b", &b, 1, 1)]);
        assert_eq!(resolved[1], vec!["open".to_string()]);
    }

    #[test]
    fn only_unquoted_elements_name_lists() {
        let mut defs = Definitions {
            list_used: vec![false],
            ..Definitions::default()
        };
        defs.lists
            .insert("shells".into(), (vec!["bash".into(), "\"zsh\"".into()], 0));
        let e = defs
            .expand(&in_list(&[("shells", false), ("shells", true)]), 10, &mut Vec::new())
            .unwrap();
        let Expr::Binary(b) = e else { panic!() };
        let ValueExpr::List(items, _) = b.value else { panic!() };
        let v: Vec<&str> = items.iter().map(|i| i.value.as_str()).collect();
        assert_eq!(v, ["bash", "zsh", "shells"]);
        assert!(defs.list_used[0]);
    }

    #[test]
    fn macros_expand_recursively_and_loops_are_reported() {
        let mut defs = Definitions {
            macro_used: vec![false, false],
            ..Definitions::default()
        };
        let ident = |n: &str| Expr::Identifier(n.into(), Pos::default());
        defs.macros.insert(
            "macro_a".into(),
            (
                MacroEntry {
                    ast: ident("macro_b"),
                    index: 0,
                    visibility: 2,
                },
                0,
            ),
        );
        defs.macros.insert(
            "macro_b".into(),
            (
                MacroEntry {
                    ast: ident("macro_a"),
                    index: 1,
                    visibility: 1,
                },
                1,
            ),
        );
        let err = defs
            .expand(&ident("macro_b"), 2, &mut vec!["macro_a".into()])
            .unwrap_err();
        assert_eq!(err, ExpandError::MacroLoop("macro_a".into()));
        assert_eq!(
            defs.expand(&ident("nope"), 5, &mut Vec::new()).unwrap_err().to_string(),
            "Undefined macro 'nope' used in filter."
        );
        // Not visible from a definition made before it.
        assert!(matches!(
            defs.expand(&ident("macro_b"), 1, &mut Vec::new()),
            Err(ExpandError::UndefinedMacro(_))
        ));
    }
}
