//! The result of loading rules files, in Falco's model: per file a list of errors and warnings,
//! each with a code, a location chain (outer item to inner item) and a snippet of the source.
//!
//! Rendered as the `-V` JSON (`falco_load_results`, Falco 0.35+ shape with the codes the
//! conformance suite expects) or as readable text.

use std::fmt;

use serde_json::Value;

/// Lines of source shown around a location in a snippet.
pub const SNIPPET_MAX_LINES: usize = 1;
/// Longest snippet line kept (long lines are cut, marked with `...`).
pub const SNIPPET_MAX_LINE_CHARS: usize = 160;

/// Error codes, with Falco's spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    FileRead,
    YamlParse,
    YamlValidate,
    CompileCondition,
    CompileOutput,
    Validate,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::FileRead => "LOAD_ERR_FILE_READ",
            ErrorCode::YamlParse => "LOAD_ERR_YAML_PARSE",
            ErrorCode::YamlValidate => "LOAD_ERR_YAML_VALIDATE",
            ErrorCode::CompileCondition => "LOAD_ERR_COMPILE_CONDITION",
            ErrorCode::CompileOutput => "LOAD_ERR_COMPILE_OUTPUT",
            ErrorCode::Validate => "LOAD_ERR_VALIDATE",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            ErrorCode::FileRead => "Error reading file",
            ErrorCode::YamlParse => "Invalid yaml",
            ErrorCode::YamlValidate => "Error validating internal structure of YAML file",
            ErrorCode::CompileCondition => "Error compiling condition",
            ErrorCode::CompileOutput => "Error compiling output",
            ErrorCode::Validate => "Error validating rule/macro/list/exception objects",
        }
    }
}

/// Warning codes, with the spelling the conformance suite expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WarningCode {
    UnknownSource,
    UnsafeNaCheck,
    NoEvttype,
    UnknownField,
    UnusedMacro,
    UnusedList,
    UnknownItem,
    DeprecatedItem,
}

impl WarningCode {
    pub fn as_str(self) -> &'static str {
        match self {
            WarningCode::UnknownSource => "LOAD_UNKNOWN_SOURCE",
            WarningCode::UnsafeNaCheck => "LOAD_UNSAFE_NA_CHECK",
            WarningCode::NoEvttype => "LOAD_NO_EVTTYPE",
            WarningCode::UnknownField => "LOAD_UNKNOWN_FIELD",
            WarningCode::UnusedMacro => "LOAD_UNUSED_MACRO",
            WarningCode::UnusedList => "LOAD_UNUSED_LIST",
            WarningCode::UnknownItem => "LOAD_UNKNOWN_ITEM",
            WarningCode::DeprecatedItem => "LOAD_DEPRECATED_ITEM",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            WarningCode::UnknownSource => "A rule has an unknown event source",
            WarningCode::UnsafeNaCheck => "Comparing a field value with <NA> is unsafe",
            WarningCode::NoEvttype => "A rule does not restrict its event types",
            WarningCode::UnknownField => "A rule refers to an unknown field",
            WarningCode::UnusedMacro => "A macro is defined but never used",
            WarningCode::UnusedList => "A list is defined but never used",
            WarningCode::UnknownItem => "An unknown top-level object is in the rules content",
            WarningCode::DeprecatedItem => "A deprecated item is used",
        }
    }
}

/// The kind of item a location points at (Falco's `item_type` strings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ItemType {
    ValueFor,
    Exceptions,
    Exception,
    ExceptionValues,
    ExceptionValue,
    RulesContent,
    RulesContentItem,
    RequiredEngineVersion,
    RequiredPluginVersions,
    RequiredPluginVersionsEntry,
    RequiredPluginVersionsAlternative,
    List,
    ListItem,
    Macro,
    MacroCondition,
    Rule,
    RuleCondition,
    ConditionExpression,
    RuleOutput,
    RuleOutputExpression,
    RulePriority,
    Overrides,
    Override,
}

impl ItemType {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemType::ValueFor => "value for",
            ItemType::Exceptions => "exceptions",
            ItemType::Exception => "exception",
            ItemType::ExceptionValues => "exception values",
            ItemType::ExceptionValue => "exception value",
            ItemType::RulesContent => "rules content",
            ItemType::RulesContentItem => "rules content item",
            ItemType::RequiredEngineVersion => "required_engine_version",
            ItemType::RequiredPluginVersions => "required plugin versions",
            ItemType::RequiredPluginVersionsEntry => "required plugin versions entry",
            ItemType::RequiredPluginVersionsAlternative => "required plugin versions alternative",
            ItemType::List => "list",
            ItemType::ListItem => "list item",
            ItemType::Macro => "macro",
            ItemType::MacroCondition => "macro condition",
            ItemType::Rule => "rule",
            ItemType::RuleCondition => "rule condition",
            ItemType::ConditionExpression => "condition expression",
            ItemType::RuleOutput => "rule output",
            ItemType::RuleOutputExpression => "rule output expression",
            ItemType::RulePriority => "rule priority",
            ItemType::Overrides => "overrides",
            ItemType::Override => "override",
        }
    }
}

/// A position in a rules file (1-based line and column, 0-based character offset).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SourcePosition {
    pub name: String,
    pub line: usize,
    pub column: usize,
    pub offset: usize,
}

/// One element of a location chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub item_type: ItemType,
    pub item_name: String,
    pub position: SourcePosition,
}

/// Where a message applies: outer item first, plus a snippet of the source at the innermost
/// location.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Context {
    pub locations: Vec<Location>,
    pub snippet: String,
}

impl Context {
    /// The chain extended by one inner location.
    pub fn child(&self, item_type: ItemType, item_name: &str, position: SourcePosition) -> Context {
        let mut locations = self.locations.clone();
        locations.push(Location {
            item_type,
            item_name: item_name.to_string(),
            position,
        });
        // Keeps the outer snippet until `with_snippet` can point at the inner location.
        Context {
            locations,
            snippet: self.snippet.clone(),
        }
    }

    /// Fills the snippet from the file text at the innermost location.
    pub fn with_snippet(self, text: &str) -> Context {
        self.with_snippet_of(&SourceLines::new(text))
    }

    /// [`Context::with_snippet`] for a file already split into lines (a reader takes many
    /// snippets of one file; rescanning it from the start for each was a third of the load).
    pub fn with_snippet_of(mut self, lines: &SourceLines<'_>) -> Context {
        if let Some(loc) = self.locations.last() {
            self.snippet = snippet_at(lines, loc.position.line);
        }
        self
    }
}

/// The lines of a rules file (as `str::lines` splits them), split once.
pub struct SourceLines<'a> {
    lines: Vec<&'a str>,
}

impl<'a> SourceLines<'a> {
    pub fn new(text: &'a str) -> SourceLines<'a> {
        SourceLines {
            lines: text.lines().collect(),
        }
    }
}

/// The source line at `line` (1-based) followed by a caret line, Falco-style.
fn snippet_at(lines: &SourceLines<'_>, line: usize) -> String {
    let mut out = String::new();
    for l in lines.lines.iter().skip(line.saturating_sub(1)).take(SNIPPET_MAX_LINES) {
        if l.chars().count() > SNIPPET_MAX_LINE_CHARS {
            out.extend(l.chars().take(SNIPPET_MAX_LINE_CHARS));
            out.push_str("...");
        } else {
            out.push_str(l);
        }
        out.push('\n');
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    Error(ErrorCode),
    Warning(WarningCode),
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Error(c) => c.as_str(),
            Code::Warning(c) => c.as_str(),
        }
    }
    pub fn description(self) -> &'static str {
        match self {
            Code::Error(c) => c.description(),
            Code::Warning(c) => c.description(),
        }
    }
}

/// One error or warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadMessage {
    pub code: Code,
    pub message: String,
    pub context: Context,
}

/// A JSON object written in a fixed key order (the README's `-V` order), whatever
/// serde_json's map ordering is.
struct OrderedObject(String);

impl OrderedObject {
    fn new() -> Self {
        OrderedObject(String::from("{"))
    }

    fn raw(mut self, key: &str, json: &str) -> Self {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        self.0.push_str(&Value::from(key).to_string());
        self.0.push(':');
        self.0.push_str(json);
        self
    }

    fn value(self, key: &str, v: Value) -> Self {
        let text = v.to_string();
        self.raw(key, &text)
    }

    fn finish(mut self) -> String {
        self.0.push('}');
        self.0
    }
}

fn json_array(items: impl Iterator<Item = String>) -> String {
    let parts: Vec<String> = items.collect();
    format!("[{}]", parts.join(","))
}

impl LoadMessage {
    fn to_json(&self) -> String {
        let locations = json_array(self.context.locations.iter().map(|l| {
            let position = OrderedObject::new()
                .value("name", Value::from(l.position.name.clone()))
                .value("line", Value::from(l.position.line))
                .value("column", Value::from(l.position.column))
                .value("offset", Value::from(l.position.offset))
                .finish();
            OrderedObject::new()
                .value("item_type", Value::from(l.item_type.as_str()))
                .value("item_name", Value::from(l.item_name.clone()))
                .raw("position", &position)
                .finish()
        }));
        let context = OrderedObject::new()
            .raw("locations", &locations)
            .value("snippet", Value::from(self.context.snippet.clone()))
            .finish();
        OrderedObject::new()
            .value("code", Value::from(self.code.as_str()))
            .value("codedesc", Value::from(self.code.description()))
            .value("message", Value::from(self.message.clone()))
            .raw("context", &context)
            .finish()
    }
}

impl fmt::Display for LoadMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, l) in self.context.locations.iter().enumerate() {
            let lead = if i == 0 { "In" } else { "    in" };
            let name = if l.item_name.is_empty() {
                String::new()
            } else {
                format!(" '{}'", l.item_name)
            };
            writeln!(
                f,
                "{lead} {}{name}: ({}:{}:{})",
                l.item_type.as_str(),
                l.position.name,
                l.position.line,
                l.position.column
            )?;
        }
        writeln!(f, "------")?;
        f.write_str(&self.context.snippet)?;
        writeln!(f, "------")?;
        write!(
            f,
            "{} ({}): {}",
            self.code.as_str(),
            self.code.description(),
            self.message
        )
    }
}

/// What loading one rules file (or text) produced.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileLoadResult {
    pub name: String,
    pub errors: Vec<LoadMessage>,
    pub warnings: Vec<LoadMessage>,
}

impl FileLoadResult {
    pub fn new(name: &str) -> FileLoadResult {
        FileLoadResult {
            name: name.to_string(),
            ..FileLoadResult::default()
        }
    }

    pub fn successful(&self) -> bool {
        self.errors.is_empty()
    }

    pub fn error(&mut self, code: ErrorCode, message: impl Into<String>, context: Context) {
        self.errors.push(LoadMessage {
            code: Code::Error(code),
            message: message.into(),
            context,
        });
    }

    pub fn warning(&mut self, code: WarningCode, message: impl Into<String>, context: Context) {
        self.warnings.push(LoadMessage {
            code: Code::Warning(code),
            message: message.into(),
            context,
        });
    }

    /// This file's entry of `falco_load_results`.
    pub fn to_json(&self) -> String {
        OrderedObject::new()
            .value("name", Value::from(self.name.clone()))
            .value("successful", Value::from(self.successful()))
            .raw("errors", &json_array(self.errors.iter().map(LoadMessage::to_json)))
            .raw("warnings", &json_array(self.warnings.iter().map(LoadMessage::to_json)))
            .finish()
    }

    /// Readable rendering: `<name>: Ok` or `<name>: Invalid`, then every error and warning.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let status = match (self.successful(), self.warnings.is_empty()) {
            (true, true) => "Ok",
            (true, false) => "Ok, with warnings",
            (false, _) => "Invalid",
        };
        out.push_str(&format!("{}: {status}\n", self.name));
        if !self.errors.is_empty() {
            out.push_str(&format!("{} Errors:\n", self.errors.len()));
            for e in &self.errors {
                out.push_str(&format!("{e}\n"));
            }
        }
        if !self.warnings.is_empty() {
            out.push_str(&format!("{} Warnings:\n", self.warnings.len()));
            for w in &self.warnings {
                out.push_str(&format!("{w}\n"));
            }
        }
        out
    }
}

/// The results of every file, in load order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LoadResults {
    pub files: Vec<FileLoadResult>,
}

impl LoadResults {
    pub fn successful(&self) -> bool {
        self.files.iter().all(FileLoadResult::successful)
    }

    pub fn has_warnings(&self) -> bool {
        self.files.iter().any(|f| !f.warnings.is_empty())
    }

    /// The `-V` JSON line: `{"falco_load_results":[...]}`.
    pub fn to_json(&self) -> String {
        OrderedObject::new()
            .raw(
                "falco_load_results",
                &json_array(self.files.iter().map(FileLoadResult::to_json)),
            )
            .finish()
    }

    pub fn to_text(&self) -> String {
        self.files.iter().map(FileLoadResult::to_text).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_has_the_documented_shape() {
        let mut r = FileLoadResult::new("a.yaml");
        let ctx = Context::default()
            .child(
                ItemType::Rule,
                "r1",
                SourcePosition {
                    name: "a.yaml".into(),
                    line: 2,
                    column: 3,
                    offset: 7,
                },
            )
            .with_snippet("x\n- rule: r1\n");
        r.error(ErrorCode::Validate, "boom", ctx);
        let all = LoadResults { files: vec![r] };
        let v: Value = serde_json::from_str(&all.to_json()).unwrap();
        let f = &v["falco_load_results"][0];
        assert_eq!(f["successful"], false);
        let e = &f["errors"][0];
        assert_eq!(e["code"], "LOAD_ERR_VALIDATE");
        assert_eq!(e["context"]["locations"][0]["item_type"], "rule");
        assert_eq!(e["context"]["locations"][0]["position"]["line"], 2);
        assert_eq!(e["context"]["snippet"], "- rule: r1\n");
        assert!(all.to_text().contains("In rule 'r1': (a.yaml:2:3)"));
        assert!(all.to_json().starts_with(r#"{"falco_load_results":[{"name":"a.yaml","successful":false,"errors":[{"code":"LOAD_ERR_VALIDATE","codedesc":"#));
    }

    #[test]
    fn snippets_of_split_lines() {
        let long = "é".repeat(SNIPPET_MAX_LINE_CHARS + 5);
        let text = format!("a: 1\r\n- rule: r1\n{long}\nlast");
        let lines = SourceLines::new(&text);
        let at = |line: usize| {
            let ctx = Context::default().child(
                ItemType::Rule,
                "r1",
                SourcePosition {
                    line,
                    ..SourcePosition::default()
                },
            );
            ctx.with_snippet_of(&lines).snippet
        };
        assert_eq!(at(0), "a: 1\n");
        assert_eq!(at(1), "a: 1\n");
        assert_eq!(at(2), "- rule: r1\n");
        assert_eq!(at(3), format!("{}...\n", "é".repeat(SNIPPET_MAX_LINE_CHARS)));
        assert_eq!(at(4), "last\n");
        assert_eq!(at(5), "");
        // Without a location the snippet stays as it was.
        assert_eq!(Context::default().with_snippet_of(&lines).snippet, "");
    }
}
