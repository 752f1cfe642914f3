use super::*;
use std::path::PathBuf;

fn reference_tsv() -> Option<PathBuf> {
    let mut dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    loop {
        let candidate = dir.join("shared/reference/event_table.tsv");
        if candidate.exists() {
            return Some(candidate);
        }
        if !dir.pop() {
            return None;
        }
    }
}

#[test]
fn checked_in_tsv_matches_shared_reference() {
    let Some(reference) = reference_tsv() else {
        eprintln!("skipped: no shared/reference/event_table.tsv above CARGO_MANIFEST_DIR");
        return;
    };
    let ours = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/event_table.tsv")).unwrap();
    let theirs = std::fs::read_to_string(&reference).unwrap();
    assert_eq!(
        ours,
        theirs,
        "plugins/syscall/event_table.tsv differs from {}",
        reference.display()
    );
}

#[test]
fn table_has_every_code_in_order() {
    assert_eq!(all_events().len(), EVENT_TYPE_COUNT as usize);
    for (i, e) in all_events().iter().enumerate() {
        assert_eq!(e.code as usize, i);
        // Even codes enter, odd codes exit.
        assert_eq!(e.direction == Direction::Enter, i % 2 == 0, "{}", e.enum_name);
    }
    assert!(event_info(EVENT_TYPE_COUNT).is_none());
}

#[test]
fn exactly_three_large_payload_types() {
    let large: Vec<u16> = all_events()
        .iter()
        .filter(|e| e.is_large_payload())
        .map(|e| e.code)
        .collect();
    assert_eq!(large, vec![322, 324, 402]);
    assert!(is_large_payload(402));
    assert!(!is_large_payload(3));
    assert!(!is_large_payload(60000));
}

#[test]
fn rows_carry_names_params_and_flags() {
    let open_x = event_info(3).unwrap();
    assert_eq!(open_x.enum_name, "PPME_SYSCALL_OPEN_X");
    assert_eq!(open_x.name, "open");
    assert_eq!(open_x.category.class, CategoryClass::File);
    assert_eq!(open_x.category.origin, CategoryOrigin::Syscall);
    assert!(open_x.flags.contains(EventFlags::CREATES_FD));
    let names: Vec<_> = open_x.params.iter().map(|p| (p.name, p.param_type)).collect();
    assert_eq!(names[0], ("fd", ParamType::Fd));
    assert_eq!(names[1], ("name", ParamType::FsPath));
    assert_eq!(names.len(), 6);
    let unused = event_info(17).unwrap();
    assert!(unused.flags.contains(EventFlags::UNUSED));
    assert_eq!(unused.flags.names().collect::<Vec<_>>(), vec!["EF_UNUSED"]);
    let iter = event_info(430).unwrap();
    assert_eq!(iter.category.origin, CategoryOrigin::Iterator);
}

#[test]
fn names_map_to_all_their_codes() {
    assert_eq!(codes_for_name("open"), &[2, 3]);
    let execve = codes_for_name("execve");
    assert!(execve.len() > 4 && execve.contains(&231), "{execve:?}");
    assert!(codes_for_name("NA").is_empty());
    assert!(codes_for_name("no_such_syscall").is_empty());
    assert_eq!(event_name(402), Some("asyncevent"));
    for name in event_names() {
        for &c in codes_for_name(name) {
            assert_eq!(event_name(c), Some(name));
        }
    }
}
