//! Rule outputs: format strings compiled once (`format`), alerts rendered as text or JSON
//! (`alert`).

pub mod alert;
pub mod format;
