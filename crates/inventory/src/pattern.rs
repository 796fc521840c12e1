//! Host patterns (play `hosts:` and `--limit`) evaluated as ansible's
//! InventoryManager does: unions first, then `&` intersections, then `!`
//! exclusions; groups, hosts, globs, `~regex`, and `[i]` / `[a:b]` subscripts.

use std::collections::HashSet;
use std::sync::OnceLock;

use regex::Regex;

use crate::address::parse_address;
use crate::error::InventoryError;
use crate::glob::Glob;
use crate::model::{Data, LOCALHOST_NAMES};

/// The hosts a pattern selects, in ansible's order, and the pattern parts that
/// matched nothing (ansible warns "Could not match supplied host pattern, ignoring").
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Selection {
    pub hosts: Vec<String>,
    pub unmatched: Vec<String>,
    /// Other warnings ansible prints while evaluating (deprecated `[x-y]` subscripts).
    pub warnings: Vec<String>,
}

/// A host in a result: an inventory host, or the implicit localhost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum HostRef {
    Known(usize),
    Implicit,
}

/// Splits `a,b` / `a:b:&c` into single patterns, keeping IPv6 addresses and
/// `[x:y]` ranges whole.
pub fn split_host_pattern(pattern: &str) -> Vec<String> {
    let parts: Vec<String> = if pattern.contains(',') {
        pattern.split(',').map(str::to_string).collect()
    } else if parse_address(pattern, true).is_some() {
        vec![pattern.to_string()]
    } else {
        static RE: OnceLock<Regex> = OnceLock::new();
        let re = RE.get_or_init(|| {
            Regex::new(r"(?:[^\s:\[\]]|\[[^\]]*\])+")
                .unwrap_or_else(|e| unreachable!("static regex: {e}"))
        });
        re.find_iter(pattern)
            .map(|m| m.as_str().to_string())
            .collect()
    };
    parts
        .into_iter()
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

fn order_patterns(patterns: &[String]) -> Vec<&str> {
    let mut regular = Vec::new();
    let mut intersection = Vec::new();
    let mut exclude = Vec::new();
    for p in patterns.iter().filter(|p| !p.is_empty()) {
        if p.starts_with('!') {
            exclude.push(p.as_str());
        } else if p.starts_with('&') {
            intersection.push(p.as_str());
        } else {
            regular.push(p.as_str());
        }
    }
    if regular.is_empty() {
        regular.push("all");
    }
    regular
        .into_iter()
        .chain(intersection)
        .chain(exclude)
        .collect()
}

pub struct Evaluator<'a> {
    data: &'a Data,
    implicit_name: Option<String>,
    selection: Selection,
    /// Single patterns already resolved (ansible caches them, so each warns once).
    cache: Vec<(String, Vec<HostRef>)>,
}

impl<'a> Evaluator<'a> {
    pub fn new(data: &'a Data) -> Self {
        Evaluator {
            data,
            implicit_name: None,
            selection: Selection::default(),
            cache: Vec::new(),
        }
    }

    pub fn evaluate(mut self, patterns: &[String]) -> Result<Selection, InventoryError> {
        let mut hosts: Vec<HostRef> = Vec::new();
        for p in order_patterns(patterns) {
            if let Some(id) = self
                .data
                .host_id(p)
                .filter(|id| !self.data.hosts[*id].implicit)
            {
                hosts.push(HostRef::Known(id));
                continue;
            }
            let that = self.match_one(p)?;
            if p.starts_with('!') {
                let that: HashSet<HostRef> = that.into_iter().collect();
                hosts.retain(|h| !that.contains(h));
            } else if p.starts_with('&') {
                let that: HashSet<HostRef> = that.into_iter().collect();
                hosts.retain(|h| that.contains(h));
            } else {
                let existing: HashSet<HostRef> = hosts.iter().copied().collect();
                hosts.extend(that.into_iter().filter(|h| !existing.contains(h)));
            }
        }
        let mut seen = HashSet::new();
        for h in hosts {
            if seen.insert(h) {
                let name = match h {
                    HostRef::Known(id) => self.data.hosts[id].name.clone(),
                    HostRef::Implicit => self
                        .implicit_name
                        .clone()
                        .unwrap_or_else(|| "localhost".into()),
                };
                self.selection.hosts.push(name);
            }
        }
        Ok(self.selection)
    }

    fn match_one(&mut self, pattern: &str) -> Result<Vec<HostRef>, InventoryError> {
        let pattern = pattern.strip_prefix(['&', '!']).unwrap_or(pattern);
        if let Some((_, hosts)) = self.cache.iter().find(|(p, _)| p == pattern) {
            return Ok(hosts.clone());
        }
        let (expr, subscript) = self.split_subscript(pattern);
        let hosts = self.enumerate(&expr)?;
        let hosts = apply_subscript(hosts, subscript).ok_or_else(|| {
            InventoryError::Pattern(format!(
                "No hosts matched the subscripted pattern '{pattern}'"
            ))
        })?;
        self.cache.push((pattern.to_string(), hosts.clone()));
        Ok(hosts)
    }

    fn split_subscript(&mut self, pattern: &str) -> (String, Option<(i64, Option<i64>)>) {
        if pattern.starts_with('~') {
            return (pattern.to_string(), None);
        }
        static RE: OnceLock<Regex> = OnceLock::new();
        let re = RE.get_or_init(|| {
            Regex::new(r"^(.+)\[(?:(-?[0-9]+)|([0-9]+)([:-])([0-9]*))\]$")
                .unwrap_or_else(|e| unreachable!("static regex: {e}"))
        });
        let Some(caps) = re.captures(pattern) else {
            return (pattern.to_string(), None);
        };
        let expr = caps.get(1).map_or("", |m| m.as_str()).to_string();
        let number = |i: usize| caps.get(i).and_then(|m| m.as_str().parse::<i64>().ok());
        if let Some(idx) = number(2) {
            return (expr, Some((idx, None)));
        }
        let start = number(3).unwrap_or(0);
        let end = number(5).unwrap_or(-1);
        if caps.get(4).is_some_and(|m| m.as_str() == "-") {
            self.selection.warnings.push(
                "Use [x:y] inclusive subscripts instead of [x-y] which has been removed".into(),
            );
        }
        (expr, Some((start, Some(end))))
    }

    fn enumerate(&mut self, pattern: &str) -> Result<Vec<HostRef>, InventoryError> {
        let matcher = Matcher::new(pattern)?;
        let mut results = Vec::new();
        let mut matched_group = false;
        for (id, group) in self.data.groups.iter().enumerate() {
            if matcher.is_match(&group.name) {
                matched_group = true;
                results.extend(self.data.group_hosts(id).into_iter().map(HostRef::Known));
            }
        }
        let special = pattern.starts_with('~') || pattern.contains(['.', '?', '*', '[']);
        if !matched_group || special {
            match &matcher {
                Matcher::Literal(name) => {
                    if let Some(id) = self
                        .data
                        .host_id(name)
                        .filter(|id| !self.data.hosts[*id].implicit)
                    {
                        results.push(HostRef::Known(id));
                    }
                }
                _ => {
                    for (id, host) in self.data.hosts.iter().enumerate() {
                        if !host.implicit && matcher.is_match(&host.name) {
                            results.push(HostRef::Known(id));
                        }
                    }
                }
            }
        }
        if results.is_empty() && LOCALHOST_NAMES.contains(&pattern) {
            match self.data.implicit_localhost() {
                Some(id) => results.push(HostRef::Known(id)),
                None => {
                    if self.implicit_name.is_none() {
                        self.implicit_name = Some(pattern.to_string());
                    }
                    results.push(HostRef::Implicit);
                }
            }
        }
        if results.is_empty()
            && !matched_group
            && pattern != "all"
            && !self.selection.unmatched.iter().any(|u| u == pattern)
        {
            self.selection.unmatched.push(pattern.to_string());
        }
        Ok(results)
    }
}

enum Matcher {
    Literal(String),
    Glob(Glob),
    Regex(Regex),
}

impl Matcher {
    fn new(pattern: &str) -> Result<Matcher, InventoryError> {
        if let Some(re) = pattern.strip_prefix('~') {
            // re.match anchors at the start only.
            return Regex::new(&format!("^(?:{re})"))
                .map(Matcher::Regex)
                .map_err(|_| {
                    InventoryError::Pattern(format!("Invalid host list pattern: {pattern}"))
                });
        }
        let glob = Glob::new(pattern);
        Ok(match glob.literal() {
            Some(lit) => Matcher::Literal(lit),
            None => Matcher::Glob(glob),
        })
    }

    fn is_match(&self, name: &str) -> bool {
        match self {
            Matcher::Literal(l) => l == name,
            Matcher::Glob(g) => g.is_match(name),
            Matcher::Regex(r) => r.is_match(name),
        }
    }
}

/// `None` when a single index is out of range (ansible's IndexError).
fn apply_subscript(
    hosts: Vec<HostRef>,
    subscript: Option<(i64, Option<i64>)>,
) -> Option<Vec<HostRef>> {
    let Some((start, end)) = subscript else {
        return Some(hosts);
    };
    if hosts.is_empty() {
        return Some(hosts);
    }
    let len = hosts.len() as i64;
    match end {
        // Python's `if end:` treats an end of 0 like no end at all.
        Some(end) if end != 0 => {
            let end = if end == -1 { len - 1 } else { end };
            let lo = py_slice_index(start, len);
            let hi = py_slice_index(end + 1, len);
            Some(if lo < hi {
                hosts[lo..hi].to_vec()
            } else {
                Vec::new()
            })
        }
        _ => {
            let idx = if start < 0 { start + len } else { start };
            if idx < 0 || idx >= len {
                return None;
            }
            Some(vec![hosts[idx as usize]])
        }
    }
}

fn py_slice_index(i: i64, len: i64) -> usize {
    let i = if i < 0 { (i + len).max(0) } else { i.min(len) };
    i as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitting() {
        assert_eq!(split_host_pattern("a:b:&c:!d"), ["a", "b", "&c", "!d"]);
        assert_eq!(split_host_pattern("a, b ,,c"), ["a", "b", "c"]);
        assert_eq!(split_host_pattern("web[1:3]"), ["web[1:3]"]);
        assert_eq!(split_host_pattern("fe80::1"), ["fe80::1"]);
        assert_eq!(split_host_pattern("g[1:3]:h"), ["g[1:3]", "h"]);
    }

    #[test]
    fn ordering_puts_unions_first() {
        let p: Vec<String> = ["!a", "&b", "c"].iter().map(|s| s.to_string()).collect();
        assert_eq!(order_patterns(&p), ["c", "&b", "!a"]);
        let p: Vec<String> = vec!["!a".into()];
        assert_eq!(order_patterns(&p), ["all", "!a"]);
    }

    #[test]
    fn subscripts_follow_python_slicing() {
        let h: Vec<HostRef> = (0..4).map(HostRef::Known).collect();
        let ids = |v: Option<Vec<HostRef>>| -> Option<Vec<usize>> {
            v.map(|v| {
                v.into_iter()
                    .map(|h| match h {
                        HostRef::Known(i) => i,
                        HostRef::Implicit => 99,
                    })
                    .collect()
            })
        };
        assert_eq!(
            ids(apply_subscript(h.clone(), Some((0, None)))),
            Some(vec![0])
        );
        assert_eq!(
            ids(apply_subscript(h.clone(), Some((-1, None)))),
            Some(vec![3])
        );
        assert_eq!(
            ids(apply_subscript(h.clone(), Some((1, Some(2))))),
            Some(vec![1, 2])
        );
        assert_eq!(
            ids(apply_subscript(h.clone(), Some((1, Some(-1))))),
            Some(vec![1, 2, 3])
        );
        assert_eq!(
            ids(apply_subscript(h.clone(), Some((9, Some(12))))),
            Some(vec![])
        );
        assert_eq!(
            ids(apply_subscript(h.clone(), Some((2, Some(0))))),
            Some(vec![2])
        );
        assert_eq!(ids(apply_subscript(h, Some((4, None)))), None);
    }
}
