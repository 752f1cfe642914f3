use super::*;
use crate::info::{ContainerType, Mount};

#[test]
fn sixty_one_fields_with_falco_names_types_and_args() {
    assert_eq!(FIELDS.len(), 61);
    let mut names: Vec<&str> = FIELDS.iter().map(|f| f.name).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 61, "names are unique");
    let by_name = |n: &str| FIELDS.iter().find(|f| f.name == n).unwrap();
    assert_eq!(by_name("container.privileged").ty, FieldType::Bool);
    assert_eq!(by_name("container.start_ts").ty, FieldType::AbsTime);
    assert_eq!(by_name("container.duration").ty, FieldType::RelTime);
    assert_eq!(by_name("proc.is_container_healthcheck").ty, FieldType::Bool);
    let mount = by_name("container.mount.dest").arg;
    assert!(mount.required && mount.index && mount.key);
    for n in [
        "container.label",
        "k8s.pod.label",
        "k8s.ns.label",
        "k8s.deployment.label",
    ] {
        let a = by_name(n).arg;
        assert!(a.required && a.key && !a.index, "{n}");
    }
    let suggested: Vec<&str> = FIELDS.iter().filter(|f| f.add_output).map(|f| f.name).collect();
    assert_eq!(
        suggested,
        [
            "container.id",
            "container.name",
            "container.image.repository",
            "container.image.tag",
            "k8s.pod.name",
            "k8s.ns.name"
        ]
    );
    // The enum follows the declaration order.
    assert_eq!(Field::from_index(0), Some(Field::Id));
    assert_eq!(Field::from_index(41), Some(Field::PodCniJson));
    assert_eq!(FIELDS[41].name, "k8s.pod.cni.json");
    assert_eq!(Field::from_index(60), Some(Field::DeprecatedK8s));
    assert_eq!(Field::from_index(61), None);
}

fn get<'a>(name: &str, arg: FieldArg<'a>, s: &Subject<'a>) -> Option<Value<'a>> {
    let i = FIELDS.iter().position(|f| f.name == name).unwrap();
    value(Field::from_index(i).unwrap(), arg, s)
}

fn s(v: &str) -> Option<Value<'static>> {
    Some(Value::Str(Cow::Owned(v.to_owned())))
}

fn subject<'a>(id: &'a str, info: Option<&'a ContainerInfo>) -> Subject<'a> {
    Subject {
        container_id: id,
        info,
        sandbox: None,
        pidns_init_start_ts: 1_000,
        evt_ts: 1_500,
    }
}

#[test]
fn pending_container_has_only_id_and_times() {
    let sub = subject("3ad7b26ded6d", None);
    assert_eq!(get("container.id", FieldArg::None, &sub), s("3ad7b26ded6d"));
    assert_eq!(
        get("container.start_ts", FieldArg::None, &sub),
        Some(Value::AbsTime(1_000))
    );
    assert_eq!(
        get("container.duration", FieldArg::None, &sub),
        Some(Value::RelTime(500))
    );
    for n in [
        "container.name",
        "container.image.repository",
        "container.privileged",
        "k8s.pod.name",
    ] {
        assert_eq!(get(n, FieldArg::None, &sub), None, "{n}");
    }
}

#[test]
fn host_threads_read_the_host_entry() {
    let host = ContainerInfo::host();
    let sub = subject("", Some(&host));
    assert_eq!(get("container.id", FieldArg::None, &sub), s("host"));
    assert_eq!(get("container.name", FieldArg::None, &sub), s("host"));
    assert_eq!(get("container.type", FieldArg::None, &sub), s("host"));
    assert_eq!(get("container.image.repository", FieldArg::None, &sub), s(""));
    assert_eq!(
        get("container.privileged", FieldArg::None, &sub),
        Some(Value::Bool(false))
    );
    assert_eq!(get("k8s.ns.name", FieldArg::None, &sub), None);
    assert_eq!(get("k8s.rc.name", FieldArg::None, &sub), None);
}

#[test]
fn known_container_fields() {
    let mut info = ContainerInfo::minimal("3ad7b26ded6d", ContainerType::Cri);
    info.name = "main".into();
    info.pod_sandbox_id = "18eb711c72587ce1f18e65eb0c67d91388a431a248f1d8ec6266646b3b04a9b3".into();
    for (k, v) in [
        ("io.kubernetes.pod.name", "web-0"),
        ("io.kubernetes.pod.namespace", "prod"),
        ("io.kubernetes.pod.uid", "fa4788fb"),
        ("app", "web"),
        ("flag", ""),
        ("annotation.x", "hidden"),
    ] {
        info.labels.insert(k.into(), v.into());
    }
    info.pod_sandbox_labels.insert("tier".into(), "front".into());
    info.mounts.push(Mount {
        source: "/proc".into(),
        dest: "/host/proc".into(),
        mode: "ro".into(),
        rdwr: false,
        propagation: "rprivate".into(),
    });
    let mut sandbox = ContainerInfo::minimal("18eb711c7258", ContainerType::Cri);
    sandbox.ip = "10.0.0.7".into();
    sandbox.pod_sandbox_labels.insert("tier".into(), "sandbox".into());
    let mut sub = subject("3ad7b26ded6d", Some(&info));
    assert_eq!(get("container.type", FieldArg::None, &sub), s("cri"));
    assert_eq!(get("k8s.pod.name", FieldArg::None, &sub), s("web-0"));
    assert_eq!(get("k8s.ns.name", FieldArg::None, &sub), s("prod"));
    assert_eq!(get("k8s.pod.id", FieldArg::None, &sub), s("fa4788fb"));
    assert_eq!(get("k8s.pod.sandbox_id", FieldArg::None, &sub), s("18eb711c7258"));
    assert_eq!(get("container.labels", FieldArg::None, &sub), s("app:web, flag"));
    assert_eq!(get("container.label", FieldArg::Key("app"), &sub), s("web"));
    assert_eq!(get("container.label", FieldArg::Key("nope"), &sub), None);
    assert_eq!(get("k8s.pod.label", FieldArg::Key("tier"), &sub), s("front"));
    // Without the sandbox's entry, no pod ip; with it, the sandbox's data comes first.
    assert_eq!(get("k8s.pod.ip", FieldArg::None, &sub), None);
    sub.sandbox = Some(&sandbox);
    assert_eq!(get("k8s.pod.ip", FieldArg::None, &sub), s("10.0.0.7"));
    assert_eq!(get("k8s.pod.label", FieldArg::Key("tier"), &sub), s("sandbox"));
    assert_eq!(
        get("container.mounts", FieldArg::None, &sub),
        s("/proc:/host/proc:ro:false:rprivate")
    );
    assert_eq!(
        get("container.mount.dest", FieldArg::Key("/proc"), &sub),
        s("/host/proc")
    );
    assert_eq!(
        get("container.mount.source", FieldArg::Key("/host/proc"), &sub),
        s("/proc")
    );
    assert_eq!(get("container.mount.rdwr", FieldArg::Index(0), &sub), s("false"));
    assert_eq!(get("container.mount", FieldArg::Index(1), &sub), None);
    assert_eq!(get("container.healthcheck", FieldArg::None, &sub), None);
}
