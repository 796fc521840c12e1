//! Text filters: quote, comment, human_to_bytes, human_readable, strftime, urlsplit,
//! to_uuid, and the math helpers log/pow/root.

use minijinja::value::Kwargs;
use minijinja::{Environment, Error, Value};
use sha1::{Digest, Sha1};

use super::{add, kw, text_of};
use crate::error::op_err;

pub(super) fn register(env: &mut Environment<'static>) {
    add(env, "quote", quote_filter);
    add(env, "comment", comment);
    add(env, "human_to_bytes", human_to_bytes);
    add(env, "human_readable", human_readable);
    add(env, "strftime", strftime);
    add(env, "urlsplit", urlsplit);
    add(env, "to_uuid", to_uuid);
    add(env, "log", log);
    add(env, "pow", pow);
    add(env, "root", root);
}

/// Python's `shlex.quote`.
pub(crate) fn shell_quote(s: &str) -> String {
    if s.is_empty() {
        return "''".into();
    }
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "@%+=:,./_-".contains(c))
    {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', "'\"'\"'"))
}

fn quote_filter(v: &Value) -> Result<String, Error> {
    Ok(shell_quote(&text_of(v)?))
}

/// Ansible's `comment`: a prefix line, each line decorated, a postfix line.
fn comment(v: &Value, style: Option<String>, kwargs: Kwargs) -> Result<String, Error> {
    let text = text_of(v)?;
    let style = style.unwrap_or_else(|| "plain".into());
    let (beginning, decoration, end) = match style.as_str() {
        "plain" => ("", "# ", ""),
        "erlang" => ("", "% ", ""),
        "c" => ("", "// ", ""),
        "cblock" => ("/*", " * ", " */"),
        "xml" => ("<!--", " - ", "-->"),
        other => return Err(op_err(format!("comment: unknown style '{other}'"))),
    };
    let prepostfix: String = kw(&kwargs, "decoration", decoration.to_string())?;
    let newline: String = kw(&kwargs, "newline", "\n".to_string())?;
    let beginning: String = kw(&kwargs, "beginning", beginning.to_string())?;
    let prefix: String = kw(&kwargs, "prefix", prepostfix.trim_end().to_string())?;
    let prefix_count: usize = kw(&kwargs, "prefix_count", 1usize)?;
    let decoration = prepostfix.clone();
    let postfix: String = kw(&kwargs, "postfix", prepostfix.trim_end().to_string())?;
    let postfix_count: usize = kw(&kwargs, "postfix_count", 1usize)?;
    let end: String = kw(&kwargs, "end", end.to_string())?;
    kwargs.assert_all_used()?;

    let mut out = String::new();
    if !beginning.is_empty() {
        out.push_str(&beginning);
        out.push_str(&newline);
    }
    if !prefix.is_empty() {
        let unit = if prefix != newline {
            format!("{prefix}{newline}")
        } else {
            newline.clone()
        };
        out.push_str(&unit.repeat(prefix_count));
    }
    let body = format!(
        "{decoration}{}",
        text.replace(&newline, &format!("{newline}{decoration}"))
    );
    let body = body.replace(
        &format!("{decoration}{newline}"),
        &format!("{}{newline}", decoration.trim_end()),
    );
    out.push_str(&body);
    for _ in 0..postfix_count {
        out.push_str(&newline);
        out.push_str(&postfix);
    }
    if !end.is_empty() {
        out.push_str(&newline);
        out.push_str(&end);
    }
    Ok(out)
}

const SIZE_RANGES: [(char, u128); 9] = [
    ('Y', 1 << 80),
    ('Z', 1 << 70),
    ('E', 1 << 60),
    ('P', 1 << 50),
    ('T', 1 << 40),
    ('G', 1 << 30),
    ('M', 1 << 20),
    ('K', 1 << 10),
    ('B', 1),
];

fn human_to_bytes(
    v: &Value,
    default_unit: Option<String>,
    isbits: Option<bool>,
    kwargs: Kwargs,
) -> Result<i64, Error> {
    let default_unit = match default_unit {
        Some(u) => Some(u),
        None => kwargs.get("default_unit")?,
    };
    let isbits = match isbits {
        Some(b) => b,
        None => kw(&kwargs, "isbits", false)?,
    };
    kwargs.assert_all_used()?;
    let text = text_of(v)?;
    let fail = || {
        op_err(format!(
            "human_to_bytes() can't interpret the input: human_to_bytes() can't interpret following string: {text}"
        ))
    };
    let s = text.trim();
    let num_len = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let num: f64 = s[..num_len].parse().map_err(|_| fail())?;
    let unit = s[num_len..].trim();
    let unit = if unit.is_empty() {
        default_unit
    } else {
        Some(unit.to_string())
    };
    let Some(unit) = unit else {
        return Ok(num.round() as i64);
    };
    let key = unit
        .chars()
        .next()
        .map(|c| c.to_ascii_uppercase())
        .ok_or_else(fail)?;
    let limit = SIZE_RANGES
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, l)| *l)
        .ok_or_else(fail)?;
    let class = if isbits { 'b' } else { 'B' };
    let rest: String = unit.chars().skip(1).collect();
    let ok = if key == 'B' {
        let word = if isbits { "bit" } else { "byte" };
        unit == class.to_string()
            || unit.to_lowercase() == word
            || unit.to_lowercase() == format!("{word}s")
    } else {
        rest.is_empty() || rest == class.to_string()
    };
    if !ok {
        return Err(op_err(format!(
            "human_to_bytes() can't interpret the input: human_to_bytes() failed to convert {text}. Value is not a valid string (expect {key}{class} or {key})"
        )));
    }
    Ok((num * limit as f64).round() as i64)
}

fn human_readable(
    v: &Value,
    isbits: Option<bool>,
    unit: Option<String>,
    kwargs: Kwargs,
) -> Result<String, Error> {
    let isbits = match isbits {
        Some(b) => b,
        None => kw(&kwargs, "isbits", false)?,
    };
    let unit = match unit {
        Some(u) => Some(u),
        None => kwargs.get("unit")?,
    };
    kwargs.assert_all_used()?;
    let size = match f64::try_from(v.clone()) {
        Ok(f) => f,
        Err(_) => crate::filters::core::parse_py_float(&text_of(v)?)
            .ok_or_else(|| op_err("human_readable() can't interpret the input"))?,
    };
    let base = if isbits { "bits" } else { "Bytes" };
    let mut chosen = ('B', 1u128);
    for (suffix, limit) in SIZE_RANGES {
        chosen = (suffix, limit);
        let hit = match &unit {
            None => size >= limit as f64,
            Some(u) => u.to_uppercase().starts_with(suffix),
        };
        if hit {
            break;
        }
    }
    let (suffix, limit) = chosen;
    let suffix = if limit != 1 {
        format!("{suffix}{}", &base[..1])
    } else {
        base.to_string()
    };
    Ok(format!("{:.2} {suffix}", size / limit as f64))
}

fn strftime(fmt: &Value, second: Option<Value>, kwargs: Kwargs) -> Result<String, Error> {
    let utc: bool = kw(&kwargs, "utc", false)?;
    kwargs.assert_all_used()?;
    let fmt = text_of(fmt)?;
    let secs = match second.filter(|s| !s.is_none()) {
        Some(s) => f64::try_from(s.clone())
            .ok()
            .or_else(|| s.as_str().and_then(crate::filters::core::parse_py_float))
            .ok_or_else(|| op_err(format!("Invalid value for epoch value ({s})")))?,
        None => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0),
    };
    let dt = chrono::DateTime::from_timestamp(secs.trunc() as i64, 0)
        .ok_or_else(|| op_err(format!("Invalid value for epoch value ({secs})")))?;
    let mut out = String::new();
    let written = if utc {
        std::fmt::write(&mut out, format_args!("{}", dt.format(&fmt)))
    } else {
        std::fmt::write(
            &mut out,
            format_args!("{}", dt.with_timezone(&chrono::Local).format(&fmt)),
        )
    };
    written.map_err(|_| op_err(format!("strftime: invalid format '{fmt}'")))?;
    Ok(out)
}

/// Python's `urllib.parse.urlsplit`, with Ansible's field names.
fn urlsplit(v: &Value, query: Option<String>) -> Result<Value, Error> {
    let url = text_of(v)?;
    let mut rest = url.as_str();
    let mut scheme = String::new();
    if let Some(colon) = rest.find(':') {
        let cand = &rest[..colon];
        if !cand.is_empty()
            && cand.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && cand
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        {
            scheme = cand.to_ascii_lowercase();
            rest = &rest[colon + 1..];
        }
    }
    let mut netloc = "";
    if let Some(after) = rest.strip_prefix("//") {
        let end = after.find(['/', '?', '#']).unwrap_or(after.len());
        netloc = &after[..end];
        rest = &after[end..];
    }
    let (rest, fragment) = match rest.split_once('#') {
        Some((a, f)) => (a, f),
        None => (rest, ""),
    };
    let (path, q) = match rest.split_once('?') {
        Some((p, q)) => (p, q),
        None => (rest, ""),
    };
    let (userinfo, hostport) = match netloc.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, netloc),
    };
    let (username, password) = match userinfo {
        Some(u) => match u.split_once(':') {
            Some((a, b)) => (Value::from(a), Value::from(b)),
            None => (Value::from(u), Value::from(())),
        },
        None => (Value::from(()), Value::from(())),
    };
    let (host, port) = if let Some(stripped) = hostport.strip_prefix('[') {
        match stripped.split_once(']') {
            Some((h, p)) => (h.to_string(), p.strip_prefix(':').unwrap_or("")),
            None => (stripped.to_string(), ""),
        }
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), p),
            None => (hostport.to_string(), ""),
        }
    };
    let hostname = if host.is_empty() {
        Value::from(())
    } else {
        Value::from(host.to_lowercase())
    };
    let port = match port.parse::<u16>() {
        Ok(p) => Value::from(p),
        Err(_) if port.is_empty() => Value::from(()),
        Err(_) => {
            return Err(op_err(format!(
                "Port could not be cast to integer value as '{port}'"
            )))
        }
    };
    let fields = [
        ("fragment", Value::from(fragment)),
        ("hostname", hostname),
        ("netloc", Value::from(netloc)),
        ("password", password),
        ("path", Value::from(path)),
        ("port", port),
        ("query", Value::from(q)),
        ("scheme", Value::from(scheme)),
        ("username", username),
    ];
    match query {
        Some(q) if !q.is_empty() => fields
            .into_iter()
            .find(|(k, _)| *k == q)
            .map(|(_, v)| v)
            .ok_or_else(|| op_err(format!("urlsplit: unknown URL component: {q}"))),
        _ => Ok(Value::from_pairs(
            fields.into_iter().map(|(k, v)| (Value::from(k), v)),
        )),
    }
}

/// uuid5 in Ansible's namespace (or the one given).
fn to_uuid(v: &Value, namespace: Option<String>) -> Result<String, Error> {
    let ns = namespace.unwrap_or_else(|| "361E6D51-FAEC-444A-9079-341386DA8E2E".into());
    let hex: String = ns.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    if hex.len() != 32 {
        return Err(op_err(format!("to_uuid: invalid namespace '{ns}'")));
    }
    let mut bytes = Vec::with_capacity(16);
    for i in 0..16 {
        bytes.push(
            u8::from_str_radix(&hex[i * 2..i * 2 + 2], 16)
                .map_err(|_| op_err("to_uuid: invalid namespace"))?,
        );
    }
    let mut h = Sha1::new();
    h.update(&bytes);
    h.update(text_of(v)?.as_bytes());
    let d = h.finalize();
    let mut u = [0u8; 16];
    u.copy_from_slice(&d[..16]);
    u[6] = (u[6] & 0x0f) | 0x50;
    u[8] = (u[8] & 0x3f) | 0x80;
    let s: String = u.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &s[..8],
        &s[8..12],
        &s[12..16],
        &s[16..20],
        &s[20..]
    ))
}

fn num(v: &Value) -> Result<f64, Error> {
    f64::try_from(v.clone()).map_err(|_| op_err(format!("can only do math on numbers, got '{v}'")))
}

fn log(v: &Value, base: Option<f64>) -> Result<f64, Error> {
    let x = num(v)?;
    Ok(match base {
        Some(b) => x.ln() / b.ln(),
        None => x.ln(),
    })
}

fn pow(v: &Value, y: f64) -> Result<f64, Error> {
    Ok(num(v)?.powf(y))
}

fn root(v: &Value, base: Option<f64>) -> Result<f64, Error> {
    let x = num(v)?;
    Ok(match base {
        None | Some(2.0) => x.sqrt(),
        Some(b) => x.powf(1.0 / b),
    })
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn shlex_quote() {
        assert_eq!(shell_quote("it's a b"), "'it'\"'\"'s a b'");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("abc_1.2/x"), "abc_1.2/x");
    }
}
