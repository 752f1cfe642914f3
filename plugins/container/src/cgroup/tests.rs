use super::*;

const HEX: &str = "3ad7b26ded6d8e7b23da7d48fe889434573036c27ae5a74837233de441c3601e";
const SHORT: &str = "3ad7b26ded6d";

fn id_of(path: &str) -> Option<(String, ContainerType)> {
    CgroupMatcher::default().match_path(path).map(|m| (m.id, m.engine))
}

#[test]
fn runc_engines_yield_the_short_id_of_real_world_paths() {
    let cases = [
        // docker, cgroupfs and systemd drivers
        (format!("/docker/{HEX}"), ContainerType::Docker),
        (format!("/system.slice/docker-{HEX}.scope"), ContainerType::Docker),
        // podman: systemd (with and without the nested `container` cgroup) and cgroupfs, pods
        (format!("/machine.slice/libpod-{HEX}.scope"), ContainerType::Podman),
        (format!("/machine.slice/libpod-{HEX}.scope/container"), ContainerType::Podman),
        (format!("/libpod_parent/libpod-{HEX}"), ContainerType::Podman),
        (
            format!("/libpod_parent/{}/libpod-{HEX}", "b".repeat(64)),
            ContainerType::Podman,
        ),
        (
            format!("/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-payload-{HEX}.scope"),
            ContainerType::Podman,
        ),
        // Kubernetes with containerd / cri-o, systemd and cgroupfs drivers
        (
            format!("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1b2c_3d4e.slice/cri-containerd-{HEX}.scope"),
            ContainerType::Cri,
        ),
        (
            format!("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podaa_bb.slice/crio-{HEX}.scope"),
            ContainerType::Cri,
        ),
        (format!("/kubepods/besteffort/podfa4788fb-33e2-406a-a642-fb6aa8d62415/crio-{HEX}"), ContainerType::Cri),
        (format!("system.slice:cri-containerd:{HEX}"), ContainerType::Cri),
        (format!("/kubepods.slice/kubepods-pod12.slice/nerdctl-{HEX}.scope"), ContainerType::Cri),
    ];
    for (path, engine) in cases {
        assert_eq!(id_of(&path), Some((SHORT.to_owned(), engine)), "{path}");
    }
}

#[test]
fn cgroupfs_kubernetes_and_containerd_paths_match_the_docker_layout_first() {
    // As in Falco, the docker matcher (`/<64hex>`) runs before cri: only the id matters.
    for path in [
        format!("/kubepods/besteffort/podfa4788fb-33e2-406a-a642-fb6aa8d62415/{HEX}"),
        format!("/k8s.io/{HEX}"),
    ] {
        assert_eq!(id_of(&path), Some((SHORT.to_owned(), ContainerType::Docker)), "{path}");
    }
}

#[test]
fn host_cgroups_are_no_container() {
    for path in [
        "/",
        "/init.scope",
        "/system.slice/cron.service",
        "/user.slice/user-0.slice/session-3.scope",
        "/user.slice/user-1000.slice/user@1000.service/app.slice/dbus.service",
        "/kubepods.slice/kubepods-besteffort.slice",
        // 63 hex characters: not an id
        &format!("/system.slice/docker-{}.scope", &HEX[..63]),
        // 64 characters that are not all hex
        &format!("/system.slice/docker-{}z.scope", &HEX[..63]),
    ] {
        assert_eq!(id_of(path), None, "{path}");
    }
}

#[test]
fn native_containerd_ids_are_free_form_but_not_units() {
    assert_eq!(
        id_of("/default/mycontainer"),
        Some(("mycontainer".to_owned(), ContainerType::Containerd))
    );
    assert_eq!(
        id_of("/k8s.io/a-very-long-container-name"),
        Some(("a-very-long-".to_owned(), ContainerType::Containerd))
    );
    assert_eq!(id_of("/system.slice/ssh.service"), None);
    assert_eq!(
        id_of("/research/runc-test1"),
        Some(("runc-test1".to_owned(), ContainerType::Containerd))
    );
    // Under `/docker/`, a non-runc id is a free-form containerd id, as in Falco.
    assert_eq!(
        id_of(&format!("/docker/{}", &HEX[..63])),
        Some((SHORT.to_owned(), ContainerType::Containerd))
    );
}

#[test]
fn lxc_libvirt_and_bpm_layouts() {
    // As in Falco, containerd's free-form layout comes first and takes `/lxc/<id>` (same id).
    assert_eq!(
        id_of("/lxc/web01"),
        Some(("web01".to_owned(), ContainerType::Containerd))
    );
    let no_containerd = CgroupMatcher {
        containerd: false,
        ..CgroupMatcher::default()
    };
    let id_of = |path: &str| no_containerd.match_path(path).map(|m| (m.id, m.engine));
    assert_eq!(id_of("/lxc/web01"), Some(("web01".to_owned(), ContainerType::Lxc)));
    assert_eq!(
        id_of("/lxc.payload/web01/init.scope"),
        Some(("web01".to_owned(), ContainerType::Lxc))
    );
    assert_eq!(
        id_of("/lxc.payload.web01"),
        Some(("web01".to_owned(), ContainerType::Lxc))
    );
    assert_eq!(
        id_of("/machine/vm1.libvirt-lxc"),
        Some(("vm1".to_owned(), ContainerType::LibvirtLxc))
    );
    assert_eq!(
        id_of("/machine.slice/machine-lxc\\x2dguest.scope/libvirt"),
        Some(("guest".to_owned(), ContainerType::LibvirtLxc))
    );
    // The lxc layout (`/lxc/`) comes before libvirt's legacy `/libvirt/lxc/<id>`.
    assert_eq!(
        id_of("/libvirt/lxc/guest2/sub"),
        Some(("guest2".to_owned(), ContainerType::Lxc))
    );
    let libvirt_only = CgroupMatcher {
        lxc: false,
        ..no_containerd.clone()
    };
    assert_eq!(
        libvirt_only
            .match_path("/libvirt/lxc/guest2/sub")
            .map(|m| (m.id, m.engine)),
        Some(("guest2".to_owned(), ContainerType::LibvirtLxc))
    );
    assert_eq!(
        id_of("/system.slice/bpm-job_1.web.scope"),
        Some(("job_1.web".to_owned(), ContainerType::Bpm))
    );
}

#[test]
fn disabled_engines_are_skipped_and_static_takes_everything() {
    let only_cri = CgroupMatcher {
        podman: false,
        docker: false,
        containerd: false,
        ..CgroupMatcher::default()
    };
    let m = only_cri.match_path(&format!("/docker/{HEX}")).unwrap();
    assert_eq!(m.engine, ContainerType::Cri);
    let none = CgroupMatcher {
        podman: false,
        docker: false,
        cri: false,
        containerd: false,
        lxc: false,
        libvirt_lxc: false,
        bpm: false,
        static_id: None,
    };
    assert_eq!(none.match_path(&format!("/docker/{HEX}")), None);
    let fixed = CgroupMatcher {
        static_id: Some("static-one".into()),
        ..CgroupMatcher::default()
    };
    assert_eq!(
        fixed.match_path("/"),
        Some(CgroupMatch {
            id: "static-one".into(),
            engine: ContainerType::Static
        })
    );
}

#[test]
fn first_matching_line_of_a_proc_cgroup_listing_wins() {
    // /proc/<pid>/cgroup of a podman container on a hybrid (v1 + v2) host, as the syscall
    // plugin's `cgroups` text encodes it.
    let text = format!(
        "cpuset=/\nmemory=/libpod_parent/libpod-{HEX}\nname=systemd=/libpod_parent/libpod-{HEX}\n=/libpod_parent/libpod-{HEX}"
    );
    let paths: Vec<&str> = paths_of(&text).collect();
    assert_eq!(paths[0], "/");
    assert_eq!(paths[2], format!("/libpod_parent/libpod-{HEX}"));
    let m = CgroupMatcher::default().match_paths(paths_of(&text)).unwrap();
    assert_eq!((m.id.as_str(), m.engine), (SHORT, ContainerType::Podman));
    assert_eq!(CgroupMatcher::default().match_paths(paths_of("cpu=/\n=/")), None);
}
