use super::*;

fn tape(text: &str) -> Tape {
    let mut t = Tape::new();
    t.parse(text.as_bytes()).unwrap_or_else(|e| panic!("{text}: {e}"));
    t
}

fn compact(v: Value<'_>) -> String {
    let mut out = Vec::new();
    v.write_compact(&mut out);
    String::from_utf8(out).unwrap()
}

#[test]
fn keeps_number_text_key_order_and_first_duplicate() {
    let t = tape(r#" { "z" : 1.50 , "a" : [ 1e3 , -0 , true , null ] , "z" : 2 } "#);
    let root = t.root().unwrap();
    assert_eq!(compact(root), r#"{"z":1.50,"a":[1e3,-0,true,null],"z":2}"#);
    assert_eq!(root.get("z").unwrap().raw(), b"1.50");
    let keys: Vec<String> = root.members().map(|(k, _)| k.as_str().unwrap().into_owned()).collect();
    assert_eq!(keys, ["z", "a", "z"]);
    let arr = root.get("a").unwrap();
    assert_eq!(arr.len(), 4);
    assert_eq!(arr.get("1").unwrap().raw(), b"-0");
    assert_eq!(arr.get("+2").unwrap().as_bool(), Some(true));
    assert!(arr.get("-1").is_none());
    assert!(arr.get("4").is_none());
    assert!(arr.get("x").is_none());
    assert_eq!(arr.at(3).unwrap().kind(), Kind::Null);
}

#[test]
fn strings_decode_escapes_and_compare_keys() {
    let t = tape(r#"{"a\/b":"x\ty\u00e9\ud83d\ude00\"", "plain": "caf\u00e9 ok", "s p": " keep  spaces "}"#);
    let root = t.root().unwrap();
    assert_eq!(root.get("a/b").unwrap().as_str().unwrap(), "x\ty\u{e9}\u{1F600}\"");
    assert_eq!(root.get("plain").unwrap().as_str().unwrap(), "caf\u{e9} ok");
    // Whitespace inside strings survives compaction.
    assert_eq!(compact(root.get("s p").unwrap()), r#"" keep  spaces ""#);
    assert!(root.get("a\\/b").is_none());
}

#[test]
fn errors_say_where_and_what() {
    let mut t = Tape::new();
    assert_eq!(t.parse(b"  "), Err(ParseError::Empty));
    assert_eq!(t.parse(br#"{"a": [1, 2"#), Err(ParseError::Incomplete { offset: 11 }));
    let e = t.parse(br#"{"a" 1}"#).unwrap_err();
    assert_eq!(e.offset(), Some(5));
    assert_eq!(
        e.to_string(),
        "invalid JSON at byte 5: expected ':' after an object key, found '1'"
    );
    assert!(matches!(
        t.parse(b"[1,]"),
        Err(ParseError::Unexpected { offset: 3, .. })
    ));
    assert!(matches!(
        t.parse(b"[01]"),
        Err(ParseError::Unexpected { offset: 2, .. })
    ));
    assert!(matches!(
        t.parse(b"{} x"),
        Err(ParseError::Unexpected { offset: 3, .. })
    ));
    assert!(matches!(t.parse(b"[tru"), Err(ParseError::Incomplete { .. })));
    assert!(matches!(
        t.parse(b"[trux]"),
        Err(ParseError::Unexpected { offset: 4, .. })
    ));
    assert!(matches!(
        t.parse(b"\"a\x01\""),
        Err(ParseError::Unexpected { offset: 2, .. })
    ));
    let deep = "[".repeat(MAX_DEPTH + 1);
    assert!(matches!(t.parse(deep.as_bytes()), Err(ParseError::TooDeep { .. })));
    assert!(t.root().is_none(), "a failed parse leaves no document");
}

#[test]
fn parse_prefix_walks_concatenated_values() {
    let text = b"{\"a\":1}\n [2]\n";
    let mut t = Tape::new();
    let end = t.parse_prefix(text).unwrap();
    assert_eq!(end, 7);
    assert_eq!(compact(t.root().unwrap()), r#"{"a":1}"#);
    let end2 = t.parse_prefix(&text[end..]).unwrap();
    assert_eq!(compact(t.root().unwrap()), "[2]");
    assert_eq!(t.parse_prefix(&text[end + end2..]), Err(ParseError::Empty));
}

#[test]
fn indented_like_go_json_indent() {
    let mut out = Vec::new();
    write_indented(br#"  {"a":[1,{"b":"x y"}],"e":{},"f":[] , "g":"{,:}"}"#, "  ", &mut out);
    let expected = "{\n  \"a\": [\n    1,\n    {\n      \"b\": \"x y\"\n    }\n  ],\n  \"e\": {},\n  \"f\": [],\n  \"g\": \"{,:}\"\n}";
    assert_eq!(String::from_utf8(out).unwrap(), expected);
    let mut out = Vec::new();
    write_indented(b"[]\n", "  ", &mut out);
    assert_eq!(out, b"[]\n");
}

/// Every k8s audit trace file of Falco's suite parses, and its compact form is the same JSON.
#[test]
fn falco_audit_trace_files_round_trip() {
    let Some(dir) = conformance_dir() else {
        eprintln!("skipped: shared/conformance not found above CARGO_MANIFEST_DIR");
        return;
    };
    let dir = dir.join("falco-legacy/test/trace_files/k8s_audit");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let text = std::fs::read(&path).unwrap();
        let mut rest = &text[..];
        let mut t = Tape::new();
        loop {
            match t.parse_prefix(rest) {
                Ok(end) => {
                    let v = t.root().unwrap();
                    let mut out = Vec::new();
                    v.write_compact(&mut out);
                    let a: serde_json::Value = serde_json::from_slice(&rest[..end]).unwrap();
                    let b: serde_json::Value = serde_json::from_slice(&out).unwrap();
                    assert_eq!(a, b, "{}", path.display());
                    assert!(!out.contains(&b'\n'));
                    checked += 1;
                    rest = &rest[end..];
                }
                Err(ParseError::Empty) => break,
                Err(e) => panic!("{}: {e}", path.display()),
            }
        }
    }
    assert!(checked >= 47, "only {checked} documents found in {}", dir.display());
}

fn conformance_dir() -> Option<std::path::PathBuf> {
    let mut dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    loop {
        let c = dir.join("shared/conformance");
        if c.is_dir() {
            return Some(c);
        }
        if !dir.pop() {
            return None;
        }
    }
}

/// The eight-byte string scan finds quotes, escapes and control characters at every offset
/// of a chunk, and multi-byte UTF-8 never looks like one of them.
#[test]
fn string_scan_stops_at_every_offset() {
    for before in 0..24 {
        for after in [0, 1, 7, 8, 9, 17] {
            let chars = |n: usize| "aé€z𝄞".chars().cycle().take(n).collect::<String>();
            let (head, tail) = (chars(before), chars(after));
            let text = format!(r#"["{head}\"{tail}",1]"#);
            let t = tape(&text);
            let first = t.root().unwrap().at(0).unwrap();
            assert_eq!(first.as_str().unwrap(), format!("{head}\"{tail}"), "{text}");
            assert_eq!(t.root().unwrap().at(1).unwrap().raw(), b"1");

            let bad = format!("[\"{head}\t{tail}\",1]");
            let e = Tape::new().parse(bad.as_bytes()).unwrap_err();
            assert_eq!(e.offset(), Some(2 + head.len()), "{bad:?}");
        }
    }
}

/// Compaction copies spans when the document has no whitespace between tokens and strips it
/// otherwise; whitespace around the value does not count.
#[test]
fn compact_documents_copy_and_others_strip() {
    let t = tape("  {\"a\":[1,{\"b\":\" x \"}]}\n");
    assert_eq!(compact(t.root().unwrap().get("a").unwrap()), r#"[1,{"b":" x "}]"#);
    let t = tape("{\"a\":[1, {\"b\" :\" x \"}]}");
    assert_eq!(compact(t.root().unwrap().get("a").unwrap()), r#"[1,{"b":" x "}]"#);
    // A compact document parsed after a spaced one (and back) on the same tape.
    let mut t = Tape::new();
    for text in ["[ 1 ]", "[2]", "[ 3 ]"] {
        t.parse(text.as_bytes()).unwrap();
        assert_eq!(compact(t.root().unwrap()), text.replace(' ', ""));
    }
}

/// `utf8_lossy` gives what `String::from_utf8_lossy` gives, borrowing valid text.
#[test]
fn utf8_lossy_matches_the_standard_library() {
    let samples: [&[u8]; 5] = [
        b"",
        b"plain ascii",
        "é ✓ \u{1f600}".as_bytes(),
        b"bad \xff byte",
        b"cut \xe2\x9c",
    ];
    for bytes in samples {
        let ours = crate::utf8_lossy(bytes);
        assert_eq!(ours, String::from_utf8_lossy(bytes), "{bytes:?}");
        assert_eq!(
            matches!(ours, Cow::Borrowed(_)),
            std::str::from_utf8(bytes).is_ok(),
            "{bytes:?}"
        );
    }
}

/// A shallow parse accepts and refuses what a full parse does, with the same errors, and the
/// values it records read the same; deeper containers keep their text.
#[test]
fn shallow_parse_checks_everything_and_records_the_top() {
    let texts = [
        r#"{"kind":"Event","user":{"name":"a","groups":["x","y"]},"n":[1,[2,{"d":null}]],"s":"\u00e9"}"#,
        r#" [ {"a" : [ 1 , 2 ] } , "s" , 3.5e1 , true ] "#,
        r#"{"a":{"b":[1,]}}"#,
        r#"{"a":{"b":"\x"}}"#,
        r#"{"a":[{"b":tru}]}"#,
        r#"{"a":[{"b":1}"#,
        r#"{"a":{"b":"c"}} x"#,
        "[[[[]]]]",
        "[[[[[]]]]]",
        "{\"a\":{\"b\":\"ctl\u{1}\"}}",
    ];
    for text in texts {
        let mut full = Tape::new();
        let full_result = full.parse_with(
            text.as_bytes(),
            Limits {
                max_depth: 4,
                ..Limits::FULL
            },
        );
        for expand_depth in 0..4 {
            let mut shallow = Tape::new();
            let limits = Limits {
                max_depth: 4,
                expand_depth,
            };
            assert_eq!(
                shallow.parse_with(text.as_bytes(), limits),
                full_result,
                "{text} {expand_depth}"
            );
            let (Some(f), Some(s)) = (full.root(), shallow.root()) else {
                continue;
            };
            assert_eq!(compact(s), compact(f), "{text}");
            assert_eq!(shallow.is_compact(), full.is_compact());
            if expand_depth == 0 {
                assert_eq!(s.members().count() + s.elements().count(), 0, "{text}");
                continue;
            }
            let pairs = |v: Value<'_>| -> Vec<(String, String)> {
                let members = v.members().map(|(k, v)| (compact(k), compact(v)));
                members
                    .chain(v.elements().map(|e| (String::new(), compact(e))))
                    .collect()
            };
            assert_eq!(pairs(s), pairs(f), "{text}");
            assert_eq!(s.get("kind").map(|v| v.raw()), f.get("kind").map(|v| v.raw()));
        }
    }
    // A container below `expand_depth` reads as empty but keeps its text.
    let mut t = Tape::new();
    let limits = Limits {
        max_depth: MAX_DEPTH,
        expand_depth: 1,
    };
    t.parse_with(br#"{"user":{"name":"a"},"x":1}"#, limits).unwrap();
    let user = t.root().unwrap().get("user").unwrap();
    assert_eq!(
        (user.kind(), user.raw(), user.members().count()),
        (Kind::Object, &br#"{"name":"a"}"#[..], 0)
    );
    assert_eq!(t.root().unwrap().get("x").unwrap().raw(), b"1");
    // `max_depth` nested containers pass, one more is too deep, however little is recorded.
    for expand_depth in [0, 2, usize::MAX] {
        let limits = Limits {
            max_depth: 3,
            expand_depth,
        };
        assert!(t.parse_with(b"[[[]]]", limits).is_ok());
        assert_eq!(
            t.parse_with(b"[[[[]]]]", limits),
            Err(ParseError::TooDeep { offset: 3 })
        );
    }
}

/// Shallow parses of damaged audit events (each byte in turn replaced by a few others, or
/// removed) give exactly the result of a full parse: the same error, or the same values.
#[test]
fn shallow_parse_of_damaged_events_fails_as_the_full_parse() {
    let Some(dir) = conformance_dir() else {
        eprintln!("skipped: shared/conformance not found above CARGO_MANIFEST_DIR");
        return;
    };
    let path = dir.join("falco-legacy/test/trace_files/k8s_audit/create_nginx_pod_privileged.json");
    let text = std::fs::read(&path).unwrap();
    let event = text.split(|&b| b == b'\n').next().unwrap().to_vec();
    let (mut full, mut shallow) = (Tape::new(), Tape::new());
    let mut failures = 0;
    for at in 0..event.len() {
        for replacement in [
            None,
            Some(b'}'),
            Some(b']'),
            Some(b','),
            Some(b'"'),
            Some(b' '),
            Some(b'1'),
        ] {
            let mut damaged = event.clone();
            match replacement {
                None => drop(damaged.remove(at)),
                Some(b) => damaged[at] = b,
            }
            let want = full.parse(&damaged);
            for expand_depth in [0, 1, 3] {
                let limits = Limits {
                    max_depth: MAX_DEPTH,
                    expand_depth,
                };
                assert_eq!(shallow.parse_with(&damaged, limits), want, "at {at} {replacement:?}");
                if want.is_ok() {
                    assert_eq!(compact(shallow.root().unwrap()), compact(full.root().unwrap()));
                    assert_eq!(shallow.is_compact(), full.is_compact());
                }
            }
            failures += usize::from(want.is_err());
        }
    }
    assert!(failures > event.len() * 2, "only {failures} damaged texts refused");
    // Nesting limits as the full parse, from any depth.
    for max_depth in 1..6 {
        for nesting in 1..8 {
            let text = format!(r#"{{"a":{}{}}}"#, "[{\"b\":".repeat(nesting), "1}]".repeat(nesting));
            let limits = |expand_depth| Limits {
                max_depth,
                expand_depth,
            };
            let want = full.parse_with(text.as_bytes(), limits(usize::MAX));
            for expand_depth in 0..4 {
                assert_eq!(
                    shallow.parse_with(text.as_bytes(), limits(expand_depth)),
                    want,
                    "{text} {max_depth}"
                );
            }
        }
    }
}

/// Key comparison agrees with `==` for every length around the word sizes, whichever byte
/// differs.
#[test]
fn same_bytes_agrees_with_slice_equality() {
    for n in 0..24usize {
        let a: Vec<u8> = (0..n as u8).map(|i| b'a' + i).collect();
        assert!(same_bytes(&a, &a.clone()));
        for at in 0..n {
            let mut b = a.clone();
            b[at] ^= 0x20;
            assert!(!same_bytes(&a, &b), "{n} {at}");
        }
        assert!(!same_bytes(&a, &a[..n.saturating_sub(1)]) || n == 0);
    }
}

#[test]
fn deepest_accepted_document_parses_without_deep_recursion() {
    // Containers are walked with an explicit stack: this must not overflow a test thread's
    // stack, in debug builds either, and must record every level.
    let deep = format!("{}1{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
    let mut t = Tape::new();
    t.parse(deep.as_bytes()).unwrap();
    let mut v = t.root().unwrap();
    for _ in 1..MAX_DEPTH {
        assert_eq!(v.kind(), Kind::Array);
        v = v.at(0).unwrap();
    }
    assert_eq!(v.at(0).map(|n| n.raw().to_vec()), Some(b"1".to_vec()));
    let objects = format!("{}null{}", r#"{"k":"#.repeat(MAX_DEPTH), "}".repeat(MAX_DEPTH));
    t.parse(objects.as_bytes()).unwrap();
    assert_eq!(t.root().unwrap().raw().len(), objects.len());
    let too_deep = format!("{}null{}", r#"{"k":"#.repeat(MAX_DEPTH + 1), "}".repeat(MAX_DEPTH + 1));
    assert_eq!(
        t.parse(too_deep.as_bytes()),
        Err(ParseError::TooDeep { offset: 5 * MAX_DEPTH })
    );
}

#[test]
fn deep_containers_with_several_members_keep_every_value() {
    // 60 levels: deeper than the recursive walk goes, each level with members around the
    // nested one, white space, escapes and an empty container.
    let (mut text, mut close) = (String::new(), String::new());
    for i in 0..60 {
        text.push_str(&format!(r#"{{ "n": {i}, "e\"sc": [], "a": [true, "s{i}", {{}}, "#));
        close.insert_str(0, r#"], "z": null }"#);
    }
    let text = format!("{text}\"bottom\"{close}");
    let mut t = Tape::new();
    t.parse(text.as_bytes()).unwrap();
    let mut v = t.root().unwrap();
    for i in 0..60 {
        assert_eq!(
            v.get("n").map(|n| n.raw().to_vec()),
            Some(i.to_string().into_bytes()),
            "level {i}"
        );
        assert_eq!(v.get("e\"sc").map(|e| e.kind()), Some(Kind::Array), "level {i}");
        assert_eq!(v.get("z").map(|z| z.kind()), Some(Kind::Null), "level {i}");
        let a = v.get("a").unwrap();
        assert_eq!(a.len(), 4, "level {i}");
        assert_eq!(
            a.at(1).and_then(|s| s.as_str()).as_deref(),
            Some(format!("s{i}").as_str())
        );
        v = a.at(3).unwrap();
    }
    assert_eq!(v.as_str().as_deref(), Some("bottom"));
    let no_ws: String = text.split(' ').collect();
    assert_eq!(compact(t.root().unwrap()), no_ws);
    // Errors deep inside are reported where they are, as near the top.
    let bad = text.replacen("\"bottom\"", "\"bottom\",", 1);
    let at = text.find("\"bottom\"").unwrap() + "\"bottom\",".len();
    assert_eq!(t.parse(bad.as_bytes()).unwrap_err().offset(), Some(at));
}
