//! `file`: a path's state (file, directory, link, hard, touch, absent) and attributes.
//! One round trip finds everything the decision needs; a second applies the change
//! and stats the result.

use async_trait::async_trait;
use drover_connection::quote;
use serde_json::Value;

use super::attrs::{Diff, Resolved, Wanted};
use super::info::{path_info, Kind, StatInfo};
use super::probe::{Answers, Script};
use super::times::{self, TimeSpec};
use super::{basename, dirname, fail, join, run_script};
use crate::{result, Ctx, Module, ModuleError, ModuleResult};

pub struct File;

const OPTIONS: &[&str] = &[
    "path",
    "dest",
    "name",
    "state",
    "recurse",
    "force",
    "follow",
    "src",
    "mode",
    "owner",
    "group",
    "modification_time",
    "modification_time_format",
    "access_time",
    "access_time_format",
    "attributes",
    "attr",
    "seuser",
    "serole",
    "setype",
    "selevel",
    "unsafe_writes",
    "_original_basename",
    "_diff_peek",
];
const STATES: &[&str] = &["absent", "directory", "file", "hard", "link", "touch"];

struct Opts {
    path: String,
    state: Option<String>,
    recurse: bool,
    force: bool,
    follow: bool,
    src: Option<String>,
    wanted: Wanted,
    mtime: Option<TimeSpec>,
    atime: Option<TimeSpec>,
}

fn opts(ctx: &Ctx<'_>) -> Result<Opts, ModuleError> {
    let a = &ctx.args;
    a.check_supported("file", OPTIONS)?;
    let path = match (a.str("path")?, a.str("dest")?, a.str("name")?) {
        (Some(p), _, _) | (None, Some(p), _) | (None, None, Some(p)) => p,
        _ => {
            return Err(ModuleError::Failed(
                "missing required arguments: path".into(),
            ))
        }
    };
    let state = a.str("state")?;
    if let Some(s) = &state {
        if !STATES.contains(&s.as_str()) {
            return Err(ModuleError::Failed(format!(
                "value of state must be one of: {}, got: {s}",
                STATES.join(", ")
            )));
        }
    }
    if a.str("attributes")?
        .or(a.str("attr")?)
        .is_some_and(|s| !s.is_empty())
    {
        return Err(ModuleError::Failed(
            "drover: the 'attributes' option (chattr) is not supported".into(),
        ));
    }
    let time = |name: &str| -> Result<Option<TimeSpec>, ModuleError> {
        match a.str(name)? {
            None => Ok(None),
            Some(_) => TimeSpec::from_args(a, name, TimeSpec::Preserve).map(Some),
        }
    };
    Ok(Opts {
        path,
        state,
        recurse: a.bool("recurse", false)?,
        force: a.bool("force", false)?,
        follow: a.bool("follow", true)?,
        src: a.str("src")?,
        wanted: Wanted::from_args(a)?,
        mtime: time("modification_time")?,
        atime: time("access_time")?,
    })
}

#[async_trait]
impl Module for File {
    fn name(&self) -> &'static str {
        "file"
    }

    async fn run(&self, ctx: &Ctx<'_>) -> Result<ModuleResult, ModuleError> {
        let mut o = opts(ctx)?;
        o.path = super::expand_home(ctx, o.path).await?;
        let p = &o.path;
        let mut s = Script::new();
        s.stat("st", p, false).stat("lt", p, true).readlink("rl", p);
        s.capture("real", &format!("readlink -f -- {}", quote(p)));
        o.wanted.probe(&mut s);
        if let Some(src) = &o.src {
            let abs = |base: &str| join(base, src);
            s.status("src_in_dir", &format!("[ -e {} ]", quote(&abs(p))));
            s.status(
                "src_beside",
                &format!("[ -e {} ]", quote(&abs(&dirname(p)))),
            );
            s.stat("src_st", src, true);
            s.stat("in_dir", &join(p, &basename(src)), false);
            s.capture("dir_entries", &format!("ls -A -- {} | head -n 1", quote(p)));
        }
        if o.recurse {
            let l = if o.follow { "-L " } else { "" };
            s.capture(
                "below",
                &format!(
                    "find {l}{} -mindepth 1 -exec stat -c '%f/%u/%g/%U/%G/%s/%h/%i/%d/%.9X/%.9Y/%.9Z/%b/%o/%t/%T' {{}} +",
                    quote(p)
                ),
            );
        }
        if ctx.diff && o.state.as_deref() == Some("absent") {
            s.capture("dirs", &format!("find {} -mindepth 1 -type d", quote(p)));
            s.capture("files", &format!("find {} -mindepth 1 ! -type d", quote(p)));
        }
        for (spec, key) in [(&o.mtime, "mtime_at"), (&o.atime, "atime_at")] {
            if let Some(t) = spec {
                t.probe(key, &mut s);
            }
        }
        let a = run_script(ctx, &s, None).await?;
        let mut warnings = Vec::new();
        let mut wanted = o.wanted.clone();
        // Check mode only warns about a missing user or group (it may be created
        // by an earlier task of a real run), as Ansible does.
        if ctx.check_mode && o.state.as_deref() != Some("absent") {
            if let Err(ModuleError::Failed(m)) = wanted.resolve(&a) {
                let (what, name) = if m.starts_with("chown") {
                    ("user", wanted.owner.take())
                } else {
                    ("group", wanted.group.take())
                };
                warnings.push(format!(
                    "failed to look up {what} {}. Create {what} up to this point in real play",
                    name.unwrap_or_default()
                ));
                if wanted.resolve(&a).is_err() {
                    wanted.owner = None;
                    wanted.group = None;
                }
            }
        }
        let resolved = wanted.resolve(&a)?;
        let path = o.path.clone();
        let src = o.src.clone();
        let mut plan = Plan::new(ctx, o, a, resolved)?;
        plan.warnings = warnings;
        let prev = plan.prev;
        if let Err(ModuleError::Failed(msg)) = plan.decide() {
            // Ansible's failures carry the path (and for links the source).
            let mut r = result(false);
            r.insert("failed".into(), true.into());
            if msg.ends_with("cannot continue") {
                r.insert("path".into(), plan.path.clone().into());
                r.insert("state".into(), prev.into());
            } else if plan.state == "hard" || msg.starts_with("src file does not exist") {
                r.insert("dest".into(), path.clone().into());
                r.insert("src".into(), src.into());
            } else {
                r.insert("path".into(), path.into());
            }
            r.insert("msg".into(), msg.into());
            return Ok(r);
        }
        plan.finish().await
    }
}

/// The decision for one run: commands to apply and what to report.
struct Plan<'c, 'a> {
    ctx: &'c Ctx<'a>,
    o: Opts,
    a: Answers,
    r: Resolved,
    state: String,
    prev: &'static str,
    /// The path reported (and stat'ed afterwards): the link target when following.
    path: String,
    /// Shell lines applying the change, run only outside check mode.
    cmds: Vec<String>,
    changed: bool,
    diff: Diff,
    /// The path's lstat before any change (what check mode reports).
    current: Option<StatInfo>,
    /// `dest`+`src` (link, hard), `dest` (touch) or `path` in the result.
    key: &'static str,
    warnings: Vec<String>,
}

impl<'c, 'a> Plan<'c, 'a> {
    fn new(ctx: &'c Ctx<'a>, mut o: Opts, a: Answers, r: Resolved) -> Result<Self, ModuleError> {
        let mut st = a.stat("st");
        // A directory `path` with a hard link `src` means the file of that name inside.
        if o.state.as_deref() == Some("hard") && st.as_ref().is_some_and(|s| s.kind() == Kind::Dir)
        {
            if let Some(src) = &o.src {
                o.path = join(&o.path, &basename(src));
                st = a.stat("in_dir");
            }
        }
        let prev = st.as_ref().map_or("absent", StatInfo::state);
        let state = match &o.state {
            Some(s) => s.clone(),
            None if prev != "absent" => prev.to_string(),
            None if o.recurse => "directory".into(),
            None => "file".into(),
        };
        if o.recurse && state != "directory" {
            return Err(fail("recurse option requires state to be 'directory'"));
        }
        if o.src.is_some() && state != "link" && state != "hard" {
            return Err(fail("src option requires state to be 'link' or 'hard'"));
        }
        let path = o.path.clone();
        Ok(Plan {
            ctx,
            diff: Diff::new(&path),
            o,
            a,
            r,
            state,
            prev,
            path,
            cmds: Vec::new(),
            changed: false,
            current: st,
            key: "path",
            warnings: Vec::new(),
        })
    }

    fn state_change(&mut self, to: &str) {
        if self.prev != to {
            self.diff.set("state", self.prev.into(), to.into());
        }
    }

    /// Attributes (and times) of an existing path `st`.
    fn attributes(&mut self, st: &StatInfo, link_itself: bool) -> Result<(), ModuleError> {
        let cmds = self.r.plan(&self.path, st, link_itself, &mut self.diff)?;
        self.changed |= !cmds.is_empty();
        self.cmds.extend(cmds);
        let default = if self.state == "touch" {
            TimeSpec::Now
        } else {
            TimeSpec::Preserve
        };
        let m = self.o.mtime.clone().unwrap_or(default.clone());
        let at = self.o.atime.clone().unwrap_or(default);
        let now = chrono::Utc::now().timestamp_micros() as f64 / 1e6;
        let tp = times::plan(&self.path, &m, &at, (st.mtime, st.atime), &self.a, now);
        if let Some(t) = tp.mtime {
            self.diff.set("mtime", st.mtime.into(), t.into());
        }
        if let Some(t) = tp.atime {
            self.diff.set("atime", st.atime.into(), t.into());
        }
        self.changed |= !tp.cmds.is_empty();
        self.cmds.extend(tp.cmds);
        Ok(())
    }

    fn decide(&mut self) -> Result<(), ModuleError> {
        match self.state.as_str() {
            "absent" => self.absent(),
            "file" => self.file(),
            "directory" => self.directory(),
            "touch" => self.touch(),
            "link" => self.link(),
            _ => self.hard(),
        }
    }

    fn absent(&mut self) -> Result<(), ModuleError> {
        if self.prev == "absent" {
            return Ok(());
        }
        self.state_change("absent");
        if self.prev == "directory" {
            let list = |k: &str| -> Value {
                self.a
                    .text(k)
                    .lines()
                    .map(|l| Value::String(l.into()))
                    .collect()
            };
            let mut walk = serde_json::Map::new();
            walk.insert("directories".into(), list("dirs"));
            walk.insert("files".into(), list("files"));
            self.diff
                .before
                .insert("path_content".into(), Value::Object(walk));
        }
        self.changed = true;
        self.cmds.push(format!("rm -rf -- {}", quote(&self.path)));
        Ok(())
    }

    fn follow_link(&mut self) {
        if self.o.follow && self.prev == "link" {
            let real = self.a.text("real").trim_end_matches('\n').to_string();
            if !real.is_empty() {
                self.path = real.clone();
                self.diff = Diff::new(&real);
                let st = self.a.stat("lt");
                self.prev = st.as_ref().map_or("absent", StatInfo::state);
                self.current = st;
            }
        }
    }

    fn file(&mut self) -> Result<(), ModuleError> {
        self.follow_link();
        if self.prev != "file" && self.prev != "hard" {
            let msg = format!("file ({}) is {}, cannot continue", self.path, self.prev);
            return Err(fail(&msg));
        }
        self.state_change("file");
        let st = self.current.clone().unwrap_or_default();
        self.attributes(&st, false)
    }

    fn directory(&mut self) -> Result<(), ModuleError> {
        self.follow_link();
        self.state_change("directory");
        match self.prev {
            "absent" => {
                self.changed = true;
                // mkdir -p, with the attributes applied to every directory it creates.
                let fresh = self.r.fresh(Kind::Dir);
                let abs = self.path.starts_with('/');
                let mut cur = String::new();
                let mut lines = Vec::new();
                for part in self.path.split('/').filter(|s| !s.is_empty()) {
                    if abs || !cur.is_empty() {
                        cur.push('/');
                    }
                    cur.push_str(part);
                    let mut d = Diff::new(&cur);
                    let attrs = self.r.plan(&cur, &fresh, false, &mut d)?;
                    let q = quote(&cur);
                    let mut line = format!("[ -d {q} ] || {{ mkdir -- {q} || [ -d {q} ]; }}");
                    if !attrs.is_empty() {
                        line = format!(
                            "if [ -d {q} ]; then :; else mkdir -- {q} && {}; fi",
                            attrs.join(" && ")
                        );
                    }
                    lines.push(line);
                }
                let mut d = Diff::new(&self.path);
                self.r.plan(&self.path, &fresh, false, &mut d)?;
                for k in ["mode", "owner", "group"] {
                    if let (Some(b), Some(a)) = (d.before.remove(k), d.after.remove(k)) {
                        self.diff.set(k, b, a);
                    }
                }
                self.cmds.push(lines.join(" && "));
                Ok(())
            }
            "directory" => {
                let st = self.current.clone().unwrap_or_default();
                self.attributes(&st, false)?;
                if self.o.recurse {
                    let below: Vec<StatInfo> = self
                        .a
                        .text("below")
                        .lines()
                        .filter_map(StatInfo::parse)
                        .collect();
                    if self.r.any_differs(&below) {
                        self.changed = true;
                        self.cmds
                            .extend(self.r.recurse_cmds(&self.path, self.o.follow));
                    }
                }
                Ok(())
            }
            other => {
                let msg = format!("{} already exists as a {other}", self.path);
                Err(fail(&msg))
            }
        }
    }

    fn touch(&mut self) -> Result<(), ModuleError> {
        self.key = "dest";
        self.state_change("touch");
        let q = quote(&self.path);
        if self.prev == "absent" {
            self.changed = true;
            if self.ctx.check_mode {
                return Ok(());
            }
            // Created first so the attributes below apply to it; removed again when
            // they cannot be set, as Ansible does.
            let fresh = self.r.fresh(Kind::File);
            let attrs = self.r.plan(&self.path, &fresh, false, &mut self.diff)?;
            if attrs.is_empty() {
                self.cmds.push(format!("touch -- {q}"));
            } else {
                self.cmds.push(format!(
                    "touch -- {q} && {{ {} || {{ rm -f -- {q}; false; }}; }}",
                    attrs.join(" && ")
                ));
            }
            let (m, a) = (self.o.mtime.clone(), self.o.atime.clone());
            if m.is_some() || a.is_some() {
                let now = chrono::Utc::now().timestamp_micros() as f64 / 1e6;
                let tp = times::plan(
                    &self.path,
                    &m.unwrap_or(TimeSpec::Now),
                    &a.unwrap_or(TimeSpec::Now),
                    (-1.0, -1.0),
                    &self.a,
                    now,
                );
                self.cmds.extend(tp.cmds);
            }
            return Ok(());
        }
        let st = self.current.clone().unwrap_or_default();
        self.attributes(&st, !self.o.follow)
    }

    fn link(&mut self) -> Result<(), ModuleError> {
        self.key = "dest";
        let path = self.path.clone();
        let is_real_dir = self.prev == "directory";
        let src = match self.o.src.clone() {
            Some(s) => Some(s),
            // An existing link without `src` keeps its target; only attributes change.
            None if self.prev == "link" => Some(self.a.text("rl")),
            None => None,
        };
        if let (Some(s), false) = (&self.o.src, self.o.force) {
            let exists = if is_real_dir {
                self.a.rc("src_in_dir") == 0
            } else {
                self.a.rc("src_beside") == 0
            };
            if !exists {
                let base = if is_real_dir {
                    path.clone()
                } else {
                    dirname(&path)
                };
                return Err(fail(&format!(
                    "src file does not exist, use 'force=yes' if you really want to create the link: {}",
                    join(&base, s)
                )));
            }
        }
        match self.prev {
            "directory" if !self.o.force => {
                return Err(fail(&format!(
                    "refusing to convert from directory to symlink for {path}"
                )))
            }
            "directory" if !self.a.text("dir_entries").is_empty() => {
                return Err(fail(&format!(
                    "the directory {path} is not empty, refusing to convert it"
                )))
            }
            "file" | "hard" if !self.o.force => {
                return Err(fail(&format!(
                    "refusing to convert from {} to symlink for {path}",
                    self.prev
                )))
            }
            _ => {}
        }
        self.state_change("link");
        let Some(src) = src else {
            return Err(fail("src is required for creating new symlinks"));
        };
        self.o.src = Some(src.clone());
        let q = quote(&path);
        let mut relink = false;
        if self.prev == "link" {
            let old = self.a.text("rl");
            if old != src {
                self.diff.set("src", old.into(), src.clone().into());
                relink = true;
            }
        } else {
            relink = true;
        }
        if relink {
            self.changed = true;
            let s = quote(&src);
            if self.prev == "absent" {
                self.cmds.push(format!("ln -s -- {s} {q}"));
            } else {
                let tmp = quote(&join(
                    &dirname(&path),
                    &format!(".drover-link-{}", std::process::id()),
                ));
                let rmdir = if is_real_dir {
                    format!("rmdir -- {q} && ")
                } else {
                    String::new()
                };
                self.cmds.push(format!(
                    "{rmdir}ln -s -- {s} {tmp} && {{ mv -fT -- {tmp} {q} || {{ rm -f -- {tmp}; exit 1; }}; }}"
                ));
            }
        }
        // Attributes apply to the link's target when following (if it exists).
        let target_exists = if relink {
            let base = if is_real_dir {
                path.clone()
            } else {
                dirname(&path)
            };
            let _ = base;
            self.a.rc(if is_real_dir {
                "src_in_dir"
            } else {
                "src_beside"
            }) == 0
        } else {
            self.a.stat("lt").is_some()
        };
        let has_attrs = self.r.mode.is_some() || self.r.uid.is_some() || self.r.gid.is_some();
        if self.o.follow && !target_exists {
            if has_attrs {
                self.warnings.push("Cannot set fs attributes on a non-existent symlink target. follow should be set to False to avoid this.".into());
            }
        } else if has_attrs {
            // A link made now is ours (owner and group); otherwise the one found.
            let st = if self.o.follow {
                self.a.stat("lt")
            } else if relink {
                Some(self.r.fresh(Kind::Link))
            } else {
                self.a.stat("st")
            };
            if let Some(st) = st.or_else(|| self.a.stat("src_st")) {
                let cmds = self.r.plan(&path, &st, !self.o.follow, &mut self.diff)?;
                self.changed |= !cmds.is_empty();
                self.cmds.extend(cmds);
            }
        }
        Ok(())
    }

    fn hard(&mut self) -> Result<(), ModuleError> {
        self.key = "dest";
        let path = self.path.clone();
        let src_st = self.a.stat("src_st");
        let Some(src) = self.o.src.clone() else {
            if self.prev != "hard" {
                return Err(fail("src is required for creating new hardlinks"));
            }
            let st = self.current.clone().unwrap_or_default();
            return self.attributes(&st, false);
        };
        let Some(src_st) = src_st else {
            return Err(fail("src does not exist"));
        };
        self.state_change("hard");
        let cur = self.current.clone();
        let same = cur
            .as_ref()
            .is_some_and(|c| c.inode == src_st.inode && c.dev == src_st.dev);
        let relink = match self.prev {
            "absent" => true,
            "link" => {
                let old = self.a.text("rl");
                let differs = old != src;
                if differs {
                    self.diff.set("src", old.into(), src.clone().into());
                }
                differs
            }
            "hard" | "file" if same => false,
            "hard" if !self.o.force => {
                return Err(fail(
                    "Cannot link, different hard link exists at destination",
                ))
            }
            "file" if !self.o.force => return Err(fail("Cannot link, file exists at destination")),
            "directory" if !self.o.force => {
                return Err(fail(
                    "Cannot link: different hard link exists at destination",
                ))
            }
            _ => true,
        };
        let q = quote(&path);
        let s = quote(&src);
        if relink {
            self.changed = true;
            if self.prev == "absent" {
                self.cmds.push(format!("ln -- {s} {q}"));
            } else {
                let tmp = quote(&join(
                    &dirname(&path),
                    &format!(".drover-link-{}", std::process::id()),
                ));
                let rm = if self.prev == "directory" {
                    format!("rmdir -- {q} && ")
                } else {
                    String::new()
                };
                self.cmds.push(format!(
                    "{rm}ln -- {s} {tmp} && {{ mv -fT -- {tmp} {q} || {{ rm -f -- {tmp}; exit 1; }}; }}"
                ));
            }
        }
        let mut linked = src_st.clone();
        linked.nlink += u64::from(relink);
        self.attributes(&linked, false)
    }

    async fn finish(self) -> Result<ModuleResult, ModuleError> {
        let ctx = self.ctx;
        let mut r = result(self.changed);
        let mut final_stat = self.current.clone();
        let mut target_exists = self.path != self.o.path || self.a.stat("lt").is_some();
        if !ctx.check_mode && !self.cmds.is_empty() {
            let mut s = Script::new();
            s.line(&format!(
                "_dk err; {{ {}; }} 2>&1 >/dev/null; _drc=$?; _de; _dk rc; printf %s $_drc; _de",
                self.cmds.join(" && ")
            ));
            s.stat("final", &self.path, false)
                .stat("final_l", &self.path, true);
            let a = run_script(ctx, &s, None).await?;
            if a.rc("rc") != 0 {
                let err = a.text("err");
                let msg = match self.state.as_str() {
                    "directory" => format!(
                        "There was an issue creating {} as requested: {}",
                        self.path,
                        err.trim()
                    ),
                    "link" | "hard" => format!("Error while linking: {}", err.trim()),
                    _ => err.trim().to_string(),
                };
                let mut r = result(false);
                r.insert("failed".into(), true.into());
                r.insert("msg".into(), msg.into());
                r.insert("path".into(), self.path.clone().into());
                return Ok(r);
            }
            final_stat = a.stat("final");
            target_exists = a.stat("final_l").is_some();
        }
        // Python's os.path.exists follows links: a dangling one gets no path info.
        if final_stat.as_ref().is_some_and(|s| s.kind() == Kind::Link) && !target_exists {
            final_stat = None;
        }
        match self.key {
            "dest" => {
                r.insert("dest".into(), self.path.clone().into());
                if self.state == "link" || self.state == "hard" {
                    r.insert("src".into(), self.o.src.clone().into());
                }
            }
            _ => {
                r.insert("path".into(), self.path.clone().into());
            }
        }
        if self.state == "absent" {
            r.insert("state".into(), "absent".into());
        }
        path_info(final_stat.as_ref(), &mut r);
        if ctx.diff && (self.changed || self.state != "absent") {
            r.insert("diff".into(), self.diff.value());
        }
        if !self.warnings.is_empty() {
            r.insert(
                "warnings".into(),
                self.warnings.into_iter().map(Value::String).collect(),
            );
        }
        Ok(r)
    }
}
