//! Version comparison for the `version` test: Ansible's loose, strict and semver
//! schemes.

use std::cmp::Ordering;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Num(u64),
    Text(String),
}

/// LooseVersion: runs of digits, runs of letters; dots only separate. Comparing a
/// number with letters is an error, as in Python 3.
fn loose(v: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut cur_digit = false;
    let flush = |cur: &mut String, digit: bool, parts: &mut Vec<Part>| {
        if cur.is_empty() {
            return;
        }
        let s = std::mem::take(cur);
        parts.push(if digit {
            s.parse().map(Part::Num).unwrap_or(Part::Text(s))
        } else {
            Part::Text(s)
        });
    };
    for c in v.chars() {
        if c == '.' {
            flush(&mut cur, cur_digit, &mut parts);
        } else if c.is_ascii_digit() != cur_digit && !cur.is_empty() {
            flush(&mut cur, cur_digit, &mut parts);
            cur_digit = c.is_ascii_digit();
            cur.push(c);
        } else {
            cur_digit = c.is_ascii_digit();
            cur.push(c);
        }
    }
    flush(&mut cur, cur_digit, &mut parts);
    parts
}

fn cmp_loose(a: &str, b: &str) -> Result<Ordering, String> {
    let (pa, pb) = (loose(a), loose(b));
    for (x, y) in pa.iter().zip(&pb) {
        let o = match (x, y) {
            (Part::Num(i), Part::Num(j)) => i.cmp(j),
            (Part::Text(s), Part::Text(t)) => s.cmp(t),
            _ => {
                return Err(format!(
                    "Version comparison failed: '<' not supported between instances of 'int' and 'str' ({a} vs {b})"
                ))
            }
        };
        if o != Ordering::Equal {
            return Ok(o);
        }
    }
    Ok(pa.len().cmp(&pb.len()))
}

/// StrictVersion: `N.N[.N][(a|b)N]`; a pre-release sorts before the release.
/// (major, minor, patch, pre-release tag and number)
type Strict = (u64, u64, u64, Option<(char, u64)>);

fn strict(v: &str) -> Result<Strict, String> {
    let bad = || format!("Version comparison failed: invalid version number '{v}'");
    let (nums, pre) = match v.find(['a', 'b']) {
        Some(i) => (&v[..i], Some(&v[i..])),
        None => (v, None),
    };
    let n: Vec<&str> = nums.split('.').collect();
    if !(2..=3).contains(&n.len())
        || n.iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(bad());
    }
    let num = |s: &str| s.parse::<u64>().map_err(|_| bad());
    let pre = match pre {
        Some(p) => {
            let (tag, rest) = p.split_at(1);
            if rest.is_empty() || !rest.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            Some((tag.chars().next().unwrap_or('a'), num(rest)?))
        }
        None => None,
    };
    Ok((
        num(n[0])?,
        num(n[1])?,
        if n.len() == 3 { num(n[2])? } else { 0 },
        pre,
    ))
}

fn cmp_strict(a: &str, b: &str) -> Result<Ordering, String> {
    let (x, y) = (strict(a)?, strict(b)?);
    let base = (x.0, x.1, x.2).cmp(&(y.0, y.1, y.2));
    if base != Ordering::Equal {
        return Ok(base);
    }
    Ok(match (x.3, y.3) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(p), Some(q)) => p.cmp(&q),
    })
}

fn cmp_semver(a: &str, b: &str) -> Result<Ordering, String> {
    let parse = |v: &str| -> Result<(Vec<u64>, Vec<Part>), String> {
        let v = v.split('+').next().unwrap_or(v);
        let (core, pre) = match v.split_once('-') {
            Some((c, p)) => (c, Some(p)),
            None => (v, None),
        };
        let nums: Vec<u64> = core
            .split('.')
            .map(|p| p.parse::<u64>())
            .collect::<Result<_, _>>()
            .map_err(|_| format!("Version comparison failed: invalid semantic version '{v}'"))?;
        if nums.len() != 3 {
            return Err(format!(
                "Version comparison failed: invalid semantic version '{v}'"
            ));
        }
        let pre = pre
            .map(|p| {
                p.split('.')
                    .map(|s| {
                        s.parse()
                            .map(Part::Num)
                            .unwrap_or_else(|_| Part::Text(s.to_string()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok((nums, pre))
    };
    let (x, y) = (parse(a)?, parse(b)?);
    let base = x.0.cmp(&y.0);
    if base != Ordering::Equal {
        return Ok(base);
    }
    Ok(match (x.1.is_empty(), y.1.is_empty()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        _ => {
            for (p, q) in x.1.iter().zip(&y.1) {
                let o = match (p, q) {
                    (Part::Num(i), Part::Num(j)) => i.cmp(j),
                    (Part::Num(_), Part::Text(_)) => Ordering::Less,
                    (Part::Text(_), Part::Num(_)) => Ordering::Greater,
                    (Part::Text(s), Part::Text(t)) => s.cmp(t),
                };
                if o != Ordering::Equal {
                    return Ok(o);
                }
            }
            x.1.len().cmp(&y.1.len())
        }
    })
}

/// `value is version(other, operator, strict=, version_type=)`.
pub(crate) fn compare(
    value: &str,
    other: &str,
    op: &str,
    version_type: &str,
) -> Result<bool, String> {
    if value.is_empty() {
        return Err("Input version value cannot be empty".into());
    }
    if other.is_empty() {
        return Err("Version parameter to compare against cannot be empty".into());
    }
    let ord = match version_type {
        "loose" => cmp_loose(value, other)?,
        "strict" => cmp_strict(value, other)?,
        "semver" | "semantic" => cmp_semver(value, other)?,
        "pep440" => cmp_loose(value, other)?,
        other => return Err(format!("Invalid version type ({other}). Must be one of loose, strict, semver, semantic, pep440")),
    };
    Ok(match op {
        "==" | "=" | "eq" => ord == Ordering::Equal,
        "!=" | "<>" | "ne" => ord != Ordering::Equal,
        ">" | "gt" => ord == Ordering::Greater,
        ">=" | "ge" => ord != Ordering::Less,
        "<" | "lt" => ord == Ordering::Less,
        "<=" | "le" => ord != Ordering::Greater,
        other => return Err(format!("Invalid operator type ({other})")),
    })
}

#[cfg(test)]
mod unit {
    use super::*;

    // Expected results from ansible-core 2.19's `version` test.
    #[test]
    fn versions_compare_like_ansible() {
        assert_eq!(compare("1.2.3", "1.2", ">", "loose"), Ok(true));
        assert_eq!(compare("1.2.3", "1.10", "lt", "loose"), Ok(true));
        assert_eq!(compare("1.0", "1.0.0", "==", "loose"), Ok(false));
        assert_eq!(compare("2.0rc1", "2.0", "<", "loose"), Ok(false));
        assert_eq!(compare("1.2.3", "1.2.3", "eq", "strict"), Ok(true));
        assert_eq!(compare("1.2", "1.3", "<=", "loose"), Ok(true));
        assert_eq!(compare("1.2.3-beta", "1.2.3", "<", "semver"), Ok(true));
        assert_eq!(compare("a", "b", "<", "loose"), Ok(true));
        assert!(compare("1.x", "1.x.y", "<", "strict").is_err());
        assert!(compare("1.2", "1.2", "~", "loose").is_err());
    }
}
