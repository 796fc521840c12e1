//! `copy` of a controller directory: every file's checksum and every directory asked
//! in one probe, then one script creating what is missing and installing what
//! differs, the files embedded as base64.

use std::path::Path;

use base64::Engine;
use drover_connection::quote;
use serde_json::Value;

use super::attrs::{Diff, Wanted};
use super::copy::{local_mode, walk};
use super::info::Kind;
use super::mode::ModeSpec;
use super::probe::Script;
use super::write::{outcome, Install, Source};
use super::{basename, digest_hex, fail, join, run_script, Algo};
use crate::{result, Ctx, ModuleError, ModuleResult};

#[allow(clippy::too_many_arguments)]
pub async fn copy_tree(
    ctx: &Ctx<'_>,
    src: &Path,
    trailing_slash: bool,
    dest: &str,
    wanted: &Wanted,
    preserve: bool,
    dir_mode: Option<ModeSpec>,
    force: bool,
) -> Result<ModuleResult, ModuleError> {
    let root = if dest.ends_with('/') {
        dest.to_string()
    } else {
        format!("{dest}/")
    };
    let (mut files, mut dirs) = (Vec::new(), Vec::new());
    let top = if trailing_slash {
        String::new()
    } else {
        basename(&src.to_string_lossy())
    };
    if !top.is_empty() {
        dirs.push(top.clone());
    }
    walk(src, &top, &mut files, &mut dirs)
        .map_err(|e| fail(&format!("could not read {}: {e}", src.display())))?;

    let mut s = Script::new();
    wanted.probe(&mut s);
    for (i, d) in dirs.iter().enumerate() {
        s.stat(&format!("dir{i}"), &join(&root, d), true);
    }
    s.stat("root", &root, true);
    for (i, (rel, _)) in files.iter().enumerate() {
        let p = join(&root, rel);
        s.stat(&format!("f{i}.st"), &p, false)
            .checksum(&format!("f{i}.sum"), &p, "sha1sum");
    }
    let a = run_script(ctx, &s, None).await?;
    let r = wanted.resolve(&a)?;

    let mut apply = Script::new();
    let mut changed = false;
    let mut diffs = Vec::new();
    let dir_r = super::attrs::Resolved {
        mode: dir_mode,
        uid: r.uid,
        gid: r.gid,
        ..r.clone()
    };
    let mut missing_dirs = Vec::new();
    if a.stat("root").is_none() {
        missing_dirs.push(root.trim_end_matches('/').to_string());
    }
    for (i, d) in dirs.iter().enumerate() {
        let p = join(&root, d);
        match a.stat(&format!("dir{i}")) {
            None => missing_dirs.push(p),
            Some(st) if st.kind() == Kind::Dir => {
                let cmds = dir_r.plan(&p, &st, false, &mut Diff::new(&p))?;
                changed |= !cmds.is_empty();
                for c in cmds {
                    apply.line(&c);
                }
            }
            Some(_) => return Err(fail(&format!("{p} already exists as a file"))),
        }
    }
    for p in &missing_dirs {
        changed = true;
        let mut line = format!("mkdir -p -- {}", quote(p));
        let fresh = dir_r.fresh(Kind::Dir);
        for c in dir_r.plan(p, &fresh, false, &mut Diff::new(p))? {
            line.push_str(" && ");
            line.push_str(&c);
        }
        apply.line(&format!("{line} || exit 1"));
    }
    for (i, (rel, local)) in files.iter().enumerate() {
        let p = join(&root, rel);
        let st = a.stat(&format!("f{i}.st"));
        let data = std::fs::read(local)
            .map_err(|e| fail(&format!("could not read {}: {e}", local.display())))?;
        let mut fr = r.clone();
        if preserve {
            fr.mode = Some(ModeSpec::Octal(local_mode(local)));
        }
        let same = st.as_ref().is_some_and(|s| s.kind() == Kind::File)
            && a.text(&format!("f{i}.sum")) == digest_hex(Algo::Sha1, &data);
        if same || (st.is_some() && !force) {
            if let Some(st) = st.filter(|_| same) {
                let cmds = fr.plan(&p, &st, false, &mut Diff::new(&p))?;
                changed |= !cmds.is_empty();
                for c in cmds {
                    apply.line(&c);
                }
            }
            continue;
        }
        changed = true;
        if ctx.diff {
            let label = local.display().to_string();
            diffs.push(super::content_diff::file_diff(
                &p,
                st.as_ref().map(|s| (&b""[..], s.size)),
                &data,
                &label,
            ));
        }
        let base = st.clone().unwrap_or_else(|| fr.fresh(Kind::File));
        let mode = match &fr.mode {
            Some(spec) => Some(spec.resolve(base.perm(), false, fr.umask)?),
            None => None,
        };
        let b64 = base64::engine::general_purpose::STANDARD.encode(&data);
        let wrapped: Vec<&str> = b64
            .as_bytes()
            .chunks(76)
            .map(|c| std::str::from_utf8(c).unwrap_or_default())
            .collect();
        let text = wrapped.join("\n");
        Install {
            dest: &p,
            source: Source::Base64(&text),
            mode,
            uid: fr.uid,
            gid: fr.gid,
            validate: None,
            backup: false,
        }
        .add_to(&mut apply, &format!("w{i}"));
    }
    let mut res = result(changed);
    if changed && !ctx.check_mode {
        // A failed mkdir exits the script: the missing `done` record tells.
        apply.capture("done", "printf ok");
        let a = run_script(ctx, &apply, None).await?;
        if a.text("done") != "ok" {
            return Err(fail(&format!(
                "could not create the directories below {root}"
            )));
        }
        for (i, (rel, _)) in files.iter().enumerate() {
            let o = outcome(&a, &format!("w{i}"));
            if a.bytes(&format!("w{i}.rc")).is_some() && o.rc != 0 {
                let msg = format!("Could not write {}: {}", join(&root, rel), o.err);
                return Err(fail(&msg));
            }
        }
    }
    res.insert("dest".into(), root.into());
    res.insert("src".into(), src.display().to_string().into());
    if ctx.diff && !diffs.is_empty() {
        res.insert("diff".into(), Value::Array(diffs));
    }
    Ok(res)
}
