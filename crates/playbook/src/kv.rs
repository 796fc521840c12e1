//! Ansible's `k=v` argument strings: whitespace splitting that keeps quoted text and
//! Jinja blocks together, then `k=v` extraction with free-form leftovers in
//! `_raw_params`. Follows ansible-core's `parsing/splitter.py` token for token, since
//! playbooks rely on its quirks (quotes kept in `_raw_params`, `\=` escapes, ...).

use serde_json::{Map, Value};

/// Options of the command-like modules that may be written inline in their free-form
/// text (`command: ls chdir=/tmp`).
pub const FREEFORM_INLINE_OPTIONS: &[&str] = &[
    "creates",
    "removes",
    "chdir",
    "executable",
    "warn",
    "stdin",
    "stdin_add_newline",
    "strip_empty_ends",
];

/// Unbalanced quotes or Jinja delimiters in an argument string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitError {
    pub args: String,
}

impl std::fmt::Display for SplitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "failed at splitting arguments, either an unbalanced jinja2 block or quotes: {}",
            self.args
        )
    }
}

impl std::error::Error for SplitError {}

/// `k=v` pairs of `s` as strings; with `check_raw` only the command-module options
/// ([`FREEFORM_INLINE_OPTIONS`]) are split off and other `k=v` tokens stay in
/// `_raw_params`. Tokens without `=` always go to `_raw_params`.
///
/// Unbalanced quotes are tolerated here (the tokens seen so far are used); call
/// [`try_parse_kv`] to get Ansible's error instead.
pub fn parse_kv(s: &str, check_raw: bool) -> Map<String, Value> {
    kv_from_tokens(split_tokens(s).0, check_raw)
}

/// [`parse_kv`], failing as Ansible does on unbalanced quotes or Jinja blocks.
pub fn try_parse_kv(s: &str, check_raw: bool) -> Result<Map<String, Value>, SplitError> {
    Ok(kv_from_tokens(split_args(s)?, check_raw))
}

/// Split on whitespace, keeping quoted strings and `{{ }}`/`{% %}`/`{# #}` blocks whole
/// (quotes are kept in the tokens). Newlines are preserved inside tokens.
pub fn split_args(s: &str) -> Result<Vec<String>, SplitError> {
    let (params, balanced) = split_tokens(s);
    if balanced {
        Ok(params)
    } else {
        Err(SplitError { args: s.to_owned() })
    }
}

fn kv_from_tokens(tokens: Vec<String>, check_raw: bool) -> Map<String, Value> {
    let mut options = Map::new();
    let mut raw_params: Vec<String> = Vec::new();
    for orig in tokens {
        let x: Vec<char> = decode_escapes(&orig).chars().collect();
        if !x.contains(&'=') {
            raw_params.push(orig);
            continue;
        }
        // An `=` at index 0 is never a separator, and `\=` is an escaped one.
        let sep = (1..x.len()).find(|&i| x[i] == '=' && x[i - 1] != '\\');
        let Some(pos) = sep else {
            let decoded: String = x.iter().collect();
            raw_params.push(decoded.replace("\\=", "="));
            continue;
        };
        let key: String = x[..pos].iter().collect();
        let value: String = x[pos + 1..].iter().collect();
        if check_raw && !FREEFORM_INLINE_OPTIONS.contains(&key.as_str()) {
            raw_params.push(orig);
        } else {
            options.insert(
                key.trim().to_owned(),
                Value::String(unquote(value.trim()).to_owned()),
            );
        }
    }
    if !raw_params.is_empty() {
        options.insert(
            "_raw_params".to_owned(),
            Value::String(join_args(&raw_params)),
        );
    }
    options
}

/// Rejoin tokens with single spaces, except after a token that ends a line.
pub fn join_args(parts: &[String]) -> String {
    let mut out = String::new();
    for p in parts {
        if !(out.is_empty() || out.ends_with('\n')) {
            out.push(' ');
        }
        out.push_str(p);
    }
    out
}

/// Remove one level of matching surrounding quotes (`"a b"` -> `a b`).
pub fn unquote(s: &str) -> &str {
    let b = s.as_bytes();
    let quoted = b.len() > 1
        && b[0] == b[b.len() - 1]
        && matches!(b[0], b'"' | b'\'')
        && b[b.len() - 2] != b'\\';
    if quoted {
        &s[1..s.len() - 1]
    } else {
        s
    }
}

/// The tokens and whether quotes and Jinja blocks were balanced at the end.
fn split_tokens(args: &str) -> (Vec<String>, bool) {
    let mut params: Vec<String> = Vec::new();
    if args.is_empty() {
        return (params, true);
    }
    let items: Vec<&str> = args.split('\n').collect();
    let mut quote_char: Option<char> = None;
    let mut print_depth = 0usize;
    let mut block_depth = 0usize;
    let mut comment_depth = 0usize;

    for (item_idx, item) in items.iter().enumerate() {
        let mut line_continuation = false;
        for (idx, token) in item.split(' ').enumerate() {
            // Runs of spaces are kept by appending them to the previous token.
            if token.is_empty() && idx != 0 {
                last_or_new(&mut params).push(' ');
                continue;
            }
            let inside_quotes_before = quote_char.is_some();
            if token == "\\" && !inside_quotes_before {
                line_continuation = true;
                continue;
            }
            quote_char = quote_state(token, quote_char);
            let inside_quotes = quote_char.is_some();
            let in_jinja = print_depth > 0 || block_depth > 0 || comment_depth > 0;

            let mut appended = false;
            if inside_quotes && !inside_quotes_before && !in_jinja {
                params.push(token.to_owned());
                appended = true;
            } else if in_jinja || inside_quotes || inside_quotes_before {
                let last = last_or_new(&mut params);
                if idx > 0 {
                    last.push(' ');
                }
                last.push_str(token);
                appended = true;
            }

            for (depth, open, close) in [
                (&mut print_depth, "{{", "}}"),
                (&mut block_depth, "{%", "%}"),
                (&mut comment_depth, "{#", "#}"),
            ] {
                let before = *depth;
                *depth = jinja_depth(token, before, open, close);
                if *depth != before && !appended {
                    params.push(token.to_owned());
                    appended = true;
                }
            }

            let in_jinja = print_depth > 0 || block_depth > 0 || comment_depth > 0;
            if !in_jinja && !inside_quotes && !appended && !token.is_empty() {
                params.push(token.to_owned());
            }
        }
        if items.len() > 1 && item_idx != items.len() - 1 && !line_continuation {
            last_or_new(&mut params).push('\n');
        }
    }
    let balanced =
        print_depth == 0 && block_depth == 0 && comment_depth == 0 && quote_char.is_none();
    (params, balanced)
}

fn last_or_new(params: &mut Vec<String>) -> &mut String {
    if params.is_empty() {
        params.push(String::new());
    }
    let i = params.len() - 1;
    &mut params[i]
}

/// Track whether `token` leaves us inside a quoted string (quotes preceded by a
/// backslash do not count).
fn quote_state(token: &str, mut quote_char: Option<char>) -> Option<char> {
    let mut prev: Option<char> = None;
    for c in token.chars() {
        if (c == '"' || c == '\'') && prev != Some('\\') {
            match quote_char {
                Some(q) if q == c => quote_char = None,
                Some(_) => {}
                None => quote_char = Some(c),
            }
        }
        prev = Some(c);
    }
    quote_char
}

fn jinja_depth(token: &str, depth: usize, open: &str, close: &str) -> usize {
    let opened = token.matches(open).count();
    let closed = token.matches(close).count();
    if opened == closed {
        depth
    } else {
        (depth + opened).saturating_sub(closed)
    }
}

/// Python `unicode-escape` decoding of the escapes Ansible recognises
/// (`\n`, `\t`, `\\`, `\"`, `\xNN`, `\uNNNN`, `\UNNNNNNNN`, ...). `\N{name}` is kept
/// as written: there is no name table here.
pub fn decode_escapes(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '\\' || i + 1 >= chars.len() {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let simple = match chars[i + 1] {
            '\\' => Some('\\'),
            '\'' => Some('\''),
            '"' => Some('"'),
            'a' => Some('\u{07}'),
            'b' => Some('\u{08}'),
            'f' => Some('\u{0c}'),
            'n' => Some('\n'),
            'r' => Some('\r'),
            't' => Some('\t'),
            'v' => Some('\u{0b}'),
            _ => None,
        };
        if let Some(c) = simple {
            out.push(c);
            i += 2;
            continue;
        }
        let width = match chars[i + 1] {
            'x' => 2,
            'u' => 4,
            'U' => 8,
            _ => 0,
        };
        let hex: Option<String> = (width > 0 && i + 2 + width <= chars.len())
            .then(|| chars[i + 2..i + 2 + width].iter().collect::<String>())
            .filter(|h| h.chars().all(|c| c.is_ascii_hexdigit()));
        match hex
            .and_then(|h| u32::from_str_radix(&h, 16).ok())
            .and_then(char::from_u32)
        {
            Some(c) => {
                out.push(c);
                i += 2 + width;
            }
            None => {
                out.push('\\');
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn kv(s: &str, raw: bool) -> Value {
        Value::Object(parse_kv(s, raw))
    }

    // Expected values below were produced by ansible-core 2.19's
    // ansible.parsing.splitter.parse_kv on the same inputs.
    #[test]
    fn command_style_keeps_free_form() {
        assert_eq!(
            kv(r#"echo "a b" c=d chdir=/tmp"#, true),
            json!({"chdir": "/tmp", "_raw_params": "echo \"a b\" c=d"})
        );
        assert_eq!(
            kv("ls creates='/x y'", true),
            json!({"creates": "/x y", "_raw_params": "ls"})
        );
    }

    #[test]
    fn module_style_takes_every_pair() {
        assert_eq!(
            kv(r#"echo "a b" c=d chdir=/tmp"#, false),
            json!({"c": "d", "chdir": "/tmp", "_raw_params": "echo \"a b\""})
        );
        assert_eq!(
            kv(r#"msg="a=b c" x='y z'"#, false),
            json!({"msg": "a=b c", "x": "y z"})
        );
        assert_eq!(kv("src=a dest=b", false), json!({"src": "a", "dest": "b"}));
    }

    #[test]
    fn escapes_and_equals() {
        assert_eq!(kv(r"a\=b", false), json!({"_raw_params": "a=b"}));
        assert_eq!(kv(r"msg=a\tb", false), json!({"msg": "a\tb"}));
        assert_eq!(kv(r"k=a\=b", false), json!({"k": r"a\=b"}));
        assert_eq!(kv("=x", false), json!({"_raw_params": "=x"}));
        assert_eq!(
            kv(r#"msg="say \"hi\"""#, false),
            json!({"msg": "say \"hi\""})
        );
    }

    #[test]
    fn jinja_blocks_stay_whole() {
        assert_eq!(
            kv("msg={{ a | default('x y') }} b=1", false),
            json!({"msg": "{{ a | default('x y') }}", "b": "1"})
        );
        assert_eq!(
            split_args("a {% if x %} b {% endif %} c").ok(),
            Some(
                ["a", "{% if x %}", "b", "{% endif %}", "c"]
                    .map(String::from)
                    .to_vec()
            )
        );
        assert_eq!(
            split_args("a 'b  c' d").ok(),
            Some(["a", "'b  c'", "d"].map(String::from).to_vec())
        );
    }

    #[test]
    fn more_cases_from_ansible() {
        let cases: &[(&str, bool, Value)] = &[
            (
                r#"echo "it's" 'a "b"' x"#,
                true,
                json!({"_raw_params": r#"echo "it's" 'a "b"' x"#}),
            ),
            (
                r#"a="b c"d e"#,
                false,
                json!({"a": "\"b c\"d", "_raw_params": "e"}),
            ),
            (
                "echo {{ x }} '{{ y }}' chdir={{ d }}",
                true,
                json!({"chdir": "{{ d }}", "_raw_params": "echo {{ x }} '{{ y }}'"}),
            ),
            (
                "  lead  trail  ",
                true,
                json!({"_raw_params": "  lead  trail  "}),
            ),
            (
                r#"k="v" "quoted words" z"#,
                false,
                json!({"k": "v", "_raw_params": "\"quoted words\" z"}),
            ),
            (
                r#"echo \"a b\""#,
                true,
                json!({"_raw_params": r#"echo \"a b\""#}),
            ),
        ];
        for (input, raw, want) in cases {
            assert_eq!(&kv(input, *raw), want, "{input:?}");
        }
    }

    #[test]
    fn spaces_and_newlines_are_preserved() {
        assert_eq!(
            kv("echo  a\necho b", true),
            json!({"_raw_params": "echo  a\necho b"})
        );
        assert_eq!(kv("echo a \\\nb", true), json!({"_raw_params": "echo a b"}));
    }

    #[test]
    fn unbalanced_is_an_error_only_in_try() {
        assert!(try_parse_kv(r#"echo "a b"#, true).is_err());
        assert!(try_parse_kv("msg={{ x", false).is_err());
        assert_eq!(
            kv(r#"echo "a b"#, true),
            json!({"_raw_params": "echo \"a b"})
        );
    }

    #[test]
    fn unquote_only_matching_pairs() {
        assert_eq!(unquote("'a'"), "a");
        assert_eq!(unquote("\"a'"), "\"a'");
        assert_eq!(unquote(r#""a\""#), r#""a\""#);
        assert_eq!(unquote("'"), "'");
    }
}
