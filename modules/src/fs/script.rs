//! `script`: a controller script uploaded to the host and run there with its
//! arguments, in one round trip: the script travels on stdin into a private temp
//! file, runs, and is removed. `creates`/`removes` are checked in the same script.

use async_trait::async_trait;
use drover_connection::quote;
use serde_json::Value;

use super::fail;
use crate::{lines, result, Ctx, Module, ModuleError, ModuleResult, SearchKind};

pub struct ScriptModule;

const SKIP: &str = "__drover_script_skipped_41d2__";
const NO_CHDIR: &str = "__drover_script_chdir_41d2__";

#[async_trait]
impl Module for ScriptModule {
    fn name(&self) -> &'static str {
        "script"
    }

    async fn run(&self, ctx: &Ctx<'_>) -> Result<ModuleResult, ModuleError> {
        let a = &ctx.args;
        a.check_supported(
            "script",
            &[
                "_raw_params",
                "cmd",
                "creates",
                "removes",
                "chdir",
                "executable",
                "decrypt",
            ],
        )?;
        let raw = a
            .str("_raw_params")?
            .filter(|s| !s.trim().is_empty())
            .or(a.str("cmd")?);
        let Some(raw) = raw else {
            return Err(fail("no script file given"));
        };
        let words = crate::shlex::split(&raw).map_err(|e| fail(&e.to_string()))?;
        let Some((name, args)) = words.split_first() else {
            return Err(fail("no script file given"));
        };
        let Some(path) = ctx.target.find_file(SearchKind::Files, name) else {
            return Err(fail(&format!("Could not find or access '{name}'")));
        };
        let body = std::fs::read(&path)
            .map_err(|e| fail(&format!("could not read {}: {e}", path.display())))?;
        let creates = a.str("creates")?;
        let removes = a.str("removes")?;
        let exists = |p: &str| format!("{{ [ -e {q} ] || [ -L {q} ]; }}", q = quote(p));
        let mut guard = String::new();
        if let Some(c) = &creates {
            guard.push_str(&format!(
                "if {}; then printf %s {SKIP}; exit 0; fi; ",
                exists(c)
            ));
        }
        if let Some(r) = &removes {
            guard.push_str(&format!(
                "if ! {}; then printf %s {SKIP}; exit 0; fi; ",
                exists(r)
            ));
        }
        let skip_msg = || match (&creates, &removes) {
            (Some(c), _) => format!("skipped, since {c} exists"),
            (None, Some(r)) => format!("skipped, since {r} does not exist"),
            _ => String::new(),
        };
        if ctx.check_mode {
            if !guard.is_empty() {
                let out = ctx.exec(&format!("{guard}exit 1"), None).await?;
                if out.stdout == SKIP.as_bytes() {
                    let mut r = result(false);
                    r.insert("msg".into(), skip_msg().into());
                    return Ok(r);
                }
            }
            let mut r = result(true);
            r.insert("msg".into(), "script would run if not in check mode".into());
            r.insert("skipped".into(), Value::Bool(true));
            return Ok(r);
        }
        let cd = match a.str("chdir")? {
            Some(d) => format!(
                "cd {} 2>/dev/null || {{ printf %s {NO_CHDIR}; exit 1; }}; ",
                quote(&d)
            ),
            None => String::new(),
        };
        let run = match a.str("executable")? {
            Some(exe) => format!("{} \"$_ds\"", quote(&exe)),
            None => "\"$_ds\"".into(),
        };
        let argv: Vec<String> = args.iter().map(|w| quote(w)).collect();
        let base = crate::fs::basename(name);
        let line = format!(
            "{guard}_dd=$(mktemp -d \"${{TMPDIR:-/tmp}}/drover-script.XXXXXXXX\") || exit 1; \
             _ds=\"$_dd\"/{}; cat > \"$_ds\" && chmod 0700 \"$_ds\" || {{ rm -rf \"$_dd\"; exit 1; }}; \
             trap 'rm -rf \"$_dd\"' EXIT; {cd}{run} {} </dev/null",
            quote(&base),
            argv.join(" ")
        );
        let out = ctx.exec(&line, Some(&body)).await?;
        if out.rc == 0 && out.stdout == SKIP.as_bytes() {
            let mut r = result(false);
            r.insert("msg".into(), skip_msg().into());
            return Ok(r);
        }
        if out.stdout == NO_CHDIR.as_bytes() {
            return Err(fail(&format!(
                "Unable to change directory before execution: {}",
                a.str("chdir")?.unwrap_or_default()
            )));
        }
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let mut r = result(true);
        r.insert("rc".into(), out.rc.into());
        r.insert("stdout_lines".into(), lines(&stdout));
        r.insert("stdout".into(), stdout.into());
        r.insert("stderr_lines".into(), lines(&stderr));
        r.insert("stderr".into(), stderr.into());
        if out.rc != 0 {
            r.insert("failed".into(), true.into());
            r.insert("msg".into(), "non-zero return code".into());
        }
        Ok(r)
    }
}
