//! The compiled rules: per rule its filter and output program, per source an event-type index
//! so that an event only meets the rules that can match its type.

use std::collections::HashMap;

use crate::rules::ast::FieldExpr;
use crate::rules::compile::Extract;
use crate::rules::compile::{compile_with, CompiledFilter, SlotRegistry};
use crate::rules::eval::EvalContext;
use crate::rules::event_types::EventTypes;
use crate::rules::evttype::{event_types, EventTypeSet};
use crate::rules::evttype_check::{first_unknown_event_type, first_unsafe_na_check};
use crate::rules::fields::FieldCatalog;
use crate::rules::fields::FieldSource;
use crate::rules::fields::{FieldArg, TypeClass};
use crate::rules::gates::{GatedCandidates, KnownType, Matching};
use crate::rules::load::expanded::ExpandedRule;
use crate::rules::load::items::Priority;
use crate::rules::load::RulesLoader;
use crate::rules::output::alert::Alert;
use crate::rules::output::program::{AppendOutput, OutputProgram};
use crate::rules::parse::parse_field_expr;
use crate::rules::results::{Code, Context, ErrorCode, ItemType, LoadMessage, LoadResults, WarningCode};
use crate::rules::select::{RuleMatching, Selection};

/// Only the `syscall` source warns about rules that do not restrict event types (as Falco).
pub const SYSCALL_SOURCE: &str = "syscall";
/// A syscall rule matching more event types than this gets LOAD_NO_EVTTYPE (Falco's bound).
pub const MAX_EVTTYPES_WITHOUT_WARNING: usize = 100;
/// The field whose value the event-type index decides.
const EVT_TYPE_FIELD: &str = "evt.type";
/// libsinsp's message for an unknown field, which `skip-if-unknown-filter` turns into a skip.
const UNKNOWN_FIELD_PREFIX: &str = "filter_check called with nonexistent field";

/// Index of a rule in [`RuleSet::rules`] (load order).
pub type RuleIdx = usize;

/// One event source as the compiler needs it.
pub struct SourceSpec<'a> {
    pub name: String,
    pub fields: &'a dyn FieldCatalog,
    /// Event codes by type name; `None` for sources without an event table (plugin sources):
    /// every rule is then a candidate for every event.
    pub event_types: Option<&'a EventTypes>,
}

/// Every known source, in the order of the caller's source indexes.
#[derive(Default)]
pub struct Catalogs<'a> {
    pub sources: Vec<SourceSpec<'a>>,
}

impl Catalogs<'_> {
    pub fn index_of(&self, source: &str) -> Option<usize> {
        self.sources.iter().position(|s| s.name == source)
    }
}

/// A rule ready to run.
#[derive(Debug)]
pub struct Rule {
    pub name: String,
    pub desc: String,
    pub priority: Priority,
    pub source: String,
    pub source_idx: usize,
    pub tags: Vec<String>,
    pub filter: CompiledFilter,
    pub output: OutputProgram,
    /// Whether the selection (`-D`/`-T`/`-t`/priority) lets it run.
    pub selected: bool,
}

impl Rule {
    /// The alert for the current event (after `filter.eval` returned true); `time_ns` is the
    /// event's timestamp.
    pub fn alert(&self, ctx: &mut EvalContext, src: &mut dyn FieldSource, time_ns: u64) -> Alert {
        let (message, output_fields) = self.output.render(ctx, src);
        Alert {
            time_ns,
            priority: self.priority,
            rule: self.name.clone(),
            source: self.source.clone(),
            tags: self.tags.clone(),
            message,
            output_fields,
        }
    }
}

/// Candidate rules of one source by event code.
#[derive(Debug, Default)]
struct SourceIndex {
    /// The distinct candidate lists (the first one empty), with their value gates.
    plans: Vec<GatedCandidates>,
    /// For each code: its plan, the selected rules that can match it in load order.
    by_code: Vec<u32>,
    /// For codes outside the table (or sources without one): rules matching any type.
    any: u32,
}

impl SourceIndex {
    #[inline]
    fn plan(&self, evt_type: u16) -> &GatedCandidates {
        let plan = self.by_code.get(evt_type as usize).copied().unwrap_or(self.any);
        &self.plans[plan as usize]
    }
}

#[derive(Debug, Default)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
    pub source_names: Vec<String>,
    pub rule_matching: RuleMatching,
    index: Vec<SourceIndex>,
}

impl RuleSet {
    /// The selected rules of `source_idx` that can match events of code `evt_type`, in load
    /// order.
    pub fn candidates(&self, source_idx: usize, evt_type: u16) -> &[RuleIdx] {
        match self.index.get(source_idx) {
            Some(ix) => &ix.plan(evt_type).rules,
            None => &[],
        }
    }

    /// The candidates of an event of code `evt_type` whose condition holds, in load order,
    /// skipping without evaluation those whose required field value the event lacks (see
    /// `rules::gates`). Call `ctx.next_event()` before, then `next` until `None`.
    pub fn matching(&self, source_idx: usize, evt_type: u16) -> Matching<'_> {
        static NO_CANDIDATES: GatedCandidates = GatedCandidates::empty();
        let plan = match self.index.get(source_idx) {
            Some(ix) => ix.plan(evt_type),
            None => &NO_CANDIDATES,
        };
        Matching::new(&self.rules, plan)
    }

    /// How many candidates of `evt_type` are gated on a field value (diagnostics, benches).
    pub fn gated_count(&self, source_idx: usize, evt_type: u16) -> usize {
        self.index
            .get(source_idx)
            .map_or(0, |ix| ix.plan(evt_type).gated_count())
    }

    /// The event codes the selected rules of `source_idx` can match, ascending; every code of
    /// the source's table when one of them matches any event type. Live capture asks the
    /// kernel for exactly these.
    pub fn event_codes(&self, source_idx: usize) -> Vec<u16> {
        let Some(ix) = self.index.get(source_idx) else {
            return Vec::new();
        };
        let any = !ix.plans[ix.any as usize].rules.is_empty();
        (0..ix.by_code.len())
            .filter(|&code| any || !ix.plans[ix.by_code[code] as usize].rules.is_empty())
            .map(|code| code as u16)
            .collect()
    }

    pub fn rule(&self, idx: RuleIdx) -> &Rule {
        &self.rules[idx]
    }

    /// Names of every rule in load order (for `Stats::new`).
    pub fn rule_names(&self) -> impl Iterator<Item = &str> {
        self.rules.iter().map(|r| r.name.as_str())
    }

    /// `-L`: every rule with its description.
    pub fn describe_all(&self) -> String {
        let rows: Vec<(&str, &str)> = self.rules.iter().map(|r| (r.name.as_str(), r.desc.as_str())).collect();
        crate::rules::describe::describe(&rows)
    }

    /// `-l RULE`: one rule, or `None` when no rule has that name.
    pub fn describe_rule(&self, name: &str) -> Option<String> {
        let r = self.rules.iter().find(|r| r.name == name)?;
        Some(crate::rules::describe::describe(&[(r.name.as_str(), r.desc.as_str())]))
    }
}

fn msg(code: Code, text: impl Into<String>, ctx: &Context) -> LoadMessage {
    LoadMessage {
        code,
        message: text.into(),
        context: ctx.clone(),
    }
}

impl RulesLoader {
    /// Compiles everything loaded: each enabled rule's expanded condition against its source's
    /// catalog, its output, and the event-type index. Returns the ruleset and every file's
    /// results (read, expansion and compile messages).
    pub fn finish(mut self, catalogs: &Catalogs<'_>, selection: &Selection) -> (RuleSet, LoadResults) {
        let expanded = self.expand();
        let mut registries: Vec<SlotRegistry> = catalogs.sources.iter().map(|_| SlotRegistry::new()).collect();
        let mut set = RuleSet {
            source_names: catalogs.sources.iter().map(|s| s.name.clone()).collect(),
            rule_matching: selection.rule_matching,
            ..RuleSet::default()
        };
        let mut code_sets: Vec<Option<RuleCodes>> = Vec::new();
        for er in expanded {
            if !er.def.enabled {
                continue;
            }
            if let Some((rule, codes)) = self.compile_rule(&er, catalogs, &mut registries, selection) {
                set.rules.push(rule);
                code_sets.push(codes);
            }
        }
        for rule in &mut set.rules {
            rule.filter.share_subexpressions(&registries[rule.source_idx]);
        }
        set.index = build_index(&set.rules, &code_sets, catalogs);
        let results = self.results();
        (set, results)
    }

    fn compile_rule(
        &mut self,
        er: &ExpandedRule,
        catalogs: &Catalogs<'_>,
        registries: &mut [SlotRegistry],
        selection: &Selection,
    ) -> Option<(Rule, Option<RuleCodes>)> {
        let def = &er.def;
        let ctx = &def.ctx;
        let Some(source_idx) = catalogs.index_of(&def.source) else {
            self.attribute(msg(
                Code::Warning(WarningCode::UnknownSource),
                format!("Unknown source {}, skipping", def.source),
                ctx,
            ));
            return None;
        };
        let spec = &catalogs.sources[source_idx];
        let cond_ctx = ctx.child(ItemType::RuleCondition, "", def.condition.position.clone());

        for ex in &def.exceptions {
            for field in ex.fields.as_ref().map(|f| f.items()).unwrap_or_default() {
                let known = parse_field_expr(field).is_ok_and(|e| match &e {
                    FieldExpr::Field { name, arg, .. } => spec.fields.resolve(name, arg.as_deref()).is_ok(),
                    _ => false,
                });
                if !known {
                    self.attribute(msg(
                        Code::Error(ErrorCode::Validate),
                        format!("'{field}' is not a supported filter field"),
                        &ex.ctx,
                    ));
                    return None;
                }
            }
        }
        if let Some(types) = spec.event_types {
            if let Some(bad) = first_unknown_event_type(&er.condition, types) {
                self.attribute(msg(
                    Code::Error(ErrorCode::CompileCondition),
                    format!("unknown event type {bad}"),
                    &cond_ctx,
                ));
                return None;
            }
        }
        if let Some(field) = first_unsafe_na_check(&er.condition) {
            self.attribute(msg(
                Code::Warning(WarningCode::UnsafeNaCheck),
                format!("Comparing {field} with <NA> is unsafe: a missing value is not '<NA>'. Use 'exists' instead."),
                &cond_ctx,
            ));
        }
        let filter = match compile_with(&er.condition, spec.fields, &mut registries[source_idx]) {
            Ok(f) => f,
            Err(e) if def.skip_if_unknown_filter && e.message.starts_with(UNKNOWN_FIELD_PREFIX) => {
                self.attribute(msg(
                    Code::Warning(WarningCode::UnknownField),
                    format!("{}, skipping rule", e.message),
                    &cond_ctx,
                ));
                return None;
            }
            Err(e) => {
                self.attribute(msg(Code::Error(ErrorCode::CompileCondition), e.message, &cond_ctx));
                return None;
            }
        };
        let appends: Vec<&AppendOutput> = self
            .append_output
            .iter()
            .filter(|a| a.matches(&def.name, &def.source, &def.tags))
            .collect();
        let output_text = substitute_container_info(&def.output.text, &def.source);
        let output =
            match OutputProgram::compile_with_appends(&output_text, &appends, spec.fields, &mut registries[source_idx])
            {
                Ok(o) => o,
                Err(e) => {
                    let octx = ctx.child(ItemType::RuleOutput, "", def.output.position.clone());
                    self.attribute(msg(Code::Error(ErrorCode::CompileOutput), e.to_string(), &octx));
                    return None;
                }
            };
        let codes = spec.event_types.map(|types| {
            let set = event_types(&er.condition);
            let codes = set.to_codes(
                |n| types.codes(n).map(<[u16]>::to_vec).unwrap_or_default(),
                &types.indexed_codes(),
            );
            if def.source == SYSCALL_SOURCE
                && def.warn_evttypes
                && (codes.is_empty() || codes.len() > MAX_EVTTYPES_WITHOUT_WARNING)
            {
                self.attribute(msg(
                    Code::Warning(WarningCode::NoEvttype),
                    "Rule matches too many evt.type values. This has a significant performance penalty.",
                    ctx,
                ));
            }
            RuleCodes {
                codes,
                also_unknown: matches!(set, EventTypeSet::AllExcept(_)),
            }
        });
        let selected = selection.selects(&def.name, &def.tags, def.priority);
        Some((
            Rule {
                name: def.name.clone(),
                desc: def.desc.clone(),
                priority: def.priority,
                source: def.source.clone(),
                source_idx,
                tags: def.tags.clone(),
                filter,
                output,
                selected,
            },
            codes,
        ))
    }
}

/// Falco's legacy `%container.info` placeholder in syscall outputs (always substituted, as
/// Falco does, even when a catalog lists a deprecated field of that name).
pub const CONTAINER_INFO_PLACEHOLDER: &str = "%container.info";
/// What Falco puts in its place.
pub const CONTAINER_INFO_DEFAULT: &str = "container_id=%container.id container_name=%container.name";

fn substitute_container_info(output: &str, source: &str) -> String {
    if source != SYSCALL_SOURCE || !output.contains(CONTAINER_INFO_PLACEHOLDER) {
        return output.to_string();
    }
    output.replace(CONTAINER_INFO_PLACEHOLDER, CONTAINER_INFO_DEFAULT)
}

/// The event codes a rule can match; `also_unknown`: it also matches codes outside the table.
struct RuleCodes {
    codes: Vec<u16>,
    also_unknown: bool,
}

fn build_index<'a>(rules: &[Rule], codes: &[Option<RuleCodes>], catalogs: &Catalogs<'a>) -> Vec<SourceIndex> {
    let mut lists: Vec<(Vec<Vec<RuleIdx>>, Vec<RuleIdx>)> = catalogs
        .sources
        .iter()
        .map(|s| {
            (
                vec![Vec::new(); s.event_types.map_or(0, EventTypes::code_count)],
                Vec::new(),
            )
        })
        .collect();
    for (idx, (rule, set)) in rules.iter().zip(codes).enumerate() {
        if !rule.selected {
            continue;
        }
        let (by_code, any) = &mut lists[rule.source_idx];
        match set {
            None => any.push(idx),
            Some(set) => {
                for &code in &set.codes {
                    if let Some(list) = by_code.get_mut(code as usize) {
                        list.push(idx);
                    }
                }
                if set.also_unknown {
                    any.push(idx);
                }
            }
        }
    }
    lists
        .into_iter()
        .enumerate()
        .map(|(source, (by_code, any))| {
            let spec = &catalogs.sources[source];
            let type_slot = type_slot(rules, source, spec.fields);
            let names = spec.event_types.map(EventTypes::unique_names).unwrap_or_default();
            // Many codes share one list (rules naming several types, rules for any type):
            // gate each distinct list once per event-type name.
            let mut ix = SourceIndex {
                plans: vec![GatedCandidates::default()],
                ..SourceIndex::default()
            };
            let mut known: HashMap<(Vec<RuleIdx>, Option<&str>), u32> = HashMap::from([((Vec::new(), None), 0)]);
            let mut plan_of = |ix: &mut SourceIndex, list: Vec<RuleIdx>, name: Option<&'a str>| -> u32 {
                let name = name.filter(|_| type_slot.is_some() && !list.is_empty());
                let key = (list, name);
                if let Some(&p) = known.get(&key) {
                    return p;
                }
                let p = ix.plans.len() as u32;
                let known_type = type_slot.zip(name).map(|(slot, name)| KnownType {
                    slot,
                    name: name.as_bytes(),
                });
                ix.plans
                    .push(GatedCandidates::new(key.0.clone(), known_type, |r| &rules[r].filter));
                known.insert(key, p);
                p
            };
            ix.any = plan_of(&mut ix, any, None);
            let codes: Vec<u32> = by_code
                .into_iter()
                .enumerate()
                .map(|(code, list)| plan_of(&mut ix, list, names.get(code).copied().flatten()))
                .collect();
            ix.by_code = codes;
            ix
        })
        .collect()
}

/// The global cache slot of the plain string field `evt.type` among the filters of
/// `source`'s rules, if any of them reads it.
fn type_slot(rules: &[Rule], source: usize, fields: &dyn FieldCatalog) -> Option<u32> {
    let field = fields.resolve(EVT_TYPE_FIELD, None).ok()?;
    if field.info.ty.class() != TypeClass::String {
        return None;
    }
    rules
        .iter()
        .filter(|r| r.source_idx == source)
        .flat_map(|r| &r.filter.slots)
        .find(|s| matches!(&s.extract, Extract::Field { id, arg: FieldArg::None } if *id == field.id))
        .map(|s| s.global)
}
