//! `${VAR}` expansion in configuration values (Falco 0.36+): applied to every scalar value of
//! every configuration file when it is read, not to `-o` values (as Falco).

use super::tree::{Item, Tree};

/// Replaces `${NAME}` by the value of `NAME` (empty when unset) and `$${` by a literal `${`.
/// An unterminated `${` is left as written. Unlike Falco 0.44, a lone `$` does not stop the
/// expansion of later `${NAME}` in the same value.
pub fn expand(text: &str, lookup: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        if let Some(body) = tail.strip_prefix("${") {
            let Some(end) = body.find('}') else {
                out.push_str(tail);
                return out;
            };
            out.push_str(&lookup(&body[..end]).unwrap_or_default());
            rest = &body[end + 1..];
        } else if let Some(body) = tail.strip_prefix("$${") {
            if !body.contains('}') {
                out.push_str(tail);
                return out;
            }
            out.push_str("${");
            rest = body;
        } else {
            out.push('$');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    out
}

/// Expands every scalar value (not mapping keys) of `item` in place.
pub fn expand_tree(item: &mut Item, lookup: &dyn Fn(&str) -> Option<String>) {
    match &mut item.value {
        Tree::Scalar(text, _) => {
            if text.contains('$') {
                *text = expand(text, lookup);
            }
        }
        Tree::Seq(items) => items.iter_mut().for_each(|i| expand_tree(i, lookup)),
        Tree::Map(entries) => entries.iter_mut().for_each(|(_, v)| expand_tree(v, lookup)),
    }
}

#[cfg(test)]
mod tests {
    use super::expand;

    fn env(name: &str) -> Option<String> {
        match name {
            "HOME" => Some("/home/u".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn variables_escapes_and_unterminated() {
        assert_eq!(expand("${HOME}/rules", &env), "/home/u/rules");
        assert_eq!(expand("a${UNSET}b${EMPTY}c", &env), "abc");
        assert_eq!(expand("$${HOME} is ${HOME}", &env), "${HOME} is /home/u");
        assert_eq!(expand("cost $5 ${HOME}", &env), "cost $5 /home/u");
        assert_eq!(expand("open ${HOME", &env), "open ${HOME");
        assert_eq!(expand("$$", &env), "$$");
    }
}
