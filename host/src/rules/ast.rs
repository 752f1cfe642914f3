//! The abstract syntax of Falco's condition language, as produced by the parser and consumed by
//! macro/list expansion, exception building and the compiler.
//!
//! It mirrors libsinsp's `filter/ast.h` node kinds (and/or/not, identifier, unary check, binary
//! check, value, list, field, transformer) so that behaviours described in terms of that AST
//! (macro substitution, list expansion, event-type inference) carry over one to one.

use std::fmt;

/// Where a node starts in the condition text: byte offset, 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Pos {
    pub idx: u32,
    pub line: u32,
    pub col: u32,
}

/// A boolean expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// `a and b and c` (children in source order).
    And(Vec<Expr>, Pos),
    /// `a or b or c`.
    Or(Vec<Expr>, Pos),
    /// `not a`.
    Not(Box<Expr>, Pos),
    /// A bare name: a macro reference until expansion replaces it.
    Identifier(String, Pos),
    /// `field exists`.
    Unary(UnaryCheck),
    /// `field op value`.
    Binary(BinaryCheck),
}

#[derive(Debug, Clone, PartialEq)]
pub struct UnaryCheck {
    pub field: FieldExpr,
    pub op: UnaryOp,
    pub pos: Pos,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    Exists,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BinaryCheck {
    pub field: FieldExpr,
    pub op: BinaryOp,
    /// `oneof`/`anyof`/`allof` written between the operator and a list value.
    pub modifier: Option<OpModifier>,
    pub value: ValueExpr,
    pub pos: Pos,
}

/// Every binary operator of the language, spelled as in conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Eq,          // "=" and "==" (same semantics)
    Ne,          // "!="
    Lt,          // "<"
    Le,          // "<="
    Gt,          // ">"
    Ge,          // ">="
    Contains,    // "contains"
    IContains,   // "icontains"
    BContains,   // "bcontains"
    StartsWith,  // "startswith"
    BStartsWith, // "bstartswith"
    EndsWith,    // "endswith"
    In,          // "in"
    Intersects,  // "intersects"
    PMatch,      // "pmatch"
    Glob,        // "glob"
    IGlob,       // "iglob"
    Regex,       // "regex"
}

impl BinaryOp {
    /// The canonical spelling (for messages and for re-printing conditions).
    pub fn as_str(self) -> &'static str {
        match self {
            BinaryOp::Eq => "=",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Contains => "contains",
            BinaryOp::IContains => "icontains",
            BinaryOp::BContains => "bcontains",
            BinaryOp::StartsWith => "startswith",
            BinaryOp::BStartsWith => "bstartswith",
            BinaryOp::EndsWith => "endswith",
            BinaryOp::In => "in",
            BinaryOp::Intersects => "intersects",
            BinaryOp::PMatch => "pmatch",
            BinaryOp::Glob => "glob",
            BinaryOp::IGlob => "iglob",
            BinaryOp::Regex => "regex",
        }
    }

    /// Operators whose right-hand side is a list: `in`, `intersects`, `pmatch`.
    pub fn takes_list(self) -> bool {
        matches!(self, BinaryOp::In | BinaryOp::Intersects | BinaryOp::PMatch)
    }
}

impl fmt::Display for BinaryOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// String-operator modifiers (libs 2026): exactly one / at least one / all list values match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpModifier {
    OneOf,
    AnyOf,
    AllOf,
}

/// The left-hand side of a check (and the argument of `val()`): a field or a transformer
/// applied to fields.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldExpr {
    /// `name` or `name[arg]`; `arg` is the raw text between the brackets, quotes removed.
    Field {
        name: String,
        arg: Option<String>,
        pos: Pos,
    },
    /// `tolower(x)`, `basename(x)`, `join(sep, (a, b, "lit"))`, … `args` in source order;
    /// literal strings inside a transformer list are `FieldExpr::Literal`.
    Transform {
        name: TransformerName,
        args: Vec<FieldExpr>,
        /// `getopt(proc.args, "nt:")["t"]`: the argument written after the closing parenthesis.
        arg: Option<String>,
        pos: Pos,
    },
    /// A quoted string or a number allowed only as a transformer argument
    /// (`join("-", …)`, `concat(proc.name, "x")`).
    Literal(String, Pos),
    /// A parenthesized transformer argument list: the `(fd.name, "lit")` of
    /// `join("-", (fd.name, "lit"))`.
    List(Vec<FieldExpr>, Pos),
}

impl FieldExpr {
    /// Position of the node's first token.
    pub fn pos(&self) -> Pos {
        match self {
            FieldExpr::Field { pos, .. } | FieldExpr::Transform { pos, .. } => *pos,
            FieldExpr::Literal(_, pos) | FieldExpr::List(_, pos) => *pos,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransformerName {
    ToLower,
    ToUpper,
    B64,
    Basename,
    Len,
    Join,
    Concat,
    GetOpt,
}

impl TransformerName {
    /// The spelling in conditions.
    pub fn as_str(self) -> &'static str {
        match self {
            TransformerName::ToLower => "tolower",
            TransformerName::ToUpper => "toupper",
            TransformerName::B64 => "b64",
            TransformerName::Basename => "basename",
            TransformerName::Len => "len",
            TransformerName::Join => "join",
            TransformerName::Concat => "concat",
            TransformerName::GetOpt => "getopt",
        }
    }
}

/// The right-hand side of a binary check.
#[derive(Debug, Clone, PartialEq)]
pub enum ValueExpr {
    /// A bare or quoted string, already unescaped (bytes that are not UTF-8, from `\xHH`
    /// escapes, are carried as described in `rules::escape::bytes_to_value_string`).
    /// After `in`/`intersects`/`pmatch` or an op modifier, a bare identifier names a list.
    Value(String, Pos),
    /// `(a, b, c)`: elements are values; a bare element may name a list until expansion.
    List(Vec<ListItem>, Pos),
    /// `val(field)` (a `FieldExpr::Field`) or a transformer written on the right-hand side
    /// (`b64(field)`, a `FieldExpr::Transform`): compare with another field of the same event.
    FieldRef(FieldExpr, Pos),
}

/// One element of a list value.
#[derive(Debug, Clone, PartialEq)]
pub struct ListItem {
    pub value: String,
    /// True when the element was written with quotes (quoted elements never name a list).
    pub quoted: bool,
    pub pos: Pos,
}

impl Expr {
    /// Position of the node's first token.
    pub fn pos(&self) -> Pos {
        match self {
            Expr::And(_, p) | Expr::Or(_, p) | Expr::Not(_, p) | Expr::Identifier(_, p) => *p,
            Expr::Unary(u) => u.pos,
            Expr::Binary(b) => b.pos,
        }
    }
}
