//! Falco's rules language: loading, condition parsing, compilation, evaluation, formatting.

pub mod ast;
pub mod compile;
pub mod escape;
pub mod eval;
pub mod evttype;
pub mod fields;
pub mod parse;
pub mod transform;
pub mod value;
