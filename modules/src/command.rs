//! `command` and `shell`: run a command on the host, with `creates`/`removes` checked in
//! the same round trip as the command itself.

use async_trait::async_trait;
use chrono::{DateTime, Local};
use drover_connection::quote;
use serde_json::Value;

use crate::{lines, result, Ctx, Module, ModuleError, ModuleResult};

const OPTIONS: &[&str] = &[
    "_raw_params",
    "_uses_shell",
    "argv",
    "chdir",
    "cmd",
    "creates",
    "executable",
    "expand_argument_vars",
    "removes",
    "stdin",
    "stdin_add_newline",
    "strip_empty_ends",
];

/// Printed by the wrapper instead of running the command; long enough not to collide.
const SKIP_MARK: &str = "__drover_command_skipped_7f3a9c__";
const NOT_FOUND_MARK: &str = "__drover_command_not_found_7f3a9c__";
const NO_CHDIR_MARK: &str = "__drover_chdir_failed_7f3a9c__";

pub struct Command;
pub struct Shell;

#[async_trait]
impl Module for Command {
    fn name(&self) -> &'static str {
        "command"
    }
    async fn run(&self, ctx: &Ctx<'_>) -> Result<ModuleResult, ModuleError> {
        run(ctx, "command", ctx.args.bool("_uses_shell", false)?).await
    }
}

#[async_trait]
impl Module for Shell {
    fn name(&self) -> &'static str {
        "shell"
    }
    async fn run(&self, ctx: &Ctx<'_>) -> Result<ModuleResult, ModuleError> {
        run(ctx, "shell", true).await
    }
}

/// What to run: the argv of `command`, or the script text of `shell`.
enum Program {
    Argv { argv: Vec<String>, expand: bool },
    Script { text: String, executable: String },
}

impl Program {
    fn cmd_field(&self) -> Value {
        match self {
            Program::Argv { argv, .. } => {
                Value::Array(argv.iter().cloned().map(Value::String).collect())
            }
            Program::Script { text, .. } => Value::String(text.clone()),
        }
    }

    fn shell_line(&self) -> String {
        match self {
            Program::Argv { argv, expand } => {
                // `command -v` first so a missing program is Ansible's "Error executing
                // command." rather than the shell's exit code 127.
                let check = |program: &str| {
                    format!("command -v {program} >/dev/null 2>&1 || {{ printf %s {NOT_FOUND_MARK}; exit 2; }}; ")
                };
                match expand
                    .then(|| crate::command_vars::expand_argv(argv))
                    .flatten()
                {
                    Some(set_args) => format!("{set_args}{}exec \"$@\"", check("\"$1\"")),
                    None => {
                        let words: Vec<String> = argv.iter().map(|w| quote(w)).collect();
                        format!("{}exec {}", check(&words[0]), words.join(" "))
                    }
                }
            }
            Program::Script { text, executable } => {
                format!("exec {} -c {}", quote(executable), quote(text))
            }
        }
    }
}

/// The program to run, and the warnings about the arguments.
fn program(
    ctx: &Ctx<'_>,
    module: &str,
    uses_shell: bool,
) -> Result<(Program, Vec<String>), ModuleError> {
    let args = &ctx.args;
    if module == "shell" && args.get("expand_argument_vars").is_some() {
        // What ansible-core's shell action says: only command expands arguments.
        return Err(ModuleError::Failed(
            "Unsupported parameters for (shell) module: expand_argument_vars".into(),
        ));
    }
    args.check_supported(module, OPTIONS)?;
    let given = ["_raw_params", "cmd", "argv"]
        .into_iter()
        .filter(|k| args.get(k).is_some_and(|v| !v.is_null()))
        .count();
    if given > 1 {
        return Err(ModuleError::Failed(
            "parameters are mutually exclusive: _raw_params|cmd|argv".into(),
        ));
    }
    if given == 0 {
        return Err(ModuleError::Failed(
            "one of the following is required: _raw_params, cmd, argv".into(),
        ));
    }
    let text = match args.str("_raw_params")? {
        Some(raw) if !raw.is_empty() => Some(raw),
        _ => args.str("cmd")?,
    };
    let argv = args.list("argv")?;
    let executable = args.str("executable")?;
    if uses_shell {
        let text = match (text, argv) {
            (Some(t), _) => t,
            (None, Some(a)) => a.join(" "),
            (None, None) => return Err(ModuleError::Failed("no command given".into())),
        };
        let executable = executable.unwrap_or_else(|| "/bin/sh".into());
        return Ok((Program::Script { text, executable }, Vec::new()));
    }
    let mut warnings = Vec::new();
    if let Some(e) = executable.filter(|e| !e.is_empty()) {
        warnings.push(format!("As of Ansible 2.4, the parameter 'executable' is no longer supported with the 'command' module. Not using '{e}'."));
    }
    let argv = match (text, argv) {
        (Some(t), _) => crate::shlex::split(&t).map_err(|e| ModuleError::Failed(e.to_string()))?,
        (None, Some(a)) => a,
        (None, None) => Vec::new(),
    };
    if argv.is_empty() || argv[0].is_empty() {
        return Err(ModuleError::Failed("no command given".into()));
    }
    let expand = args.bool("expand_argument_vars", true)?;
    Ok((Program::Argv { argv, expand }, warnings))
}

/// `creates`/`removes` become a test that prints SKIP_MARK and exits before running.
fn guard(creates: Option<&str>, removes: Option<&str>) -> String {
    let mut out = String::new();
    let exists = |pattern: &str| {
        format!(
            "_drover_exists() {{ for _p in {}; do [ -e \"$_p\" ] || [ -L \"$_p\" ] && return 0; done; return 1; }}; ",
            glob_quote(pattern)
        )
    };
    if let Some(p) = creates {
        out.push_str(&exists(p));
        out.push_str(&format!(
            "if _drover_exists; then printf %s {SKIP_MARK}; exit 0; fi; "
        ));
    }
    if let Some(p) = removes {
        out.push_str(&exists(p));
        out.push_str(&format!(
            "if ! _drover_exists; then printf %s {SKIP_MARK}; exit 0; fi; "
        ));
    }
    out
}

/// Quote a path but leave glob characters active, as `creates`/`removes` are globs.
fn glob_quote(pattern: &str) -> String {
    let mut out = String::new();
    let mut literal = String::new();
    for c in pattern.chars() {
        if matches!(c, '*' | '?' | '[' | ']') {
            if !literal.is_empty() {
                out.push_str(&quote(&literal));
                literal.clear();
            }
            out.push(c);
        } else {
            literal.push(c);
        }
    }
    if !literal.is_empty() {
        out.push_str(&quote(&literal));
    }
    out
}

fn timestamp(t: &DateTime<Local>) -> Value {
    Value::String(t.format("%Y-%m-%d %H:%M:%S%.6f").to_string())
}

fn delta(start: &DateTime<Local>, end: &DateTime<Local>) -> Value {
    let micros = (*end - *start).num_microseconds().unwrap_or(0).max(0);
    let secs = micros / 1_000_000;
    Value::String(format!(
        "{}:{:02}:{:02}.{:06}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        micros % 1_000_000
    ))
}

fn strip_end(s: String, strip: bool) -> String {
    if strip {
        s.trim_end_matches(['\r', '\n']).to_string()
    } else {
        s
    }
}

/// The result fields of a run that did not happen (skipped by creates/removes/check mode).
fn not_run(prog: &Program, msg: String, stdout: String) -> ModuleResult {
    let mut r = result(false);
    r.insert("cmd".into(), prog.cmd_field());
    r.insert("rc".into(), 0.into());
    r.insert("stdout_lines".into(), lines(&stdout));
    r.insert("stdout".into(), stdout.into());
    r.insert("stderr".into(), "".into());
    r.insert("stderr_lines".into(), Value::Array(vec![]));
    r.insert("msg".into(), msg.into());
    for k in ["start", "end", "delta"] {
        r.insert(k.into(), Value::Null);
    }
    r
}

async fn run(ctx: &Ctx<'_>, module: &str, uses_shell: bool) -> Result<ModuleResult, ModuleError> {
    let (prog, warnings) = program(ctx, module, uses_shell)?;
    let mut r = run_program(ctx, &prog).await?;
    if !warnings.is_empty() {
        r.insert("warnings".into(), warnings.into());
    }
    Ok(r)
}

async fn run_program(ctx: &Ctx<'_>, prog: &Program) -> Result<ModuleResult, ModuleError> {
    let args = &ctx.args;
    let creates = args.str("creates")?;
    let removes = args.str("removes")?;
    let chdir = args.str("chdir")?;
    let strip = args.bool("strip_empty_ends", true)?;
    let mut stdin = args.str("stdin")?.map(String::into_bytes);
    if let Some(bytes) = stdin.as_mut() {
        if args.bool("stdin_add_newline", true)? {
            bytes.push(b'\n');
        }
    }

    let shoulda = if ctx.check_mode { "Would" } else { "Did" };
    let skip_msg = || match (&creates, &removes) {
        (Some(c), _) => (
            format!("{shoulda} not run command since '{c}' exists"),
            format!("skipped, since {c} exists"),
        ),
        (None, Some(r)) => (
            format!("{shoulda} not run command since '{r}' does not exist"),
            format!("skipped, since {r} does not exist"),
        ),
        (None, None) => (String::new(), String::new()),
    };

    let guarded = guard(creates.as_deref(), removes.as_deref());
    if ctx.check_mode {
        if !guarded.is_empty() {
            let out = ctx.exec(&format!("{guarded}exit 1"), None).await?;
            if out.rc == 0 && out.stdout == SKIP_MARK.as_bytes() {
                let (msg, stdout) = skip_msg();
                return Ok(not_run(prog, msg, stdout));
            }
        }
        let mut r = not_run(
            prog,
            "Command would have run if not in check mode".into(),
            String::new(),
        );
        // With creates/removes the command would have changed something; without,
        // ansible-core cannot tell and skips.
        if guarded.is_empty() {
            r.insert("skipped".into(), Value::Bool(true));
        } else {
            r.insert("changed".into(), Value::Bool(true));
        }
        return Ok(r);
    }

    // Python's os.chdir: the shell that runs the command sees the physical directory
    // in $PWD, not the symlinked path it was given.
    let cd = match &chdir {
        Some(dir) => format!(
            "cd -P {} 2>/dev/null || {{ printf %s {NO_CHDIR_MARK}; exit 1; }}; ",
            quote(dir)
        ),
        None => String::new(),
    };
    let line = format!("{guarded}{cd}{}", prog.shell_line());
    let start = Local::now();
    let out = ctx.exec(&line, stdin.as_deref()).await?;
    let end = Local::now();

    if out.rc == 0 && out.stdout == SKIP_MARK.as_bytes() {
        let (msg, stdout) = skip_msg();
        return Ok(not_run(prog, msg, stdout));
    }
    if out.stdout == NO_CHDIR_MARK.as_bytes() {
        let mut r = not_run(
            prog,
            "Unable to change directory before execution.".into(),
            String::new(),
        );
        r.insert("rc".into(), Value::Null);
        r.insert("failed".into(), Value::Bool(true));
        return Ok(r);
    }
    if out.stdout == NOT_FOUND_MARK.as_bytes() {
        let mut r = not_run(prog, "Error executing command.".into(), String::new());
        for k in ["start", "end", "delta"] {
            r.remove(k);
        }
        r.insert("cmd".into(), prog_text(prog).into());
        r.insert("rc".into(), 2.into());
        r.insert("failed".into(), Value::Bool(true));
        return Ok(r);
    }

    let stdout = strip_end(String::from_utf8_lossy(&out.stdout).into_owned(), strip);
    let stderr = strip_end(String::from_utf8_lossy(&out.stderr).into_owned(), strip);
    let mut r = result(true);
    r.insert("cmd".into(), prog.cmd_field());
    r.insert("rc".into(), out.rc.into());
    r.insert("start".into(), timestamp(&start));
    r.insert("end".into(), timestamp(&end));
    r.insert("delta".into(), delta(&start, &end));
    r.insert("stdout_lines".into(), lines(&stdout));
    r.insert("stderr_lines".into(), lines(&stderr));
    r.insert("stdout".into(), stdout.into());
    r.insert("stderr".into(), stderr.into());
    if out.rc != 0 {
        r.insert("msg".into(), "non-zero return code".into());
        r.insert("failed".into(), Value::Bool(true));
    } else {
        r.insert("msg".into(), "".into());
    }
    Ok(r)
}

/// The command as the user wrote it, for messages that quote it as a string.
fn prog_text(prog: &Program) -> String {
    match prog {
        Program::Argv { argv, .. } => argv.join(" "),
        Program::Script { text, .. } => text.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_quote_keeps_wildcards_live() {
        assert_eq!(glob_quote("/tmp/a b*.txt"), "'/tmp/a b'*.txt");
        assert_eq!(glob_quote("/etc/passwd"), "/etc/passwd");
    }

    #[test]
    fn delta_formats_like_python_timedelta() {
        let start = Local::now();
        let end = start + chrono::Duration::microseconds(3_723_000_042);
        assert_eq!(delta(&start, &end), Value::String("1:02:03.000042".into()));
    }
}
