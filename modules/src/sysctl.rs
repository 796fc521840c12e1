//! `sysctl`: a kernel parameter in a sysctl file (and optionally the running kernel).
//! One probe reads the file and the live value; the file is rewritten atomically.

use async_trait::async_trait;
use serde_json::Value;

use crate::sys::{self, failed, quote, sect, section, sections};
use crate::{result, Ctx, Module, ModuleError, ModuleResult};

const OPTIONS: &[&str] = &[
    "ignoreerrors",
    "name",
    "reload",
    "state",
    "sysctl_file",
    "sysctl_set",
    "value",
];

pub struct Sysctl;

/// Values compare with runs of whitespace as one space, as the kernel prints them.
fn norm(v: &str) -> String {
    v.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The key of a `key = value` line (None for comments and blank lines).
fn line_key(line: &str) -> Option<(&str, &str)> {
    let t = line.trim();
    if t.is_empty() || t.starts_with('#') || t.starts_with(';') {
        return None;
    }
    let (k, v) = t.split_once('=')?;
    Some((k.trim().trim_start_matches('-'), v.trim()))
}

/// The file with `name` set to `value` (first occurrence replaced, later ones dropped,
/// appended when missing) or removed (`value` None).
fn rewrite(text: &str, name: &str, value: Option<&str>) -> String {
    let mut out = String::new();
    let mut done = false;
    for l in text.split_inclusive('\n') {
        match line_key(l) {
            Some((k, have)) if k == name => {
                if let (Some(v), false) = (value, done) {
                    if norm(have) == norm(v) {
                        out.push_str(l);
                    } else {
                        out.push_str(&format!("{name}={v}\n"));
                    }
                }
                done = true;
            }
            _ => out.push_str(l),
        }
    }
    if let (Some(v), false) = (value, done) {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(&format!("{name}={v}\n"));
    }
    out
}

#[async_trait]
impl Module for Sysctl {
    fn name(&self) -> &'static str {
        "sysctl"
    }
    async fn run(&self, ctx: &Ctx<'_>) -> Result<ModuleResult, ModuleError> {
        run(ctx).await.map(sys::add_lines)
    }
}

async fn run(ctx: &Ctx<'_>) -> Result<ModuleResult, ModuleError> {
    let args = sys::aliased(&ctx.args, &[("key", "name"), ("val", "value")]);
    args.check_supported("sysctl", OPTIONS)?;
    let name = args.required_str("name")?;
    let state =
        sys::choice(&args, "state", &["absent", "present"], Some("present"))?.unwrap_or_default();
    let value = match args.get("value") {
        Some(Value::Bool(b)) => Some(if *b { "1" } else { "0" }.to_string()),
        _ => args.str("value")?,
    };
    if state == "present" && value.is_none() {
        return Ok(failed(
            "state is present but all of the following are missing: value",
        ));
    }
    let file = args
        .str("sysctl_file")?
        .unwrap_or_else(|| "/etc/sysctl.conf".into());
    let reload = args.bool("reload", true)?;
    let set = args.bool("sysctl_set", false)?;
    let ignore = args.bool("ignoreerrors", false)?;
    let qf = quote(&file);
    let probe = format!(
        "{}; cat {qf} 2>/dev/null; {}; sysctl -e -n {} 2>/dev/null; true",
        section("file"),
        section("live"),
        quote(&name)
    );
    let out = sys::sh(ctx, &probe).await?;
    let secs = sections(&out.stdout);
    let before = sect(&secs, "file").to_string();
    let live = norm(sect(&secs, "live"));
    let want = value.as_deref().map(norm);
    let after = rewrite(
        &before,
        &name,
        want.as_deref().filter(|_| state == "present"),
    );
    let file_changed = after != before;
    let set_live = set && state == "present" && want.as_deref().is_some_and(|w| w != live);
    if ignore && !file_changed && !set_live {
        return Ok(result(false));
    }
    let mut r = result(file_changed || set_live);
    if ctx.diff && file_changed {
        let mut d = serde_json::Map::new();
        d.insert("before".into(), before.clone().into());
        d.insert("after".into(), after.clone().into());
        d.insert("before_header".into(), file.clone().into());
        d.insert("after_header".into(), file.clone().into());
        r.insert("diff".into(), Value::Object(d));
    }
    if ctx.check_mode || !(file_changed || set_live) {
        return Ok(r);
    }
    if set_live {
        let w = want.clone().unwrap_or_default();
        let o = sys::sh(ctx, &format!("sysctl -w {}", quote(&format!("{name}={w}")))).await?;
        if o.rc != 0 && !ignore {
            return Ok(sys::cmd_failed(
                format!("setting {name} failed: {}", o.stderr.trim()),
                &o,
            ));
        }
    }
    if file_changed {
        ctx.put(after.as_bytes(), &file, None).await?;
        if reload {
            let o = sys::sh(ctx, &format!("sysctl -p {qf}")).await?;
            if (o.rc != 0 || !o.stderr.trim().is_empty()) && !ignore {
                return Ok(sys::cmd_failed(
                    format!("Failed to reload sysctl: {}{}", o.stdout, o.stderr),
                    &o,
                ));
            }
        }
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrite_replaces_first_drops_rest_appends_missing() {
        let text = "# c\nnet.a = 1\nnet.b=2\nnet.a=3\n";
        assert_eq!(rewrite(text, "net.a", Some("5")), "# c\nnet.a=5\nnet.b=2\n");
        assert_eq!(rewrite("net.a = 1\n", "net.a", Some("1")), "net.a = 1\n");
        assert_eq!(
            rewrite(text, "net.c", Some("7")),
            format!("{text}net.c=7\n")
        );
        assert_eq!(rewrite(text, "net.a", None), "# c\nnet.b=2\n");
        assert_eq!(rewrite("x=1", "y", Some("2")), "x=1\ny=2\n");
        assert_eq!(norm(" 4096\t87380  6291456\n"), "4096 87380 6291456");
    }
}
