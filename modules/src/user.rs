//! `user`: accounts through useradd/usermod/userdel. One probe reads the account's
//! passwd and shadow lines and the whole group file; the one command that differs runs
//! after. Password hashes go to `chpasswd -e` on stdin, never into an argument list or
//! a result.

use std::collections::BTreeSet;

use async_trait::async_trait;
use serde_json::Value;

use crate::sys::{self, failed, quote, sect, section, sections};
use crate::{result, Ctx, Module, ModuleError, ModuleResult};

const OPTIONS: &[&str] = &[
    "append",
    "authorization",
    "comment",
    "create_home",
    "expires",
    "force",
    "generate_ssh_key",
    "group",
    "groups",
    "hidden",
    "home",
    "local",
    "login_class",
    "move_home",
    "name",
    "non_unique",
    "password",
    "password_expire_account_disable",
    "password_expire_max",
    "password_expire_min",
    "password_expire_warn",
    "password_lock",
    "profile",
    "remove",
    "role",
    "seuser",
    "shell",
    "skeleton",
    "ssh_key_bits",
    "ssh_key_comment",
    "ssh_key_file",
    "ssh_key_passphrase",
    "ssh_key_type",
    "state",
    "system",
    "uid",
    "uid_max",
    "uid_min",
    "umask",
    "update_password",
];
/// Options Ansible has that drover does not act on yet: refused when set, never ignored.
const NOT_YET: &[&str] = &[
    "authorization",
    "hidden",
    "local",
    "login_class",
    "password_expire_account_disable",
    "password_expire_max",
    "password_expire_min",
    "password_expire_warn",
    "profile",
    "role",
    "seuser",
    "ssh_key_passphrase",
];
pub(crate) const HIDDEN_PASSWORD: &str = "NOT_LOGGING_PASSWORD";

pub struct User;

/// A passwd entry.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Passwd {
    pub name: String,
    pub uid: i64,
    pub gid: i64,
    pub comment: String,
    pub home: String,
    pub shell: String,
}

pub(crate) fn parse_passwd(line: &str) -> Option<Passwd> {
    let f: Vec<&str> = line.trim_end_matches('\n').split(':').collect();
    if f.len() < 7 {
        return None;
    }
    Some(Passwd {
        name: f[0].into(),
        uid: f[2].parse().ok()?,
        gid: f[3].parse().ok()?,
        comment: f[4].into(),
        home: f[5].into(),
        shell: f[6].into(),
    })
}

/// A group-file entry: name, gid, members.
pub(crate) struct GroupEntry {
    pub name: String,
    pub gid: i64,
    pub members: Vec<String>,
}

pub(crate) fn parse_groups(text: &str) -> Vec<GroupEntry> {
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f.len() >= 4).then(|| GroupEntry {
                name: f[0].into(),
                gid: f[2].parse().unwrap_or(-1),
                members: f[3]
                    .split(',')
                    .filter(|m| !m.is_empty())
                    .map(str::to_string)
                    .collect(),
            })
        })
        .collect()
}

fn find_group<'a>(groups: &'a [GroupEntry], g: &str) -> Option<&'a GroupEntry> {
    groups.iter().find(|e| e.name == g).or_else(|| {
        g.parse::<i64>()
            .ok()
            .and_then(|id| groups.iter().find(|e| e.gid == id))
    })
}

#[async_trait]
impl Module for User {
    fn name(&self) -> &'static str {
        "user"
    }
    async fn run(&self, ctx: &Ctx<'_>) -> Result<ModuleResult, ModuleError> {
        let mut r = run(ctx).await?;
        let args = sys::aliased(&ctx.args, &[("user", "name")]);
        let wanted = args.bool("generate_ssh_key", false)?
            && args.str("state")?.as_deref() != Some("absent");
        if wanted && r.get("failed").is_none() {
            let name = args.required_str("name")?;
            crate::user_key::ensure(ctx, &args, &name, &mut r).await?;
        }
        Ok(sys::add_lines(r))
    }
}

async fn run(ctx: &Ctx<'_>) -> Result<ModuleResult, ModuleError> {
    let args = sys::aliased(
        &ctx.args,
        &[("user", "name"), ("createhome", "create_home")],
    );
    args.check_supported("user", OPTIONS)?;
    for k in NOT_YET {
        if args.get(k).is_some_and(|v| v != &Value::Bool(false)) {
            return Ok(failed(format!(
                "drover's user module does not support '{k}' yet"
            )));
        }
    }
    let name = args.required_str("name")?;
    let state =
        sys::choice(&args, "state", &["absent", "present"], Some("present"))?.unwrap_or_default();
    let update_password = sys::choice(
        &args,
        "update_password",
        &["always", "on_create"],
        Some("always"),
    )?
    .unwrap_or_default();
    let q = quote(&name);
    let probe = format!(
            "{}; awk -F: -v n={q} '$1==n' /etc/passwd; {}; cat /etc/group; {}; awk -F: -v n={q} '$1==n {{print $2; print $8}}' /etc/shadow 2>/dev/null; true",
            section("passwd"),
            section("group"),
            section("shadow")
        );
    let out = sys::sh(ctx, &probe).await?;
    let secs = sections(&out.stdout);
    let current = sect(&secs, "passwd")
        .lines()
        .filter_map(parse_passwd)
        .find(|p| p.name == name);
    let groups = parse_groups(sect(&secs, "group"));
    let mut shadow_fields = sect(&secs, "shadow").lines();
    let shadow = shadow_fields.next().unwrap_or("").to_string();
    // Days since the epoch, empty when the account never expires.
    let expire_days = shadow_fields.next().unwrap_or("").trim().to_string();
    let locked = shadow.starts_with('!');

    let mut r = result(false);
    r.insert("name".into(), name.clone().into());
    r.insert("state".into(), state.clone().into());

    if state == "absent" {
        let force = args.bool("force", false)?;
        let remove = args.bool("remove", false)?;
        if current.is_none() {
            return Ok(r);
        }
        r.insert("force".into(), force.into());
        r.insert("remove".into(), remove.into());
        r.insert("changed".into(), true.into());
        if ctx.check_mode {
            return Ok(r);
        }
        let mut cmd = vec!["userdel".to_string()];
        if force {
            cmd.push("-f".into());
        }
        if remove {
            cmd.push("-r".into());
        }
        cmd.push(name.clone());
        let o = sys::sh(ctx, &sys::line(&cmd)).await?;
        if o.rc != 0 {
            return Ok(sys::cmd_failed(o.stderr.trim().to_string(), &o));
        }
        r.insert("stdout".into(), o.stdout.into());
        r.insert("stderr".into(), o.stderr.into());
        return Ok(r);
    }

    let uid = sys::int(&args, "uid")?;
    let group = args.str("group")?;
    let want_groups = args.list("groups")?.map(|g| {
        g.into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<String>>()
    });
    let append = args.bool("append", false)?;
    let comment = args.str("comment")?;
    let home = args.str("home")?;
    let shell = args.str("shell")?;
    let password = args.str("password")?;
    let system = args.bool("system", false)?;
    let create_home = args.bool("create_home", true)?;
    let move_home = args.bool("move_home", false)?;

    let primary = match &group {
        Some(g) => match find_group(&groups, g) {
            Some(e) => Some(e),
            None => return Ok(failed(format!("Group {g} does not exist"))),
        },
        None => None,
    };
    if let Some(want) = &want_groups {
        if let Some(missing) = want.iter().find(|g| find_group(&groups, g).is_none()) {
            return Ok(failed(format!("Group {missing} does not exist")));
        }
    }
    // Supplementary groups by name, as the group file lists members by name.
    let member_of: BTreeSet<String> = groups
        .iter()
        .filter(|e| e.members.iter().any(|m| m == &name))
        .map(|e| e.name.clone())
        .collect();
    let want_set: Option<BTreeSet<String>> = want_groups.as_ref().map(|w| {
        w.iter()
            .filter_map(|g| find_group(&groups, g).map(|e| e.name.clone()))
            .collect()
    });

    let password_lock = match args.get("password_lock") {
        Some(_) => Some(args.bool("password_lock", false)?),
        None => None,
    };
    // `expires` is epoch seconds; the shadow file keeps days. Negative: never expires.
    let expires = match args.get("expires") {
        None => None,
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(t)) => Some(t.trim().parse::<f64>().map_err(|_| {
            ModuleError::Failed(format!(
                "argument 'expires' is of type str and we were unable to convert to float: {t}"
            ))
        })?),
        Some(other) => {
            return Err(ModuleError::Failed(format!(
                "argument 'expires' is of type {other} and we were unable to convert to float"
            )))
        }
    };
    let expire_arg = expires.map(|e| {
        if e < 0.0 {
            String::new()
        } else {
            chrono::DateTime::from_timestamp(e as i64, 0)
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default()
        }
    });
    let expire_differs = expires.is_some_and(|e| {
        let want = if e < 0.0 {
            String::new()
        } else {
            ((e as i64) / 86400).to_string()
        };
        want != expire_days
    });

    let mut cmd: Vec<String>;
    let set_password;
    match &current {
        None => {
            cmd = vec!["useradd".into()];
            if let Some(u) = uid {
                cmd.extend(["-u".into(), u.to_string()]);
                if args.bool("non_unique", false)? {
                    cmd.push("-o".into());
                }
            }
            if let Some(e) = primary {
                cmd.extend(["-g".into(), e.name.clone()]);
            } else if groups.iter().any(|e| e.name == name) {
                // A group of the user's name exists: useradd would fail creating it.
                cmd.push("-N".into());
            }
            if let Some(w) = &want_set {
                if !w.is_empty() {
                    cmd.extend(["-G".into(), w.iter().cloned().collect::<Vec<_>>().join(",")]);
                }
            }
            if let Some(c) = &comment {
                cmd.extend(["-c".into(), c.clone()]);
            }
            if let Some(h) = &home {
                cmd.extend(["-d".into(), h.clone()]);
            }
            if let Some(s) = &shell {
                cmd.extend(["-s".into(), s.clone()]);
            }
            if system {
                cmd.push("-r".into());
            }
            if create_home {
                cmd.push("-m".into());
                if let Some(k) = args.str("skeleton")? {
                    cmd.extend(["-k".into(), k]);
                }
            } else {
                cmd.push("-M".into());
            }
            if let Some(e) = expire_arg.as_ref().filter(|e| !e.is_empty()) {
                cmd.extend(["-e".into(), e.clone()]);
            }
            if let Some(u) = sys::int(&args, "uid_min")? {
                cmd.extend(["-K".into(), format!("UID_MIN={u}")]);
            }
            if let Some(u) = sys::int(&args, "uid_max")? {
                cmd.extend(["-K".into(), format!("UID_MAX={u}")]);
            }
            if let Some(u) = args.str("umask")? {
                cmd.extend(["-K".into(), format!("UMASK={u}")]);
            }
            cmd.push(name.clone());
            set_password = password.is_some();
        }
        Some(cur) => {
            cmd = vec!["usermod".into()];
            if let Some(u) = uid.filter(|u| *u != cur.uid) {
                cmd.extend(["-u".into(), u.to_string()]);
                if args.bool("non_unique", false)? {
                    cmd.push("-o".into());
                }
            }
            if let Some(e) = primary.filter(|e| e.gid != cur.gid) {
                cmd.extend(["-g".into(), e.name.clone()]);
            }
            if let Some(w) = &want_set {
                let differs = if append {
                    !w.is_subset(&member_of)
                } else {
                    w != &member_of
                };
                if differs {
                    if append {
                        cmd.push("-a".into());
                    }
                    cmd.extend(["-G".into(), w.iter().cloned().collect::<Vec<_>>().join(",")]);
                }
            }
            if let Some(c) = comment.as_ref().filter(|c| **c != cur.comment) {
                cmd.extend(["-c".into(), c.clone()]);
            }
            if let Some(h) = home.as_ref().filter(|h| **h != cur.home) {
                cmd.extend(["-d".into(), h.clone()]);
                if move_home {
                    cmd.push("-m".into());
                }
            }
            if let Some(s) = shell.as_ref().filter(|s| **s != cur.shell) {
                cmd.extend(["-s".into(), s.clone()]);
            }
            if let (Some(e), true) = (&expire_arg, expire_differs) {
                cmd.extend(["-e".into(), e.clone()]);
            }
            match password_lock {
                Some(true) if !locked => cmd.push("-L".into()),
                Some(false) if locked => cmd.push("-U".into()),
                _ => {}
            }
            if cmd.len() > 1 {
                cmd.push(name.clone());
            } else {
                cmd.clear();
            }
            // A locked account's hash is the hash behind its `!`.
            let stored = if password_lock.is_some() {
                shadow.trim_start_matches('!')
            } else {
                shadow.as_str()
            };
            set_password =
                update_password == "always" && password.as_ref().is_some_and(|p| p != stored);
        }
    }
    let changed = !cmd.is_empty() || set_password;
    r.insert("changed".into(), changed.into());
    if let Some(p) = &password {
        r.insert("password".into(), HIDDEN_PASSWORD.into());
        // Crypt hashes start with `$`; `!` and `*` lock the account.
        if !p.starts_with(['$', '!', '*']) && !p.is_empty() {
            r.insert(
                    "warnings".into(),
                    serde_json::json!(["The input password appears not to have been hashed. The 'password' argument must be encrypted for this module to work properly."]),
                );
        }
    }
    if let Some(w) = &want_groups {
        r.insert("groups".into(), w.join(",").into());
    }
    if current.is_some() {
        r.insert("append".into(), append.into());
        r.insert("move_home".into(), move_home.into());
    } else {
        r.insert("create_home".into(), create_home.into());
        r.insert("system".into(), system.into());
    }
    let fill = |r: &mut ModuleResult, p: &Passwd| {
        r.insert("uid".into(), p.uid.into());
        r.insert("group".into(), p.gid.into());
        r.insert("comment".into(), p.comment.clone().into());
        r.insert("home".into(), p.home.clone().into());
        r.insert("shell".into(), p.shell.clone().into());
    };
    if ctx.check_mode || !changed {
        if let Some(cur) = &current {
            fill(&mut r, cur);
        }
        return Ok(r);
    }
    let mut script = String::new();
    if !cmd.is_empty() {
        script.push_str(&format!("{} || exit $?; ", sys::line(&cmd)));
    }
    let mut stdin = None;
    if set_password {
        script.push_str("chpasswd -e || exit $?; ");
        if password_lock == Some(true) {
            // chpasswd writes the hash unlocked: lock again after it.
            script.push_str(&format!("usermod -L {q} || exit $?; "));
        }
        stdin = password
            .as_ref()
            .map(|p| format!("{name}:{p}\n").into_bytes());
    }
    script.push_str(&format!(
        "{}; awk -F: -v n={q} '$1==n' /etc/passwd",
        section("passwd")
    ));
    let o = sys::sh_in(ctx, &script, stdin.as_deref()).await?;
    let secs = sections(&o.stdout);
    let before_marker = o.stdout.split(sys::SECTION).next().unwrap_or("").trim_end();
    if o.rc != 0 {
        let mut f = failed(o.stderr.trim().to_string());
        f.insert("name".into(), name.into());
        f.insert("rc".into(), o.rc.into());
        return Ok(f);
    }
    if let Some(p) = sect(&secs, "passwd")
        .lines()
        .filter_map(parse_passwd)
        .next()
    {
        fill(&mut r, &p);
    }
    if !before_marker.is_empty() {
        r.insert("stdout".into(), before_marker.to_string().into());
    }
    if !o.stderr.is_empty() {
        r.insert("stderr".into(), o.stderr.into());
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwd_lines_parse() {
        let p = parse_passwd("bob:x:1001:1002:Bob B,,,:/home/bob:/bin/bash\n").unwrap();
        assert_eq!(
            (p.uid, p.gid, p.comment.as_str(), p.shell.as_str()),
            (1001, 1002, "Bob B,,,", "/bin/bash")
        );
        assert!(parse_passwd("broken:x:1").is_none());
    }

    #[test]
    fn groups_resolve_by_name_or_gid() {
        let g = parse_groups("root:x:0:\nadm:x:4:bob,al\n");
        assert_eq!(find_group(&g, "4").map(|e| e.name.as_str()), Some("adm"));
        assert_eq!(find_group(&g, "adm").map(|e| e.members.len()), Some(2));
        assert!(find_group(&g, "nope").is_none());
    }
}
