//! The plugin shell: init (config, runtimes, the `threads` table), parse (container id of
//! threads at clone/execve, container events of captures, container exit) and extract.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use plugin_api::event::EventRef;
use plugin_api::sdk::{
    Entry, ExtractOutput, ExtractPlugin, ExtractRequest, FieldArg, FieldDef, InitInput, Logger, Metric, MetricValue,
    ParseInput, ParsePlugin, Plugin, PluginError, StateType, StateValue, Table, TableField, TableReader,
};

use crate::cgroup::{paths_of, CgroupMatch, CgroupMatcher};
use crate::config::{ContainerConfig, HOST_ROOT_ENV, INIT_SCHEMA};
use crate::containers::ContainerCache;
use crate::fields::{value, Field, Subject, FIELDS};
use crate::info::{ContainerInfo, ContainerType};

/// Name of the host table the plugin reads and extends.
pub const THREADS_TABLE: &str = "threads";
/// Field the plugin adds to `threads`: the thread's container id (`""` = host).
pub const CONTAINER_ID_FIELD: &str = "container_id";
/// Field of `threads` with the thread's cgroups, one `subsystem=path` per line.
pub const CGROUPS_FIELD: &str = "cgroups";

/// Event codes (libscap) the plugin parses.
pub mod codes {
    pub const CLONE_20_X: u16 = 223;
    pub const FORK_20_X: u16 = 225;
    pub const VFORK_20_X: u16 = 227;
    pub const CLONE3_X: u16 = 335;
    pub const EXECVE_16_X: u16 = 231;
    pub const EXECVE_17_X: u16 = 283;
    pub const EXECVE_18_X: u16 = 289;
    pub const EXECVE_19_X: u16 = 293;
    pub const EXECVEAT_X: u16 = 331;
    pub const CHROOT_X: u16 = 267;
    pub const PROCEXIT_1_E: u16 = 186;
    pub const CONTAINER_E: u16 = 228;
    pub const CONTAINER_JSON_E: u16 = 272;
    pub const CONTAINER_JSON_2_E: u16 = 324;
}

const PARSE_TYPES: &[u16] = &[
    codes::CLONE_20_X,
    codes::FORK_20_X,
    codes::VFORK_20_X,
    codes::CLONE3_X,
    codes::EXECVE_16_X,
    codes::EXECVE_17_X,
    codes::EXECVE_18_X,
    codes::EXECVE_19_X,
    codes::EXECVEAT_X,
    codes::CHROOT_X,
    codes::PROCEXIT_1_E,
    codes::CONTAINER_E,
    codes::CONTAINER_JSON_E,
    codes::CONTAINER_JSON_2_E,
];

/// Handles on the `threads` table obtained at init.
struct Threads {
    table: Table,
    container_id: TableField,
    cgroups: Option<TableField>,
    pidns_init_start_ts: Option<TableField>,
    vtid: Option<TableField>,
    vpid: Option<TableField>,
}

/// What one event's thread resolves to, kept for the event's other fields. One value is
/// reused from event to event, so resolving a thread allocates nothing.
#[derive(Default)]
struct EventSubject {
    /// The event this is for; `None` after a parse (the table may have changed).
    evt_num: Option<u64>,
    /// The event's thread id, to read `pidns_init_start_ts` when a field first needs it.
    tid: i64,
    container_id: String,
    info: Option<Arc<ContainerInfo>>,
    sandbox: Option<Arc<ContainerInfo>>,
    /// `None` until `container.start_ts`/`container.duration` ask for it (0 = unknown).
    pidns_init_start_ts: Option<u64>,
    /// False when the thread is not in the table: then no field has a value.
    thread_found: bool,
}

/// The last `cgroups` text matched and what it matched: the threads of one cgroup share it,
/// and the events of a host workload come from a few cgroups. Matching is a pure function of
/// the text (and the fixed configuration), so the memo cannot disagree with a fresh match.
#[derive(Default)]
struct LastCgroups {
    text: String,
    found: Option<CgroupMatch>,
}

impl LastCgroups {
    fn matched(&mut self, matcher: &CgroupMatcher, cgroups: &str) -> Option<&CgroupMatch> {
        if self.text != cgroups {
            self.found = matcher.match_paths(paths_of(cgroups));
            self.text.clear();
            self.text.push_str(cgroups);
        }
        self.found.as_ref()
    }
}

/// The plugin state.
pub struct ContainerPlugin {
    logger: Logger,
    matcher: CgroupMatcher,
    cache: ContainerCache,
    host: Arc<ContainerInfo>,
    threads: Option<Threads>,
    /// The container of the last container event, for that event's own fields.
    last_container: Option<(u64, Arc<ContainerInfo>)>,
    /// Container whose init exited; forgotten at the next parsed event, after the exit
    /// event's own fields were extracted.
    exited: Option<String>,
    current: EventSubject,
    last_cgroups: LastCgroups,
    /// Table errors (reads and writes) since start.
    table_errors: u64,
}

impl ContainerPlugin {
    /// A plugin without host tables (tests, embedding): ids come from [`Self::container_of`].
    pub fn with_config(config: &ContainerConfig, logger: Logger) -> Result<Self, PluginError> {
        config.validate().map_err(PluginError::Config)?;
        let host_root = std::env::var_os(HOST_ROOT_ENV).map_or_else(|| PathBuf::from("/"), PathBuf::from);
        let runtimes = config.runtimes(&host_root);
        for ep in &runtimes.endpoints {
            logger.info(&format!(
                "container plugin: asking {} at {}",
                ep.ty.as_str(),
                ep.socket.display()
            ));
        }
        for ep in &runtimes.cri {
            logger.info(&format!("container plugin: asking CRI at {}", ep.socket().display()));
        }
        let (preexisting, errors) = runtimes.list_all();
        for e in errors {
            logger.warning(&format!("container plugin: listing containers failed: {e}"));
        }
        let cache = ContainerCache::new(runtimes, Duration::from_millis(config.lookup_wait_ms));
        for info in preexisting {
            cache.insert(info);
        }
        let fixed = &config.engines.fixed;
        if fixed.enabled {
            cache.insert(ContainerInfo::fixed(
                &fixed.container_id,
                &fixed.container_name,
                &fixed.container_image,
            ));
        }
        Ok(ContainerPlugin {
            logger,
            matcher: config.matcher(),
            cache,
            host: Arc::new(ContainerInfo::host()),
            threads: None,
            last_container: None,
            exited: None,
            current: EventSubject::default(),
            last_cgroups: LastCgroups::default(),
            table_errors: 0,
        })
    }

    /// The cache of known containers.
    pub fn cache(&self) -> &ContainerCache {
        &self.cache
    }

    /// The container id of a thread with these cgroups (`subsystem=path` lines; `""` = host).
    /// Containers of cgroup-only engines are recorded at once.
    pub fn container_of(&self, cgroups: &str) -> String {
        let Some(m) = self.matcher.match_paths(paths_of(cgroups)) else {
            return String::new();
        };
        record_cgroup_only(&self.cache, &m);
        m.id
    }

    /// The metadata of `id` (`""` = the host entry), asking the runtimes at first sight.
    pub fn info_of(&self, id: &str) -> Option<Arc<ContainerInfo>> {
        if id.is_empty() {
            return Some(self.host.clone());
        }
        self.cache.resolve(id)
    }

    /// Resolves the thread of event `evt_num` once for all its fields.
    fn subject_of(&mut self, event: &EventRef<'_>, evt_num: u64, tables: &TableReader<'_>) -> &EventSubject {
        if self.current.evt_num == Some(evt_num) {
            return &self.current;
        }
        let subject = &mut self.current;
        subject.evt_num = Some(evt_num);
        subject.tid = event.tid() as i64;
        subject.container_id.clear();
        subject.sandbox = None;
        subject.pidns_init_start_ts = None;
        subject.thread_found = false;
        let is_container_event = matches!(
            event.event_type(),
            codes::CONTAINER_E | codes::CONTAINER_JSON_E | codes::CONTAINER_JSON_2_E
        );
        match &self.last_container {
            Some((n, info)) if is_container_event && *n == evt_num => {
                subject.container_id.push_str(&info.id);
                subject.info = Some(info.clone());
                subject.pidns_init_start_ts = Some(0);
                subject.thread_found = true;
            }
            _ => {
                if let Some(t) = &self.threads {
                    if let Ok(Some(entry)) = tables.entry(&t.table, StateValue::I64(subject.tid)) {
                        subject.thread_found = true;
                        let id =
                            entry_container_id(t, tables, &entry, &mut self.last_cgroups, &self.matcher, &self.cache);
                        subject.container_id.push_str(id);
                    }
                }
                subject.info = if !subject.thread_found {
                    None
                } else if subject.container_id.is_empty() {
                    // Host threads: keep the host entry already held instead of cloning it.
                    match subject.info.take() {
                        Some(held) if Arc::ptr_eq(&held, &self.host) => Some(held),
                        _ => Some(self.host.clone()),
                    }
                } else {
                    self.cache.resolve(&subject.container_id)
                };
            }
        }
        if let Some(info) = &subject.info {
            if !info.pod_sandbox_id.is_empty() {
                subject.sandbox = self
                    .cache
                    .known(crate::truncate(&info.pod_sandbox_id, crate::cgroup::SHORT_ID_LEN));
            }
        }
        &self.current
    }

    /// The `pidns_init_start_ts` of the current event's thread, read at the first field that
    /// needs it (0 = unknown).
    fn current_pidns_init_start_ts(&mut self, tables: &TableReader<'_>) -> u64 {
        if let Some(ts) = self.current.pidns_init_start_ts {
            return ts;
        }
        let ts = self
            .threads
            .as_ref()
            .and_then(|t| {
                let entry = tables.entry(&t.table, StateValue::I64(self.current.tid)).ok()??;
                read_num(t, tables, &entry, t.pidns_init_start_ts.as_ref())
            })
            .and_then(|v| u64::try_from(v).ok())
            .unwrap_or(0);
        self.current.pidns_init_start_ts = Some(ts);
        ts
    }

    /// clone/fork/execve/chroot exit: (re)computes the thread's container id.
    fn parse_process_event(&mut self, input: &ParseInput<'_>) -> Result<(), PluginError> {
        let res = input
            .event
            .param(0)
            .and_then(|p| p.get(..8))
            .map(|b| i64::from_le_bytes(b.try_into().unwrap_or_default()));
        if res.is_none_or(|r| r < 0) {
            return Ok(());
        }
        let Some(t) = &self.threads else { return Ok(()) };
        let tid = input.event.tid() as i64;
        let Ok(Some(entry)) = input.tables.entry(&t.table, StateValue::I64(tid)) else {
            return Ok(());
        };
        let cgroups = t
            .cgroups
            .as_ref()
            .and_then(|f| read_str(t, &input.tables, &entry, f))
            .unwrap_or_default();
        let found = self.last_cgroups.matched(&self.matcher, cgroups);
        if let Some(m) = found {
            record_cgroup_only(&self.cache, m);
        }
        let id = found.map_or("", |m| m.id.as_str());
        if let Err(e) = input
            .writer
            .write(&t.table, &entry, &t.container_id, StateValue::Str(id))
        {
            if self.table_errors == 0 {
                self.logger.warning(&format!(
                    "container plugin: cannot record the container of thread {tid}: {e}"
                ));
            }
            self.table_errors += 1;
        }
        if !id.is_empty() {
            self.cache.resolve(id);
        }
        Ok(())
    }

    /// Exit of a container's init (vtid = vpid = 1): the container is gone.
    fn parse_procexit(&mut self, input: &ParseInput<'_>) {
        let Some(t) = &self.threads else { return };
        let tid = input.event.tid() as i64;
        let Ok(Some(entry)) = input.tables.entry(&t.table, StateValue::I64(tid)) else {
            return;
        };
        let vtid = read_num(t, &input.tables, &entry, t.vtid.as_ref());
        let vpid = read_num(t, &input.tables, &entry, t.vpid.as_ref());
        if vtid == Some(1) && vpid == Some(1) {
            let id = entry_container_id(
                t,
                &input.tables,
                &entry,
                &mut self.last_cgroups,
                &self.matcher,
                &self.cache,
            );
            if !id.is_empty() {
                self.exited = Some(id.to_owned());
            }
        }
    }

    /// Container events of captures: legacy `container` (id, type, name, image) and JSON.
    fn parse_container_event(&mut self, input: &ParseInput<'_>) -> Result<(), PluginError> {
        let ev = &input.event;
        let info = if ev.event_type() == codes::CONTAINER_E {
            let text = |i: usize| {
                let raw = ev.param(i).unwrap_or_default();
                String::from_utf8_lossy(raw.strip_suffix(&[0]).unwrap_or(raw)).into_owned()
            };
            let ty = ev
                .param(1)
                .and_then(|p| p.get(..4))
                .map_or(0xffff, |b| u32::from_le_bytes(b.try_into().unwrap_or_default()));
            let image = text(3);
            let (repo, tag, digest) = crate::info::split_image_ref(&image);
            ContainerInfo {
                name: text(2),
                image_repo: repo.to_owned(),
                image_tag: tag.to_owned(),
                image_digest: digest.to_owned(),
                image: image.clone(),
                ..ContainerInfo::minimal(&text(0), ContainerType::from_code(ty.into()))
            }
        } else {
            let raw = ev.param(0).unwrap_or_default();
            let raw = raw.strip_suffix(&[0]).unwrap_or(raw);
            ContainerInfo::from_falco_json(raw).map_err(|e| {
                PluginError::Message(format!(
                    "container plugin: event {} carries container JSON that does not parse: {e}",
                    input.evt_num
                ))
            })?
        };
        if info.id.is_empty() || info.ty == ContainerType::Host {
            return Ok(());
        }
        let info = Arc::new(info);
        self.cache.insert((*info).clone());
        self.last_container = Some((input.evt_num, info));
        Ok(())
    }
}

/// Cgroup-only engines have no runtime to ask: their containers are recorded at first sight.
fn record_cgroup_only(cache: &ContainerCache, m: &CgroupMatch) {
    if matches!(
        m.engine,
        ContainerType::Lxc | ContainerType::LibvirtLxc | ContainerType::Bpm
    ) && cache.state(&m.id).is_none()
    {
        cache.insert(ContainerInfo::minimal(&m.id, m.engine));
    }
}

/// A string field of a thread entry, borrowed from the entry; `None` when unreadable.
fn read_str<'e>(t: &Threads, tables: &TableReader<'_>, entry: &'e Entry<'_>, field: &TableField) -> Option<&'e str> {
    match tables.read(&t.table, entry, field) {
        Ok(StateValue::Str(s)) => Some(s),
        _ => None,
    }
}

fn read_num(t: &Threads, tables: &TableReader<'_>, entry: &Entry<'_>, field: Option<&TableField>) -> Option<i128> {
    match tables.read(&t.table, entry, field?).ok()? {
        StateValue::I64(v) => Some(v.into()),
        StateValue::U64(v) => Some(v.into()),
        _ => None,
    }
}

/// Container id of a thread entry: the `container_id` written at clone/execve, or, for a
/// thread never seen there (e.g. found by the initial process scan), from its cgroups.
/// Host threads (`""` written) take the second way too, which the cgroups memo makes cheap.
fn entry_container_id<'a>(
    t: &Threads,
    tables: &TableReader<'_>,
    entry: &'a Entry<'_>,
    last_cgroups: &'a mut LastCgroups,
    matcher: &CgroupMatcher,
    cache: &ContainerCache,
) -> &'a str {
    if let Some(id) = read_str(t, tables, entry, &t.container_id) {
        if !id.is_empty() {
            return id;
        }
    }
    let Some(cgroups) = t.cgroups.as_ref().and_then(|f| read_str(t, tables, entry, f)) else {
        return "";
    };
    match last_cgroups.matched(matcher, cgroups) {
        Some(m) => {
            record_cgroup_only(cache, m);
            &m.id
        }
        None => "",
    }
}

impl Plugin for ContainerPlugin {
    const NAME: &'static str = "container";
    /// The Falco container plugin release whose fields and behaviour this one matches.
    const VERSION: &'static str = "0.7.1";
    const DESCRIPTION: &'static str = "Falco container metadata enrichment Plugin";
    const CONTACT: &'static str = "https://github.com/saker-project/saker";
    const INIT_SCHEMA: Option<&'static str> = Some(INIT_SCHEMA);
    const REQUIRED_EVENT_SCHEMA_VERSION: Option<&'static str> = Some("4.0.0");

    fn init(mut input: InitInput<'_>) -> Result<Self, PluginError> {
        let config: ContainerConfig = input.json()?;
        let logger = *input.logger();
        let mut plugin = ContainerPlugin::with_config(&config, logger)?;
        let Some(tables) = input.tables() else {
            logger.warning("container plugin: the host offers no tables; container.* fields will have no value");
            return Ok(plugin);
        };
        let table = match tables.get_table(THREADS_TABLE, StateType::I64) {
            Ok(t) => t,
            Err(e) => {
                logger.warning(&format!(
                    "container plugin: no `threads` table ({e}); load the syscall plugin before the container \
                     plugin, or container.* fields will have no value"
                ));
                return Ok(plugin);
            }
        };
        let container_id = tables.add_field(&table, CONTAINER_ID_FIELD, StateType::Str)?;
        let optional = |name: &str, ty: StateType| match tables.get_field(&table, name, ty) {
            Ok(f) => Some(f),
            Err(e) => {
                logger.warning(&format!(
                    "container plugin: {e}; the fields that need it will have no value"
                ));
                None
            }
        };
        let cgroups = optional(CGROUPS_FIELD, StateType::Str);
        let pidns_init_start_ts = optional("pidns_init_start_ts", StateType::U64);
        let vtid = optional("vtid", StateType::I64);
        let vpid = optional("vpid", StateType::I64);
        plugin.threads = Some(Threads {
            table,
            container_id,
            cgroups,
            pidns_init_start_ts,
            vtid,
            vpid,
        });
        Ok(plugin)
    }

    fn metrics(&mut self) -> Vec<Metric> {
        let lookup_errors = self.cache.errors.lock().map_or(0, |e| e.0);
        vec![
            Metric {
                name: "n_containers".into(),
                monotonic: false,
                value: MetricValue::U64(self.cache.known_count() as u64),
            },
            Metric {
                name: "n_lookup_errors".into(),
                monotonic: true,
                value: MetricValue::U64(lookup_errors),
            },
            Metric {
                name: "n_table_errors".into(),
                monotonic: true,
                value: MetricValue::U64(self.table_errors),
            },
        ]
    }
}

impl ParsePlugin for ContainerPlugin {
    const PARSE_EVENT_TYPES: &'static [u16] = PARSE_TYPES;
    const PARSE_EVENT_SOURCES: &'static [&'static str] = &["syscall"];

    fn parse_event(&mut self, input: &ParseInput<'_>) -> Result<(), PluginError> {
        if let Some(id) = self.exited.take() {
            self.cache.remove(&id);
        }
        self.current.evt_num = None;
        match input.event.event_type() {
            codes::PROCEXIT_1_E => {
                self.parse_procexit(input);
                Ok(())
            }
            codes::CONTAINER_E | codes::CONTAINER_JSON_E | codes::CONTAINER_JSON_2_E => {
                self.parse_container_event(input)
            }
            _ => self.parse_process_event(input),
        }
    }
}

impl ExtractPlugin for ContainerPlugin {
    const FIELDS: &'static [FieldDef] = &FIELDS;
    const EXTRACT_EVENT_SOURCES: &'static [&'static str] = &["syscall"];
    /// Every event type of the syscall source.
    const EXTRACT_EVENT_TYPES: &'static [u16] = &[];

    fn extract(&mut self, req: ExtractRequest<'_>, out: &mut ExtractOutput) -> Result<(), PluginError> {
        let field = Field::from_index(req.field_index).ok_or_else(|| {
            PluginError::Message(format!(
                "container plugin: field index {} is not one of the {} declared fields",
                req.field_index,
                FIELDS.len()
            ))
        })?;
        let ts = req.event.ts();
        let arg: FieldArg<'_> = req.arg;
        if !self.subject_of(&req.event, req.evt_num, req.tables).thread_found {
            return Ok(());
        }
        let pidns_init_start_ts = match field {
            Field::StartTs | Field::Duration => self.current_pidns_init_start_ts(req.tables),
            _ => 0,
        };
        let s = &self.current;
        let subject = Subject {
            container_id: &s.container_id,
            info: s.info.as_deref(),
            sandbox: s.sandbox.as_deref(),
            pidns_init_start_ts,
            evt_ts: ts,
        };
        match value(field, arg, &subject) {
            Some(v) => v.write_to(out),
            None => Ok(()),
        }
    }
}

plugin_api::saker_plugin!(ContainerPlugin; parse, extract);

#[cfg(test)]
mod tests;
