//! A rule's `output:` compiled once against its source's fields: literal text and field
//! placeholders whose names are checked when the rules load (unknown field →
//! LOAD_ERR_COMPILE_OUTPUT with libsinsp's "invalid formatting token …").

use crate::rules::ast::FieldExpr;
use crate::rules::fields::FieldCatalog;
use crate::rules::output::format::{parse_format, FormatError, Piece};
use crate::rules::parse::parse_field_expr;

/// A compiled output format.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputProgram {
    pub format: String,
    pub pieces: Vec<Piece<FieldExpr>>,
}

/// Whether every field of `expr` is known to `catalog`.
fn resolves(expr: &FieldExpr, catalog: &dyn FieldCatalog) -> bool {
    match expr {
        FieldExpr::Field { name, arg, .. } => catalog.resolve(name, arg.as_deref()).is_ok(),
        FieldExpr::Transform { args, .. } | FieldExpr::List(args, _) => args.iter().all(|a| resolves(a, catalog)),
        FieldExpr::Literal(..) => true,
    }
}

impl OutputProgram {
    pub fn compile(format: &str, catalog: &dyn FieldCatalog) -> Result<OutputProgram, FormatError> {
        let pieces = parse_format(format, |token| {
            let expr = parse_field_expr(token).ok()?;
            resolves(&expr, catalog).then_some(expr)
        })?;
        Ok(OutputProgram {
            format: format.to_string(),
            pieces,
        })
    }

    /// The fields in order of appearance, as written (the keys of `output_fields`).
    pub fn field_names(&self) -> impl Iterator<Item = &str> {
        self.pieces.iter().filter_map(|p| match p {
            Piece::Field { text, .. } => Some(text.as_str()),
            Piece::Literal(_) => None,
        })
    }
}
