use super::*;
use crate::containers::State;
use crate::runtime::Runtimes;

const HEX: &str = "3ad7b26ded6d8e7b23da7d48fe889434573036c27ae5a74837233de441c3601e";

#[test]
fn the_cgroups_memo_answers_as_a_fresh_match_whatever_the_sequence() {
    let matcher = CgroupMatcher::default();
    let docker = format!("cpuset=/docker/{HEX}\nmemory=/docker/{HEX}");
    let lxc = "name=systemd=/lxc/web1\ncpu=/lxc/web1".to_string();
    let host = "0::/user.slice/user-1000.slice/session-2.scope".to_string();
    let texts = [
        &host,
        &host,
        &docker,
        &docker,
        &host,
        &lxc,
        &String::new(),
        &lxc,
        &docker,
    ];
    let mut memo = LastCgroups::default();
    for text in texts {
        let fresh = matcher.match_paths(paths_of(text));
        assert_eq!(memo.matched(&matcher, text), fresh.as_ref(), "cgroups {text:?}");
    }
    assert_eq!(memo.matched(&matcher, &docker).map(|m| m.id.as_str()), Some(&HEX[..12]));
    assert_eq!(memo.matched(&matcher, &host), None);
}

#[test]
fn cgroup_only_containers_are_recorded_even_when_the_memo_answers() {
    let cache = ContainerCache::new(Runtimes::default(), Duration::ZERO);
    let matcher = CgroupMatcher::default();
    let mut memo = LastCgroups::default();
    let lxc = "cpu=/lxc.payload.web1";
    let m = memo.matched(&matcher, lxc).cloned().expect("an lxc container");
    record_cgroup_only(&cache, &m);
    assert_eq!(cache.known("web1").map(|i| i.ty), Some(ContainerType::Lxc));
    // The container exits and is forgotten; the same cgroups seen again record it again.
    cache.remove("web1");
    let m = memo.matched(&matcher, lxc).expect("memo hit");
    record_cgroup_only(&cache, m);
    assert!(cache.known("web1").is_some());
}

#[test]
fn without_runtimes_an_unknown_id_stays_absent_and_known_ones_resolve() {
    let cache = ContainerCache::new(Runtimes::default(), Duration::ZERO);
    assert!(cache.resolve("0123456789ab").is_none());
    assert!(matches!(cache.state("0123456789ab"), Some(State::Absent { .. })));
    assert!(cache.resolve("0123456789ab").is_none());
    cache.insert(ContainerInfo::minimal("0123456789ab", ContainerType::Docker));
    assert_eq!(
        cache.resolve("0123456789ab").map(|i| i.id.clone()),
        Some("0123456789ab".to_string())
    );
}
