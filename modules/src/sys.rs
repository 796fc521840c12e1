//! Helpers shared by the system modules (services, packages, users, ...): option
//! aliases, failure results, and probes whose output is split into named sections so
//! one round trip can read several things.

pub use drover_connection::quote;
use serde_json::{Map, Value};

use crate::{result, Args, Ctx, ModuleError, ModuleResult};

/// Marks the start of a probe section; long enough never to occur in real output.
pub const SECTION: &str = "@@drover_section@@";

/// The text of one command's run, decoded lossily (module output is reported as text).
pub struct Output {
    pub rc: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Run a shell line and decode its output.
pub async fn sh(ctx: &Ctx<'_>, cmd: &str) -> Result<Output, ModuleError> {
    sh_in(ctx, cmd, None).await
}

/// Run a shell line with bytes on its stdin (secrets, file contents) and decode its output.
pub async fn sh_in(ctx: &Ctx<'_>, cmd: &str, stdin: Option<&[u8]>) -> Result<Output, ModuleError> {
    let out = ctx.exec(cmd, stdin).await?;
    Ok(Output {
        rc: out.rc,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

/// A probe line that starts section `name` and prints the previous command's status
/// as `rc=N` first in it, so sections can report exit codes without extra round trips.
pub fn section(name: &str) -> String {
    format!("printf '\\n%s %s\\n' {SECTION} {name}")
}

/// Split probe output into its sections (text after each `section(name)` marker).
pub fn sections(out: &str) -> Map<String, Value> {
    let mut map = Map::new();
    let marker = format!("\n{SECTION} ");
    let mut parts = out.split(marker.as_str());
    parts.next();
    for part in parts {
        let (name, body) = part.split_once('\n').unwrap_or((part, ""));
        map.insert(name.trim().to_string(), Value::String(body.to_string()));
    }
    map
}

/// A section's text ("" when missing).
pub fn sect<'a>(map: &'a Map<String, Value>, name: &str) -> &'a str {
    map.get(name).and_then(Value::as_str).unwrap_or("")
}

/// A copy of the arguments with aliases renamed to their option (the option wins).
pub fn aliased(args: &Args, aliases: &[(&str, &str)]) -> Args {
    let mut map = args.0.clone();
    for (alias, option) in aliases {
        if let Some(v) = map.remove(*alias) {
            if !map.contains_key(*option) {
                map.insert((*option).to_string(), v);
            }
        }
    }
    Args::new(map)
}

/// Ansible's failed result: `failed`, `msg`, and `changed` false.
pub fn failed(msg: impl Into<String>) -> ModuleResult {
    let mut r = result(false);
    r.insert("failed".into(), Value::Bool(true));
    r.insert("msg".into(), Value::String(msg.into()));
    r
}

/// A failed result carrying a command's rc, stdout and stderr.
pub fn cmd_failed(msg: impl Into<String>, out: &Output) -> ModuleResult {
    let mut r = failed(msg);
    r.insert("rc".into(), out.rc.into());
    r.insert("stdout".into(), out.stdout.clone().into());
    r.insert("stderr".into(), out.stderr.clone().into());
    r
}

/// One of `choices`, or Ansible's "value of X must be one of" failure.
pub fn choice(
    args: &Args,
    key: &str,
    choices: &[&str],
    default: Option<&str>,
) -> Result<Option<String>, ModuleError> {
    let v = args.str(key)?.or(default.map(str::to_string));
    match v {
        Some(s) if !choices.contains(&s.as_str()) => Err(ModuleError::Failed(format!(
            "value of {key} must be one of: {}, got: {s}",
            choices.join(", ")
        ))),
        v => Ok(v),
    }
}

/// An integer option (numbers or numeric strings), as Ansible's `int` type.
pub fn int(args: &Args, key: &str) -> Result<Option<i64>, ModuleError> {
    match args.get(key) {
        None => Ok(None),
        Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(|| bad_int(key, n)),
        Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| bad_int(key, s)),
        Some(other) => Err(bad_int(key, other)),
    }
}

fn bad_int(key: &str, v: impl std::fmt::Display) -> ModuleError {
    ModuleError::Failed(format!(
        "argument '{key}' is of type str and we were unable to convert to int: '{v}' cannot be converted to an int"
    ))
}

/// `cmd` words quoted into one shell line.
pub fn line<S: AsRef<str>>(words: &[S]) -> String {
    words
        .iter()
        .map(|w| quote(w.as_ref()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Add `stdout_lines`/`stderr_lines` beside `stdout`/`stderr`, as Ansible's action
/// layer does for every module result that has them.
pub fn add_lines(mut r: ModuleResult) -> ModuleResult {
    for k in ["stdout", "stderr"] {
        let lines_key = format!("{k}_lines");
        if let Some(Value::String(text)) = r.get(k) {
            if !r.contains_key(&lines_key) {
                let l = crate::lines(text);
                r.insert(lines_key, l);
            }
        }
    }
    r
}

/// A diff entry as the console prints it with `--diff`.
pub fn diff(before: impl Into<String>, after: impl Into<String>) -> Value {
    let mut d = Map::new();
    d.insert("before".into(), Value::String(before.into()));
    d.insert("after".into(), Value::String(after.into()));
    Value::Object(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_split_at_markers_only() {
        let out = format!("junk\n{SECTION} a\nx=1\ny\n\n{SECTION} b\n\n{SECTION} c\nlast");
        let m = sections(&out);
        assert_eq!(sect(&m, "a"), "x=1\ny\n");
        assert_eq!(sect(&m, "b"), "");
        assert_eq!(sect(&m, "c"), "last");
        assert_eq!(sect(&m, "missing"), "");
    }

    #[test]
    fn aliases_yield_to_the_option() {
        let mut m = Map::new();
        m.insert("unit".into(), "a".into());
        m.insert("pkg".into(), "p".into());
        m.insert("name".into(), "n".into());
        let a = aliased(&Args::new(m), &[("unit", "service"), ("pkg", "name")]);
        assert_eq!(a.str("service").ok().flatten().as_deref(), Some("a"));
        assert_eq!(a.str("name").ok().flatten().as_deref(), Some("n"));
        assert!(a.get("pkg").is_none());
    }
}
