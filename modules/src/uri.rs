//! `uri`: an HTTP request made by the host (curl, else wget), one round trip. Returns
//! Ansible's fields: `status`, `url`, `redirected`, `msg`, `elapsed`, the response headers
//! as lowercased keys with `-` turned into `_`, `json` when the answer is JSON, `content`
//! when asked for (or on an unexpected status), `path` with `dest`.

use async_trait::async_trait;
use drover_connection::quote;
use serde_json::{json, Map, Value};

use crate::get_url::{headers_arg, int_arg};
use crate::http::{self, Fetched, Request};
use crate::lineinfile::{aliased, supported};
use crate::textfile::{self, Attrs};
use crate::{result, Ctx, Module, ModuleError, ModuleResult};

pub struct Uri;

const OPTIONS: &[&str] = &[
    "url",
    "dest",
    "url_username",
    "user",
    "url_password",
    "password",
    "body",
    "body_format",
    "src",
    "method",
    "return_content",
    "follow_redirects",
    "creates",
    "removes",
    "status_code",
    "timeout",
    "headers",
    "unix_socket",
    "remote_src",
    "ca_path",
    "unredirected_headers",
    "decompress",
    "ciphers",
    "use_netrc",
    "force",
    "force_basic_auth",
    "http_agent",
    "use_proxy",
    "validate_certs",
    "use_gssapi",
    "client_cert",
    "client_key",
    "attr",
];

/// Python's `json.dumps` default layout (`", "` and `": "` separators, ASCII escapes).
pub fn py_json(v: &Value) -> String {
    match v {
        Value::Array(a) => format!("[{}]", a.iter().map(py_json).collect::<Vec<_>>().join(", ")),
        Value::Object(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{}: {}", py_str(k), py_json(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::String(s) => py_str(s),
        other => other.to_string(),
    }
}

fn py_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
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

/// Python's `urlencode` (with `quote_plus`) of a mapping or a list of pairs.
fn form_urlencoded(v: &Value) -> Result<String, String> {
    let enc = |s: &str| {
        let mut out = String::new();
        for b in s.bytes() {
            match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~' => {
                    out.push(b as char)
                }
                b' ' => out.push('+'),
                _ => out.push_str(&format!("%{b:02X}")),
            }
        }
        out
    };
    let scalar = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Null => "None".into(),
        other => other.to_string(),
    };
    let pairs: Vec<(String, String)> = match v {
        Value::Object(m) => m.iter().map(|(k, v)| (k.clone(), scalar(v))).collect(),
        Value::Array(items) => items
            .iter()
            .map(|i| match i {
                Value::Array(p) if p.len() == 2 => Ok((scalar(&p[0]), scalar(&p[1]))),
                _ => Err("expected a list of pairs".to_string()),
            })
            .collect::<Result<_, _>>()?,
        _ => return Err("expected a mapping".into()),
    };
    Ok(pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&"))
}

#[async_trait]
impl Module for Uri {
    fn name(&self) -> &'static str {
        "uri"
    }

    async fn run(&self, ctx: &Ctx<'_>) -> Result<ModuleResult, ModuleError> {
        supported(ctx, "uri", OPTIONS)?;
        let args = &ctx.args;
        let url = args.required_str("url")?;
        let method = args
            .str("method")?
            .unwrap_or_else(|| "GET".into())
            .to_uppercase();
        if method.is_empty() || !method.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(ModuleError::Failed(
                "Parameter 'method' needs to be a single word in uppercase, like GET or POST."
                    .into(),
            ));
        }
        for unsupported in ["src", "unix_socket", "client_cert", "client_key", "ca_path"] {
            if args.get(unsupported).is_some() {
                return Err(ModuleError::Failed(format!(
                    "drover's uri does not support '{unsupported}' yet"
                )));
            }
        }
        let body_format = args
            .str("body_format")?
            .unwrap_or_else(|| "raw".into())
            .to_lowercase();
        let mut headers = headers_arg(ctx)?;
        let has_ct = headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"));
        let body = match (args.get("body"), body_format.as_str()) {
            (None, _) => None,
            (Some(b), "json") => {
                if !has_ct {
                    headers.push(("Content-Type".into(), "application/json".into()));
                }
                Some(match b {
                    Value::String(s) => s.clone(),
                    other => py_json(other),
                })
            }
            (Some(b), "form-urlencoded") => {
                if !has_ct {
                    headers.push((
                        "Content-Type".into(),
                        "application/x-www-form-urlencoded".into(),
                    ));
                }
                Some(match b {
                    Value::String(s) => s.clone(),
                    other => form_urlencoded(other).map_err(|e| {
                        ModuleError::Failed(format!("failed to parse body as form_urlencoded: {e}"))
                    })?,
                })
            }
            (Some(_), "form-multipart") => {
                return Err(ModuleError::Failed(
                    "drover's uri does not support body_format=form-multipart yet".into(),
                ))
            }
            (Some(b), _) => Some(match b {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            }),
        };
        let agent = args
            .str("http_agent")?
            .unwrap_or_else(|| "ansible-httpget".into());
        headers.push(("User-Agent".into(), agent));
        let status_codes: Vec<i64> = match args.get("status_code") {
            None => vec![200],
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| match v {
                    Value::Number(n) => n.as_i64(),
                    Value::String(s) => s.trim().parse().ok(),
                    _ => None,
                })
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| ModuleError::Failed("status_code must be a list of int".into()))?,
            Some(Value::Number(n)) => vec![n.as_i64().unwrap_or(200)],
            Some(Value::String(s)) => s
                .split(',')
                .map(|p| p.trim().parse().ok())
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| ModuleError::Failed("status_code must be a list of int".into()))?,
            Some(_) => {
                return Err(ModuleError::Failed(
                    "status_code must be a list of int".into(),
                ))
            }
        };
        let follow = match args.str("follow_redirects")?.as_deref().unwrap_or("safe") {
            "all" | "yes" | "urllib2" => true,
            "none" | "no" => false,
            "safe" => matches!(method.as_str(), "GET" | "HEAD"),
            other => {
                return Err(ModuleError::Failed(format!(
                    "value of follow_redirects must be one of: all, no, none, safe, urllib2, yes, got: {other}"
                )))
            }
        };
        let return_content = args.bool("return_content", false)?;
        let dest = args.str("dest")?;
        let attrs = Attrs::from_args(ctx)?;
        let creates = args.str("creates")?;
        let removes = args.str("removes")?;
        let mut before = String::new();
        if let Some(c) = &creates {
            before.push_str(&format!(
                "if [ -e {} ]; then printf XC; exit 0; fi\n",
                quote(c)
            ));
        }
        if let Some(r) = &removes {
            before.push_str(&format!(
                "if [ ! -e {} ]; then printf XR; exit 0; fi\n",
                quote(r)
            ));
        }
        let token = textfile::token();
        let codes_list = status_codes
            .iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
            .join(" ");
        let (out, after) = match &dest {
            Some(d) => {
                before.push_str(&format!(
                    "d={}; if [ -d \"$d\" ]; then d=\"${{d%/}}/\"{}; fi; dd=$(dirname -- \"$d\")\n",
                    quote(d),
                    quote(&crate::get_url::url_filename(&url))
                ));
                let mut after = format!(
                    "printf 'P%s\\0' \"$d\"; case \" {codes_list} \" in *\" $status \"*) [ \"$status\" = 304 ] && {{ rm -f -- \"$o\"; exit 0; }}; \
                     if [ -e \"$d\" ]; then chmod \"$(stat -c %a -- \"$d\")\" \"$o\"; else chmod \"$(printf %o $(( 0666 & ~0$um )))\" \"$o\"; fi; \
                     mv -f -- \"$o\" \"$d\" && printf 'W\\0'; {} ;; esac\n",
                    attrs_lines(&attrs)
                );
                after.push_str(
                    "if [ -f \"$o\" ]; then printf 'O\\0'; cat -- \"$o\"; rm -f -- \"$o\"; fi\n",
                );
                (format!("\"$dd/.drover-uri-{token}\""), after)
            }
            None => (
                "\"$w.body\"".to_string(),
                "printf 'O\\0'; cat -- \"$o\" 2>/dev/null; rm -f -- \"$o\"\n".to_string(),
            ),
        };
        if ctx.check_mode {
            // uri does not support check mode in ansible-core: the task is skipped.
            return Ok(crate::no_check_mode(Some(
                "This action (uri) does not support check mode.".into(),
            )));
        }
        let req = Request {
            url: url.clone(),
            method: method.clone(),
            headers,
            body: body.map(String::into_bytes),
            user: aliased(ctx, &["url_username", "user"])?,
            password: aliased(ctx, &["url_password", "password"])?,
            force_basic_auth: args.bool("force_basic_auth", false)?,
            timeout: int_arg(ctx, "timeout", 30)?,
            validate_certs: args.bool("validate_certs", true)?,
            follow_redirects: follow,
            time_cond_file: None,
        };
        let started = std::time::Instant::now();
        let resp = match http::fetch(ctx, &req, &before, &out, &after).await? {
            Fetched::Early(b) => {
                let mut r = result(false);
                let (what, p) = if b.first() == Some(&b'C') {
                    ("exists", creates.unwrap_or_default())
                } else {
                    ("does not exist", removes.unwrap_or_default())
                };
                r.insert(
                    "stdout".into(),
                    json!(format!("skipped, since '{p}' {what}")),
                );
                return Ok(r);
            }
            Fetched::Done(r) => r,
        };
        let mut r = result(false);
        let status: i64 = if resp.error.is_some() {
            -1
        } else {
            i64::from(resp.status)
        };
        // Response headers first, as Ansible merges them under the fixed keys.
        let mut hdrs = Map::new();
        for (k, v) in &resp.headers {
            hdrs.insert(k.replace('-', "_"), json!(v));
        }
        let mut msg = http::msg(&resp);
        r.insert("redirected".into(), json!(resp.redirected));
        r.insert("url".into(), json!(resp.url));
        r.insert("status".into(), json!(status));
        r.insert("elapsed".into(), json!(started.elapsed().as_secs()));
        r.insert("changed".into(), json!(false));
        for (k, v) in hdrs {
            r.entry(k).or_insert(v);
        }
        r.insert("cookies".into(), json!({}));
        r.insert("cookies_string".into(), json!(""));
        if let Some(loc) = r.get("location").and_then(Value::as_str) {
            let joined = join_url(&url, loc);
            r.insert("location".into(), json!(joined));
        }
        // The `extra` records: P<path>, W (written), O then the body bytes.
        let extra = &resp.extra;
        let (records, content) = match find_body(extra) {
            Some(i) => (&extra[..i], Some(&extra[i + 2..])),
            None => (&extra[..], None),
        };
        let recs: Vec<String> = records
            .split(|&b| b == 0)
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .collect();
        if let Some(p) = recs.iter().find_map(|s| s.strip_prefix('P')) {
            r.insert("path".into(), json!(p));
        }
        let written = recs.iter().any(|s| s == "W");
        if written {
            r.insert("changed".into(), json!(true));
            // mode/owner/group were applied in the same script.
        }
        let content_type = resp
            .headers
            .get("content-type")
            .cloned()
            .unwrap_or_default();
        let text = content.map(|c| String::from_utf8_lossy(c).into_owned());
        if let Some(t) = &text {
            if is_json_type(&content_type) {
                if let Ok(v) = serde_json::from_str::<Value>(t) {
                    r.insert("json".into(), v);
                }
            }
        }
        let ok = status_codes.contains(&status);
        if !ok {
            msg = format!(
                "Status code was {status} and not [{}]: {msg}",
                status_codes
                    .iter()
                    .map(|c| c.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        r.insert("msg".into(), json!(msg));
        if return_content || !ok {
            r.insert("content".into(), json!(text.unwrap_or_default()));
        }
        if !ok {
            r.insert("failed".into(), json!(true));
        }
        Ok(r)
    }
}

/// The `O\0` record that starts the body (the body itself may contain anything).
fn find_body(extra: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i < extra.len() {
        if extra[i..].starts_with(b"O\0") {
            return Some(i);
        }
        i += extra[i..].iter().position(|&b| b == 0)? + 1;
    }
    None
}

fn attrs_lines(a: &Attrs) -> String {
    let mut s = String::new();
    if let Some(o) = &a.owner {
        s.push_str(&format!("chown -- {} \"$d\"; ", quote(o)));
    }
    if let Some(g) = &a.group {
        s.push_str(&format!("chgrp -- {} \"$d\"; ", quote(g)));
    }
    if let Some(m) = &a.mode {
        s.push_str(&format!("chmod -- {} \"$d\"; ", quote(m)));
    }
    s.push(':');
    s
}

/// `application/json`, `text/json`, `application/x+json`: the types Ansible parses.
fn is_json_type(ct: &str) -> bool {
    let main = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let sub = main.split('/').nth(1).unwrap_or("");
    let sub = sub.rsplit('+').next().unwrap_or(sub);
    matches!(sub, "json" | "javascript" | "x-javascript" | "x-json")
}

/// `urljoin(base, location)` for the common cases: absolute, root-relative, relative.
fn join_url(base: &str, loc: &str) -> String {
    if loc.contains("://") {
        return loc.to_string();
    }
    let Some((scheme, rest)) = base.split_once("://") else {
        return loc.to_string();
    };
    let host_end = rest.find('/').unwrap_or(rest.len());
    let origin = format!("{scheme}://{}", &rest[..host_end]);
    if loc.starts_with('/') {
        return format!("{origin}{loc}");
    }
    let path = &rest[host_end..];
    let path = path.split(['?', '#']).next().unwrap_or("");
    let dir = &path[..path.rfind('/').map_or(0, |i| i + 1)];
    let dir = if dir.is_empty() { "/" } else { dir };
    format!("{origin}{dir}{loc}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_json_layout() {
        assert_eq!(
            py_json(&json!({"a": [1, "é"], "b": null})),
            r#"{"a": [1, "\u00e9"], "b": null}"#
        );
        assert_eq!(
            form_urlencoded(&json!({"a b": "c&d", "n": 1})).unwrap(),
            "a+b=c%26d&n=1"
        );
        assert!(is_json_type("application/vnd.api+json; charset=utf-8"));
        assert_eq!(join_url("http://h/a/b?x", "c"), "http://h/a/c");
        assert_eq!(join_url("http://h/a/b", "/z"), "http://h/z");
    }
}
