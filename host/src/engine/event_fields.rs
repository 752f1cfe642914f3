//! The rule engine's view of the event being evaluated: dispatches each field to the host or to
//! the plugin that declared it, and converts plugin results into the engine's typed values.

use std::ffi::CStr;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use plugin_api::event::EventHeader;
use plugin_api::ffi::{PPME_ASYNCEVENT_E, PPME_PLUGINEVENT_E};

use crate::plugins::{
    ExtractedValue, ExtractedValues, FieldArg as PluginArg, FieldBatch, FieldType as PluginFieldType, Plugin, ValueSink,
};
use crate::rules::fields::{FieldArg, FieldId, FieldSource, FieldType, TypeClass};
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
        out.iter_mut().for_each(Values::clear);
        let Some(p) = self.ctx.plugins.get(group.plugin) else {
            return 0;
        };
        if !p.extract_filter().matches(self.header.event_type, self.ctx.source_name) {
            return 0;
        }
        let mut sink = IntoValues::new(&group.types, out);
        if p.extract_batch_into(self.event, self.evtnum, self.ctx.source, &mut group.batch, &mut sink) == 0 {
            return 0;
        }
        sink.out.iter().filter(|v| !v.is_empty()).count()
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

    #[test]
    fn plugin_fields_are_grouped_by_plugin_in_request_order() {
        let plugin = |plugin, field| FieldOrigin::Plugin { plugin, field };
        let bindings = [
            binding(plugin(0, 3), PluginArg::None, FieldType::UInt64),
            binding(FieldOrigin::Host(HostField::Num), PluginArg::None, FieldType::UInt64),
            binding(plugin(1, 0), PluginArg::Index(2), FieldType::CharBuf),
            binding(plugin(0, 1), PluginArg::None, FieldType::Int64),
        ];
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
}
