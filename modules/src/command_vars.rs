//! `command`'s `expand_argument_vars` (on by default): each argument gets Python's
//! `os.path.expandvars` then `os.path.expanduser` on the host, with the task's
//! environment. `$NAME` and `${NAME}` are replaced when NAME is set there (even to
//! nothing) and left as written otherwise; a leading `~` or `~user` becomes that home.
//! Nothing else is expanded: no globs, no command substitution, no word splitting.

use drover_connection::quote;

/// Shell text that leaves the expanded arguments in `"$@"`, or None when no argument
/// has anything to expand (the words are then used as they are).
pub(crate) fn expand_argv(argv: &[String]) -> Option<String> {
    if !argv.iter().any(|w| w.contains('$') || w.starts_with('~')) {
        return None;
    }
    let mut out = String::from("set --; ");
    for word in argv {
        out.push_str(&expand_word(word));
        out.push_str("set -- \"$@\" \"$_w\"; ");
    }
    Some(out)
}

/// Shell text that sets `_w` to `word` expanded.
fn expand_word(word: &str) -> String {
    let mut out = String::from("_w=''; ");
    let mut rest = word;
    if let Some(after) = word.strip_prefix('~') {
        let end = after.find('/').unwrap_or(after.len());
        let user = &after[..end];
        // An unquoted tilde-prefix in an assignment is expanded by the shell, to
        // $HOME or the user's home, and left alone for an unknown user, as Python does.
        if user
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        {
            out = format!("_w=~{user}; ");
            rest = &after[end..];
        }
    }
    let mut literal = String::new();
    let mut i = 0;
    while i < rest.len() {
        if let Some((name, len)) = var_ref(&rest[i..]) {
            if !literal.is_empty() {
                out.push_str(&format!("_w=\"$_w\"{}; ", quote(&literal)));
                literal.clear();
            }
            let written = quote(&rest[i..i + len]);
            out.push_str(&format!(
                "if [ \"${{{name}+set}}\" = set ]; then _w=\"$_w${{{name}}}\"; else _w=\"$_w\"{written}; fi; "
            ));
            i += len;
            continue;
        }
        let c = rest[i..].chars().next().unwrap_or('$');
        literal.push(c);
        i += c.len_utf8();
    }
    if !literal.is_empty() {
        out.push_str(&format!("_w=\"$_w\"{}; ", quote(&literal)));
    }
    out
}

/// A `$NAME` or `${NAME}` reference at the start of `s` that the shell can look up:
/// the name and the reference's length. Python's `\w` is ASCII here (re.ASCII), and a
/// name that is not a shell identifier cannot be in the environment the shell sees.
fn var_ref(s: &str) -> Option<(&str, usize)> {
    let body = s.strip_prefix('$')?;
    let (name, len) = match body.strip_prefix('{') {
        Some(inner) => {
            let end = inner.find('}')?;
            (&inner[..end], end + 3)
        }
        None => {
            let end = body
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(body.len());
            (&body[..end], end + 1)
        }
    };
    let ident = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    ident.then_some((name, len))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(argv: &[&str], env: &[(&str, &str)]) -> Vec<String> {
        let argv: Vec<String> = argv.iter().map(|s| s.to_string()).collect();
        let script = format!(
            "{}for a in \"$@\"; do printf '%s\\0' \"$a\"; done",
            expand_argv(&argv).unwrap_or_default()
        );
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(script)
            .env_clear()
            .env("HOME", "/home/me")
            .envs(env.iter().copied())
            .output()
            .unwrap();
        String::from_utf8(out.stdout)
            .unwrap()
            .split_terminator('\0')
            .map(String::from)
            .collect()
    }

    #[test]
    fn expands_like_python_expandvars_and_expanduser() {
        assert_eq!(
            run(
                &[
                    "a$X-${X}b",
                    "$NOPE ${NOPE}",
                    "~/x",
                    "~",
                    "${a-b}$",
                    "$1x",
                    "q'*\""
                ],
                &[("X", "v w")]
            ),
            [
                "av w-v wb",
                "$NOPE ${NOPE}",
                "/home/me/x",
                "/home/me",
                "${a-b}$",
                "$1x",
                "q'*\""
            ]
        );
        assert_eq!(
            run(&["x$E.", "~nosuchuser_drover/y"], &[("E", "")]),
            ["x.", "~nosuchuser_drover/y"]
        );
        assert_eq!(run(&["~root/y"], &[])[0], format!("{}/y", root_home()));
        assert!(expand_argv(&["plain".to_string()]).is_none());
    }

    fn root_home() -> String {
        std::fs::read_to_string("/etc/passwd")
            .unwrap_or_default()
            .lines()
            .find(|l| l.starts_with("root:"))
            .and_then(|l| l.split(':').nth(5).map(String::from))
            .unwrap_or_else(|| "/root".into())
    }
}
