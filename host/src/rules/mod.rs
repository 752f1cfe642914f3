//! Falco's rules language: loading, condition parsing, compilation, evaluation, formatting.

pub mod ast;
pub mod exceptions;
pub mod expand;
pub mod load;
pub mod results;
pub mod escape;
pub mod parse;
