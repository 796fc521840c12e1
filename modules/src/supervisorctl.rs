//! `supervisorctl` (community.general's): programs of a supervisord through
//! `supervisorctl`. Credentials go into a private temporary `[supervisorctl]` config
//! file on the host, never into an argument list.

use async_trait::async_trait;
use serde_json::Value;

use crate::sys::{self, failed, quote};
use crate::{result, Ctx, Module, ModuleError, ModuleResult};

const OPTIONS: &[&str] = &[
    "config",
    "name",
    "password",
    "server_url",
    "signal",
    "state",
    "stop_before_removing",
    "supervisorctl_path",
    "username",
];

pub struct Supervisorctl;

#[async_trait]
impl Module for Supervisorctl {
    fn name(&self) -> &'static str {
        "supervisorctl"
    }
    async fn run(&self, ctx: &Ctx<'_>) -> Result<ModuleResult, ModuleError> {
        let mut tmp = None;
        let r = run(ctx, &mut tmp).await;
        if let Some(path) = tmp {
            let _ = sys::sh(ctx, &format!("rm -f {}", quote(&path))).await;
        }
        r
    }
}

/// The `supervisorctl` command line prefix, and a temp config written when credentials
/// are given.
struct Ctl {
    base: String,
}

impl Ctl {
    async fn run(&self, ctx: &Ctx<'_>, words: &[&str]) -> Result<sys::Output, ModuleError> {
        sys::sh(ctx, &format!("{} {} 2>&1", self.base, sys::line(words))).await
    }
}

/// The serverurl a supervisorctl config names: `[supervisorctl] serverurl`, else the
/// `[unix_http_server] file` socket.
fn serverurl_of(config: &str) -> Option<String> {
    let mut section = "";
    let mut socket = None;
    for l in config.lines() {
        let t = l.trim();
        if t.starts_with('[') {
            section = t;
            continue;
        }
        let Some((k, v)) = t.split_once('=') else {
            continue;
        };
        match (section, k.trim()) {
            ("[supervisorctl]", "serverurl") => return Some(v.trim().to_string()),
            ("[unix_http_server]", "file") => socket = Some(format!("unix://{}", v.trim())),
            _ => {}
        }
    }
    socket
}

/// `(process, status)` for the processes `name` selects in `supervisorctl status`.
fn matched(status: &str, name: &str, is_group: bool) -> Vec<(String, String)> {
    status
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let (p, s) = (f.next()?, f.next()?);
            let keep = if is_group {
                p.split_once(':').is_some_and(|(g, _)| g == name)
            } else {
                p == name || name == "all"
            };
            keep.then(|| (p.to_string(), s.to_string()))
        })
        .collect()
}

async fn run(ctx: &Ctx<'_>, tmp: &mut Option<String>) -> Result<ModuleResult, ModuleError> {
    let args = &ctx.args;
    args.check_supported("supervisorctl", OPTIONS)?;
    let raw_name = args.required_str("name")?;
    let state = sys::choice(
        args,
        "state",
        &[
            "present",
            "started",
            "stopped",
            "restarted",
            "absent",
            "signalled",
        ],
        None,
    )?
    .ok_or_else(|| ModuleError::Failed("missing required arguments: state".into()))?;
    let signal = args.str("signal")?;
    if state == "signalled" && signal.is_none() {
        return Ok(failed(
            "state is signalled but all of the following are missing: signal",
        ));
    }
    let is_group = raw_name.ends_with(':');
    let name = raw_name.trim_end_matches(':').to_string();
    let config = args.str("config")?;
    let server_url = args.str("server_url")?;
    let username = args.str("username")?;
    let password = args.str("password")?;

    let mut base = match args.str("supervisorctl_path")? {
        Some(p) => quote(&p),
        None => "supervisorctl".to_string(),
    };
    if username.is_some() || password.is_some() {
        let url = match (&server_url, &config) {
            (Some(u), _) => Some(u.clone()),
            (None, Some(c)) => {
                let text = sys::sh(ctx, &format!("cat {}", quote(c))).await?.stdout;
                serverurl_of(&text)
            }
            (None, None) => None,
        };
        let mut conf = String::from("[supervisorctl]\n");
        if let Some(u) = url {
            conf.push_str(&format!("serverurl={u}\n"));
        }
        if let Some(u) = &username {
            conf.push_str(&format!("username={u}\n"));
        }
        if let Some(p) = &password {
            conf.push_str(&format!("password={p}\n"));
        }
        let made = sys::sh(
            ctx,
            "umask 077; mktemp \"${TMPDIR:-/tmp}/drover-supervisorctl.XXXXXX\"",
        )
        .await?;
        let path = made.stdout.trim().to_string();
        if made.rc != 0 || path.is_empty() {
            return Ok(sys::cmd_failed("could not create a temporary file", &made));
        }
        *tmp = Some(path.clone());
        ctx.put(conf.as_bytes(), &path, Some(0o600)).await?;
        base.push_str(&format!(" -c {}", quote(&path)));
    } else {
        if let Some(c) = &config {
            base.push_str(&format!(" -c {}", quote(c)));
        }
        if let Some(u) = &server_url {
            base.push_str(&format!(" -s {}", quote(u)));
        }
    }
    let ctl = Ctl { base };

    let mut r = result(false);
    r.insert("name".into(), name.clone().into());
    r.insert("state".into(), state.clone().into());
    let status = |o: sys::Output| o.stdout;
    let mut processes = matched(&status(ctl.run(ctx, &["status"]).await?), &name, is_group);

    match state.as_str() {
        "present" | "absent" => {
            let present = !processes.is_empty();
            if present == (state == "present") {
                return Ok(r);
            }
            r.insert("changed".into(), true.into());
            if ctx.check_mode {
                return Ok(r);
            }
            if state == "absent" && args.bool("stop_before_removing", false)? {
                let running = not_in(&processes, &["STOPPED", "EXITED", "FATAL"]);
                if let Err(f) = act(ctx, &ctl, &running, "stop").await? {
                    return Ok(f);
                }
            }
            let o = ctl.run(ctx, &["reread"]).await?;
            if o.rc != 0 {
                return Ok(sys::cmd_failed(o.stdout.clone(), &o));
            }
            let (verb, expect) = if state == "present" {
                ("add", format!("{name}: added process group"))
            } else {
                ("remove", format!("{name}: removed process group"))
            };
            let o = ctl.run(ctx, &[verb, &name]).await?;
            if !o.stdout.contains(&expect) {
                let mut f = failed(o.stdout.trim_end().to_string());
                f.insert("name".into(), name.into());
                f.insert("state".into(), state.into());
                return Ok(f);
            }
            return Ok(r);
        }
        _ => {}
    }
    let no_such = || {
        let mut f = failed("ERROR (no such process)");
        f.insert("name".into(), name.clone().into());
        f
    };
    if state == "restarted" {
        if !ctx.check_mode {
            let o = ctl.run(ctx, &["update"]).await?;
            if o.rc != 0 {
                return Ok(sys::cmd_failed(o.stdout.clone(), &o));
            }
            processes = matched(&status(ctl.run(ctx, &["status"]).await?), &name, is_group);
        }
        if processes.is_empty() {
            return Ok(no_such());
        }
        return finish(ctx, &ctl, r, &processes, "restart").await;
    }
    if processes.is_empty() {
        return Ok(no_such());
    }
    let (targets, action) = match state.as_str() {
        "started" => (
            not_in(&processes, &["RUNNING", "STARTING"]),
            "start".to_string(),
        ),
        "stopped" => (
            not_in(&processes, &["STOPPED", "EXITED", "FATAL"]),
            "stop".to_string(),
        ),
        _ => (
            not_in(&processes, &["EXITED"]),
            format!("signal {}", signal.unwrap_or_default()),
        ),
    };
    finish(ctx, &ctl, r, &targets, &action).await
}

fn not_in(processes: &[(String, String)], states: &[&str]) -> Vec<(String, String)> {
    processes
        .iter()
        .filter(|(_, s)| !states.contains(&s.as_str()))
        .cloned()
        .collect()
}

async fn finish(
    ctx: &Ctx<'_>,
    ctl: &Ctl,
    mut r: ModuleResult,
    targets: &[(String, String)],
    action: &str,
) -> Result<ModuleResult, ModuleError> {
    if targets.is_empty() {
        return Ok(r);
    }
    r.insert("changed".into(), true.into());
    if ctx.check_mode {
        return Ok(r);
    }
    if let Err(f) = act(ctx, ctl, targets, action).await? {
        return Ok(f);
    }
    r.insert(
        "affected".into(),
        Value::Array(targets.iter().map(|(p, _)| p.clone().into()).collect()),
    );
    Ok(r)
}

/// Run `action` on each process and check supervisorctl's answer as Ansible does.
async fn act(
    ctx: &Ctx<'_>,
    ctl: &Ctl,
    targets: &[(String, String)],
    action: &str,
) -> Result<Result<(), ModuleResult>, ModuleError> {
    let verb = action.split_whitespace().next().unwrap_or(action);
    let expect = match verb {
        "start" | "restart" => "started",
        "stop" => "stopped",
        _ => "signalled",
    };
    for (p, _) in targets {
        let mut words: Vec<&str> = action.split_whitespace().collect();
        words.push(p);
        let o = ctl.run(ctx, &words).await?;
        if !o.stdout.contains(&format!("{p}: {expect}")) {
            let mut f = failed(o.stdout.trim_end().to_string());
            f.insert("name".into(), p.clone().into());
            return Ok(Err(f));
        }
    }
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines_select_processes_and_groups() {
        let s = "web                RUNNING   pid 1, uptime 0:00:01\nq:w1   STOPPED   Not started\nq:w2   RUNNING   pid 2\n";
        assert_eq!(
            matched(s, "web", false),
            [("web".to_string(), "RUNNING".to_string())]
        );
        assert_eq!(matched(s, "q", true).len(), 2);
        assert_eq!(matched(s, "all", false).len(), 3);
        assert_eq!(
            serverurl_of("[unix_http_server]\nfile = /t/s.sock\n"),
            Some("unix:///t/s.sock".into())
        );
    }
}
