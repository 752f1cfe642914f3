//! Extraction of the `ka.*` fields from one audit event, independent of the plugin ABI.
//!
//! Semantics follow Falco's k8saudit 0.18.0 (`reference/fields/k8saudit.md`); the deliberate
//! differences are listed in the crate's README ("Differences from Falco's plugin").

use std::borrow::Cow;

use json_tape::{Kind, ParseError, Tape, Value};
use plugin_api::sdk::FieldArg;

use crate::fields::{ContainerAttr, ContainerList, Extraction, SubjectKind, EXTRACTIONS, FIELDS};

/// Why a field could not be extracted. "Not available" is not an error: it is no value.
#[derive(Debug, thiserror::Error)]
pub enum FieldError {
    #[error("broken JSON data: event {evt_num} payload starts with {found}, expected '{{' or '['")]
    BrokenJson { evt_num: u64, found: String },
    #[error("event {evt_num} payload is not valid JSON: {source}")]
    Parse { evt_num: u64, source: ParseError },
    #[error("wrong type conversion: {what} is {found}, expected {expected}")]
    WrongType {
        what: &'static str,
        found: &'static str,
        expected: &'static str,
    },
    #[error("{field} needs a key argument, e.g. {field}[{example}]")]
    MissingKey { field: &'static str, example: &'static str },
    #[error("no field with id {0}: the k8saudit plugin declares {n} fields", n = FIELDS.len())]
    UnknownField(usize),
}

fn kind_name(v: &Value<'_>) -> &'static str {
    match v.kind() {
        Kind::Null => "null",
        Kind::True | Kind::False => "a boolean",
        Kind::Number => "a number",
        Kind::String => "a string",
        Kind::Array => "an array",
        Kind::Object => "an object",
    }
}

fn wrong_type(what: &'static str, v: &Value<'_>, expected: &'static str) -> FieldError {
    FieldError::WrongType {
        what,
        found: kind_name(v),
        expected,
    }
}

/// Parses each event once (cached by event number) and extracts `ka.*` fields from it.
/// Reuses its buffers: extracting a field allocates nothing in the common cases.
#[derive(Debug, Default)]
pub struct AuditFieldExtractor {
    tape: Tape,
    /// (event number, payload length) of the document held by `tape`.
    cached: Option<(u64, usize)>,
    /// The cached document is an audit event (has an `auditID`).
    is_audit: bool,
    scratch: Vec<u8>,
    joined: String,
}

/// Where extracted values go.
struct Emitter<'a, 'o> {
    scratch: &'a mut Vec<u8>,
    out: &'a mut (dyn FnMut(&str) + 'o),
}

impl Emitter<'_, '_> {
    /// A value as Falco's `jsonValueAsString`: a string's text, else compact JSON.
    fn value(&mut self, v: Value<'_>) {
        if let Some(s) = v.as_str() {
            (self.out)(&s);
        } else {
            self.scratch.clear();
            v.write_compact(self.scratch);
            (self.out)(&json_tape::utf8_lossy(self.scratch));
        }
    }
    fn str(&mut self, s: &str) {
        (self.out)(s)
    }
}

/// A value's text (see [`Emitter::value`]), owned only when it is not a plain string.
fn text<'t>(v: Value<'t>) -> Cow<'t, str> {
    match v.as_str() {
        Some(s) => s,
        None => {
            let mut b = Vec::new();
            v.write_compact(&mut b);
            Cow::Owned(json_tape::utf8_lossy(&b).into_owned())
        }
    }
}

/// The repository part of an image reference: without `@digest` and without a `:tag` that
/// follows the last `/` (so `registry:5000/app:1` gives `registry:5000/app`).
pub fn image_repository(image: &str) -> &str {
    let image = image.split('@').next().unwrap_or(image);
    let name_start = image.rfind('/').map_or(0, |i| i + 1);
    match image[name_start..].find(':') {
        Some(i) => &image[..name_start + i],
        None => image,
    }
}

/// Calls `f` for each element of `v` (all, or only element `index`); a non-array counts as
/// its only element. Returns false when `index` is out of range.
fn for_each_item<'t>(
    v: Value<'t>,
    index: Option<usize>,
    mut f: impl FnMut(Value<'t>) -> Result<(), FieldError>,
) -> Result<bool, FieldError> {
    if v.kind() != Kind::Array {
        if index.is_some_and(|i| i != 0) {
            return Ok(false);
        }
        f(v)?;
        return Ok(true);
    }
    match index {
        None => {
            for e in v.elements() {
                f(e)?;
            }
        }
        Some(i) => match v.at(i) {
            Some(e) => f(e)?,
            None => return Ok(false),
        },
    }
    Ok(true)
}

/// Decodes a query component like Go's `url.QueryUnescape` (`+` is a space); `None` on a bad
/// `%` escape.
fn query_unescape(s: &str) -> Option<Cow<'_, str>> {
    if !s.contains(['%', '+']) {
        return Some(Cow::Borrowed(s));
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    Some(Cow::Owned(String::from_utf8_lossy(&out).into_owned()))
}

/// First value of query parameter `key` in `uri` (Go `url.ParseQuery` rules; pairs with a
/// `;` or a bad escape are ignored).
pub fn uri_query_param<'u>(uri: &'u str, key: &str) -> Option<Cow<'u, str>> {
    let query = uri.split_once('?')?.1;
    let query = query.split('#').next().unwrap_or(query);
    for pair in query.split('&') {
        if pair.is_empty() || pair.contains(';') {
            continue;
        }
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let (Some(k), Some(v)) = (query_unescape(k), query_unescape(v)) else {
            continue;
        };
        if k == key {
            return Some(v);
        }
    }
    None
}

impl AuditFieldExtractor {
    pub fn new() -> Self {
        Self::default()
    }

    /// Extracts field number `field` (index in [`FIELDS`]) with `arg` from event `evt_num`
    /// whose plugin payload is `payload`; each value goes to `out`. No call of `out` means
    /// the field has no value for this event.
    pub fn extract(
        &mut self,
        evt_num: u64,
        payload: &[u8],
        field: usize,
        arg: FieldArg<'_>,
        out: &mut dyn FnMut(&str),
    ) -> Result<(), FieldError> {
        let how = *EXTRACTIONS.get(field).ok_or(FieldError::UnknownField(field))?;
        let def = &FIELDS[field];
        match payload.first() {
            Some(b'{' | b'[') => {}
            first => {
                return Err(FieldError::BrokenJson {
                    evt_num,
                    found: first.map_or("nothing (empty payload)".into(), |b| format!("byte 0x{b:02x}")),
                })
            }
        }
        if self.cached != Some((evt_num, payload.len())) {
            self.cached = None;
            self.tape
                .parse(payload)
                .map_err(|source| FieldError::Parse { evt_num, source })?;
            self.cached = Some((evt_num, payload.len()));
            self.is_audit = self.tape.root().is_some_and(|root| root.get("auditID").is_some());
        }
        // Not an audit event (Falco: every field is then unavailable).
        let Some(root) = self.tape.root().filter(|_| self.is_audit) else {
            return Ok(());
        };
        let index = match arg {
            FieldArg::Index(i) => Some(usize::try_from(i).unwrap_or(usize::MAX)),
            _ => None,
        };
        let key = match arg {
            FieldArg::Key(k) if !k.is_empty() => Some(k),
            _ => None,
        };
        let mut emit = Emitter {
            scratch: &mut self.scratch,
            out,
        };
        let joined = &mut self.joined;
        let request_spec = |list: &str| root.path(&["requestObject", "spec", list]);
        match how {
            Extraction::Path(keys) => {
                let Some(v) = root.path(keys) else { return Ok(()) };
                if def.is_list {
                    if v.kind() != Kind::Array {
                        return Err(wrong_type(def.name, &v, "an array"));
                    }
                    v.elements().for_each(|e| emit.value(e));
                } else {
                    emit.value(v);
                }
            }
            Extraction::UriParam => {
                let key = key.ok_or(FieldError::MissingKey {
                    field: def.name,
                    example: "command",
                })?;
                let Some(uri) = root.get("requestURI") else {
                    return Ok(());
                };
                let uri = text(uri);
                if let Some(v) = uri_query_param(&uri, key) {
                    emit.str(&v);
                }
            }
            Extraction::TargetPodName => {
                let is = |k: &str, want: &str| {
                    root.path(&["objectRef", k])
                        .and_then(|v| v.as_str())
                        .unwrap_or_default()
                        == want
                };
                if is("resource", "pods") && is("subresource", "") {
                    if let Some(v) = root.path(&["responseObject", "metadata", "name"]) {
                        emit.value(v);
                    }
                }
            }
            Extraction::SubjectNames(kind) => {
                let Some(subjects) = root.path(&["requestObject", "subjects"]) else {
                    return Ok(());
                };
                if subjects.kind() != Kind::Array {
                    return Err(wrong_type("requestObject.subjects", &subjects, "an array"));
                }
                let want = match kind {
                    SubjectKind::User => "User",
                    SubjectKind::ServiceAccount | SubjectKind::NamespacedServiceAccount => "ServiceAccount",
                    SubjectKind::Group => "Group",
                };
                for s in subjects.elements() {
                    let (Some(k), Some(name)) = (s.get("kind"), s.get("name")) else {
                        continue;
                    };
                    if text(k) != want {
                        continue;
                    }
                    if kind == SubjectKind::NamespacedServiceAccount {
                        let Some(ns) = s.get("namespace") else { continue };
                        emit.str(&format!("{}:{}", text(ns), text(name)));
                    } else {
                        emit.value(name);
                    }
                }
            }
            Extraction::SubjectHasName => {
                let key = key.ok_or(FieldError::MissingKey {
                    field: def.name,
                    example: "system:anonymous",
                })?;
                let Some(subjects) = root.path(&["requestObject", "subjects"]) else {
                    return Ok(());
                };
                if subjects.kind() != Kind::Array {
                    return Err(wrong_type("requestObject.subjects", &subjects, "an array"));
                }
                let found = subjects
                    .elements()
                    .any(|s| s.get("name").is_some_and(|n| text(n) == key));
                emit.str(if found { "true" } else { "false" });
            }
            Extraction::Container(list, attr) => {
                let Some(containers) = request_spec(list.key()) else {
                    return Ok(());
                };
                let pod_default = effective_default(root, attr);
                for_each_item(containers, index, |c| {
                    container_attr(c, attr, pod_default.as_deref(), &mut emit, joined)
                })?;
            }
            Extraction::FirstContainer(attr) => {
                let Some(containers) = request_spec(ContainerList::Containers.key()) else {
                    return Ok(());
                };
                for_each_item(containers, Some(0), |c| {
                    container_attr(c, attr, None, &mut emit, joined)
                })?;
            }
            Extraction::AnyContainerPrivileged => {
                let Some(containers) = request_spec(ContainerList::Containers.key()) else {
                    return Ok(());
                };
                let mut any = false;
                for_each_item(containers, None, |c| {
                    any |= c.path(&["securityContext", "privileged"]).and_then(|p| p.as_bool()) == Some(true);
                    Ok(())
                })?;
                emit.str(if any { "true" } else { "false" });
            }
            Extraction::RoleRules(k) => {
                let Some(rules) = root.path(&["requestObject", "rules"]) else {
                    return Ok(());
                };
                for_each_item(rules, index, |r| {
                    if let Some(v) = r.get(k).filter(|v| v.kind() == Kind::Array) {
                        v.elements().for_each(|e| emit.value(e));
                    }
                    Ok(())
                })?;
            }
            Extraction::ServicePorts => {
                let Some(ports) = request_spec("ports") else {
                    return Ok(());
                };
                for_each_item(ports, index, |p| {
                    emit.value(p);
                    Ok(())
                })?;
            }
            Extraction::Volumes(sub) => {
                let Some(volumes) = request_spec("volumes") else {
                    return Ok(());
                };
                for_each_item(volumes, index, |v| {
                    if let Some(x) = v.path(sub) {
                        emit.value(x);
                    }
                    Ok(())
                })?;
            }
            Extraction::VolumeHostPathMatches => {
                let key = key.ok_or(FieldError::MissingKey {
                    field: def.name,
                    example: "/etc*",
                })?;
                let Some(volumes) = request_spec("volumes") else {
                    return Ok(());
                };
                let prefix = key.strip_suffix('*');
                let mut found = false;
                for_each_item(volumes, None, |v| {
                    if let Some(p) = v.path(&["hostPath", "path"]) {
                        let p = text(p);
                        found |= p == key || prefix.is_some_and(|pre| p.starts_with(pre));
                    }
                    Ok(())
                })?;
                emit.str(if found { "true" } else { "false" });
            }
            Extraction::VolumeTypes => {
                let Some(volumes) = request_spec("volumes") else {
                    return Ok(());
                };
                for_each_item(volumes, index, |v| {
                    for (k, _) in v.members() {
                        if !k.key_eq("name") {
                            emit.value(k);
                        }
                    }
                    Ok(())
                })?;
            }
            Extraction::SourceIps => {
                let Some(ips) = root.get("sourceIPs") else {
                    return Ok(());
                };
                for_each_item(ips, index, |ip| {
                    emit.value(ip);
                    Ok(())
                })?;
            }
        }
        Ok(())
    }
}

/// The pod-level value used by `eff_*` fields when a container sets none.
fn effective_default(root: Value<'_>, attr: ContainerAttr) -> Option<String> {
    let ContainerAttr::Effective(k) = attr else { return None };
    Some(
        root.path(&["requestObject", "spec", "securityContext", k])
            .map_or_else(|| "0".to_owned(), |v| text(v).into_owned()),
    )
}

/// Emits one container's attribute.
fn container_attr(
    c: Value<'_>,
    attr: ContainerAttr,
    pod_default: Option<&str>,
    emit: &mut Emitter<'_, '_>,
    joined: &mut String,
) -> Result<(), FieldError> {
    match attr {
        ContainerAttr::Name => {
            if let Some(v) = c.get("name") {
                emit.value(v);
            }
        }
        ContainerAttr::Image => {
            if let Some(v) = c.get("image") {
                emit.value(v);
            }
        }
        ContainerAttr::ImageRepository => {
            if let Some(v) = c.get("image") {
                emit.str(image_repository(&text(v)));
            }
        }
        ContainerAttr::Command | ContainerAttr::Args => {
            let (key, what) = if attr == ContainerAttr::Command {
                ("command", "a container command")
            } else {
                ("args", "container args")
            };
            let Some(words) = c.get(key) else { return Ok(()) };
            if words.kind() != Kind::Array {
                return Err(wrong_type(what, &words, "an array of strings"));
            }
            joined.clear();
            for (i, w) in words.elements().enumerate() {
                let Some(s) = w.as_str() else {
                    return Err(wrong_type(what, &w, "an array of strings"));
                };
                if i > 0 {
                    joined.push(' ');
                }
                joined.push_str(&s);
            }
            emit.str(joined);
        }
        ContainerAttr::HostPort => {
            let Some(ports) = c.get("ports") else { return Ok(()) };
            if ports.kind() != Kind::Array {
                return Err(wrong_type("container ports", &ports, "an array"));
            }
            for p in ports.elements() {
                if let Some(v) = p.get("hostPort").or_else(|| p.get("containerPort")) {
                    emit.value(v);
                }
            }
        }
        ContainerAttr::SecurityContext(k) => {
            if let Some(v) = c.path(&["securityContext", k]) {
                emit.value(v);
            }
        }
        ContainerAttr::Effective(k) => match c.path(&["securityContext", k]) {
            Some(v) => emit.value(v),
            None => emit.str(pod_default.unwrap_or("0")),
        },
        ContainerAttr::AddCapabilities => {
            if let Some(add) = c.path(&["securityContext", "capabilities", "add"]) {
                if add.kind() == Kind::Array {
                    add.elements().for_each(|e| emit.value(e));
                } else {
                    emit.value(add);
                }
            }
        }
    }
    Ok(())
}
