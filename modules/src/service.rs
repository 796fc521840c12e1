//! `service`: picks the host's service manager as Ansible's action plugin does (the
//! `use` option, else the `service_mgr` fact, else a probe) and runs `systemd` for
//! systemd hosts; any other host gets the generic `service NAME start|stop|...` path
//! with `update-rc.d`/`chkconfig` for enablement.

use async_trait::async_trait;
use serde_json::Value;

use crate::sys::{self, failed, line, sect, section, sections};
use crate::{result, Args, Ctx, Module, ModuleError, ModuleResult};

const OPTIONS: &[&str] = &[
    "arguments",
    "enabled",
    "name",
    "pattern",
    "runlevel",
    "sleep",
    "state",
    "use",
];

pub struct Service;

#[async_trait]
impl Module for Service {
    fn name(&self) -> &'static str {
        "service"
    }
    async fn run(&self, ctx: &Ctx<'_>) -> Result<ModuleResult, ModuleError> {
        let args = sys::aliased(&ctx.args, &[("args", "arguments")]);
        args.check_supported("service", OPTIONS)?;
        let manager = match args.str("use")?.filter(|u| u != "auto") {
            Some(u) => u,
            None => service_mgr(ctx).await?,
        };
        if manager == "systemd" {
            // Options systemd has no use for are dropped, as Ansible's action plugin does.
            let mut map = args.0.clone();
            for k in ["use", "arguments", "pattern", "runlevel", "sleep"] {
                map.remove(k);
            }
            let sub = Ctx {
                host: ctx.host,
                args: Args::new(map),
                check_mode: ctx.check_mode,
                diff: ctx.diff,
                verbosity: ctx.verbosity,
                target: ctx.target,
            };
            return crate::systemd::run(&sub, "systemd")
                .await
                .map(sys::add_lines);
        }
        generic(ctx, &args).await.map(sys::add_lines)
    }
}

/// The `service_mgr` fact when gathered, else what PID 1 and /run/systemd say.
async fn service_mgr(ctx: &Ctx<'_>) -> Result<String, ModuleError> {
    if let Ok(Some(Value::String(m))) = ctx.target.evaluate("ansible_facts['service_mgr']") {
        if !m.is_empty() && m != "unknown" {
            return Ok(m);
        }
    }
    let out = sys::sh(
        ctx,
        "if [ \"$(cat /proc/1/comm 2>/dev/null)\" = systemd ] || [ -d /run/systemd/system ]; then echo systemd; else echo service; fi",
    )
    .await?;
    Ok(out.stdout.trim().to_string())
}

async fn generic(ctx: &Ctx<'_>, args: &Args) -> Result<ModuleResult, ModuleError> {
    let name = args.required_str("name")?;
    let state = sys::choice(args, "state", crate::systemd::STATES, None)?;
    let enabled = match args.get("enabled") {
        Some(_) => Some(args.bool("enabled", false)?),
        None => None,
    };
    if state.is_none() && enabled.is_none() {
        return Ok(failed(
            "Neither argument 'state' nor 'enabled' was given, one of them is required.",
        ));
    }
    let extra = args.str("arguments")?.unwrap_or_default();
    let pattern = args.str("pattern")?;
    let q = sys::quote(&name);
    let running_check = match &pattern {
        // A pattern means "running" is a process whose command line matches it.
        Some(p) => format!(
            "ps -eo args 2>/dev/null | grep -v grep | grep -q -- {}",
            sys::quote(p)
        ),
        None => format!("service {q} status >/dev/null 2>&1"),
    };
    let probe = format!(
        "{}; command -v service >/dev/null 2>&1 || [ -x /etc/init.d/{q} ]; echo $?; {}; {running_check}; echo $?; {}; ls /etc/rc[2345].d/S??{q} >/dev/null 2>&1; echo $?",
        section("exists"),
        section("running"),
        section("enabled"),
    );
    let out = sys::sh(ctx, &probe).await?;
    let secs = sections(&out.stdout);
    let code = |s: &str| sect(&secs, s).trim() == "0";
    if !code("exists") {
        return Ok(failed(format!(
            "Could not find the requested service {name}: host"
        )));
    }
    let mut r = result(false);
    r.insert("name".into(), name.clone().into());
    let mut cmds: Vec<String> = Vec::new();
    if let Some(want) = enabled {
        if want != code("enabled") {
            cmds.push(if want {
                format!("if command -v update-rc.d >/dev/null 2>&1; then update-rc.d {q} defaults && update-rc.d {q} enable; else chkconfig {q} on; fi")
            } else {
                format!("if command -v update-rc.d >/dev/null 2>&1; then update-rc.d {q} disable; else chkconfig {q} off; fi")
            });
        }
        r.insert("enabled".into(), Value::Bool(want));
    }
    if let Some(want) = &state {
        let running = code("running");
        let verb = match want.as_str() {
            "started" => (!running).then_some("start"),
            "stopped" => running.then_some("stop"),
            "restarted" => Some("restart"),
            _ => Some("reload"),
        };
        if let Some(verb) = verb {
            let mut words = vec!["service".to_string(), name.clone(), verb.to_string()];
            words.extend(extra.split_whitespace().map(str::to_string));
            cmds.push(line(&words));
        }
        r.insert("state".into(), want.clone().into());
    }
    if cmds.is_empty() {
        return Ok(r);
    }
    r.insert("changed".into(), Value::Bool(true));
    if ctx.check_mode {
        return Ok(r);
    }
    let out = sys::sh(ctx, &cmds.join(" && ")).await?;
    if out.rc != 0 {
        let mut f = sys::cmd_failed(
            format!(
                "Unable to change service {name}: {}{}",
                out.stdout, out.stderr
            ),
            &out,
        );
        f.insert("name".into(), name.into());
        return Ok(f);
    }
    if let Some(secs) = sys::int(args, "sleep")?.filter(|s| *s > 0) {
        sys::sh(ctx, &format!("sleep {secs}")).await?;
    }
    Ok(r)
}
