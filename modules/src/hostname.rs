//! `hostname`: the host's name, through hostnamectl on systemd hosts, else
//! /etc/hostname plus `hostname NAME`. Returns the hostname facts as Ansible does.

use async_trait::async_trait;
use serde_json::{Map, Value};

use crate::sys::{self, failed, quote, sect, section, sections};
use crate::{result, Ctx, Module, ModuleError, ModuleResult};

const STRATEGIES: &[&str] = &[
    "alpine", "debian", "freebsd", "generic", "macos", "macosx", "darwin", "openbsd", "openrc",
    "redhat", "sles", "solaris", "systemd",
];

pub struct Hostname;

#[async_trait]
impl Module for Hostname {
    fn name(&self) -> &'static str {
        "hostname"
    }
    async fn run(&self, ctx: &Ctx<'_>) -> Result<ModuleResult, ModuleError> {
        let args = &ctx.args;
        args.check_supported("hostname", &["name", "use"])?;
        let name = args.required_str("name")?;
        let strategy = sys::choice(args, "use", STRATEGIES, None)?;
        let probe = format!(
            "{}; hostname 2>/dev/null || uname -n; {}; cat /etc/hostname 2>/dev/null; {}; if command -v hostnamectl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then echo systemd; else echo generic; fi",
            section("current"),
            section("file"),
            section("kind")
        );
        let out = sys::sh(ctx, &probe).await?;
        let secs = sections(&out.stdout);
        let current = sect(&secs, "current").trim().to_string();
        let file = sect(&secs, "file").trim().to_string();
        let strategy = strategy.unwrap_or_else(|| sect(&secs, "kind").trim().to_string());
        // The permanent name counts too: a name set only until reboot is not done.
        let changed = current != name || (!file.is_empty() && file != name);
        let mut r = result(changed);
        r.insert("name".into(), name.clone().into());
        let (short, domain) = match name.split_once('.') {
            Some((s, d)) => (s.to_string(), d.to_string()),
            None => (name.clone(), String::new()),
        };
        let mut facts = Map::new();
        facts.insert("ansible_hostname".into(), short.into());
        facts.insert("ansible_nodename".into(), name.clone().into());
        facts.insert("ansible_fqdn".into(), name.clone().into());
        facts.insert("ansible_domain".into(), domain.into());
        r.insert("ansible_facts".into(), Value::Object(facts));
        if ctx.diff && changed {
            r.insert(
                "diff".into(),
                sys::diff(
                    format!("hostname = {current}\n"),
                    format!("hostname = {name}\n"),
                ),
            );
        }
        if !changed || ctx.check_mode {
            return Ok(r);
        }
        let q = quote(&name);
        let cmd = match strategy.as_str() {
            "systemd" => format!("hostnamectl set-hostname {q}"),
            "generic" | "debian" | "alpine" | "openrc" | "redhat" | "sles" => {
                format!("printf '%s\\n' {q} > /etc/hostname && hostname {q}")
            }
            other => {
                return Ok(failed(format!(
                    "drover's hostname module does not support the '{other}' strategy yet"
                )))
            }
        };
        let o = sys::sh(ctx, &cmd).await?;
        if o.rc != 0 {
            return Ok(sys::cmd_failed(
                format!(
                    "Command failed rc={}, out={}, err={}",
                    o.rc, o.stdout, o.stderr
                ),
                &o,
            ));
        }
        Ok(r)
    }
}
