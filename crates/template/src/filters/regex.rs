//! Regular expression filters and tests with Python `re` semantics: regex_replace,
//! regex_search, regex_findall, regex_escape; tests match/search/regex.
//!
//! fancy-regex accepts Python's syntax including look-around and back-references.
//! Known difference: `$` without `multiline` matches only at the very end (Python also
//! matches before a final newline).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use fancy_regex::{Captures, Regex};
use minijinja::value::{Kwargs, Rest};
use minijinja::{Environment, Error, Value};

use super::{add, kw, text_of};
use crate::error::op_err;

pub(super) fn register(env: &mut Environment<'static>) {
    add(env, "regex_replace", regex_replace);
    add(env, "regex_search", regex_search);
    add(env, "regex_findall", regex_findall);
    add(env, "regex_escape", regex_escape);
}

#[derive(Clone, Copy, Default)]
pub(crate) struct Flags {
    pub ignorecase: bool,
    pub multiline: bool,
    /// Anchor at the start, as `re.match` does.
    pub anchored: bool,
}

/// Compiled patterns, shared: every host renders the same `when: x is match(...)`.
pub(crate) fn compile(pattern: &str, flags: Flags) -> Result<Arc<Regex>, Error> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<Regex>>>> = OnceLock::new();
    let mut prefix = String::new();
    if flags.ignorecase || flags.multiline {
        prefix.push_str("(?");
        if flags.ignorecase {
            prefix.push('i');
        }
        if flags.multiline {
            prefix.push('m');
        }
        prefix.push(')');
    }
    let body = python_to_rust(pattern);
    let source = if flags.anchored {
        format!("{prefix}\\A(?:{body})")
    } else {
        format!("{prefix}{body}")
    };
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    let mut map = match cache.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    };
    if let Some(re) = map.get(&source) {
        return Ok(re.clone());
    }
    let re = Arc::new(
        Regex::new(&source)
            .map_err(|e| op_err(format!("invalid regular expression '{pattern}': {e}")))?,
    );
    if map.len() > 4096 {
        map.clear();
    }
    map.insert(source, re.clone());
    Ok(re)
}

/// Python spells end-of-text `\Z`; Rust `\z`.
fn python_to_rust(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('Z') => out.push_str("\\z"),
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn flags_from(kwargs: &Kwargs) -> Result<Flags, Error> {
    Ok(Flags {
        ignorecase: kw(kwargs, "ignorecase", false)?,
        multiline: kw(kwargs, "multiline", false)?,
        anchored: false,
    })
}

enum Part {
    Text(String),
    Group(usize),
    Named(String),
}

/// Parses a Python replacement template (`\1`, `\g<name>`, `\g<2>`, `\n`).
fn parse_replacement(repl: &str) -> Result<Vec<Part>, Error> {
    let mut parts = Vec::new();
    let mut text = String::new();
    let chars: Vec<char> = repl.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c != '\\' || i + 1 == chars.len() {
            text.push(c);
            i += 1;
            continue;
        }
        let n = chars[i + 1];
        let flush = |parts: &mut Vec<Part>, text: &mut String| {
            if !text.is_empty() {
                parts.push(Part::Text(std::mem::take(text)));
            }
        };
        match n {
            'g' if chars.get(i + 2) == Some(&'<') => {
                let close = chars[i + 3..]
                    .iter()
                    .position(|c| *c == '>')
                    .ok_or_else(|| op_err("missing >, unterminated name in replacement"))?;
                let name: String = chars[i + 3..i + 3 + close].iter().collect();
                flush(&mut parts, &mut text);
                match name.parse::<usize>() {
                    Ok(idx) => parts.push(Part::Group(idx)),
                    Err(_) => parts.push(Part::Named(name)),
                }
                i += 4 + close;
            }
            d if d.is_ascii_digit() => {
                let mut idx = d.to_digit(10).unwrap_or(0) as usize;
                let mut len = 2;
                if let Some(d2) = chars.get(i + 2).and_then(|c| c.to_digit(10)) {
                    idx = idx * 10 + d2 as usize;
                    len = 3;
                }
                flush(&mut parts, &mut text);
                parts.push(Part::Group(idx));
                i += len;
            }
            'n' => {
                text.push('\n');
                i += 2;
            }
            't' => {
                text.push('\t');
                i += 2;
            }
            'r' => {
                text.push('\r');
                i += 2;
            }
            '\\' => {
                text.push('\\');
                i += 2;
            }
            other if other.is_ascii_alphabetic() => {
                return Err(op_err(format!("bad escape \\{other} in replacement")));
            }
            other => {
                text.push('\\');
                text.push(other);
                i += 2;
            }
        }
    }
    if !text.is_empty() {
        parts.push(Part::Text(text));
    }
    Ok(parts)
}

fn expand(parts: &[Part], caps: &Captures<'_, str>, out: &mut String) -> Result<(), Error> {
    for p in parts {
        match p {
            Part::Text(t) => out.push_str(t),
            Part::Group(i) => {
                if *i >= caps.len() {
                    return Err(op_err(format!("invalid group reference {i}")));
                }
                out.push_str(caps.get(*i).map(|m| m.as_str()).unwrap_or(""));
            }
            Part::Named(n) => out.push_str(caps.name(n).map(|m| m.as_str()).unwrap_or("")),
        }
    }
    Ok(())
}

fn regex_err(e: fancy_regex::Error) -> Error {
    op_err(format!("regular expression failed: {e}"))
}

fn regex_replace(
    v: &Value,
    pattern: Option<String>,
    replacement: Option<String>,
    kwargs: Kwargs,
) -> Result<String, Error> {
    let flags = flags_from(&kwargs)?;
    let count: usize = kw(&kwargs, "count", 0usize)?;
    let mandatory_count: usize = kw(&kwargs, "mandatory_count", 0usize)?;
    kwargs.assert_all_used()?;
    let text = text_of(v)?;
    let re = compile(&pattern.unwrap_or_default(), flags)?;
    let parts = parse_replacement(&replacement.unwrap_or_default())?;
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    let mut n = 0;
    for caps in re.captures_iter(text.as_str()) {
        let caps = caps.map_err(regex_err)?;
        let Some(m) = caps.get(0) else { continue };
        out.push_str(&text[last..m.start()]);
        expand(&parts, &caps, &mut out)?;
        last = m.end();
        n += 1;
        if count > 0 && n >= count {
            break;
        }
    }
    out.push_str(&text[last..]);
    if mandatory_count > 0 && n != mandatory_count {
        return Err(op_err(format!(
            "'{}' should match {mandatory_count} times, but matches {n} times",
            re.as_str()
        )));
    }
    Ok(out)
}

fn regex_search(
    v: &Value,
    pattern: String,
    groups: Rest<String>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    let flags = flags_from(&kwargs)?;
    kwargs.assert_all_used()?;
    let text = text_of(v)?;
    let re = compile(&pattern, flags)?;
    let Some(caps) = re.captures(text.as_str()).map_err(regex_err)? else {
        return Ok(Value::from(()));
    };
    if groups.is_empty() {
        return Ok(Value::from(caps.get(0).map(|m| m.as_str()).unwrap_or("")));
    }
    let mut out = Vec::new();
    for g in groups.iter() {
        let parts = parse_replacement(g)?;
        let mut s = String::new();
        expand(&parts, &caps, &mut s)?;
        out.push(Value::from(s));
    }
    Ok(Value::from(out))
}

fn regex_findall(v: &Value, pattern: String, kwargs: Kwargs) -> Result<Value, Error> {
    let flags = flags_from(&kwargs)?;
    kwargs.assert_all_used()?;
    let text = text_of(v)?;
    let re = compile(&pattern, flags)?;
    let mut out = Vec::new();
    for caps in re.captures_iter(text.as_str()) {
        let caps = caps.map_err(regex_err)?;
        let group = |i: usize| Value::from(caps.get(i).map(|m| m.as_str()).unwrap_or(""));
        out.push(match caps.len() {
            1 => group(0),
            2 => group(1),
            n => Value::from((1..n).map(group).collect::<Vec<_>>()),
        });
    }
    Ok(Value::from(out))
}

/// Python's `re.escape` (3.7+): only characters special in a pattern are escaped.
fn regex_escape(v: &Value, re_type: Option<String>) -> Result<String, Error> {
    let text = text_of(v)?;
    let special: &str = match re_type.as_deref() {
        Some("posix_basic") => "$.*[\\]^",
        Some("python") | None => "()[]{}?*+-|^$\\.&~# \t\n\r\u{b}\u{c}",
        Some(other) => return Err(op_err(format!("Invalid regex type ({other})"))),
    };
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if special.contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    Ok(out)
}

/// The `match`/`search`/`regex` tests.
pub(crate) fn test(
    v: &Value,
    pattern: &str,
    kwargs: &Kwargs,
    anchored: bool,
) -> Result<bool, Error> {
    let mut flags = flags_from(kwargs)?;
    flags.anchored = anchored;
    let text = text_of(v)?;
    compile(pattern, flags)?
        .is_match(text.as_str())
        .map_err(regex_err)
}
