//! Compilation of a condition AST into a tree of typed checks (libsinsp
//! `sinsp_filter_compiler` semantics): field resolution, the operator × field-type matrix,
//! value parsing for the field type, transformers, `val()`, and extraction slots shared by
//! every check that reads the same (field, argument, transformer chain).

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};

use super::ast::{BinaryOp, Expr, FieldExpr, OpModifier, Pos, TransformerName, ValueExpr};
use super::escape::value_string_to_bytes;
use super::fields::{FieldArg, FieldCatalog, FieldId, FieldType, TypeClass};
use super::transform::{self, OptString};
use super::value::{parse_ip, parse_net, Values};

/// A compilation error with libsinsp's message where one exists, and the condition position.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct CompileError {
    pub message: String,
    pub pos: Pos,
}

/// A non-fatal finding (libsinsp compiler warnings: a field name or transformer used as a
/// constant string, a regex replaceable by simpler operators).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileWarning {
    pub message: String,
    pub pos: Pos,
}

type CResult<T> = Result<T, CompileError>;

fn err<T>(pos: Pos, message: impl Into<String>) -> CResult<T> {
    Err(CompileError {
        message: message.into(),
        pos,
    })
}

/// How a slot's values are produced.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Extract {
    Field {
        id: FieldId,
        arg: FieldArg,
    },
    /// A literal argument of a transformer.
    Const(Values),
    Unary {
        t: TransformerName,
        input: usize,
        input_is_list: bool,
    },
    /// A transformer argument list: the values of every item, in order.
    List(Vec<usize>),
    Join {
        sep: usize,
        list: usize,
    },
    Concat(Vec<usize>),
    GetOpt {
        args: usize,
        opts: Box<OptString>,
        selector: Option<u8>,
    },
}

/// One extraction of a compiled filter. Inputs refer to earlier slots of the same filter;
/// `global` indexes the evaluation context's cache (shared through a `SlotRegistry`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SlotDef {
    pub extract: Extract,
    pub ty: FieldType,
    pub is_list: bool,
    pub global: u32,
    pub name: String,
}

/// A comparison constant, parsed for the field type.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Const {
    Unsigned(u64),
    Signed(i64),
    Double(f64),
    Bool(bool),
    Bytes(Vec<u8>),
    Ip(IpAddr),
    Net(IpAddr, u8),
}

/// One path of a `pmatch` list split in components (`*`/`?`/`[` make a glob component).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PathPattern {
    pub components: Vec<(Vec<u8>, bool)>,
}

/// A small multiplicative hasher for the constant sets: keys are short and not
/// attacker-chosen (they come from the rules), so SipHash's cost buys nothing here.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct KeyHasher(u64);

/// Odd multiplier of `KeyHasher` rounds (FxHash's 64-bit constant).
const KEY_HASH_MULTIPLIER: u64 = 0x517c_c1b7_2722_0a95;

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
            self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(KEY_HASH_MULTIPLIER);
        }
        // The 1–7 trailing bytes as one word: one round instead of one per byte.
        let tail = chunks.remainder();
        if !tail.is_empty() {
            self.0 = (self.0.rotate_left(5) ^ tail_word(tail)).wrapping_mul(KEY_HASH_MULTIPLIER);
        }
    }

    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.0 = (self.0.rotate_left(5) ^ n as u64).wrapping_mul(KEY_HASH_MULTIPLIER);
    }
}

/// The 1–7 bytes of `tail` as a word that differs for different tails of one length (the
/// length itself is hashed by the caller's `Hash` impl): two overlapping loads, no byte copy.
#[inline(always)]
fn tail_word(tail: &[u8]) -> u64 {
    let n = tail.len();
    if n >= 4 {
        let lo = u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]);
        let hi = u32::from_le_bytes([tail[n - 4], tail[n - 3], tail[n - 2], tail[n - 1]]);
        u64::from(lo) | u64::from(hi) << 32
    } else {
        // 1–3 bytes: first, middle and last (the same byte when shorter).
        u64::from(tail[0]) | u64::from(tail[n / 2]) << 8 | u64::from(tail[n - 1]) << 16
    }
}

pub(crate) type ConstSet = HashSet<Vec<u8>, std::hash::BuildHasherDefault<KeyHasher>>;

/// What a check compares its left-hand values with.
#[derive(Debug, Clone)]
pub(crate) enum Rhs {
    None,
    Consts(Vec<Const>),
    /// Hash set of normalized constants (`in`, `intersects`, `= anyof`, `!= allof`).
    Set(ConstSet),
    Regexes(Vec<regex::Regex>),
    Paths(Vec<PathPattern>),
    Field(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CheckOp {
    Exists,
    Binary(BinaryOp),
}

#[derive(Debug, Clone)]
pub(crate) struct Check {
    pub lhs: usize,
    pub ty: FieldType,
    pub is_list: bool,
    /// The field may yield several candidate values (`FieldInfo::any_value`).
    pub any_value: bool,
    pub op: CheckOp,
    pub modifier: Option<OpModifier>,
    pub rhs: Rhs,
    /// The context cache slot of `lhs` (its `SlotDef::global`).
    pub global: u32,
    /// What the check does, chosen once for its operator, field type and constants.
    pub matcher: Matcher,
}

/// A check's comparison specialised at compile time for the common shapes (a single-valued
/// field against constants, no modifier): evaluation is one dispatch on this, without the
/// operator × value kind dispatch of the general path. A value of another kind than the one
/// the matcher expects (or several candidate values) takes the general path.
#[derive(Debug, Clone)]
pub(crate) enum Matcher {
    /// Lists, `val()`, modifiers, regexes, IPs, doubles, `PT_DYN` fields: the general path.
    General,
    Exists,
    BytesEq(Box<[u8]>),
    BytesNe(Box<[u8]>),
    StartsWith(Box<[u8]>),
    EndsWith(Box<[u8]>),
    Contains(Box<[u8]>),
    IContains(Box<[u8]>),
    /// Another string operator against one constant (`compare_bytes`).
    BytesOp(BinaryOp, Box<[u8]>),
    /// Membership of a string in `Rhs::Set` (negated for `!= allof`); most values outside
    /// the set are told apart by `filter` without the lookup.
    BytesIn {
        negate: bool,
        filter: Box<KeyFilter>,
    },
    /// `pmatch` against `Rhs::Paths`.
    Paths,
    Unsigned {
        op: BinaryOp,
        k: u64,
        bits: u32,
    },
    Signed {
        op: BinaryOp,
        k: i64,
        bits: u32,
    },
    Bool {
        op: BinaryOp,
        k: bool,
    },
}

/// A 512-bit prefilter of a set of keys (constant strings, gate values): one bit per key from
/// its length and its first and last bytes. A key whose bit is clear is not in the set, so
/// most lookups of absent keys end here, without hashing the key.
#[derive(Debug, Clone, Default)]
pub(crate) struct KeyFilter([u64; 8]);

impl KeyFilter {
    #[inline(always)]
    fn bit(b: &[u8]) -> usize {
        let first = b.first().copied().unwrap_or(0) as usize;
        let last = b.last().copied().unwrap_or(0) as usize;
        (first.wrapping_mul(31) ^ last.wrapping_mul(7) ^ b.len().wrapping_mul(131)) & 511
    }

    pub(crate) fn insert(&mut self, key: &[u8]) {
        let bit = Self::bit(key);
        self.0[bit / 64] |= 1 << (bit % 64);
    }

    /// False when `key` was never inserted; true when it may have been.
    #[inline(always)]
    pub(crate) fn may_contain(&self, key: &[u8]) -> bool {
        let bit = Self::bit(key);
        self.0[bit / 64] & 1 << (bit % 64) != 0
    }
}

impl Matcher {
    /// The matcher of a check with these parts (see `Matcher`).
    fn of(c: &Check) -> Matcher {
        let CheckOp::Binary(op) = c.op else {
            return if c.is_list { Matcher::General } else { Matcher::Exists };
        };
        if c.is_list || c.any_value || c.ty == FieldType::Dyn {
            return Matcher::General;
        }
        let class = c.ty.class();
        match (&c.rhs, c.modifier) {
            (Rhs::Set(set), m) if matches!(class, TypeClass::String | TypeClass::Buffer) => {
                if m.is_some() && set.is_empty() {
                    return Matcher::General;
                }
                let mut filter = Box::<KeyFilter>::default();
                for key in set {
                    filter.insert(key);
                }
                Matcher::BytesIn {
                    negate: op == BinaryOp::Ne,
                    filter,
                }
            }
            (Rhs::Paths(_), None) => Matcher::Paths,
            (Rhs::Consts(consts), None) if !matches!(op, BinaryOp::In | BinaryOp::Intersects) => {
                match (class, consts.first()) {
                    (_, Some(Const::Bytes(b))) => {
                        let b: Box<[u8]> = b.clone().into_boxed_slice();
                        match op {
                            BinaryOp::Eq => Matcher::BytesEq(b),
                            BinaryOp::Ne => Matcher::BytesNe(b),
                            BinaryOp::StartsWith | BinaryOp::BStartsWith => Matcher::StartsWith(b),
                            BinaryOp::EndsWith => Matcher::EndsWith(b),
                            BinaryOp::Contains | BinaryOp::BContains => Matcher::Contains(b),
                            BinaryOp::IContains => Matcher::IContains(b),
                            _ => Matcher::BytesOp(op, b),
                        }
                    }
                    (TypeClass::Unsigned, Some(Const::Unsigned(k))) => Matcher::Unsigned {
                        op,
                        k: *k,
                        bits: c.ty.int_bits(),
                    },
                    (TypeClass::Signed, Some(Const::Signed(k))) => Matcher::Signed {
                        op,
                        k: *k,
                        bits: c.ty.int_bits(),
                    },
                    (TypeClass::Bool, Some(Const::Bool(k))) => Matcher::Bool { op, k: *k },
                    _ => Matcher::General,
                }
            }
            _ => Matcher::General,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) enum Node {
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    Check(Box<Check>),
    /// A subexpression that other filters of the same registry (or this one) also contain
    /// (a macro such as `spawned_process`): evaluated once per event, its result cached under
    /// this memo index of the evaluation context.
    Shared(u32, Box<Node>),
}

/// Whether `n` is a negation (`not x`), looking through the shared marker.
fn is_negation(n: &Node) -> bool {
    match n {
        Node::Not(_) => true,
        Node::Shared(_, child) => is_negation(child),
        _ => false,
    }
}

/// A rough relative cost of evaluating `n` (operator work, not extraction): orders the
/// operands of `and`/`or`.
fn cost(n: &Node) -> u32 {
    match n {
        Node::And(c) | Node::Or(c) => c.iter().map(cost).fold(1, u32::saturating_add),
        Node::Not(c) | Node::Shared(_, c) => cost(c),
        Node::Check(c) => check_cost(c),
    }
}

fn check_cost(c: &Check) -> u32 {
    let op = match c.op {
        CheckOp::Exists => return 1,
        CheckOp::Binary(op) => op,
    };
    let numeric = matches!(
        c.ty.class(),
        TypeClass::Signed | TypeClass::Unsigned | TypeClass::Double | TypeClass::Bool
    );
    let base: u32 = match op {
        _ if numeric && !c.is_list => 2,
        BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => 3,
        BinaryOp::StartsWith | BinaryOp::BStartsWith | BinaryOp::EndsWith => 3,
        BinaryOp::In | BinaryOp::Intersects => 4,
        BinaryOp::Contains | BinaryOp::BContains | BinaryOp::IContains => 6,
        BinaryOp::Glob | BinaryOp::IGlob | BinaryOp::PMatch => 10,
        BinaryOp::Regex => 40,
    };
    let values = match &c.rhs {
        Rhs::Consts(k) => k.len() as u32,
        Rhs::Regexes(r) => r.len() as u32,
        Rhs::Paths(p) => p.len() as u32,
        _ => 1,
    };
    base.saturating_mul(values.max(1))
}

/// A compiled node and its shape: the registry-wide id of its structure (same field
/// extractions, operators, constants and children), equal for equal subexpressions.
struct Shaped {
    node: Node,
    shape: u32,
}

/// A compiled condition. Evaluate it with `eval` (in `rules::eval`).
#[derive(Debug, Clone)]
pub struct CompiledFilter {
    pub(crate) root: Node,
    pub(crate) slots: Vec<SlotDef>,
    pub(crate) registry: u64,
    /// One more than the highest cache slot used (size the context needs).
    pub(crate) cache_len: usize,
    /// One more than the highest memo index of a `Node::Shared` (size the context needs).
    pub(crate) memo_len: usize,
    pub warnings: Vec<CompileWarning>,
}

impl CompiledFilter {
    /// Number of distinct extractions (field, argument, transformer chain) of the filter.
    pub fn slot_count(&self) -> usize {
        self.slots.len()
    }

    /// Keeps the per-event memo only on subexpressions that occur more than once among the
    /// filters compiled with `registry` so far: call once every filter sharing the registry
    /// is compiled (a memo costs a lookup, which pays off only when a second use hits it).
    pub fn share_subexpressions(&mut self, registry: &SlotRegistry) {
        let mut memo_len = 0;
        share(&mut self.root, registry, 0, &mut memo_len);
        self.memo_len = memo_len;
    }

    /// Number of subexpressions evaluated once per event for every filter that contains them.
    pub fn shared_count(&self) -> usize {
        fn count(n: &Node) -> usize {
            match n {
                Node::And(c) | Node::Or(c) => c.iter().map(count).sum(),
                Node::Not(c) => count(c),
                Node::Check(_) => 0,
                Node::Shared(_, c) => 1 + count(c),
            }
        }
        count(&self.root)
    }
}

/// Unwraps the `Node::Shared` markers of `n` that would never be hit: shapes used once, and
/// shapes used only inside a shared ancestor (`ancestor_uses` times), which the ancestor's
/// memo already evaluates once per event.
fn share(n: &mut Node, registry: &SlotRegistry, ancestor_uses: u32, memo_len: &mut usize) {
    match n {
        Node::And(children) | Node::Or(children) => children
            .iter_mut()
            .for_each(|c| share(c, registry, ancestor_uses, memo_len)),
        Node::Not(child) => share(child, registry, ancestor_uses, memo_len),
        Node::Check(_) => {}
        Node::Shared(shape, child) => {
            let uses = registry.shape_uses[*shape as usize];
            if uses > 1 && uses > ancestor_uses {
                *memo_len = (*memo_len).max(*shape as usize + 1);
                share(child, registry, uses, memo_len);
            } else {
                share(child, registry, ancestor_uses, memo_len);
                let inner = std::mem::replace(child.as_mut(), Node::And(Vec::new()));
                *n = inner;
            }
        }
    }
}

static NEXT_REGISTRY: AtomicU64 = AtomicU64::new(1);

/// Assigns cache slots to extractions; filters compiled with the same registry share their
/// cached values within one event (one registry per ruleset and source).
#[derive(Debug)]
pub struct SlotRegistry {
    id: u64,
    by_key: HashMap<String, u32>,
    /// Subexpression shapes (see `Shaped`) by their canonical key.
    shapes: HashMap<String, u32>,
    /// Per shape: how many times compiled filters contain it.
    shape_uses: Vec<u32>,
}

impl Default for SlotRegistry {
    fn default() -> Self {
        Self::new()
    }
}

impl SlotRegistry {
    pub fn new() -> Self {
        SlotRegistry {
            id: NEXT_REGISTRY.fetch_add(1, Ordering::Relaxed),
            by_key: HashMap::new(),
            shapes: HashMap::new(),
            shape_uses: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    pub fn id(&self) -> u64 {
        self.id
    }

    fn slot(&mut self, key: &str) -> u32 {
        let next = self.by_key.len() as u32;
        *self.by_key.entry(key.to_string()).or_insert(next)
    }

    /// The id of the subexpression shape `key`, counting one more use of it.
    fn shape(&mut self, key: String) -> u32 {
        let next = self.shapes.len() as u32;
        let id = *self.shapes.entry(key).or_insert(next);
        if id == next {
            self.shape_uses.push(0);
        }
        self.shape_uses[id as usize] += 1;
        id
    }
}

/// Compiles `expr` against `catalog` with its own slot registry (subexpressions repeated
/// within `expr` are evaluated once per event).
pub fn compile(expr: &Expr, catalog: &dyn FieldCatalog) -> CResult<CompiledFilter> {
    let mut registry = SlotRegistry::new();
    let mut filter = compile_with(expr, catalog, &mut registry)?;
    filter.share_subexpressions(&registry);
    Ok(filter)
}

/// Compiles `expr`, assigning cache slots from `registry`. Every compound node and check is
/// marked shared until `CompiledFilter::share_subexpressions` keeps only the repeated ones;
/// evaluating before that call is correct, only slower.
pub fn compile_with(expr: &Expr, catalog: &dyn FieldCatalog, registry: &mut SlotRegistry) -> CResult<CompiledFilter> {
    let mut c = Compiler {
        catalog,
        registry,
        slots: Vec::new(),
        local: HashMap::new(),
        warnings: Vec::new(),
        for_output: false,
    };
    let root = c.node(expr)?;
    let cache_len = c.slots.iter().map(|s| s.global as usize + 1).max().unwrap_or(0);
    let memo_len = c.registry.shapes.len();
    Ok(CompiledFilter {
        root: root.node,
        cache_len,
        memo_len,
        registry: c.registry.id,
        slots: c.slots,
        warnings: c.warnings,
    })
}

/// Compiles a field or transformer expression alone into a filter-less extraction (used by
/// output formats); returns the slots and the index of the result slot.
pub(crate) fn compile_field_expr(
    field: &FieldExpr,
    catalog: &dyn FieldCatalog,
    registry: &mut SlotRegistry,
) -> CResult<(Vec<SlotDef>, usize)> {
    let mut c = Compiler {
        catalog,
        registry,
        slots: Vec::new(),
        local: HashMap::new(),
        warnings: Vec::new(),
        for_output: true,
    };
    let idx = c.field(field)?;
    Ok((c.slots, idx))
}

struct Compiler<'a> {
    catalog: &'a dyn FieldCatalog,
    registry: &'a mut SlotRegistry,
    slots: Vec<SlotDef>,
    local: HashMap<String, usize>,
    warnings: Vec<CompileWarning>,
    /// Compiling a display field (outputs) rather than a condition.
    for_output: bool,
}

/// libsinsp's spelling of an operator inside messages (`cmpop_to_str`).
fn op_name(op: BinaryOp) -> &'static str {
    op.as_str()
}

/// libsinsp's `std::to_string(cmpop)` spelling.
fn op_upper(op: BinaryOp) -> &'static str {
    match op {
        BinaryOp::Eq => "EQ",
        BinaryOp::Ne => "NE",
        BinaryOp::Lt => "LT",
        BinaryOp::Le => "LE",
        BinaryOp::Gt => "GT",
        BinaryOp::Ge => "GE",
        BinaryOp::Contains => "CONTAINS",
        BinaryOp::IContains => "ICONTAINS",
        BinaryOp::BContains => "BCONTAINS",
        BinaryOp::StartsWith => "STARTSWITH",
        BinaryOp::BStartsWith => "BSTARTSWITH",
        BinaryOp::EndsWith => "ENDSWITH",
        BinaryOp::In => "IN",
        BinaryOp::Intersects => "INTERSECTS",
        BinaryOp::PMatch => "PMATCH",
        BinaryOp::Glob => "GLOB",
        BinaryOp::IGlob => "IGLOB",
        BinaryOp::Regex => "REGEX",
    }
}

/// The operator × type matrix (libsinsp `flt_is_comparable`); the error text is libsinsp's.
pub(crate) fn check_comparable(
    op: BinaryOp,
    modifier: Option<OpModifier>,
    ty: FieldType,
    is_list: bool,
) -> Result<(), String> {
    use BinaryOp::*;
    let name = op_name(op);
    if is_list {
        return match ty {
            FieldType::CharBuf
            | FieldType::UInt64
            | FieldType::RelTime
            | FieldType::AbsTime
            | FieldType::Bool
            | FieldType::IpAddr
            | FieldType::IpNet => {
                // String-matching operators on string lists hold when any element matches:
                // rules written for Falco 0.35's k8saudit (`ka.req.role.rules.resources
                // contains "pods/exec"`) keep loading; current libsinsp rejects them.
                let element_match = ty == FieldType::CharBuf
                    && matches!(op, Contains | IContains | StartsWith | EndsWith | Glob | IGlob | Regex);
                if matches!(op, In | Intersects) || element_match {
                    Ok(())
                } else {
                    Err(format!("'{name}' operator not supported list filters"))
                }
            }
            _ => Err(format!(
                "list filters are not supported for type '{}'",
                ty.libsinsp_name()
            )),
        };
    }
    let ok = match ty.class() {
        TypeClass::Signed | TypeClass::Unsigned | TypeClass::Double => {
            matches!(op, Eq | Ne | Lt | Le | Gt | Ge | In | Intersects)
        }
        TypeClass::Bool => matches!(op, Eq | Ne | In | Intersects),
        TypeClass::String => !matches!(op, BContains | BStartsWith),
        TypeClass::Buffer => matches!(
            op,
            Eq | Ne | Contains | In | StartsWith | EndsWith | Intersects | BContains | BStartsWith
        ),
        TypeClass::Ip | TypeClass::Net => {
            let ok = matches!(op, Eq | Ne | In | Intersects);
            if !ok && modifier.is_some() {
                return Err(format!(
                    "'{name}' with modifier not supported for ip address and network filters"
                ));
            }
            ok
        }
        // Event-dependent types (evt.rawarg.*): numbers or strings, decided per event.
        TypeClass::Other if ty == FieldType::Dyn => !matches!(op, BContains | BStartsWith | PMatch | Regex),
        TypeClass::Other => {
            return Err(format!(
                "'{name}' operator not supported for type '{}'",
                ty.libsinsp_name()
            ))
        }
    };
    if ok {
        return Ok(());
    }
    Err(match ty.class() {
        TypeClass::Signed | TypeClass::Unsigned | TypeClass::Double | TypeClass::Bool => {
            format!("'{name}' operator not supported for numeric filters")
        }
        TypeClass::String => format!("'{name}' operator not supported for string filters"),
        TypeClass::Buffer => format!("'{name}' operator not supported for buffer filters"),
        TypeClass::Ip | TypeClass::Net => {
            format!("'{name}' operator not supported for ip address and network filters")
        }
        TypeClass::Other => format!("'{name}' operator not supported for type '{}'", ty.libsinsp_name()),
    })
}

/// Sign-extends or masks `v` to the type's integer width (libsinsp's casts).
pub(crate) fn norm_unsigned(v: u64, bits: u32) -> u64 {
    if bits >= 64 {
        v
    } else {
        v & ((1u64 << bits) - 1)
    }
}

pub(crate) fn norm_signed(v: i64, bits: u32) -> i64 {
    if bits >= 64 {
        v
    } else {
        (v << (64 - bits)) >> (64 - bits)
    }
}

/// Parses an integer the way libsinsp's numeric parser accepts it (optional sign, decimal),
/// plus `0x` hexadecimal.
fn parse_int(text: &str) -> Option<i128> {
    let t = text.trim_start();
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let magnitude = if let Some(hex) = digits.strip_prefix("0x").or_else(|| digits.strip_prefix("0X")) {
        i128::from_str_radix(hex, 16).ok()?
    } else {
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse::<i128>().ok()?
    };
    Some(if neg { -magnitude } else { magnitude })
}

/// Decodes an even-length hex string (`bcontains`/`bstartswith` values).
fn unhex(text: &[u8]) -> Option<Vec<u8>> {
    if text.is_empty() || text.len() % 2 != 0 {
        return None;
    }
    text.chunks(2)
        .map(|p| {
            let h = (p[0] as char).to_digit(16)?;
            let l = (p[1] as char).to_digit(16)?;
            Some((h * 16 + l) as u8)
        })
        .collect()
}

fn has_glob_chars(s: &[u8]) -> bool {
    s.iter().any(|c| matches!(c, b'*' | b'?' | b'['))
}

/// Splits a path into its non-empty '/'-separated components.
pub(crate) fn split_path(path: &[u8]) -> impl Iterator<Item = &[u8]> {
    path.split(|&c| c == b'/').filter(|c| !c.is_empty())
}

/// The key of a normalized constant in a hash set (also computed for extracted values).
pub(crate) fn const_key(c: &Const, out: &mut Vec<u8>) {
    out.clear();
    match c {
        Const::Unsigned(v) => out.extend_from_slice(&v.to_le_bytes()),
        Const::Signed(v) => out.extend_from_slice(&v.to_le_bytes()),
        Const::Double(v) => out.extend_from_slice(&v.to_bits().to_le_bytes()),
        Const::Bool(b) => out.push(u8::from(*b)),
        Const::Bytes(b) => out.extend_from_slice(b),
        Const::Ip(IpAddr::V4(a)) => out.extend_from_slice(&a.octets()),
        Const::Ip(IpAddr::V6(a)) => out.extend_from_slice(&a.octets()),
        Const::Net(..) => {}
    }
}

impl Compiler<'_> {
    /// Compiles `e` into a node marked shared under its shape (see `compile_with`).
    fn node(&mut self, e: &Expr) -> CResult<Shaped> {
        let (node, key) = match e {
            Expr::And(children, _) | Expr::Or(children, _) => {
                let mut shaped = children.iter().map(|c| self.node(c)).collect::<CResult<Vec<_>>>()?;
                // Conditions have no side effects, so the order of operands changes only the
                // cost: cheap operands first, and in a conjunction the positive ones before
                // the negated exclusions (which usually hold, so they rarely end it early).
                let conjunction = matches!(e, Expr::And(..));
                shaped.sort_by_key(|s| (conjunction && is_negation(&s.node), cost(&s.node)));
                let shapes: Vec<String> = shaped.iter().map(|s| s.shape.to_string()).collect();
                let nodes: Vec<Node> = shaped.into_iter().map(|s| s.node).collect();
                if matches!(e, Expr::And(..)) {
                    (Node::And(nodes), format!("and({})", shapes.join(",")))
                } else {
                    (Node::Or(nodes), format!("or({})", shapes.join(",")))
                }
            }
            Expr::Not(child, _) => {
                let shaped = self.node(child)?;
                (Node::Not(Box::new(shaped.node)), format!("not({})", shaped.shape))
            }
            Expr::Identifier(name, pos) => {
                return err(
                    *pos,
                    format!(
                        "undefined macro '{name}' used in filter: define it with a 'macro' \
                         item before use, or fix the name"
                    ),
                )
            }
            Expr::Unary(u) => {
                let lhs = self.field(&u.field)?;
                let slot = &self.slots[lhs];
                let key = format!("exists({})", slot.global);
                let mut check = Check {
                    lhs,
                    ty: slot.ty,
                    is_list: slot.is_list,
                    any_value: false,
                    op: CheckOp::Exists,
                    modifier: None,
                    rhs: Rhs::None,
                    global: slot.global,
                    matcher: Matcher::General,
                };
                check.matcher = Matcher::of(&check);
                (Node::Check(Box::new(check)), key)
            }
            Expr::Binary(b) => {
                let check = self.binary(b)?;
                let rhs = match (&check.rhs, &b.value) {
                    (Rhs::Field(r), _) => format!("val({})", self.slots[*r].global),
                    (_, ValueExpr::Value(v, _)) => format!("{v:?}"),
                    (_, ValueExpr::List(items, _)) => {
                        let values: Vec<String> = items.iter().map(|i| format!("{:?}", i.value)).collect();
                        format!("({})", values.join(","))
                    }
                    // Not produced by `binary`; a key with the position shares nothing.
                    (_, other) => format!("{other:?}"),
                };
                let key = format!(
                    "{} {} {:?} {rhs}",
                    self.slots[check.lhs].global,
                    b.op.as_str(),
                    b.modifier
                );
                (Node::Check(Box::new(check)), key)
            }
        };
        let shape = self.registry.shape(key);
        Ok(Shaped {
            node: Node::Shared(shape, Box::new(node)),
            shape,
        })
    }

    /// Registers a slot (deduplicated by `key`) and returns its local index.
    fn add_slot(&mut self, key: String, extract: Extract, ty: FieldType, is_list: bool) -> usize {
        if let Some(&i) = self.local.get(&key) {
            return i;
        }
        let global = self.registry.slot(&key);
        self.slots.push(SlotDef {
            extract,
            ty,
            is_list,
            global,
            name: key.clone(),
        });
        let i = self.slots.len() - 1;
        self.local.insert(key, i);
        i
    }

    fn field(&mut self, f: &FieldExpr) -> CResult<usize> {
        match f {
            FieldExpr::Field { name, arg, pos } => {
                let resolved = self.catalog.resolve(name, arg.as_deref()).map_err(|e| CompileError {
                    message: e.to_string(),
                    pos: *pos,
                })?;
                let info = resolved.info;
                if info.print_only && !self.for_output {
                    return err(
                        *pos,
                        format!("field '{}' can be used in outputs only, not in conditions", info.name),
                    );
                }
                if info.filter_only && self.for_output {
                    return err(
                        *pos,
                        format!("{name} is filter only and cannot be used as a display field"),
                    );
                }
                let key = match &resolved.arg {
                    FieldArg::None => format!("#{}", resolved.id.0),
                    FieldArg::Index(i) => format!("#{}[{i}]", resolved.id.0),
                    FieldArg::Key(k) => format!("#{}[{k:?}]", resolved.id.0),
                };
                let display = match arg {
                    Some(a) => format!("{name}[{a}]"),
                    None => name.clone(),
                };
                let idx = self.add_slot(
                    key,
                    Extract::Field {
                        id: resolved.id,
                        arg: resolved.arg,
                    },
                    info.ty,
                    info.is_list,
                );
                self.slots[idx].name = display;
                Ok(idx)
            }
            FieldExpr::Literal(text, _) => {
                let mut v = Values::new();
                v.push_bytes(&value_string_to_bytes(text));
                Ok(self.add_slot(format!("lit:{text:?}"), Extract::Const(v), FieldType::CharBuf, false))
            }
            FieldExpr::List(items, _) => {
                let idx: Vec<usize> = items.iter().map(|i| self.field(i)).collect::<CResult<_>>()?;
                let key = format!(
                    "list({})",
                    idx.iter()
                        .map(|&i| self.slots[i].global.to_string())
                        .collect::<Vec<_>>()
                        .join(",")
                );
                Ok(self.add_slot(key, Extract::List(idx), FieldType::CharBuf, true))
            }
            FieldExpr::Transform { name, args, arg, pos } => self.transformer(*name, args, arg.as_deref(), *pos),
        }
    }

    fn no_transformer_check(&self, input: usize, pos: Pos) -> CResult<()> {
        if let Extract::Field { id, .. } = &self.slots[input].extract {
            if let Some(info) = self.catalog.info(*id) {
                if info.no_transformer {
                    return err(pos, format!("field '{}' does not support transformers", info.name));
                }
            }
        }
        Ok(())
    }

    fn transformer(&mut self, t: TransformerName, args: &[FieldExpr], arg: Option<&str>, pos: Pos) -> CResult<usize> {
        let tname = t.as_str();
        let inputs: Vec<usize> = args.iter().map(|a| self.field(a)).collect::<CResult<_>>()?;
        let g = |c: &Self, i: usize| c.slots[i].global;
        match t {
            TransformerName::ToLower
            | TransformerName::ToUpper
            | TransformerName::B64
            | TransformerName::Basename
            | TransformerName::Len => {
                if inputs.len() != 1 {
                    return err(
                        pos,
                        format!("filter error: transformer '{tname}' takes exactly one argument"),
                    );
                }
                if arg.is_some() {
                    return err(
                        pos,
                        format!("filter error: transformer '{tname}' does not support field arguments"),
                    );
                }
                let input = inputs[0];
                self.no_transformer_check(input, pos)?;
                let (ty, is_list) = (self.slots[input].ty, self.slots[input].is_list);
                let Some((out_ty, out_list)) = transform::output_type(t, ty, is_list) else {
                    return err(
                        pos,
                        format!(
                            "field type '{}' is not supported by '{tname}' transformer",
                            ty.libsinsp_name()
                        ),
                    );
                };
                let key = format!("{tname}({})", g(self, input));
                let idx = self.add_slot(
                    key,
                    Extract::Unary {
                        t,
                        input,
                        input_is_list: is_list,
                    },
                    out_ty,
                    out_list,
                );
                self.slots[idx].name = format!("{tname}({})", self.slots[input].name);
                Ok(idx)
            }
            TransformerName::Join => {
                if arg.is_some() {
                    return err(pos, "filter error: transformer 'join' does not support field arguments");
                }
                if inputs.len() != 2 {
                    return err(pos, "join() requires exactly 2 arguments: separator and list");
                }
                if self.slots[inputs[0]].is_list {
                    return err(
                        pos,
                        "join() first argument (separator) must be a single value, not a list",
                    );
                }
                if !self.slots[inputs[1]].is_list {
                    return err(pos, "join() second argument must be a list");
                }
                let key = format!("join({},{})", g(self, inputs[0]), g(self, inputs[1]));
                Ok(self.add_slot(
                    key,
                    Extract::Join {
                        sep: inputs[0],
                        list: inputs[1],
                    },
                    FieldType::CharBuf,
                    false,
                ))
            }
            TransformerName::Concat => {
                if arg.is_some() {
                    return err(
                        pos,
                        "filter error: transformer 'concat' does not support field arguments",
                    );
                }
                if inputs.len() < 2 {
                    return err(pos, "concat() requires at least 2 arguments");
                }
                if inputs
                    .iter()
                    .any(|&i| self.slots[i].ty != FieldType::CharBuf || self.slots[i].is_list)
                {
                    return err(pos, "concat() arguments must be strings");
                }
                let key = format!(
                    "concat({})",
                    inputs
                        .iter()
                        .map(|&i| g(self, i).to_string())
                        .collect::<Vec<_>>()
                        .join(",")
                );
                Ok(self.add_slot(key, Extract::Concat(inputs), FieldType::CharBuf, false))
            }
            TransformerName::GetOpt => {
                if inputs.len() != 2 {
                    return err(pos, "getopt() requires exactly 2 arguments: args list and optstring");
                }
                if !self.slots[inputs[0]].is_list {
                    return err(pos, "getopt() first argument must be a list");
                }
                if self.slots[inputs[1]].is_list {
                    return err(pos, "getopt() second argument (optstring) must be a single value");
                }
                if self.slots[inputs[0]].ty != FieldType::CharBuf || self.slots[inputs[1]].ty != FieldType::CharBuf {
                    return err(pos, "getopt() arguments must be strings");
                }
                let Extract::Const(optstring) = &self.slots[inputs[1]].extract else {
                    return err(pos, "getopt() optstring must be a quoted constant string in Saker");
                };
                let opts = match optstring.get(0) {
                    Some(super::value::ValueRef::Bytes(b)) => OptString::parse(b),
                    _ => OptString::parse(b""),
                };
                let selector = match arg {
                    None => None,
                    Some(a) if a.len() == 1 => Some(a.as_bytes()[0]),
                    Some(_) => return err(pos, "getopt() field argument must be a single option character"),
                };
                let key = format!("getopt({},{})[{:?}]", g(self, inputs[0]), g(self, inputs[1]), arg);
                Ok(self.add_slot(
                    key,
                    Extract::GetOpt {
                        args: inputs[0],
                        opts: Box::new(opts),
                        selector,
                    },
                    FieldType::CharBuf,
                    selector.is_none(),
                ))
            }
        }
    }

    fn binary(&mut self, b: &super::ast::BinaryCheck) -> CResult<Check> {
        let lhs = self.field(&b.field)?;
        let (ty, is_list) = (self.slots[lhs].ty, self.slots[lhs].is_list);
        check_comparable(b.op, b.modifier, ty, is_list).map_err(|m| CompileError {
            message: format!("filter error: {m}"),
            pos: b.pos,
        })?;
        let rhs = match &b.value {
            ValueExpr::FieldRef(f, pos) => self.rhs_field(lhs, b.op, f, *pos)?,
            ValueExpr::Value(v, pos) => self.rhs_values(b, ty, &[(v.as_str(), *pos)])?,
            ValueExpr::List(items, pos) => {
                if !b.op.takes_list() && b.modifier.is_none() {
                    return err(
                        *pos,
                        format!("filter error: operator '{}' does not take a list of values", b.op),
                    );
                }
                let values: Vec<(&str, Pos)> = items.iter().map(|i| (i.value.as_str(), i.pos)).collect();
                self.rhs_values(b, ty, &values)?
            }
        };
        let any_value = match &self.slots[lhs].extract {
            Extract::Field { id, .. } => self.catalog.info(*id).is_some_and(|i| i.any_value),
            _ => false,
        };
        let mut check = Check {
            lhs,
            ty,
            is_list,
            any_value,
            op: CheckOp::Binary(b.op),
            modifier: b.modifier,
            rhs,
            global: self.slots[lhs].global,
            matcher: Matcher::General,
        };
        check.matcher = Matcher::of(&check);
        Ok(check)
    }

    fn rhs_field(&mut self, lhs: usize, op: BinaryOp, f: &FieldExpr, pos: Pos) -> CResult<Rhs> {
        let lhs_name = self.slots[lhs].name.clone();
        if let Extract::Field { id, .. } = &self.slots[lhs].extract {
            if self.catalog.info(*id).is_some_and(|i| i.no_rhs) {
                return err(
                    pos,
                    format!("field '{lhs_name}' doesn't support right-hand side fields"),
                );
            }
        }
        let rhs = self.field(f)?;
        let rhs_name = self.slots[rhs].name.clone();
        if let Extract::Field { id, .. } = &self.slots[rhs].extract {
            if self.catalog.info(*id).is_some_and(|i| i.no_rhs) {
                return err(
                    pos,
                    format!("field '{rhs_name}' can't be used as a right-hand side field"),
                );
            }
        }
        if matches!(op, BinaryOp::PMatch | BinaryOp::Regex) {
            return err(
                pos,
                format!("operator '{}' doesn't support right-hand side fields", op_upper(op)),
            );
        }
        let (lt, ll) = (self.slots[lhs].ty, self.slots[lhs].is_list);
        let (rt, rl) = (self.slots[rhs].ty, self.slots[rhs].is_list);
        if lt.class() == TypeClass::Net {
            return err(pos, "field type 'IPNET' doesn't support right-hand side fields");
        }
        if lt != rt || ll != rl {
            let list = |l: bool| if l { " (list)" } else { "" };
            return err(
                pos,
                format!(
                    "field '{lhs_name}' has type '{}{}' while the right-hand side field \
                     '{rhs_name}' has incompatible type '{}{}'",
                    lt.libsinsp_name(),
                    list(ll),
                    rt.libsinsp_name(),
                    list(rl)
                ),
            );
        }
        Ok(Rhs::Field(rhs))
    }

    fn rhs_values(&mut self, b: &super::ast::BinaryCheck, ty: FieldType, values: &[(&str, Pos)]) -> CResult<Rhs> {
        let op = b.op;
        for (v, pos) in values {
            self.add_warnings(op, v, *pos);
        }
        match op {
            BinaryOp::Regex => {
                let mut res = Vec::with_capacity(values.len());
                for (v, pos) in values {
                    let bytes = value_string_to_bytes(v);
                    let pattern = String::from_utf8_lossy(&bytes);
                    let re = regex::Regex::new(&format!("^(?:{pattern})$")).map_err(|e| CompileError {
                        message: format!("invalid regex pattern: {e}"),
                        pos: *pos,
                    })?;
                    res.push(re);
                }
                return Ok(Rhs::Regexes(res));
            }
            BinaryOp::PMatch => {
                let mut paths = Vec::with_capacity(values.len());
                for (v, pos) in values {
                    let bytes = value_string_to_bytes(v);
                    check_no_nul(&bytes, *pos)?;
                    paths.push(PathPattern {
                        components: split_path(&bytes).map(|c| (c.to_vec(), has_glob_chars(c))).collect(),
                    });
                }
                return Ok(Rhs::Paths(paths));
            }
            _ => {}
        }
        let mut consts = Vec::with_capacity(values.len());
        for (v, pos) in values {
            consts.push(self.parse_const(op, ty, v, *pos)?);
        }
        let hashed = matches!(op, BinaryOp::In | BinaryOp::Intersects)
            || (op == BinaryOp::Eq && b.modifier == Some(OpModifier::AnyOf))
            || (op == BinaryOp::Ne && b.modifier == Some(OpModifier::AllOf));
        if hashed && ty.class() != TypeClass::Net && ty != FieldType::Dyn {
            let mut set = ConstSet::with_capacity_and_hasher(consts.len(), Default::default());
            let mut key = Vec::new();
            for c in &consts {
                const_key(c, &mut key);
                set.insert(key.clone());
            }
            return Ok(Rhs::Set(set));
        }
        Ok(Rhs::Consts(consts))
    }

    fn parse_const(&self, op: BinaryOp, ty: FieldType, v: &str, pos: Pos) -> CResult<Const> {
        let bytes = value_string_to_bytes(v);
        if matches!(op, BinaryOp::BContains | BinaryOp::BStartsWith) {
            return match unhex(&bytes) {
                Some(b) => Ok(Const::Bytes(b)),
                None => err(
                    pos,
                    "filter error: bcontains and bstartswith operator support hex strings only",
                ),
            };
        }
        if ty.class() == TypeClass::Buffer {
            return Ok(Const::Bytes(bytes.into_owned()));
        }
        check_no_nul(&bytes, pos)?;
        let not_number = || CompileError {
            message: format!("{v} is not a valid number"),
            pos,
        };
        let bits = ty.int_bits();
        Ok(match ty.class() {
            TypeClass::Signed => {
                let n = parse_int(v).ok_or_else(not_number)?;
                Const::Signed(norm_signed(n as i64, bits))
            }
            TypeClass::Unsigned if ty == FieldType::Port => {
                if !v.is_empty() && !v.bytes().all(|c| c.is_ascii_digit()) {
                    // A service name, resolved like getservbyname(3) does.
                    return match service_port(v) {
                        Some(port) => Ok(Const::Unsigned(u64::from(port))),
                        None => err(pos, format!("unrecognized protocol {v}")),
                    };
                }
                Const::Unsigned(norm_unsigned(v.parse::<u64>().unwrap_or(0), bits))
            }
            TypeClass::Unsigned => {
                let n = parse_int(v).ok_or_else(not_number)?;
                Const::Unsigned(norm_unsigned(n as u64, bits))
            }
            // libsinsp parses double constants as 32-bit integers.
            TypeClass::Double => {
                let n = parse_int(v).ok_or_else(not_number)?;
                Const::Double(n as i32 as f64)
            }
            TypeClass::Bool => match v {
                "true" => Const::Bool(true),
                "false" => Const::Bool(false),
                _ => return err(pos, format!("filter error: unrecognized boolean value {v}")),
            },
            TypeClass::String => Const::Bytes(bytes.into_owned()),
            TypeClass::Buffer => Const::Bytes(bytes.into_owned()),
            TypeClass::Ip => match parse_ip(v) {
                Some(ip) => Const::Ip(ip),
                None if v.contains('.') => return err(pos, format!("unrecognized IPv4 address {v}")),
                None => return err(pos, format!("unrecognized IPv6 address {v}")),
            },
            TypeClass::Net => match parse_net(v) {
                Some((ip, p)) => Const::Net(ip, p),
                None => return err(pos, format!("unrecognized IP network {v}")),
            },
            TypeClass::Other => match parse_int(v) {
                Some(n) => Const::Signed(n as i64),
                None => Const::Bytes(bytes.into_owned()),
            },
        })
    }

    /// libsinsp's compiler warnings for constant values.
    fn add_warnings(&mut self, op: BinaryOp, v: &str, pos: Pos) {
        let nospaces: String = v.chars().filter(|c| !c.is_whitespace()).collect();
        if op == BinaryOp::Regex && regex_is_trivial(v.as_bytes()) {
            self.warnings.push(CompileWarning {
                message: format!(
                    "regex check with '{v}' may be optimized with simpler operators such as \
                     '=', 'contains', 'startswith', 'endswith'"
                ),
                pos,
            });
        }
        let (name, arg) = match nospaces.find('[') {
            Some(i) if nospaces.ends_with(']') => (&nospaces[..i], Some(&nospaces[i + 1..nospaces.len() - 1])),
            _ => (nospaces.as_str(), None),
        };
        if name.contains('.') && self.catalog.resolve(name, arg).is_ok() {
            self.warnings.push(CompileWarning {
                message: format!("'{v}' may be a valid field misused as a const string value"),
                pos,
            });
        }
        for t in [
            "val", "tolower", "toupper", "b64", "basename", "len", "join", "concat", "getopt",
        ] {
            if nospaces.len() >= t.len() + 2
                && nospaces.starts_with(t)
                && nospaces.as_bytes()[t.len()] == b'('
                && nospaces.ends_with(')')
            {
                self.warnings.push(CompileWarning {
                    message: format!("'{v}' may be a valid field transformer misused as a const string value"),
                    pos,
                });
            }
        }
    }
}

/// The system's services database, consulted for port names (`fd.sport = ssh`).
const SERVICES_FILE: &str = "/etc/services";

/// The port of a service name or alias in `/etc/services` (`ssh  22/tcp`).
fn service_port(name: &str) -> Option<u16> {
    let text = std::fs::read_to_string(SERVICES_FILE).ok()?;
    text.lines().find_map(|line| {
        let line = line.split('#').next().unwrap_or("");
        let mut words = line.split_whitespace();
        let service = words.next()?;
        let port = words.next()?.split('/').next()?.parse::<u16>().ok()?;
        (service == name || words.any(|alias| alias == name)).then_some(port)
    })
}

fn check_no_nul(bytes: &[u8], pos: Pos) -> CResult<()> {
    if bytes.contains(&0) {
        return err(pos, "filter error: filter value cannot contain a NUL byte (\\x00)");
    }
    Ok(())
}

/// Whether a regex uses no special character besides anchors and leading/trailing `.*`-like
/// wildcards, so that a simpler operator would do (libsinsp heuristic).
fn regex_is_trivial(v: &[u8]) -> bool {
    const SPECIAL: &[u8] = b".+*?^$()[]{}|\\";
    const OCCURRENCE: &[u8] = b"+*?";
    let len = v.len();
    let mut i = 0;
    while i < len {
        if (i == 0 && v[i] == b'^') || (i + 1 == len && v[i] == b'$') {
            i += 1;
            continue;
        }
        if ((i == 0 && len > 1) || (len >= 2 && i == len - 2))
            && v[i] == b'.'
            && i + 1 < len
            && OCCURRENCE.contains(&v[i + 1])
        {
            i += 2;
            continue;
        }
        if SPECIAL.contains(&v[i]) {
            return false;
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_filter_never_rejects_an_inserted_key() {
        let keys: Vec<Vec<u8>> = ["", "sh", "bash", "python3", "/usr/bin/python3", "\u{0}\u{ff}"]
            .iter()
            .map(|k| k.as_bytes().to_vec())
            .chain((0u64..300).map(|n| n.to_le_bytes().to_vec()))
            .collect();
        let mut filter = KeyFilter::default();
        assert!(
            keys.iter().all(|k| !filter.may_contain(k)),
            "an empty filter holds nothing"
        );
        for k in &keys {
            filter.insert(k);
        }
        assert!(keys.iter().all(|k| filter.may_contain(k)));
        let mut one = KeyFilter::default();
        one.insert(b"bash");
        assert!(!one.may_contain(b"python3"), "other length and end bytes: another bit");
    }

    #[test]
    fn comparability_matrix_messages() {
        assert_eq!(
            check_comparable(BinaryOp::Contains, None, FieldType::UInt64, false).unwrap_err(),
            "'contains' operator not supported for numeric filters"
        );
        assert!(check_comparable(BinaryOp::Intersects, None, FieldType::UInt64, false).is_ok());
        assert!(check_comparable(BinaryOp::Lt, None, FieldType::Bool, false).is_err());
        assert!(check_comparable(BinaryOp::Lt, None, FieldType::CharBuf, false).is_ok());
        assert!(check_comparable(BinaryOp::BContains, None, FieldType::CharBuf, false).is_err());
        assert!(check_comparable(BinaryOp::Eq, Some(OpModifier::AnyOf), FieldType::IpAddr, false).is_ok());
        assert_eq!(
            check_comparable(BinaryOp::Contains, Some(OpModifier::AnyOf), FieldType::IpNet, false).unwrap_err(),
            "'contains' with modifier not supported for ip address and network filters"
        );
        assert!(check_comparable(BinaryOp::Eq, None, FieldType::CharBuf, true).is_err());
        assert!(check_comparable(BinaryOp::In, None, FieldType::CharBuf, true).is_ok());
    }

    #[test]
    fn numbers_and_hex() {
        assert_eq!(parse_int("42"), Some(42));
        assert_eq!(parse_int("-1"), Some(-1));
        assert_eq!(parse_int("0x1F"), Some(31));
        assert_eq!(parse_int("1.0"), None);
        assert_eq!(norm_signed(0xFFFF, 16), -1);
        assert_eq!(norm_unsigned(u64::MAX, 16), 0xFFFF);
        assert_eq!(unhex(b"48545450"), Some(b"HTTP".to_vec()));
        assert_eq!(unhex(b"123"), None);
        assert_eq!(unhex(b"2g"), None);
    }

    #[test]
    fn regex_heuristic() {
        assert!(regex_is_trivial(b"syscall"));
        assert!(regex_is_trivial(b"^syscall$"));
        assert!(regex_is_trivial(b".*syscall.*"));
        assert!(!regex_is_trivial(b"syscall\\.*"));
        assert!(!regex_is_trivial(b"s.*l"));
    }
}
