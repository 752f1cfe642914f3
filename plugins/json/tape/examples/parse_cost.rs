//! Parses every line of JSON-lines files (e.g. Falco's k8s_audit trace files) N times, as the
//! k8saudit extractor (`full`), the json plugin (`shallow`) or the k8saudit webhook (`webhook`:
//! the lines as the items of one EventList) do, for instruction counts per event under callgrind:
//!
//! `valgrind --tool=callgrind target/release/examples/parse_cost MODE N FILE...` for two N; the
//! difference over (lines x the difference in N) is the cost of one parse of one event.
use json_tape::{Limits, Tape};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(mode), Some(rounds)) = (args.get(1), args.get(2)) else {
        return Err("usage: parse_cost full|shallow|webhook ROUNDS FILE...".into());
    };
    let rounds: usize = rounds.parse()?;
    let mut lines = Vec::new();
    for path in &args[3..] {
        let text = std::fs::read_to_string(path)?;
        lines.extend(text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned));
    }
    let limits = match mode.as_str() {
        "full" => Limits::FULL,
        "shallow" => Limits {
            max_depth: json_tape::MAX_DEPTH,
            expand_depth: 1,
        },
        "webhook" => Limits {
            max_depth: 127,
            expand_depth: 3,
        },
        other => return Err(format!("unknown mode {other}").into()),
    };
    let documents = if mode == "webhook" {
        vec![format!(r#"{{"kind":"EventList","items":[{}]}}"#, lines.join(","))]
    } else {
        lines.clone()
    };
    let mut tape = Tape::new();
    let mut bytes = 0;
    for _ in 0..rounds {
        for document in &documents {
            tape.parse_with(document.as_bytes(), limits)?;
            bytes += tape.root().map_or(0, |root| root.raw().len());
        }
    }
    println!("{mode}: {} events x {rounds} rounds, {bytes} bytes parsed", lines.len());
    Ok(())
}
