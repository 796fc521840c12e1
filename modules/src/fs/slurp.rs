//! `slurp`: a host file's content, base64-encoded, in one round trip.

use async_trait::async_trait;
use base64::Engine;
use drover_connection::quote;

use super::probe::Script;
use super::{fail, run_script};
use crate::{result, Ctx, Module, ModuleError, ModuleResult};

pub struct Slurp;

/// Reads `src` on the host: its bytes, or Ansible's message for why not.
pub(crate) async fn read_remote(
    ctx: &Ctx<'_>,
    src: &str,
) -> Result<Result<Vec<u8>, String>, ModuleError> {
    let q = quote(src);
    let mut s = Script::new();
    s.capture(
        "why",
        &format!("if [ ! -e {q} ]; then printf nf; elif [ -d {q} ]; then printf dir; elif [ ! -r {q} ]; then printf perm; fi"),
    );
    s.line(&format!(
        "_dk @data; [ -f {q} ] && [ -r {q} ] && cat -- {q}; _de"
    ));
    let a = run_script(ctx, &s, None).await?;
    Ok(match a.text("why").as_str() {
        "nf" => Err(format!("file not found: {src}")),
        "dir" => Err(format!("source is a directory and must be a file: {src}")),
        "perm" => Err(format!("file is not readable: {src}")),
        _ => Ok(a.bytes("@data").unwrap_or_default().to_vec()),
    })
}

#[async_trait]
impl Module for Slurp {
    fn name(&self) -> &'static str {
        "slurp"
    }

    async fn run(&self, ctx: &Ctx<'_>) -> Result<ModuleResult, ModuleError> {
        ctx.args.check_supported("slurp", &["src", "path"])?;
        let Some(src) = ctx.args.str("src")?.or(ctx.args.str("path")?) else {
            return Err(fail("missing required arguments: src"));
        };
        let data = read_remote(ctx, &src).await?.map_err(|m| fail(&m))?;
        let mut r = result(false);
        r.insert(
            "content".into(),
            base64::engine::general_purpose::STANDARD
                .encode(&data)
                .into(),
        );
        r.insert("source".into(), src.into());
        r.insert("encoding".into(), "base64".into());
        Ok(r)
    }
}
