//! INI inventories, read the way ansible's `ini` inventory plugin reads them.

use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

use indexmap::IndexMap;
use regex::Regex;
use serde_json::Value;

use crate::address::{expand_hostname_range, parse_address};
use crate::error::InventoryError;
use crate::model::{Data, UNGROUPED};
use crate::shlex;
use drover_template::literal::ini_value;

#[derive(Clone, Copy, PartialEq)]
enum State {
    Hosts,
    Children,
    Vars,
}

/// A group mentioned before it was declared, checked when the file ends.
struct Pending {
    line: u32,
    state: State,
    parents: Vec<String>,
}

fn section_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$")
            .unwrap_or_else(|e| unreachable!("static regex: {e}"))
    })
}

fn group_name_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"^([^:\]\s]+)\s*(?:#.*)?$")
            .unwrap_or_else(|e| unreachable!("static regex: {e}"))
    })
}

struct Parser<'a> {
    data: &'a mut Data,
    path: &'a Path,
    lines: Vec<&'a str>,
    line_no: u32,
}

pub fn parse(data: &mut Data, path: &Path, text: &str) -> Result<(), InventoryError> {
    let lines = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    Parser {
        data,
        path,
        lines,
        line_no: 0,
    }
    .run()
}

impl<'a> Parser<'a> {
    fn error(&self, message: impl Into<String>) -> InventoryError {
        self.error_at(self.line_no, message)
    }

    /// An error on the current line, pointing at the first occurrence of `needle`.
    fn error_near(&self, needle: &str, message: impl Into<String>) -> InventoryError {
        let mut err = self.error(message);
        if let InventoryError::Parse {
            col,
            text: Some(text),
            ..
        } = &mut err
        {
            if let Some(i) = text.find(needle) {
                *col = Some(text[..i].chars().count() as u32 + 1);
            }
        }
        err
    }

    fn error_at(&self, line: u32, message: impl Into<String>) -> InventoryError {
        let text = self
            .lines
            .get(line.saturating_sub(1) as usize)
            .map(|l| l.to_string());
        // Point at the first non-blank character: most INI errors concern the whole line.
        let col = text.as_deref().and_then(|t| {
            t.find(|c: char| !c.is_whitespace())
                .map(|i| t[..i].chars().count() as u32 + 1)
        });
        InventoryError::Parse {
            file: self.path.to_path_buf(),
            line,
            col,
            message: message.into(),
            text,
        }
    }

    fn run(mut self) -> Result<(), InventoryError> {
        let mut pending: IndexMap<String, Pending> = IndexMap::new();
        let mut group = UNGROUPED;
        let mut state = State::Hosts;
        let lines = self.lines.clone();
        for raw in lines {
            self.line_no += 1;
            let line = raw.trim();
            if line.is_empty() || line.starts_with(['#', ';']) {
                continue;
            }
            if let Some(caps) = section_re().captures(line) {
                let name = caps.get(1).map_or("", |m| m.as_str()).to_string();
                let kind = caps.get(2).map(|m| m.as_str());
                state = match kind {
                    None | Some("hosts") => State::Hosts,
                    Some("children") => State::Children,
                    Some("vars") => State::Vars,
                    Some(other) => {
                        return Err(self.error(format!(
                            "Section [{name}:{other}] has unknown type: {other}"
                        )));
                    }
                };
                if self.data.group_id(&name).is_none() {
                    // [g:vars] alone does not declare a group: it must be declared somewhere.
                    if state == State::Vars && !pending.contains_key(&name) {
                        pending.insert(
                            name.clone(),
                            Pending {
                                line: self.line_no,
                                state,
                                parents: Vec::new(),
                            },
                        );
                    }
                    self.data.add_group(&name);
                }
                if state != State::Vars {
                    if let Some(p) = pending.get(&name) {
                        match p.state {
                            State::Children => self.add_pending_children(&name, &mut pending)?,
                            _ => {
                                pending.shift_remove(&name);
                            }
                        }
                    }
                }
                group = self.data.group_id(&name).unwrap_or(UNGROUPED);
                continue;
            } else if line.starts_with('[') && line.ends_with(']') {
                return Err(self.error(format!(
                    "Invalid section entry: '{line}'. Please make sure that there are no spaces in the section entry, and that there are no other invalid characters"
                )));
            }
            match state {
                State::Hosts => self.host_line(line, group)?,
                State::Vars => {
                    let Some((k, v)) = line.split_once('=') else {
                        return Err(self.error(format!("Expected key=value, got: {line}")));
                    };
                    let value = ini_value(v.trim());
                    self.data
                        .set_group_var(group, k.trim(), value)
                        .map_err(|m| self.error(m))?;
                }
                State::Children => {
                    let Some(caps) = group_name_re().captures(line) else {
                        return Err(self.error(format!("Expected group name, got: {line}")));
                    };
                    let child = caps.get(1).map_or("", |m| m.as_str()).to_string();
                    match self.data.group_id(&child) {
                        Some(child_id) => {
                            self.data
                                .add_child_group(group, child_id)
                                .map_err(|m| self.error(m))?;
                        }
                        None => {
                            let parent = self.data.groups[group].name.clone();
                            pending
                                .entry(child)
                                .or_insert(Pending {
                                    line: self.line_no,
                                    state: State::Children,
                                    parents: Vec::new(),
                                })
                                .parents
                                .push(parent);
                        }
                    }
                }
            }
        }
        if let Some((name, decl)) = pending.first() {
            let message = match decl.state {
                State::Vars => {
                    format!("Section [{name}:vars] not valid for undefined group '{name}'.")
                }
                _ => format!(
                    "Section [{}:children] includes undefined group '{name}'.",
                    decl.parents.last().map_or("", String::as_str)
                ),
            };
            return Err(self.error_at(decl.line, message));
        }
        Ok(())
    }

    fn add_pending_children(
        &mut self,
        name: &str,
        pending: &mut IndexMap<String, Pending>,
    ) -> Result<(), InventoryError> {
        let Some(decl) = pending.shift_remove(name) else {
            return Ok(());
        };
        let child = self.data.add_group(name);
        for parent in decl.parents {
            let parent_id = self.data.add_group(&parent);
            self.data
                .add_child_group(parent_id, child)
                .map_err(|m| self.error(m))?;
            if pending
                .get(&parent)
                .is_some_and(|p| p.state == State::Children)
            {
                self.add_pending_children(&parent, pending)?;
            }
        }
        Ok(())
    }

    fn host_line(&mut self, line: &str, group: usize) -> Result<(), InventoryError> {
        let tokens = shlex::split(line)
            .map_err(|e| self.error(format!("Error parsing host definition '{line}': {e}")))?;
        let Some((pattern, rest)) = tokens.split_first() else {
            return Err(self.error(format!("Expected a host definition, got: {line}")));
        };
        let (hosts, port) = self.expand_host_pattern(pattern)?;
        let mut vars: HashMap<&str, Value> = HashMap::new();
        let mut order: Vec<&str> = Vec::new();
        for token in rest {
            let Some((k, v)) = token.split_once('=') else {
                return Err(self.error_near(
                    token,
                    format!("Expected key=value host variable assignment, got: {token}"),
                ));
            };
            if vars.insert(k, ini_value(v)).is_none() {
                order.push(k);
            }
        }
        for host in hosts {
            if host.is_empty() {
                return Err(self.error("Invalid empty host name provided: "));
            }
            let id = self.data.add_host(&host, Some(group), port);
            for k in &order {
                if let Some(v) = vars.get(k) {
                    self.data.set_host_var(id, k, v.clone());
                }
            }
        }
        Ok(())
    }

    fn expand_host_pattern(
        &self,
        pattern: &str,
    ) -> Result<(Vec<String>, Option<u64>), InventoryError> {
        let (name, port) =
            parse_address(pattern, true).unwrap_or_else(|| (pattern.to_string(), None));
        if pattern.trim().ends_with(':') && port.is_none() {
            return Err(self.error(format!(
                "Invalid host pattern '{pattern}' supplied, ending in ':' is not allowed, this character is reserved to provide a port."
            )));
        }
        let hosts = expand_hostname_range(&name).map_err(|m| self.error(m))?;
        if hosts.iter().any(|h| h.trim() == "---") {
            return Err(self.error(format!(
                "Invalid host pattern '{pattern}' supplied, '---' is normally a sign this is a YAML file."
            )));
        }
        Ok((hosts, port))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn load(text: &str) -> Result<Data, InventoryError> {
        let mut d = Data::new();
        parse(&mut d, Path::new("inv.ini"), text)?;
        d.finish();
        Ok(d)
    }

    fn group_hosts(d: &Data, g: &str) -> Vec<String> {
        let id = d.group_id(g).unwrap();
        d.groups[id]
            .hosts
            .iter()
            .map(|h| d.hosts[*h].name.clone())
            .collect()
    }

    #[test]
    fn hosts_groups_children_and_vars() {
        let d = load(
            "top a=5 b=True c=yes d='x y'\n; comment\n[web]\nweb[1:2] http_port=80\n\n[web:vars]\nx=5\ny=\"s\"\n[prod:children]\nweb # trailing\n",
        )
        .unwrap();
        assert_eq!(group_hosts(&d, "ungrouped"), ["top"]);
        assert_eq!(group_hosts(&d, "web"), ["web1", "web2"]);
        let top = &d.hosts[d.host_id("top").unwrap()].vars;
        assert_eq!(top["a"], json!(5));
        assert_eq!(top["b"], json!(true));
        assert_eq!(top["c"], json!("yes"));
        assert_eq!(top["d"], json!("x y"));
        let web = &d.groups[d.group_id("web").unwrap()];
        assert_eq!(web.vars["x"], json!(5));
        assert_eq!(web.vars["y"], json!("s"));
        let prod = d.group_id("prod").unwrap();
        assert_eq!(web.parents, vec![prod]);
    }

    #[test]
    fn ports_and_bad_lines() {
        let d = load("h1:2222\n[::1]:22\n").unwrap();
        assert_eq!(d.hosts[0].vars["ansible_port"], json!(2222));
        assert_eq!(d.hosts[1].name, "::1");
        let err = load("[web]\nok\nh1 novalue\n").unwrap_err().to_string();
        assert_eq!(
            err,
            "Expected key=value host variable assignment, got: novalue\n  --> inv.ini:3:4\n  |\n3 | h1 novalue\n  |    ^"
        );
        let err = load("h1:\n").unwrap_err().to_string();
        assert!(err.contains("ending in ':' is not allowed"), "{err}");
        let err = load("[bad name]\n").unwrap_err().to_string();
        assert!(err.contains("Invalid section entry"), "{err}");
        let err = load("[g:odd]\n").unwrap_err().to_string();
        assert!(err.contains("has unknown type: odd"), "{err}");
    }

    #[test]
    fn children_may_be_declared_later_but_must_be_declared() {
        let d = load("[p:children]\nc\n[c]\nh\n").unwrap();
        let c = d.group_id("c").unwrap();
        assert_eq!(d.groups[c].parents, vec![d.group_id("p").unwrap()]);
        let err = load("[p:children]\nmissing\n").unwrap_err().to_string();
        assert!(
            err.starts_with(
                "Section [p:children] includes undefined group 'missing'.\n  --> inv.ini:2:1"
            ),
            "{err}"
        );
        let err = load("[x:vars]\na=1\n").unwrap_err().to_string();
        assert!(
            err.starts_with(
                "Section [x:vars] not valid for undefined group 'x'.\n  --> inv.ini:1:1"
            ),
            "{err}"
        );
        assert!(load("[x:vars]\na=1\n[x]\nh\n").is_ok());
    }

    #[test]
    fn group_priority_is_not_a_variable() {
        let d = load("[g]\nh\n[g:vars]\nansible_group_priority=10\n").unwrap();
        let g = &d.groups[d.group_id("g").unwrap()];
        assert_eq!(g.priority, 10);
        assert!(g.vars.is_empty());
    }
}
