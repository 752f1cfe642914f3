//! Evaluation of compiled filters against one event's fields, with a per-event extraction
//! cache, and single-field accessors for output formats.

use super::ast::{BinaryOp, OpModifier};
use super::compile::{
    compile_field_expr, const_key, norm_signed, norm_unsigned, split_path, Check, CheckOp, CompileError,
    CompiledFilter, Const, ConstSet, Extract, Matcher, Node, PathPattern, Rhs, SlotDef, SlotRegistry,
};
use super::fields::{FieldArg, FieldCatalog, FieldId, FieldSource, FieldType, TypeClass};
use super::parse::{parse_field_expr, ParseError};
use super::transform;
use super::value::{net_contains, render, ValueRef, Values};

#[derive(Debug, Default)]
struct SlotCache {
    generation: u64,
    present: bool,
    values: Values,
}

/// Per-event state of evaluation: cached extractions and results of shared subexpressions,
/// invalidated by `next_event`.
#[derive(Debug)]
pub struct EvalContext {
    generation: u64,
    registry: u64,
    slots: Vec<SlotCache>,
    /// Per shared subexpression: `generation << 1 | result` of its last evaluation.
    memo: Vec<u64>,
    key: Vec<u8>,
    text: String,
    /// Reused lists of the fields (and their global slots) the gates extract together.
    pub(crate) together_ids: Vec<FieldId>,
    pub(crate) together_globals: Vec<u32>,
}

impl Default for EvalContext {
    fn default() -> Self {
        Self::new()
    }
}

impl EvalContext {
    pub fn new() -> Self {
        // Cache entries start at generation 0, so the first event is generation 1.
        EvalContext {
            generation: 1,
            registry: 0,
            slots: Vec::new(),
            memo: Vec::new(),
            key: Vec::new(),
            text: String::new(),
            together_ids: Vec::new(),
            together_globals: Vec::new(),
        }
    }

    /// Forgets every cached value (O(1)): call before evaluating filters on a new event.
    pub fn next_event(&mut self) {
        self.generation += 1;
    }

    /// Makes the cache fit filters of `registry` with `slots` global slots and `memos` shared
    /// subexpressions.
    #[inline]
    pub(crate) fn bind(&mut self, registry: u64, slots: usize, memos: usize) {
        if self.registry != registry {
            // Slots of another registry mean other extractions: drop what was cached.
            self.registry = registry;
            self.generation += 1;
        }
        if self.slots.len() < slots {
            self.slots.resize_with(slots, SlotCache::default);
        }
        if self.memo.len() < memos {
            // Generation 0 is never current: new entries hold no result.
            self.memo.resize(memos, 0);
        }
    }
}

impl EvalContext {
    /// Caches `value` as the only value of global slot `global` for the current event (a value
    /// known without extraction); the context must be bound to the slot's registry.
    pub(crate) fn seed_bytes(&mut self, global: usize, value: &[u8]) {
        let generation = self.generation;
        let cache = &mut self.slots[global];
        cache.values.clear();
        cache.values.push_bytes(value);
        cache.present = true;
        cache.generation = generation;
    }
}

impl EvalContext {
    /// Whether global slot `global` holds its value for the current event; the context must
    /// be bound to the slot's registry.
    pub(crate) fn is_current(&self, global: usize) -> bool {
        self.slots[global].generation == self.generation
    }

    /// Caches `values` (swapped in, `values` receives the old buffer) as what the extraction of
    /// field slot `global` gives for the current event: present when not empty, as
    /// `FieldSource::extract` reports a plugin field.
    pub(crate) fn store_extracted(&mut self, global: usize, values: &mut Values) {
        let generation = self.generation;
        let cache = &mut self.slots[global];
        std::mem::swap(&mut cache.values, values);
        cache.present = !cache.values.is_empty();
        cache.generation = generation;
    }
}

/// Whether check `c` (one value against constants) holds for the single value `v`.
pub(crate) fn check_single_value(c: &Check, op: BinaryOp, v: ValueRef<'_>) -> bool {
    scalar_matches(c, op, v, None, &mut Vec::new())
}

/// Computes slot `i` of `slots` (and its inputs) for the current event; returns presence.
#[inline]
pub(crate) fn ensure(slots: &[SlotDef], i: usize, ctx: &mut EvalContext, src: &mut dyn FieldSource) -> bool {
    let def = &slots[i];
    let cache = &ctx.slots[def.global as usize];
    if cache.generation == ctx.generation {
        return cache.present;
    }
    if let Extract::Field { id, arg } = &def.extract {
        return extract_field(def.global as usize, *id, arg, ctx, src);
    }
    extract_slot(slots, i, ctx, src)
}

/// The cache miss path of `ensure` for a plain field (most slots): extracted in place, without
/// the setup of the general path.
#[inline(never)]
fn extract_field(global: usize, id: FieldId, arg: &FieldArg, ctx: &mut EvalContext, src: &mut dyn FieldSource) -> bool {
    let generation = ctx.generation;
    let cache = &mut ctx.slots[global];
    cache.values.clear();
    cache.present = src.extract(id, arg, &mut cache.values);
    cache.generation = generation;
    cache.present
}

/// The key under which `in_set` looks up the first cached value of global slot `global`
/// (what a constant set of the field's type holds for an equal value, as `const_key` writes
/// it); non-string keys are written to `buf`.
#[inline]
pub(crate) fn first_value_key<'a>(
    ctx: &'a EvalContext,
    global: usize,
    ty: FieldType,
    buf: &'a mut [u8; 16],
) -> Option<&'a [u8]> {
    let values = &ctx.slots[global].values;
    let string = matches!(ty.class(), TypeClass::String | TypeClass::Buffer);
    // Strings (most gate fields): the bytes without building a `ValueRef` first.
    if let (true, Some(b)) = (string, values.first_bytes()) {
        return Some(b);
    }
    let v = values.get(0)?;
    let len = match to_const_view(v, ty)? {
        Const::Unsigned(x) => put(buf, &x.to_le_bytes()),
        Const::Signed(x) => put(buf, &x.to_le_bytes()),
        Const::Double(x) => put(buf, &x.to_bits().to_le_bytes()),
        Const::Bool(b) => put(buf, &[u8::from(b)]),
        Const::Ip(std::net::IpAddr::V4(a)) => put(buf, &a.octets()),
        Const::Ip(std::net::IpAddr::V6(a)) => put(buf, &a.octets()),
        // `to_const_view` gives neither.
        Const::Bytes(_) | Const::Net(..) => return None,
    };
    Some(&buf[..len])
}

/// Copies `bytes` (at most 16) to the start of `buf`; returns their length.
#[inline(always)]
fn put(buf: &mut [u8; 16], bytes: &[u8]) -> usize {
    buf[..bytes.len()].copy_from_slice(bytes);
    bytes.len()
}

/// The cache miss path of `ensure`.
#[inline(never)]
fn extract_slot(slots: &[SlotDef], i: usize, ctx: &mut EvalContext, src: &mut dyn FieldSource) -> bool {
    let def = &slots[i];
    let g = def.global as usize;
    // Inputs first (they have lower local indices and their own cache entries).
    let inputs_present = match &def.extract {
        Extract::Field { .. } | Extract::Const(_) => true,
        Extract::Unary { input, .. } => ensure(slots, *input, ctx, src),
        Extract::List(items) | Extract::Concat(items) => {
            let mut all = true;
            for &it in items {
                all &= ensure(slots, it, ctx, src);
            }
            all
        }
        Extract::Join { sep, list } => ensure(slots, *sep, ctx, src) & ensure(slots, *list, ctx, src),
        Extract::GetOpt { args, .. } => ensure(slots, *args, ctx, src),
    };
    if let Extract::Field { id, arg } = &def.extract {
        // No inputs: fill the cache entry in place.
        let cache = &mut ctx.slots[g];
        cache.values.clear();
        cache.present = src.extract(*id, arg, &mut cache.values);
        cache.generation = ctx.generation;
        return cache.present;
    }
    let mut out = std::mem::take(&mut ctx.slots[g].values);
    out.clear();
    let present = inputs_present
        && match &def.extract {
            Extract::Field { id, arg } => src.extract(*id, arg, &mut out),
            Extract::Const(v) => {
                out.copy_from(v);
                true
            }
            Extract::Unary {
                t,
                input,
                input_is_list,
            } => {
                let input = &ctx.slots[slots[*input].global as usize].values;
                transform::apply_unary(*t, input, *input_is_list, &mut out)
            }
            Extract::List(items) => {
                for &it in items {
                    let v = &ctx.slots[slots[it].global as usize].values;
                    for x in v.iter() {
                        out.push_ref(x);
                    }
                }
                true
            }
            Extract::Join { sep, list } => {
                let sep_v = &ctx.slots[slots[*sep].global as usize].values;
                let list_v = &ctx.slots[slots[*list].global as usize].values;
                let sep_ty = slots[*sep].ty;
                let list_ty = slots[*list].ty;
                out.begin_bytes();
                for (n, x) in list_v.iter().enumerate() {
                    if n > 0 {
                        if let Some(s) = sep_v.get(0) {
                            transform::append_text(s, sep_ty, &mut out, &mut ctx.text);
                        }
                    }
                    transform::append_text(x, list_ty, &mut out, &mut ctx.text);
                }
                true
            }
            Extract::Concat(items) => {
                out.begin_bytes();
                for &it in items {
                    let v = &ctx.slots[slots[it].global as usize].values;
                    if let Some(x) = v.get(0) {
                        transform::append_text(x, slots[it].ty, &mut out, &mut ctx.text);
                    }
                }
                true
            }
            Extract::GetOpt { args, opts, selector } => {
                let a = &ctx.slots[slots[*args].global as usize].values;
                transform::getopt(a, opts, *selector, &mut out)
            }
        };
    let cache = &mut ctx.slots[g];
    cache.values = out;
    cache.present = present;
    cache.generation = ctx.generation;
    present
}

impl CompiledFilter {
    /// Evaluates the condition on the current event of `src`. Fields without a value make
    /// their checks false (libsinsp semantics, `!=` included).
    pub fn eval(&self, ctx: &mut EvalContext, src: &mut dyn FieldSource) -> bool {
        ctx.bind(self.registry, self.cache_len, self.memo_len);
        self.eval_node(&self.root, ctx, src)
    }

    /// `eval` with the context already bound to the filter's registry and sized for it.
    #[inline]
    pub(crate) fn eval_bound(&self, ctx: &mut EvalContext, src: &mut dyn FieldSource) -> bool {
        debug_assert!(
            ctx.registry == self.registry && ctx.slots.len() >= self.cache_len && ctx.memo.len() >= self.memo_len
        );
        // Most conditions are a conjunction: its operands without the call for the root.
        match &self.root {
            Node::And(children) => children.iter().all(|c| self.eval_child(c, ctx, src)),
            root => self.eval_node(root, ctx, src),
        }
    }

    fn eval_node(&self, n: &Node, ctx: &mut EvalContext, src: &mut dyn FieldSource) -> bool {
        match n {
            Node::And(children) => children.iter().all(|c| self.eval_child(c, ctx, src)),
            Node::Or(children) => children.iter().any(|c| self.eval_child(c, ctx, src)),
            Node::Not(child) => !self.eval_child(child, ctx, src),
            Node::Check(c) => self.eval_check(c, ctx, src),
            Node::Shared(memo, child) => self.eval_shared(*memo, child, ctx, src),
        }
    }

    /// A child of a boolean node: checks and results of shared subexpressions already
    /// computed for this event (most children) are handled without the recursive call.
    #[inline(always)]
    fn eval_child(&self, n: &Node, ctx: &mut EvalContext, src: &mut dyn FieldSource) -> bool {
        match n {
            Node::Check(c) => self.eval_check(c, ctx, src),
            Node::Shared(memo, child) => {
                let cached = ctx.memo[*memo as usize];
                if cached >> 1 == ctx.generation {
                    return cached & 1 != 0;
                }
                self.eval_shared(*memo, child, ctx, src)
            }
            other => self.eval_node(other, ctx, src),
        }
    }

    /// Evaluates a shared subexpression and records its result for the current event.
    #[inline(never)]
    fn eval_shared(&self, memo: u32, child: &Node, ctx: &mut EvalContext, src: &mut dyn FieldSource) -> bool {
        let i = memo as usize;
        let cached = ctx.memo[i];
        if cached >> 1 == ctx.generation {
            return cached & 1 != 0;
        }
        let result = self.eval_node(child, ctx, src);
        ctx.memo[i] = ctx.generation << 1 | u64::from(result);
        result
    }

    // Kept out of line: inlined, its register needs would weigh on every node visit.
    #[inline(never)]
    fn eval_check(&self, c: &Check, ctx: &mut EvalContext, src: &mut dyn FieldSource) -> bool {
        let g = c.global as usize;
        let present = match ctx.slots.get(g) {
            Some(cache) if cache.generation == ctx.generation => cache.present,
            _ => ensure(&self.slots, c.lhs, ctx, src),
        };
        if !present {
            return false;
        }
        let lhs = &ctx.slots[g].values;
        // One dispatch on the matcher chosen at compile time; a value of another kind than it
        // expects goes to `eval_check_scalar`, which decides every kind.
        match &c.matcher {
            Matcher::General => self.eval_check_general(c, ctx, src),
            Matcher::Exists => !lhs.is_empty(),
            Matcher::BytesEq(b) => match lhs.first_bytes() {
                Some(a) => a == &b[..],
                None => eval_check_scalar(c, ctx),
            },
            Matcher::BytesNe(b) => match lhs.first_bytes() {
                Some(a) => a != &b[..],
                None => eval_check_scalar(c, ctx),
            },
            Matcher::StartsWith(b) => match lhs.first_bytes() {
                Some(a) => a.starts_with(b),
                None => eval_check_scalar(c, ctx),
            },
            Matcher::EndsWith(b) => match lhs.first_bytes() {
                Some(a) => a.ends_with(b),
                None => eval_check_scalar(c, ctx),
            },
            Matcher::Contains(b) => match lhs.first_bytes() {
                Some(a) => find(a, b),
                None => eval_check_scalar(c, ctx),
            },
            Matcher::IContains(b) => match lhs.first_bytes() {
                Some(a) => find_ignore_case(a, b),
                None => eval_check_scalar(c, ctx),
            },
            Matcher::BytesOp(op, b) => match lhs.first_bytes() {
                Some(a) => compare_bytes(*op, c.ty, a, b),
                None => eval_check_scalar(c, ctx),
            },
            Matcher::BytesIn { negate, filter } => match (lhs.first_bytes(), &c.rhs) {
                (Some(a), Rhs::Set(set)) => (filter.may_contain(a) && set.contains(a)) != *negate,
                _ => eval_check_scalar(c, ctx),
            },
            Matcher::Paths => match (lhs.first_bytes(), &c.rhs) {
                (Some(a), Rhs::Paths(paths)) => paths.iter().any(|p| pmatch(p, a)),
                _ => eval_check_scalar(c, ctx),
            },
            Matcher::Unsigned { op, k, bits } => match lhs.get(0).and_then(|v| v.as_u64()) {
                Some(a) => ordered(*op, norm_unsigned(a, *bits), *k),
                None => eval_check_scalar(c, ctx),
            },
            Matcher::Signed { op, k, bits } => match lhs.get(0).and_then(|v| v.as_i64()) {
                Some(a) => ordered(*op, norm_signed(a, *bits), *k),
                None => eval_check_scalar(c, ctx),
            },
            Matcher::Bool { op, k } => match lhs.get(0) {
                Some(ValueRef::Bool(a)) => ordered(*op, a, *k),
                _ => eval_check_scalar(c, ctx),
            },
        }
    }

    /// `eval_check` for list fields, right-hand side fields and several candidate values.
    #[inline(never)]
    fn eval_check_general(&self, c: &Check, ctx: &mut EvalContext, src: &mut dyn FieldSource) -> bool {
        let rhs_slot = match &c.rhs {
            Rhs::Field(r) => {
                if !ensure(&self.slots, *r, ctx, src) {
                    return false;
                }
                Some(self.slots[*r].global as usize)
            }
            _ => None,
        };
        let EvalContext { slots, key, .. } = ctx;
        let lhs = &slots[self.slots[c.lhs].global as usize].values;
        // A single-valued field that extracted nothing has no value (`exists` is false).
        if !c.is_list && lhs.is_empty() {
            return false;
        }
        let op = match c.op {
            CheckOp::Exists => return true,
            CheckOp::Binary(op) => op,
        };
        if c.is_list {
            // List fields support `in` (every value in the set) and `intersects` (any).
            let member = |v: ValueRef<'_>, key: &mut Vec<u8>| match &c.rhs {
                Rhs::Set(set) => in_set(set, v, c.ty, key),
                Rhs::Consts(consts) => consts.iter().any(|k| compare(BinaryOp::Eq, c.ty, v, k)),
                Rhs::Field(_) => {
                    rhs_slot.is_some_and(|r| slots[r].values.iter().any(|w| compare_values(BinaryOp::Eq, c.ty, v, w)))
                }
                _ => false,
            };
            return match op {
                BinaryOp::In => lhs.iter().all(|v| member(v, key)),
                BinaryOp::Intersects => lhs.iter().any(|v| member(v, key)),
                // String matching on a string list: any element (see `check_comparable`).
                _ => lhs
                    .iter()
                    .any(|v| scalar_matches(c, op, v, rhs_slot.map(|r| &slots[r].values), key)),
            };
        }
        let rhs_values = rhs_slot.map(|r| &slots[r].values);
        if c.any_value && lhs.len() > 1 {
            // Several candidates (either end, any ancestor): `!=` holds when no candidate is
            // equal, the other operators when some candidate matches.
            return if op == BinaryOp::Ne {
                lhs.iter().all(|v| scalar_matches(c, op, v, rhs_values, key))
            } else {
                lhs.iter().any(|v| scalar_matches(c, op, v, rhs_values, key))
            };
        }
        let Some(v) = lhs.get(0) else {
            return false;
        };
        scalar_matches(c, op, v, rhs_values, key)
    }
}

/// A specialised check (single-valued field, constants) whose value is not of the kind its
/// matcher expects: the first value through `scalar_matches`.
#[cold]
#[inline(never)]
fn eval_check_scalar(c: &Check, ctx: &mut EvalContext) -> bool {
    let EvalContext { slots, key, .. } = ctx;
    let op = match c.op {
        CheckOp::Exists => return !slots[c.global as usize].values.is_empty(),
        CheckOp::Binary(op) => op,
    };
    let Some(v) = slots[c.global as usize].values.get(0) else {
        return false;
    };
    scalar_matches(c, op, v, None, key)
}

/// A comparison of one left-hand value; `rhs_values` are the values of a `val()` field.
#[inline]
fn scalar_matches(c: &Check, op: BinaryOp, v: ValueRef<'_>, rhs_values: Option<&Values>, key: &mut Vec<u8>) -> bool {
    match &c.rhs {
        Rhs::None => true,
        // An empty list with a modifier never matches (`!= allof ()` included).
        Rhs::Set(set) if c.modifier.is_some() && set.is_empty() => false,
        Rhs::Set(set) => {
            let found = in_set(set, v, c.ty, key);
            // `!= allof (...)` is "not in the set"; the others are membership.
            if op == BinaryOp::Ne {
                !found
            } else {
                found
            }
        }
        Rhs::Consts(consts) => match c.modifier {
            Some(m) => with_modifier(m, consts.len(), |i| compare(op, c.ty, v, &consts[i])),
            None if matches!(op, BinaryOp::In | BinaryOp::Intersects) => {
                consts.iter().any(|k| compare(BinaryOp::Eq, c.ty, v, k))
            }
            // Strings against one constant (most checks), without `compare`'s dispatch.
            None => match (v, consts.first()) {
                (ValueRef::Bytes(a), Some(Const::Bytes(b))) => compare_bytes(op, c.ty, a, b),
                (_, k) => k.is_some_and(|k| compare(op, c.ty, v, k)),
            },
        },
        Rhs::Regexes(res) => {
            let ValueRef::Bytes(b) = v else {
                return false;
            };
            // Like libsinsp, invalid UTF-8 is sanitized (one replacement character per
            // bad sequence) before matching; valid text is matched in place.
            let text = String::from_utf8_lossy(b);
            match c.modifier {
                Some(m) => with_modifier(m, res.len(), |i| res[i].is_match(&text)),
                None => res.first().is_some_and(|r| r.is_match(&text)),
            }
        }
        Rhs::Paths(paths) => {
            let ValueRef::Bytes(b) = v else {
                return false;
            };
            paths.iter().any(|p| pmatch(p, b))
        }
        Rhs::Field(_) => {
            let Some(rv) = rhs_values else {
                return false;
            };
            match (c.modifier, op) {
                (Some(m), _) => with_modifier(m, rv.len(), |i| {
                    rv.get(i).is_some_and(|w| compare_values(op, c.ty, v, w))
                }),
                (None, BinaryOp::In | BinaryOp::Intersects) => {
                    rv.iter().any(|w| compare_values(BinaryOp::Eq, c.ty, v, w))
                }
                (None, _) => rv.get(0).is_some_and(|w| compare_values(op, c.ty, v, w)),
            }
        }
    }
}

/// `oneof` (exactly one), `anyof` (at least one), `allof` (all) over `n` right-hand values;
/// an empty list never matches.
fn with_modifier(m: OpModifier, n: usize, mut matches: impl FnMut(usize) -> bool) -> bool {
    if n == 0 {
        return false;
    }
    match m {
        OpModifier::AnyOf => (0..n).any(matches),
        OpModifier::AllOf => (0..n).all(matches),
        OpModifier::OneOf => {
            let mut count = 0;
            for i in 0..n {
                if matches(i) {
                    count += 1;
                    if count > 1 {
                        return false;
                    }
                }
            }
            count == 1
        }
    }
}

/// The normalized value of an extracted item as a constant of the field's type.
#[inline]
fn to_const_view(v: ValueRef<'_>, ty: FieldType) -> Option<Const> {
    let bits = ty.int_bits();
    Some(match ty.class() {
        TypeClass::Signed => Const::Signed(norm_signed(v.as_i64()?, bits)),
        TypeClass::Unsigned => Const::Unsigned(norm_unsigned(v.as_u64()?, bits)),
        TypeClass::Double => match v {
            ValueRef::F64(f) => Const::Double(f),
            other => Const::Double(other.as_i64()? as f64),
        },
        TypeClass::Bool => match v {
            ValueRef::Bool(b) => Const::Bool(b),
            other => Const::Bool(other.as_u64()? != 0),
        },
        TypeClass::Ip => match v {
            ValueRef::Ip(ip) | ValueRef::Net(ip, _) => Const::Ip(ip),
            _ => return None,
        },
        _ => return None,
    })
}

/// Whether an extracted value is in a constant set (strings are looked up without copying).
#[inline]
fn in_set(set: &ConstSet, v: ValueRef<'_>, ty: FieldType, key: &mut Vec<u8>) -> bool {
    match (ty.class(), v) {
        (TypeClass::String | TypeClass::Buffer, ValueRef::Bytes(b)) => set.contains(b),
        _ => match to_const_view(v, ty) {
            Some(c) => {
                const_key(&c, key);
                set.contains(key.as_slice())
            }
            None => false,
        },
    }
}

#[inline]
fn ordered<T: PartialOrd>(op: BinaryOp, a: T, b: T) -> bool {
    match op {
        BinaryOp::Eq | BinaryOp::In | BinaryOp::Intersects => a == b,
        BinaryOp::Ne => a != b,
        BinaryOp::Lt => a < b,
        BinaryOp::Le => a <= b,
        BinaryOp::Gt => a > b,
        BinaryOp::Ge => a >= b,
        _ => false,
    }
}

/// Compares an extracted value with a constant for the field's type.
#[inline]
fn compare(op: BinaryOp, ty: FieldType, v: ValueRef<'_>, k: &Const) -> bool {
    match (v, k) {
        (ValueRef::Bytes(a), Const::Bytes(b)) => compare_bytes(op, ty, a, b),
        (_, Const::Net(net, prefix)) => {
            let ip = match v {
                ValueRef::Ip(ip) | ValueRef::Net(ip, _) => ip,
                _ => return false,
            };
            let inside = net_contains(*net, *prefix, ip);
            match op {
                BinaryOp::Ne => !inside,
                _ => inside,
            }
        }
        // Event-typed fields (`PT_DYN`): compare numerically when the value is a number.
        (ValueRef::Bytes(a), Const::Signed(n)) if ty == FieldType::Dyn => {
            match std::str::from_utf8(a).ok().and_then(|s| s.parse::<i64>().ok()) {
                Some(x) => ordered(op, x, *n),
                None => false,
            }
        }
        _ => match (to_const_view(v, ty), k) {
            (Some(Const::Signed(a)), Const::Signed(b)) => ordered(op, a, *b),
            (Some(Const::Unsigned(a)), Const::Unsigned(b)) => ordered(op, a, *b),
            (Some(Const::Double(a)), Const::Double(b)) => ordered(op, a, *b),
            (Some(Const::Bool(a)), Const::Bool(b)) => ordered(op, a, *b),
            (Some(Const::Ip(a)), Const::Ip(b)) => match op {
                BinaryOp::Ne => a != *b,
                _ => a == *b,
            },
            (None, Const::Signed(b)) if ty == FieldType::Dyn => v.as_i64().is_some_and(|a| ordered(op, a, *b)),
            _ => op == BinaryOp::Ne && ty.class() == TypeClass::Ip,
        },
    }
}

/// Compares two extracted values (right-hand side field).
#[inline]
fn compare_values(op: BinaryOp, ty: FieldType, v: ValueRef<'_>, w: ValueRef<'_>) -> bool {
    match (v, w) {
        (ValueRef::Bytes(a), ValueRef::Bytes(b)) => compare_bytes(op, ty, a, b),
        _ => match to_const_view(w, ty) {
            Some(k) => compare(op, ty, v, &k),
            None => false,
        },
    }
}

#[inline]
fn compare_bytes(op: BinaryOp, ty: FieldType, a: &[u8], b: &[u8]) -> bool {
    match op {
        BinaryOp::Eq | BinaryOp::In | BinaryOp::Intersects => a == b,
        BinaryOp::Ne => a != b,
        BinaryOp::Lt => a < b,
        BinaryOp::Le => a <= b,
        BinaryOp::Gt => a > b,
        BinaryOp::Ge => a >= b,
        BinaryOp::Contains | BinaryOp::BContains => find(a, b),
        BinaryOp::IContains => find_ignore_case(a, b),
        BinaryOp::StartsWith | BinaryOp::BStartsWith => a.starts_with(b),
        BinaryOp::EndsWith => a.ends_with(b),
        BinaryOp::Glob => ty.class() == TypeClass::String && fnmatch(b, a, false),
        BinaryOp::IGlob => ty.class() == TypeClass::String && fnmatch(b, a, true),
        BinaryOp::PMatch | BinaryOp::Regex => false,
    }
}

/// Whether `needle` occurs in `hay`: candidates by the needle's first byte (values and
/// needles are short, so this beats building a substring searcher per call).
fn find(hay: &[u8], needle: &[u8]) -> bool {
    let Some((&first, rest)) = needle.split_first() else {
        return true;
    };
    let Some(last_start) = hay.len().checked_sub(needle.len()) else {
        return false;
    };
    let mut from = 0;
    while let Some(p) = memchr::memchr(first, &hay[from..=last_start]) {
        let start = from + p;
        if &hay[start + 1..start + needle.len()] == rest {
            return true;
        }
        from = start + 1;
    }
    false
}

/// `find` ignoring ASCII case: candidates by either case of the needle's first byte.
fn find_ignore_case(hay: &[u8], needle: &[u8]) -> bool {
    let Some((&first, rest)) = needle.split_first() else {
        return true;
    };
    let Some(last_start) = hay.len().checked_sub(needle.len()) else {
        return false;
    };
    let (lower, upper) = (first.to_ascii_lowercase(), first.to_ascii_uppercase());
    let mut from = 0;
    while let Some(p) = memchr::memchr2(lower, upper, &hay[from..=last_start]) {
        let start = from + p;
        if hay[start + 1..start + needle.len()].eq_ignore_ascii_case(rest) {
            return true;
        }
        from = start + 1;
    }
    false
}

/// POSIX `fnmatch` without flags (or with `FNM_CASEFOLD`): `*`, `?`, bracket expressions
/// (`[a-z]`, `[!x]`, `[^x]`), backslash escapes; `/` and leading dots are not special.
pub fn fnmatch(pattern: &[u8], text: &[u8], casefold: bool) -> bool {
    let eq = |a: u8, b: u8| {
        if casefold {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    };
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() {
            match pattern[p] {
                b'*' => {
                    star = Some((p, t));
                    p += 1;
                    continue;
                }
                b'?' => {
                    p += 1;
                    t += 1;
                    continue;
                }
                b'[' => {
                    if let Some((matched, next)) = bracket(pattern, p, text[t], casefold) {
                        if matched {
                            p = next;
                            t += 1;
                            continue;
                        }
                    } else if eq(b'[', text[t]) {
                        // An unterminated '[' matches itself.
                        p += 1;
                        t += 1;
                        continue;
                    }
                }
                b'\\' if p + 1 < pattern.len() => {
                    if eq(pattern[p + 1], text[t]) {
                        p += 2;
                        t += 1;
                        continue;
                    }
                }
                c => {
                    if eq(c, text[t]) {
                        p += 1;
                        t += 1;
                        continue;
                    }
                }
            }
        }
        match star {
            Some((sp, st)) => {
                p = sp + 1;
                t = st + 1;
                star = Some((sp, st + 1));
            }
            None => return false,
        }
    }
    while p < pattern.len() && pattern[p] == b'*' {
        p += 1;
    }
    p == pattern.len()
}

/// Matches `c` against the bracket expression at `pattern[start]`; returns (matched, index
/// after the expression), or `None` when the bracket is not terminated.
fn bracket(pattern: &[u8], start: usize, c: u8, casefold: bool) -> Option<(bool, usize)> {
    let mut i = start + 1;
    let negate = matches!(pattern.get(i), Some(b'!' | b'^'));
    if negate {
        i += 1;
    }
    let norm = |x: u8| if casefold { x.to_ascii_lowercase() } else { x };
    let c = norm(c);
    let mut matched = false;
    let mut first = true;
    loop {
        let ch = *pattern.get(i)?;
        if ch == b']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        let lo = if ch == b'\\' {
            i += 1;
            *pattern.get(i)?
        } else {
            ch
        };
        if pattern.get(i + 1) == Some(&b'-') && pattern.get(i + 2).is_some_and(|&h| h != b']') {
            let hi = pattern[i + 2];
            if norm(lo) <= c && c <= norm(hi) {
                matched = true;
            }
            i += 3;
        } else {
            if norm(lo) == c {
                matched = true;
            }
            i += 1;
        }
    }
}

/// `pmatch`: the pattern's components are a prefix of the path's (glob components match
/// with fnmatch).
fn pmatch(p: &PathPattern, path: &[u8]) -> bool {
    let mut comps = split_path(path);
    for (pat, glob) in &p.components {
        let Some(c) = comps.next() else {
            return false;
        };
        let ok = if *glob {
            fnmatch(pat, c, false)
        } else {
            pat.as_slice() == c
        };
        if !ok {
            return false;
        }
    }
    true
}

#[derive(Debug, thiserror::Error)]
pub enum AccessorError {
    #[error("invalid field expression '{text}': {source}")]
    Parse { text: String, source: ParseError },
    #[error("invalid field expression '{text}': {source}")]
    Compile { text: String, source: CompileError },
}

/// One field (or transformer expression) extracted on its own, e.g. for `%proc.aname[2]` in
/// outputs.
#[derive(Debug, Clone)]
pub struct FieldAccessor {
    slots: Vec<SlotDef>,
    result: usize,
    registry: u64,
}

impl FieldAccessor {
    /// Compiles `text` (`proc.aname[2]`, `tolower(proc.name)`) with its own slot registry.
    pub fn compile(text: &str, catalog: &dyn FieldCatalog) -> Result<Self, AccessorError> {
        Self::compile_with(text, catalog, &mut SlotRegistry::new())
    }

    /// Compiles `text` sharing cache slots with filters of `registry`.
    pub fn compile_with(
        text: &str,
        catalog: &dyn FieldCatalog,
        registry: &mut SlotRegistry,
    ) -> Result<Self, AccessorError> {
        let expr = parse_field_expr(text).map_err(|source| AccessorError::Parse {
            text: text.to_string(),
            source,
        })?;
        let (slots, result) =
            compile_field_expr(&expr, catalog, registry).map_err(|source| AccessorError::Compile {
                text: text.to_string(),
                source,
            })?;
        Ok(FieldAccessor {
            slots,
            result,
            registry: registry.id(),
        })
    }

    pub fn field_type(&self) -> FieldType {
        self.slots[self.result].ty
    }

    pub fn is_list(&self) -> bool {
        self.slots[self.result].is_list
    }

    /// The id of the slot registry the accessor was compiled with.
    pub(crate) fn registry(&self) -> u64 {
        self.registry
    }

    /// How many global slots an evaluation context needs for this accessor.
    pub(crate) fn slots_needed(&self) -> usize {
        self.slots.iter().map(|s| s.global as usize + 1).max().unwrap_or(0)
    }

    /// The catalog fields the accessor extracts, with their global slots.
    pub(crate) fn field_slots(&self) -> impl Iterator<Item = (usize, FieldId)> + '_ {
        self.slots.iter().filter_map(|s| match s.extract {
            Extract::Field { id, .. } => Some((s.global as usize, id)),
            _ => None,
        })
    }

    /// The values for the current event, or `None` when the field has none.
    pub fn extract<'c>(&self, ctx: &'c mut EvalContext, src: &mut dyn FieldSource) -> Option<&'c Values> {
        let needed = self.slots.iter().map(|s| s.global as usize + 1).max().unwrap_or(0);
        ctx.bind(self.registry, needed, 0);
        if !ensure(&self.slots, self.result, ctx, src) {
            return None;
        }
        let values = &ctx.slots[self.slots[self.result].global as usize].values;
        if values.is_empty() && !self.is_list() {
            return None;
        }
        Some(values)
    }

    /// Appends the rendering of the field for the current event (`<NA>` when absent).
    pub fn render(&self, ctx: &mut EvalContext, src: &mut dyn FieldSource, out: &mut String) {
        let (ty, list) = (self.field_type(), self.is_list());
        render(self.extract(ctx, src), ty, list, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::compile::{compile, compile_with};
    use crate::rules::fields::{ArgSpec, FieldArg, FieldId, FieldInfo, TableCatalog};
    use crate::rules::parse::parse_condition;
    use std::collections::HashMap;

    /// A source with fixed values per field name, counting extractions.
    struct MapSource {
        names: HashMap<FieldId, &'static str>,
        values: HashMap<&'static str, Vec<&'static str>>,
        extractions: usize,
        types: HashMap<FieldId, FieldType>,
    }

    impl FieldSource for MapSource {
        fn extract(&mut self, field: FieldId, arg: &FieldArg, out: &mut Values) -> bool {
            self.extractions += 1;
            let name = self.names[&field];
            let key: String = match arg {
                FieldArg::None => name.to_string(),
                FieldArg::Index(i) => format!("{name}[{i}]"),
                FieldArg::Key(k) => format!("{name}[{k}]"),
            };
            let Some(vals) = self.values.get(key.as_str()) else {
                return false;
            };
            for v in vals {
                match self.types[&field].class() {
                    TypeClass::Signed => out.push_i64(v.parse().unwrap()),
                    TypeClass::Unsigned => out.push_u64(v.parse().unwrap()),
                    TypeClass::Ip => out.push_ip(v.parse().unwrap()),
                    TypeClass::Net => out.push_ip(v.parse().unwrap()),
                    TypeClass::Bool => out.push_bool(*v == "true"),
                    _ => out.push_str(v),
                }
            }
            true
        }
    }

    fn setup() -> (TableCatalog, MapSource) {
        let mut cat = TableCatalog::new();
        let mut names = HashMap::new();
        let mut types = HashMap::new();
        for (n, t, list) in [
            ("proc.name", FieldType::CharBuf, false),
            ("fd.name", FieldType::FsPath, false),
            ("proc.pid", FieldType::Int64, false),
            ("fd.sport", FieldType::Port, false),
            ("fd.sip", FieldType::IpAddr, false),
            ("fd.snet", FieldType::IpNet, false),
            ("proc.args", FieldType::CharBuf, true),
            ("evt.is_io", FieldType::Bool, false),
            ("proc.pname", FieldType::CharBuf, false),
            ("evt.buffer", FieldType::ByteBuf, false),
        ] {
            let mut info = FieldInfo::new(n, t, "");
            info.is_list = list;
            let id = cat.add(info);
            names.insert(id, n);
            types.insert(id, t);
        }
        let mut aname = FieldInfo::new("proc.aname", FieldType::CharBuf, "");
        aname.arg = ArgSpec {
            index: true,
            ..Default::default()
        };
        let id = cat.add(aname);
        names.insert(id, "proc.aname");
        types.insert(id, FieldType::CharBuf);
        let values = HashMap::from([
            ("proc.name", vec!["Bash"]),
            ("proc.pname", vec!["Bash"]),
            ("fd.name", vec!["/etc/shadow"]),
            ("proc.pid", vec!["-5"]),
            ("fd.sport", vec!["443"]),
            ("fd.sip", vec!["10.1.2.3"]),
            ("fd.snet", vec!["10.1.2.3"]),
            ("proc.args", vec!["-c", "ls"]),
            ("evt.is_io", vec!["true"]),
            ("proc.aname[2]", vec!["sshd"]),
            ("evt.buffer", vec!["HTTP/1.1 200"]),
        ]);
        (
            cat,
            MapSource {
                names,
                values,
                extractions: 0,
                types,
            },
        )
    }

    fn eval(cond: &str) -> bool {
        let (cat, mut src) = setup();
        let f = compile(&parse_condition(cond).unwrap(), &cat).unwrap();
        let mut ctx = EvalContext::new();
        f.eval(&mut ctx, &mut src)
    }

    #[test]
    fn string_operators() {
        assert!(eval("proc.name = Bash"));
        assert!(eval("proc.name icontains ash"));
        assert!(!eval("proc.name contains ash and proc.name contains x"));
        assert!(eval("fd.name startswith /etc and fd.name endswith shadow"));
        assert!(eval("fd.name glob '/etc/*'"));
        assert!(eval("fd.name iglob '/ETC/SH[a-z]dow'"));
        assert!(eval("fd.name pmatch (/usr, /etc)"));
        assert!(eval("fd.name pmatch (/e*/shadow)"));
        assert!(!eval("fd.name pmatch (/etc/shadow/x)"));
        assert!(eval("fd.name regex '/etc/s.*'"));
        assert!(!eval("fd.name regex 'etc'"));
        assert!(eval("proc.name in (zsh, Bash)"));
        assert!(eval("tolower(proc.name) = bash"));
        assert!(eval("len(fd.name) = 11"));
        assert!(eval("basename(fd.name) = shadow"));
        assert!(eval("proc.name = val(proc.pname)"));
        assert!(eval("proc.aname[2] = sshd"));
        assert!(eval("proc.name contains anyof (zz, as)"));
        assert!(!eval("proc.name contains oneof (B, as)"));
        assert!(eval("proc.name contains allof (B, as)"));
        assert!(eval("evt.buffer bcontains 48545450"));
        assert!(eval("evt.buffer bstartswith 48545450"));
        assert!(!eval("proc.name != allof ()"));
        assert!(!eval("proc.name == anyof ()"));
        assert!(eval("proc.name != allof (zsh, sh)"));
    }

    #[test]
    fn numbers_ips_lists_and_missing_values() {
        assert!(eval("proc.pid < 0 and proc.pid = -5"));
        assert!(eval("fd.sport in (80, 443)"));
        assert!(eval("fd.sport >= 443"));
        if std::fs::read_to_string("/etc/services").is_ok_and(|t| t.contains("443/tcp")) {
            assert!(eval("fd.sport = https"));
        }
        let (cat, _) = setup();
        let e = compile(&parse_condition("fd.sport = no-such-service").unwrap(), &cat).unwrap_err();
        assert_eq!(e.message, "unrecognized protocol no-such-service");
        assert!(eval("fd.sip = 10.1.2.3"));
        assert!(eval("fd.sip != 10.1.2.4"));
        assert!(eval("fd.snet = 10.1.0.0/16"));
        assert!(!eval("fd.snet = 10.2.0.0/16"));
        assert!(eval("evt.is_io = true"));
        assert!(eval("proc.args intersects (ls, x)"));
        assert!(!eval("proc.args in (ls, x)"));
        assert!(eval("proc.args in (ls, -c, x)"));
        // A missing field makes every comparison false, != included; `exists` is false.
        assert!(!eval("proc.aname[3] = x"));
        assert!(!eval("proc.aname[3] != x"));
        assert!(eval("not proc.aname[3] in (x)"));
        assert!(!eval("proc.aname[3] exists"));
        assert!(eval("proc.aname[2] exists"));
    }

    #[test]
    fn fields_are_extracted_once_per_event() {
        let (cat, mut src) = setup();
        let cond = "proc.name = x or proc.name = y or proc.name in (a, b) or tolower(proc.name) = z";
        let f = compile(&parse_condition(cond).unwrap(), &cat).unwrap();
        let mut ctx = EvalContext::new();
        assert!(!f.eval(&mut ctx, &mut src));
        assert_eq!(src.extractions, 1);
        assert!(!f.eval(&mut ctx, &mut src));
        assert_eq!(src.extractions, 1);
        ctx.next_event();
        f.eval(&mut ctx, &mut src);
        assert_eq!(src.extractions, 2);
    }

    #[test]
    fn shared_subexpressions_are_evaluated_once_per_event() {
        let (cat, mut src) = setup();
        let mut registry = SlotRegistry::new();
        let shell = "(proc.name in (Bash, zsh) and not fd.name startswith /tmp)";
        let conds = [
            format!("{shell} and proc.pid < 0"),
            format!("{shell} and fd.name endswith shadow"),
            "proc.pid < 0 and fd.sport = 443".to_string(),
        ];
        let mut filters: Vec<CompiledFilter> = conds
            .iter()
            .map(|c| compile_with(&parse_condition(c).unwrap(), &cat, &mut registry).unwrap())
            .collect();
        for f in &mut filters {
            f.share_subexpressions(&registry);
        }
        // The macro-like conjunction (with its checks) and `proc.pid < 0` are shared; the
        // rest occurs once and is evaluated in place.
        let counts: Vec<usize> = filters.iter().map(CompiledFilter::shared_count).collect();
        assert_eq!(counts, [2, 1, 1]);
        let mut ctx = EvalContext::new();
        let run = |ctx: &mut EvalContext, src: &mut MapSource| -> Vec<bool> {
            ctx.next_event();
            filters.iter().map(|f| f.eval(ctx, src)).collect()
        };
        assert_eq!(run(&mut ctx, &mut src), [true, true, true]);
        // A new event recomputes the shared results from its own values.
        src.values.insert("fd.name", vec!["/tmp/shadow"]);
        assert_eq!(run(&mut ctx, &mut src), [false, false, true]);
        src.values.insert("proc.name", vec!["sh"]);
        src.values.insert("fd.name", vec!["/etc/shadow"]);
        src.values.insert("proc.pid", vec!["7"]);
        assert_eq!(run(&mut ctx, &mut src), [false, false, false]);
        src.values.insert("proc.name", vec!["zsh"]);
        assert_eq!(run(&mut ctx, &mut src), [false, true, false]);
    }

    #[test]
    fn accessor_renders() {
        let (cat, mut src) = setup();
        let mut ctx = EvalContext::new();
        let mut out = String::new();
        FieldAccessor::compile("proc.aname[2]", &cat)
            .unwrap()
            .render(&mut ctx, &mut src, &mut out);
        out.push(' ');
        FieldAccessor::compile("proc.aname[5]", &cat)
            .unwrap()
            .render(&mut ctx, &mut src, &mut out);
        out.push(' ');
        FieldAccessor::compile("toupper(proc.name)", &cat)
            .unwrap()
            .render(&mut ctx, &mut src, &mut out);
        out.push(' ');
        FieldAccessor::compile("proc.args", &cat)
            .unwrap()
            .render(&mut ctx, &mut src, &mut out);
        assert_eq!(out, "sshd <NA> BASH (-c,ls)");
        assert!(FieldAccessor::compile("proc.nope", &cat).is_err());
        // Display-only fields work in outputs, not in conditions; filter-only ones the reverse.
        let mut cat = cat;
        let mut shown = FieldInfo::new("evt.outputtime", FieldType::CharBuf, "");
        shown.print_only = true;
        cat.add(shown);
        let mut hidden = FieldInfo::new("evt.around", FieldType::UInt64, "");
        hidden.filter_only = true;
        cat.add(hidden);
        assert!(FieldAccessor::compile("evt.outputtime", &cat).is_ok());
        assert!(compile(&parse_condition("evt.outputtime = x").unwrap(), &cat).is_err());
        let e = FieldAccessor::compile("evt.around", &cat).unwrap_err();
        assert!(e.to_string().contains("evt.around is filter only"), "{e}");
        assert!(compile(&parse_condition("evt.around = 1").unwrap(), &cat).is_ok());
    }

    #[test]
    fn substring_search() {
        assert!(find(b"abc", b""));
        assert!(find(b"", b""));
        assert!(!find(b"", b"a"));
        assert!(find(b"stratum+tcp://x", b"stratum+tcp"));
        assert!(find(b"x --exec y", b"--exec"));
        assert!(find(b"aab", b"ab"));
        assert!(find(b"ab", b"ab"));
        assert!(!find(b"a", b"ab"));
        assert!(!find(b"abac", b"abc"));
        assert!(find(b"zzzabc", b"c"));
        assert!(find_ignore_case(b"PATH=/x GLIBC_TUNABLES=y", b"glibc_tunables"));
        assert!(find_ignore_case(b"abc", b""));
        assert!(find_ignore_case(b"xAb", b"aB"));
        assert!(!find_ignore_case(b"xA", b"aB"));
        assert!(!find_ignore_case(b"a-b", b"a_b"));
        assert!(find_ignore_case(b"aaB", b"AB"));
    }

    #[test]
    fn fnmatch_semantics() {
        assert!(fnmatch(b"*.log", b"/var/a.log", false));
        assert!(fnmatch(b"a?c", b"abc", false));
        assert!(!fnmatch(b"a?c", b"ac", false));
        assert!(fnmatch(b"[!x]y", b"zy", false));
        assert!(!fnmatch(b"[!x]y", b"xy", false));
        assert!(fnmatch(b"A*", b"abc", true));
        assert!(fnmatch(b"a\\*", b"a*", false));
        assert!(!fnmatch(b"a\\*", b"ab", false));
    }

    /// Values with invalid UTF-8 bytes: byte-wise string operators, sanitized regex.
    #[test]
    fn invalid_utf8_values() {
        struct Raw;
        impl FieldSource for Raw {
            fn extract(&mut self, _f: FieldId, _a: &FieldArg, out: &mut Values) -> bool {
                out.push_bytes(b"/p\xff/q\xff");
                true
            }
        }
        let mut cat = TableCatalog::new();
        cat.add(FieldInfo::new("fd.name", FieldType::FsPath, ""));
        let run = |cond: &str| {
            let f = compile(&parse_condition(cond).unwrap(), &cat).unwrap();
            f.eval(&mut EvalContext::new(), &mut Raw)
        };
        assert!(run(r#"fd.name = "/p\xff/q\xff""#));
        assert!(run(r#"fd.name contains "\xff""#));
        assert!(!run(r#"fd.name contains "\xfe""#));
        assert!(run(r#"fd.name in ("/p\xff/q\xff")"#));
        assert!(run(r#"fd.name glob "/p?/q?""#));
        assert!(run(r#"fd.name regex "/p./q.""#));
        assert!(!run(r#"fd.name regex "/p./q""#));
    }
}
