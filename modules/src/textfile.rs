//! What lineinfile, blockinfile and replace share: one round trip that stats and reads the
//! file, one round trip that backs it up, writes it atomically (after `validate`), and
//! sets mode/owner/group, and Ansible's answers for the file attributes.

use std::hash::{BuildHasher, Hasher};

use drover_connection::quote;
use serde_json::{json, Map, Value};

use crate::{Ctx, ModuleError};

/// The file common arguments every file-editing module accepts. Only mode, owner and
/// group are applied; the SELinux ones and `attributes`/`unsafe_writes` are accepted and
/// ignored (drover does not set SELinux contexts or chattr flags).
pub const COMMON: &[&str] = &[
    "mode",
    "owner",
    "group",
    "seuser",
    "serole",
    "selevel",
    "setype",
    "attributes",
    "unsafe_writes",
];

/// `stat` of the file as found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stat {
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub owner: String,
    pub group: String,
}

pub enum Found {
    Missing,
    Directory,
    File {
        /// Symlinks resolved: Ansible writes through links to the real file.
        real: String,
        stat: Stat,
        content: Vec<u8>,
    },
}

impl Found {
    pub fn content(&self) -> Option<&[u8]> {
        match self {
            Found::File { content, .. } => Some(content),
            _ => None,
        }
    }
}

/// Ansible's `path` option type expands `~` (on the host): one round trip, only then.
pub async fn expand_user(ctx: &Ctx<'_>, path: &str) -> Result<String, ModuleError> {
    let rest = match path.strip_prefix('~') {
        Some(r) if r.is_empty() || r.starts_with('/') => r,
        _ => return Ok(path.to_string()),
    };
    let out = ctx.exec("printf %s \"$HOME\"", None).await?;
    let home = String::from_utf8_lossy(&out.stdout).into_owned();
    if home.is_empty() {
        return Ok(path.to_string());
    }
    Ok(format!("{home}{rest}"))
}

const STAT_FMT: &str = "'%a %u %g %U %G'";

/// Stat and read `path` in one round trip.
pub async fn probe(ctx: &Ctx<'_>, path: &str) -> Result<Found, ModuleError> {
    let p = quote(path);
    let script = format!(
        "p={p}; if [ -d \"$p\" ]; then echo D; exit 0; fi; \
         if [ ! -e \"$p\" ]; then echo N; exit 0; fi; \
         r=$(readlink -f -- \"$p\" 2>/dev/null) || r=$p; [ -n \"$r\" ] || r=$p; \
         s=$(stat -c {STAT_FMT} -- \"$r\") || exit 3; printf 'F %s\\n%s\\0' \"$s\" \"$r\"; \
         exec cat -- \"$r\""
    );
    let out = ctx.exec(&script, None).await?;
    if out.rc != 0 {
        return Err(ModuleError::Failed(format!(
            "Unable to read {path}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    let bytes = out.stdout;
    match bytes.first() {
        Some(b'D') => return Ok(Found::Directory),
        Some(b'N') => return Ok(Found::Missing),
        _ => {}
    }
    let bad = || ModuleError::Failed(format!("unexpected answer probing {path}"));
    let nl = bytes.iter().position(|&b| b == b'\n').ok_or_else(bad)?;
    let stat = parse_stat(&String::from_utf8_lossy(&bytes[2..nl])).ok_or_else(bad)?;
    let rest = &bytes[nl + 1..];
    let nul = rest.iter().position(|&b| b == 0).ok_or_else(bad)?;
    Ok(Found::File {
        real: String::from_utf8_lossy(&rest[..nul]).into_owned(),
        stat,
        content: rest[nul + 1..].to_vec(),
    })
}

fn parse_stat(s: &str) -> Option<Stat> {
    let mut f = s.split_whitespace();
    Some(Stat {
        mode: u32::from_str_radix(f.next()?, 8).ok()?,
        uid: f.next()?.parse().ok()?,
        gid: f.next()?.parse().ok()?,
        owner: f.next()?.to_string(),
        group: f.next()?.to_string(),
    })
}

/// The mode/owner/group a task asks for.
#[derive(Debug, Default, Clone)]
pub struct Attrs {
    pub mode: Option<String>,
    pub owner: Option<String>,
    pub group: Option<String>,
}

impl Attrs {
    pub fn from_args(ctx: &Ctx<'_>) -> Result<Attrs, ModuleError> {
        let mode = match ctx.args.get("mode") {
            None => None,
            // YAML's 0644 arrives as the number 420: its bits, as Ansible takes an int.
            Some(Value::Number(n)) => Some(format!(
                "{:o}",
                n.as_u64()
                    .ok_or_else(|| ModuleError::Failed(format!("bad mode {n}")))?
            )),
            Some(_) => ctx.args.str("mode")?,
        };
        Ok(Attrs {
            mode,
            owner: ctx.args.str("owner")?,
            group: ctx.args.str("group")?,
        })
    }

    /// Ansible's failure for a mode that is neither octal nor symbolic.
    pub fn invalid_mode(&self) -> Option<crate::ModuleResult> {
        let m = self.mode.as_ref()?;
        if apply_mode(m, 0o644).is_some() {
            return None;
        }
        let mut r = crate::result(false);
        r.insert("failed".into(), json!(true));
        r.insert(
            "msg".into(),
            json!("mode must be in octal or symbolic form"),
        );
        r.insert(
            "details".into(),
            json!(format!("bad symbolic permission for mode: {m}")),
        );
        Some(r)
    }

    pub fn is_empty(&self) -> bool {
        self.mode.is_none() && self.owner.is_none() && self.group.is_none()
    }

    /// Shell lines applying the attributes to "$d".
    fn commands(&self) -> String {
        let mut s = String::new();
        if let Some(o) = &self.owner {
            s.push_str(&format!("chown -- {} \"$d\" || exit 5; ", quote(o)));
        }
        if let Some(g) = &self.group {
            s.push_str(&format!("chgrp -- {} \"$d\" || exit 5; ", quote(g)));
        }
        if let Some(m) = &self.mode {
            s.push_str(&format!("chmod -- {} \"$d\" || exit 5; ", quote(m)));
        }
        s
    }

    /// What the attributes would be after applying them to `st` (check mode); `None` when
    /// a symbolic mode cannot be evaluated here.
    pub fn predict(&self, st: &Stat) -> Option<Stat> {
        let mut after = st.clone();
        if let Some(m) = &self.mode {
            after.mode = apply_mode(m, st.mode)?;
        }
        if let Some(o) = &self.owner {
            if o != &st.owner && o.parse::<u32>().ok() != Some(st.uid) {
                after.owner = o.clone();
                after.uid = o.parse().unwrap_or(u32::MAX);
            }
        }
        if let Some(g) = &self.group {
            if g != &st.group && g.parse::<u32>().ok() != Some(st.gid) {
                after.group = g.clone();
                after.gid = g.parse().unwrap_or(u32::MAX);
            }
        }
        Some(after)
    }
}

/// chmod's symbolic or octal mode applied to `cur` (regular file: `X` acts only if some
/// execute bit is set).
pub fn apply_mode(mode: &str, cur: u32) -> Option<u32> {
    if !mode.is_empty() && mode.chars().all(|c| c.is_digit(8)) {
        return u32::from_str_radix(mode, 8).ok().filter(|m| *m <= 0o7777);
    }
    let mut m = cur & 0o7777;
    for clause in mode.split(',') {
        let who_len = clause
            .find(|c: char| !matches!(c, 'u' | 'g' | 'o' | 'a'))
            .unwrap_or(clause.len());
        let who = &clause[..who_len];
        // Ansible (unlike chmod) refuses `a` combined with other users.
        if who.contains('a') && who.len() > 1 {
            return None;
        }
        let mut mask = 0;
        for w in who.chars() {
            mask |= match w {
                'u' => 0o4700,
                'g' => 0o2070,
                'o' => 0o1007,
                _ => 0o7777,
            };
        }
        if who.is_empty() {
            mask = 0o7777;
        }
        let mut rest = &clause[who_len..];
        if rest.is_empty() {
            return None;
        }
        while let Some(op) = rest.chars().next() {
            if !matches!(op, '+' | '-' | '=') {
                return None;
            }
            let perm_len = rest[1..]
                .find(['+', '-', '='])
                .map_or(rest.len(), |i| i + 1);
            let mut bits = 0;
            for p in rest[1..perm_len].chars() {
                bits |= match p {
                    'r' => 0o444,
                    'w' => 0o222,
                    'x' => 0o111,
                    'X' if m & 0o111 != 0 => 0o111,
                    'X' => 0,
                    's' => 0o6000,
                    't' => 0o1000,
                    _ => return None,
                };
            }
            let bits = bits & mask;
            m = match op {
                '+' => m | bits,
                '-' => m & !bits,
                _ => (m & !mask) | bits,
            };
            rest = &rest[perm_len..];
        }
    }
    Some(m)
}

/// What to write and how.
pub struct Write<'a> {
    pub path: &'a str,
    /// The file as probed (None when it does not exist yet).
    pub existing: Option<(&'a str, &'a Stat)>,
    pub content: &'a [u8],
    pub backup: bool,
    pub validate: Option<&'a str>,
    pub attrs: &'a Attrs,
}

/// What the write did.
pub struct Written {
    pub backup: Option<String>,
    /// Attributes before and after applying mode/owner/group.
    pub before: Stat,
    pub after: Stat,
}

/// Back up, write atomically (temp file in the same directory, `validate` on it, rename),
/// then apply mode/owner/group: one round trip. A new file gets the default umask mode; an
/// existing one keeps its mode and owner.
pub async fn write(ctx: &Ctx<'_>, w: &Write<'_>) -> Result<Written, ModuleError> {
    let dest = match w.existing {
        Some((real, _)) => real.to_string(),
        None => w.path.to_string(),
    };
    let dir = match dest.rfind('/') {
        Some(0) => "/".to_string(),
        Some(i) => dest[..i].to_string(),
        None => ".".to_string(),
    };
    let tmp = format!("{}/.drover-tmp-{}", dir.trim_end_matches('/'), token());
    let mut s = format!("d={}; t={}; ", quote(&dest), quote(&tmp));
    if w.existing.is_none() {
        s.push_str(&format!(
            "mkdir -p -- {} 2>/dev/null || {{ echo {} >&2; exit 4; }}; ",
            quote(&dir),
            quote(&format!("Error creating {dir}"))
        ));
    }
    if w.backup && w.existing.is_some() {
        // Ansible's backup name: path.PID.YYYY-MM-DD@HH:MM:SS~
        s.push_str(
            "b=\"$d.$$.$(date +%Y-%m-%d@%H:%M:%S)~\"; cp -p -- \"$d\" \"$b\" || exit 6; \
             printf 'B%s\\0' \"$b\"; ",
        );
    }
    s.push_str("{ [ ! -f \"$d\" ] || cp -p -- \"$d\" \"$t\"; } && cat > \"$t\" || { rm -f -- \"$t\"; exit 7; }; ");
    if let Some(v) = w.validate {
        s.push_str(&format!(
            "e=$({} 2>&1 >/dev/null); r=$?; if [ $r -ne 0 ]; then rm -f -- \"$t\"; \
             printf 'V%s\\0%s' \"$r\" \"$e\"; exit 0; fi; ",
            validate_command(v, &tmp)?
        ));
    }
    s.push_str(&format!(
        "mv -f -- \"$t\" \"$d\" || {{ rm -f -- \"$t\"; exit 8; }}; \
         printf 'S%s\\0' \"$(stat -c {STAT_FMT} -- \"$d\")\"; {}\
         printf 'S%s\\0' \"$(stat -c {STAT_FMT} -- \"$d\")\"",
        w.attrs.commands()
    ));
    let out = ctx.exec(&s, Some(w.content)).await?;
    if out.rc != 0 {
        let err = String::from_utf8_lossy(&out.stderr).trim().to_string();
        return Err(ModuleError::Failed(match out.rc {
            4 => err,
            5 => format!("chown/chmod failed: {err}"),
            _ => format!("could not write {dest}: {err}"),
        }));
    }
    parse_written(&out.stdout)
}

fn parse_written(out: &[u8]) -> Result<Written, ModuleError> {
    let mut backup = None;
    let mut stats = Vec::new();
    let mut parts = out.split(|&b| b == 0);
    while let Some(p) = parts.next() {
        let text = String::from_utf8_lossy(p);
        match p.first() {
            Some(b'B') => backup = Some(text[1..].to_string()),
            Some(b'S') => stats.push(parse_stat(&text[1..])),
            Some(b'V') => {
                let err = parts
                    .next()
                    .map(|e| String::from_utf8_lossy(e).into_owned())
                    .unwrap_or_default();
                return Err(ModuleError::Failed(format!(
                    "failed to validate: rc:{} error:{err}",
                    &text[1..]
                )));
            }
            _ => {}
        }
    }
    match (stats.first(), stats.get(1)) {
        (Some(Some(b)), Some(Some(a))) => Ok(Written {
            backup,
            before: b.clone(),
            after: a.clone(),
        }),
        _ => Err(ModuleError::Failed(
            "could not stat the written file".into(),
        )),
    }
}

/// Apply mode/owner/group to an existing file whose content stays: (before, after).
pub async fn set_attrs(
    ctx: &Ctx<'_>,
    real: &str,
    attrs: &Attrs,
) -> Result<(Stat, Stat), ModuleError> {
    let s = format!(
        "d={}; printf 'S%s\\0' \"$(stat -c {STAT_FMT} -- \"$d\")\"; {}\
         printf 'S%s\\0' \"$(stat -c {STAT_FMT} -- \"$d\")\"",
        quote(real),
        attrs.commands()
    );
    let out = ctx.exec(&s, None).await?;
    if out.rc != 0 {
        return Err(ModuleError::Failed(format!(
            "chown/chmod failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    let w = parse_written(&out.stdout)?;
    Ok((w.before, w.after))
}

/// `validate` as Ansible runs it: split like a shell would, `%s` replaced by the temp file,
/// run without a shell (so each word is quoted here).
pub(crate) fn validate_command(validate: &str, tmp: &str) -> Result<String, ModuleError> {
    if !validate.contains("%s") {
        return Err(ModuleError::Failed(format!(
            "validate must contain %s: {validate}"
        )));
    }
    let words = crate::shlex::split(&validate.replace("%s", "\u{0}DROVER_TMP\u{0}"))
        .map_err(|e| ModuleError::Failed(e.to_string()))?;
    Ok(words
        .iter()
        .map(|w| quote(&w.replace("\u{0}DROVER_TMP\u{0}", tmp)))
        .collect::<Vec<_>>()
        .join(" "))
}

/// Ansible's `ownership, perms or SE linux context changed` bookkeeping: whether the
/// attributes changed, and the `(file attributes)` diff entry.
pub fn attr_change(path: &str, before: &Stat, after: &Stat) -> (bool, Value) {
    let mut b = Map::new();
    let mut a = Map::new();
    if before.uid != after.uid || before.owner != after.owner {
        b.insert("owner".into(), json!(before.uid));
        a.insert("owner".into(), json!(after.uid));
    }
    if before.gid != after.gid || before.group != after.group {
        b.insert("group".into(), json!(before.gid));
        a.insert("group".into(), json!(after.gid));
    }
    if before.mode != after.mode {
        b.insert("mode".into(), json!(format!("0{:03o}", before.mode)));
        a.insert("mode".into(), json!(format!("0{:03o}", after.mode)));
    }
    let changed = !b.is_empty();
    let mut d = Map::new();
    if changed {
        d.insert("before".into(), Value::Object(b));
        d.insert("after".into(), Value::Object(a));
    }
    d.insert(
        "before_header".into(),
        json!(format!("{path} (file attributes)")),
    );
    d.insert(
        "after_header".into(),
        json!(format!("{path} (file attributes)")),
    );
    (changed, Value::Object(d))
}

/// Add Ansible's attribute message to `msg`.
pub fn attr_msg(msg: &mut String, content_changed: bool) {
    if content_changed {
        msg.push_str(" and ");
    }
    msg.push_str("ownership, perms or SE linux context changed");
}

/// Python's `to_native(bytes)` for diffs: lossy UTF-8 text.
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A name for temp files that does not collide between concurrent tasks.
pub fn token() -> String {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    if let Ok(d) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        h.write_u128(d.as_nanos());
    }
    format!("{:016x}", h.finish())
}

/// Common handling after the content decision, shared by the three modules: write or
/// predict, then mode/owner/group. Returns (changed, msg, backup, diffs).
pub struct Outcome {
    pub changed: bool,
    pub msg: String,
    pub backup: Option<String>,
    pub attr_diff: Option<Value>,
}

pub struct Finish<'a> {
    pub path: &'a str,
    pub found: &'a Found,
    pub new_content: Option<&'a [u8]>,
    pub msg: String,
    pub backup: bool,
    pub validate: Option<&'a str>,
    pub attrs: &'a Attrs,
}

pub async fn finish(ctx: &Ctx<'_>, f: Finish<'_>) -> Result<Outcome, ModuleError> {
    let existing = match f.found {
        Found::File { real, stat, .. } => Some((real.as_str(), stat)),
        _ => None,
    };
    let content_changed = f.new_content.is_some();
    let mut out = Outcome {
        changed: content_changed,
        msg: f.msg,
        backup: None,
        attr_diff: None,
    };
    let (before, after) = match (f.new_content, ctx.check_mode, existing) {
        (Some(content), false, _) => {
            let w = write(
                ctx,
                &Write {
                    path: f.path,
                    existing,
                    content,
                    backup: f.backup,
                    validate: f.validate,
                    attrs: f.attrs,
                },
            )
            .await?;
            out.backup = w.backup;
            (w.before, w.after)
        }
        // Check mode on a file that does not exist yet: nothing to compare attributes with.
        (_, true, None) | (None, _, None) => return Ok(out),
        (_, true, Some((_, st))) => {
            let predicted = f.attrs.predict(st).unwrap_or_else(|| st.clone());
            (st.clone(), predicted)
        }
        (None, false, Some((real, st))) => {
            // Attributes already as asked (the usual second run): no round trip.
            if f.attrs.is_empty() || f.attrs.predict(st).as_ref() == Some(st) {
                (st.clone(), st.clone())
            } else {
                set_attrs(ctx, real, f.attrs).await?
            }
        }
    };
    let (attr_changed, diff) = attr_change(f.path, &before, &after);
    if attr_changed {
        attr_msg(&mut out.msg, content_changed);
        out.changed = true;
    }
    out.attr_diff = Some(diff);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::apply_mode;

    #[test]
    fn symbolic_modes() {
        assert_eq!(apply_mode("0640", 0o644), Some(0o640));
        assert_eq!(apply_mode("u+x", 0o644), Some(0o744));
        assert_eq!(apply_mode("go-r", 0o644), Some(0o600));
        assert_eq!(apply_mode("u=rw,g=r,o=", 0o777), Some(0o640));
        assert_eq!(apply_mode("a+X", 0o644), Some(0o644));
        assert_eq!(apply_mode("a+X", 0o744), Some(0o755));
        assert_eq!(apply_mode("+t", 0o755), Some(0o1755));
        assert_eq!(apply_mode("u+q", 0o644), None);
        for bad in ["u=foo", "foo=r", "ufoo=r", "abc=r", "ao=r", "oa=r"] {
            assert_eq!(apply_mode(bad, 0o644), None, "{bad}");
        }
    }
}
