//! The 100 `ka.*` fields: declarations (order = field ids, as Falco's k8saudit 0.18.0) and how
//! each one is extracted.

use plugin_api::sdk::{FieldDef, FieldType};

/// The pod spec list a `ka.req.pod.<list>.*` field reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerList {
    Containers,
    InitContainers,
    EphemeralContainers,
}

impl ContainerList {
    pub const fn key(self) -> &'static str {
        match self {
            ContainerList::Containers => "containers",
            ContainerList::InitContainers => "initContainers",
            ContainerList::EphemeralContainers => "ephemeralContainers",
        }
    }
}

/// What a per-container field reads from each container of the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerAttr {
    Name,
    Image,
    /// The image without `:tag` and `@digest`.
    ImageRepository,
    /// `command` words joined with spaces, one value per container that has one.
    Command,
    /// `args` words joined with spaces, one value per container that has them.
    Args,
    /// `hostPort` of each port, else its `containerPort`.
    HostPort,
    /// A value under `securityContext` (missing values skipped).
    SecurityContext(&'static str),
    /// `securityContext.<key>` of the container, else of the pod, else `0`.
    Effective(&'static str),
    /// Every entry of `securityContext.capabilities.add`.
    AddCapabilities,
}

/// Kind of binding subject selected by the `ka.req.binding.subjects.*_names` fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubjectKind {
    User,
    ServiceAccount,
    /// ServiceAccount subjects rendered `<namespace>:<name>`.
    NamespacedServiceAccount,
    Group,
}

/// How a field is extracted from an audit event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extraction {
    /// The value at this key path: strings as text, other values as compact JSON; for list
    /// fields the value must be an array and each element is one value.
    Path(&'static [&'static str]),
    /// First value of a query parameter of `requestURI`.
    UriParam,
    /// `responseObject.metadata.name` when the target is a pod (not a subresource).
    TargetPodName,
    SubjectNames(SubjectKind),
    /// Whether a binding subject has the name given as argument.
    SubjectHasName,
    /// A per-container attribute of a pod spec list, all containers or the indexed one.
    Container(ContainerList, ContainerAttr),
    /// The attribute of the first of `spec.containers` only (deprecated fields).
    FirstContainer(ContainerAttr),
    /// `true` if any of `spec.containers` is privileged, else `false`.
    AnyContainerPrivileged,
    /// Every entry of the `requestObject.rules[].<key>` arrays.
    RoleRules(&'static str),
    /// Each of `requestObject.spec.ports` as compact JSON.
    ServicePorts,
    /// A value of each of `requestObject.spec.volumes` at this sub-path (missing skipped).
    Volumes(&'static [&'static str]),
    /// `true` if a hostPath volume is the argument path (or starts with it when it ends in `*`).
    VolumeHostPathMatches,
    /// The keys other than `name` of each volume (its type).
    VolumeTypes,
    /// Each of the top-level `sourceIPs`.
    SourceIps,
}

/// How the field takes an argument.
#[derive(Clone, Copy)]
enum Arg {
    None,
    Index,
    Key,
}

const fn def(name: &'static str, desc: &'static str, list: bool, arg: Arg) -> FieldDef {
    let d = FieldDef::new(name, FieldType::String, desc);
    let d = if list { d.list() } else { d };
    match arg {
        Arg::None => d,
        Arg::Index => d.index_arg(false),
        Arg::Key => d.key_arg(true),
    }
}

macro_rules! fields {
    ($( $name:literal, $list:literal, $arg:ident, $how:expr, $desc:literal; )*) => {
        /// Field declarations, in Falco's order (their index is the field id).
        pub const FIELDS: [FieldDef; fields!(@count $($name)*)] = [ $( def($name, $desc, $list, Arg::$arg), )* ];
        /// How each field of [`FIELDS`] is extracted (same index).
        pub const EXTRACTIONS: [Extraction; fields!(@count $($name)*)] = [ $( $how, )* ];
    };
    (@count $($x:tt)*) => { 0 $( + { let _ = $x; 1 } )* };
}

use ContainerAttr as A;
use ContainerList::{Containers as C, EphemeralContainers as E, InitContainers as I};
use Extraction::*;

const PRIV: A = A::SecurityContext("privileged");
const APE: A = A::SecurityContext("allowPrivilegeEscalation");
const ROFS: A = A::SecurityContext("readOnlyRootFilesystem");
const RUID: A = A::SecurityContext("runAsUser");
const RGID: A = A::SecurityContext("runAsGroup");
const PROC: A = A::SecurityContext("procMount");
const EUID: A = A::Effective("runAsUser");
const EGID: A = A::Effective("runAsGroup");

fields! {
    "ka.auditid", false, None, Path(&["auditID"]), "Unique id of the audit event";
    "ka.stage", false, None, Path(&["stage"]), "Stage of the request (RequestReceived, ResponseStarted, ResponseComplete, Panic)";
    "ka.auth.decision", false, None, Path(&["annotations", "authorization.k8s.io/decision"]), "Authorization decision (allow, forbid)";
    "ka.auth.reason", false, None, Path(&["annotations", "authorization.k8s.io/reason"]), "Why the request was authorized or denied";
    "ka.auth.openshift.decision", false, None, Path(&["annotations", "authentication.openshift.io/decision"]), "Authentication decision of the OpenShift API server extension (OpenShift only)";
    "ka.validations.admission.policy.failure", false, None, Path(&["annotations", "validation.policy.admission.k8s.io/validation_failure"]), "Failure reported by a ValidatingAdmissionPolicy";
    "ka.security.pod.violations", false, None, Path(&["annotations", "pod-security.kubernetes.io/audit-violations"]), "Pod Security admission violations of the request";
    "ka.auth.openshift.username", false, None, Path(&["annotations", "authentication.openshift.io/username"]), "User name authenticated by the OpenShift API server extension (OpenShift only)";
    "ka.user.name", false, None, Path(&["user", "username"]), "Name of the user making the request";
    "ka.user.groups", true, None, Path(&["user", "groups"]), "Groups of the user making the request";
    "ka.impuser.name", false, None, Path(&["impersonatedUser", "username"]), "Name of the impersonated user";
    "ka.verb", false, None, Path(&["verb"]), "Action of the request (get, list, create, update, patch, delete, ...)";
    "ka.uri", false, None, Path(&["requestURI"]), "Request URI as the client sent it";
    "ka.uri.param", false, Key, UriParam, "Value of a query parameter of the request URI: for /x?key=val, ka.uri.param[key] is val";
    "ka.target.name", false, None, Path(&["objectRef", "name"]), "Name of the target object";
    "ka.target.namespace", false, None, Path(&["objectRef", "namespace"]), "Namespace of the target object";
    "ka.target.resource", false, None, Path(&["objectRef", "resource"]), "Resource of the target object (pods, secrets, ...)";
    "ka.target.subresource", false, None, Path(&["objectRef", "subresource"]), "Subresource of the target object (exec, attach, status, ...)";
    "ka.target.pod.name", false, None, TargetPodName, "Name of the target pod, when the target is a pod itself";
    "ka.req.binding.subjects", true, None, Path(&["requestObject", "subjects"]), "Subjects (users, groups, service accounts) of a role binding in the request";
    "ka.req.binding.subjects.user_names", true, None, SubjectNames(SubjectKind::User), "Names of the User subjects of a role binding in the request";
    "ka.req.binding.subjects.serviceaccount_names", true, None, SubjectNames(SubjectKind::ServiceAccount), "Names of the ServiceAccount subjects of a role binding in the request";
    "ka.req.binding.subjects.serviceaccount_ns_names", true, None, SubjectNames(SubjectKind::NamespacedServiceAccount), "ServiceAccount subjects of a role binding in the request as namespace:name";
    "ka.req.binding.subjects.group_names", true, None, SubjectNames(SubjectKind::Group), "Names of the Group subjects of a role binding in the request";
    "ka.req.binding.role", false, None, Path(&["requestObject", "roleRef", "name"]), "Role referenced by a role binding in the request";
    "ka.req.binding.subject.has_name", false, Key, SubjectHasName, "Deprecated: true if a subject of the role binding in the request has the given name, else false";
    "ka.req.configmap.name", false, None, Path(&["objectRef", "name"]), "Name of the configmap the request refers to";
    "ka.req.configmap.obj", false, None, Path(&["requestObject", "data"]), "Data of the configmap in the request, as JSON";
    "ka.req.pod.containers.args", true, Index, Container(C, A::Args), "Arguments of each container of the pod in the request (one value per container)";
    "ka.req.pod.containers.command", true, Index, Container(C, A::Command), "Command of each container of the pod in the request (one value per container)";
    "ka.req.pod.containers.name", true, Index, Container(C, A::Name), "Names of the containers of the pod in the request";
    "ka.req.pod.containers.image", true, Index, Container(C, A::Image), "Images of the containers of the pod in the request";
    "ka.req.container.image", false, None, FirstContainer(A::Image), "Deprecated (see ka.req.pod.containers.image): image of the first container";
    "ka.req.pod.containers.image.repository", true, Index, Container(C, A::ImageRepository), "Image repositories (image without tag and digest) of the containers of the pod in the request";
    "ka.req.container.image.repository", false, None, FirstContainer(A::ImageRepository), "Deprecated (see ka.req.pod.containers.image.repository): image repository of the first container";
    "ka.req.pod.host_ipc", false, None, Path(&["requestObject", "spec", "hostIPC"]), "hostIPC flag of the pod in the request";
    "ka.req.pod.host_network", false, None, Path(&["requestObject", "spec", "hostNetwork"]), "hostNetwork flag of the pod in the request";
    "ka.req.container.host_network", false, None, Path(&["requestObject", "spec", "hostNetwork"]), "Deprecated alias of ka.req.pod.host_network";
    "ka.req.pod.host_pid", false, None, Path(&["requestObject", "spec", "hostPID"]), "hostPID flag of the pod in the request";
    "ka.req.pod.containers.host_port", true, Index, Container(C, A::HostPort), "Host ports (else container ports) of the containers of the pod in the request";
    "ka.req.pod.containers.privileged", true, Index, Container(C, PRIV), "privileged flag of the containers of the pod in the request";
    "ka.req.container.privileged", false, None, AnyContainerPrivileged, "Deprecated (see ka.req.pod.containers.privileged): true if any container is privileged, else false";
    "ka.req.pod.containers.allow_privilege_escalation", true, Index, Container(C, APE), "allowPrivilegeEscalation flag of the containers of the pod in the request";
    "ka.req.pod.containers.read_only_fs", true, Index, Container(C, ROFS), "readOnlyRootFilesystem flag of the containers of the pod in the request";
    "ka.req.pod.run_as_user", false, None, Path(&["requestObject", "spec", "securityContext", "runAsUser"]), "runAsUser of the pod security context in the request";
    "ka.req.pod.containers.run_as_user", true, Index, Container(C, RUID), "runAsUser of the containers of the pod in the request";
    "ka.req.pod.containers.eff_run_as_user", true, Index, Container(C, EUID), "Effective uid of each container of the pod in the request: the container's runAsUser, else the pod's, else 0";
    "ka.req.pod.run_as_group", false, None, Path(&["requestObject", "spec", "securityContext", "runAsGroup"]), "runAsGroup of the pod security context in the request";
    "ka.req.pod.containers.run_as_group", true, Index, Container(C, RGID), "runAsGroup of the containers of the pod in the request";
    "ka.req.pod.containers.eff_run_as_group", true, Index, Container(C, EGID), "Effective gid of each container of the pod in the request: the container's runAsGroup, else the pod's, else 0";
    "ka.req.pod.containers.proc_mount", true, Index, Container(C, PROC), "procMount of the containers of the pod in the request";
    "ka.req.role.rules", true, None, Path(&["requestObject", "rules"]), "Rules of the role or cluster role in the request, each as JSON";
    "ka.req.role.rules.apiGroups", true, Index, RoleRules("apiGroups"), "API groups of the rules of the role in the request";
    "ka.req.role.rules.nonResourceURLs", true, Index, RoleRules("nonResourceURLs"), "Non-resource URLs of the rules of the role in the request";
    "ka.req.role.rules.verbs", true, Index, RoleRules("verbs"), "Verbs of the rules of the role in the request";
    "ka.req.role.rules.resources", true, Index, RoleRules("resources"), "Resources of the rules of the role in the request";
    "ka.req.pod.fs_group", false, None, Path(&["requestObject", "spec", "securityContext", "fsGroup"]), "fsGroup of the pod security context in the request";
    "ka.req.pod.supplemental_groups", true, None, Path(&["requestObject", "spec", "securityContext", "supplementalGroups"]), "supplementalGroups of the pod security context in the request";
    "ka.req.pod.containers.add_capabilities", true, Index, Container(C, A::AddCapabilities), "Capabilities added by the containers of the pod in the request";
    "ka.req.service.type", false, None, Path(&["requestObject", "spec", "type"]), "Type of the service in the request";
    "ka.req.service.ports", true, Index, ServicePorts, "Ports of the service in the request, each as JSON";
    "ka.req.pod.volumes.hostpath", true, Index, Volumes(&["hostPath", "path"]), "hostPath paths of the volumes of the pod in the request";
    "ka.req.volume.hostpath", false, Key, VolumeHostPathMatches, "Deprecated (see ka.req.pod.volumes.hostpath): true if a hostPath volume is the given path (a prefix when it ends with *), else false";
    "ka.req.pod.volumes.flexvolume_driver", true, Index, Volumes(&["flexVolume", "driver"]), "flexVolume drivers of the volumes of the pod in the request";
    "ka.req.pod.volumes.volume_type", true, Index, VolumeTypes, "Types (keys other than name) of the volumes of the pod in the request";
    "ka.resp.name", false, None, Path(&["responseObject", "metadata", "name"]), "Name of the object in the response";
    "ka.response.code", false, None, Path(&["responseStatus", "code"]), "HTTP status code of the response";
    "ka.response.reason", false, None, Path(&["responseStatus", "reason"]), "Reason of the response status (usually only on failures)";
    "ka.useragent", false, None, Path(&["userAgent"]), "User agent of the client";
    "ka.sourceips", true, Index, SourceIps, "IP addresses the request came from";
    "ka.cluster.name", false, None, Path(&["annotations", "cluster_name"]), "Name of the Kubernetes cluster (cluster_name annotation)";
    "ka.req.pod.initContainers.name", true, Index, Container(I, A::Name), "Names of the init containers of the pod in the request";
    "ka.req.pod.initContainers.image", true, Index, Container(I, A::Image), "Images of the init containers of the pod in the request";
    "ka.req.pod.initContainers.image.repository", true, Index, Container(I, A::ImageRepository), "Image repositories of the init containers of the pod in the request";
    "ka.req.pod.initContainers.command", true, Index, Container(I, A::Command), "Command of each init container of the pod in the request";
    "ka.req.pod.initContainers.args", true, Index, Container(I, A::Args), "Arguments of each init container of the pod in the request";
    "ka.req.pod.initContainers.privileged", true, Index, Container(I, PRIV), "privileged flag of the init containers of the pod in the request";
    "ka.req.pod.initContainers.allow_privilege_escalation", true, Index, Container(I, APE), "allowPrivilegeEscalation flag of the init containers of the pod in the request";
    "ka.req.pod.initContainers.read_only_fs", true, Index, Container(I, ROFS), "readOnlyRootFilesystem flag of the init containers of the pod in the request";
    "ka.req.pod.initContainers.run_as_user", true, Index, Container(I, RUID), "runAsUser of the init containers of the pod in the request";
    "ka.req.pod.initContainers.eff_run_as_user", true, Index, Container(I, EUID), "Effective uid of each init container: its runAsUser, else the pod's, else 0";
    "ka.req.pod.initContainers.run_as_group", true, Index, Container(I, RGID), "runAsGroup of the init containers of the pod in the request";
    "ka.req.pod.initContainers.eff_run_as_group", true, Index, Container(I, EGID), "Effective gid of each init container: its runAsGroup, else the pod's, else 0";
    "ka.req.pod.initContainers.proc_mount", true, Index, Container(I, PROC), "procMount of the init containers of the pod in the request";
    "ka.req.pod.initContainers.add_capabilities", true, Index, Container(I, A::AddCapabilities), "Capabilities added by the init containers of the pod in the request";
    "ka.req.pod.initContainers.host_port", true, Index, Container(I, A::HostPort), "Host ports (else container ports) of the init containers of the pod in the request";
    "ka.req.pod.ephemeralContainers.name", true, Index, Container(E, A::Name), "Names of the ephemeral containers of the pod in the request";
    "ka.req.pod.ephemeralContainers.image", true, Index, Container(E, A::Image), "Images of the ephemeral containers of the pod in the request";
    "ka.req.pod.ephemeralContainers.image.repository", true, Index, Container(E, A::ImageRepository), "Image repositories of the ephemeral containers of the pod in the request";
    "ka.req.pod.ephemeralContainers.command", true, Index, Container(E, A::Command), "Command of each ephemeral container of the pod in the request";
    "ka.req.pod.ephemeralContainers.args", true, Index, Container(E, A::Args), "Arguments of each ephemeral container of the pod in the request";
    "ka.req.pod.ephemeralContainers.privileged", true, Index, Container(E, PRIV), "privileged flag of the ephemeral containers of the pod in the request";
    "ka.req.pod.ephemeralContainers.allow_privilege_escalation", true, Index, Container(E, APE), "allowPrivilegeEscalation flag of the ephemeral containers of the pod in the request";
    "ka.req.pod.ephemeralContainers.read_only_fs", true, Index, Container(E, ROFS), "readOnlyRootFilesystem flag of the ephemeral containers of the pod in the request";
    "ka.req.pod.ephemeralContainers.run_as_user", true, Index, Container(E, RUID), "runAsUser of the ephemeral containers of the pod in the request";
    "ka.req.pod.ephemeralContainers.eff_run_as_user", true, Index, Container(E, EUID), "Effective uid of each ephemeral container: its runAsUser, else the pod's, else 0";
    "ka.req.pod.ephemeralContainers.run_as_group", true, Index, Container(E, RGID), "runAsGroup of the ephemeral containers of the pod in the request";
    "ka.req.pod.ephemeralContainers.eff_run_as_group", true, Index, Container(E, EGID), "Effective gid of each ephemeral container: its runAsGroup, else the pod's, else 0";
    "ka.req.pod.ephemeralContainers.proc_mount", true, Index, Container(E, PROC), "procMount of the ephemeral containers of the pod in the request";
    "ka.req.pod.ephemeralContainers.add_capabilities", true, Index, Container(E, A::AddCapabilities), "Capabilities added by the ephemeral containers of the pod in the request";
}

/// Index of a field by name.
pub fn field_index(name: &str) -> Option<usize> {
    FIELDS.iter().position(|f| f.name == name)
}
