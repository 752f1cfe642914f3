use super::*;

const CTR: &str = "18eb711c72587ce1f18e65eb0c67d91388a431a248f1d8ec6266646b3b04a9b3";
const SANDBOX: &str = "5f0c0a5e1d1b4c8e9a7f6e5d4c3b2a1908f7e6d5c4b3a29180706050403020100";

fn status(image: &str, image_ref: &str, info_json: &str) -> proto::ContainerStatusResponse {
    proto::ContainerStatusResponse {
        status: Some(proto::ContainerStatus {
            id: CTR.into(),
            metadata: Some(proto::ContainerMetadata {
                name: "main".into(),
                attempt: 0,
            }),
            created_at: 1_795_384_348_123_456_789,
            image: Some(proto::ImageSpec { image: image.into() }),
            image_ref: image_ref.into(),
            labels: HashMap::from([
                ("io.kubernetes.container.name".into(), "main".into()),
                ("big".into(), "x".repeat(20)),
            ]),
            mounts: vec![proto::Mount {
                container_path: "/data".into(),
                host_path: "/srv/data".into(),
                readonly: true,
                propagation: proto::PROPAGATION_HOST_TO_CONTAINER,
            }],
            user: Some(proto::ContainerUser {
                linux: Some(proto::LinuxContainerUser { uid: 1000, gid: 1000 }),
            }),
            ..Default::default()
        }),
        info: HashMap::from([("info".into(), info_json.into())]),
    }
}

fn sandbox(info_json: &str) -> proto::PodSandboxStatusResponse {
    proto::PodSandboxStatusResponse {
        status: Some(proto::PodSandboxStatus {
            id: SANDBOX.into(),
            metadata: Some(proto::PodSandboxMetadata {
                name: "web-0".into(),
                uid: "fa4788fb-33e2-406a-a642-fb6aa8d62415".into(),
                namespace: "shop".into(),
            }),
            network: Some(proto::PodSandboxNetworkStatus { ip: "10.0.0.7".into() }),
            linux: Some(proto::LinuxPodSandboxStatus {
                namespaces: Some(proto::Namespace {
                    options: Some(proto::NamespaceOption {
                        network: proto::NAMESPACE_MODE_NODE,
                        pid: 0,
                        ipc: proto::NAMESPACE_MODE_NODE,
                    }),
                }),
            }),
            labels: HashMap::from([("app".into(), "demo".into())]),
        }),
        info: HashMap::from([("info".into(), info_json.into())]),
    }
}

/// A pulled image: `image_ref` is `repo@digest`, kubelet created the container from the id.
#[test]
fn containerd_status_of_a_pulled_image_maps_to_falco_fields() {
    let info = r#"{"pid":4242,"config":{"image":{"image":"sha256:9f1c2e8b"},
        "linux":{"security_context":{"privileged":true}}},
        "runtimeSpec":{"annotations":{"io.kubernetes.cri.image-name":"docker.io/library/nginx:1.25"}}}"#;
    let got = to_info(
        status(
            "docker.io/library/nginx:1.25",
            "docker.io/library/nginx@sha256:abcd",
            info,
        ),
        Some(sandbox(
            r#"{"cniResult":{"interfaces":[{"name":"lo"},{"name":"eth0","mtu":1500},{"name":"veth"}]}}"#,
        )),
        ContainerType::Containerd,
        10,
    );
    assert_eq!((got.id.as_str(), got.full_id.as_str()), (&CTR[..12], CTR));
    assert_eq!(got.name, "main");
    assert_eq!(got.image, "docker.io/library/nginx:1.25");
    assert_eq!(got.image_repo, "docker.io/library/nginx");
    assert_eq!(got.image_tag, "1.25");
    assert_eq!(got.image_digest, "sha256:abcd");
    assert_eq!(got.image_id, "9f1c2e8b");
    assert_eq!(got.user, "1000");
    assert_eq!(got.created_time, 1_795_384_348);
    assert!(got.privileged);
    assert!(got.host_network && got.host_ipc && !got.host_pid);
    assert!(!got.is_pod_sandbox);
    assert_eq!(got.ip, "10.0.0.7");
    assert_eq!(got.cni_json, r#"[{"mtu":1500,"name":"eth0"}]"#);
    assert_eq!(got.pod_sandbox_id, SANDBOX);
    assert_eq!(got.pod_sandbox_labels.get("app").map(String::as_str), Some("demo"));
    assert!(!got.labels.contains_key("big"), "longer than label_max_len");
    let label = |k: &str| got.labels.get(k).map(String::as_str);
    assert_eq!(label("io.kubernetes.pod.name"), Some("web-0"));
    assert_eq!(label("io.kubernetes.pod.namespace"), Some("shop"));
    assert_eq!(
        label("io.kubernetes.pod.uid"),
        Some("fa4788fb-33e2-406a-a642-fb6aa8d62415")
    );
    assert_eq!(label("io.kubernetes.sandbox.id"), Some(SANDBOX));
    assert_eq!(got.mounts[0].render(), "/srv/data:/data::false:rslave");
    assert_eq!(got.ty, ContainerType::Containerd);
}

#[test]
fn an_image_known_only_by_id_takes_its_name_from_the_spec_annotation() {
    let info = r#"{"runtimeSpec":{"annotations":{"io.kubernetes.cri-o.ImageName":"quay.io/app:2"}}}"#;
    let got = to_info(
        status("sha256:9f1c2e8b", "sha256:9f1c2e8b", info),
        None,
        ContainerType::CriO,
        100,
    );
    assert_eq!(got.image, "quay.io/app:2");
    assert_eq!((got.image_repo.as_str(), got.image_tag.as_str()), ("quay.io/app", "2"));
    assert_eq!(got.image_digest, "sha256:9f1c2e8b");
    // No sandbox status: the container is its own sandbox, and has no pod labels.
    assert_eq!(got.pod_sandbox_id, CTR);
    assert!(!got.labels.contains_key("io.kubernetes.pod.name"));
    assert!(!got.privileged && !got.host_network);
}

#[test]
fn privileged_prefers_the_spec_then_the_config_then_the_top_level_key() {
    let p = |json: &str| serde_json::from_str::<VerboseInfo>(json).unwrap().privileged();
    assert!(p(r#"{"privileged":true}"#));
    assert!(!p(
        r#"{"privileged":true,"config":{"linux":{"security_context":{"privileged":false}}}}"#
    ));
    assert!(p(
        r#"{"config":{"linux":{"security_context":{"privileged":false}}},"runtimeSpec":{"linux":{"security_context":{"privileged":true}}}}"#
    ));
    assert!(!p("{}"));
    // A verbose info that is not JSON leaves every derived field empty, not an error.
    let got = to_info(status("busybox", "", "not json"), None, ContainerType::Cri, 100);
    assert_eq!(
        (got.image.as_str(), got.image_id.as_str(), got.privileged),
        ("busybox", "", false)
    );
}

#[test]
fn sandboxes_and_runtime_names() {
    let got = sandbox_to_info(sandbox("{}"), ContainerType::Containerd, 100);
    assert!(got.is_pod_sandbox);
    assert_eq!((got.id.as_str(), got.name.as_str()), (&SANDBOX[..12], "web-0"));
    assert_eq!(
        got.labels.get("io.kubernetes.pod.namespace").map(String::as_str),
        Some("shop")
    );
    assert_eq!(got.ip, "10.0.0.7");
    assert_eq!(runtime_type("containerd"), ContainerType::Containerd);
    assert_eq!(runtime_type("cri-o"), ContainerType::CriO);
    assert_eq!(runtime_type("k3s"), ContainerType::Cri);
}

#[test]
fn cri_o_cni_annotation_and_the_length_limit() {
    let long = "x".repeat(MAX_CNI_JSON_LEN + 10);
    let info = HashMap::from([(
        "info".to_owned(),
        serde_json::json!({"runtimeSpec": {"annotations": {"io.kubernetes.cri-o.CNIResult": long}}}).to_string(),
    )]);
    assert_eq!(cni_json(&info).len(), MAX_CNI_JSON_LEN);
    assert_eq!(cni_json(&HashMap::new()), "");
}
