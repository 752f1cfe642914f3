//! Value gates: an event's candidate rules narrowed with one lookup per field.
//!
//! Most official rules require, as a top-level conjunct, that a field equal one of a few
//! constants (`proc.name in (...)`, `proc.is_exe_upper_layer = true`). For each event type the
//! candidate rules are grouped by such a field; per event the field is extracted once and its
//! value looked up in a table naming the candidates that require that value. The other rules
//! of the group are false for the event and are not evaluated at all.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

use super::ast::{BinaryOp, OpModifier};
use super::compile::{
    const_key, Check, CheckOp, CompiledFilter, Const, Extract, KeyFilter, KeyHasher, Node, Rhs, SlotDef,
};
use super::eval::{check_single_value, ensure, first_value_key, EvalContext};
use super::fields::{FieldSetKey, FieldSource, FieldType, TypeClass};
use super::ruleset::RuleIdx;
use super::value::ValueRef;

/// Candidate lists longer than this are evaluated rule by rule: the per-event set of
/// positions lives on the stack.
pub const MAX_GATED_CANDIDATES: usize = 256;
const WORDS: usize = MAX_GATED_CANDIDATES / 64;

/// Events between two reorderings of a plan's gates by their measured selectivity.
const REORDER_INTERVAL: u32 = 4096;
/// Events at the start of each interval whose rejections are counted (a sample: counting
/// costs about as much as the rest of a gate consultation).
const SAMPLED_RUNS: u32 = 512;
/// A gate rejecting fewer members than one per this many consultations is skipped outside the
/// sampled events: its extraction costs more than the evaluations it saves (its rules are
/// evaluated instead, with the same results).
const WEAK_GATE_RATIO: u64 = 8;
/// Consultations a gate needs in an interval before it may be judged weak.
const MIN_CONSULTED: u64 = 64;

/// A gate consulted in at least `STEADY_GATE_RATIO - 1` of `STEADY_GATE_RATIO` sampled events
/// is steady: its field is extracted with the other steady gates' fields.
const STEADY_GATE_RATIO: u64 = 16;
/// Most gates of a plan whose fields are extracted together (one bit each in a key).
const MAX_PREFETCHED_GATES: usize = 64;

/// Fields never used as gates: the event-type index has already decided them.
const UNGATED_FIELDS: &[&str] = &["evt.type"];

/// Value keys or string prefixes of a constraint.
type Keys = Vec<Vec<u8>>;

/// A set of positions in a candidate list.
pub(crate) type Positions = [u64; WORDS];

/// One gate field of a candidate list: the positions of the rules that require it to have
/// one of some values, and per value the positions of the rules it satisfies.
#[derive(Debug)]
struct Gate {
    slot: SlotDef,
    members: Positions,
    by_value: HashMap<Vec<u8>, Positions, BuildHasherDefault<KeyHasher>>,
    /// The keys of `by_value`: most values no rule requires skip the lookup.
    filter: KeyFilter,
    /// Per prefix, the positions of the rules a value starting with it satisfies.
    by_prefix: Vec<Prefix>,
    /// How often the gate was consulted and how many members it rejected meanwhile (a
    /// measure of its selectivity that does not depend on the order of the gates).
    consulted: AtomicU64,
    rejected: AtomicU64,
    /// Rejected too few members when last measured: consulted on sampled events only.
    weak: AtomicBool,
    /// Consulted in nearly every sampled event when last measured: its field is extracted
    /// with the other steady gates' fields before the gates are consulted (one plugin call
    /// for all of them instead of one each).
    steady: AtomicBool,
}

/// A prefix of a gate and the positions of the rules a value starting with it satisfies.
#[derive(Debug)]
struct Prefix {
    bytes: Vec<u8>,
    /// The prefix's first (up to) 8 bytes as `head_word` reads them, and the mask of those
    /// bytes: a value whose head differs under the mask cannot start with the prefix.
    head: u64,
    mask: u64,
    rules: Positions,
}

impl Prefix {
    fn new(bytes: Vec<u8>) -> Prefix {
        let n = bytes.len().min(8);
        let mask = if n == 8 { u64::MAX } else { (1u64 << (8 * n)) - 1 };
        Prefix {
            head: head_word(&bytes) & mask,
            mask,
            bytes,
            rules: [0; WORDS],
        }
    }

    /// Whether `key` (whose `head_word` is `head`) starts with the prefix; most prefixes are
    /// told apart by the masked head alone, without a byte comparison.
    #[inline]
    fn matches(&self, head: u64, key: &[u8]) -> bool {
        head & self.mask == self.head && key.starts_with(&self.bytes)
    }
}

/// The first 8 bytes of `b` as a little-endian word (zero-padded when shorter).
#[inline]
fn head_word(b: &[u8]) -> u64 {
    match b.first_chunk::<8>() {
        Some(w) => u64::from_le_bytes(*w),
        None => b.iter().rev().fold(0, |w, &x| w << 8 | u64::from(x)),
    }
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
    /// Indexes of `gates` in consultation order: most rejections per extraction first, as
    /// measured while the plan runs. A thread reading it while another one reorders may see a
    /// mix of both orders, which changes only which fields are extracted, never the result.
    order: Vec<AtomicU32>,
    /// Events the gates were consulted for (reordering every `REORDER_INTERVAL`).
    runs: AtomicU32,
    /// Too many candidates to gate: every rule is evaluated.
    ungated: bool,
    registry: u64,
    /// Cache slots and shared subexpressions the gates and every candidate's filter need.
    cache_len: usize,
    memo_len: usize,
    /// The global slot of `evt.type` and the value every event of the plan has there.
    known_type: Option<(u32, Box<[u8]>)>,
    /// `FieldSetKey::set` of the plan's gate fields.
    field_set: u64,
    /// Sampled events since the last reordering (halved then, as the gates' counts).
    sampled_runs: AtomicU64,
    /// Bit `i` set when gate `i` (of the first `MAX_PREFETCHED_GATES`) is steady and a plain
    /// field (as `reorder` last marked them).
    steady_gates: AtomicU64,
}

/// A constraint usable as a gate: a field's slot, and the keys one of which its value must
/// have, or (strings) the prefixes one of which it must start with, for the rule to match.
pub(crate) struct GateOption {
    slot: SlotDef,
    keys: Keys,
    prefixes: Keys,
}

impl GatedCandidates {
    /// No candidates.
    pub(crate) const fn empty() -> GatedCandidates {
        GatedCandidates {
            rules: Vec::new(),
            all: [0; WORDS],
            open: [0; WORDS],
            gates: Vec::new(),
            order: Vec::new(),
            runs: AtomicU32::new(0),
            ungated: false,
            registry: 0,
            cache_len: 0,
            memo_len: 0,
            known_type: None,
            field_set: 0,
            sampled_runs: AtomicU64::new(0),
            steady_gates: AtomicU64::new(0),
        }
    }

    /// Groups `rules` (one event type's candidates, load order) by gate field; `filter`
    /// gives each rule's compiled condition and `requirement` its `gate_options` for the type.
    /// Rules that never hold for the type are never evaluated.
    pub(crate) fn new<'f>(
        rules: Vec<RuleIdx>,
        known: Option<KnownType<'_>>,
        filter: impl Fn(RuleIdx) -> &'f CompiledFilter,
    ) -> Self {
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
        for &r in &plan.rules {
            plan.cache_len = plan.cache_len.max(filter(r).cache_len);
            plan.memo_len = plan.memo_len.max(filter(r).memo_len);
        }
        if let Some(k) = known.filter(|_| !plan.rules.is_empty()) {
            plan.cache_len = plan.cache_len.max(k.slot as usize + 1);
            plan.known_type = Some((k.slot, k.name.into()));
        }
        let mut gate_of_slot: HashMap<u32, usize> = HashMap::new();
        for pos in 0..plan.rules.len() {
            let bit = 1u64 << (pos % 64);
            let options = match gate_options(filter(plan.rules[pos]), known) {
                Requirement::Never => continue,
                Requirement::Always => Vec::new(),
                Requirement::Options(o) => o,
            };
            plan.all[pos / 64] |= bit;
            if options.is_empty() {
                plan.open[pos / 64] |= bit;
                continue;
            }
            for option in &options {
                let g = *gate_of_slot.entry(option.slot.global).or_insert_with(|| {
                    plan.cache_len = plan.cache_len.max(option.slot.global as usize + 1);
                    plan.gates.push(Gate {
                        slot: option.slot.clone(),
                        members: [0; WORDS],
                        by_value: HashMap::default(),
                        filter: KeyFilter::default(),
                        by_prefix: Vec::new(),
                        consulted: AtomicU64::new(0),
                        rejected: AtomicU64::new(0),
                        weak: AtomicBool::new(false),
                        steady: AtomicBool::new(false),
                    });
                    plan.gates.len() - 1
                });
                let gate = &mut plan.gates[g];
                gate.members[pos / 64] |= bit;
                for key in &option.keys {
                    gate.by_value.entry(key.clone()).or_insert([0; WORDS])[pos / 64] |= bit;
                    gate.filter.insert(key);
                }
                for prefix in &option.prefixes {
                    match gate.by_prefix.iter_mut().find(|p| &p.bytes == prefix) {
                        Some(p) => p.rules[pos / 64] |= bit,
                        None => {
                            let mut p = Prefix::new(prefix.clone());
                            p.rules[pos / 64] |= bit;
                            gate.by_prefix.push(p);
                        }
                    }
                }
            }
        }
        // Gates deciding the most rules first: the sooner no candidate is left, the fewer
        // fields are extracted.
        plan.gates
            .sort_by_key(|g| std::cmp::Reverse(g.members.iter().map(|w| w.count_ones()).sum::<u32>()));
        plan.order = (0..plan.gates.len() as u32).map(AtomicU32::new).collect();
        plan.field_set = FieldSetKey::new_set();
        plan
    }

    /// Number of candidates that only run when their gate field has one of their values.
    pub(crate) fn gated_count(&self) -> usize {
        if self.ungated {
            return 0;
        }
        let count = |set: &Positions| set.iter().map(|w| w.count_ones() as usize).sum::<usize>();
        count(&self.all) - count(&self.open)
    }

    /// Positions of the candidates that may match the current event (the others are false).
    fn live(&self, ctx: &mut EvalContext, src: &mut dyn FieldSource) -> Positions {
        let mut live = self.all;
        ctx.bind(self.registry, self.cache_len, self.memo_len);
        if let Some((slot, name)) = &self.known_type {
            // The value extraction would give (see `KnownType`), without the extraction.
            ctx.seed_bytes(*slot as usize, name);
        }
        if self.gates.is_empty() {
            return live;
        }
        let runs = self.runs.load(Ordering::Relaxed).wrapping_add(1);
        self.runs.store(runs, Ordering::Relaxed);
        if runs % REORDER_INTERVAL == 0 {
            self.reorder();
        }
        let sampled = runs % REORDER_INTERVAL < SAMPLED_RUNS;
        if sampled {
            let n = self.sampled_runs.load(Ordering::Relaxed);
            self.sampled_runs.store(n + 1, Ordering::Relaxed);
        }
        self.prefetch_steady(ctx, src);
        for i in &self.order {
            let gate = &self.gates[i.load(Ordering::Relaxed) as usize];
            // Only gates of candidates still alive are worth an extraction.
            if live.iter().zip(&gate.members).all(|(l, m)| l & m == 0)
                || (!sampled && gate.weak.load(Ordering::Relaxed))
            {
                continue;
            }
            let mut passed = [0; WORDS];
            if ensure(std::slice::from_ref(&gate.slot), 0, ctx, src) {
                let mut buf = [0; 16];
                if let Some(key) = first_value_key(ctx, gate.slot.global as usize, gate.slot.ty, &mut buf) {
                    if gate.filter.may_contain(key) {
                        if let Some(rules) = gate.by_value.get(key) {
                            passed = *rules;
                        }
                    }
                    if !gate.by_prefix.is_empty() {
                        let head = head_word(key);
                        for prefix in &gate.by_prefix {
                            if prefix.matches(head, key) {
                                passed.iter_mut().zip(&prefix.rules).for_each(|(p, r)| *p |= r);
                            }
                        }
                    }
                }
            }
            // Every word (members beyond the candidates are zero): no loop bound to test.
            let mut out = [0; WORDS];
            for w in 0..WORDS {
                out[w] = gate.members[w] & !passed[w];
                live[w] &= !out[w];
            }
            if !sampled {
                continue;
            }
            let rejected: u32 = out.iter().map(|o| o.count_ones()).sum();
            // Plain load and store: a lost update between threads only blurs a statistic.
            let consulted = gate.consulted.load(Ordering::Relaxed);
            gate.consulted.store(consulted + 1, Ordering::Relaxed);
            let total = gate.rejected.load(Ordering::Relaxed);
            gate.rejected.store(total + u64::from(rejected), Ordering::Relaxed);
        }
        live
    }

    /// Extracts together the fields of the steady gates not cached yet (when there are
    /// several), into the cache where the gates' consultation finds them.
    #[inline]
    fn prefetch_steady(&self, ctx: &mut EvalContext, src: &mut dyn FieldSource) {
        // The gates to prefetch first, as a mask: the lists below are filled (and zeroed) only
        // when there is something to extract.
        let steady = self.steady_gates.load(Ordering::Relaxed);
        if steady.count_ones() < 2 {
            return;
        }
        let mut subset = 0u64;
        let mut rest = steady;
        while rest != 0 {
            let bit = rest.trailing_zeros() as usize;
            rest &= rest - 1;
            if !ctx.is_current(self.gates[bit].slot.global as usize) {
                subset |= 1 << bit;
            }
        }
        if subset.count_ones() < 2 {
            return;
        }
        // Lists kept in the context: nothing to allocate or zero per event.
        let mut ids = std::mem::take(&mut ctx.together_ids);
        let mut globals = std::mem::take(&mut ctx.together_globals);
        ids.clear();
        globals.clear();
        for (bit, gate) in self.gates.iter().enumerate().take(MAX_PREFETCHED_GATES) {
            if subset & 1 << bit == 0 {
                continue;
            }
            if let Extract::Field { id, .. } = gate.slot.extract {
                ids.push(id);
                globals.push(gate.slot.global);
            }
        }
        let key = FieldSetKey {
            set: self.field_set,
            subset,
        };
        src.extract_together(key, &ids, &mut |i, values| {
            if let Some(&global) = globals.get(i) {
                ctx.store_extracted(global as usize, values);
            }
        });
        ctx.together_ids = ids;
        ctx.together_globals = globals;
    }

    /// Puts the gates that rejected the most members per consultation first (unconsulted
    /// ones, whose members earlier gates always rejected, last), marks the ones that rejected
    /// almost nothing weak, and halves the counts so that recent events weigh more.
    #[cold]
    fn reorder(&self) {
        let sampled_runs = self.sampled_runs.load(Ordering::Relaxed);
        self.sampled_runs.store(sampled_runs / 2, Ordering::Relaxed);
        let score = |g: &Gate| {
            let consulted = g.consulted.load(Ordering::Relaxed);
            let rejected = g.rejected.load(Ordering::Relaxed);
            let weak = consulted >= MIN_CONSULTED && rejected.saturating_mul(WEAK_GATE_RATIO) < consulted;
            g.weak.store(weak, Ordering::Relaxed);
            let steady = !weak
                && matches!(g.slot.extract, Extract::Field { .. })
                && sampled_runs >= MIN_CONSULTED
                && consulted.saturating_mul(STEADY_GATE_RATIO) >= sampled_runs.saturating_mul(STEADY_GATE_RATIO - 1);
            g.steady.store(steady, Ordering::Relaxed);
            g.consulted.store(consulted / 2, Ordering::Relaxed);
            g.rejected.store(rejected / 2, Ordering::Relaxed);
            (rejected << 10).checked_div(consulted).unwrap_or(0)
        };
        let mut order: Vec<(u64, u32)> = self
            .order
            .iter()
            .map(|i| {
                let i = i.load(Ordering::Relaxed);
                (score(&self.gates[i as usize]), i)
            })
            .collect();
        let steady = self
            .gates
            .iter()
            .take(MAX_PREFETCHED_GATES)
            .enumerate()
            .fold(0u64, |mask, (bit, g)| {
                let plain = matches!(g.slot.extract, Extract::Field { .. });
                mask | u64::from(plain && g.steady.load(Ordering::Relaxed)) << bit
            });
        self.steady_gates.store(steady, Ordering::Relaxed);
        // Stable: equally selective gates keep their order.
        order.sort_by_key(|&(score, _)| std::cmp::Reverse(score));
        for (slot, (_, i)) in self.order.iter().zip(order) {
            slot.store(i, Ordering::Relaxed);
        }
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
        if plan.rules.is_empty() {
            return None;
        }
        // Bound once per call (the caller may use the context for other filters in between):
        // the candidates' filters are then evaluated without binding each.
        let live = match self.live {
            Some(live) => {
                ctx.bind(plan.registry, plan.cache_len, plan.memo_len);
                live
            }
            None => *self.live.insert(plan.live(ctx, src)),
        };
        while let Some(pos) = next_position(&live, self.next) {
            self.next = pos + 1;
            let idx = plan.rules[pos];
            if self.rules[idx].filter.eval_bound(ctx, src) {
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

/// The event type every candidate of a plan sees, when its event code has one name: checks on
/// `evt.type` are then decided before any extraction. The event-type index already relies on
/// `evt.type` being the code's table name (only generic codes carry several names).
#[derive(Debug, Clone, Copy)]
pub(crate) struct KnownType<'a> {
    /// Global cache slot of the plain `evt.type` field in the rules' registry.
    pub slot: u32,
    pub name: &'a [u8],
}

/// What every match of a filter requires of an event (of a known type, when `KnownType`
/// is given).
pub(crate) enum Requirement {
    /// No event of this type matches.
    Never,
    /// Every event passes this part (an `evt.type` check that holds for the type).
    Always,
    /// Matches satisfy these constraints (none: nothing usable as a gate).
    Options(Vec<GateOption>),
}

/// The constraints every match of `f` satisfies: per field, the values (keys) one of which
/// the field's first value must have (see the module docs).
pub(crate) fn gate_options(f: &CompiledFilter, known: Option<KnownType<'_>>) -> Requirement {
    required_keys(f, &f.root, known)
}

fn required_keys(f: &CompiledFilter, n: &Node, known: Option<KnownType<'_>>) -> Requirement {
    match n {
        Node::Check(c) => {
            let slot = &f.slots[c.lhs];
            // `x in ()` (an empty list, as official rules ship some) holds for no event.
            if !c.is_list && matches!(&c.rhs, Rhs::Set(set) if set.is_empty()) {
                return Requirement::Never;
            }
            if let Some(decided) = known.and_then(|k| decide_type_check(c, slot, k)) {
                return if decided {
                    Requirement::Always
                } else {
                    Requirement::Never
                };
            }
            Requirement::Options(match gate_keys(c, slot) {
                Some((keys, prefixes)) => vec![GateOption {
                    slot: slot.clone(),
                    keys,
                    prefixes,
                }],
                None => Vec::new(),
            })
        }
        Node::Shared(_, child) => required_keys(f, child, known),
        // Every conjunct's constraints hold; two on one field leave the common values.
        Node::And(children) => {
            let mut out: Vec<GateOption> = Vec::new();
            let mut always = true;
            for child in children {
                let options = match required_keys(f, child, known) {
                    Requirement::Never => return Requirement::Never,
                    Requirement::Always => continue,
                    Requirement::Options(o) => o,
                };
                always = false;
                for option in options {
                    match out.iter_mut().find(|o| o.slot.global == option.slot.global) {
                        Some(o) if o.prefixes.is_empty() && option.prefixes.is_empty() => {
                            o.keys.retain(|k| option.keys.contains(k))
                        }
                        // Either constraint alone is implied; values are sharper than prefixes.
                        Some(o) if !o.prefixes.is_empty() && option.prefixes.is_empty() => *o = option,
                        Some(_) => {}
                        None => out.push(option),
                    }
                }
            }
            if always {
                Requirement::Always
            } else {
                Requirement::Options(out)
            }
        }
        // A field constrained in every branch that can hold has one of the branches' values.
        Node::Or(children) => {
            let mut out: Option<Vec<GateOption>> = None;
            for child in children {
                let other = match required_keys(f, child, known) {
                    Requirement::Never => continue,
                    Requirement::Always => return Requirement::Always,
                    Requirement::Options(o) => o,
                };
                let Some(out) = out.as_mut() else {
                    out = Some(other);
                    continue;
                };
                out.retain_mut(|o| match other.iter().find(|x| x.slot.global == o.slot.global) {
                    Some(x) => {
                        for k in &x.keys {
                            if !o.keys.contains(k) {
                                o.keys.push(k.clone());
                            }
                        }
                        for p in &x.prefixes {
                            if !o.prefixes.contains(p) {
                                o.prefixes.push(p.clone());
                            }
                        }
                        true
                    }
                    None => false,
                });
            }
            match out {
                Some(o) => Requirement::Options(o),
                None => Requirement::Never,
            }
        }
        Node::Not(child) => match required_keys(f, child, known) {
            Requirement::Never => Requirement::Always,
            Requirement::Always => Requirement::Never,
            Requirement::Options(_) => Requirement::Options(Vec::new()),
        },
    }
}

/// The result of a check on the plain `evt.type` field for events of the known type.
fn decide_type_check(c: &Check, slot: &SlotDef, known: KnownType<'_>) -> Option<bool> {
    if slot.global != known.slot || c.is_list || matches!(c.rhs, Rhs::Field(_)) {
        return None;
    }
    Some(match c.op {
        CheckOp::Exists => true,
        CheckOp::Binary(op) => check_single_value(c, op, ValueRef::Bytes(known.name)),
    })
}

/// The value keys (as `first_value_key` computes them) and string prefixes that make `c`
/// hold, when `c` holds only for its field's first value having one of those keys or
/// prefixes.
fn gate_keys(c: &Check, slot: &SlotDef) -> Option<(Keys, Keys)> {
    let CheckOp::Binary(op) = c.op else {
        return None;
    };
    let plain_field = matches!(slot.extract, Extract::Field { .. }) && !UNGATED_FIELDS.contains(&slot.name.as_str());
    let string = c.ty.class() == TypeClass::String;
    let keyed_type = matches!(
        c.ty.class(),
        TypeClass::Signed | TypeClass::Unsigned | TypeClass::Bool | TypeClass::Ip
    ) || string;
    if !plain_field || !keyed_type || c.ty == FieldType::Dyn || c.is_list || c.any_value {
        return None;
    }
    let key_of = |k: &Const| {
        let mut key = Vec::new();
        const_key(k, &mut key);
        key
    };
    match (&c.rhs, op, c.modifier) {
        (Rhs::Set(set), _, _) if op != BinaryOp::Ne && !set.is_empty() => {
            Some((set.iter().cloned().collect(), Vec::new()))
        }
        (Rhs::Consts(consts), BinaryOp::Eq, None) if consts.len() == 1 => Some((vec![key_of(&consts[0])], Vec::new())),
        (Rhs::Consts(consts), BinaryOp::Eq, Some(OpModifier::AnyOf)) if !consts.is_empty() => {
            Some((consts.iter().map(key_of).collect(), Vec::new()))
        }
        (Rhs::Consts(consts), BinaryOp::StartsWith, None | Some(OpModifier::AnyOf)) if string && !consts.is_empty() => {
            let prefixes = consts.iter().map(|k| match k {
                Const::Bytes(b) => Some(b.clone()),
                _ => None,
            });
            Some((Vec::new(), prefixes.collect::<Option<Vec<_>>>()?))
        }
        // A glob's text up to its first special character is a prefix of every match.
        (Rhs::Consts(consts), BinaryOp::Glob, None) if string && consts.len() == 1 => {
            let Const::Bytes(pattern) = &consts[0] else {
                return None;
            };
            let literal = pattern
                .iter()
                .position(|b| matches!(b, b'*' | b'?' | b'[' | b'\\'))
                .unwrap_or(pattern.len());
            (literal > 0).then(|| (Vec::new(), vec![pattern[..literal].to_vec()]))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::compile::{compile_with, SlotRegistry};
    use crate::rules::fields::{FieldArg, FieldId, FieldInfo, TableCatalog};
    use crate::rules::parse::parse_condition;
    use crate::rules::value::Values;

    /// An event: one value per field name (absent names have no value); counts extractions.
    struct Event {
        values: Vec<Option<Values>>,
        extractions: usize,
        type_field: FieldId,
        type_extractions: usize,
        /// Answers `extract_together` when set, recording each call's fields.
        together: Option<Vec<Vec<FieldId>>>,
    }

    impl FieldSource for Event {
        fn extract(&mut self, field: FieldId, _arg: &FieldArg, out: &mut Values) -> bool {
            self.extractions += 1;
            self.type_extractions += usize::from(field == self.type_field);
            match self.values.get(field.0 as usize).and_then(Option::as_ref) {
                Some(v) => {
                    out.copy_from(v);
                    true
                }
                None => false,
            }
        }

        fn extract_together(&mut self, _: FieldSetKey, fields: &[FieldId], store: &mut dyn FnMut(usize, &mut Values)) {
            let Some(calls) = self.together.as_mut() else {
                return;
            };
            calls.push(fields.to_vec());
            for (i, field) in fields.iter().enumerate() {
                let mut values = self.values[field.0 as usize].clone().unwrap_or_default();
                store(i, &mut values);
            }
        }
    }

    const FIELDS: &[(&str, FieldType)] = &[
        ("proc.name", FieldType::CharBuf),
        ("proc.pname", FieldType::CharBuf),
        ("fd.num", FieldType::Int64),
        ("evt.is_open_write", FieldType::Bool),
        ("user.uid", FieldType::UInt32),
        ("evt.type", FieldType::CharBuf),
        ("fd.sip", FieldType::IpAddr),
    ];

    const CONDITIONS: &[&str] = &[
        "evt.type = execve and proc.name in (sh, bash) and not proc.pname = sshd",
        "proc.name = nc or proc.name = ncat",
        "(proc.name = find and fd.num = 3) or (proc.name = grep and fd.num > 3)",
        "evt.is_open_write = true and fd.num >= 0",
        "proc.name startswith b or user.uid = 0",
        "proc.name in (sh, zsh) and proc.name in (zsh, fish)",
        "user.uid in (0, 1000) and proc.pname = bash and proc.name != bash",
        "not proc.name in (sh) and proc.pname exists",
        "proc.name = sh and proc.name = bash",
        "(proc.pname startswith ss or proc.pname = bash) and fd.num = 3",
        "proc.name startswith z and proc.name in (zsh, sh)",
        "proc.name startswith anyof (n, f) and proc.name startswith fi",
        "(evt.type = open and fd.num = 3) or (evt.type = execve and proc.name = sh)",
        "not evt.type in (open, openat) and proc.name glob 'ba*'",
        "proc.name glob '?sh'",
        "proc.pname glob 'ss[h]d' and evt.type exists",
        "proc.name in () or fd.sip = 10.0.0.1",
        "fd.sip in (10.0.0.2, ::1) and proc.name = sh",
    ];

    /// The test catalog (FIELDS), and `conditions` compiled against it with their slot registry.
    fn compile_all(conditions: &[&str]) -> (TableCatalog, SlotRegistry, Vec<CompiledFilter>) {
        let mut catalog = TableCatalog::new();
        for (name, ty) in FIELDS {
            catalog.add(FieldInfo::new(name, *ty, ""));
        }
        let mut registry = SlotRegistry::new();
        let filters = conditions
            .iter()
            .map(|c| compile_with(&parse_condition(c).unwrap(), &catalog, &mut registry).unwrap())
            .collect();
        (catalog, registry, filters)
    }

    fn event(
        catalog: &TableCatalog,
        ty: &str,
        name: Option<&str>,
        pname: &str,
        fd: i64,
        write: bool,
        uid: u64,
    ) -> Event {
        let mut values = vec![None; FIELDS.len()];
        let mut set = |field: &str, fill: &dyn Fn(&mut Values)| {
            let mut v = Values::new();
            fill(&mut v);
            values[catalog.lookup(field).unwrap().0 as usize] = Some(v);
        };
        if let Some(name) = name {
            set("proc.name", &|v| v.push_str(name));
        }
        set("proc.pname", &|v| v.push_str(pname));
        set("fd.num", &|v| v.push_i64(fd));
        set("evt.is_open_write", &|v| v.push_bool(write));
        set("user.uid", &|v| v.push_u64(uid));
        set("evt.type", &|v| v.push_str(ty));
        let sip = if uid == 0 { "10.0.0.1" } else { "10.0.0.2" };
        set("fd.sip", &|v| v.push_ip(sip.parse().unwrap()));
        Event {
            values,
            extractions: 0,
            type_field: catalog.lookup("evt.type").unwrap(),
            type_extractions: 0,
            together: None,
        }
    }

    /// Gated evaluation finds exactly the rules that evaluating every candidate finds.
    #[test]
    fn gates_keep_results_and_skip_rules() {
        let (catalog, registry, mut filters) = compile_all(CONDITIONS);
        for f in &mut filters {
            f.share_subexpressions(&registry);
        }
        let type_slot = filters
            .iter()
            .flat_map(|f| &f.slots)
            .find(|s| s.name == "evt.type")
            .map(|s| s.global)
            .unwrap();
        let plan_for = |ty: Option<&str>| {
            let known = ty.map(|name| KnownType {
                slot: type_slot,
                name: name.as_bytes(),
            });
            GatedCandidates::new((0..filters.len()).collect(), known, |r| &filters[r])
        };
        // Without a known event type, everything but the `startswith or` (two fields), the
        // `not in`, the `evt.type`-or and the `?sh` glob rules has a gate.
        let plan = plan_for(None);
        assert_eq!(plan.gated_count(), CONDITIONS.len() - 4);
        // For execve events, the `evt.type`-or is gated on its execve branch; for open events
        // the two rules requiring execve never hold, and the `evt.type`-or needs fd.num = 3.
        assert_eq!(plan_for(Some("execve")).gated_count(), CONDITIONS.len() - 3);
        assert_eq!(plan_for(Some("open")).gated_count(), CONDITIONS.len() - 5);
        let mut ctx = EvalContext::new();
        for (ty, plan) in [
            ("execve", plan_for(None)),
            ("execve", plan_for(Some("execve"))),
            ("open", plan_for(Some("open"))),
        ] {
            let mut checked = 0;
            for name in [
                None,
                Some("sh"),
                Some("bash"),
                Some("nc"),
                Some("ncat"),
                Some("find"),
                Some("grep"),
                Some("zsh"),
            ] {
                for pname in ["sshd", "bash"] {
                    for fd in [-1, 3, 4] {
                        for write in [false, true] {
                            for uid in [0, 1000, 7] {
                                let mut ev = event(&catalog, ty, name, pname, fd, write, uid);
                                ctx.next_event();
                                let expected: Vec<usize> = (0..filters.len())
                                    .filter(|&r| filters[r].eval(&mut ctx, &mut ev))
                                    .collect();
                                ctx.next_event();
                                let types_before = ev.type_extractions;
                                let live = plan.live(&mut ctx, &mut ev);
                                let mut got = Vec::new();
                                let mut from = 0;
                                while let Some(p) = next_position(&live, from) {
                                    from = p + 1;
                                    if filters[plan.rules[p]].eval(&mut ctx, &mut ev) {
                                        got.push(plan.rules[p]);
                                    }
                                }
                                assert_eq!(
                                    got, expected,
                                    "evt.type={ty} proc.name={name:?} pname={pname} fd={fd} write={write} uid={uid}"
                                );
                                // A known event type is never extracted.
                                if plan.known_type.is_some() {
                                    assert_eq!(ev.type_extractions, types_before);
                                }
                                checked += usize::from(!expected.is_empty());
                            }
                        }
                    }
                }
            }
            assert!(checked > 20, "the {ty} events must match some rules ({checked})");
        }
        // An event no gate lets through evaluates only the ungated rules.
        let mut ev = event(&catalog, "execve", Some("python3"), "bash", -1, false, 7);
        ctx.next_event();
        let live = plan.live(&mut ctx, &mut ev);
        let live_count: u32 = live.iter().map(|w| w.count_ones()).sum();
        assert_eq!(live_count, 4);
    }

    /// The gate that rejects the most rules comes first once measured, so the gates it
    /// leaves without live members are no longer extracted.
    #[test]
    fn selective_gates_move_first() {
        let conditions = [
            "evt.is_open_write = true and proc.name in (x)",
            "evt.is_open_write = true and proc.name in (y)",
            "evt.is_open_write = true and proc.name = z and fd.num = 5",
        ];
        let (catalog, _, filters) = compile_all(&conditions);
        let plan = GatedCandidates::new((0..filters.len()).collect(), None, |r| &filters[r]);
        let first = |plan: &GatedCandidates| {
            plan.gates[plan.order[0].load(Ordering::Relaxed) as usize]
                .slot
                .name
                .clone()
        };
        assert_eq!(first(&plan), "evt.is_open_write");
        let mut ctx = EvalContext::new();
        let mut extractions = Vec::new();
        for _ in 0..2 * REORDER_INTERVAL {
            let mut ev = event(&catalog, "open", Some("sh"), "bash", 5, true, 0);
            ctx.next_event();
            let live = plan.live(&mut ctx, &mut ev);
            assert_eq!(live, [0; WORDS]);
            extractions.push(ev.extractions);
        }
        assert_eq!(first(&plan), "proc.name");
        // Two extractions (evt.is_open_write, proc.name) at first, then proc.name alone.
        assert_eq!((extractions[0], extractions[extractions.len() - 1]), (2, 1));
    }

    /// Once measured, the fields of the gates consulted in every event are extracted together
    /// (one `extract_together` call, no single extraction), with the same live candidates.
    #[test]
    fn steady_gates_fields_extracted_together() {
        let conditions = [
            "proc.name in (x)",
            "proc.pname = y",
            "evt.is_open_write = true and proc.name in (z)",
        ];
        let (catalog, _, filters) = compile_all(&conditions);
        let plan = GatedCandidates::new((0..filters.len()).collect(), None, |r| &filters[r]);
        let mut ctx = EvalContext::new();
        let name = catalog.lookup("proc.name").unwrap();
        let pname = catalog.lookup("proc.pname").unwrap();
        for i in 0..2 * REORDER_INTERVAL {
            let (n, p) = match i % 3 {
                0 => ("x", "bash"),
                1 => ("sh", "y"),
                _ => ("z", "y"),
            };
            let mut ev = event(&catalog, "open", Some(n), p, 3, i % 2 == 0, 0);
            ev.together = Some(Vec::new());
            ctx.next_event();
            let live = plan.live(&mut ctx, &mut ev);
            let expected = u64::from(n == "x") | u64::from(p == "y") << 1 | u64::from(n == "z" && i % 2 == 0) << 2;
            assert_eq!(live[0], expected, "event {i}");
            let together = ev.together.unwrap();
            if i < REORDER_INTERVAL - 1 {
                assert!(together.is_empty(), "event {i}: not measured yet");
            } else {
                assert_eq!(together.len(), 1, "event {i}");
                let mut fields = together[0].clone();
                fields.sort();
                let mut want = vec![name, pname];
                want.sort();
                assert_eq!(fields, want, "event {i}");
                // evt.is_open_write is consulted only when proc.name is z: not steady.
                assert_eq!(ev.extractions, usize::from(n == "z"), "event {i}");
            }
        }
    }

    /// A gate that rejects nothing is consulted on sampled events only; its rules are then
    /// evaluated instead, with the same results.
    #[test]
    fn weak_gates_skipped_between_samples() {
        let conditions = [
            "evt.is_open_write = true and proc.name startswith s",
            "evt.is_open_write = true and fd.num = 4",
        ];
        let (catalog, _, filters) = compile_all(&conditions);
        let plan = GatedCandidates::new((0..filters.len()).collect(), None, |r| &filters[r]);
        let mut ctx = EvalContext::new();
        let mut extractions = Vec::new();
        let mut matched = Vec::new();
        for i in 0..2 * REORDER_INTERVAL {
            // Every event passes the evt.is_open_write and proc.name gates; fd.num alternates.
            let fd = if i % 2 == 0 { 4 } else { 5 };
            let mut ev = event(&catalog, "open", Some("sh"), "bash", fd, true, 0);
            ctx.next_event();
            let live = plan.live(&mut ctx, &mut ev);
            extractions.push(ev.extractions);
            let mut got = Vec::new();
            let mut from = 0;
            while let Some(p) = next_position(&live, from) {
                from = p + 1;
                if filters[plan.rules[p]].eval(&mut ctx, &mut ev) {
                    got.push(plan.rules[p]);
                }
            }
            matched.push(got);
        }
        let interval = REORDER_INTERVAL as usize;
        // Before the first measurement every gate is consulted; after it, only the fd.num gate
        // (rejecting every other event) outside the samples, and all three in the samples.
        assert_eq!(extractions[interval - 2], 3);
        assert_eq!(extractions[interval + SAMPLED_RUNS as usize + 10], 1);
        assert_eq!(extractions[interval + 10], 3);
        for (i, got) in matched.iter().enumerate() {
            let expected: &[usize] = if i % 2 == 0 { &[0, 1] } else { &[0] };
            assert_eq!(got, expected, "event {i}");
        }
    }

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
