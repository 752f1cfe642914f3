//! "officialgen": a source + extract + parse plugin built with the official Falco Rust SDK
//! (`falco_plugin` 0.5.1). Saker's host tests load it to check ABI compatibility with plugins
//! people already have. Events are plugin events whose payload is `officialgen-<n>`.

use falco_event::events::Event;
use falco_event::types::{IpNet, SystemTime as ScapTime};
use falco_plugin::anyhow::{self, Error};
use falco_plugin::base::{Json, Plugin};
use falco_plugin::extract::{field, ExtractFieldInfo, ExtractPlugin, ExtractRequest};
use falco_plugin::parse::{EventInput as ParseEventInput, ParseInput, ParsePlugin};
use falco_plugin::source::{EventBatch, EventInput, PluginEvent, SourcePlugin, SourcePluginInstance};
use falco_plugin::tables::TablesInput;
use falco_plugin::{extract_plugin, parse_plugin, plugin, source_plugin, FailureReason};
use std::ffi::{CStr, CString};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::{Duration, UNIX_EPOCH};

/// Id of this test source (not a registered id; 999 is the development id used by the C fixture).
const OFFICIALGEN_ID: u32 = 1000;

/// Init config: how many events each open produces.
#[derive(serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Number of events per capture (default 5).
    count: Option<u64>,
}

pub struct OfficialGen {
    count: u64,
    parsed: u64,
}

impl Plugin for OfficialGen {
    const NAME: &'static CStr = c"officialgen";
    const PLUGIN_VERSION: &'static CStr = c"1.2.3";
    const DESCRIPTION: &'static CStr = c"event generator built with the official Falco Rust SDK";
    const CONTACT: &'static CStr = c"saker tests";
    type ConfigType = Json<Config>;

    fn new(_input: Option<&TablesInput>, Json(config): Self::ConfigType) -> Result<Self, Error> {
        Ok(OfficialGen {
            count: config.count.unwrap_or(5),
            parsed: 0,
        })
    }
}

pub struct Instance {
    next: u64,
}

impl SourcePluginInstance for Instance {
    type Plugin = OfficialGen;

    fn next_batch(&mut self, plugin: &mut OfficialGen, batch: &mut EventBatch) -> Result<(), Error> {
        if self.next >= plugin.count {
            return Err(anyhow::anyhow!("all events sent").context(FailureReason::Eof));
        }
        let payload = format!("officialgen-{}", self.next);
        batch.add(Self::plugin_event(payload.as_bytes()))?;
        self.next += 1;
        Ok(())
    }
}

impl SourcePlugin for OfficialGen {
    type Instance = Instance;
    const EVENT_SOURCE: &'static CStr = c"officialgen";
    const PLUGIN_ID: u32 = OFFICIALGEN_ID;
    type Event<'a> = Event<PluginEvent<&'a [u8]>>;

    fn open(&mut self, params: Option<&str>) -> Result<Instance, Error> {
        if params == Some("fail") {
            anyhow::bail!("officialgen refuses to open with params 'fail'");
        }
        Ok(Instance { next: 0 })
    }

    fn event_to_string(&mut self, event: &EventInput<Self::Event<'_>>) -> Result<CString, Error> {
        let event = event.event()?;
        Ok(CString::new(format!(
            "officialgen says {}",
            String::from_utf8_lossy(event.params.event_data)
        ))?)
    }
}

fn event_number(req: &ExtractRequest<OfficialGen>) -> Result<u64, Error> {
    let event = req.event.event()?;
    let text = std::str::from_utf8(event.params.event_data)?;
    let n = text
        .strip_prefix("officialgen-")
        .ok_or_else(|| anyhow::anyhow!("unexpected payload {text}"))?;
    Ok(n.parse()?)
}

impl OfficialGen {
    fn extract_num(&mut self, req: ExtractRequest<Self>) -> Result<u64, Error> {
        event_number(&req)
    }
    fn extract_text(&mut self, req: ExtractRequest<Self>) -> Result<CString, Error> {
        Ok(CString::new(req.event.event()?.params.event_data)?)
    }
    fn extract_even(&mut self, req: ExtractRequest<Self>) -> Result<bool, Error> {
        Ok(event_number(&req)? % 2 == 0)
    }
    fn extract_rel(&mut self, req: ExtractRequest<Self>) -> Result<Duration, Error> {
        Ok(Duration::from_millis(1500 * event_number(&req)?))
    }
    fn extract_abs(&mut self, req: ExtractRequest<Self>) -> Result<ScapTime, Error> {
        Ok((UNIX_EPOCH + Duration::from_secs(1_700_000_000 + event_number(&req)?)).into())
    }
    fn extract_ip(&mut self, req: ExtractRequest<Self>) -> Result<IpAddr, Error> {
        Ok(IpAddr::V4(Ipv4Addr::new(192, 168, 0, event_number(&req)? as u8)))
    }
    fn extract_net(&mut self, req: ExtractRequest<Self>) -> Result<IpNet, Error> {
        Ok(IpNet(IpAddr::V6(Ipv6Addr::new(
            0x2001,
            0xdb8,
            0,
            0,
            0,
            0,
            0,
            event_number(&req)? as u16,
        ))))
    }
    fn extract_list(&mut self, req: ExtractRequest<Self>) -> Result<Vec<u64>, Error> {
        let n = event_number(&req)?;
        Ok(vec![n, n + 1, n + 2])
    }
    fn extract_times(&mut self, req: ExtractRequest<Self>, index: u64) -> Result<u64, Error> {
        Ok(event_number(&req)? * index)
    }
    fn extract_greet(&mut self, _req: ExtractRequest<Self>, key: &CStr) -> Result<CString, Error> {
        Ok(CString::new(format!("hello {}", key.to_string_lossy()))?)
    }
    fn extract_parsed(&mut self, _req: ExtractRequest<Self>) -> Result<u64, Error> {
        Ok(self.parsed)
    }
    fn extract_odd_only(&mut self, req: ExtractRequest<Self>) -> Result<Option<u64>, Error> {
        let n = event_number(&req)?;
        Ok((n % 2 == 1).then_some(n))
    }
    fn extract_panic(&mut self, _req: ExtractRequest<Self>) -> Result<u64, Error> {
        panic!("officialgen panics on purpose in og.panic");
    }
}

impl ExtractPlugin for OfficialGen {
    type Event<'a> = Event<PluginEvent<&'a [u8]>>;
    type ExtractContext = ();

    const EXTRACT_FIELDS: &'static [ExtractFieldInfo<Self>] = &[
        field("og.num", &Self::extract_num).with_description("event number"),
        field("og.text", &Self::extract_text)
            .with_description("payload text")
            .with_display("Text"),
        field("og.even", &Self::extract_even),
        field("og.rel", &Self::extract_rel).with_description("1.5 s per event number"),
        field("og.abs", &Self::extract_abs),
        field("og.ip", &Self::extract_ip),
        field("og.net", &Self::extract_net),
        field("og.list", &Self::extract_list),
        field("og.times", &Self::extract_times).with_description("event number times the index argument"),
        field("og.greet", &Self::extract_greet).with_description("greets the key argument"),
        field("og.parsed", &Self::extract_parsed),
        field("og.oddonly", &Self::extract_odd_only).add_output(),
        field("og.panic", &Self::extract_panic).with_description("panics"),
    ];
}

impl ParsePlugin for OfficialGen {
    type Event<'a> = Event<PluginEvent<&'a [u8]>>;

    fn parse_event(&mut self, event: &ParseEventInput<Self::Event<'_>>, _input: &ParseInput) -> Result<(), Error> {
        event.event()?;
        self.parsed += 1;
        Ok(())
    }
}

plugin!(OfficialGen);
source_plugin!(OfficialGen);
extract_plugin!(OfficialGen);
parse_plugin!(OfficialGen);
