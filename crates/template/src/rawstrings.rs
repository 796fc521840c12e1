//! Ansible 2.19 reads string literals in task-argument templates raw: `'a\nb'` is a
//! backslash and an `n`, and `'\d+'` needs no doubling. Jinja (and minijinja) would
//! process the escapes, so before compiling such a template every literal is re-encoded
//! so that unescaping gives back its raw text. File templates keep Jinja's escapes.

use std::borrow::Cow;

pub(crate) fn raw_string_literals(src: &str) -> Cow<'_, str> {
    if !src.contains('\\') {
        return Cow::Borrowed(src);
    }
    let b = src.as_bytes();
    let mut out = String::with_capacity(src.len() + 8);
    let mut i = 0;
    let mut copied = 0;
    while i + 1 < b.len() {
        if b[i] != b'{' {
            i += 1;
            continue;
        }
        match b[i + 1] {
            b'#' => {
                i = src[i + 2..]
                    .find("#}")
                    .map(|p| i + 2 + p + 2)
                    .unwrap_or(b.len());
            }
            b'{' | b'%' => {
                let close = if b[i + 1] == b'{' { b'}' } else { b'%' };
                if close == b'%' && is_raw_block(&src[i..]) {
                    i = src[i..].find("endraw").map(|p| i + p).unwrap_or(b.len());
                    continue;
                }
                let mut j = i + 2;
                let mut depth = 0usize;
                while j < b.len() {
                    match b[j] {
                        q @ (b'\'' | b'"') => {
                            let start = j + 1;
                            let mut k = start;
                            while k < b.len() && b[k] != q {
                                k += if b[k] == b'\\' { 2 } else { 1 };
                            }
                            let end = k.min(b.len());
                            let raw = &src[start..end];
                            if raw.contains('\\') {
                                out.push_str(&src[copied..start]);
                                for c in raw.chars() {
                                    match c {
                                        '\\' => out.push_str("\\\\"),
                                        c if c as u32 == q as u32 => {
                                            out.push('\\');
                                            out.push(c);
                                        }
                                        c => out.push(c),
                                    }
                                }
                                copied = end;
                            }
                            j = end + 1;
                        }
                        b'{' | b'[' | b'(' => {
                            depth += 1;
                            j += 1;
                        }
                        b'}' | b']' | b')' if depth > 0 => {
                            depth -= 1;
                            j += 1;
                        }
                        c if c == close && b.get(j + 1) == Some(&b'}') => {
                            j += 2;
                            break;
                        }
                        _ => j += 1,
                    }
                }
                i = j;
            }
            _ => i += 1,
        }
    }
    if copied == 0 {
        return Cow::Borrowed(src);
    }
    out.push_str(&src[copied.min(src.len())..]);
    Cow::Owned(out)
}

fn is_raw_block(s: &str) -> bool {
    let inner = s[2..].trim_start_matches(['-', '+']).trim_start();
    inner.starts_with("raw")
        && inner[3..]
            .trim_start()
            .trim_start_matches(['-', '+'])
            .starts_with("%}")
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn literals_become_raw() {
        assert_eq!(raw_string_literals(r"{{ 'a\nb' }}"), r"{{ 'a\\nb' }}");
        assert_eq!(raw_string_literals(r"{{ 'a\'b' }}"), r"{{ 'a\\\'b' }}");
        assert_eq!(
            raw_string_literals(r#"{{ "a\"b" | f('\d') }}"#),
            r#"{{ "a\\\"b" | f('\\d') }}"#
        );
        assert_eq!(raw_string_literals(r"text \n {{ x }}"), r"text \n {{ x }}");
        assert_eq!(
            raw_string_literals(r"{% raw %}{{ '\n' }}{% endraw %}"),
            r"{% raw %}{{ '\n' }}{% endraw %}"
        );
        assert_eq!(
            raw_string_literals(r"{{ {'a': {'b': '\t'}} }}"),
            r"{{ {'a': {'b': '\\t'}} }}"
        );
        assert_eq!(
            raw_string_literals(r"{% if x == '\d' %}y{% endif %}"),
            r"{% if x == '\\d' %}y{% endif %}"
        );
    }
}
