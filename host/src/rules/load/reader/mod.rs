//! Reading one rules file: YAML → items, applying `append`/`override` to what earlier files
//! defined. The first structural error stops the file (as Falco); warnings accumulate.
//!
//! Messages are Falco's (0.35–0.44) wherever the conformance suite checks them.

use crate::rules::load::items::{
    Collection, ExceptionDef, ExceptionValue, ListDef, MacroDef, Priority, RuleDef, Text, Tuple,
};
use crate::rules::load::version::{EngineVersion, PluginVersion};
use crate::rules::results::{
    Context, ErrorCode, FileLoadResult, ItemType, LoadMessage, SourceLines, SourcePosition, WarningCode,
};
use crate::yaml::{self, Node};

mod exceptions;
mod rules;

/// The event source of a rule that names none.
pub const DEFAULT_SOURCE: &str = "syscall";

/// Keys a rule item may carry (anything else gets a LOAD_UNKNOWN_ITEM warning).
const RULE_KEYS: &[&str] = &[
    "rule",
    "condition",
    "output",
    "desc",
    "priority",
    "source",
    "tags",
    "exceptions",
    "enabled",
    "append",
    "override",
    "warn_evttypes",
    "skip-if-unknown-filter",
    "capture",
    "capture_duration",
];
const MACRO_KEYS: &[&str] = &["macro", "condition", "append", "override"];
const LIST_KEYS: &[&str] = &["list", "items", "append", "override"];
const EXCEPTION_KEYS: &[&str] = &["name", "fields", "comps", "values"];
/// Rule keys `override:` may name, and what each allows.
const OVERRIDE_APPENDABLE: &[&str] = &["condition", "output", "desc", "tags", "exceptions"];
const OVERRIDE_REPLACEABLE: &[&str] = &[
    "condition",
    "output",
    "desc",
    "priority",
    "tags",
    "exceptions",
    "enabled",
    "source",
    "warn_evttypes",
    "skip-if-unknown-filter",
    "capture",
    "capture_duration",
];
/// Comparison operators an exception may use.
pub const EXCEPTION_COMPS: &[&str] = &[
    "=",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "contains",
    "icontains",
    "bcontains",
    "startswith",
    "bstartswith",
    "endswith",
    "in",
    "intersects",
    "pmatch",
    "glob",
    "iglob",
    "regex",
];

type Fail = Box<LoadMessage>;
type Step<T = ()> = Result<T, Fail>;

/// What the reader needs besides the file.
pub struct ReadEnv<'a> {
    pub engine_version: &'a EngineVersion,
    pub plugins: &'a [(String, String)],
}

pub struct Reader<'a> {
    name: &'a str,
    text: &'a str,
    lines: SourceLines<'a>,
    env: &'a ReadEnv<'a>,
    coll: &'a mut Collection,
    result: &'a mut FileLoadResult,
}

impl<'a> Reader<'a> {
    pub fn new(
        name: &'a str,
        text: &'a str,
        env: &'a ReadEnv<'a>,
        coll: &'a mut Collection,
        result: &'a mut FileLoadResult,
    ) -> Self {
        Reader {
            name,
            text,
            lines: SourceLines::new(text),
            env,
            coll,
            result,
        }
    }

    /// Reads every document; a failure is recorded in the result and stops the file.
    pub fn read(&mut self) {
        if let Err(e) = self.read_all() {
            self.result.errors.push(*e);
        }
    }

    fn pos(&self, node: &Node) -> SourcePosition {
        SourcePosition {
            name: self.name.to_string(),
            line: node.pos.line,
            column: node.pos.column,
            offset: node.pos.offset,
        }
    }

    fn ctx(&self, parent: &Context, ty: ItemType, name: &str, node: &Node) -> Context {
        parent.child(ty, name, self.pos(node))
    }

    fn fail(&self, code: ErrorCode, message: impl Into<String>, ctx: &Context) -> Fail {
        Box::new(LoadMessage {
            code: crate::rules::results::Code::Error(code),
            message: message.into(),
            context: ctx.clone().with_snippet_of(&self.lines),
        })
    }

    fn warn(&mut self, code: WarningCode, message: impl Into<String>, ctx: &Context) {
        let ctx = ctx.clone().with_snippet_of(&self.lines);
        self.result.warning(code, message, ctx);
    }

    fn read_all(&mut self) -> Step {
        let top = Context::default();
        let docs = match parse_lenient(self.text) {
            Ok(d) => d,
            Err(e) => {
                let p = e.position();
                let ctx = top.child(
                    ItemType::RulesContent,
                    "",
                    SourcePosition {
                        name: self.name.to_string(),
                        line: p.line,
                        column: p.column,
                        offset: p.offset,
                    },
                );
                return Err(self.fail(ErrorCode::YamlParse, yaml_cpp_message(&e), &ctx));
            }
        };
        for doc in &docs {
            let doc_ctx = self.ctx(&top, ItemType::RulesContent, "", doc);
            if doc.is_null() {
                continue;
            }
            let Some(items) = doc.as_seq() else {
                return Err(self.fail(
                    ErrorCode::YamlValidate,
                    "Rules content is not yaml array of objects",
                    &doc_ctx,
                ));
            };
            for item in items {
                if item.is_null() {
                    continue;
                }
                self.read_item(&top, item)?;
            }
        }
        Ok(())
    }

    fn read_item(&mut self, top: &Context, item: &Node) -> Step {
        let item_ctx = self.ctx(top, ItemType::RulesContentItem, "", item);
        if item.as_map().is_none() {
            return Err(self.fail(
                ErrorCode::YamlValidate,
                "Unexpected element type. Each element should be a yaml associative array.",
                &item_ctx,
            ));
        }
        if let Some(v) = item.get("required_engine_version") {
            let ctx = self.ctx(top, ItemType::RequiredEngineVersion, "", item);
            return self.read_engine_version(v, &ctx);
        }
        if let Some(v) = item.get("required_plugin_versions") {
            let ctx = self.ctx(top, ItemType::RequiredPluginVersions, "", item);
            return self.read_plugin_versions(v, &ctx);
        }
        if item.get("list").is_some() {
            return self.read_list(top, item);
        }
        if item.get("macro").is_some() {
            return self.read_macro(top, item);
        }
        if item.get("rule").is_some() {
            return self.read_rule(top, item);
        }
        self.warn(WarningCode::UnknownItem, "Unknown top level object", &item_ctx);
        Ok(())
    }

    fn read_engine_version(&mut self, v: &Node, ctx: &Context) -> Step {
        let text = v.as_str().unwrap_or("").trim().to_string();
        let Some(required) = EngineVersion::parse(&text) else {
            return Err(self.fail(ErrorCode::YamlValidate, "Can't decode YAML scalar value", ctx));
        };
        if required > *self.env.engine_version {
            return Err(self.fail(
                ErrorCode::Validate,
                format!(
                    "Rules require engine version {text}, but engine version is {}",
                    self.env.engine_version
                ),
                ctx,
            ));
        }
        Ok(())
    }

    fn read_plugin_versions(&mut self, v: &Node, ctx: &Context) -> Step {
        let Some(entries) = v.as_seq() else {
            return Err(self.fail(ErrorCode::YamlValidate, "Value is not a sequence", ctx));
        };
        for entry in entries {
            let ectx = self.ctx(ctx, ItemType::RequiredPluginVersionsEntry, "", entry);
            let name = self.req_str(entry, "name", &ectx)?;
            let ectx = self.ctx(ctx, ItemType::RequiredPluginVersionsEntry, &name, entry);
            let version = self.req_str(entry, "version", &ectx)?;
            let mut wanted = vec![(name.clone(), version.clone())];
            if let Some(alts) = entry.get("alternatives") {
                let Some(alts) = alts.as_seq() else {
                    return Err(self.fail(ErrorCode::YamlValidate, "Value is not a sequence", &ectx));
                };
                for alt in alts {
                    let actx = self.ctx(&ectx, ItemType::RequiredPluginVersionsAlternative, "", alt);
                    let aname = self.req_str(alt, "name", &actx)?;
                    let actx = self.ctx(&ectx, ItemType::RequiredPluginVersionsAlternative, &aname, alt);
                    let aver = self.req_str(alt, "version", &actx)?;
                    wanted.push((aname, aver));
                }
            }
            self.check_plugin_requirement(&wanted, &ectx)?;
        }
        Ok(())
    }

    /// One requirement (with alternatives) is met when any named plugin is loaded with a
    /// compatible version (same major, not older).
    fn check_plugin_requirement(&self, wanted: &[(String, String)], ctx: &Context) -> Step {
        let mut incompatible = None;
        for (name, version) in wanted {
            let Some(req) = PluginVersion::parse(version) else {
                return Err(self.fail(
                    ErrorCode::Validate,
                    format!("Invalid required version '{version}' for plugin '{name}'"),
                    ctx,
                ));
            };
            if let Some((_, have)) = self.env.plugins.iter().find(|(n, _)| n == name) {
                match PluginVersion::parse(have) {
                    Some(h) if h.compatible_with(&req) => return Ok(()),
                    _ => {
                        incompatible.get_or_insert(format!(
                            "Plugin '{name}' version '{have}' is not compatible with required plugin version '{version}'"
                        ));
                    }
                }
            }
        }
        let message = incompatible.unwrap_or_else(|| {
            let names: Vec<String> = wanted.iter().map(|(n, v)| format!("{n} ({v})")).collect();
            format!(
                "Plugin '{}' is required but not loaded (any of: {}); add it to the 'plugins' and 'load_plugins' configuration",
                wanted[0].0,
                names.join(", ")
            )
        });
        Err(self.fail(ErrorCode::Validate, message, ctx))
    }

    // ---- value decoding -------------------------------------------------------------------

    /// A required, non-empty scalar.
    fn req_str(&self, item: &Node, key: &str, ctx: &Context) -> Step<String> {
        let Some(v) = item.get(key) else {
            return Err(self.fail(
                ErrorCode::YamlValidate,
                format!("Item has no mapping for key '{key}'"),
                ctx,
            ));
        };
        self.scalar(v, key, ctx)
    }

    fn scalar(&self, v: &Node, key: &str, ctx: &Context) -> Step<String> {
        let vctx = self.ctx(ctx, ItemType::ValueFor, key, v);
        if v.is_null() {
            return Err(self.fail(
                ErrorCode::YamlValidate,
                format!("Mapping for key '{key}' is empty"),
                &vctx,
            ));
        }
        match v.as_str() {
            Some("") => Err(self.fail(
                ErrorCode::YamlValidate,
                format!("Mapping for key '{key}' is empty"),
                &vctx,
            )),
            Some(s) => Ok(s.to_string()),
            None => Err(self.fail(ErrorCode::YamlValidate, "Value is not a scalar value", &vctx)),
        }
    }

    fn opt_str(&self, item: &Node, key: &str, ctx: &Context) -> Step<Option<String>> {
        match item.get(key) {
            None => Ok(None),
            Some(v) => self.scalar(v, key, ctx).map(Some),
        }
    }

    fn opt_bool(&self, item: &Node, key: &str, ctx: &Context) -> Step<Option<bool>> {
        let Some(v) = item.get(key) else {
            return Ok(None);
        };
        match v.as_bool() {
            Some(b) => Ok(Some(b)),
            None => {
                let vctx = self.ctx(ctx, ItemType::ValueFor, key, v);
                Err(self.fail(ErrorCode::YamlValidate, "Can't decode YAML scalar value", &vctx))
            }
        }
    }

    fn str_seq(&self, v: &Node, key: &str, ctx: &Context) -> Step<Vec<String>> {
        let vctx = self.ctx(ctx, ItemType::ValueFor, key, v);
        if v.is_null() {
            return Ok(Vec::new());
        }
        let Some(items) = v.as_seq() else {
            return Err(self.fail(ErrorCode::YamlValidate, "Value is not a sequence", &vctx));
        };
        items
            .iter()
            .map(|n| match n.as_str() {
                Some(s) => Ok(s.to_string()),
                None => Err(self.fail(
                    ErrorCode::YamlValidate,
                    "Can't decode YAML scalar value",
                    &self.ctx(&vctx, ItemType::ValueFor, key, n),
                )),
            })
            .collect()
    }

    fn text(&self, v: &Node, key: &str, ctx: &Context) -> Step<Text> {
        Ok(Text {
            text: self.scalar(v, key, ctx)?,
            position: self.pos(v),
        })
    }

    fn warn_unknown_keys(&mut self, item: &Node, allowed: &[&str], ctx: &Context) {
        let Some(entries) = item.as_map() else {
            return;
        };
        for (k, _) in entries {
            let key = k.as_str().unwrap_or("");
            if !allowed.contains(&key) {
                let kctx = self.ctx(ctx, ItemType::ValueFor, key, k);
                self.warn(WarningCode::UnknownItem, format!("Unknown key '{key}', ignored"), &kctx);
            }
        }
    }

    /// `append: true` and `override:` (mutually exclusive). Returns (append, overrides as
    /// (key, is_append) pairs).
    fn append_and_overrides(&self, item: &Node, ctx: &Context) -> Step<(bool, Vec<(String, bool)>)> {
        let append = self.opt_bool(item, "append", ctx)?.unwrap_or(false);
        let Some(ov) = item.get("override") else {
            return Ok((append, Vec::new()));
        };
        let octx = self.ctx(ctx, ItemType::Overrides, "", ov);
        if append {
            return Err(self.fail(
                ErrorCode::YamlValidate,
                "Keys 'override' and 'append: true' cannot be used together. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.",
                &octx,
            ));
        }
        let Some(entries) = ov.as_map() else {
            return Err(self.fail(ErrorCode::YamlValidate, "Value is not a map", &octx));
        };
        let mut out = Vec::new();
        for (k, v) in entries {
            let key = k.as_str().unwrap_or("").to_string();
            let kctx = self.ctx(&octx, ItemType::Override, &key, k);
            let how = v.as_str().unwrap_or("");
            let is_append = match how {
                "append" => true,
                "replace" => false,
                _ => {
                    return Err(self.fail(
                        ErrorCode::YamlValidate,
                        format!("Invalid override value for key '{key}': '{how}' (expected 'append' or 'replace')"),
                        &kctx,
                    ))
                }
            };
            let allowed = if is_append {
                OVERRIDE_APPENDABLE
            } else {
                OVERRIDE_REPLACEABLE
            };
            if !allowed.contains(&key.as_str()) {
                return Err(self.fail(
                    ErrorCode::YamlValidate,
                    format!("Key '{key}' cannot be overridden with '{how}'"),
                    &kctx,
                ));
            }
            if item.get(&key).is_none() {
                return Err(self.fail(
                    ErrorCode::YamlValidate,
                    format!("An {how} override for '{key}' was specified but '{key}' is not defined"),
                    &kctx,
                ));
            }
            out.push((key, is_append));
        }
        Ok((false, out))
    }

    // ---- lists ---------------------------------------------------------------------------

    fn read_list(&mut self, top: &Context, item: &Node) -> Step {
        let ctx0 = self.ctx(top, ItemType::List, "", item);
        let name = self.req_str(item, "list", &ctx0)?;
        let ctx = self.ctx(top, ItemType::List, &name, item);
        self.warn_unknown_keys(item, LIST_KEYS, &ctx);
        let (append, overrides) = self.append_and_overrides(item, &ctx)?;
        let Some(items_node) = item.get("items") else {
            return Err(self.fail(ErrorCode::YamlValidate, "Item has no mapping for key 'items'", &ctx));
        };
        let items = self.str_seq(items_node, "items", &ctx)?;
        let append = append || overrides.iter().any(|(k, a)| k == "items" && *a);
        let is_override = !overrides.is_empty();
        if append || is_override {
            let Some(prev) = self.coll.lists.get_mut(&name) else {
                let what = if append { "'append' key" } else { "'override' key" };
                return Err(self.fail(
                    ErrorCode::Validate,
                    format!("List has {what} but no list by that name already exists"),
                    &ctx,
                ));
            };
            if append {
                prev.items.extend(items);
            } else {
                prev.items = items;
            }
            return Ok(());
        }
        let index = self.bump();
        let def = ListDef {
            name: name.clone(),
            items,
            index,
            visibility: index,
            ctx: ctx.with_snippet_of(&self.lines),
        };
        self.define(def, |c| &mut c.lists);
        Ok(())
    }

    fn bump(&mut self) -> usize {
        let i = self.coll.next_index;
        self.coll.next_index += 1;
        i
    }

    /// Falco's redefinition rule: a redefined item keeps its place (index) but sees only what
    /// was defined before the redefinition (visibility).
    fn define<T: Definition>(
        &mut self,
        mut def: T,
        pick: impl Fn(&mut Collection) -> &mut crate::rules::load::items::Indexed<T>,
    ) {
        let name = def.name().to_string();
        let set = pick(self.coll);
        if let Some(prev) = set.get(&name) {
            let idx = prev.index();
            def.set_index(idx);
        }
        set.upsert(&name, def);
    }

    // ---- macros --------------------------------------------------------------------------

    fn read_macro(&mut self, top: &Context, item: &Node) -> Step {
        let ctx0 = self.ctx(top, ItemType::Macro, "", item);
        let name = self.req_str(item, "macro", &ctx0)?;
        let ctx = self.ctx(top, ItemType::Macro, &name, item);
        self.warn_unknown_keys(item, MACRO_KEYS, &ctx);
        let (append, overrides) = self.append_and_overrides(item, &ctx)?;
        let Some(cnode) = item.get("condition") else {
            return Err(self.fail(ErrorCode::YamlValidate, "Item has no mapping for key 'condition'", &ctx));
        };
        let cond = self.text(cnode, "condition", &ctx)?;
        let append = append || overrides.iter().any(|(k, a)| k == "condition" && *a);
        if append || !overrides.is_empty() {
            let Some(prev) = self.coll.macros.get_mut(&name) else {
                let what = if append { "'append' key" } else { "'override' key" };
                return Err(self.fail(
                    ErrorCode::Validate,
                    format!("Macro has {what} but no macro by that name already exists"),
                    &ctx,
                ));
            };
            if append {
                prev.condition.text.push(' ');
                prev.condition.text.push_str(&cond.text);
            } else {
                prev.condition = cond;
            }
            return Ok(());
        }
        let index = self.bump();
        let def = MacroDef {
            name,
            condition: cond,
            index,
            visibility: index,
            ctx: ctx.with_snippet_of(&self.lines),
        };
        self.define(def, |c| &mut c.macros);
        Ok(())
    }
}

/// `=` for every field (`in` for a single field, as Falco).
fn default_comps(fields: Option<&Tuple>) -> Tuple {
    match fields {
        Some(Tuple::Many(f)) => Tuple::Many(vec!["=".to_string(); f.len()]),
        _ => Tuple::Single("in".to_string()),
    }
}

/// Most closing-bracket lines re-indented before giving up on a file.
pub const MAX_YAML_REPAIRS: usize = 256;

/// Parses like yaml-cpp, which (unlike the YAML spec and saphyr) accepts the closing `]`/`}`
/// of a multi-line flow collection at the indentation of the key that holds it, a form the
/// official rules files use (`items: [` … `  ]`). Such a line is re-indented to its previous
/// line's indentation and the parse retried; line numbers are unchanged.
fn parse_lenient(text: &str) -> Result<Vec<Node>, yaml::YamlError> {
    let mut owned: Option<String> = None;
    for _ in 0..MAX_YAML_REPAIRS {
        let current = owned.as_deref().unwrap_or(text);
        let err = match yaml::parse_documents(current) {
            Ok(docs) => return Ok(docs),
            Err(e) => e,
        };
        let yaml::YamlError::Syntax { message, pos } = &err else {
            return Err(err);
        };
        if !message.contains("indentation") {
            return Err(err);
        }
        let lines: Vec<&str> = current.split('\n').collect();
        let idx = pos.line.saturating_sub(1);
        let Some(line) = lines.get(idx) else {
            return Err(err);
        };
        let trimmed = line.trim_start();
        if !(trimmed.starts_with(']') || trimmed.starts_with('}')) {
            return Err(err);
        }
        let indent = line.len() - trimmed.len();
        let prev_indent = lines[..idx]
            .iter()
            .rev()
            .find(|l| !l.trim().is_empty())
            .map(|l| l.len() - l.trim_start().len())
            .unwrap_or(0);
        if prev_indent <= indent {
            return Err(err);
        }
        let mut fixed: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        fixed[idx] = format!("{}{trimmed}", " ".repeat(prev_indent));
        owned = Some(fixed.join("\n"));
    }
    yaml::parse_documents(text)
}

/// yaml-cpp's wording, which Falco passes through: `yaml-cpp: error at line L, column C: …`.
fn yaml_cpp_message(e: &yaml::YamlError) -> String {
    let p = e.position();
    let what = match e {
        yaml::YamlError::Syntax { message, .. } => match message.as_str() {
            "mapping values are not allowed in this context" => "illegal map value".to_string(),
            m => m.to_string(),
        },
        other => other.to_string(),
    };
    format!("yaml-cpp: error at line {}, column {}: {what}", p.line, p.column)
}

/// Index bookkeeping shared by lists, macros and rules.
pub trait Definition {
    fn name(&self) -> &str;
    fn index(&self) -> usize;
    fn set_index(&mut self, index: usize);
}

macro_rules! definition {
    ($t:ty) => {
        impl Definition for $t {
            fn name(&self) -> &str {
                &self.name
            }
            fn index(&self) -> usize {
                self.index
            }
            fn set_index(&mut self, index: usize) {
                self.index = index;
            }
        }
    };
}
definition!(ListDef);
definition!(MacroDef);
definition!(RuleDef);
