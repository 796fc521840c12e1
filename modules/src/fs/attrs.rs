//! The file attributes every file module takes (`mode`, `owner`, `group`): what the
//! probe must ask to resolve them, what differs from a path's stat, the commands that
//! change it, and the before/after entries of Ansible's diff.

use drover_connection::quote;
use serde_json::{Map, Value};

use super::info::{mode_str, Kind, StatInfo};
use super::mode::{self, ModeSpec};
use super::probe::{Answers, Script};
use crate::{Args, ModuleError};

#[derive(Debug, Clone, Default)]
pub struct Wanted {
    pub mode: Option<ModeSpec>,
    pub owner: Option<String>,
    pub group: Option<String>,
}

/// Ids resolved on the host, plus the facts needed to predict a new file's attributes.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub mode: Option<ModeSpec>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub umask: u32,
    /// Who new files belong to (the connecting or become user).
    pub my_uid: u32,
    pub my_gid: u32,
}

/// Ansible's diff of one path: `{before: {...}, after: {...}}`.
#[derive(Debug, Clone, Default)]
pub struct Diff {
    pub before: Map<String, Value>,
    pub after: Map<String, Value>,
}

impl Diff {
    pub fn new(path: &str) -> Diff {
        let mut d = Diff::default();
        d.before.insert("path".into(), path.into());
        d.after.insert("path".into(), path.into());
        d
    }

    pub fn set(&mut self, key: &str, before: Value, after: Value) {
        self.before.insert(key.into(), before);
        self.after.insert(key.into(), after);
    }

    pub fn value(self) -> Value {
        let mut m = Map::new();
        m.insert("before".into(), Value::Object(self.before));
        m.insert("after".into(), Value::Object(self.after));
        Value::Object(m)
    }
}

impl Wanted {
    pub fn from_args(args: &Args) -> Result<Wanted, ModuleError> {
        Ok(Wanted {
            // `preserve` (copy, template) is resolved by the caller from the source file.
            mode: match args.get("mode") {
                Some(Value::String(s)) if s == "preserve" => None,
                other => mode::parse(other)?,
            },
            owner: args.str("owner")?.filter(|s| !s.is_empty()),
            group: args.str("group")?.filter(|s| !s.is_empty()),
        })
    }

    /// Add the lookups `resolve` needs to a probe script.
    pub fn probe(&self, s: &mut Script) {
        s.capture("umask", "umask");
        s.capture("ids", "id -u; id -g");
        if let Some(o) = self.owner.as_deref().filter(|o| !is_number(o)) {
            s.capture("owner_uid", &format!("id -u -- {}", quote(o)));
        }
        if let Some(g) = self.group.as_deref().filter(|g| !is_number(g)) {
            let pattern = quote(&format!("^{g}:"));
            s.capture(
                "group_gid",
                &format!(
                    "{{ getent group {} || grep -e {pattern} /etc/group; }} | head -n 1 | cut -d: -f3",
                    quote(g)
                ),
            );
        }
    }

    pub fn resolve(&self, a: &Answers) -> Result<Resolved, ModuleError> {
        let uid = match &self.owner {
            None => None,
            Some(o) if is_number(o) => o.parse().ok(),
            Some(o) => Some(a.text("owner_uid").trim().parse().map_err(|_| {
                ModuleError::Failed(format!("chown failed: failed to look up user {o}"))
            })?),
        };
        let gid = match &self.group {
            None => None,
            Some(g) if is_number(g) => g.parse().ok(),
            Some(g) => Some(a.text("group_gid").trim().parse().map_err(|_| {
                ModuleError::Failed(format!("chgrp failed: failed to look up group {g}"))
            })?),
        };
        let ids = a.text("ids");
        let mut ids = ids
            .split_whitespace()
            .map(|s| s.parse::<u32>().unwrap_or(0));
        Ok(Resolved {
            mode: self.mode.clone(),
            uid,
            gid,
            umask: u32::from_str_radix(a.text("umask").trim(), 8).unwrap_or(0o022),
            my_uid: ids.next().unwrap_or(0),
            my_gid: ids.next().unwrap_or(0),
        })
    }
}

fn is_number(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

impl Resolved {
    /// A stat for a path about to be created with the default umask (mkdir, a new file,
    /// or a symlink, whose permissions are always 0777).
    pub fn fresh(&self, kind: Kind) -> StatInfo {
        let (type_bits, perm) = match kind {
            Kind::Dir => (0o040000, 0o777 & !self.umask),
            Kind::Link => (0o120000, 0o777),
            _ => (0o100000, 0o666 & !self.umask),
        };
        StatInfo {
            raw_mode: type_bits | perm,
            uid: self.my_uid,
            gid: self.my_gid,
            nlink: 1,
            ..StatInfo::default()
        }
    }

    /// The commands that give `path` (now as `st`) the wanted attributes, with the
    /// diff entries for what changes. `link_itself`: change a symlink, not its target.
    pub fn plan(
        &self,
        path: &str,
        st: &StatInfo,
        link_itself: bool,
        diff: &mut Diff,
    ) -> Result<Vec<String>, ModuleError> {
        let mut cmds = Vec::new();
        let p = quote(path);
        let h = if link_itself { "-h " } else { "" };
        let owner_change = self.uid.filter(|u| *u != st.uid);
        let group_change = self.gid.filter(|g| *g != st.gid);
        if let Some(uid) = owner_change {
            diff.set("owner", st.uid.into(), uid.into());
        }
        if let Some(gid) = group_change {
            diff.set("group", st.gid.into(), gid.into());
        }
        match (owner_change, group_change) {
            (Some(u), Some(g)) => cmds.push(format!("chown {h}{u}:{g} -- {p}")),
            (Some(u), None) => cmds.push(format!("chown {h}{u} -- {p}")),
            (None, Some(g)) => cmds.push(format!("chgrp {h}{g} -- {p}")),
            (None, None) => {}
        }
        // Linux cannot chmod a symlink itself; Ansible skips it too.
        if let Some(spec) = &self.mode {
            if !(link_itself && st.kind() == Kind::Link) {
                let want = spec.resolve(st.perm(), st.kind() == Kind::Dir, self.umask)?;
                if want != st.perm() {
                    diff.set("mode", mode_str(st.perm()).into(), mode_str(want).into());
                    // Five digits: GNU chmod keeps a directory's setgid bit otherwise.
                    cmds.push(format!("chmod {want:05o} -- {p}"));
                }
            }
        }
        Ok(cmds)
    }

    /// Shell text applying the attributes to everything below `dir` (file `recurse`).
    pub fn recurse_cmds(&self, dir: &str, follow: bool) -> Vec<String> {
        let d = quote(dir);
        let follow = if follow { "-L " } else { "" };
        let mut cmds = Vec::new();
        match (self.uid, self.gid) {
            (Some(u), Some(g)) => cmds.push(format!(
                "find {follow}{d} -mindepth 1 -exec chown -h {u}:{g} {{}} +"
            )),
            (Some(u), None) => cmds.push(format!(
                "find {follow}{d} -mindepth 1 -exec chown -h {u} {{}} +"
            )),
            (None, Some(g)) => cmds.push(format!(
                "find {follow}{d} -mindepth 1 -exec chgrp -h {g} {{}} +"
            )),
            (None, None) => {}
        }
        match &self.mode {
            Some(ModeSpec::Octal(m)) => cmds.push(format!(
                "find {follow}{d} -mindepth 1 ! -type l -exec chmod {m:05o} {{}} +"
            )),
            // chmod's own symbolic modes mean what Ansible's do (X, umask for no who).
            Some(ModeSpec::Symbolic(s)) => cmds.push(format!(
                "find {follow}{d} -mindepth 1 ! -type l -exec chmod {} {{}} +",
                quote(s)
            )),
            None => {}
        }
        cmds
    }

    /// Whether entries below a directory (their `stat` lines) differ from what is wanted.
    pub fn any_differs(&self, stats: &[StatInfo]) -> bool {
        stats.iter().any(|st| {
            self.uid.is_some_and(|u| u != st.uid)
                || self.gid.is_some_and(|g| g != st.gid)
                || (st.kind() != Kind::Link
                    && self.mode.as_ref().is_some_and(|spec| {
                        spec.resolve(st.perm(), st.kind() == Kind::Dir, self.umask)
                            .map(|m| m != st.perm())
                            .unwrap_or(true)
                    }))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolved(mode: Option<ModeSpec>, uid: Option<u32>) -> Resolved {
        Resolved {
            mode,
            uid,
            gid: None,
            umask: 0o022,
            my_uid: 1000,
            my_gid: 1000,
        }
    }

    #[test]
    fn plans_only_what_differs() {
        let st = StatInfo::parse("81a4/0/0/root/root/1/1/1/1/0/0/0/0/0/0/0").unwrap();
        let r = resolved(Some(ModeSpec::Octal(0o644)), Some(0));
        let mut d = Diff::new("/x");
        assert!(r.plan("/x", &st, false, &mut d).unwrap().is_empty());
        let r = resolved(Some(ModeSpec::Symbolic("u+x".into())), Some(5));
        let cmds = r.plan("/a b", &st, false, &mut d).unwrap();
        assert_eq!(cmds, vec!["chown 5 -- '/a b'", "chmod 00744 -- '/a b'"]);
        assert_eq!(d.after["mode"], "0744");
        assert_eq!(d.before["owner"], 0);
    }

    #[test]
    fn fresh_paths_follow_the_umask() {
        let r = resolved(None, None);
        assert_eq!(r.fresh(Kind::Dir).mode_str(), "0755");
        assert_eq!(r.fresh(Kind::File).mode_str(), "0644");
    }
}
