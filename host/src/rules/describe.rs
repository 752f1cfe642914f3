//! `-L` (every rule: name and description) and `-l RULE`, as Falco prints them: a two-column
//! table, names padded to 50 columns, descriptions wrapped at 110 columns and indented.

/// Width of the name column (plus one space).
pub const NAME_COLUMN: usize = 50;
/// Lines of the description column end before this column.
pub const LINE_WIDTH: usize = 110;

/// Wraps `text` so that, starting at column `start`, no line passes `width`; continuation
/// lines are indented to `start`.
pub fn wrap_text(text: &str, start: usize, width: usize) -> String {
    let mut out = String::new();
    let mut col = start;
    for word in text.split_whitespace() {
        if col > start && col + 1 + word.len() > width {
            out.push('\n');
            out.push_str(&" ".repeat(start));
            col = start;
        } else if col > start {
            out.push(' ');
            col += 1;
        }
        out.push_str(word);
        col += word.len();
    }
    out
}

/// The table for `rules` (name, description) in load order.
pub fn describe(rules: &[(&str, &str)]) -> String {
    let mut out = format!("{:<NAME_COLUMN$} {}\n", "Rule", "Description");
    out.push_str(&format!("{:<NAME_COLUMN$} {}\n", "----", "-----------"));
    for (name, desc) in rules {
        let wrapped = wrap_text(desc, NAME_COLUMN + 1, LINE_WIDTH);
        out.push_str(&format!("{name:<NAME_COLUMN$} {wrapped}\n\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_pads_and_wraps() {
        let long = "word ".repeat(30);
        let t = describe(&[("r1", "short desc"), ("r2", long.trim())]);
        let lines: Vec<&str> = t.lines().collect();
        assert!(lines[0].starts_with("Rule") && lines[0][NAME_COLUMN + 1..].starts_with("Description"));
        assert_eq!(lines[2], format!("{:<50} short desc", "r1"));
        assert!(lines.iter().all(|l| l.len() <= LINE_WIDTH), "{t}");
        assert!(lines[5].starts_with(&" ".repeat(NAME_COLUMN + 1)));
    }
}
