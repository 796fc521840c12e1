//! `tempfile`: a new temporary file or directory on the host (`mktemp`), named as
//! Python's tempfile names them: prefix, 8 random characters, suffix.

use async_trait::async_trait;
use drover_connection::quote;

use super::probe::Script;
use super::{fail, run_script};
use crate::{result, Ctx, Module, ModuleError, ModuleResult};

pub struct Tempfile;

#[async_trait]
impl Module for Tempfile {
    fn name(&self) -> &'static str {
        "tempfile"
    }

    async fn run(&self, ctx: &Ctx<'_>) -> Result<ModuleResult, ModuleError> {
        let a = &ctx.args;
        a.check_supported("tempfile", &["state", "path", "prefix", "suffix"])?;
        let state = a.str("state")?.unwrap_or_else(|| "file".into());
        if state != "file" && state != "directory" {
            return Err(fail(&format!(
                "value of state must be one of: directory, file, got: {state}"
            )));
        }
        // Ansible's tempfile has no check mode: the task is skipped.
        if ctx.check_mode {
            return Ok(crate::no_check_mode(Some(
                "remote module (tempfile) does not support check mode".into(),
            )));
        }
        let prefix = a.str("prefix")?.unwrap_or_else(|| "ansible.".into());
        let suffix = a.str("suffix")?.unwrap_or_default();
        for (what, v) in [("prefix", &prefix), ("suffix", &suffix)] {
            if v.contains('/') {
                return Err(fail(&format!(
                    "{what} must be a valid file name component, got '{}'",
                    v.replace('\\', "\\\\").replace('\'', "\\'")
                )));
            }
        }
        let dir = match a.str("path")? {
            Some(p) => quote(&super::expand_home(ctx, p).await?),
            None => "\"${TMPDIR:-/tmp}\"".into(),
        };
        let d = if state == "directory" { "-d " } else { "" };
        let template = quote(&format!("{prefix}XXXXXXXX"));
        let mut s = Script::new();
        s.line(&format!(
            "_dk path; _dp=$(mktemp {d}-p {dir} --suffix={} {template} 2>&1); _drc=$?; printf %s \"$_dp\"; _de; _dk rc; printf %s $_drc; _de",
            quote(&suffix)
        ));
        s.line("_dst st \"$_dp\"");
        let ans = run_script(ctx, &s, None).await?;
        let path = ans.text("path");
        if ans.rc("rc") != 0 {
            return Err(fail(&format!(
                "Failed to create temporary {state}: {}",
                path.trim()
            )));
        }
        let mut r = result(true);
        r.insert("path".into(), path.into());
        if let Some(st) = ans.stat("st") {
            st.add_path_info(&mut r);
        }
        Ok(r)
    }
}
