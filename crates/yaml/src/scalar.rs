//! Scalar resolution as PyYAML's YAML 1.1 resolver and SafeConstructor do it, which is
//! what Ansible reads: `yes`/`on` are booleans, `0644` is octal, `1e5` is a string.

use crate::NodeValue;

/// What a plain (unquoted, untagged) scalar means.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Plain {
    Value(NodeValue),
    /// `<<`: only meaningful as a mapping key.
    Merge,
    /// `=`: PyYAML has no constructor for it.
    ValueKey,
    /// Matches the int pattern but has no digits (`0b_`): PyYAML fails on it.
    BadInt,
}

pub(crate) fn resolve_plain(s: &str) -> Plain {
    match s {
        "<<" => return Plain::Merge,
        "=" => return Plain::ValueKey,
        _ => {}
    }
    if is_null(s) {
        return Plain::Value(NodeValue::Null);
    }
    if let Some(b) = as_bool(s) {
        return Plain::Value(NodeValue::Bool(b));
    }
    if is_int(s) {
        let body = strip_sign(s).1;
        let digits = body.strip_prefix("0b").or_else(|| body.strip_prefix("0x"));
        if digits.is_some_and(|d| d.bytes().all(|b| b == b'_')) {
            return Plain::BadInt;
        }
        return Plain::Value(construct_int(s).unwrap_or_else(|| NodeValue::Str(s.to_owned())));
    }
    if is_float(s) {
        if let Some(f) = construct_float(s) {
            return Plain::Value(NodeValue::Float(f));
        }
    }
    Plain::Value(NodeValue::Str(s.to_owned()))
}

pub(crate) fn is_null(s: &str) -> bool {
    matches!(s, "" | "~" | "null" | "Null" | "NULL")
}

pub(crate) fn as_bool(s: &str) -> Option<bool> {
    match s {
        "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => Some(true),
        "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => Some(false),
        _ => None,
    }
}

fn strip_sign(s: &str) -> (bool, &str) {
    match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    }
}

fn all(s: &str, f: impl Fn(u8) -> bool) -> bool {
    s.bytes().all(f)
}

/// `[0-9][0-9_]*`
fn digits_us(s: &str) -> bool {
    s.as_bytes().first().is_some_and(u8::is_ascii_digit)
        && all(s, |b| b.is_ascii_digit() || b == b'_')
}

/// `(?::[0-5]?[0-9])+` — the sexagesimal tail, given the part after the first `:`.
fn sexagesimal_tail(s: &str) -> bool {
    s.split(':').all(|part| {
        let b = part.as_bytes();
        match b.len() {
            1 => b[0].is_ascii_digit(),
            2 => (b'0'..=b'5').contains(&b[0]) && b[1].is_ascii_digit(),
            _ => false,
        }
    })
}

/// PyYAML's int regex:
/// `[-+]?0b[0-1_]+ | [-+]?0[0-7_]+ | [-+]?(0|[1-9][0-9_]*) | [-+]?0x[0-9a-fA-F_]+ | [-+]?[1-9][0-9_]*(:[0-5]?[0-9])+`
pub(crate) fn is_int(s: &str) -> bool {
    let (_, s) = strip_sign(s);
    if let Some(r) = s.strip_prefix("0b") {
        return !r.is_empty() && all(r, |b| matches!(b, b'0' | b'1' | b'_'));
    }
    if let Some(r) = s.strip_prefix("0x") {
        return !r.is_empty() && all(r, |b| b.is_ascii_hexdigit() || b == b'_');
    }
    if s == "0" {
        return true;
    }
    if let Some(r) = s.strip_prefix('0') {
        return !r.is_empty() && all(r, |b| matches!(b, b'0'..=b'7' | b'_'));
    }
    let (head, tail) = match s.split_once(':') {
        Some((h, t)) => (h, Some(t)),
        None => (s, None),
    };
    let head_ok = head
        .as_bytes()
        .first()
        .is_some_and(|b| (b'1'..=b'9').contains(b))
        && digits_us(head);
    head_ok && tail.is_none_or(sexagesimal_tail)
}

/// PyYAML's float regex:
/// `[-+]?[0-9][0-9_]*\.[0-9_]*([eE][-+][0-9]+)? | \.[0-9][0-9_]*([eE][-+][0-9]+)?
///  | [-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]* | [-+]?\.(inf|Inf|INF) | \.(nan|NaN|NAN)`
pub(crate) fn is_float(s: &str) -> bool {
    if matches!(s, ".nan" | ".NaN" | ".NAN") {
        return true;
    }
    let (_, unsigned) = strip_sign(s);
    if matches!(unsigned, ".inf" | ".Inf" | ".INF") {
        return true;
    }
    // `\.[0-9][0-9_]*(exp)?` takes no sign.
    if let Some(r) = s.strip_prefix('.') {
        let (mantissa, exp) = split_exponent(r);
        return digits_us(mantissa) && exp.is_none_or(exponent_ok);
    }
    let Some((int_part, frac)) = unsigned.split_once('.') else {
        return false;
    };
    let frac_ok = all(frac, |b| b.is_ascii_digit() || b == b'_');
    if let Some((head, tail)) = int_part.split_once(':') {
        // The sexagesimal form has no exponent.
        return digits_us(head) && sexagesimal_tail(tail) && frac_ok;
    }
    let (frac, exp) = split_exponent(frac);
    digits_us(int_part)
        && all(frac, |b| b.is_ascii_digit() || b == b'_')
        && exp.is_none_or(exponent_ok)
}

fn split_exponent(s: &str) -> (&str, Option<&str>) {
    match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    }
}

/// `[-+][0-9]+`: YAML 1.1 requires the exponent's sign.
fn exponent_ok(e: &str) -> bool {
    matches!(e.as_bytes().first(), Some(b'-' | b'+'))
        && e.len() > 1
        && all(&e[1..], |b| b.is_ascii_digit())
}

/// Value of a string PyYAML resolved (or was told with `!!int`) to be an int.
/// `None` when it does not fit an i64 or is not an int at all.
pub(crate) fn construct_int(s: &str) -> Option<NodeValue> {
    let cleaned: String = s.chars().filter(|&c| c != '_').collect();
    let (neg, body) = strip_sign(&cleaned);
    let magnitude: i128 = if body == "0" {
        0
    } else if let Some(r) = body.strip_prefix("0b") {
        i128::from_str_radix(r, 2).ok()?
    } else if let Some(r) = body.strip_prefix("0x") {
        i128::from_str_radix(r, 16).ok()?
    } else if let Some(r) = body.strip_prefix('0') {
        i128::from_str_radix(r, 8).ok()?
    } else if body.contains(':') {
        sexagesimal(body)?.try_into().ok()?
    } else {
        body.parse::<i128>().ok()?
    };
    let v = if neg { -magnitude } else { magnitude };
    match i64::try_from(v) {
        Ok(i) => Some(NodeValue::Int(i)),
        // Python ints are unbounded; a float keeps the magnitude at least.
        Err(_) => Some(NodeValue::Float(v as f64)),
    }
}

fn sexagesimal(body: &str) -> Option<u128> {
    let mut acc: u128 = 0;
    for part in body.split(':') {
        acc = acc
            .checked_mul(60)?
            .checked_add(part.parse::<u128>().ok()?)?;
    }
    Some(acc)
}

pub(crate) fn construct_float(s: &str) -> Option<f64> {
    let cleaned: String = s
        .chars()
        .filter(|&c| c != '_')
        .collect::<String>()
        .to_ascii_lowercase();
    let (neg, body) = strip_sign(&cleaned);
    let sign = if neg { -1.0 } else { 1.0 };
    if body == ".inf" {
        return Some(sign * f64::INFINITY);
    }
    if body == ".nan" {
        return Some(f64::NAN);
    }
    if body.contains(':') {
        let mut acc = 0.0;
        for part in body.split(':') {
            acc = acc * 60.0 + part.parse::<f64>().ok()?;
        }
        return Some(sign * acc);
    }
    body.parse::<f64>().ok().map(|f| sign * f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> NodeValue {
        match resolve_plain(s) {
            Plain::Value(v) => v,
            other => panic!("{s}: {other:?}"),
        }
    }

    fn str_(s: &str) -> NodeValue {
        NodeValue::Str(s.to_owned())
    }

    /// Expectations taken from PyYAML via ansible's AnsibleLoader.
    #[test]
    fn matches_pyyaml() {
        use NodeValue::*;
        let cases: &[(&str, NodeValue)] = &[
            ("y", str_("y")),
            ("n", str_("n")),
            ("Y", str_("Y")),
            ("yes", Bool(true)),
            ("Yes", Bool(true)),
            ("YES", Bool(true)),
            ("yEs", str_("yEs")),
            ("on", Bool(true)),
            ("ON", Bool(true)),
            ("off", Bool(false)),
            ("No", Bool(false)),
            ("True", Bool(true)),
            ("tRue", str_("tRue")),
            ("null", Null),
            ("NULL", Null),
            ("nUll", str_("nUll")),
            ("~", Null),
            ("", Null),
            ("0644", Int(420)),
            ("0o17", str_("0o17")),
            ("0x1F", Int(31)),
            ("-0x1f", Int(-31)),
            ("0x_1", Int(1)),
            ("0b101", Int(5)),
            ("0b", str_("0b")),
            ("0x", str_("0x")),
            ("0b2", str_("0b2")),
            ("1_000", Int(1000)),
            ("1__", Int(1)),
            ("+12", Int(12)),
            ("-0", Int(0)),
            ("+0", Int(0)),
            ("00", Int(0)),
            ("08", str_("08")),
            ("0_7", Int(7)),
            ("1:30", Int(90)),
            ("190:20:30", Int(685230)),
            ("12:30:00", Int(45000)),
            ("1:70", str_("1:70")),
            ("1.5", Float(1.5)),
            ("1.", Float(1.0)),
            ("0.", Float(0.0)),
            (".5", Float(0.5)),
            ("-.5", str_("-.5")),
            ("1e5", str_("1e5")),
            ("1e+5", str_("1e+5")),
            ("1.0e+5", Float(100000.0)),
            ("1.0e5", str_("1.0e5")),
            ("1_000.5", Float(1000.5)),
            ("1:30.5", Float(90.5)),
            (".inf", Float(f64::INFINITY)),
            ("-.Inf", Float(f64::NEG_INFINITY)),
            ("+.INF", Float(f64::INFINITY)),
            (".Nan", str_(".Nan")),
            ("+", str_("+")),
            (".", str_(".")),
            ("._", str_("._")),
            ("2001-12-14", str_("2001-12-14")),
            ("hello world", str_("hello world")),
        ];
        for (input, want) in cases {
            assert_eq!(&v(input), want, "input {input:?}");
        }
        assert!(matches!(v(".nan"), Float(f) if f.is_nan()));
    }

    #[test]
    fn big_ints_do_not_fail() {
        assert_eq!(v("9223372036854775807"), NodeValue::Int(i64::MAX));
        assert!(matches!(v("9223372036854775808"), NodeValue::Float(_)));
        assert!(matches!(
            v("99999999999999999999999999999999999999999"),
            NodeValue::Str(_) | NodeValue::Float(_)
        ));
    }

    #[test]
    fn merge_and_value_keys() {
        assert_eq!(resolve_plain("<<"), Plain::Merge);
        assert_eq!(resolve_plain("="), Plain::ValueKey);
        assert_eq!(resolve_plain("0b_"), Plain::BadInt);
        assert_eq!(resolve_plain("-0x__"), Plain::BadInt);
        assert_eq!(resolve_plain("0_"), Plain::Value(NodeValue::Int(0)));
    }
}
