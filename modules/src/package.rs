//! `package`: the generic package module. As Ansible's action plugin, it picks the
//! package manager from `use`, else the `pkg_mgr` fact, else a probe, and hands every
//! argument except `use` to that manager's module. apt is the one implemented.

use async_trait::async_trait;
use serde_json::Value;

use crate::sys::{self, failed};
use crate::{Args, Ctx, Module, ModuleError, ModuleResult};

pub struct Package;

#[async_trait]
impl Module for Package {
    fn name(&self) -> &'static str {
        "package"
    }
    async fn run(&self, ctx: &Ctx<'_>) -> Result<ModuleResult, ModuleError> {
        let manager = match ctx.args.str("use")?.filter(|u| u != "auto") {
            Some(u) => u,
            None => pkg_mgr(ctx).await?,
        };
        let mut map = ctx.args.0.clone();
        map.remove("use");
        match manager.as_str() {
            "apt" => crate::apt::run(ctx, &Args::new(map)).await.map(sys::add_lines),
            "unknown" | "" => Ok(failed(
                "Could not detect which package manager to use. Try gathering facts or setting the \"use\" option.",
            )),
            other => Ok(failed(format!(
                "The package manager '{other}' is not supported by drover yet (only apt)."
            ))),
        }
    }
}

async fn pkg_mgr(ctx: &Ctx<'_>) -> Result<String, ModuleError> {
    if let Ok(Some(Value::String(m))) = ctx.target.evaluate("ansible_facts['pkg_mgr']") {
        if !m.is_empty() && m != "unknown" {
            return Ok(m);
        }
    }
    let out = sys::sh(
        ctx,
        "for p in apt-get dnf yum apk pacman zypper; do command -v $p >/dev/null 2>&1 && { echo $p; exit 0; }; done; echo unknown",
    )
    .await?;
    Ok(match out.stdout.trim() {
        "apt-get" => "apt".to_string(),
        other => other.to_string(),
    })
}
