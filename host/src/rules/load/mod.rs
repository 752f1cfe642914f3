//! Loading rules files: reading items (`reader`), composing files (`append`/`override`),
//! expanding conditions (`expanded`) and compiling the result into a
//! [`crate::rules::ruleset::RuleSet`].
//!
//! Several files compose: a later file sees, appends to and overrides the items of earlier
//! ones. Messages found when the whole set is compiled are attributed to the file that defined
//! the item concerned.

pub mod expanded;
pub mod items;
pub mod reader;
pub mod version;

use std::path::Path;

use crate::rules::load::expanded::{expand_all, ExpandedRule};
use crate::rules::load::items::Collection;
use crate::rules::load::reader::{ReadEnv, Reader};
use crate::rules::load::version::EngineVersion;
use crate::rules::output::program::AppendOutput;
use crate::rules::results::{
    Code, Context, ErrorCode, FileLoadResult, ItemType, LoadMessage, LoadResults, SourcePosition,
};

/// Largest rules file read (a guard against pointing `-r` at the wrong file).
pub const MAX_RULES_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Loads rules files in order, then compiles them all.
pub struct RulesLoader {
    engine_version: EngineVersion,
    plugins: Vec<(String, String)>,
    pub(crate) collection: Collection,
    pub(crate) results: Vec<FileLoadResult>,
    pub(crate) append_output: Vec<AppendOutput>,
}

impl RulesLoader {
    /// `plugin_versions`: (name, version) of every loaded plugin, for
    /// `required_plugin_versions`.
    pub fn new(engine_version: EngineVersion, plugin_versions: &[(String, String)]) -> RulesLoader {
        RulesLoader {
            engine_version,
            plugins: plugin_versions.to_vec(),
            collection: Collection::default(),
            results: Vec::new(),
            append_output: Vec::new(),
        }
    }

    /// `append_output` of `falco.yaml`: applied to the outputs of matching rules by `finish`.
    pub fn set_append_output(&mut self, entries: Vec<AppendOutput>) {
        self.append_output = entries;
    }

    /// Loads a file, or every file of a directory in name order (one result each). Returns the
    /// results added.
    pub fn load_file(&mut self, path: &Path) -> &[FileLoadResult] {
        let first = self.results.len();
        let shown = path.display().to_string();
        if path.is_dir() {
            match std::fs::read_dir(path) {
                Ok(entries) => {
                    let mut files: Vec<_> = entries
                        .filter_map(Result::ok)
                        .map(|e| e.path())
                        .filter(|p| p.is_file())
                        .collect();
                    files.sort();
                    for f in files {
                        self.load_one(&f);
                    }
                }
                Err(e) => self.read_failure(&shown, &format!("Could not read rules directory {shown}: {e}")),
            }
        } else {
            self.load_one(path);
        }
        &self.results[first..]
    }

    fn load_one(&mut self, path: &Path) {
        let shown = path.display().to_string();
        let too_big = std::fs::metadata(path).map(|m| m.len() > MAX_RULES_FILE_BYTES);
        if let Ok(true) = too_big {
            self.read_failure(
                &shown,
                &format!("Rules file {shown} is larger than {MAX_RULES_FILE_BYTES} bytes; is it really a rules file?"),
            );
            return;
        }
        match std::fs::read(path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => {
                    self.load_text(&shown, &text);
                }
                Err(e) => self.read_failure(&shown, &format!("Rules file {shown} is not UTF-8 text: {e}")),
            },
            Err(e) => self.read_failure(&shown, &format!("Could not read rules file {shown}: {e}")),
        }
    }

    fn read_failure(&mut self, name: &str, message: &str) {
        let mut r = FileLoadResult::new(name);
        let ctx = Context::default().child(
            ItemType::RulesContent,
            "",
            SourcePosition {
                name: name.to_string(),
                ..SourcePosition::default()
            },
        );
        r.error(ErrorCode::FileRead, message, ctx);
        self.results.push(r);
    }

    /// Loads rules from text; `name` identifies it in messages.
    pub fn load_text(&mut self, name: &str, text: &str) -> &FileLoadResult {
        let mut result = FileLoadResult::new(name);
        let env = ReadEnv {
            engine_version: &self.engine_version,
            plugins: &self.plugins,
        };
        Reader::new(name, text, &env, &mut self.collection, &mut result).read();
        self.results.push(result);
        self.results.last().expect("just pushed")
    }

    /// Expands every rule; messages go to the results of the files concerned.
    pub(crate) fn expand(&mut self) -> Vec<ExpandedRule> {
        let (rules, errors, warnings) = expand_all(&self.collection);
        for m in errors.into_iter().chain(warnings) {
            self.attribute(m);
        }
        rules
    }

    /// Adds a message to the result of the file its outermost location names (the last
    /// result of that name), or to the last result.
    pub(crate) fn attribute(&mut self, m: LoadMessage) {
        let file = m.context.locations.first().map(|l| l.position.name.clone());
        let idx = file
            .and_then(|f| self.results.iter().rposition(|r| r.name == f))
            .or(self.results.len().checked_sub(1));
        let Some(idx) = idx else {
            return;
        };
        let r = &mut self.results[idx];
        match m.code {
            Code::Error(_) => r.errors.push(m),
            Code::Warning(_) => r.warnings.push(m),
        }
    }

    /// The results so far (reading only; compile messages are added by `finish`).
    pub fn results(&self) -> LoadResults {
        LoadResults {
            files: self.results.clone(),
        }
    }
}
