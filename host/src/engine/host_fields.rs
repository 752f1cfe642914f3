//! The fields the host computes itself for every event source, from the event header and the
//! engine's context (libsinsp's generic event fields: `evt.num`, `evt.time*`, `evt.source`,
//! `evt.plugininfo`, `evt.hostname` …).

use crate::rules::fields::{FieldInfo, FieldType};
use crate::rules::output::alert::{iso8601_offset, local_clock, local_datetime};
use crate::rules::value::Values;

use super::event_fields::EventFields;

/// One host-computed field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HostField {
    Num,
    Time,
    TimeS,
    TimeIso8601,
    Datetime,
    DatetimeS,
    Rawtime,
    RawtimeS,
    RawtimeNs,
    Reltime,
    ReltimeS,
    ReltimeNs,
    PluginName,
    PluginInfo,
    Source,
    IsAsync,
    AsyncType,
    Hostname,
}

const NANOS: u64 = 1_000_000_000;

impl HostField {
    pub const ALL: &'static [HostField] = &[
        HostField::Num,
        HostField::Time,
        HostField::TimeS,
        HostField::TimeIso8601,
        HostField::Datetime,
        HostField::DatetimeS,
        HostField::Rawtime,
        HostField::RawtimeS,
        HostField::RawtimeNs,
        HostField::Reltime,
        HostField::ReltimeS,
        HostField::ReltimeNs,
        HostField::PluginName,
        HostField::PluginInfo,
        HostField::Source,
        HostField::IsAsync,
        HostField::AsyncType,
        HostField::Hostname,
    ];

    /// Name, type and description as `--list` shows them.
    pub fn info(self) -> FieldInfo {
        use FieldType::*;
        let (name, ty, desc) = match self {
            HostField::Num => ("evt.num", UInt64, "event number."),
            HostField::Time => ("evt.time", CharBuf, "event timestamp as a time string that includes the nanosecond part."),
            HostField::TimeS => ("evt.time.s", CharBuf, "event timestamp as a time string with no nanoseconds."),
            HostField::TimeIso8601 => ("evt.time.iso8601", CharBuf, "event timestamp in ISO 8601 format, including nanoseconds and time zone offset (in UTC)."),
            HostField::Datetime => ("evt.datetime", CharBuf, "event timestamp as a time string that includes the date."),
            HostField::DatetimeS => ("evt.datetime.s", CharBuf, "event timestamp as a datetime string with no nanoseconds."),
            HostField::Rawtime => ("evt.rawtime", AbsTime, "absolute event timestamp, i.e. nanoseconds from epoch."),
            HostField::RawtimeS => ("evt.rawtime.s", AbsTime, "integer part of the event timestamp (e.g. seconds since epoch)."),
            HostField::RawtimeNs => ("evt.rawtime.ns", AbsTime, "fractional part of the absolute event timestamp."),
            HostField::Reltime => ("evt.reltime", RelTime, "number of nanoseconds from the beginning of the capture."),
            HostField::ReltimeS => ("evt.reltime.s", RelTime, "number of seconds from the beginning of the capture."),
            HostField::ReltimeNs => ("evt.reltime.ns", RelTime, "fractional part (in ns) of the time from the beginning of the capture."),
            HostField::PluginName => ("evt.pluginname", CharBuf, "if the event comes from a plugin-defined event source, the name of the plugin that generated it."),
            HostField::PluginInfo => ("evt.plugininfo", CharBuf, "if the event comes from a plugin-defined event source, a summary of the event as formatted by the plugin."),
            HostField::Source => ("evt.source", CharBuf, "the name of the source that produced the event."),
            HostField::IsAsync => ("evt.is_async", Bool, "'true' for asynchronous events, 'false' otherwise."),
            HostField::AsyncType => ("evt.asynctype", CharBuf, "if the event is asynchronous, the type of the event."),
            HostField::Hostname => ("evt.hostname", CharBuf, "the hostname of the host (FALCO_HOSTNAME or SAKER_HOSTNAME overrides it)."),
        };
        FieldInfo::new(name, ty, desc)
    }

    /// Computes the field for the current event; false when it has no value.
    pub fn extract(self, ev: &EventFields<'_, '_>, out: &mut Values) -> bool {
        let ts = ev.timestamp();
        match self {
            HostField::Num => out.push_u64(ev.evtnum),
            HostField::Time => out.push_str(&local_clock(ts)),
            HostField::TimeS => out.push_str(&local_clock(ts)[..8]),
            HostField::TimeIso8601 => out.push_str(&iso8601_offset(ts)),
            HostField::Datetime => out.push_str(&local_datetime(ts, true)),
            HostField::DatetimeS => out.push_str(&local_datetime(ts, false)),
            HostField::Rawtime => out.push_u64(ts),
            HostField::RawtimeS => out.push_u64(ts / NANOS),
            HostField::RawtimeNs => out.push_u64(ts % NANOS),
            HostField::Reltime => out.push_u64(ts.saturating_sub(ev.first_timestamp)),
            HostField::ReltimeS => out.push_u64(ts.saturating_sub(ev.first_timestamp) / NANOS),
            HostField::ReltimeNs => out.push_u64(ts.saturating_sub(ev.first_timestamp) % NANOS),
            HostField::PluginName => match ev.source_plugin_name() {
                Some(name) => out.push_str(name),
                None => return false,
            },
            HostField::PluginInfo => match ev.plugin_info() {
                Some(text) => out.push_str(&text),
                None => return false,
            },
            HostField::Source => out.push_str(ev.source_name()),
            HostField::IsAsync => out.push_bool(ev.event_type() == plugin_api::ffi::PPME_ASYNCEVENT_E),
            HostField::AsyncType => match ev.async_name() {
                Some(name) => out.push_bytes(name),
                None => return false,
            },
            HostField::Hostname => out.push_str(ev.ctx.hostname),
        }
        true
    }
}

/// The hostname alerts carry: `FALCO_HOSTNAME` (as Falco) or `SAKER_HOSTNAME`, else the
/// kernel's hostname.
pub fn hostname() -> String {
    for var in ["FALCO_HOSTNAME", "SAKER_HOSTNAME"] {
        if let Ok(v) = std::env::var(var) {
            if !v.is_empty() {
                return v;
            }
        }
    }
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "localhost".to_string())
}
