//! The rule engine's view of the event being evaluated: dispatches each field to the host or to
//! the plugin that declared it, and converts plugin results into the engine's typed values.

use std::ffi::CStr;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use plugin_api::event::EventHeader;
use plugin_api::ffi::{PPME_ASYNCEVENT_E, PPME_PLUGINEVENT_E};

use crate::plugins::{ExtractedValue, ExtractedValues, FieldType as PluginFieldType, Plugin};
use crate::rules::fields::{FieldArg, FieldId, FieldSource};
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
                let scratch = &mut self.ctx.scratch;
                if !p.extract(self.event, self.evtnum, self.ctx.source, field, &binding.plugin_arg, scratch) {
                    return false;
                }
                convert(scratch, out)
            }
        }
    }
}

/// Copies plugin results into the engine's value buffer; false when there are none.
fn convert(from: &ExtractedValues, out: &mut Values) -> bool {
    let net = from.field_type() == Some(PluginFieldType::Ipnet);
    for value in from.iter() {
        match value {
            ExtractedValue::U64(v) => out.push_u64(v),
            ExtractedValue::Bool(b) => out.push_bool(b),
            ExtractedValue::Str(s) => out.push_bytes(s),
            ExtractedValue::Ip(bytes) => {
                let Some(ip) = ip_from_bytes(bytes) else { continue };
                if net {
                    // The ABI carries only the address of an ipnet value.
                    out.push_net(ip, if ip.is_ipv4() { 32 } else { 128 });
                } else {
                    out.push_ip(ip);
                }
            }
        }
    }
    !out.is_empty()
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
