//! Host identifiers as inventories write them: `host:port`, `[v6]:port`, and
//! ranges such as `web[01:20]`, `db-[a:f]`, `n[0:10:2]`.

use std::sync::OnceLock;

use regex::Regex;

const NUMERIC_RANGE: &str = r"\[(?:[0-9]+:[0-9]+)(?::[0-9]+)?\]";
const HEX_RANGE: &str = r"\[(?:[0-9a-f]+:[0-9a-f]+)(?::[0-9]+)?\]";
const ALNUM_RANGE: &str = r"\[(?:[a-z]:[a-z]|[0-9]+:[0-9]+)(?::[0-9]+)?\]";

struct Patterns {
    bracketed_hostport: Regex,
    hostport: Regex,
    ipv4: Regex,
    ipv6: Regex,
    hostname: Regex,
}

fn patterns() -> &'static Patterns {
    static PATTERNS: OnceLock<Patterns> = OnceLock::new();
    PATTERNS.get_or_init(|| {
        let i4 = format!(r"(?:[01]?[0-9]{{1,2}}|2[0-4][0-9]|25[0-5]|{NUMERIC_RANGE})");
        let i6 = format!(r"(?:[0-9a-f]{{1,4}}|{HEX_RANGE})");
        let ipv6 = [
            format!(r"(?:{i6}:){{7}}{i6}"),
            format!(r"(?:{i6}:){{1,6}}:"),
            format!(r"(?:{i6}:)(?::{i6}){{1,6}}"),
            format!(r"(?:{i6}:){{2}}(?::{i6}){{1,5}}"),
            format!(r"(?:{i6}:){{3}}(?::{i6}){{1,4}}"),
            format!(r"(?:{i6}:){{4}}(?::{i6}){{1,3}}"),
            format!(r"(?:{i6}:){{5}}(?::{i6}){{1,2}}"),
            format!(r"(?:{i6}:){{6}}(?::{i6})"),
            format!(r":(?::{i6}){{1,6}}"),
            format!(r"{i6}?::"),
            format!(r"(?:0:){{6}}(?:{i6}\.){{3}}{i6}"),
            format!(r"::(?:ffff:)?(?:{i6}\.){{3}}{i6}"),
            format!(r"(?:0:){{5}}ffff:(?:{i6}\.){{3}}{i6}"),
        ]
        .join("|");
        // ansible's label also forbids a trailing `-`/`_` via lookbehind, checked in code.
        let label = format!(r"(?:\w|{ALNUM_RANGE})(?:[\w-]|{ALNUM_RANGE})*");
        let build =
            |re: String| Regex::new(&re).unwrap_or_else(|e| unreachable!("static regex: {e}"));
        Patterns {
            bracketed_hostport: build(r"^\[(.+)\]:([0-9]+)$".into()),
            hostport: build(r"^((?:[^:\[\]]|\[[^\]]*\])*):([0-9]+)$".into()),
            ipv4: build(format!(r"(?i)^(?:{i4}\.){{3}}{i4}$")),
            ipv6: build(format!(r"(?i)^(?:{ipv6})$")),
            hostname: build(format!(r"(?i)^{label}(?:\.{label})*$")),
        }
    })
}

fn labels_end_well(host: &str) -> bool {
    !(host.ends_with(['-', '_']) || host.contains("-.") || host.contains("_."))
}

pub fn is_ipv4(s: &str) -> bool {
    patterns().ipv4.is_match(s)
}

pub fn is_ipv6(s: &str) -> bool {
    patterns().ipv6.is_match(s)
}

/// ansible's parse_address: the host and optional port, or `None` when the text is
/// not a host identifier. Ranges are accepted only with `allow_ranges`.
pub fn parse_address(address: &str, allow_ranges: bool) -> Option<(String, Option<u64>)> {
    let p = patterns();
    let mut address = address.to_string();
    let mut port = None;
    // Both forms are tried in turn, as ansible does.
    for re in [&p.bracketed_hostport, &p.hostport] {
        if let Some(caps) = re.captures(&address) {
            let host = caps.get(1).map_or("", |m| m.as_str()).to_string();
            // A port too large for u64 is a value error in Python's int(), not a
            // parse failure; such a port is nonsense either way.
            port = Some(caps.get(2).map_or("", |m| m.as_str()).parse::<u64>().ok()?);
            address = host;
        }
    }
    let valid = p.ipv4.is_match(&address)
        || p.ipv6.is_match(&address)
        || (p.hostname.is_match(&address) && labels_end_well(&address));
    if !valid || (!allow_ranges && address.contains('[')) {
        return None;
    }
    Some((address, port))
}

const ASCII_LETTERS: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// Expands every `[begin:end(:step)]` range in a host name, left to right.
pub fn expand_hostname_range(line: &str) -> Result<Vec<String>, String> {
    if !line.contains('[') {
        return Ok(vec![line.to_string()]);
    }
    let replaced = line.replacen('[', "|", 1).replacen(']', "|", 1);
    let parts: Vec<&str> = replaced.split('|').collect();
    let [head, range, tail] = parts[..] else {
        return Err(format!("invalid host range in '{line}'"));
    };
    let bounds: Vec<&str> = range.split(':').collect();
    if bounds.len() != 2 && bounds.len() != 3 {
        return Err("host range must be begin:end or begin:end:step".into());
    }
    let beg = if bounds[0].is_empty() { "0" } else { bounds[0] };
    let end = bounds[1];
    let step: i64 = match bounds.get(2) {
        Some(s) => python_int(s)?,
        None => 1,
    };
    if end.is_empty() {
        return Err("host range must specify end value".into());
    }
    let width = if beg.starts_with('0') && beg.len() > 1 {
        if beg.len() != end.len() {
            return Err("host range must specify equal-length begin and end formats".into());
        }
        Some(beg.len())
    } else {
        None
    };
    if step == 0 {
        return Err("slice step cannot be zero".into());
    }
    let seq: Vec<String> = match (ASCII_LETTERS.find(beg), ASCII_LETTERS.find(end)) {
        (Some(i_beg), Some(i_end)) => {
            if i_beg > i_end {
                return Err("host range must have begin <= end".into());
            }
            let letters = &ASCII_LETTERS[i_beg..=i_end];
            if step < 0 {
                // A negative slice step walks backwards from the end of the slice.
                letters
                    .chars()
                    .rev()
                    .step_by(step.unsigned_abs() as usize)
                    .map(String::from)
                    .collect()
            } else {
                letters
                    .chars()
                    .step_by(step as usize)
                    .map(String::from)
                    .collect()
            }
        }
        _ => {
            let b = python_int(beg)?;
            let e = python_int(end)?;
            let mut out = Vec::new();
            let mut i = b;
            while (step > 0 && i <= e) || (step < 0 && i > e + 1) {
                out.push(match width {
                    Some(w) => zfill(i, w),
                    None => i.to_string(),
                });
                i += step;
            }
            out
        }
    };
    let mut hosts = Vec::new();
    for item in seq {
        let name = format!("{head}{item}{tail}");
        hosts.extend(expand_hostname_range(&name)?);
    }
    Ok(hosts)
}

fn zfill(i: i64, width: usize) -> String {
    if i < 0 {
        format!("-{:0>w$}", -i, w = width.saturating_sub(1))
    } else {
        format!("{i:0>width$}")
    }
}

/// Python's int() on a string: surrounding whitespace, sign and underscores allowed.
fn python_int(s: &str) -> Result<i64, String> {
    let t = s.trim();
    let cleaned: String = t.chars().filter(|c| *c != '_').collect();
    let valid_underscores = !t.starts_with('_') && !t.ends_with('_') && !t.contains("__");
    match cleaned.parse::<i64>() {
        Ok(v) if valid_underscores => Ok(v),
        _ => Err(format!("invalid literal for int() with base 10: '{s}'")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_with_ports() {
        assert_eq!(
            parse_address("host:22", true),
            Some(("host".into(), Some(22)))
        );
        assert_eq!(
            parse_address("[::1]:2222", true),
            Some(("::1".into(), Some(2222)))
        );
        assert_eq!(
            parse_address("10.0.0.1", false),
            Some(("10.0.0.1".into(), None))
        );
        assert_eq!(
            parse_address("fe80::1", false),
            Some(("fe80::1".into(), None))
        );
        assert_eq!(
            parse_address("web[01:03].example.com:80", true),
            Some(("web[01:03].example.com".into(), Some(80)))
        );
        assert_eq!(parse_address("web[01:03]", false), None);
        assert_eq!(parse_address("bad-", true), None);
        assert_eq!(parse_address("a b", true), None);
    }

    #[test]
    fn ranges_expand() {
        assert_eq!(
            expand_hostname_range("web[01:03]").unwrap(),
            ["web01", "web02", "web03"]
        );
        assert_eq!(
            expand_hostname_range("n[0:6:3]").unwrap(),
            ["n0", "n3", "n6"]
        );
        assert_eq!(
            expand_hostname_range("db-[a:c]").unwrap(),
            ["db-a", "db-b", "db-c"]
        );
        assert_eq!(
            expand_hostname_range("r[1:2]c[a:b]").unwrap(),
            ["r1ca", "r1cb", "r2ca", "r2cb"]
        );
        assert_eq!(expand_hostname_range("x[:2]").unwrap(), ["x0", "x1", "x2"]);
        assert_eq!(
            expand_hostname_range("x[3:1]").unwrap(),
            Vec::<String>::new()
        );
    }

    #[test]
    fn bad_ranges_fail() {
        assert!(expand_hostname_range("x[1]")
            .unwrap_err()
            .contains("begin:end"));
        assert!(expand_hostname_range("x[01:100]")
            .unwrap_err()
            .contains("equal-length"));
        assert!(expand_hostname_range("x[c:a]")
            .unwrap_err()
            .contains("begin <= end"));
        assert!(expand_hostname_range("x[1:]")
            .unwrap_err()
            .contains("end value"));
        assert!(expand_hostname_range("x[1:a]")
            .unwrap_err()
            .contains("invalid literal"));
    }
}
