//! Falco's rules language: loading, condition parsing, compilation, evaluation, formatting.

pub mod ast;
pub mod compile;
pub mod describe;
pub mod escape;
pub mod eval;
pub mod event_types;
pub mod evttype;
pub mod evttype_check;
pub mod exceptions;
pub mod expand;
pub mod fields;
pub mod gates;
pub mod load;
pub mod output;
pub mod parse;
pub mod results;
pub mod ruleset;
pub mod select;
pub mod stats;
pub mod transform;
pub mod value;
