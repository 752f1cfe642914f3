//! Saker's `k8saudit` plugin (`libk8saudit.so`): Kubernetes audit events from a webhook
//! (http/https), files, directories or a followed log file, and the 100 `ka.*` fields.
//!
//! Identity and field semantics match Falco's k8saudit plugin 0.18.0 (id 1, source
//! `k8s_audit`), so `k8s_audit_rules.yaml` loads unchanged; the deliberate differences are in
//! `README.md` ("Differences from Falco's plugin").
#![deny(unsafe_op_in_unsafe_fn)]

pub mod audit;
pub mod config;
pub mod extract;
pub mod fields;
pub mod source;
pub mod webhook;

use plugin_api::event::PluginEvent;
use plugin_api::sdk::{
    BatchEnd, EventBatch, ExtractOutput, ExtractPlugin, ExtractRequest, FieldDef, InitInput, Logger, Metric,
    MetricValue, OpenParam, Plugin, PluginError, SourceInstance, SourcePlugin,
};

pub use config::K8sAuditConfig;
pub use extract::{AuditFieldExtractor, FieldError};
pub use fields::{field_index, FIELDS};
pub use source::{Capture, OpenTarget, SourceError};

/// Registry id of the k8saudit plugin.
pub const PLUGIN_ID: u32 = 1;
/// Event source name.
pub const EVENT_SOURCE: &str = "k8s_audit";

/// The plugin state.
pub struct K8sAuditPlugin {
    config: K8sAuditConfig,
    logger: Logger,
    extractor: AuditFieldExtractor,
    events_skipped: u64,
}

impl K8sAuditPlugin {
    /// A plugin with this config, without a host (tests, embedding).
    pub fn with_config(config: K8sAuditConfig) -> Result<Self, PluginError> {
        config.validate().map_err(PluginError::Config)?;
        Ok(K8sAuditPlugin {
            config,
            logger: Logger::disconnected(),
            extractor: AuditFieldExtractor::new(),
            events_skipped: 0,
        })
    }
}

impl Plugin for K8sAuditPlugin {
    const NAME: &'static str = "k8saudit";
    /// The Falco k8saudit release whose fields and behaviour this plugin matches.
    const VERSION: &'static str = "0.18.0";
    const DESCRIPTION: &'static str = "Read Kubernetes Audit Events and monitor Kubernetes Clusters";
    const CONTACT: &'static str = "https://github.com/saker-project/saker";
    const INIT_SCHEMA: Option<&'static str> = Some(config::INIT_SCHEMA);

    fn init(input: InitInput<'_>) -> Result<Self, PluginError> {
        let config: K8sAuditConfig = input.json()?;
        let mut plugin = Self::with_config(config)?;
        plugin.logger = *input.logger();
        if !plugin.config.unknown.is_empty() {
            let keys: Vec<&str> = plugin.config.unknown.keys().map(String::as_str).collect();
            plugin.logger.warning(&format!(
                "init_config keys {keys:?} are not used by k8saudit (known: sslCertificate, sslKey, maxEventSize, webhookMaxBatchSize, queueCapacity, useAsync)"
            ));
        }
        Ok(plugin)
    }

    fn metrics(&mut self) -> Vec<Metric> {
        vec![Metric {
            name: "events_skipped".into(),
            monotonic: true,
            value: MetricValue::U64(self.events_skipped),
        }]
    }
}

/// An open capture and the events read but not yet handed to the host.
pub struct AuditCapture {
    capture: Capture,
    pending: source::Pending,
    finished: bool,
    error: Option<SourceError>,
}

impl AuditCapture {
    /// Opens `params` (see [`OpenTarget::parse`]).
    pub fn open(plugin: &K8sAuditPlugin, params: &str) -> Result<Self, SourceError> {
        let target = OpenTarget::parse(params)?;
        Ok(AuditCapture {
            capture: Capture::open(target, params, &plugin.config)?,
            pending: source::Pending::default(),
            finished: false,
            error: None,
        })
    }

    /// The webhook's bound address, when this capture serves one.
    pub fn webhook_addr(&self) -> Option<std::net::SocketAddr> {
        self.capture.webhook().map(|w| w.local_addr())
    }
}

impl SourceInstance<K8sAuditPlugin> for AuditCapture {
    fn next_batch(&mut self, plugin: &mut K8sAuditPlugin, batch: &mut EventBatch) -> Result<BatchEnd, PluginError> {
        let max_event_size = usize::try_from(plugin.config.max_event_size).unwrap_or(usize::MAX);
        if self.pending.events.is_empty() && !self.finished && self.error.is_none() {
            match self
                .capture
                .fill(&mut self.pending, source::MAX_BATCH_EVENTS, max_event_size)
            {
                Ok(more) => self.finished = !more,
                Err(e) => self.error = Some(e),
            }
        }
        // Logged as errors: lost data must reach stderr even when only errors are logged there
        // (Falco prints "data not recognized as a k8s audit event" in that setting).
        for s in self.pending.skipped.drain(..) {
            plugin.events_skipped += 1;
            plugin
                .logger
                .error(&format!("audit event at {} skipped: {}", s.location, s.reason));
        }
        while batch.len() < source::MAX_BATCH_EVENTS {
            let Some(e) = self.pending.events.pop_front() else {
                break;
            };
            batch.push(e.timestamp_ns, &e.json)?;
        }
        if !batch.is_empty() {
            return Ok(BatchEnd::Success);
        }
        if let Some(e) = self.error.take() {
            self.finished = true;
            plugin.logger.error(&e.to_string());
            return Err(PluginError::Message(e.to_string()));
        }
        Ok(if self.finished {
            BatchEnd::Eof
        } else {
            BatchEnd::Timeout
        })
    }

    fn close(&mut self, _plugin: &mut K8sAuditPlugin) {
        self.capture.close();
    }
}

impl SourcePlugin for K8sAuditPlugin {
    const ID: u32 = PLUGIN_ID;
    const EVENT_SOURCE: &'static str = EVENT_SOURCE;
    type Instance = AuditCapture;

    fn open(&mut self, params: &str) -> Result<AuditCapture, PluginError> {
        AuditCapture::open(self, params).map_err(|e| PluginError::Message(e.to_string()))
    }

    fn list_open_params(&mut self) -> Result<Vec<OpenParam>, PluginError> {
        let p = |value: &str, desc: &str| OpenParam {
            value: value.into(),
            desc: desc.into(),
            separator: String::new(),
        };
        Ok(vec![
            p("http://:9765/k8s-audit", "audit webhook over http on port 9765"),
            p(
                "https://:9765/k8s-audit",
                "audit webhook over https (sslCertificate, sslKey)",
            ),
            p(
                "file:///var/log/kube-apiserver/audit.log",
                "follow an audit log file (new lines only)",
            ),
            p(
                "/var/log/kube-apiserver/audit.log",
                "read an audit log file (JSON lines or EventList) once",
            ),
        ])
    }

    /// The event's JSON, as Falco prints it.
    fn event_to_string(&mut self, event: &PluginEvent<'_>, out: &mut String) -> Result<(), PluginError> {
        out.push_str(&String::from_utf8_lossy(event.data));
        Ok(())
    }
}

impl ExtractPlugin for K8sAuditPlugin {
    const FIELDS: &'static [FieldDef] = &FIELDS;

    fn extract(&mut self, req: ExtractRequest<'_>, out: &mut ExtractOutput) -> Result<(), PluginError> {
        let mut sink_error = None;
        self.extractor
            .extract(req.evt_num, req.data(), req.field_index, req.arg, &mut |s: &str| {
                if let Err(e) = out.str(s) {
                    sink_error.get_or_insert(e);
                }
            })
            .map_err(|e| PluginError::Message(e.to_string()))?;
        sink_error.map_or(Ok(()), Err)
    }
}

plugin_api::saker_plugin!(K8sAuditPlugin; source, extract);
