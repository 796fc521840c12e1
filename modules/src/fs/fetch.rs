//! `fetch`: a host file to the controller, under dest/HOST/path (or `flat`). The file
//! crosses the network only when its checksum differs from the local copy's: the
//! probe compares on the host and sends the content only then (one round trip).

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use drover_connection::quote;

use super::probe::Script;
use super::{basename, digest_hex, fail, run_script, Algo};
use crate::{result, Ctx, Module, ModuleError, ModuleResult};

pub struct Fetch;

const OPTIONS: &[&str] = &[
    "src",
    "dest",
    "flat",
    "fail_on_missing",
    "validate_checksum",
];

#[async_trait]
impl Module for Fetch {
    fn name(&self) -> &'static str {
        "fetch"
    }

    async fn run(&self, ctx: &Ctx<'_>) -> Result<ModuleResult, ModuleError> {
        let a = &ctx.args;
        a.check_supported("fetch", OPTIONS)?;
        let (Some(src), Some(dest)) = (a.str("src")?, a.str("dest")?) else {
            return Err(fail("src and dest are required"));
        };
        let src = super::expand_home(ctx, src).await?;
        let flat = a.bool("flat", false)?;
        let fail_on_missing = a.bool("fail_on_missing", true)?;
        let validate = a.bool("validate_checksum", true)?;
        let base = ctx.target.playbook_dir();
        let dwim = |p: &str| {
            if p.starts_with('/') {
                PathBuf::from(p)
            } else {
                base.join(p)
            }
        };
        let local = if flat {
            let d = dwim(&dest);
            if d.is_dir() && !dest.ends_with('/') {
                return Err(fail("dest is an existing directory, use a trailing slash if you want to fetch src into that directory"));
            }
            if dest.ends_with('/') {
                d.join(basename(&src))
            } else {
                d
            }
        } else {
            PathBuf::from(format!("{}/{}/{}", dwim(&dest).display(), ctx.host, src))
        };
        let local = drover_yaml::normpath(&local);
        let old = std::fs::read(&local).ok();
        let local_sum = old.as_deref().map(|d| digest_hex(Algo::Sha1, d));

        let q = quote(&src);
        let mut s = Script::new();
        s.capture("why", &super::slurp::why_unreadable(&q));
        s.checksum("sum", &src, "sha1sum");
        let same = quote(local_sum.as_deref().unwrap_or("-"));
        s.line(&format!(
            "_dk @data; if [ -f {q} ] && [ \"$(sha1sum < {q} | cut -d' ' -f1)\" != {same} ]; then cat -- {q}; fi; _de"
        ));
        let ans = run_script(ctx, &s, None).await?;
        let mut r = result(false);
        let why = ans.text("why");
        if !why.is_empty() {
            let msg = match why.as_str() {
                "dir" => "remote file is a directory, fetch cannot work on directories",
                "perm" => &format!("File is not readable: {src}"),
                "notdir" => "Unable to slurp file: {source}",
                _ => "the remote file does not exist, not transferring, ignored",
            };
            let msg = if why == "dir" && !fail_on_missing {
                format!("{msg}, not transferring, ignored")
            } else {
                msg.to_string()
            };
            r.insert("msg".into(), msg.into());
            r.insert("file".into(), src.clone().into());
            if fail_on_missing {
                r.insert("failed".into(), true.into());
            }
            return Ok(r);
        }
        let remote_sum = ans.text("sum");
        let dest_s = local.display().to_string();
        if local_sum.as_deref() == Some(remote_sum.as_str()) {
            let old = old.unwrap_or_default();
            r.insert("md5sum".into(), digest_hex(Algo::Md5, &old).into());
            r.insert("file".into(), src.into());
            r.insert("dest".into(), dest_s.into());
            r.insert("checksum".into(), remote_sum.into());
            return Ok(r);
        }
        let data = ans.bytes("@data").unwrap_or_default();
        let new_sum = digest_hex(Algo::Sha1, data);
        let md5 = digest_hex(Algo::Md5, data);
        if validate && new_sum != remote_sum {
            r.insert("failed".into(), true.into());
            r.insert("msg".into(), "checksum mismatch".into());
            r.insert("file".into(), src.into());
            r.insert("dest".into(), dest_s.into());
            r.insert("checksum".into(), new_sum.into());
            r.insert("remote_checksum".into(), remote_sum.into());
            r.insert("md5sum".into(), md5.into());
            r.insert("remote_md5sum".into(), serde_json::Value::Null);
            return Ok(r);
        }
        if !ctx.check_mode {
            write_local(&local, data, ctx.host)
                .map_err(|e| fail(&format!("Failed to fetch the file: {e}")))?;
        }
        r.insert("changed".into(), true.into());
        r.insert("md5sum".into(), md5.into());
        r.insert("dest".into(), dest_s.into());
        r.insert("remote_md5sum".into(), serde_json::Value::Null);
        r.insert("checksum".into(), new_sum.into());
        r.insert("remote_checksum".into(), remote_sum.into());
        Ok(r)
    }
}

/// Atomic on the controller too: a temp file beside the destination, then rename.
fn write_local(path: &Path, data: &[u8], host: &str) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".drover-fetch-{}-{host}", std::process::id()));
    std::fs::write(&tmp, data)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}
