//! Python's `'...' % args` in templates. minijinja's `%` is the modulo of numbers only
//! and has no hook for strings, so before compiling, a string literal followed by `%`
//! inside `{{ }}` or `{% %}` is rewritten into a call of [`FUNCTION`]:
//! `'%s-%d' % (a, b) | x` becomes `__drover_pyformat('%s-%d', (a, b) | x)`.
//!
//! The right operand is what binds tighter than `%` in Jinja: an optional sign, a
//! literal, name or bracketed group, then attribute, item and call suffixes and
//! `| filter(...)` chains. A string on the left that is not a literal (`fmt % x`) is
//! not rewritten; a tuple and a list on the right both give positional arguments.

use std::borrow::Cow;

use minijinja::value::{Value, ValueKind};
use minijinja::{Error, ErrorKind};

use crate::convert::{to_json, undefined_error};
use crate::env::Delimiters;

pub(crate) const FUNCTION: &str = "__drover_pyformat";

/// The template source with every `'literal' % operand` rewritten.
pub(crate) fn rewrite<'a>(src: &'a str, d: &Delimiters) -> Cow<'a, str> {
    let percent = src.contains('%') && (src.contains('\'') || src.contains('"'));
    if !percent && !src.contains('+') {
        return Cow::Borrowed(src);
    }
    let mut out = String::with_capacity(src.len() + 32);
    let mut rest = src;
    loop {
        let next = [&d.variable, &d.block, &d.comment]
            .into_iter()
            .filter_map(|(open, close)| rest.find(open.as_str()).map(|at| (at, open, close)))
            .min_by_key(|(at, ..)| *at);
        let Some((at, open, close)) = next else {
            out.push_str(rest);
            break;
        };
        out.push_str(&rest[..at + open.len()]);
        rest = &rest[at + open.len()..];
        if (open, close) == (&d.comment.0, &d.comment.1) {
            let end = rest
                .find(close.as_str())
                .map_or(rest.len(), |e| e + close.len());
            out.push_str(&rest[..end]);
            rest = &rest[end..];
            continue;
        }
        let end = code_end(rest, close);
        let code = &rest[..end];
        if open == &d.block.0 && is_raw(code) {
            // Everything up to `endraw` is text.
            let stop = rest.find("endraw").unwrap_or(rest.len());
            out.push_str(&rest[..stop]);
            rest = &rest[stop..];
            continue;
        }
        out.push_str(&rewrite_code(code));
        rest = &rest[end..];
    }
    Cow::Owned(out)
}

/// `code` without the `+` signs that stand where an operand starts (`[-1, +2]`):
/// after an opening bracket, a comma, a colon, an operator or an operator keyword.
fn drop_unary_plus(code: &str) -> Cow<'_, str> {
    if !code.contains('+') {
        return Cow::Borrowed(code);
    }
    let b = code.as_bytes();
    // A `+` or `-` right after the delimiter is whitespace control.
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let mut operand_expected = true;
    let mut out = String::new();
    let mut copied = 0;
    while i < b.len() {
        match b[i] {
            q @ (b'\'' | b'"') => {
                i = string_end(b, i, q);
                operand_expected = false;
            }
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'+' if operand_expected => {
                out.push_str(&code[copied..i]);
                copied = i + 1;
                i += 1;
            }
            c if c.is_ascii_alphanumeric() || c == b'_' || c == b'.' => {
                let end = word_end(b, i);
                let word = &code[i..end.max(i + 1)];
                operand_expected = matches!(
                    word,
                    "and" | "or" | "not" | "in" | "is" | "if" | "else" | "return"
                );
                i = end.max(i + 1);
            }
            c => {
                operand_expected = !matches!(c, b')' | b']' | b'}');
                i += 1;
            }
        }
    }
    if copied == 0 {
        return Cow::Borrowed(code);
    }
    out.push_str(&code[copied..]);
    Cow::Owned(out)
}

fn is_raw(code: &str) -> bool {
    let t = code.trim_start_matches(['-', '+']).trim_start();
    t.strip_prefix("raw")
        .is_some_and(|r| r.trim_start_matches(['-', '+']).trim().is_empty())
}

/// Where the code of a tag ends: the close delimiter outside strings and brackets.
fn code_end(s: &str, close: &str) -> usize {
    let b = s.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            q @ (b'\'' | b'"') => i = string_end(b, i, q),
            b'(' | b'[' | b'{' => {
                depth += 1;
                i += 1;
            }
            b')' | b']' | b'}' if depth > 0 => {
                depth -= 1;
                i += 1;
            }
            _ if depth == 0 && s[i..].starts_with(close) => return i,
            _ => i += 1,
        }
    }
    b.len()
}

/// The index just past the string literal opened by the quote at `start`.
fn string_end(b: &[u8], start: usize, quote: u8) -> usize {
    let mut i = start + 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            c if c == quote => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

/// Drops Python's unary plus (`+2.5`), which minijinja does not parse, then rewrites
/// the first `'literal' % operand` of `code` until none is left.
fn rewrite_code(code: &str) -> Cow<'_, str> {
    let mut code = drop_unary_plus(code);
    while let Some(next) = rewrite_one(&code) {
        code = Cow::Owned(next);
    }
    code
}

fn rewrite_one(code: &str) -> Option<String> {
    let b = code.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            q @ (b'\'' | b'"') => {
                let lit_end = string_end(b, i, q);
                let pct = skip_ws(b, lit_end);
                // Not `%}` (the end of a block) nor `%=`-like operators Jinja lacks.
                if b.get(pct) == Some(&b'%') && !matches!(b.get(pct + 1), Some(b'}' | b'%')) {
                    let start = skip_ws(b, pct + 1);
                    if let Some(end) = operand_end(b, start) {
                        return Some(format!(
                            "{}{FUNCTION}({}, {}){}",
                            &code[..i],
                            &code[i..lit_end],
                            &code[start..end],
                            &code[end..]
                        ));
                    }
                }
                i = lit_end;
            }
            c if c.is_ascii_alphanumeric() || c == b'_' => {
                // A name or number: a quote right after one is not a literal's start.
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    None
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// The end of the operand starting at `i` (see the module comment), if there is one.
fn operand_end(b: &[u8], mut i: usize) -> Option<usize> {
    if matches!(b.get(i), Some(b'-' | b'+')) {
        i = skip_ws(b, i + 1);
    }
    i = primary_end(b, i)?;
    loop {
        match b.get(i) {
            Some(b'.')
                if b.get(i + 1)
                    .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_') =>
            {
                i = word_end(b, i + 1);
            }
            Some(b'[' | b'(') => i = group_end(b, i)?,
            _ => {
                let pipe = skip_ws(b, i);
                if b.get(pipe) == Some(&b'|') && b.get(pipe + 1) != Some(&b'|') {
                    let name = skip_ws(b, pipe + 1);
                    let after = word_end(b, name);
                    if after == name {
                        return Some(i);
                    }
                    i = after;
                    if b.get(i) == Some(&b'(') {
                        i = group_end(b, i)?;
                    }
                } else {
                    return Some(i);
                }
            }
        }
    }
}

fn primary_end(b: &[u8], i: usize) -> Option<usize> {
    match b.get(i)? {
        q @ (b'\'' | b'"') => Some(string_end(b, i, *q)),
        b'(' | b'[' | b'{' => group_end(b, i),
        c if c.is_ascii_alphanumeric() || *c == b'_' => {
            let mut end = word_end(b, i);
            // A float: `1.5`.
            if b[i].is_ascii_digit() && b.get(end) == Some(&b'.') {
                end = word_end(b, end + 1);
            }
            Some(end)
        }
        _ => None,
    }
}

fn word_end(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
        i += 1;
    }
    i
}

/// The index past the bracket group opened at `i`.
fn group_end(b: &[u8], i: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut j = i;
    while j < b.len() {
        match b[j] {
            q @ (b'\'' | b'"') => {
                j = string_end(b, j, q);
                continue;
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(j + 1);
                }
            }
            _ => {}
        }
        j += 1;
    }
    None
}

/// `FUNCTION(fmt, args)`: Python's `fmt % args`.
pub(crate) fn pyformat(fmt: &Value, args: &Value) -> Result<Value, Error> {
    for v in [fmt, args] {
        if v.is_undefined() {
            return Err(undefined_error(v));
        }
    }
    let Some(f) = fmt.as_str() else {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            "the left operand of % must be a string",
        ));
    };
    let json = to_json(args)?;
    let positional = match (args.kind(), &json) {
        (ValueKind::Seq, serde_json::Value::Array(items)) => items.clone(),
        _ => vec![json.clone()],
    };
    crate::pyformat::format_with(f, &positional, json.as_object())
        .map(Value::from)
        .map_err(|e| Error::new(ErrorKind::InvalidOperation, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rw(s: &str) -> String {
        rewrite(s, &Delimiters::default()).into_owned()
    }

    #[test]
    fn drops_unary_plus_only() {
        assert_eq!(
            rw("{{ [-2.5, +2.5, 1 + 2.5] }}"),
            "{{ [-2.5, 2.5, 1 + 2.5] }}"
        );
        assert_eq!(
            rw("{{ a + +b }} {{ x|int +1 }}"),
            "{{ a + b }} {{ x|int +1 }}"
        );
        assert_eq!(
            rw("{%+ if not +1 +%}'+'{%- endif %}"),
            "{%+ if not 1 +%}'+'{%- endif %}"
        );
        assert_eq!(rw("a + b {{ '+x' }}"), "a + b {{ '+x' }}");
    }

    #[test]
    fn rewrites_literal_percent_operand() {
        assert_eq!(rw("{{ 'a %s' % x }}"), "{{ __drover_pyformat('a %s', x) }}");
        assert_eq!(
            rw("{{ \"%s/%s\" % (a.b, c['d']) | upper ~ 'z' }}"),
            "{{ __drover_pyformat(\"%s/%s\", (a.b, c['d']) | upper) ~ 'z' }}"
        );
        assert_eq!(
            rw("{% set y = '%d' % -n.m(1) %}{{ y }}"),
            "{% set y = __drover_pyformat('%d', -n.m(1)) %}{{ y }}"
        );
        assert_eq!(
            rw("{{ ('%s' % a) ~ ('%s' % b) }}"),
            "{{ (__drover_pyformat('%s', a)) ~ (__drover_pyformat('%s', b)) }}"
        );
    }

    #[test]
    fn leaves_everything_else_alone() {
        for s in [
            "100 % of 'a' %s",
            "{% if x == 'a' %}y{% endif %}",
            "{{ a % 2 }}",
            "{# 'a' % b #}",
            "{% raw %}{{ 'a' % b }}{% endraw %}",
            "{{ x | default('%') }}",
        ] {
            assert_eq!(rw(s), s);
        }
    }
}
