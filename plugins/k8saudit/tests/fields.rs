//! Every `ka.*` field on Falco's real k8s audit trace events (some edited to carry the values
//! no trace file has), through the extractor API. Expected values are read off the JSON by hand.

mod common;

use std::collections::BTreeSet;

use common::{edit, trace_dir, trace_event};
use k8saudit::{field_index, AuditFieldExtractor, FieldError, FIELDS};
use plugin_api::sdk::FieldArg;

/// Extracts fields and remembers which were checked.
struct Checker {
    x: AuditFieldExtractor,
    evt: u64,
    checked: BTreeSet<&'static str>,
}

impl Checker {
    fn values(&mut self, ev: &[u8], name: &str, arg: FieldArg<'_>) -> Result<Vec<String>, FieldError> {
        let i = field_index(name).unwrap_or_else(|| panic!("no field {name}"));
        self.checked.insert(FIELDS[i].name);
        // A new event number per call also exercises the parse cache.
        self.evt += 1;
        let mut v = Vec::new();
        self.x.extract(self.evt, ev, i, arg, &mut |s| v.push(s.to_owned()))?;
        Ok(v)
    }
    fn get(&mut self, ev: &[u8], name: &str) -> Vec<String> {
        self.values(ev, name, FieldArg::None)
            .unwrap_or_else(|e| panic!("{name}: {e}"))
    }
    fn idx(&mut self, ev: &[u8], name: &str, i: u64) -> Vec<String> {
        self.values(ev, name, FieldArg::Index(i))
            .unwrap_or_else(|e| panic!("{name}[{i}]: {e}"))
    }
    fn key(&mut self, ev: &[u8], name: &str, k: &str) -> Vec<String> {
        self.values(ev, name, FieldArg::Key(k))
            .unwrap_or_else(|e| panic!("{name}[{k}]: {e}"))
    }
}

const NONE: [&str; 0] = [];

#[test]
fn every_field_on_real_audit_events() {
    if trace_dir().is_none() {
        return;
    }
    let mut c = Checker {
        x: AuditFieldExtractor::new(),
        evt: 0,
        checked: BTreeSet::new(),
    };

    // --- A pod created privileged (create_nginx_pod_privileged.json).
    let pod = trace_event("create_nginx_pod_privileged.json");
    assert_eq!(c.get(&pod, "ka.auditid"), ["a362d22b-db3c-4590-9505-23782f12925f"]);
    assert_eq!(c.get(&pod, "ka.stage"), ["ResponseComplete"]);
    assert_eq!(c.get(&pod, "ka.auth.decision"), ["allow"]);
    assert_eq!(
        c.get(&pod, "ka.auth.reason"),
        [
            r#"RBAC: allowed by ClusterRoleBinding "system:controller:replicaset-controller" of ClusterRole "system:controller:replicaset-controller" to ServiceAccount "replicaset-controller/kube-system""#
        ]
    );
    assert_eq!(
        c.get(&pod, "ka.user.name"),
        ["system:serviceaccount:kube-system:replicaset-controller"]
    );
    assert_eq!(
        c.get(&pod, "ka.user.groups"),
        [
            "system:serviceaccounts",
            "system:serviceaccounts:kube-system",
            "system:authenticated"
        ]
    );
    assert_eq!(c.get(&pod, "ka.verb"), ["create"]);
    assert_eq!(c.get(&pod, "ka.uri"), ["/api/v1/namespaces/default/pods"]);
    assert_eq!(c.get(&pod, "ka.target.name"), NONE, "objectRef has no name");
    assert_eq!(c.get(&pod, "ka.target.namespace"), ["default"]);
    assert_eq!(c.get(&pod, "ka.target.resource"), ["pods"]);
    assert_eq!(c.get(&pod, "ka.target.subresource"), NONE);
    assert_eq!(c.get(&pod, "ka.target.pod.name"), ["nginx-deployment-5cdcc99dbf-rgw6z"]);
    assert_eq!(c.get(&pod, "ka.resp.name"), ["nginx-deployment-5cdcc99dbf-rgw6z"]);
    assert_eq!(c.get(&pod, "ka.response.code"), ["201"]);
    assert_eq!(c.get(&pod, "ka.response.reason"), NONE);
    assert_eq!(c.get(&pod, "ka.sourceips"), ["::1"]);
    assert_eq!(c.get(&pod, "ka.useragent"), NONE);
    assert_eq!(c.get(&pod, "ka.impuser.name"), NONE);
    assert_eq!(c.get(&pod, "ka.cluster.name"), NONE);
    assert_eq!(c.get(&pod, "ka.req.pod.containers.name"), ["nginx"]);
    assert_eq!(c.get(&pod, "ka.req.pod.containers.image"), ["nginx"]);
    assert_eq!(c.get(&pod, "ka.req.pod.containers.privileged"), ["true"]);
    assert_eq!(c.get(&pod, "ka.req.container.privileged"), ["true"]);
    assert_eq!(c.get(&pod, "ka.req.pod.containers.command"), NONE);
    assert_eq!(c.get(&pod, "ka.req.pod.host_network"), NONE);
    assert_eq!(
        c.get(&pod, "ka.req.pod.volumes.hostpath"),
        NONE,
        "the request spec has no volumes"
    );
    assert_eq!(c.key(&pod, "ka.req.volume.hostpath", "/etc"), NONE);
    assert_eq!(
        c.get(&pod, "ka.req.pod.run_as_user"),
        NONE,
        "pod securityContext is {{}}"
    );
    // No runAsUser anywhere: every container's effective uid is 0.
    assert_eq!(c.get(&pod, "ka.req.pod.containers.eff_run_as_user"), ["0"]);
    assert_eq!(c.get(&pod, "ka.req.pod.containers.eff_run_as_group"), ["0"]);
    assert_eq!(c.get(&pod, "ka.req.pod.initContainers.name"), NONE);
    assert_eq!(c.get(&pod, "ka.req.binding.subjects"), NONE);
    assert_eq!(c.get(&pod, "ka.req.binding.subjects.user_names"), NONE);

    // --- Second of two containers privileged, first without securityContext.
    let two = trace_event("create_nginx_pod_no_secctx_1st_container_privileged_2nd_container.json");
    assert_eq!(c.get(&two, "ka.req.pod.containers.name"), ["nginx1", "mysql"]);
    assert_eq!(c.idx(&two, "ka.req.pod.containers.name", 1), ["mysql"]);
    assert_eq!(c.idx(&two, "ka.req.pod.containers.name", 2), NONE);
    assert_eq!(c.get(&two, "ka.req.pod.containers.image"), ["nginx", "mysql:latest"]);
    assert_eq!(
        c.get(&two, "ka.req.pod.containers.image.repository"),
        ["nginx", "mysql"]
    );
    assert_eq!(c.get(&two, "ka.req.container.image"), ["nginx"]);
    assert_eq!(c.get(&two, "ka.req.container.image.repository"), ["nginx"]);
    assert_eq!(c.get(&two, "ka.req.pod.containers.privileged"), ["true"]);
    assert_eq!(c.idx(&two, "ka.req.pod.containers.privileged", 0), NONE);
    assert_eq!(c.idx(&two, "ka.req.pod.containers.privileged", 1), ["true"]);
    assert_eq!(c.get(&two, "ka.req.container.privileged"), ["true"]);
    let unpriv = trace_event("create_nginx_pod_unprivileged.json");
    assert_eq!(c.get(&unpriv, "ka.req.container.privileged"), ["false"]);

    // --- hostNetwork.
    let hostnet = trace_event("create_nginx_pod_hostnetwork.json");
    assert_eq!(c.get(&hostnet, "ka.req.pod.host_network"), ["true"]);
    assert_eq!(c.get(&hostnet, "ka.req.container.host_network"), ["true"]);

    // --- Sensitive mounts.
    let mount2 = trace_event("create_nginx_pod_sensitive_mount_2nd_container.json");
    assert_eq!(c.get(&mount2, "ka.req.pod.volumes.hostpath"), ["/etc"]);
    assert_eq!(c.idx(&mount2, "ka.req.pod.volumes.hostpath", 1), NONE);
    // The request has one volume (the response adds the service account token's).
    assert_eq!(c.get(&mount2, "ka.req.pod.volumes.volume_type"), ["hostPath"]);
    assert_eq!(c.idx(&mount2, "ka.req.pod.volumes.volume_type", 1), NONE);
    assert_eq!(c.key(&mount2, "ka.req.volume.hostpath", "/etc"), ["true"]);
    assert_eq!(c.key(&mount2, "ka.req.volume.hostpath", "/et*"), ["true"]);
    assert_eq!(c.key(&mount2, "ka.req.volume.hostpath", "/et"), ["false"]);
    assert_eq!(c.get(&mount2, "ka.req.pod.volumes.flexvolume_driver"), NONE);

    // --- exec into a pod: query parameters, subresource.
    let exec = trace_event("exec_pod.json");
    assert_eq!(c.key(&exec, "ka.uri.param", "command"), ["bash"]);
    assert_eq!(
        c.key(&exec, "ka.uri.param", "container"),
        ["nginx1"],
        "first of repeated values"
    );
    assert_eq!(c.key(&exec, "ka.uri.param", "tty"), ["true"]);
    assert_eq!(c.key(&exec, "ka.uri.param", "nope"), NONE);
    assert_eq!(c.get(&exec, "ka.target.name"), ["nginx-deployment-7998647bdf-phvq7"]);
    assert_eq!(c.get(&exec, "ka.target.subresource"), ["exec"]);
    assert_eq!(c.get(&exec, "ka.target.pod.name"), NONE, "a subresource is not the pod");
    assert_eq!(c.get(&exec, "ka.stage"), ["ResponseStarted"]);
    assert_eq!(c.get(&exec, "ka.response.code"), ["101"]);
    assert_eq!(c.get(&exec, "ka.auth.reason"), [""]);

    // --- Service with a NodePort.
    let svc = trace_event("create_nginx_service_nodeport.json");
    assert_eq!(c.get(&svc, "ka.req.service.type"), ["NodePort"]);
    let port = r#"{"nodePort":30080,"port":80,"protocol":"TCP","targetPort":80}"#;
    assert_eq!(c.get(&svc, "ka.req.service.ports"), [port]);
    assert_eq!(c.idx(&svc, "ka.req.service.ports", 0), [port]);
    assert_eq!(c.idx(&svc, "ka.req.service.ports", 1), NONE);
    assert_eq!(c.get(&svc, "ka.sourceips"), ["192.168.99.1"]);

    // --- ConfigMap.
    let cm = trace_event("create_configmap.json");
    assert_eq!(c.get(&cm, "ka.req.configmap.name"), ["my-config"]);
    assert_eq!(
        c.get(&cm, "ka.req.configmap.obj"),
        [r#"{"ui.properties":"color.good=purple\ncolor.bad=yellow\nallow.textmode=true\n"}"#]
    );

    // --- Secret created by kubectl: user agent.
    let secret = trace_event("create_secret.json");
    assert_eq!(
        c.get(&secret, "ka.useragent"),
        ["kubectl/v1.17.3 (darwin/amd64) kubernetes/06ad960"]
    );

    // --- ClusterRole rules.
    let role = trace_event("create_cluster_role_wildcard_verbs.json");
    assert_eq!(
        c.get(&role, "ka.req.role.rules"),
        [
            r#"{"apiGroups":[""],"resources":["pods"],"verbs":["*"]}"#,
            r#"{"nonResourceURLs":["/api","/api/*","/apis","/apis/*","/healthz","/openapi","/openapi/*","/swagger-2.0.0.pb-v1","/swagger.json","/swaggerapi","/swaggerapi/*","/version","/version/"],"verbs":["get"]}"#,
        ]
    );
    assert_eq!(c.get(&role, "ka.req.role.rules.apiGroups"), [""]);
    assert_eq!(c.get(&role, "ka.req.role.rules.resources"), ["pods"]);
    assert_eq!(c.get(&role, "ka.req.role.rules.verbs"), ["*", "get"]);
    assert_eq!(c.idx(&role, "ka.req.role.rules.verbs", 1), ["get"]);
    assert_eq!(c.idx(&role, "ka.req.role.rules.resources", 1), NONE);
    assert_eq!(c.idx(&role, "ka.req.role.rules.verbs", 2), NONE);
    assert_eq!(
        c.get(&role, "ka.req.role.rules.nonResourceURLs"),
        [
            "/api",
            "/api/*",
            "/apis",
            "/apis/*",
            "/healthz",
            "/openapi",
            "/openapi/*",
            "/swagger-2.0.0.pb-v1",
            "/swagger.json",
            "/swaggerapi",
            "/swaggerapi/*",
            "/version",
            "/version/"
        ]
    );

    // --- ClusterRoleBinding, with two more subjects added.
    let crb = trace_event("create_clusterrolebinding.json");
    assert_eq!(c.get(&crb, "ka.req.binding.role"), ["system:basic-user"]);
    assert_eq!(c.get(&crb, "ka.req.binding.subjects.user_names"), ["minikube"]);
    let crb = edit(
        &crb,
        r#""subjects":[{"#,
        r#""subjects":[{"kind":"ServiceAccount","name":"default","namespace":"kube-system"},{"kind":"Group","name":"system:masters"},{"#,
    );
    assert_eq!(
        c.get(&crb, "ka.req.binding.subjects"),
        [
            r#"{"kind":"ServiceAccount","name":"default","namespace":"kube-system"}"#,
            r#"{"kind":"Group","name":"system:masters"}"#,
            r#"{"apiGroup":"rbac.authorization.k8s.io","kind":"User","name":"minikube"}"#,
        ]
    );
    assert_eq!(c.get(&crb, "ka.req.binding.subjects.user_names"), ["minikube"]);
    assert_eq!(c.get(&crb, "ka.req.binding.subjects.serviceaccount_names"), ["default"]);
    assert_eq!(
        c.get(&crb, "ka.req.binding.subjects.serviceaccount_ns_names"),
        ["kube-system:default"]
    );
    assert_eq!(c.get(&crb, "ka.req.binding.subjects.group_names"), ["system:masters"]);
    assert_eq!(c.key(&crb, "ka.req.binding.subject.has_name", "minikube"), ["true"]);
    assert_eq!(c.key(&crb, "ka.req.binding.subject.has_name", "nobody"), ["false"]);

    // --- Annotations, impersonation, source IPs and a failure status added to a real event.
    let ann = edit(
        &trace_event("create_nginx_pod_privileged.json"),
        r#""annotations":{"#,
        r#""annotations":{"authentication.openshift.io/decision":"allow","authentication.openshift.io/username":"kube:admin","validation.policy.admission.k8s.io/validation_failure":"[{\"message\":\"replicas too high\"}]","pod-security.kubernetes.io/audit-violations":"would violate PodSecurity \"restricted:latest\"","cluster_name":"prod-eu","#,
    );
    let ann = edit(
        &ann,
        r#""sourceIPs":["::1"]"#,
        r#""sourceIPs":["10.0.0.7","::1"],"impersonatedUser":{"username":"system:admin"},"userAgent":"kubectl/v1.29.0""#,
    );
    let ann = edit(
        &ann,
        r#""responseStatus":{"metadata":{},"code":201}"#,
        r#""responseStatus":{"metadata":{},"status":"Failure","reason":"Forbidden","code":403}"#,
    );
    assert_eq!(c.get(&ann, "ka.auth.openshift.decision"), ["allow"]);
    assert_eq!(c.get(&ann, "ka.auth.openshift.username"), ["kube:admin"]);
    assert_eq!(
        c.get(&ann, "ka.validations.admission.policy.failure"),
        [r#"[{"message":"replicas too high"}]"#]
    );
    assert_eq!(
        c.get(&ann, "ka.security.pod.violations"),
        [r#"would violate PodSecurity "restricted:latest""#]
    );
    assert_eq!(c.get(&ann, "ka.cluster.name"), ["prod-eu"]);
    assert_eq!(
        c.get(&ann, "ka.auth.decision"),
        ["allow"],
        "original annotations still there"
    );
    assert_eq!(c.get(&ann, "ka.sourceips"), ["10.0.0.7", "::1"]);
    assert_eq!(c.idx(&ann, "ka.sourceips", 1), ["::1"]);
    assert_eq!(c.get(&ann, "ka.impuser.name"), ["system:admin"]);
    assert_eq!(c.get(&ann, "ka.useragent"), ["kubectl/v1.29.0"]);
    assert_eq!(c.get(&ann, "ka.response.code"), ["403"]);
    assert_eq!(c.get(&ann, "ka.response.reason"), ["Forbidden"]);

    // --- A full pod spec: security contexts, ports, commands, volumes, init and ephemeral
    // containers, added to the real privileged pod's request.
    let full = edit(
        &trace_event("create_nginx_pod_privileged.json"),
        r#""securityContext":{"privileged":true}}],"restartPolicy""#,
        r#""securityContext":{"privileged":true,"allowPrivilegeEscalation":false,"readOnlyRootFilesystem":true,"runAsUser":1000,"runAsGroup":3000,"procMount":"Default","capabilities":{"add":["NET_ADMIN","SYS_TIME"]}},"command":["nginx","-g"],"args":["daemon off;"],"ports":[{"containerPort":80},{"containerPort":443,"hostPort":8443}]},{"name":"sidecar","image":"registry.example:5000/team/sidecar:1.2@sha256:abcd"}],"restartPolicy""#,
    );
    let full = edit(
        &full,
        r#""dnsPolicy":"ClusterFirst","securityContext":{},"#,
        r#""dnsPolicy":"ClusterFirst","securityContext":{"runAsUser":2000,"fsGroup":2001,"supplementalGroups":[4000,5000]},"hostPID":true,"hostIPC":false,"volumes":[{"name":"host-k8s","hostPath":{"path":"/etc/kubernetes","type":""}},{"name":"fv","flexVolume":{"driver":"example.com/lvm"}},{"name":"cm","configMap":{"name":"c"}}],"initContainers":[{"name":"init-db","image":"busybox:1.36","command":["sh","-c","until nslookup db; do sleep 2; done"],"securityContext":{"privileged":true,"runAsUser":0,"capabilities":{"add":["SYS_ADMIN"]}},"ports":[{"containerPort":9000}]}],"ephemeralContainers":[{"name":"debugger","image":"docker.io/library/busybox@sha256:1234","args":["sleep","3600"],"securityContext":{"runAsGroup":10,"allowPrivilegeEscalation":true,"readOnlyRootFilesystem":false,"procMount":"Unmasked"}}],"#,
    );
    assert_eq!(c.get(&full, "ka.req.pod.containers.name"), ["nginx", "sidecar"]);
    assert_eq!(
        c.get(&full, "ka.req.pod.containers.image"),
        ["nginx", "registry.example:5000/team/sidecar:1.2@sha256:abcd"]
    );
    assert_eq!(
        c.get(&full, "ka.req.pod.containers.image.repository"),
        ["nginx", "registry.example:5000/team/sidecar"]
    );
    assert_eq!(c.get(&full, "ka.req.pod.containers.command"), ["nginx -g"]);
    assert_eq!(c.get(&full, "ka.req.pod.containers.args"), ["daemon off;"]);
    assert_eq!(c.idx(&full, "ka.req.pod.containers.args", 1), NONE);
    assert_eq!(c.get(&full, "ka.req.pod.containers.host_port"), ["80", "8443"]);
    assert_eq!(c.get(&full, "ka.req.pod.containers.privileged"), ["true"]);
    assert_eq!(
        c.get(&full, "ka.req.pod.containers.allow_privilege_escalation"),
        ["false"]
    );
    assert_eq!(c.get(&full, "ka.req.pod.containers.read_only_fs"), ["true"]);
    assert_eq!(c.get(&full, "ka.req.pod.containers.run_as_user"), ["1000"]);
    assert_eq!(c.get(&full, "ka.req.pod.containers.run_as_group"), ["3000"]);
    assert_eq!(c.get(&full, "ka.req.pod.containers.eff_run_as_user"), ["1000", "2000"]);
    assert_eq!(c.idx(&full, "ka.req.pod.containers.eff_run_as_user", 1), ["2000"]);
    assert_eq!(c.get(&full, "ka.req.pod.containers.eff_run_as_group"), ["3000", "0"]);
    assert_eq!(c.get(&full, "ka.req.pod.containers.proc_mount"), ["Default"]);
    assert_eq!(
        c.get(&full, "ka.req.pod.containers.add_capabilities"),
        ["NET_ADMIN", "SYS_TIME"]
    );
    assert_eq!(c.get(&full, "ka.req.pod.run_as_user"), ["2000"]);
    assert_eq!(c.get(&full, "ka.req.pod.run_as_group"), NONE);
    assert_eq!(c.get(&full, "ka.req.pod.fs_group"), ["2001"]);
    assert_eq!(c.get(&full, "ka.req.pod.supplemental_groups"), ["4000", "5000"]);
    assert_eq!(c.get(&full, "ka.req.pod.host_pid"), ["true"]);
    assert_eq!(c.get(&full, "ka.req.pod.host_ipc"), ["false"]);
    assert_eq!(c.get(&full, "ka.req.pod.volumes.hostpath"), ["/etc/kubernetes"]);
    assert_eq!(
        c.get(&full, "ka.req.pod.volumes.flexvolume_driver"),
        ["example.com/lvm"]
    );
    assert_eq!(
        c.get(&full, "ka.req.pod.volumes.volume_type"),
        ["hostPath", "flexVolume", "configMap"]
    );
    assert_eq!(c.key(&full, "ka.req.volume.hostpath", "/etc*"), ["true"]);
    assert_eq!(c.key(&full, "ka.req.volume.hostpath", "/etc"), ["false"]);
    // Init containers.
    let p = "ka.req.pod.initContainers.";
    let f = |s: &str| format!("{p}{s}");
    assert_eq!(c.get(&full, &f("name")), ["init-db"]);
    assert_eq!(c.get(&full, &f("image")), ["busybox:1.36"]);
    assert_eq!(c.get(&full, &f("image.repository")), ["busybox"]);
    assert_eq!(
        c.get(&full, &f("command")),
        ["sh -c until nslookup db; do sleep 2; done"]
    );
    assert_eq!(c.get(&full, &f("args")), NONE);
    assert_eq!(c.get(&full, &f("privileged")), ["true"]);
    assert_eq!(c.get(&full, &f("allow_privilege_escalation")), NONE);
    assert_eq!(c.get(&full, &f("read_only_fs")), NONE);
    assert_eq!(c.get(&full, &f("run_as_user")), ["0"]);
    assert_eq!(
        c.get(&full, &f("eff_run_as_user")),
        ["0"],
        "its own runAsUser 0 beats the pod's 2000"
    );
    assert_eq!(c.get(&full, &f("run_as_group")), NONE);
    assert_eq!(c.get(&full, &f("eff_run_as_group")), ["0"]);
    assert_eq!(c.get(&full, &f("proc_mount")), NONE);
    assert_eq!(c.get(&full, &f("add_capabilities")), ["SYS_ADMIN"]);
    assert_eq!(c.get(&full, &f("host_port")), ["9000"]);
    assert_eq!(c.idx(&full, &f("name"), 1), NONE);
    // Ephemeral containers.
    let p = "ka.req.pod.ephemeralContainers.";
    let f = |s: &str| format!("{p}{s}");
    assert_eq!(c.get(&full, &f("name")), ["debugger"]);
    assert_eq!(c.get(&full, &f("image")), ["docker.io/library/busybox@sha256:1234"]);
    assert_eq!(c.get(&full, &f("image.repository")), ["docker.io/library/busybox"]);
    assert_eq!(c.get(&full, &f("command")), NONE);
    assert_eq!(c.get(&full, &f("args")), ["sleep 3600"]);
    assert_eq!(c.get(&full, &f("privileged")), NONE);
    assert_eq!(c.get(&full, &f("allow_privilege_escalation")), ["true"]);
    assert_eq!(c.get(&full, &f("read_only_fs")), ["false"]);
    assert_eq!(c.get(&full, &f("run_as_user")), NONE);
    assert_eq!(c.get(&full, &f("eff_run_as_user")), ["2000"]);
    assert_eq!(c.get(&full, &f("run_as_group")), ["10"]);
    assert_eq!(c.get(&full, &f("eff_run_as_group")), ["10"]);
    assert_eq!(c.get(&full, &f("proc_mount")), ["Unmasked"]);
    assert_eq!(c.get(&full, &f("add_capabilities")), NONE);
    assert_eq!(c.idx(&full, &f("image"), 0), ["docker.io/library/busybox@sha256:1234"]);

    let unchecked: Vec<&str> = FIELDS
        .iter()
        .map(|f| f.name)
        .filter(|n| !c.checked.contains(n))
        .collect();
    assert!(unchecked.is_empty(), "fields without assertions: {unchecked:?}");
    assert_eq!(FIELDS.len(), 100);
}

#[test]
fn non_audit_json_has_no_fields() {
    if trace_dir().is_none() {
        return;
    }
    // Falco's fal_01_003 trace: JSON without auditID.
    let not_audit = trace_event("fal_01_003.json");
    let mut x = AuditFieldExtractor::new();
    for (i, f) in FIELDS.iter().enumerate() {
        let arg = if f.arg.key { FieldArg::Key("x") } else { FieldArg::None };
        let mut n = 0;
        x.extract(1, &not_audit, i, arg, &mut |_| n += 1).unwrap();
        assert_eq!(n, 0, "{}", f.name);
    }
}

#[test]
fn bad_payloads_and_types_are_errors() {
    let mut x = AuditFieldExtractor::new();
    let user = field_index("ka.user.name").unwrap();
    let e = x.extract(1, b"plain", user, FieldArg::None, &mut |_| {}).unwrap_err();
    assert_eq!(
        e.to_string(),
        "broken JSON data: event 1 payload starts with byte 0x70, expected '{' or '['"
    );
    let e = x
        .extract(2, br#"{"auditID":"#, user, FieldArg::None, &mut |_| {})
        .unwrap_err();
    assert!(matches!(e, FieldError::Parse { evt_num: 2, .. }), "{e}");
    let groups = field_index("ka.user.groups").unwrap();
    let e = x
        .extract(
            3,
            br#"{"auditID":"a","user":{"groups":"g"}}"#,
            groups,
            FieldArg::None,
            &mut |_| {},
        )
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "wrong type conversion: ka.user.groups is a string, expected an array"
    );
    let cmd = field_index("ka.req.pod.containers.command").unwrap();
    let ev = br#"{"auditID":"a","requestObject":{"spec":{"containers":[{"command":"sh"}]}}}"#;
    let e = x.extract(4, ev, cmd, FieldArg::None, &mut |_| {}).unwrap_err();
    assert!(e.to_string().contains("expected an array of strings"), "{e}");
    let hp = field_index("ka.req.volume.hostpath").unwrap();
    let e = x.extract(5, ev, hp, FieldArg::Key(""), &mut |_| {}).unwrap_err();
    assert_eq!(
        e.to_string(),
        "ka.req.volume.hostpath needs a key argument, e.g. ka.req.volume.hostpath[/etc*]"
    );
}

#[test]
fn image_repository_keeps_registry_ports() {
    use k8saudit::extract::image_repository;
    assert_eq!(image_repository("nginx"), "nginx");
    assert_eq!(image_repository("nginx:1.25"), "nginx");
    assert_eq!(
        image_repository("docker.io/falcosecurity/falco:0.37.1"),
        "docker.io/falcosecurity/falco"
    );
    assert_eq!(image_repository("registry:5000/app"), "registry:5000/app");
    assert_eq!(image_repository("registry:5000/app:1@sha256:ff"), "registry:5000/app");
    assert_eq!(image_repository("app@sha256:ff"), "app");
}

#[test]
fn uri_query_params_decode_like_go() {
    use k8saudit::extract::uri_query_param;
    let uri = "/api/v1/x/exec?command=sh&command=-c&command=echo+hi%21&a%20b=c&bad=%zz&x;y=1#frag";
    assert_eq!(uri_query_param(uri, "command").as_deref(), Some("sh"));
    assert_eq!(uri_query_param(uri, "a b").as_deref(), Some("c"));
    assert_eq!(uri_query_param(uri, "bad"), None);
    assert_eq!(uri_query_param(uri, "x"), None);
    assert_eq!(uri_query_param("/no/query", "command"), None);
    assert_eq!(uri_query_param("/q?flag", "flag").as_deref(), Some(""));
}
