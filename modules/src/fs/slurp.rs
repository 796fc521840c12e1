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
    s.capture("why", &why_unreadable(&q));
    s.line(&format!(
        "_dk @data; [ -f {q} ] && [ -r {q} ] && cat -- {q}; _de"
    ));
    let a = run_script(ctx, &s, None).await?;
    Ok(match a.text("why").as_str() {
        "nf" => Err(format!("File not found: {src}")),
        "dir" => Err(format!("Source is a directory and must be a file: {src}")),
        "perm" => Err(format!("File is not readable: {src}")),
        // Ansible's message here is not an f-string: the braces are literal.
        "notdir" => Err("Unable to slurp file: {source}".to_string()),
        _ => Ok(a.bytes("@data").unwrap_or_default().to_vec()),
    })
}

/// Shell text printing why Python's open() of the file `q` (quoted) would fail:
/// `nf`, `dir`, `perm`, `notdir`, or nothing when it can be read. A missing path is
/// told apart by its nearest existing ancestor: a file there is ENOTDIR, a directory
/// the user cannot search is EACCES.
pub(crate) fn why_unreadable(q: &str) -> String {
    format!(
        "if [ -d {q} ]; then if [ -r {q} ]; then printf dir; else printf perm; fi; \
         elif [ -e {q} ]; then [ -r {q} ] || printf perm; \
         else _p={q}; while :; do case $_p in */*) _p=${{_p%/*}};; *) _p=;; esac; \
         if [ -z \"$_p\" ]; then printf nf; break; fi; \
         if [ -e \"$_p\" ]; then if [ ! -d \"$_p\" ]; then printf notdir; \
         elif [ ! -x \"$_p\" ]; then printf perm; else printf nf; fi; break; fi; done; fi"
    )
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
        let src = super::expand_home(ctx, src).await?;
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

#[cfg(test)]
mod tests {
    #[test]
    fn tells_why_a_file_cannot_be_read() {
        let dir = std::env::temp_dir().join(format!("drover-slurp-why-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("d")).unwrap();
        std::fs::write(dir.join("f"), "x").unwrap();
        let why = |p: &str| {
            let q = drover_connection::quote(&dir.join(p).to_string_lossy());
            let out = std::process::Command::new("sh")
                .arg("-c")
                .arg(super::why_unreadable(&q))
                .output()
                .unwrap();
            String::from_utf8(out.stdout).unwrap()
        };
        assert_eq!(why("f"), "");
        assert_eq!(why("d"), "dir");
        assert_eq!(why("nope"), "nf");
        assert_eq!(why("nope/deeper"), "nf");
        assert_eq!(why("f/inside"), "notdir");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
