//! From collected items to rules with fully expanded conditions: exceptions applied, lists
//! and macros substituted, every macro checked on its own (Falco validates unused macros too),
//! unused lists/macros reported.

use std::collections::HashMap;

use crate::rules::ast::{Expr, Pos};
use crate::rules::exceptions::apply_exceptions;
use crate::rules::expand::{resolve_lists, Definitions, MacroEntry};
use crate::rules::load::items::{Collection, RuleDef, Text};
use crate::rules::parse::{parse_condition, ParseError};
use crate::rules::results::{Code, Context, ErrorCode, ItemType, LoadMessage, SourcePosition, WarningCode};

/// A rule whose condition is ready for the compiler.
#[derive(Debug, Clone)]
pub struct ExpandedRule {
    pub def: RuleDef,
    pub condition: Expr,
}

/// Messages produced while expanding (each names its item, so the caller can attribute it to
/// the file the item came from).
pub type Messages = Vec<LoadMessage>;

fn message(code: Code, text: impl Into<String>, ctx: &Context) -> LoadMessage {
    LoadMessage {
        code,
        message: text.into(),
        context: ctx.clone(),
    }
}

/// Where a parse error points, in file terms: the condition's start plus the offset inside
/// it (exact for conditions written on one line).
fn parse_error_position(text: &Text, err: &ParseError) -> SourcePosition {
    let Pos { idx, line, col } = err.pos;
    let base = &text.position;
    let (line, column) = if line <= 1 {
        (base.line, base.column + col.saturating_sub(1) as usize)
    } else {
        (base.line + line as usize - 1, col as usize)
    };
    SourcePosition {
        name: base.name.clone(),
        line,
        column,
        offset: base.offset + idx as usize,
    }
}

fn condition_error(item_ctx: &Context, cond_type: ItemType, text: &Text, err: &ParseError) -> LoadMessage {
    let ctx = item_ctx.child(cond_type, "", text.position.clone()).child(
        ItemType::ConditionExpression,
        "",
        parse_error_position(text, err),
    );
    let snippet = item_ctx.snippet.clone();
    message(
        Code::Error(ErrorCode::CompileCondition),
        err.message.clone(),
        &Context {
            locations: ctx.locations,
            snippet,
        },
    )
}

/// Expands every rule of `coll`. Rules that fail are left out; their errors are returned.
pub fn expand_all(coll: &Collection) -> (Vec<ExpandedRule>, Messages, Messages) {
    let mut errors = Messages::new();
    let mut warnings = Messages::new();

    let list_rows: Vec<(&str, &[String], usize, usize)> = coll
        .lists
        .items
        .iter()
        .map(|l| (l.name.as_str(), l.items.as_slice(), l.index, l.visibility))
        .collect();
    let (resolved, list_used_by_lists) = resolve_lists(&list_rows);
    let mut defs = Definitions {
        lists: HashMap::new(),
        macros: HashMap::new(),
        list_used: list_used_by_lists,
        macro_used: vec![false; coll.macros.len()],
    };
    for (slot, (l, items)) in coll.lists.items.iter().zip(resolved).enumerate() {
        defs.lists.insert(l.name.clone(), (items, slot));
    }

    // Parse every macro first, so that any macro may refer to any visible one.
    let mut macro_ok = vec![false; coll.macros.len()];
    for (slot, m) in coll.macros.items.iter().enumerate() {
        match parse_condition(&m.condition.text) {
            Ok(ast) => {
                macro_ok[slot] = true;
                defs.macros.insert(
                    m.name.clone(),
                    (
                        MacroEntry {
                            ast,
                            index: m.index,
                            visibility: m.visibility,
                        },
                        slot,
                    ),
                );
            }
            Err(e) => errors.push(condition_error(&m.ctx, ItemType::MacroCondition, &m.condition, &e)),
        }
    }
    // Check each macro alone: undefined references and loops are errors even when unused.
    for (slot, m) in coll.macros.items.iter().enumerate() {
        if !macro_ok[slot] {
            continue;
        }
        let ast = defs.macros[&m.name].0.ast.clone();
        let mut stack = vec![m.name.clone()];
        let r = defs.expand(&ast, m.visibility, &mut stack);
        if let Err(e) = r {
            errors.push(message(Code::Error(ErrorCode::Validate), e.to_string(), &m.ctx));
        }
    }

    let mut out = Vec::new();
    for r in &coll.rules.items {
        let text = apply_exceptions(&r.condition.text, &r.exceptions);
        let ast = match parse_condition(&text) {
            Ok(a) => a,
            Err(e) => {
                let cond = Text {
                    text,
                    position: r.condition.position.clone(),
                };
                errors.push(condition_error(&r.ctx, ItemType::RuleCondition, &cond, &e));
                continue;
            }
        };
        // Rules see every macro, whatever their order (only macros and lists are bound by
        // definition order).
        match defs.expand(&ast, usize::MAX, &mut Vec::new()) {
            Ok(condition) => out.push(ExpandedRule {
                def: r.clone(),
                condition,
            }),
            Err(e) => errors.push(message(Code::Error(ErrorCode::Validate), e.to_string(), &r.ctx)),
        }
    }

    for (slot, m) in coll.macros.items.iter().enumerate() {
        if !defs.macro_used[slot] {
            warnings.push(message(
                Code::Warning(WarningCode::UnusedMacro),
                "Macro not referred to by any other rule/macro",
                &m.ctx,
            ));
        }
    }
    for (slot, l) in coll.lists.items.iter().enumerate() {
        if !defs.list_used[slot] {
            warnings.push(message(
                Code::Warning(WarningCode::UnusedList),
                "List not referred to by any other rule/macro",
                &l.ctx,
            ));
        }
    }
    (out, errors, warnings)
}
