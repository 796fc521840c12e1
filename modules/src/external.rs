//! External modules: Ansible's protocol for modules that are not Python. A module is an
//! executable file (a shell script, a compiled program, ...) found in a `library/`
//! folder beside the playbook or a role, or in a `--module-path` directory. It is
//! uploaded to a private temp dir on the host with its arguments file, run as
//! `MODULE ARGSFILE`, and the JSON it prints is the task's result; the temp dir is
//! removed whatever happens.
//!
//! Upload, arguments and run are one round trip: the module's bytes and then the
//! arguments come on stdin (so arguments, which may hold secrets, never appear in a
//! command line), split by length on the host.
//!
//! Arguments are JSON for binaries and for scripts containing `WANT_JSON`, and
//! `key=value` words (shell-quoted) for other scripts, as Ansible's "old-style"
//! modules get them.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use async_trait::async_trait;
use serde_json::{Map, Value};

use crate::sys::{self, failed, quote};
use crate::{Ctx, Module, ModuleError, ModuleResult};

/// An external module file, runnable like a built-in module.
pub struct External {
    name: &'static str,
    path: PathBuf,
}

/// The external module at `path` (its short name is the file name up to the first `.`).
pub fn external(path: PathBuf) -> Arc<dyn Module> {
    let stem = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let short = stem.split('.').next().unwrap_or(&stem).to_string();
    Arc::new(External {
        name: intern(short),
        path,
    })
}

/// The first file named `name` (or `name.EXT`) in `dirs`, searched in order, as
/// Ansible's module loader looks through library paths.
pub fn find_external(name: &str, dirs: &[PathBuf]) -> Option<PathBuf> {
    let short = name.strip_prefix("ansible.legacy.").unwrap_or(name);
    if short.contains('/') || short.is_empty() {
        return None;
    }
    for dir in dirs {
        let exact = dir.join(short);
        if exact.is_file() {
            return Some(exact);
        }
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut found: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.is_file()
                    && p.file_name()
                        .and_then(|n| n.to_str())
                        .and_then(|n| n.strip_prefix(short))
                        .is_some_and(|rest| rest.starts_with('.') && rest.len() > 1)
            })
            .collect();
        found.sort();
        if let Some(p) = found.into_iter().next() {
            return Some(p);
        }
    }
    None
}

/// Module names must be `&'static str`; each distinct external name is leaked once.
fn intern(name: String) -> &'static str {
    static NAMES: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let set = NAMES.get_or_init(|| Mutex::new(HashSet::new()));
    let mut set = match set.lock() {
        Ok(s) => s,
        Err(poisoned) => poisoned.into_inner(),
    };
    if let Some(existing) = set.get(name.as_str()) {
        return existing;
    }
    let leaked: &'static str = Box::leak(name.into_boxed_str());
    set.insert(leaked);
    leaked
}

/// How the module wants its arguments.
#[derive(Debug, PartialEq)]
enum ArgStyle {
    Json,
    KeyValue,
}

fn arg_style(code: &[u8]) -> ArgStyle {
    let text = std::str::from_utf8(code);
    match text {
        Ok(t) if !t.contains("WANT_JSON") && t.starts_with("#!") => ArgStyle::KeyValue,
        _ => ArgStyle::Json,
    }
}

fn python_value(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Null => "None".into(),
        other => other.to_string(),
    }
}

fn args_file(ctx: &Ctx<'_>, name: &str, style: &ArgStyle) -> Vec<u8> {
    let mut map: Map<String, Value> = ctx.args.0.clone();
    let internal: [(&str, Value); 6] = [
        ("_ansible_check_mode", ctx.check_mode.into()),
        ("_ansible_diff", ctx.diff.into()),
        ("_ansible_verbosity", ctx.verbosity.into()),
        ("_ansible_module_name", name.into()),
        ("_ansible_no_log", false.into()),
        ("_ansible_version", "2.19.0".into()),
    ];
    for (k, v) in internal {
        map.entry(k.to_string()).or_insert(v);
    }
    match style {
        ArgStyle::Json => Value::Object(map).to_string().into_bytes(),
        ArgStyle::KeyValue => map
            .iter()
            .map(|(k, v)| format!("{k}={}", quote(&python_value(v))))
            .collect::<Vec<_>>()
            .join(" ")
            .into_bytes(),
    }
}

/// The JSON object in the module's output, skipping junk lines before and after it
/// as Ansible does (with a warning naming what was dropped).
fn parse_output(stdout: &str) -> Option<(Map<String, Value>, Vec<String>)> {
    if let Ok(Value::Object(m)) = serde_json::from_str(stdout.trim()) {
        return Some((m, Vec::new()));
    }
    let lines: Vec<&str> = stdout.lines().collect();
    let start = lines.iter().position(|l| l.trim_start().starts_with('{'))?;
    let end = lines.iter().rposition(|l| l.trim_end().ends_with('}'))?;
    if end < start {
        return None;
    }
    let body = lines[start..=end].join("\n");
    let Ok(Value::Object(m)) = serde_json::from_str(&body) else {
        return None;
    };
    let mut warnings = Vec::new();
    let trailing: Vec<&str> = lines[end + 1..]
        .iter()
        .copied()
        .filter(|l| !l.trim().is_empty())
        .collect();
    if !trailing.is_empty() {
        warnings.push(format!(
            "Module invocation had junk after the JSON data: {}",
            trailing.join("\n")
        ));
    }
    Some((m, warnings))
}

#[async_trait]
impl Module for External {
    fn name(&self) -> &'static str {
        self.name
    }

    async fn run(&self, ctx: &Ctx<'_>) -> Result<ModuleResult, ModuleError> {
        let code = tokio::fs::read(&self.path).await.map_err(|e| {
            ModuleError::Failed(format!(
                "Could not read module {}: {e}",
                self.path.display()
            ))
        })?;
        if is_ansible_python(&code) {
            return Ok(failed(format!(
                "The module {} is a Python module built on AnsibleModule; drover runs only non-Python (or WANT_JSON) modules",
                self.path.display()
            )));
        }
        let style = arg_style(&code);
        let file = file_name(&self.path);
        let args = args_file(ctx, self.name, &style);
        let mut stdin = code.clone();
        stdin.extend_from_slice(&args);
        let q = quote(&file);
        // 97: the temp dir could not be made; the module itself never sees it.
        let script = format!(
            "_d=$(umask 077; mktemp -d \"${{TMPDIR:-/tmp}}/drover-module.XXXXXX\") || exit 97; trap 'rm -rf \"$_d\"' EXIT; \
             head -c {len} > \"$_d\"/{q} && cat > \"$_d/args\" && chmod 700 \"$_d\"/{q} || exit 97; \
             \"$_d\"/{q} \"$_d/args\"",
            len = code.len()
        );
        let out = ctx.exec(&script, Some(&stdin)).await?;
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let Some((mut r, warnings)) = parse_output(&stdout) else {
            let mut f = failed("MODULE FAILURE\nSee stdout/stderr for the exact error");
            f.insert("module_stdout".into(), stdout.into());
            f.insert("module_stderr".into(), stderr.into());
            f.insert("rc".into(), out.rc.into());
            return Ok(f);
        };
        if !r.contains_key("changed") {
            r.insert("changed".into(), false.into());
        }
        if let Some(v) = r.get("failed") {
            // Modules may say failed: "yes"; the engine wants a boolean.
            let b = crate::args::to_bool(v).unwrap_or(true);
            r.insert("failed".into(), b.into());
        }
        if let Some(v) = r.get("changed") {
            let b = crate::args::to_bool(v).unwrap_or(true);
            r.insert("changed".into(), b.into());
        }
        if !warnings.is_empty() {
            let mut all: Vec<Value> = match r.remove("warnings") {
                Some(Value::Array(a)) => a,
                Some(other) => vec![other],
                None => Vec::new(),
            };
            all.extend(warnings.into_iter().map(Value::from));
            r.insert("warnings".into(), Value::Array(all));
        }
        Ok(sys::add_lines(r))
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "module".into())
}

fn is_ansible_python(code: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(code) else {
        return false;
    };
    !text.contains("WANT_JSON")
        && (text.contains("from ansible.module_utils")
            || text.contains("import ansible.module_utils"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_json_is_found_among_junk() {
        let (m, w) = parse_output("hello\n{\"changed\": true,\n \"x\": 1}\nbye\n").unwrap();
        assert_eq!(
            (m["changed"].clone(), m["x"].clone()),
            (Value::Bool(true), 1.into())
        );
        assert_eq!(w, ["Module invocation had junk after the JSON data: bye"]);
        assert!(parse_output("no json here").is_none());
    }

    #[test]
    fn scripts_get_key_value_args_unless_they_want_json() {
        assert_eq!(arg_style(b"#!/bin/sh\necho"), ArgStyle::KeyValue);
        assert_eq!(arg_style(b"#!/bin/sh\n# WANT_JSON\n"), ArgStyle::Json);
        assert_eq!(arg_style(b"\x7fELF\x02\x01\x00\xff"), ArgStyle::Json);
    }

    #[test]
    fn names_are_interned_once() {
        let a = intern("mymod".into());
        let b = intern("mymod".into());
        assert!(std::ptr::eq(a, b));
    }
}
