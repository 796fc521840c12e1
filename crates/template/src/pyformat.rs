//! Python's printf-style `%` formatting: the `sequence` lookup's `format=`, and
//! `'...' % args` in templates (see `percent`).

use serde_json::Value as Json;

use crate::pyrepr::{json_repr, json_str};

/// Formats `fmt % args`. Supports `%%`, flags `-+ 0#`, width, precision and the
/// conversions d i u o x X e E f F g G c s r a.
pub(crate) fn format(fmt: &str, args: &[Json]) -> Result<String, String> {
    format_with(fmt, args, None)
}

/// `fmt % args` where the right operand may be a mapping: `%(name)s` takes its value
/// from `mapping` (Python's `'%(a)s' % {'a': 1}`).
pub(crate) fn format_with(
    fmt: &str,
    args: &[Json],
    mapping: Option<&serde_json::Map<String, Json>>,
) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = fmt.chars().peekable();
    let mut next = args.iter();
    let mut used_mapping = false;
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut key: Option<String> = None;
        if chars.peek() == Some(&'(') {
            chars.next();
            let mut name = String::new();
            loop {
                match chars.next() {
                    Some(')') => break,
                    Some(ch) => name.push(ch),
                    None => return Err("incomplete format key".into()),
                }
            }
            key = Some(name);
        }
        let mut flags = String::new();
        while let Some(&f) = chars.peek() {
            if "-+ 0#".contains(f) {
                flags.push(f);
                chars.next();
            } else {
                break;
            }
        }
        let mut width = String::new();
        while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
            width.push(d);
            chars.next();
        }
        let mut precision: Option<usize> = None;
        if chars.peek() == Some(&'.') {
            chars.next();
            let mut p = String::new();
            while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                p.push(d);
                chars.next();
            }
            precision = Some(p.parse().unwrap_or(0));
        }
        let conv = chars.next().ok_or("incomplete format")?;
        if conv == '%' {
            out.push('%');
            continue;
        }
        let arg = match &key {
            Some(name) => {
                used_mapping = true;
                mapping
                    .ok_or("format requires a mapping")?
                    .get(name)
                    .ok_or_else(|| format!("'{name}'"))?
            }
            None => next
                .next()
                .ok_or("not enough arguments for format string")?,
        };
        let body = convert(conv, arg, &flags, precision)?;
        let width: usize = width.parse().unwrap_or(0);
        let len = body.chars().count();
        if len >= width {
            out.push_str(&body);
        } else if flags.contains('-') {
            out.push_str(&body);
            out.push_str(&" ".repeat(width - len));
        } else if flags.contains('0') && "diuoxXeEfFgG".contains(conv) {
            let (sign, digits) = match body.chars().next() {
                Some(s @ ('-' | '+' | ' ')) => (s.to_string(), &body[1..]),
                _ => (String::new(), body.as_str()),
            };
            out.push_str(&sign);
            out.push_str(&"0".repeat(width - len));
            out.push_str(digits);
        } else {
            out.push_str(&" ".repeat(width - len));
            out.push_str(&body);
        }
    }
    // A mapping is one argument whether or not `%(name)` used it.
    if next.next().is_some() && !(used_mapping || mapping.is_some()) {
        return Err("not all arguments converted during string formatting".into());
    }
    Ok(out)
}

fn as_int(arg: &Json) -> Result<i64, String> {
    match arg {
        Json::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f.trunc() as i64))
            .ok_or_else(|| "number out of range".into()),
        Json::Bool(b) => Ok(*b as i64),
        other => Err(format!(
            "%d format: a real number is required, not {}",
            crate::convert::json_type_name(other)
        )),
    }
}

fn as_float(arg: &Json) -> Result<f64, String> {
    match arg {
        Json::Number(n) => n.as_f64().ok_or_else(|| "number out of range".into()),
        Json::Bool(b) => Ok(*b as i64 as f64),
        other => Err(format!(
            "must be real number, not {}",
            crate::convert::json_type_name(other)
        )),
    }
}

fn signed(n: String, negative: bool, flags: &str) -> String {
    if negative {
        format!("-{n}")
    } else if flags.contains('+') {
        format!("+{n}")
    } else if flags.contains(' ') {
        format!(" {n}")
    } else {
        n
    }
}

fn convert(
    conv: char,
    arg: &Json,
    flags: &str,
    precision: Option<usize>,
) -> Result<String, String> {
    Ok(match conv {
        'd' | 'i' | 'u' => {
            let n = as_int(arg)?;
            signed(n.unsigned_abs().to_string(), n < 0, flags)
        }
        'o' | 'x' | 'X' => {
            let n = as_int(arg)?;
            let a = n.unsigned_abs();
            let (digits, prefix) = match conv {
                'o' => (format!("{a:o}"), "0o"),
                'x' => (format!("{a:x}"), "0x"),
                _ => (format!("{a:X}"), "0X"),
            };
            let digits = if flags.contains('#') {
                format!("{prefix}{digits}")
            } else {
                digits
            };
            signed(digits, n < 0, flags)
        }
        'e' | 'E' | 'f' | 'F' | 'g' | 'G' => {
            let f = as_float(arg)?;
            let p = precision.unwrap_or(6);
            let body = match conv {
                'f' | 'F' => format!("{:.*}", p, f.abs()),
                'e' | 'E' => python_exp(f.abs(), p),
                _ => python_general(f.abs(), p),
            };
            let body = if conv.is_ascii_uppercase() {
                body.to_uppercase()
            } else {
                body
            };
            signed(body, f.is_sign_negative() && f != 0.0, flags)
        }
        'c' => match arg {
            Json::String(s) if s.chars().count() == 1 => s.clone(),
            other => {
                let n = as_int(other)?;
                char::from_u32(n as u32)
                    .map(String::from)
                    .ok_or("%c arg not in range")?
            }
        },
        's' => {
            let s = json_str(arg);
            match precision {
                Some(p) => s.chars().take(p).collect(),
                None => s,
            }
        }
        'r' | 'a' => json_repr(arg),
        other => return Err(format!("unsupported format character '{other}'")),
    })
}

/// `%e`: mantissa with `precision` digits, exponent with sign and at least 2 digits.
fn python_exp(f: f64, precision: usize) -> String {
    let s = format!("{:.*e}", precision, f);
    match s.split_once('e') {
        Some((m, e)) => {
            let exp: i32 = e.parse().unwrap_or(0);
            format!("{m}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs())
        }
        None => s,
    }
}

/// `%g`: shortest of %e/%f at `precision` significant digits, trailing zeros removed.
fn python_general(f: f64, precision: usize) -> String {
    let p = precision.max(1);
    if f == 0.0 {
        return "0".into();
    }
    let exp = f.abs().log10().floor() as i32;
    if exp < -4 || exp >= p as i32 {
        let s = python_exp(f, p - 1);
        match s.split_once('e') {
            Some((m, e)) => {
                let m = if m.contains('.') {
                    m.trim_end_matches('0').trim_end_matches('.')
                } else {
                    m
                };
                format!("{m}e{e}")
            }
            None => s,
        }
    } else {
        let decimals = (p as i32 - 1 - exp).max(0) as usize;
        let s = format!("{:.*}", decimals, f);
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    }
}

#[cfg(test)]
mod unit {
    use super::*;
    use serde_json::json;

    #[test]
    fn printf_like_python() {
        assert_eq!(format("x%02d", &[json!(4)]).unwrap(), "x04");
        assert_eq!(
            format("%5s|%-5s|", &[json!("a"), json!("b")]).unwrap(),
            "    a|b    |"
        );
        assert_eq!(
            format("%.2f %x %o %%", &[json!(1.23456), json!(255), json!(8)]).unwrap(),
            "1.23 ff 10 %"
        );
        assert_eq!(format("%e", &[json!(12345.678)]).unwrap(), "1.234568e+04");
        assert_eq!(
            format("%g %g", &[json!(0.0001), json!(1e20)]).unwrap(),
            "0.0001 1e+20"
        );
        assert_eq!(format("%+d %r", &[json!(5), json!("a")]).unwrap(), "+5 'a'");
        assert!(format("%d", &[]).is_err());
        let m = json!({"a": 1, "b": "x"});
        assert_eq!(
            format_with("%(a)03d-%(b)s", std::slice::from_ref(&m), m.as_object()).unwrap(),
            "001-x"
        );
        assert!(format_with("%(c)s", std::slice::from_ref(&m), m.as_object()).is_err());
    }
}
