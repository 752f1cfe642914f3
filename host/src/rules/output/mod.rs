//! Rule outputs: format strings parsed (`format`) and compiled once against a source's fields
//! (`program`), alerts rendered as text or JSON (`alert`).

pub mod alert;
pub mod format;
pub mod program;
