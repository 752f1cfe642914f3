//! Loading rules files: reading items (`reader`), composing files (`append`/`override`), and
//! compiling the result into a [`crate::rules::ruleset::RuleSet`].

pub mod items;
pub mod reader;
pub mod version;
