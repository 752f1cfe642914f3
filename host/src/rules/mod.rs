//! Falco's rules language: loading, condition parsing, compilation, evaluation, formatting.

pub mod ast;
pub mod escape;
pub mod parse;
