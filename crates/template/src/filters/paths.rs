//! Path filters, with Python's `os.path` meaning: basename, dirname, realpath,
//! expanduser, expandvars, splitext, relpath, path_join.

use std::path::{Component, Path, PathBuf};

use minijinja::{Environment, Error, Value};

use super::{add, list_of, text_of};

pub(super) fn register(env: &mut Environment<'static>) {
    add(env, "basename", basename);
    add(env, "dirname", dirname);
    add(env, "realpath", realpath);
    add(env, "expanduser", expanduser);
    add(env, "expandvars", expandvars);
    add(env, "splitext", splitext);
    add(env, "relpath", relpath);
    add(env, "path_join", path_join);
}

fn basename(v: &Value) -> Result<String, Error> {
    let p = text_of(v)?;
    Ok(match p.rfind('/') {
        Some(i) => p[i + 1..].to_string(),
        None => p,
    })
}

/// `os.path.dirname`: everything before the last slash, trailing slashes removed
/// unless the result is all slashes.
fn dirname(v: &Value) -> Result<String, Error> {
    let p = text_of(v)?;
    Ok(match p.rfind('/') {
        Some(i) => {
            let head = &p[..i + 1];
            if head.chars().all(|c| c == '/') {
                head.to_string()
            } else {
                head.trim_end_matches('/').to_string()
            }
        }
        None => String::new(),
    })
}

/// `os.path.normpath` on an absolute path, then symlinks resolved where they exist.
fn realpath(v: &Value) -> Result<String, Error> {
    let p = text_of(v)?;
    let path = absolute(&p);
    if let Ok(c) = std::fs::canonicalize(&path) {
        return Ok(c.to_string_lossy().into_owned());
    }
    Ok(normpath(&path))
}

/// A path made absolute against the current directory.
fn absolute(p: &str) -> PathBuf {
    if Path::new(p).is_absolute() {
        PathBuf::from(p)
    } else {
        std::env::current_dir().unwrap_or_default().join(p)
    }
}

/// `os.path.normpath` of an absolute path: `.`, `..` and repeated slashes folded.
fn normpath(path: &Path) -> String {
    let mut out = PathBuf::from("/");
    for comp in path.components() {
        match comp {
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(s) => out.push(s),
            _ => {}
        }
    }
    out.to_string_lossy().into_owned()
}

/// Ansible's `resolve_path` of a setting: `{{CWD}}`, environment variables and `~`
/// expanded, then made absolute against the current directory and normalized
/// (symlinks are kept).
pub(crate) fn resolve_path(p: &str) -> String {
    let cwd = std::env::current_dir().unwrap_or_default();
    let p = p.replace("{{CWD}}", &cwd.to_string_lossy());
    normpath(&absolute(&expand_user(&expand_vars(&p))))
}

pub(crate) fn expand_user(p: &str) -> String {
    if p == "~" || p.starts_with("~/") {
        if let Some(home) = std::env::var_os("HOME") {
            return format!("{}{}", home.to_string_lossy(), &p[1..]);
        }
    }
    p.to_string()
}

fn expanduser(v: &Value) -> Result<String, Error> {
    Ok(expand_user(&text_of(v)?))
}

fn expandvars(v: &Value) -> Result<String, Error> {
    Ok(expand_vars(&text_of(v)?))
}

/// `os.path.expandvars`: `$NAME` and `${NAME}` of set variables; unset ones stay.
pub(crate) fn expand_vars(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '$' {
            let (name, end) = if chars.get(i + 1) == Some(&'{') {
                match chars[i + 2..].iter().position(|c| *c == '}') {
                    Some(p) => (
                        chars[i + 2..i + 2 + p].iter().collect::<String>(),
                        i + 3 + p,
                    ),
                    None => (String::new(), i + 1),
                }
            } else {
                let len = chars[i + 1..]
                    .iter()
                    .take_while(|c| c.is_ascii_alphanumeric() || **c == '_')
                    .count();
                (chars[i + 1..i + 1 + len].iter().collect(), i + 1 + len)
            };
            if let (false, Ok(val)) = (name.is_empty(), std::env::var(&name)) {
                out.push_str(&val);
                i = end;
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// `os.path.splitext`: the extension starts at the last dot of the last component,
/// unless the component only has leading dots.
fn splitext(v: &Value) -> Result<Value, Error> {
    let p = text_of(v)?;
    let base_start = p.rfind('/').map(|i| i + 1).unwrap_or(0);
    let base = &p[base_start..];
    let split = match base.rfind('.') {
        Some(dot) if base[..dot].chars().any(|c| c != '.') => Some(base_start + dot),
        _ => None,
    };
    Ok(match split {
        Some(i) => Value::from(vec![p[..i].to_string(), p[i..].to_string()]),
        None => Value::from(vec![p.clone(), String::new()]),
    })
}

fn relpath(v: &Value, start: Option<String>) -> Result<String, Error> {
    let p = PathBuf::from(text_of(v)?);
    let start = PathBuf::from(start.unwrap_or_else(|| ".".into()));
    let cwd = std::env::current_dir().unwrap_or_default();
    let abs = |x: &Path| {
        if x.is_absolute() {
            x.to_path_buf()
        } else {
            cwd.join(x)
        }
    };
    let (p, start) = (abs(&p), abs(&start));
    let pc: Vec<_> = p.components().collect();
    let sc: Vec<_> = start.components().collect();
    let common = pc.iter().zip(&sc).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..sc.len() {
        out.push("..");
    }
    for c in &pc[common..] {
        out.push(c);
    }
    let s = out.to_string_lossy().into_owned();
    Ok(if s.is_empty() { ".".into() } else { s })
}

/// `os.path.join` over a list: an absolute part restarts the path.
fn path_join(v: &Value) -> Result<String, Error> {
    let parts: Vec<String> = match v.as_str() {
        Some(s) => vec![s.to_string()],
        None => list_of(v, "path_join")?
            .iter()
            .map(text_of)
            .collect::<Result<_, _>>()?,
    };
    let mut out = String::new();
    for part in parts {
        if part.starts_with('/') {
            out = part;
        } else if out.is_empty() || out.ends_with('/') {
            out.push_str(&part);
        } else {
            out.push('/');
            out.push_str(&part);
        }
    }
    Ok(out)
}
