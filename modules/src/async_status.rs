//! Background jobs (`async` with `poll: 0`) and `async_status`. A job is the task's
//! command line run detached on the host, its output and exit code kept in files under
//! `~/.ansible_async/` (Ansible's directory) until `async_status` reads them.

use async_trait::async_trait;
use drover_connection::quote;
use serde_json::Value;

use crate::{lines, result, Ctx, Module, ModuleError, ModuleResult};

const DIR: &str = "\"$HOME\"/.ansible_async";

/// `line` wrapped to run detached as job `jid`; returns at once.
pub fn detached(jid: &str, line: &str) -> String {
    let job = format!("{DIR}/{}", quote(jid));
    format!(
        "mkdir -p {DIR} && : > {job}.started && (nohup /bin/sh -c {cmd} > {job}.out 2> {job}.err < /dev/null; echo $? > {job}.rc.tmp; mv {job}.rc.tmp {job}.rc) > /dev/null 2>&1 &",
        cmd = quote(line)
    )
}

/// The result a detached task reports when it starts.
pub fn started(jid: &str) -> ModuleResult {
    let mut r = result(true);
    r.insert("ansible_job_id".into(), jid.into());
    r.insert("started".into(), true.into());
    r.insert("finished".into(), false.into());
    r.insert(
        "results_file".into(),
        format!("~/.ansible_async/{jid}").into(),
    );
    r
}

/// The status of a job the engine runs on the controller (any module but the command
/// family): the module's own result once it has finished, as ansible-core's
/// async_status returns it.
fn controller_job(
    jid: &str,
    state: Option<ModuleResult>,
    cleanup: bool,
    target: &dyn crate::Target,
) -> ModuleResult {
    let file = format!("~/.ansible_async/{jid}");
    if cleanup {
        target.forget_job(jid);
        let mut r = result(false);
        r.insert("ansible_job_id".into(), jid.into());
        r.insert("erased".into(), file.into());
        return r;
    }
    let finished = state.is_some();
    let mut r = match state {
        // ansible-core's async wrapper adds the module's (empty) output streams.
        Some(mut r) => {
            for key in ["stdout", "stderr"] {
                r.entry(key).or_insert_with(|| "".into());
                r.entry(format!("{key}_lines"))
                    .or_insert_with(|| Value::Array(Vec::new()));
            }
            r
        }
        None => result(false),
    };
    r.insert("ansible_job_id".into(), jid.into());
    r.insert("started".into(), true.into());
    r.insert("finished".into(), finished.into());
    r.insert("results_file".into(), file.into());
    r
}

pub struct AsyncStatus;

#[async_trait]
impl Module for AsyncStatus {
    fn name(&self) -> &'static str {
        "async_status"
    }
    async fn run(&self, ctx: &Ctx<'_>) -> Result<ModuleResult, ModuleError> {
        ctx.args.check_supported("async_status", &["jid", "mode"])?;
        let jid = ctx.args.required_str("jid")?;
        let cleanup = ctx.args.str("mode")?.as_deref() == Some("cleanup");
        if let Some(state) = ctx.target.job_status(&jid) {
            return Ok(controller_job(&jid, state, cleanup, ctx.target));
        }
        let job = format!("{DIR}/{}", quote(&jid));
        if cleanup {
            ctx.exec(
                &format!("rm -f {job}.started {job}.out {job}.err {job}.rc"),
                None,
            )
            .await?;
            let mut r = result(false);
            r.insert("ansible_job_id".into(), jid.clone().into());
            r.insert("erased".into(), format!("~/.ansible_async/{jid}").into());
            return Ok(r);
        }
        // One round trip: the home directory, then exit 3 for an unknown job, 4 for one
        // still running, else rc NUL stdout NUL stderr.
        let probe = format!(
            "printf '%s\\000' \"$HOME\"; [ -f {job}.started ] || exit 3; [ -f {job}.rc ] || exit 4; cat {job}.rc; printf '\\000'; cat {job}.out; printf '\\000'; cat {job}.err"
        );
        let out = ctx.exec(&probe, None).await?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (home, text) = text.split_once('\0').unwrap_or(("~", ""));
        let mut r = result(false);
        r.insert("ansible_job_id".into(), jid.clone().into());
        r.insert(
            "results_file".into(),
            format!("{home}/.ansible_async/{jid}").into(),
        );
        match out.rc {
            3 => {
                r.insert("failed".into(), true.into());
                r.insert("finished".into(), true.into());
                r.insert("msg".into(), format!("could not find job {jid}").into());
            }
            4 => {
                r.insert("started".into(), true.into());
                r.insert("finished".into(), false.into());
            }
            _ => {
                let mut parts = text.splitn(3, '\0');
                let rc: i64 = parts.next().unwrap_or("").trim().parse().unwrap_or(-1);
                let stdout = parts
                    .next()
                    .unwrap_or("")
                    .trim_end_matches('\n')
                    .to_string();
                let stderr = parts
                    .next()
                    .unwrap_or("")
                    .trim_end_matches('\n')
                    .to_string();
                r.insert("changed".into(), true.into());
                r.insert("started".into(), true.into());
                r.insert("finished".into(), true.into());
                r.insert("rc".into(), rc.into());
                r.insert("stdout_lines".into(), lines(&stdout));
                r.insert("stderr_lines".into(), lines(&stderr));
                r.insert("stdout".into(), stdout.into());
                r.insert("stderr".into(), stderr.into());
                if rc != 0 {
                    r.insert("failed".into(), Value::Bool(true));
                    r.insert("msg".into(), "non-zero return code".into());
                }
            }
        }
        Ok(r)
    }
}
