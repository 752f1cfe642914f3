//! `countgen_rs`: a counting event source with extraction and parsing, written with Saker's SDK.
//! The same plugin as `examples/plugins/c/countgen.c`, plus the parse capability.
//!
//! - open_params: number of events (default 10); `"panic"` panics on purpose (tests the
//!   SDK's panic barrier).
//! - init config (JSON): `{"start": N}` = number of the first event (default 1).
//! - Each event's payload is the event number as a little-endian u64.
#![deny(unsafe_op_in_unsafe_fn)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use plugin_api::event::PluginEvent;
use plugin_api::sdk::{
    BatchEnd, EventBatch, ExtractOutput, ExtractPlugin, ExtractRequest, FieldArg, FieldDef, FieldType, InitInput,
    Logger, Metric, MetricValue, OpenParam, ParseInput, ParsePlugin, Plugin, PluginError, Progress, SourceInstance,
    SourcePlugin,
};

/// Registry id reserved for development plugins.
pub const COUNTGEN_ID: u32 = 999;
/// Events produced when open_params is empty.
pub const DEFAULT_EVENT_COUNT: u64 = 10;
/// Most events per `next_batch`.
pub const MAX_BATCH_EVENTS: usize = 128;
/// Timestamp of event number 0; event `n` is stamped `BASE_TS_NS + n * 1000`.
pub const BASE_TS_NS: u64 = 1_700_000_000_000_000_000;
/// Size of the payload record: the event number, little-endian.
pub const RECORD_LEN: usize = 8;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    #[serde(default = "default_start")]
    start: u64,
}
fn default_start() -> u64 {
    1
}

pub struct Countgen {
    start: u64,
    parsed: u64,
    logger: Logger,
}

impl Plugin for Countgen {
    const NAME: &'static str = "countgen_rs";
    const VERSION: &'static str = "0.1.0";
    const DESCRIPTION: &'static str = "Generates numbered events; example plugin of Saker's Rust SDK";
    const CONTACT: &'static str = "https://github.com/saker-project/saker";
    const INIT_SCHEMA: Option<&'static str> = Some(
        r#"{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","properties":{"start":{"type":"integer","minimum":0,"description":"number of the first event"}},"additionalProperties":false}"#,
    );

    fn init(input: InitInput<'_>) -> Result<Self, PluginError> {
        let config: Config = input.json()?;
        let logger = *input.logger();
        logger.info(&format!("countgen_rs initialized, first event number {}", config.start));
        Ok(Countgen {
            start: config.start,
            parsed: 0,
            logger,
        })
    }

    fn metrics(&mut self) -> Vec<Metric> {
        vec![Metric {
            name: "parsed_events".into(),
            monotonic: true,
            value: MetricValue::U64(self.parsed),
        }]
    }
}

pub struct CountgenInstance {
    next: u64,
    end: u64,
    total: u64,
}

impl SourcePlugin for Countgen {
    const ID: u32 = COUNTGEN_ID;
    const EVENT_SOURCE: &'static str = "countgen";
    type Instance = CountgenInstance;

    fn open(&mut self, params: &str) -> Result<CountgenInstance, PluginError> {
        let params = params.trim();
        if params == "panic" {
            panic!("countgen_rs was asked to panic by open_params");
        }
        let total = if params.is_empty() {
            DEFAULT_EVENT_COUNT
        } else {
            params.parse::<u64>().map_err(|e| {
                PluginError::Message(format!(
                    "open_params should be a number of events, found {params:?} ({e})"
                ))
            })?
        };
        self.logger.debug(&format!("opening countgen with {total} events"));
        Ok(CountgenInstance {
            next: self.start,
            end: self.start.saturating_add(total),
            total,
        })
    }

    fn list_open_params(&mut self) -> Result<Vec<OpenParam>, PluginError> {
        Ok(vec![OpenParam {
            value: "10".into(),
            desc: "number of events to generate".into(),
            separator: String::new(),
        }])
    }

    fn event_to_string(&mut self, event: &PluginEvent<'_>, out: &mut String) -> Result<(), PluginError> {
        use std::fmt::Write;
        write!(out, "num={}", record(event.data)?).map_err(PluginError::msg)
    }
}

impl SourceInstance<Countgen> for CountgenInstance {
    fn next_batch(&mut self, _plugin: &mut Countgen, batch: &mut EventBatch) -> Result<BatchEnd, PluginError> {
        if self.next >= self.end {
            return Ok(BatchEnd::Eof);
        }
        while batch.len() < MAX_BATCH_EVENTS && self.next < self.end {
            let n = self.next;
            batch.push(BASE_TS_NS.wrapping_add(n.wrapping_mul(1000)), &n.to_le_bytes())?;
            self.next += 1;
        }
        Ok(BatchEnd::Success)
    }

    fn get_progress(&mut self, plugin: &mut Countgen) -> Option<Progress> {
        let done = self.next - plugin.start;
        let pct = (done * 10_000).checked_div(self.total).unwrap_or(10_000) as u32;
        Some(Progress {
            pct,
            text: format!("{done}/{}", self.total),
        })
    }
}

/// Decodes the payload record.
fn record(data: &[u8]) -> Result<u64, PluginError> {
    let bytes: [u8; RECORD_LEN] = data.try_into().map_err(|_| {
        PluginError::Message(format!(
            "countgen payload should be {RECORD_LEN} bytes, found {}",
            data.len()
        ))
    })?;
    Ok(u64::from_le_bytes(bytes))
}

/// Field indexes, in `FIELDS` order.
mod field {
    pub const NUM: usize = 0;
    pub const STR: usize = 1;
    pub const EVEN: usize = 2;
    pub const RELTIME: usize = 3;
    pub const ABSTIME: usize = 4;
    pub const IP: usize = 5;
    pub const NET: usize = 6;
    pub const LIST: usize = 7;
    pub const BYINDEX: usize = 8;
    pub const BYKEY: usize = 9;
    pub const PARSED: usize = 10;
}

impl ExtractPlugin for Countgen {
    const FIELDS: &'static [FieldDef] = &[
        FieldDef::new("countgen.num", FieldType::U64, "Event number").display("Number"),
        FieldDef::new(
            "countgen.str",
            FieldType::String,
            "Event number as text, e.g. \"event-7\"",
        ),
        FieldDef::new("countgen.even", FieldType::Bool, "True when the event number is even"),
        FieldDef::new(
            "countgen.reltime",
            FieldType::RelTime,
            "Event number in microseconds, as a duration",
        ),
        FieldDef::new("countgen.abstime", FieldType::AbsTime, "Timestamp of the event"),
        FieldDef::new(
            "countgen.ip",
            FieldType::IpAddr,
            "IPv4 address 10.0.x.y built from the event number",
        ),
        FieldDef::new(
            "countgen.net",
            FieldType::IpNet,
            "IPv6 network 2001:db8::N built from the event number",
        ),
        FieldDef::new("countgen.list", FieldType::String, "1 to 3 strings item0, item1, …").list(),
        FieldDef::new(
            "countgen.byindex",
            FieldType::U64,
            "Event number times the index argument",
        )
        .index_arg(false),
        FieldDef::new(
            "countgen.bykey",
            FieldType::String,
            "The key argument and the event number, key=N",
        )
        .key_arg(true)
        .add_output(),
        FieldDef::new("countgen.parsed", FieldType::U64, "Events parsed so far by this plugin").properties(&["info"]),
    ];

    fn extract(&mut self, req: ExtractRequest<'_>, out: &mut ExtractOutput) -> Result<(), PluginError> {
        let n = record(req.data())?;
        match req.field_index {
            field::NUM => out.u64(n),
            field::STR => out.str_fmt(format_args!("event-{n}")),
            field::EVEN => out.bool(n % 2 == 0),
            field::RELTIME => out.reltime(n.wrapping_mul(1000)),
            field::ABSTIME => out.abstime(req.event.ts()),
            field::IP => out.ip(IpAddr::V4(Ipv4Addr::new(10, 0, (n >> 8) as u8, n as u8))),
            field::NET => out.ipnet(IpAddr::V6(Ipv6Addr::new(
                0x2001,
                0xdb8,
                0,
                0,
                0,
                0,
                (n >> 16) as u16,
                n as u16,
            ))),
            field::LIST => {
                for i in 0..=(n % 3) {
                    out.str_fmt(format_args!("item{i}"))?;
                }
                Ok(())
            }
            field::BYINDEX => match req.arg {
                FieldArg::Index(i) => out.u64(n.wrapping_mul(i)),
                _ => out.u64(n),
            },
            field::BYKEY => match req.arg {
                FieldArg::Key(k) => out.str_fmt(format_args!("{k}={n}")),
                _ => Err(PluginError::msg(
                    "countgen.bykey needs a key argument, e.g. countgen.bykey[name]",
                )),
            },
            field::PARSED => out.u64(self.parsed),
            other => Err(PluginError::Message(format!("unknown field index {other}"))),
        }
    }
}

impl ParsePlugin for Countgen {
    fn parse_event(&mut self, input: &ParseInput<'_>) -> Result<(), PluginError> {
        if let Some(pe) = input.plugin_event {
            record(pe.data)?;
            self.parsed += 1;
        }
        Ok(())
    }
}

plugin_api::saker_plugin!(Countgen; source, extract, parse);
