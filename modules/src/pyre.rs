//! Python `re` semantics on top of the `regex` crate, as far as it goes, for the modules
//! that take regular expressions from playbooks (lineinfile, blockinfile, replace).
//!
//! What is translated: Python's non-multiline `$` (end, or before a final newline) becomes
//! `(?m:$)`, exact for the one-line subjects lineinfile matches; `\Z` becomes `\z`; a `{`
//! that does not start a repetition is a literal as in Python; `{,n}` means `{0,n}`.
//! Patterns the `regex` crate refuses (look-around, backreferences such as `(?P=name)` or
//! `\1`) are run by `fancy-regex`, which works on UTF-8 text only: such a pattern on a
//! non-UTF-8 subject is an error rather than a guess.
//!
//! Known gaps against Python: possessive and atomic groups, conditional groups `(?(1)...)`,
//! `(?x)` comment details and Unicode classes follow the crates; in bytes mode a pattern
//! with non-ASCII classes falls back to Unicode matching.

use std::collections::HashMap;
use std::ops::Range;

/// Bytes mode is what lineinfile and blockinfile use in Python (`re.compile(b'...')`):
/// `\w`, `\d`, `\s` are ASCII and `.` matches any byte. Text mode is `replace`'s.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Bytes,
    Text,
}

pub enum PyRegex {
    Plain(regex::bytes::Regex),
    Fancy(fancy_regex::Regex),
}

/// Group spans of one match, by number, with the pattern's group names.
pub struct Caps {
    pub groups: Vec<Option<Range<usize>>>,
    pub names: HashMap<String, usize>,
}

impl Caps {
    pub fn whole(&self) -> Range<usize> {
        self.groups[0].clone().unwrap_or(0..0)
    }
}

impl PyRegex {
    /// Compile `pattern`; `flags` are inline flags added in front (`"m"`, `"s"`).
    pub fn new(pattern: &str, mode: Mode, flags: &str) -> Result<PyRegex, String> {
        let translated = translate(pattern);
        let prefix = if flags.is_empty() {
            String::new()
        } else {
            format!("(?{flags})")
        };
        if mode == Mode::Bytes {
            if let Ok(re) = regex::bytes::Regex::new(&format!("{prefix}(?-u){translated}")) {
                return Ok(PyRegex::Plain(re));
            }
        }
        let plain_err = match regex::bytes::Regex::new(&format!("{prefix}{translated}")) {
            Ok(re) => return Ok(PyRegex::Plain(re)),
            Err(e) => e,
        };
        match fancy_regex::Regex::new(&format!("{prefix}{translated}")) {
            Ok(re) => Ok(PyRegex::Fancy(re)),
            Err(_) => Err(first_line(&plain_err.to_string())),
        }
    }

    /// Whether the pattern was compiled with multi-line `^`/`$` (Python's `re.M`).
    pub fn is_multiline(pattern: &str) -> bool {
        let t = pattern.trim_start();
        t.starts_with("(?") && {
            let flags: String = t[2..]
                .chars()
                .take_while(|c| c.is_ascii_alphabetic())
                .collect();
            flags.contains('m') && t[2 + flags.len()..].starts_with(')')
        }
    }

    /// Check a replacement template against the pattern's groups before any match, as
    /// Python compiles the template first (a bad escape fails even without a match).
    pub fn check_template(&self, template: &[u8]) -> Result<(), String> {
        let (len, names) = match self {
            PyRegex::Plain(re) => (re.captures_len(), names(re.capture_names())),
            PyRegex::Fancy(re) => (re.captures_len(), names(re.capture_names())),
        };
        let caps = Caps {
            groups: vec![None; len],
            names,
        };
        expand(template, b"", &caps).map(|_| ())
    }

    pub fn is_match(&self, hay: &[u8]) -> Result<bool, String> {
        Ok(self.captures_at(hay, 0)?.is_some())
    }

    /// The first match starting at or after `start`.
    pub fn captures_at(&self, hay: &[u8], start: usize) -> Result<Option<Caps>, String> {
        match self {
            PyRegex::Plain(re) => Ok(re.captures_at(hay, start).map(|c| Caps {
                groups: (0..c.len()).map(|i| c.get(i).map(|m| m.range())).collect(),
                names: names(re.capture_names()),
            })),
            PyRegex::Fancy(re) => {
                let text = std::str::from_utf8(hay).map_err(|_| {
                    "this regular expression needs look-around or backreferences, which drover \
                     only supports on UTF-8 text"
                        .to_string()
                })?;
                let c = re
                    .captures_from_pos(text, start)
                    .map_err(|e| first_line(&e.to_string()))?;
                Ok(c.map(|c| Caps {
                    groups: (0..c.len()).map(|i| c.get(i).map(|m| m.range())).collect(),
                    names: names(re.capture_names()),
                }))
            }
        }
    }

    /// Every non-overlapping match, left to right, as Python 3.7+'s `finditer`: an empty
    /// match may follow a non-empty one at the same position, never another empty one.
    pub fn captures_all(&self, hay: &[u8]) -> Result<Vec<Caps>, String> {
        let mut out: Vec<Caps> = Vec::new();
        let mut pos = 0;
        while pos <= hay.len() {
            let Some(c) = self.captures_at(hay, pos)? else {
                break;
            };
            let m = c.whole();
            pos = if m.is_empty() {
                next_char(hay, m.end)
            } else {
                m.end
            };
            out.push(c);
        }
        Ok(out)
    }
}

fn next_char(hay: &[u8], at: usize) -> usize {
    let mut i = at + 1;
    while i < hay.len() && (hay[i] & 0xC0) == 0x80 {
        i += 1;
    }
    i
}

fn names<'a>(it: impl Iterator<Item = Option<&'a str>>) -> HashMap<String, usize> {
    it.enumerate()
        .filter_map(|(i, n)| n.map(|n| (n.to_string(), i)))
        .collect()
}

fn first_line(s: &str) -> String {
    s.lines()
        .rfind(|l| !l.trim().is_empty())
        .unwrap_or(s)
        .trim()
        .trim_start_matches("error: ")
        .to_string()
}

/// Rewrite the Python-only spellings; see the module comment.
fn translate(p: &str) -> String {
    translate_dollar(p, "(?m:$)")
}

/// A Python pattern for PCRE (`grep -P`) matched against a whole text: as [`translate`],
/// with `$` spelled so that it also matches before a final newline, as in Python
/// (unless the pattern turns multi-line mode on itself).
pub fn pcre_whole_text(p: &str) -> String {
    if PyRegex::is_multiline(p) {
        translate_dollar(p, "$")
    } else {
        translate_dollar(p, "(?=\\n?\\z)")
    }
}

fn translate_dollar(p: &str, dollar: &str) -> String {
    let chars: Vec<char> = p.chars().collect();
    let mut out = String::with_capacity(p.len() + 8);
    let mut i = 0;
    let mut in_class = false;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' if i + 1 < chars.len() => {
                let n = chars[i + 1];
                if n == 'Z' && !in_class {
                    out.push_str("\\z");
                } else {
                    out.push(c);
                    out.push(n);
                }
                i += 2;
                continue;
            }
            '[' if !in_class => {
                in_class = true;
                out.push(c);
                // `[]` and `[^]` start with a literal `]` in Python.
                if chars.get(i + 1) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                if chars.get(i + 1) == Some(&']') {
                    out.push_str("\\]");
                    i += 1;
                }
            }
            '[' => out.push_str("\\["),
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            '$' if !in_class => out.push_str(dollar),
            '{' if !in_class => {
                let rest: String = chars[i + 1..].iter().collect();
                match repetition(&rest) {
                    Some((body, len)) => {
                        out.push('{');
                        out.push_str(&body);
                        out.push('}');
                        i += len + 2;
                        continue;
                    }
                    None => out.push_str("\\{"),
                }
            }
            '}' if !in_class => out.push_str("\\}"),
            _ => out.push(c),
        }
        i += 1;
    }
    out
}

/// `n}`, `n,}`, `n,m}` or `,m}` after a `{`: the body to emit and its length in chars.
fn repetition(rest: &str) -> Option<(String, usize)> {
    let end = rest.find('}')?;
    let body = &rest[..end];
    let (lo, hi) = match body.split_once(',') {
        Some((lo, hi)) => (lo, Some(hi)),
        None => (body, None),
    };
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if !digits(lo) || !hi.is_none_or(digits) || (lo.is_empty() && hi.is_none_or(str::is_empty)) {
        return None;
    }
    let body = match hi {
        Some(hi) if lo.is_empty() => format!("0,{hi}"),
        _ => body.to_string(),
    };
    Some((body, end))
}

/// Python's `match.expand(template)` / `re.sub` replacement: `\1`..`\99`, `\g<n>`,
/// `\g<name>`, `\n`, `\t` and the other ASCII escapes; an unknown escape of a punctuation
/// character stays as written. An unmatched group expands to nothing (Python 3.5+).
pub fn expand(template: &[u8], hay: &[u8], caps: &Caps) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(template.len());
    let group = |i: usize, out: &mut Vec<u8>| -> Result<(), String> {
        match caps.groups.get(i) {
            Some(Some(r)) => {
                out.extend_from_slice(&hay[r.clone()]);
                Ok(())
            }
            Some(None) => Ok(()),
            None => Err(format!("invalid group reference {i}")),
        }
    };
    let mut i = 0;
    while i < template.len() {
        let c = template[i];
        if c != b'\\' || i + 1 == template.len() {
            out.push(c);
            i += 1;
            continue;
        }
        let n = template[i + 1];
        match n {
            b'g' => {
                let rest = &template[i + 2..];
                let close = rest.iter().position(|&b| b == b'>');
                let (Some(b'<'), Some(close)) = (rest.first(), close) else {
                    return Err("missing <".into());
                };
                let name = String::from_utf8_lossy(&rest[1..close]).into_owned();
                let idx = match name.parse::<usize>() {
                    Ok(n) => n,
                    Err(_) => *caps
                        .names
                        .get(&name)
                        .ok_or_else(|| format!("unknown group name '{name}'"))?,
                };
                group(idx, &mut out)?;
                i += 2 + close + 1;
            }
            b'0' => {
                // Octal escape: up to three octal digits.
                let mut j = i + 1;
                let mut v: u32 = 0;
                while j < template.len() && j < i + 4 && (b'0'..=b'7').contains(&template[j]) {
                    v = v * 8 + u32::from(template[j] - b'0');
                    j += 1;
                }
                out.push((v & 0xff) as u8);
                i = j;
            }
            b'1'..=b'9' => {
                let mut j = i + 2;
                if j < template.len() && template[j].is_ascii_digit() {
                    j += 1;
                }
                let idx: usize = std::str::from_utf8(&template[i + 1..j])
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
                group(idx, &mut out)?;
                i = j;
            }
            b'n' | b't' | b'r' | b'f' | b'v' | b'a' | b'b' | b'\\' => {
                out.push(match n {
                    b'n' => b'\n',
                    b't' => b'\t',
                    b'r' => b'\r',
                    b'f' => 0x0c,
                    b'v' => 0x0b,
                    b'a' => 0x07,
                    b'b' => 0x08,
                    _ => b'\\',
                });
                i += 2;
            }
            _ if n.is_ascii_alphabetic() => {
                return Err(format!("bad escape \\{}", n as char));
            }
            _ => {
                out.push(b'\\');
                out.push(n);
                i += 2;
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_text_dollar_matches_before_a_final_newline_as_python() {
        assert_eq!(pcre_whole_text("OK$"), "OK(?=\\n?\\z)");
        assert_eq!(pcre_whole_text("[$]x\\$"), "[$]x\\$");
        assert_eq!(pcre_whole_text("(?m)OK$"), "(?m)OK$");
    }

    fn m(p: &str, hay: &str) -> bool {
        PyRegex::new(p, Mode::Bytes, "")
            .unwrap()
            .is_match(hay.as_bytes())
            .unwrap()
    }

    #[test]
    fn dollar_matches_before_the_final_newline_only() {
        assert!(m("^foo$", "foo\n"));
        assert!(!m("^foo$", "foo\r\n"));
        assert!(!m("^$", "abc\n"));
        assert!(m("^$", "\n"));
        assert!(m("a[$]", "a$"));
        assert!(m(r"x\Z", "x"));
        assert!(!m(r"x\Z", "x\n"));
    }

    #[test]
    fn braces_are_literal_unless_repetition() {
        assert!(m("# {mark} X", "# {mark} X"));
        assert!(m("a{2}", "aa"));
        assert!(m("ba{,2}c", "bc"));
        assert!(m(r"(?<=a)b", "ab"));
        assert!(m(r"(a)\1", "aa"));
        assert!(m(r"(?P<x>a)(?P=x)", "aa"));
    }

    #[test]
    fn bytes_mode_matches_invalid_utf8() {
        let re = PyRegex::new("^key=.*$", Mode::Bytes, "").unwrap();
        assert!(re.is_match(b"key=\xff\xfe\n").unwrap());
    }

    #[test]
    fn expand_python_templates() {
        let re = PyRegex::new(r"(?P<k>\w+)=(\d+)", Mode::Text, "").unwrap();
        let hay = b"port=22";
        let c = re.captures_at(hay, 0).unwrap().unwrap();
        let e = |t: &str| String::from_utf8(expand(t.as_bytes(), hay, &c).unwrap()).unwrap();
        assert_eq!(e(r"\g<k>: \2\n"), "port: 22\n");
        assert_eq!(e(r"\1 \g<2> \. \\"), r"port 22 \. \");
        assert!(expand(b"\\q", hay, &c).is_err());
    }

    #[test]
    fn all_matches_as_python_37() {
        let re = PyRegex::new("x*", Mode::Text, "").unwrap();
        let n = re.captures_all(b"abxd").unwrap().len();
        assert_eq!(n, 5, "re.sub('x*', '-', 'abxd') is '-a-b--d-'");
    }
}
