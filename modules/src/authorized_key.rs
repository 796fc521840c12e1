//! `authorized_key`: SSH public keys in a user's authorized_keys file. One probe reads
//! the user's home and the file; keys are matched by type and key blob, so a changed
//! comment or options line replaces the entry in place.

use async_trait::async_trait;
use serde_json::{Map, Value};

use crate::sys::{self, failed, quote, sect, section, sections};
use crate::{result, Ctx, Module, ModuleError, ModuleResult};

const OPTIONS: &[&str] = &[
    "comment",
    "exclusive",
    "follow",
    "key",
    "key_options",
    "manage_dir",
    "path",
    "state",
    "user",
    "validate_certs",
];

pub struct AuthorizedKey;

/// One authorized_keys entry: options, type, blob, comment.
#[derive(Debug, Clone, PartialEq)]
struct Entry {
    options: Option<String>,
    kind: String,
    blob: String,
    comment: Option<String>,
}

fn is_key_type(s: &str) -> bool {
    s.starts_with("ssh-")
        || s.starts_with("ecdsa-")
        || s.starts_with("sk-")
        || s.contains("@openssh.com")
}

/// The options field ends at the first space outside double quotes.
fn split_options(line: &str) -> (Option<&str>, &str) {
    let first = line.split_whitespace().next().unwrap_or("");
    if is_key_type(first) {
        return (None, line);
    }
    let mut quoted = false;
    for (i, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ' ' | '\t' if !quoted => return (Some(&line[..i]), line[i..].trim_start()),
            _ => {}
        }
    }
    (None, line)
}

fn parse(line: &str) -> Option<Entry> {
    let t = line.trim();
    if t.is_empty() || t.starts_with('#') {
        return None;
    }
    let (options, rest) = split_options(t);
    let mut words = rest.splitn(3, char::is_whitespace);
    let kind = words.next()?.to_string();
    let blob = words.next()?.to_string();
    let comment = words
        .next()
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty());
    Some(Entry {
        options: options.map(str::to_string),
        kind,
        blob,
        comment,
    })
}

fn render(e: &Entry) -> String {
    let mut s = String::new();
    if let Some(o) = &e.options {
        s.push_str(o);
        s.push(' ');
    }
    s.push_str(&e.kind);
    s.push(' ');
    s.push_str(&e.blob);
    if let Some(c) = &e.comment {
        s.push(' ');
        s.push_str(c);
    }
    s
}

#[async_trait]
impl Module for AuthorizedKey {
    fn name(&self) -> &'static str {
        "authorized_key"
    }
    async fn run(&self, ctx: &Ctx<'_>) -> Result<ModuleResult, ModuleError> {
        run(ctx).await
    }
}

async fn run(ctx: &Ctx<'_>) -> Result<ModuleResult, ModuleError> {
    let args = &ctx.args;
    args.check_supported("authorized_key", OPTIONS)?;
    let user = args.required_str("user")?;
    let key_text = args.required_str("key")?;
    if key_text.starts_with("http://") || key_text.starts_with("https://") {
        return Ok(failed(
            "drover's authorized_key does not fetch keys from URLs yet",
        ));
    }
    let state =
        sys::choice(args, "state", &["absent", "present"], Some("present"))?.unwrap_or_default();
    let exclusive = args.bool("exclusive", false)?;
    let manage_dir = args.bool("manage_dir", true)?;
    let key_options = args.str("key_options")?;
    let comment = args.str("comment")?;
    let path = args.str("path")?;
    let mut wanted: Vec<Entry> = Vec::new();
    for line in key_text.lines() {
        if line.trim().is_empty() || line.trim().starts_with('#') {
            continue;
        }
        match parse(line) {
            Some(mut e) => {
                if let Some(o) = &key_options {
                    e.options = Some(o.clone());
                }
                if let Some(c) = &comment {
                    e.comment = Some(c.clone());
                }
                wanted.push(e);
            }
            None => return Ok(failed(format!("invalid key specified: {line}"))),
        }
    }

    let qu = quote(&user);
    let file_expr = match &path {
        Some(p) => quote(p),
        None => "\"$_h/.ssh/authorized_keys\"".to_string(),
    };
    let probe = format!(
        "_h=$(getent passwd {qu} | cut -d: -f6); {}; printf '%s\\n' \"$_h\"; {}; printf '%s\\n' {file_expr}; {}; cat {file_expr} 2>/dev/null; true",
        section("home"),
        section("file"),
        section("content")
    );
    let out = sys::sh(ctx, &probe).await?;
    let secs = sections(&out.stdout);
    let home = sect(&secs, "home").trim().to_string();
    if home.is_empty() {
        return Ok(failed(format!(
            "Failed to lookup user {user}: 'getpwnam(): name not found: '{user}''"
        )));
    }
    let keyfile = sect(&secs, "file").trim_end_matches('\n').to_string();
    let before = sect(&secs, "content").to_string();

    // Existing lines, each either a key (matched by blob) or kept verbatim.
    let mut lines: Vec<(Option<Entry>, String)> =
        before.lines().map(|l| (parse(l), l.to_string())).collect();
    if state == "present" {
        for w in &wanted {
            match lines.iter_mut().find(|(e, _)| {
                e.as_ref()
                    .is_some_and(|e| e.blob == w.blob && e.kind == w.kind)
            }) {
                Some(slot) => {
                    let mut merged = w.clone();
                    let old = slot.0.clone();
                    if let Some(old) = old {
                        // A key given without a comment keeps the one in the file.
                        if merged.comment.is_none() {
                            merged.comment = old.comment.clone();
                        }
                        if merged.options.is_none() && key_options.is_none() {
                            merged.options = old.options.clone();
                        }
                        if merged != old {
                            *slot = (Some(merged.clone()), render(&merged));
                        }
                    }
                }
                None => lines.push((Some(w.clone()), render(w))),
            }
        }
        if exclusive {
            lines.retain(|(e, _)| match e {
                Some(e) => wanted.iter().any(|w| w.blob == e.blob && w.kind == e.kind),
                None => false,
            });
        }
    } else {
        lines.retain(|(e, _)| match e {
            Some(e) => !wanted.iter().any(|w| w.blob == e.blob && w.kind == e.kind),
            None => true,
        });
    }
    let mut after: String = lines.iter().map(|(_, l)| format!("{l}\n")).collect();
    if after == before.clone() + "\n" && !before.ends_with('\n') {
        after = before.clone();
    }
    let changed = after != before;

    let mut r = result(changed);
    r.insert("user".into(), user.clone().into());
    r.insert("key".into(), key_text.clone().into());
    r.insert("keyfile".into(), keyfile.clone().into());
    r.insert("path".into(), path.clone().map_or(Value::Null, Value::from));
    r.insert("state".into(), state.into());
    r.insert("exclusive".into(), exclusive.into());
    r.insert("manage_dir".into(), manage_dir.into());
    r.insert(
        "key_options".into(),
        key_options.clone().map_or(Value::Null, Value::from),
    );
    r.insert("comment".into(), comment.map_or(Value::Null, Value::from));
    if ctx.diff && changed {
        let mut d = Map::new();
        d.insert("before".into(), before.into());
        d.insert("after".into(), after.clone().into());
        d.insert("before_header".into(), keyfile.clone().into());
        d.insert("after_header".into(), keyfile.clone().into());
        r.insert("diff".into(), Value::Object(d));
    }
    if !changed || ctx.check_mode {
        return Ok(r);
    }
    let qf = quote(&keyfile);
    if manage_dir && path.is_none() {
        let dir = format!("{home}/.ssh");
        let qd = quote(&dir);
        let o = sys::sh(
            ctx,
            &format!("[ -d {qd} ] || {{ mkdir -p {qd} && chmod 700 {qd} && chown {qu}: {qd} 2>/dev/null; }}; true"),
        )
        .await?;
        if o.rc != 0 {
            return Ok(sys::cmd_failed(format!("could not create {dir}"), &o));
        }
    }
    ctx.put(after.as_bytes(), &keyfile, Some(0o600)).await?;
    if manage_dir {
        // Owned by the user, or sshd's StrictModes ignores the file.
        sys::sh(ctx, &format!("chown {qu}: {qf} 2>/dev/null; true")).await?;
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_with_options_and_comments() {
        let e = parse(r#"from="10.0.0.1,host a",no-pty ssh-ed25519 AAAAC3 me@host x"#).unwrap();
        assert_eq!(
            e.options.as_deref(),
            Some(r#"from="10.0.0.1,host a",no-pty"#)
        );
        assert_eq!(
            (e.kind.as_str(), e.blob.as_str()),
            ("ssh-ed25519", "AAAAC3")
        );
        assert_eq!(e.comment.as_deref(), Some("me@host x"));
        assert_eq!(
            render(&e),
            r#"from="10.0.0.1,host a",no-pty ssh-ed25519 AAAAC3 me@host x"#
        );
        assert!(parse("# comment").is_none());
        assert_eq!(parse("ssh-rsa AAAB").unwrap().comment, None);
    }
}
