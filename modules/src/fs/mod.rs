//! File modules: file, copy, template, stat, slurp, fetch, tempfile, find, script.
//! Each asks the host everything it needs in one shell script (see `probe`), decides
//! on the controller, then changes only what differs in a second script.

pub mod attrs;
pub mod content_diff;
pub mod copy;
pub mod fetch;
pub mod file;
pub mod find;
pub mod find_content;
pub mod info;
pub mod install;
pub mod mode;
pub mod probe;
pub mod script;
pub mod slurp;
pub mod stat;
pub mod tempfile;
pub mod template;
pub mod times;
pub mod tree;
pub mod write;

use crate::{Ctx, ModuleError};
use probe::{Answers, Script};

/// Run a probe script; a failure of the shell itself is a task failure.
pub(crate) async fn run_script(
    ctx: &Ctx<'_>,
    s: &Script,
    stdin: Option<&[u8]>,
) -> Result<Answers, ModuleError> {
    // sshd runs the command as one argument of `sh -c`, and Linux caps one argument at
    // 128 KiB: a bigger script (files embedded in it) is read from stdin instead.
    let out = match stdin {
        None if s.text().len() > 100_000 => {
            ctx.exec("/bin/sh -s", Some(s.text().as_bytes())).await?
        }
        _ => ctx.exec(s.text(), stdin).await?,
    };
    if out.stdout.is_empty() && out.rc != 0 {
        return Err(ModuleError::Failed(format!(
            "probe failed (rc={}): {}",
            out.rc,
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(Answers::parse(&out.stdout))
}

pub(crate) fn fail(msg: &str) -> ModuleError {
    ModuleError::Failed(msg.to_string())
}

/// Python's os.path.dirname: "" for a bare name, "/" for the root's children.
pub(crate) fn dirname(p: &str) -> String {
    match p.rfind('/') {
        Some(0) => "/".into(),
        Some(i) => p[..i].trim_end_matches('/').to_string(),
        None => ".".into(),
    }
}

/// `name` inside `base` (an absolute `name` stays as it is).
pub(crate) fn join(base: &str, name: &str) -> String {
    if name.starts_with('/') {
        name.to_string()
    } else if base.ends_with('/') || base.is_empty() {
        format!("{base}{name}")
    } else {
        format!("{base}/{name}")
    }
}

pub(crate) fn basename(p: &str) -> String {
    p.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string()
}

/// Checksum algorithms of `stat`'s checksum_algorithm, with the host program for each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algo {
    Md5,
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

impl Algo {
    pub fn parse(s: &str) -> Option<Algo> {
        Some(match s {
            "md5" => Algo::Md5,
            "sha1" => Algo::Sha1,
            "sha224" => Algo::Sha224,
            "sha256" => Algo::Sha256,
            "sha384" => Algo::Sha384,
            "sha512" => Algo::Sha512,
            _ => return None,
        })
    }

    pub fn program(self) -> &'static str {
        match self {
            Algo::Md5 => "md5sum",
            Algo::Sha1 => "sha1sum",
            Algo::Sha224 => "sha224sum",
            Algo::Sha256 => "sha256sum",
            Algo::Sha384 => "sha384sum",
            Algo::Sha512 => "sha512sum",
        }
    }
}

/// The hex digest of `data`, computed on the controller.
pub(crate) fn digest_hex(algo: Algo, data: &[u8]) -> String {
    use sha2::Digest;
    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
    match algo {
        Algo::Md5 => hex(&md5::Md5::digest(data)),
        Algo::Sha1 => hex(&sha1::Sha1::digest(data)),
        Algo::Sha224 => hex(&sha2::Sha224::digest(data)),
        Algo::Sha256 => hex(&sha2::Sha256::digest(data)),
        Algo::Sha384 => hex(&sha2::Sha384::digest(data)),
        Algo::Sha512 => hex(&sha2::Sha512::digest(data)),
    }
}

/// Python's json.dumps with its default separators and ASCII escapes (`copy: content`
/// given a mapping or a list).
pub(crate) fn python_json(v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::Object(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!(
                    "{}: {}",
                    python_json(&Value::String(k.clone())),
                    python_json(v)
                ))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(python_json).collect::<Vec<_>>().join(", ")
        ),
        Value::String(s) => {
            let mut out = String::from("\"");
            for c in s.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\t' => out.push_str("\\t"),
                    c if (c as u32) < 0x20 || (c as u32) > 0x7f => {
                        let mut buf = [0u16; 2];
                        for u in c.encode_utf16(&mut buf) {
                            out.push_str(&format!("\\u{u:04x}"));
                        }
                    }
                    c => out.push(c),
                }
            }
            out.push('"');
            out
        }
        Value::Null => "null".into(),
        other => other.to_string(),
    }
}

/// Ansible's `path` options expand `~` and `~user` on the host (as the become user):
/// asked of the host only when a path starts with `~`.
pub(crate) async fn expand_home(ctx: &Ctx<'_>, p: String) -> Result<String, ModuleError> {
    let Some(rest) = p.strip_prefix('~') else {
        return Ok(p);
    };
    let (user, tail) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let valid = user
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.');
    if !valid {
        return Ok(p);
    }
    // `~name` must stay unquoted for the shell to expand it; `name` was checked above.
    let out = ctx.exec(&format!("printf %s ~{user}"), None).await?;
    let home = String::from_utf8_lossy(&out.stdout).into_owned();
    if out.rc != 0 || home.is_empty() || home.starts_with('~') {
        return Ok(p);
    }
    Ok(format!("{home}{tail}"))
}
