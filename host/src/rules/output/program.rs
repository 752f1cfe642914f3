//! A rule's `output:` compiled once against its source's fields: literal text and field
//! accessors, checked when the rules load (unknown field → LOAD_ERR_COMPILE_OUTPUT with
//! libsinsp's "invalid formatting token …"), rendered per alert with the same extraction
//! cache as the rule's condition. `append_output` entries of `falco.yaml` (Falco 0.40+) add
//! text and extra `output_fields`.

use std::sync::Arc;

use serde_json::Value;

use crate::rules::ast::FieldExpr;
use crate::rules::compile::SlotRegistry;
use crate::rules::eval::{EvalContext, FieldAccessor};
use crate::rules::fields::{FieldCatalog, FieldId, FieldSetKey, FieldSource, FieldType, TypeClass};
use crate::rules::output::alert::OutputFields;
use crate::rules::output::format::{parse_format, FormatError, Piece};
use crate::rules::parse::parse_field_expr;
use crate::rules::value::{render, render_value, ValueRef, Values};

/// One `append_output` entry: for rules matching every given criterion, `extra_output` is
/// appended to the output text and `extra_fields` to `output_fields`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppendOutput {
    pub source: Option<String>,
    /// The rule must have every one of these tags.
    pub tags: Vec<String>,
    pub rule: Option<String>,
    pub extra_output: String,
    pub extra_fields: Vec<ExtraField>,
}

/// An extra output field: a field by name, or a key with a format of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExtraField {
    Field(String),
    Custom { key: String, format: String },
}

impl AppendOutput {
    pub fn matches(&self, rule: &str, source: &str, tags: &[String]) -> bool {
        self.source.as_deref().is_none_or(|s| s == source)
            && self.rule.as_deref().is_none_or(|r| r == rule)
            && self.tags.iter().all(|t| tags.contains(t))
    }
}

#[derive(Debug, Clone)]
enum Extra {
    Field(FieldAccessor),
    Format(Vec<Piece<Keyed>>),
}

/// A field of a format with its `output_fields` key (the field as written), shared by alerts.
#[derive(Debug, Clone)]
struct Keyed {
    key: Arc<str>,
    field: FieldAccessor,
}

/// A compiled output format.
#[derive(Debug, Clone)]
pub struct OutputProgram {
    pub format: String,
    pieces: Vec<Piece<Keyed>>,
    extras: Vec<(Arc<str>, Extra)>,
    /// Distinct keys of `output_fields` (room to reserve per alert).
    field_count: usize,
    fetch: Prefetch,
}

/// Most fields a prefetch asks for together (one bit each in `FieldSetKey::subset`).
const MAX_PREFETCH_FIELDS: usize = 64;

/// The catalog fields an output reads (text, `append_output` fields and formats), asked of
/// the source together before rendering, so that a plugin gives all of its fields in one call
/// instead of one call per field.
#[derive(Debug, Clone, Default)]
struct Prefetch {
    set: u64,
    registry: u64,
    /// Global slots an evaluation context needs for every accessor of the output.
    slots_needed: usize,
    /// Distinct (global slot, field), in order of first use; at most `MAX_PREFETCH_FIELDS`.
    fields: Vec<(usize, FieldId)>,
}

impl Prefetch {
    fn new<'a>(accessors: impl Iterator<Item = &'a FieldAccessor>) -> Prefetch {
        let mut fetch = Prefetch {
            set: FieldSetKey::new_set(),
            ..Prefetch::default()
        };
        for acc in accessors {
            fetch.registry = acc.registry();
            fetch.slots_needed = fetch.slots_needed.max(acc.slots_needed());
            for (global, id) in acc.field_slots() {
                if fetch.fields.len() < MAX_PREFETCH_FIELDS && !fetch.fields.iter().any(|&(g, _)| g == global) {
                    fetch.fields.push((global, id));
                }
            }
        }
        fetch
    }

    /// Extracts together the fields not cached yet for the current event (when there are
    /// several) and caches their values in `ctx`, where rendering then finds them.
    fn run(&self, ctx: &mut EvalContext, src: &mut dyn FieldSource) {
        if self.fields.len() < 2 {
            return;
        }
        ctx.bind(self.registry, self.slots_needed, 0);
        let mut ids = [FieldId(0); MAX_PREFETCH_FIELDS];
        let mut globals = [0u32; MAX_PREFETCH_FIELDS];
        let mut missing = 0;
        let mut subset = 0u64;
        for (bit, &(global, id)) in self.fields.iter().enumerate() {
            if !ctx.is_current(global) {
                ids[missing] = id;
                globals[missing] = global as u32;
                missing += 1;
                subset |= 1 << bit;
            }
        }
        if missing < 2 {
            return;
        }
        let key = FieldSetKey { set: self.set, subset };
        src.extract_together(key, &ids[..missing], &mut |i, values| {
            if let Some(&global) = globals[..missing].get(i) {
                ctx.store_extracted(global as usize, values);
            }
        });
    }
}

/// Whether every field of `expr` is known to `catalog`.
fn resolves(expr: &FieldExpr, catalog: &dyn FieldCatalog) -> bool {
    match expr {
        FieldExpr::Field { name, arg, .. } => catalog.resolve(name, arg.as_deref()).is_ok(),
        FieldExpr::Transform { args, .. } | FieldExpr::List(args, _) => args.iter().all(|a| resolves(a, catalog)),
        FieldExpr::Literal(..) => true,
    }
}

fn compile_pieces(
    format: &str,
    catalog: &dyn FieldCatalog,
    registry: &mut SlotRegistry,
) -> Result<Vec<Piece<Keyed>>, FormatError> {
    let pieces = parse_format(format, |token| {
        let expr = parse_field_expr(token).ok()?;
        if !resolves(&expr, catalog) {
            return None;
        }
        FieldAccessor::compile_with(token, catalog, registry).ok()
    })?;
    Ok(pieces
        .into_iter()
        .map(|p| match p {
            Piece::Literal(s) => Piece::Literal(s),
            Piece::Field { text, field } => Piece::Field {
                field: Keyed {
                    key: Arc::from(text.as_str()),
                    field,
                },
                text,
            },
        })
        .collect())
}

impl OutputProgram {
    /// Compiles `format`; accessors share `registry` with the source's filters so a field read
    /// by the condition is not extracted again for the output.
    pub fn compile(
        format: &str,
        catalog: &dyn FieldCatalog,
        registry: &mut SlotRegistry,
    ) -> Result<OutputProgram, FormatError> {
        let pieces = compile_pieces(format, catalog, registry)?;
        let fetch = Prefetch::new(piece_accessors(&pieces));
        let mut program = OutputProgram {
            format: format.to_string(),
            pieces,
            extras: Vec::new(),
            field_count: 0,
            fetch,
        };
        program.count_fields();
        Ok(program)
    }

    /// Compiles `format` with the matching `append_output` entries applied.
    pub fn compile_with_appends(
        format: &str,
        appends: &[&AppendOutput],
        catalog: &dyn FieldCatalog,
        registry: &mut SlotRegistry,
    ) -> Result<OutputProgram, FormatError> {
        let mut full = format.to_string();
        for a in appends {
            if !a.extra_output.is_empty() {
                full.push(' ');
                full.push_str(&a.extra_output);
            }
        }
        let mut program = OutputProgram::compile(&full, catalog, registry)?;
        for a in appends {
            for f in &a.extra_fields {
                match f {
                    ExtraField::Field(name) => {
                        let acc = FieldAccessor::compile_with(name, catalog, registry)
                            .map_err(|_| FormatError::InvalidToken(name.clone()))?;
                        program.extras.push((Arc::from(name.as_str()), Extra::Field(acc)));
                    }
                    ExtraField::Custom { key, format } => {
                        let pieces = compile_pieces(format, catalog, registry)?;
                        program.extras.push((Arc::from(key.as_str()), Extra::Format(pieces)));
                    }
                }
            }
        }
        if !program.extras.is_empty() {
            let mut accessors: Vec<&FieldAccessor> = piece_accessors(&program.pieces).collect();
            for (_, extra) in &program.extras {
                match extra {
                    Extra::Field(acc) => accessors.push(acc),
                    Extra::Format(pieces) => accessors.extend(piece_accessors(pieces)),
                }
            }
            program.fetch = Prefetch::new(accessors.into_iter());
            program.count_fields();
        }
        Ok(program)
    }

    fn count_fields(&mut self) {
        let mut keys: Vec<&str> = self.field_names().collect();
        keys.extend(self.extras.iter().map(|(k, _)| &**k));
        keys.sort_unstable();
        keys.dedup();
        self.field_count = keys.len();
    }

    /// The fields in order of appearance, as written (the keys of `output_fields`).
    pub fn field_names(&self) -> impl Iterator<Item = &str> {
        self.pieces.iter().filter_map(|p| match p {
            Piece::Field { text, .. } => Some(text.as_str()),
            Piece::Literal(_) => None,
        })
    }

    /// The output text for the current event and its `output_fields`.
    pub fn render(&self, ctx: &mut EvalContext, src: &mut dyn FieldSource) -> (String, OutputFields) {
        self.fetch.run(ctx, src);
        let mut fields = OutputFields::with_capacity(self.field_count);
        let mut text = String::with_capacity(self.format.len() + RENDERED_FIELD_CHARS * self.pieces.len());
        render_pieces(&self.pieces, ctx, src, &mut text, Some(&mut fields));
        for (key, extra) in &self.extras {
            let v = match extra {
                Extra::Field(acc) => field_json(acc, ctx, src),
                Extra::Format(pieces) => {
                    let mut s = String::new();
                    render_pieces(pieces, ctx, src, &mut s, None);
                    Value::from(s)
                }
            };
            fields.insert(Arc::clone(key), v);
        }
        (text, fields)
    }
}

/// The accessors of the fields among `pieces`.
fn piece_accessors(pieces: &[Piece<Keyed>]) -> impl Iterator<Item = &FieldAccessor> {
    pieces.iter().filter_map(|p| match p {
        Piece::Field { field, .. } => Some(&field.field),
        Piece::Literal(_) => None,
    })
}

/// Room reserved per field when sizing an output text (most values are short names).
const RENDERED_FIELD_CHARS: usize = 24;

/// Appends the text of `pieces` to `out` and, with `fields`, each field's JSON value. Each field
/// is extracted once: its text goes to `out` and, when its JSON value is that same text (a
/// single value that is neither a number nor a boolean), the value is copied from there.
fn render_pieces(
    pieces: &[Piece<Keyed>],
    ctx: &mut EvalContext,
    src: &mut dyn FieldSource,
    out: &mut String,
    mut fields: Option<&mut OutputFields>,
) {
    for p in pieces {
        match p {
            Piece::Literal(s) => out.push_str(s),
            Piece::Field {
                field: Keyed { key, field },
                ..
            } => {
                let (ty, is_list) = (field.field_type(), field.is_list());
                let start = out.len();
                let values = field.extract(ctx, src);
                render(values, ty, is_list, out);
                if let Some(fields) = fields.as_deref_mut() {
                    let json = match values {
                        None => Value::Null,
                        Some(values) if is_list => list_json(values, ty),
                        Some(values) => match values.get(0).and_then(|v| typed_json(v, ty)) {
                            Some(v) => v,
                            // `render` wrote this value's text (or `<NA>` for none).
                            None => Value::from(&out[start..]),
                        },
                    };
                    fields.insert(Arc::clone(key), json);
                }
            }
        }
    }
}

/// The JSON value of `v` when it is not text: plain numbers and booleans.
fn typed_json(v: ValueRef<'_>, ty: FieldType) -> Option<Value> {
    match (v, ty.class()) {
        (ValueRef::U64(x), TypeClass::Unsigned | TypeClass::Signed) if plain_number(ty) => Some(Value::from(x)),
        (ValueRef::I64(x), TypeClass::Unsigned | TypeClass::Signed) if plain_number(ty) => Some(Value::from(x)),
        (ValueRef::Bool(b), _) => Some(Value::from(b)),
        _ => None,
    }
}

/// A value as `output_fields` holds it: [`typed_json`], else its text.
fn one_json(v: ValueRef<'_>, ty: FieldType) -> Value {
    typed_json(v, ty).unwrap_or_else(|| {
        let mut s = String::new();
        render_value(v, ty, &mut s);
        Value::from(s)
    })
}

fn list_json(values: &Values, ty: FieldType) -> Value {
    Value::Array(values.iter().map(|v| one_json(v, ty)).collect())
}

/// A field's value in `output_fields`: numbers (and times, as integer nanoseconds) as JSON
/// numbers, booleans as booleans, lists as arrays, everything else as its text; `null` when
/// the event has no value.
fn field_json(acc: &FieldAccessor, ctx: &mut EvalContext, src: &mut dyn FieldSource) -> Value {
    let (ty, is_list) = (acc.field_type(), acc.is_list());
    let Some(values) = acc.extract(ctx, src) else {
        return Value::Null;
    };
    if is_list {
        return list_json(values, ty);
    }
    match values.get(0) {
        Some(v) => one_json(v, ty),
        None => {
            let mut s = String::new();
            render(None, ty, false, &mut s);
            Value::from(s)
        }
    }
}

/// Types whose value is a plain number in JSON (flags, modes, errnos… print as text).
fn plain_number(ty: FieldType) -> bool {
    use FieldType::*;
    matches!(
        ty,
        Int8 | Int16
            | Int32
            | Int64
            | UInt8
            | UInt16
            | UInt32
            | UInt64
            | Uid
            | Gid
            | Pid
            | Fd
            | Port
            | RelTime
            | AbsTime
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::compile::compile_with;
    use crate::rules::fields::{FieldArg, FieldInfo, TableCatalog};
    use crate::rules::parse::parse_condition;

    /// Fixed values by field id; with `together`, extracts every field but `host` in
    /// `extract_together`, recording each call.
    struct Source {
        values: Vec<Option<&'static str>>,
        host: FieldId,
        together: bool,
        single: Vec<FieldId>,
        calls: Vec<(FieldSetKey, Vec<FieldId>)>,
    }

    impl Source {
        fn new(together: bool) -> Source {
            Source {
                values: vec![Some("Alpha"), Some("42"), None, Some("host value")],
                host: FieldId(3),
                together,
                single: Vec::new(),
                calls: Vec::new(),
            }
        }

        fn fill(&self, field: FieldId, out: &mut Values) {
            match (field.0, self.values[field.0 as usize]) {
                (1, Some(v)) => out.push_u64(v.parse().unwrap()),
                (_, Some(v)) => out.push_str(v),
                (_, None) => {}
            }
        }
    }

    impl FieldSource for Source {
        fn extract(&mut self, field: FieldId, _arg: &FieldArg, out: &mut Values) -> bool {
            self.single.push(field);
            self.fill(field, out);
            !out.is_empty()
        }

        fn extract_together(
            &mut self,
            key: FieldSetKey,
            fields: &[FieldId],
            store: &mut dyn FnMut(usize, &mut Values),
        ) {
            if !self.together {
                return;
            }
            self.calls.push((key, fields.to_vec()));
            for (i, &field) in fields.iter().enumerate() {
                if field != self.host {
                    let mut values = Values::default();
                    self.fill(field, &mut values);
                    store(i, &mut values);
                }
            }
        }
    }

    fn catalog() -> TableCatalog {
        let mut cat = TableCatalog::new();
        cat.add(FieldInfo::new("f.a", FieldType::CharBuf, ""));
        cat.add(FieldInfo::new("f.b", FieldType::UInt64, ""));
        cat.add(FieldInfo::new("f.c", FieldType::CharBuf, ""));
        cat.add(FieldInfo::new("f.host", FieldType::CharBuf, ""));
        cat
    }

    fn program(cat: &TableCatalog, registry: &mut SlotRegistry) -> OutputProgram {
        let append = AppendOutput {
            extra_output: "extra=%f.b".into(),
            extra_fields: vec![
                ExtraField::Field("f.a".into()),
                ExtraField::Custom {
                    key: "custom".into(),
                    format: "[%f.c|%f.host]".into(),
                },
            ],
            ..AppendOutput::default()
        };
        OutputProgram::compile_with_appends(
            "a=%f.a lower=%tolower(f.a) b=%f.b c=%f.c host=%f.host",
            &[&append],
            cat,
            registry,
        )
        .unwrap()
    }

    /// Fetching an output's fields together renders what fetching them one by one renders,
    /// asks each field once, and asks only for those the condition did not extract already.
    #[test]
    fn fields_fetched_together_render_as_fetched_one_by_one() {
        let cat = catalog();
        let mut registry = SlotRegistry::new();
        let filter = compile_with(&parse_condition("f.a = Alpha").unwrap(), &cat, &mut registry).unwrap();
        let output = program(&cat, &mut registry);

        let mut ctx = EvalContext::new();
        let mut lazy = Source::new(false);
        let expected = output.render(&mut ctx, &mut lazy);
        assert_eq!(expected.0, "a=Alpha lower=alpha b=42 c=<NA> host=host value extra=42");
        assert_eq!(expected.1["f.c"], Value::Null);
        assert_eq!(expected.1["custom"], "[<NA>|host value]");
        assert_eq!(lazy.single, [FieldId(0), FieldId(1), FieldId(2), FieldId(3)]);

        let mut ctx = EvalContext::new();
        let mut batched = Source::new(true);
        assert_eq!(output.render(&mut ctx, &mut batched), expected);
        assert_eq!(batched.single, [FieldId(3)], "only the field left out is asked alone");
        assert_eq!(batched.calls.len(), 1);
        let all = batched.calls[0].clone();
        assert_eq!(all.1, [FieldId(0), FieldId(1), FieldId(2), FieldId(3)]);

        // Next event: the condition extracts f.a first; the output asks only for the rest.
        ctx.next_event();
        batched.calls.clear();
        batched.single.clear();
        assert!(filter.eval(&mut ctx, &mut batched));
        assert_eq!(output.render(&mut ctx, &mut batched), expected);
        assert_eq!(batched.single, [FieldId(0), FieldId(3)]);
        let rest = &batched.calls[0];
        assert_eq!(rest.1, [FieldId(1), FieldId(2), FieldId(3)]);
        assert_eq!(rest.0.set, all.0.set);
        assert_ne!(rest.0.subset, all.0.subset, "another list of fields, another key");
    }
}
