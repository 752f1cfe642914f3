//! The rule engine's view of the event being evaluated: dispatches each field to the host or to
//! the plugin that declared it, and converts plugin results into the engine's typed values.

use std::collections::HashMap;
use std::ffi::CStr;
use std::hash::BuildHasherDefault;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use plugin_api::event::EventHeader;
use plugin_api::ffi::{PPME_ASYNCEVENT_E, PPME_PLUGINEVENT_E};

use crate::plugins::{
    ExtractedValue, ExtractedValues, FieldArg as PluginArg, FieldBatch, FieldType as PluginFieldType, Plugin, ValueSink,
};
use crate::rules::fields::{FieldArg, FieldId, FieldSetKey, FieldSource, FieldType, TypeClass};
use crate::rules::value::Values;

use super::catalog::{Binding, FieldOrigin};

/// Byte offset of the async event name (header + three u32 lengths + plugin id).
const ASYNC_NAME_OFFSET: usize = 42;

/// Per-source state reused across events (no allocation per event).
pub struct FieldContext<'a> {
    pub plugins: &'a [Plugin],
    pub bindings: &'a [Binding],
    pub source: &'a CStr,
    pub source_name: &'a str,
    /// Index in `plugins` of the plugin that produced this source's events.
    pub source_plugin: Option<usize>,
    pub hostname: &'a str,
    pub scratch: ExtractedValues,
    /// What `extract_together` prepared for each list of fields it was given (per ruleset
    /// generation: the plans follow `bindings`).
    pub together: FieldSets,
}

/// Most field lists [`FieldSets`] keeps plans for; past it they are forgotten and prepared
/// again (a bound on memory, far above what a ruleset's outputs need).
const MAX_FIELD_SETS: usize = 4096;

/// Plugin calls prepared for the field lists given to [`FieldSource::extract_together`].
#[derive(Default)]
pub struct FieldSets {
    plans: HashMap<FieldSetKey, Vec<GroupPlan>, BuildHasherDefault<KeyHasher>>,
    /// Scratch buffers a group's values are extracted into before they are handed on.
    values: Vec<Values>,
}

/// One plugin's fields of a field list: `positions[i]` is the place in the list of the
/// group's `i`-th field.
struct GroupPlan {
    group: PluginFieldGroup,
    positions: Vec<usize>,
}

impl FieldSets {
    fn plan(bindings: &[Binding], fields: &[FieldId]) -> Vec<GroupPlan> {
        PluginFieldGroup::group(bindings, fields)
            .into_iter()
            .map(|group| {
                let positions = fields
                    .iter()
                    .enumerate()
                    .filter(|(_, id)| {
                        bindings.get(id.0 as usize).is_some_and(
                            |b| matches!(b.origin, FieldOrigin::Plugin { plugin, .. } if plugin == group.plugin),
                        )
                    })
                    .map(|(i, _)| i)
                    .collect();
                GroupPlan { group, positions }
            })
            .collect()
    }
}

/// One event plus the context needed to extract its fields.
pub struct EventFields<'e, 'c> {
    pub ctx: &'e mut FieldContext<'c>,
    pub event: &'e [u8],
    pub evtnum: u64,
    pub header: EventHeader,
    pub first_timestamp: u64,
}

impl EventFields<'_, '_> {
    pub fn timestamp(&self) -> u64 {
        self.header.ts
    }

    pub fn event_type(&self) -> u16 {
        self.header.event_type
    }

    pub fn source_name(&self) -> &str {
        self.ctx.source_name
    }

    pub fn source_plugin_name(&self) -> Option<&str> {
        let plugin = self.ctx.plugins.get(self.ctx.source_plugin?)?;
        (self.header.event_type == PPME_PLUGINEVENT_E).then(|| plugin.name())
    }

    /// The source plugin's `event_to_string` of a plugin event.
    pub fn plugin_info(&self) -> Option<String> {
        let plugin = self.ctx.plugins.get(self.ctx.source_plugin?)?;
        (self.header.event_type == PPME_PLUGINEVENT_E)
            .then(|| plugin.event_to_string(self.event, self.evtnum, self.ctx.source))
    }

    /// The name of an async event (without its NUL).
    pub fn async_name(&self) -> Option<&[u8]> {
        if self.header.event_type != PPME_ASYNCEVENT_E {
            return None;
        }
        let rest = self.event.get(ASYNC_NAME_OFFSET..)?;
        let end = rest.iter().position(|&b| b == 0)?;
        Some(&rest[..end])
    }
}

impl FieldSource for EventFields<'_, '_> {
    fn extract(&mut self, field: FieldId, _arg: &FieldArg, out: &mut Values) -> bool {
        let Some(binding) = self.ctx.bindings.get(field.0 as usize) else {
            return false;
        };
        match binding.origin {
            FieldOrigin::Host(host) => host.extract(self, out),
            FieldOrigin::Plugin { plugin, field } => {
                let Some(p) = self.ctx.plugins.get(plugin) else {
                    return false;
                };
                if !p.extract_filter().matches(self.header.event_type, self.ctx.source_name) {
                    return false;
                }
                let mut sink = IntoValues::new(std::slice::from_ref(&binding.ty), std::slice::from_mut(out));
                p.extract_into(
                    self.event,
                    self.evtnum,
                    self.ctx.source,
                    field,
                    &binding.plugin_arg,
                    &mut sink,
                    0,
                ) && !out.is_empty()
            }
        }
    }

    fn extract_together(&mut self, key: FieldSetKey, fields: &[FieldId], store: &mut dyn FnMut(usize, &mut Values)) {
        self.extract_plugin_groups(key, fields, store);
    }
}

impl EventFields<'_, '_> {
    /// [`FieldSource::extract_together`]: one `extract_group` per plugin among `fields`.
    fn extract_plugin_groups(
        &mut self,
        key: FieldSetKey,
        fields: &[FieldId],
        store: &mut dyn FnMut(usize, &mut Values),
    ) {
        let EventFields {
            ctx,
            event,
            evtnum,
            header,
            ..
        } = self;
        let FieldContext {
            plugins,
            bindings,
            source,
            source_name,
            together,
            ..
        } = &mut **ctx;
        if together.plans.len() >= MAX_FIELD_SETS && !together.plans.contains_key(&key) {
            together.plans.clear();
        }
        let plans = together
            .plans
            .entry(key)
            .or_insert_with(|| FieldSets::plan(bindings, fields));
        for plan in plans.iter_mut() {
            let n = plan.positions.len();
            if together.values.len() < n {
                together.values.resize_with(n, Values::default);
            }
            let out = &mut together.values[..n];
            let call = GroupCall {
                plugins,
                source,
                source_name,
                event,
                evtnum: *evtnum,
                event_type: header.event_type,
            };
            call.extract(&mut plan.group, out);
            for (values, &position) in out.iter_mut().zip(&plan.positions) {
                store(position, values);
            }
        }
    }
}

/// What [`EventFields::extract_group`] needs of the event and its context.
struct GroupCall<'a> {
    plugins: &'a [Plugin],
    source: &'a CStr,
    source_name: &'a str,
    event: &'a [u8],
    evtnum: u64,
    event_type: u16,
}

impl GroupCall<'_> {
    fn extract(&self, group: &mut PluginFieldGroup, out: &mut [Values]) -> usize {
        out.iter_mut().for_each(Values::clear);
        let Some(p) = self.plugins.get(group.plugin) else {
            return 0;
        };
        if !p.extract_filter().matches(self.event_type, self.source_name) {
            return 0;
        }
        let mut sink = IntoValues::new(&group.types, out);
        if p.extract_batch_into(self.event, self.evtnum, self.source, &mut group.batch, &mut sink) == 0 {
            return 0;
        }
        sink.out.iter().filter(|v| !v.is_empty()).count()
    }
}

/// Hashes a [`FieldSetKey`] (two ids of the process, no adversary) with one multiply per word.
#[derive(Default, Clone, Copy)]
struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(29) ^ word).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// Catalog fields of one plugin that the engine wants from the same events, extracted with one
/// `extract_fields` call per event by [`EventFields::extract_group`] instead of one call per
/// field. Built once (e.g. per rule), reused for every event.
pub struct PluginFieldGroup {
    /// Index of the plugin in `FieldContext::plugins`.
    plugin: usize,
    ids: Vec<FieldId>,
    types: Vec<FieldType>,
    batch: FieldBatch,
}

impl PluginFieldGroup {
    /// Groups the plugin fields among `fields` by plugin, in first-seen order; host fields and
    /// unknown ids are left out (extract those one by one with [`FieldSource::extract`]).
    pub fn group(bindings: &[Binding], fields: &[FieldId]) -> Vec<PluginFieldGroup> {
        let mut groups: Vec<PluginFieldGroup> = Vec::new();
        let mut requests: Vec<Vec<(u32, PluginArg)>> = Vec::new();
        for &id in fields {
            let Some(binding) = bindings.get(id.0 as usize) else {
                continue;
            };
            let FieldOrigin::Plugin { plugin, field } = binding.origin else {
                continue;
            };
            let i = match groups.iter().position(|g| g.plugin == plugin) {
                Some(i) => i,
                None => {
                    groups.push(PluginFieldGroup {
                        plugin,
                        ids: Vec::new(),
                        types: Vec::new(),
                        batch: FieldBatch::default(),
                    });
                    requests.push(Vec::new());
                    groups.len() - 1
                }
            };
            groups[i].ids.push(id);
            groups[i].types.push(binding.ty);
            requests[i].push((field, binding.plugin_arg.clone()));
        }
        for (group, requests) in groups.iter_mut().zip(requests) {
            group.batch = FieldBatch::new(requests);
        }
        groups
    }

    /// The group's fields, in the order [`EventFields::extract_group`] fills its output.
    pub fn field_ids(&self) -> &[FieldId] {
        &self.ids
    }

    /// Index of the plugin in `FieldContext::plugins`.
    pub fn plugin(&self) -> usize {
        self.plugin
    }
}

impl EventFields<'_, '_> {
    /// Extracts every field of `group` from this event with one plugin call: `out[i]` is
    /// cleared and receives the values of `group.field_ids()[i]`, exactly as
    /// [`FieldSource::extract`] would give them. Returns how many fields have values.
    pub fn extract_group(&mut self, group: &mut PluginFieldGroup, out: &mut [Values]) -> usize {
        GroupCall {
            plugins: self.ctx.plugins,
            source: self.ctx.source,
            source_name: self.ctx.source_name,
            event: self.event,
            evtnum: self.evtnum,
            event_type: self.header.event_type,
        }
        .extract(group, out)
    }
}

/// Converts plugin values into the engine's value buffers (field `i` of the plugin call into
/// `out[i]`, as engine type `types[i]`) while the plugin host reads them from the plugin.
struct IntoValues<'a> {
    types: &'a [FieldType],
    out: &'a mut [Values],
    /// The field being written is an ipnet field of the plugin.
    net: bool,
}

impl<'a> IntoValues<'a> {
    fn new(types: &'a [FieldType], out: &'a mut [Values]) -> IntoValues<'a> {
        IntoValues { types, out, net: false }
    }
}

impl ValueSink for IntoValues<'_> {
    fn start(&mut self, field: usize, ty: PluginFieldType) {
        self.net = ty == PluginFieldType::Ipnet;
        if let Some(out) = self.out.get_mut(field) {
            out.clear();
        }
    }

    fn push(&mut self, field: usize, value: ExtractedValue<'_>) {
        if let (Some(&ty), Some(out)) = (self.types.get(field), self.out.get_mut(field)) {
            push_converted(value, ty, self.net, out);
        }
    }

    fn clear(&mut self, field: usize) {
        if let Some(out) = self.out.get_mut(field) {
            out.clear();
        }
    }
}

/// Appends one plugin value as engine type `ty` (`net`: the plugin declared it ipnet).
#[inline]
fn push_converted(value: ExtractedValue<'_>, ty: FieldType, net: bool, out: &mut Values) {
    match value {
        ExtractedValue::U64(v) if matches!(ty.class(), TypeClass::Signed) => out.push_i64(v as i64),
        ExtractedValue::U64(v) if ty == FieldType::Double => out.push_f64(f64::from_bits(v)),
        ExtractedValue::U64(v) => out.push_u64(v),
        ExtractedValue::Bool(b) => out.push_bool(b),
        ExtractedValue::Str(s) => out.push_bytes(s),
        ExtractedValue::Ip(bytes) => {
            let Some(ip) = ip_from_bytes(bytes) else { return };
            if net {
                // The ABI carries only the address of an ipnet value.
                out.push_net(ip, if ip.is_ipv4() { 32 } else { 128 });
            } else {
                out.push_ip(ip);
            }
        }
    }
}

fn ip_from_bytes(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => Some(IpAddr::V4(Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]))),
        16 => {
            let arr: [u8; 16] = bytes.try_into().ok()?;
            Some(IpAddr::V6(Ipv6Addr::from(arr)))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::host_fields::HostField;

    fn binding(origin: FieldOrigin, arg: PluginArg, ty: FieldType) -> Binding {
        Binding {
            origin,
            plugin_arg: arg,
            ty,
            base: 0,
        }
    }

    /// Fields 0 and 3 of plugin 0, field 0 of plugin 1 with an index argument, and a host field.
    fn two_plugins_and_a_host_field() -> [Binding; 4] {
        let plugin = |plugin, field| FieldOrigin::Plugin { plugin, field };
        [
            binding(plugin(0, 3), PluginArg::None, FieldType::UInt64),
            binding(FieldOrigin::Host(HostField::Num), PluginArg::None, FieldType::UInt64),
            binding(plugin(1, 0), PluginArg::Index(2), FieldType::CharBuf),
            binding(plugin(0, 1), PluginArg::None, FieldType::Int64),
        ]
    }

    #[test]
    fn plugin_fields_are_grouped_by_plugin_in_request_order() {
        let bindings = two_plugins_and_a_host_field();
        let ids = [FieldId(3), FieldId(1), FieldId(2), FieldId(0), FieldId(99)];
        let groups = PluginFieldGroup::group(&bindings, &ids);
        assert_eq!(groups.len(), 2, "the host field and the unknown id are left out");
        assert_eq!(groups[0].plugin(), 0);
        assert_eq!(groups[0].field_ids(), &[FieldId(3), FieldId(0)]);
        assert_eq!(groups[0].types, vec![FieldType::Int64, FieldType::UInt64]);
        assert_eq!(groups[0].batch.fields(), &[(1, PluginArg::None), (3, PluginArg::None)]);
        assert_eq!(groups[1].plugin(), 1);
        assert_eq!(groups[1].batch.fields(), &[(0, PluginArg::Index(2))]);
    }

    /// A plan's groups give each of their fields' place in the list asked for, so that values
    /// extracted together reach the fields they belong to.
    #[test]
    fn field_set_plans_map_group_fields_to_their_places() {
        let bindings = two_plugins_and_a_host_field();
        let fields = [FieldId(2), FieldId(1), FieldId(3), FieldId(99), FieldId(0)];
        let plans = FieldSets::plan(&bindings, &fields);
        let shown: Vec<(usize, &[FieldId], &[usize])> = plans
            .iter()
            .map(|p| (p.group.plugin(), p.group.field_ids(), p.positions.as_slice()))
            .collect();
        assert_eq!(
            shown,
            [
                (1, &[FieldId(2)][..], &[0][..]),
                (0, &[FieldId(3), FieldId(0)][..], &[2, 4][..])
            ]
        );
    }
}
