//! Value gates: an event's candidate rules narrowed with one lookup per field.
//!
//! Most official rules require, as a top-level conjunct, that a field equal one of a few
//! constants (`proc.name in (...)`, `proc.is_exe_upper_layer = true`). For each event type the
//! candidate rules are grouped by such a field; per event the field is extracted once and its
//! value looked up in a table naming the candidates that require that value. The other rules
//! of the group are false for the event and are not evaluated at all.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use super::ast::{BinaryOp, OpModifier};
use super::compile::{const_key, Check, CheckOp, CompiledFilter, Extract, KeyHasher, Node, Rhs, SlotDef};
use super::eval::{ensure, first_value_key, EvalContext};
use super::fields::{FieldSource, FieldType, TypeClass};
use super::ruleset::RuleIdx;

/// Candidate lists longer than this are evaluated rule by rule: the per-event set of
/// positions lives on the stack.
pub const MAX_GATED_CANDIDATES: usize = 256;
const WORDS: usize = MAX_GATED_CANDIDATES / 64;

/// Fields never used as gates: the event-type index has already decided them.
const UNGATED_FIELDS: &[&str] = &["evt.type"];

/// A set of positions in a candidate list.
pub(crate) type Positions = [u64; WORDS];

/// One gate field of a candidate list: the positions of the rules that require it to have
/// one of some values, and per value the positions of the rules it satisfies.
#[derive(Debug)]
struct Gate {
    slot: SlotDef,
    members: Positions,
    by_value: HashMap<Vec<u8>, Positions, BuildHasherDefault<KeyHasher>>,
}

/// The candidate rules of one event type (load order) and their gates.
#[derive(Debug, Default)]
pub(crate) struct GatedCandidates {
    pub(crate) rules: Vec<RuleIdx>,
    /// Positions of every candidate.
    all: Positions,
    /// Positions of the rules without a gate.
    open: Positions,
    gates: Vec<Gate>,
    /// Too many candidates to gate: every rule is evaluated.
    ungated: bool,
    registry: u64,
    cache_len: usize,
}

/// A required conjunct usable as a gate: its field's slot and the keys that satisfy it.
struct GateOption {
    slot: SlotDef,
    keys: Vec<Vec<u8>>,
}

impl GatedCandidates {
    /// No candidates.
    pub(crate) const EMPTY: GatedCandidates = GatedCandidates {
        rules: Vec::new(),
        all: [0; WORDS],
        open: [0; WORDS],
        gates: Vec::new(),
        ungated: false,
        registry: 0,
        cache_len: 0,
    };

    /// Groups `rules` (one event type's candidates, load order) by gate field; `filter`
    /// gives each rule's compiled condition.
    pub(crate) fn new<'f>(rules: Vec<RuleIdx>, filter: impl Fn(RuleIdx) -> &'f CompiledFilter) -> Self {
        let mut plan = GatedCandidates {
            rules,
            ..GatedCandidates::default()
        };
        let registries: Vec<u64> = plan.rules.iter().map(|&r| filter(r).registry).collect();
        if plan.rules.len() > MAX_GATED_CANDIDATES || registries.windows(2).any(|w| w[0] != w[1]) {
            plan.ungated = true;
            return plan;
        }
        plan.registry = registries.first().copied().unwrap_or(0);
        for pos in 0..plan.rules.len() {
            plan.all[pos / 64] |= 1 << (pos % 64);
        }
        let mut gate_of_slot: HashMap<u32, usize> = HashMap::new();
        for (pos, options) in plan.rules.iter().map(|&r| gate_options(filter(r))).enumerate() {
            let bit = 1u64 << (pos % 64);
            if options.is_empty() {
                plan.open[pos / 64] |= bit;
                continue;
            }
            for option in options {
                let g = *gate_of_slot.entry(option.slot.global).or_insert_with(|| {
                    plan.cache_len = plan.cache_len.max(option.slot.global as usize + 1);
                    plan.gates.push(Gate {
                        slot: option.slot.clone(),
                        members: [0; WORDS],
                        by_value: HashMap::default(),
                    });
                    plan.gates.len() - 1
                });
                let gate = &mut plan.gates[g];
                gate.members[pos / 64] |= bit;
                for key in option.keys {
                    gate.by_value.entry(key).or_insert([0; WORDS])[pos / 64] |= bit;
                }
            }
        }
        // Gates deciding the most rules first: the sooner no candidate is left, the fewer
        // fields are extracted.
        plan.gates
            .sort_by_key(|g| std::cmp::Reverse(g.members.iter().map(|w| w.count_ones()).sum::<u32>()));
        plan
    }

    /// Number of candidates that only run when their gate field has one of their values.
    pub(crate) fn gated_count(&self) -> usize {
        if self.ungated {
            return 0;
        }
        self.rules.len() - self.open.iter().map(|w| w.count_ones() as usize).sum::<usize>()
    }

    /// Positions of the candidates that may match the current event (the others are false).
    fn live(&self, ctx: &mut EvalContext, src: &mut dyn FieldSource) -> Positions {
        let mut live = self.all;
        if self.gates.is_empty() {
            return live;
        }
        ctx.bind(self.registry, self.cache_len, 0);
        for gate in &self.gates {
            // Only gates of candidates still alive are worth an extraction.
            if live.iter().zip(&gate.members).all(|(l, m)| l & m == 0) {
                continue;
            }
            let passed = if ensure(std::slice::from_ref(&gate.slot), 0, ctx, src) {
                first_value_key(ctx, gate.slot.global as usize, gate.slot.ty).and_then(|k| gate.by_value.get(k))
            } else {
                None
            };
            for (w, l) in live.iter_mut().enumerate() {
                *l &= !gate.members[w] | passed.map_or(0, |p| p[w]);
            }
        }
        live
    }
}

/// The rules of one event's candidates whose condition holds, in load order: call
/// `EvalContext::next_event` first, then `next` until it returns `None`.
pub struct Matching<'r> {
    rules: &'r [super::ruleset::Rule],
    plan: &'r GatedCandidates,
    live: Option<Positions>,
    next: usize,
}

impl<'r> Matching<'r> {
    pub(crate) fn new(rules: &'r [super::ruleset::Rule], plan: &'r GatedCandidates) -> Self {
        Matching {
            rules,
            plan,
            live: None,
            next: 0,
        }
    }

    /// The next candidate (load order) whose condition holds for the current event.
    pub fn next(&mut self, ctx: &mut EvalContext, src: &mut dyn FieldSource) -> Option<RuleIdx> {
        let plan = self.plan;
        if plan.ungated {
            while let Some(&idx) = plan.rules.get(self.next) {
                self.next += 1;
                if self.rules[idx].filter.eval(ctx, src) {
                    return Some(idx);
                }
            }
            return None;
        }
        let live = *self.live.get_or_insert_with(|| plan.live(ctx, src));
        while let Some(pos) = next_position(&live, self.next) {
            self.next = pos + 1;
            let idx = plan.rules[pos];
            if self.rules[idx].filter.eval(ctx, src) {
                return Some(idx);
            }
        }
        self.next = plan.rules.len();
        None
    }
}

/// The first position ≥ `from` in `set`.
fn next_position(set: &Positions, from: usize) -> Option<usize> {
    let mut w = from / 64;
    if w >= WORDS {
        return None;
    }
    let mut bits = set[w] & (u64::MAX << (from % 64));
    loop {
        if bits != 0 {
            return Some(w * 64 + bits.trailing_zeros() as usize);
        }
        w += 1;
        if w >= WORDS {
            return None;
        }
        bits = set[w];
    }
}

/// The conjuncts every match of `f` satisfies that compare one field with constants for
/// equality (see the module docs).
fn gate_options(f: &CompiledFilter) -> Vec<GateOption> {
    let mut checks = Vec::new();
    required_checks(&f.root, &mut checks);
    let mut options: Vec<GateOption> = Vec::new();
    for c in checks {
        let slot = &f.slots[c.lhs];
        let Some(keys) = gate_keys(c, slot) else {
            continue;
        };
        // Two conjuncts on one field: gating on the narrower one is enough.
        match options.iter_mut().find(|o| o.slot.global == slot.global) {
            Some(o) if o.keys.len() > keys.len() => o.keys = keys,
            Some(_) => {}
            None => options.push(GateOption {
                slot: slot.clone(),
                keys,
            }),
        }
    }
    options
}

/// The checks that must all hold for `n` to hold.
fn required_checks<'n>(n: &'n Node, out: &mut Vec<&'n Check>) {
    match n {
        Node::And(children) => children.iter().for_each(|c| required_checks(c, out)),
        Node::Shared(_, child) => required_checks(child, out),
        Node::Check(c) => out.push(c),
        Node::Or(_) | Node::Not(_) => {}
    }
}

/// The value keys (as `first_value_key` computes them) that make `c` hold, when `c` holds
/// exactly for those keys of its field's first value.
fn gate_keys(c: &Check, slot: &SlotDef) -> Option<Vec<Vec<u8>>> {
    let CheckOp::Binary(op) = c.op else {
        return None;
    };
    let plain_field = matches!(slot.extract, Extract::Field { .. }) && !UNGATED_FIELDS.contains(&slot.name.as_str());
    let keyed_type = matches!(
        c.ty.class(),
        TypeClass::String | TypeClass::Signed | TypeClass::Unsigned | TypeClass::Bool
    ) && c.ty != FieldType::Dyn;
    if !plain_field || !keyed_type || c.is_list || c.any_value {
        return None;
    }
    match &c.rhs {
        Rhs::Set(set) if op != BinaryOp::Ne && !set.is_empty() => Some(set.iter().cloned().collect()),
        Rhs::Consts(consts) if op == BinaryOp::Eq && consts.len() == 1 && c.modifier.is_none() => {
            let mut key = Vec::new();
            const_key(&consts[0], &mut key);
            Some(vec![key])
        }
        Rhs::Consts(consts) if op == BinaryOp::Eq && c.modifier == Some(OpModifier::AnyOf) && !consts.is_empty() => {
            let mut keys = Vec::with_capacity(consts.len());
            for k in consts {
                let mut key = Vec::new();
                const_key(k, &mut key);
                keys.push(key);
            }
            Some(keys)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_in_order() {
        let mut set = [0u64; WORDS];
        for p in [0, 5, 63, 64, 200, 255] {
            set[p / 64] |= 1 << (p % 64);
        }
        let mut found = Vec::new();
        let mut from = 0;
        while let Some(p) = next_position(&set, from) {
            found.push(p);
            from = p + 1;
        }
        assert_eq!(found, [0, 5, 63, 64, 200, 255]);
        assert_eq!(next_position(&[0; WORDS], 0), None);
        assert_eq!(next_position(&set, 256), None);
    }
}
