//! `group`: groups through groupadd/groupmod/groupdel, after one read of the group file.

use async_trait::async_trait;

use crate::sys::{self, failed, quote};
use crate::user::parse_groups;
use crate::{result, Ctx, Module, ModuleError, ModuleResult};

const OPTIONS: &[&str] = &[
    "force",
    "gid",
    "gid_max",
    "gid_min",
    "local",
    "name",
    "non_unique",
    "state",
    "system",
];

pub struct Group;

#[async_trait]
impl Module for Group {
    fn name(&self) -> &'static str {
        "group"
    }
    async fn run(&self, ctx: &Ctx<'_>) -> Result<ModuleResult, ModuleError> {
        run(ctx).await.map(sys::add_lines)
    }
}

async fn run(ctx: &Ctx<'_>) -> Result<ModuleResult, ModuleError> {
    let args = &ctx.args;
    args.check_supported("group", OPTIONS)?;
    if args.bool("local", false)? {
        return Ok(failed("drover's group module does not support 'local' yet"));
    }
    let name = args.required_str("name")?;
    let state =
        sys::choice(args, "state", &["absent", "present"], Some("present"))?.unwrap_or_default();
    let gid = sys::int(args, "gid")?;
    let system = args.bool("system", false)?;
    let q = quote(&name);
    let out = sys::sh(ctx, &format!("awk -F: -v n={q} '$1==n' /etc/group")).await?;
    let current = parse_groups(&out.stdout)
        .into_iter()
        .find(|g| g.name == name);

    let mut r = result(false);
    r.insert("name".into(), name.clone().into());
    r.insert("state".into(), state.clone().into());
    let cmd: Vec<String> = if state == "absent" {
        if current.is_none() {
            return Ok(r);
        }
        let mut c = vec!["groupdel".to_string()];
        if args.bool("force", false)? {
            c.push("-f".into());
        }
        c.push(name.clone());
        c
    } else {
        r.insert("system".into(), system.into());
        match &current {
            Some(g) => {
                r.insert("gid".into(), g.gid.into());
                match gid.filter(|want| *want != g.gid) {
                    Some(want) => {
                        let mut c = vec!["groupmod".to_string(), "-g".into(), want.to_string()];
                        if args.bool("non_unique", false)? {
                            c.push("-o".into());
                        }
                        c.push(name.clone());
                        c
                    }
                    None => Vec::new(),
                }
            }
            None => {
                let mut c = vec!["groupadd".to_string()];
                if let Some(g) = gid {
                    c.extend(["-g".into(), g.to_string()]);
                    if args.bool("non_unique", false)? {
                        c.push("-o".into());
                    }
                }
                if system {
                    c.push("-r".into());
                }
                if let Some(g) = sys::int(args, "gid_min")? {
                    c.extend(["-K".into(), format!("GID_MIN={g}")]);
                }
                if let Some(g) = sys::int(args, "gid_max")? {
                    c.extend(["-K".into(), format!("GID_MAX={g}")]);
                }
                c.push(name.clone());
                c
            }
        }
    };
    if cmd.is_empty() {
        return Ok(r);
    }
    r.insert("changed".into(), true.into());
    if ctx.check_mode {
        if let Some(g) = gid {
            r.insert("gid".into(), g.into());
        }
        return Ok(r);
    }
    let script = format!(
        "{} || exit $?; awk -F: -v n={q} '$1==n' /etc/group",
        sys::line(&cmd)
    );
    let o = sys::sh(ctx, &script).await?;
    if o.rc != 0 {
        let mut f = sys::cmd_failed(o.stderr.trim().to_string(), &o);
        f.insert("name".into(), name.into());
        return Ok(f);
    }
    if let Some(g) = parse_groups(&o.stdout).into_iter().find(|g| g.name == name) {
        r.insert("gid".into(), g.gid.into());
    }
    Ok(r)
}
