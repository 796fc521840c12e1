//! One file's content to a destination on the host, shared by `copy` and `template`:
//! probe (stat, checksum, old content for the diff) in one round trip, then install
//! only when the checksum differs, else fix attributes only.

use serde_json::Value;

use super::attrs::{Diff, Wanted};
use super::content_diff::{file_diff, MAX_DIFF};
use super::info::{Kind, StatInfo};
use super::probe::Script;
use super::write::{outcome, Install, Source, VALIDATE_FAILED};
use super::{digest_hex, dirname, fail, join, run_script, Algo};
use crate::{result, Ctx, ModuleError, ModuleResult};

/// Everything `copy`/`template` decided before touching the host.
pub struct OneFile {
    pub data: Vec<u8>,
    /// `src` in the result: the controller file (or the remote source).
    pub src_label: String,
    pub dest: String,
    /// Name used when `dest` is a directory.
    pub basename: String,
    pub from_content: bool,
    pub after_header: String,
    pub wanted: Wanted,
    pub force: bool,
    pub backup: bool,
    pub follow: bool,
    pub validate: Option<String>,
    /// `remote_src`: the bytes are not sent, the host copies this file.
    pub remote: Option<String>,
    /// Checksum of the content when it is remote (the probe found it).
    pub remote_sum: Option<String>,
}

pub async fn install_one(ctx: &Ctx<'_>, mut job: OneFile) -> Result<ModuleResult, ModuleError> {
    job.dest = super::expand_home(ctx, job.dest).await?;
    if let Some(r) = job.remote.take() {
        job.remote = Some(super::expand_home(ctx, r).await?);
    }
    if let Some(v) = &job.validate {
        // Checked here (%s present, words split as a shell would) so the install
        // script can rely on it.
        crate::textfile::validate_command(v, "")?;
    }
    let dest_file = if job.dest.ends_with('/') {
        join(&job.dest, &job.basename)
    } else {
        job.dest.clone()
    };
    let alt = join(&dest_file, &job.basename);
    let mut s = Script::new();
    for (k, p) in [("d", &dest_file), ("a", &alt)] {
        if k == "a" {
            // dest/basename matters only when dest is a directory: probed only then.
            s.line(&format!(
                "if [ -d {} ]; then :",
                drover_connection::quote(&dest_file)
            ));
        }
        s.stat(&format!("{k}.l"), p, false)
            .stat(&format!("{k}.st"), p, true)
            .checksum(&format!("{k}.sum"), p, "sha1sum")
            .capture(
                &format!("{k}.real"),
                &format!("readlink -f -- {}", drover_connection::quote(p)),
            )
            .status(
                &format!("{k}.parent"),
                &format!("[ -d {} ]", drover_connection::quote(&dirname(p))),
            );
        if ctx.diff {
            // NUL bytes cannot cross in a record: dropped, and counted for "binary".
            let q = drover_connection::quote(p);
            s.capture(
                &format!("{k}.head"),
                &format!(
                    "[ -f {q} ] && head -c {} -- {q} | tr -d '\\000'",
                    MAX_DIFF + 1
                ),
            );
            s.capture(
                &format!("{k}.nul"),
                &format!("[ -f {q} ] && head -c 8192 -- {q} | tr -cd '\\000' | wc -c"),
            );
        }
        if k == "a" {
            s.line("fi");
        }
    }
    if let Some(r) = &job.remote {
        s.checksum("src.sum", r, "sha1sum").stat("src.st", r, true);
    }
    job.wanted.probe(&mut s);
    let a = run_script(ctx, &s, None).await?;
    let resolved = job.wanted.resolve(&a)?;

    // With follow=false the link itself is what is compared (and replaced).
    let look = |k: &str| {
        let st = if job.follow {
            a.stat(&format!("{k}.st"))
        } else {
            a.stat(&format!("{k}.l"))
        };
        let sum = match &st {
            Some(s) if s.kind() == Kind::File => Some(a.text(&format!("{k}.sum"))),
            _ => None,
        };
        (st, sum)
    };
    let mut key = "d";
    let mut target = dest_file.clone();
    let (mut st, mut sum) = look("d");
    if st.as_ref().is_some_and(|s| s.kind() == Kind::Dir) {
        if job.from_content {
            return Err(fail("can not use content with a dir as dest"));
        }
        key = "a";
        target = alt.clone();
        (st, sum) = look("a");
    }
    let new_sum = match (&job.remote, &job.remote_sum) {
        (Some(_), Some(s)) => s.clone(),
        (Some(r), None) => {
            let s = a.text("src.sum");
            if s.is_empty() {
                return Err(fail(&format!("Source {r} not found")));
            }
            s
        }
        _ => digest_hex(Algo::Sha1, &job.data),
    };
    if st.is_some() && !job.force {
        let mut r = result(false);
        r.insert("dest".into(), job.dest.clone().into());
        r.insert("src".into(), job.src_label.clone().into());
        return Ok(r);
    }
    // A followed link is changed through its target.
    if job.follow
        && a.stat(&format!("{key}.l"))
            .is_some_and(|s| s.kind() == Kind::Link)
    {
        let real = a
            .text(&format!("{key}.real"))
            .trim_end_matches('\n')
            .to_string();
        if !real.is_empty() {
            target = real;
        }
    }

    if sum.as_deref() == Some(new_sum.as_str()) {
        return attributes_only(
            ctx,
            &job,
            &target,
            st.unwrap_or_default(),
            &resolved,
            new_sum,
        )
        .await;
    }

    let mut r = result(true);
    if ctx.diff {
        let head = a.bytes(&format!("{key}.head")).unwrap_or_default();
        let binary = a
            .text(&format!("{key}.nul"))
            .trim()
            .parse::<u64>()
            .unwrap_or(0)
            > 0;
        let old = st
            .as_ref()
            .map(|s| (if binary { &b"\0"[..] } else { head }, s.size));
        r.insert(
            "diff".into(),
            Value::Array(vec![file_diff(&target, old, &job.data, &job.after_header)]),
        );
    }
    if ctx.check_mode {
        return Ok(r);
    }
    // A dest ending in '/' is a directory the copy creates (as Ansible's recursive
    // copy does); otherwise its parent must exist.
    let make_parent = a.rc(&format!("{key}.parent")) != 0;
    if make_parent && !job.dest.ends_with('/') {
        return Err(fail(&format!(
            "Destination directory {} does not exist",
            dirname(&target)
        )));
    }
    let base = st.clone().unwrap_or_else(|| resolved.fresh(Kind::File));
    let mode = match &resolved.mode {
        Some(spec) => Some(spec.resolve(base.perm(), false, resolved.umask)?),
        None => None,
    };
    let install = Install {
        dest: &target,
        source: match &job.remote {
            Some(src) => Source::Remote(src),
            None => Source::Stdin,
        },
        mode,
        uid: resolved.uid,
        gid: resolved.gid,
        validate: job.validate.as_deref(),
        backup: job.backup,
    };
    let mut s = Script::new();
    if make_parent {
        let q = drover_connection::quote(&dirname(&target));
        s.line(&format!("mkdir -p -- {q} || exit 1"));
    }
    install.add_to(&mut s, "w");
    let stdin = job.remote.is_none().then_some(job.data.as_slice());
    let a = run_script(ctx, &s, stdin.or(Some(&[]))).await?;
    let done = outcome(&a, "w");
    if done.rc == VALIDATE_FAILED {
        let mut r = result(false);
        r.insert("failed".into(), true.into());
        r.insert("msg".into(), "failed to validate".into());
        r.insert("exit_status".into(), 1.into());
        r.insert("stdout".into(), "".into());
        r.insert("stderr".into(), done.err.into());
        return Ok(r);
    }
    if done.rc != 0 {
        return Err(fail(&format!("Could not write {target}: {}", done.err)));
    }
    r.insert("dest".into(), target.clone().into());
    r.insert("src".into(), job.src_label.clone().into());
    r.insert("checksum".into(), new_sum.into());
    if job.remote.is_none() {
        r.insert("md5sum".into(), digest_hex(Algo::Md5, &job.data).into());
    }
    if let Some(b) = done.backup {
        r.insert("backup_file".into(), b.into());
    }
    if let Some(st) = a.stat("w.st") {
        st.add_path_info(&mut r);
        r.insert("state".into(), "file".into());
    }
    Ok(r)
}

/// Same content: only mode and owner may need fixing (Ansible runs the file module).
async fn attributes_only(
    ctx: &Ctx<'_>,
    job: &OneFile,
    path: &str,
    st: StatInfo,
    resolved: &super::attrs::Resolved,
    sum: String,
) -> Result<ModuleResult, ModuleError> {
    let mut diff = Diff::new(path);
    let cmds = resolved.plan(path, &st, false, &mut diff)?;
    let changed = !cmds.is_empty();
    let mut r = result(changed);
    let mut final_st = st;
    if changed && !ctx.check_mode {
        let mut s = Script::new();
        s.status("rc", &format!("{} 2>&1", cmds.join(" && ")));
        s.stat("st", path, false);
        let a = run_script(ctx, &s, None).await?;
        if a.rc("rc") != 0 {
            return Err(fail(&format!("could not set attributes of {path}")));
        }
        final_st = a.stat("st").unwrap_or(final_st);
    }
    r.insert("checksum".into(), sum.into());
    r.insert("dest".into(), path.into());
    r.insert("path".into(), path.into());
    final_st.add_path_info(&mut r);
    if ctx.diff && changed {
        r.insert("diff".into(), diff.value());
    }
    let _ = job;
    Ok(r)
}
