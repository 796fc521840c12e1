//! `get_url`: the host downloads a URL (curl, else wget) to a temp file beside `dest`,
//! checks `checksum`, and replaces `dest` only when the content differs (sha1 compared on
//! the host). One round trip: the destination checks, the request, the comparison, the
//! move and mode/owner/group all run in one script. Check mode sends HEAD, as Ansible.

use async_trait::async_trait;
use drover_connection::quote;
use serde_json::{json, Value};

use crate::http::{self, Fetched, Request};
use crate::lineinfile::supported;
use crate::textfile::{self, Attrs};
use crate::{result, Ctx, Module, ModuleError, ModuleResult};

pub struct GetUrl;

const OPTIONS: &[&str] = &[
    "url",
    "dest",
    "backup",
    "checksum",
    "force",
    "force_basic_auth",
    "headers",
    "http_agent",
    "timeout",
    "tmp_dest",
    "url_username",
    "username",
    "url_password",
    "password",
    "use_proxy",
    "validate_certs",
    "use_gssapi",
    "use_netrc",
    "client_cert",
    "client_key",
    "ciphers",
    "decompress",
    "unredirected_headers",
    "attr",
];

/// Ansible's `url_filename`: the last path component, or `index.html`.
pub(crate) fn url_filename(url: &str) -> String {
    let no_query = url.split(['?', '#']).next().unwrap_or(url);
    let path = no_query
        .split_once("://")
        .map(|(_, rest)| rest.split_once('/').map_or("", |(_, p)| p))
        .unwrap_or(no_query);
    match path.rsplit('/').next() {
        Some(n) if !n.is_empty() => n.to_string(),
        _ => "index.html".into(),
    }
}

pub(crate) fn headers_arg(ctx: &Ctx<'_>) -> Result<Vec<(String, String)>, ModuleError> {
    match ctx.args.get("headers") {
        None => Ok(Vec::new()),
        Some(Value::Object(m)) => Ok(m
            .iter()
            .map(|(k, v)| {
                let v = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                (k.clone(), v)
            })
            .collect()),
        Some(other) => Err(ModuleError::Failed(format!(
            "argument 'headers' is of type {} and we were unable to convert to dict",
            if other.is_string() { "str" } else { "list" }
        ))),
    }
}

pub(crate) fn int_arg(ctx: &Ctx<'_>, key: &str, default: u64) -> Result<u64, ModuleError> {
    match ctx.args.get(key) {
        None => Ok(default),
        Some(Value::Number(n)) => n
            .as_f64()
            .map(|f| f.max(0.0) as u64)
            .ok_or_else(|| ModuleError::Failed(format!("bad {key}"))),
        Some(Value::String(s)) => s.trim().parse().map_err(|_| {
            ModuleError::Failed(format!(
                "argument '{key}' is of type str and we were unable to convert to int"
            ))
        }),
        Some(_) => Err(ModuleError::Failed(format!(
            "argument '{key}' could not be converted to int"
        ))),
    }
}

#[async_trait]
impl Module for GetUrl {
    fn name(&self) -> &'static str {
        "get_url"
    }

    async fn run(&self, ctx: &Ctx<'_>) -> Result<ModuleResult, ModuleError> {
        supported(ctx, "get_url", OPTIONS)?;
        let args = &ctx.args;
        let url = args.required_str("url")?;
        let dest = args.required_str("dest")?;
        let dest = textfile::expand_user(ctx, &dest).await?;
        let force = args.bool("force", false)?;
        let backup = args.bool("backup", false)?;
        let attrs = Attrs::from_args(ctx)?;
        if let Some(r) = attrs.invalid_mode() {
            return Ok(r);
        }
        let mut headers = headers_arg(ctx)?;
        let agent = args
            .str("http_agent")?
            .unwrap_or_else(|| "ansible-httpget".into());
        headers.push(("User-Agent".into(), agent));
        let mut base = result(false);
        base.insert("checksum_dest".into(), Value::Null);
        base.insert("checksum_src".into(), Value::Null);
        base.insert("dest".into(), json!(dest));
        base.insert("elapsed".into(), json!(0));
        base.insert("url".into(), json!(url));
        let fail = |mut r: ModuleResult, msg: String| {
            r.insert("failed".into(), json!(true));
            r.insert("msg".into(), json!(msg));
            Ok(r)
        };
        let (algo, sum) = match args.str("checksum")?.filter(|c| !c.is_empty()) {
            None => (String::new(), String::new()),
            Some(c) => {
                let Some((a, s)) = c.split_once(':') else {
                    return fail(
                        base,
                        "The checksum parameter has to be in format <algorithm>:<checksum>".into(),
                    );
                };
                if s.contains("://") {
                    return Err(ModuleError::Failed(
                        "drover's get_url does not fetch checksum files from URLs yet".into(),
                    ));
                }
                let s: String = s
                    .chars()
                    .filter(|c| c.is_alphanumeric() || *c == '_')
                    .collect::<String>()
                    .to_lowercase();
                if s.is_empty() || !s.chars().all(|c| c.is_ascii_hexdigit()) {
                    return fail(base, "The checksum format is invalid".into());
                }
                let a = a.to_ascii_lowercase();
                if !matches!(
                    a.as_str(),
                    "md5" | "sha1" | "sha224" | "sha256" | "sha384" | "sha512"
                ) {
                    return fail(
                        base,
                        format!("Could not hash file '{dest}' with algorithm '{a}'. Available algorithms: md5, sha1, sha224, sha256, sha384, sha512"),
                    );
                }
                (a, s)
            }
        };
        let sumcmd = |file: &str| -> String { format!("$({algo}sum < {file} | cut -d' ' -f1)") };
        let token = textfile::token();
        let no_attrs = Attrs::default();
        // Where the download lands: dest itself, or dest/<url filename> when dest is a
        // directory (Ansible also honours Content-Disposition there; drover does not).
        let before = format!(
            r#"d0={dest_q}
if [ -d "$d0" ]; then isdir=1; d="${{d0%/}}/"{fname}; else isdir=; d=$d0; fi
dd=$(dirname -- "$d")
if [ ! -d "$dd" ]; then printf 'XNODIR%s' "$dd"; exit 0; fi
if [ -z "$isdir" ] && [ -e "$d" ]; then
  {checksum_shortcut}
  {force_check}
fi
tc=$d"#,
            dest_q = quote(&dest),
            fname = quote(&url_filename(&url)),
            checksum_shortcut = if !force && !sum.is_empty() {
                format!(
                    "if [ \"{}\" = {} ]; then printf 'XEXISTS%s\\0' \"$d\"; {} exit 0; fi",
                    sumcmd("\"$d\""),
                    quote(&sum),
                    // Check mode changes nothing, attributes included.
                    attrs_script(if ctx.check_mode { &no_attrs } else { &attrs }, "$d", true),
                )
            } else {
                String::new()
            },
            force_check = if force || !sum.is_empty() {
                ":"
            } else {
                "usetc=1"
            },
        );
        let mut after = String::from(
            "printf 'd%s\\0' \"$d\"; printf 'Z%s\\0' \"$status\"; case \"$status\" in 200) ;; *) rm -f -- \"$o\"; exit 0;; esac\n\
             cs=$(sha1sum < \"$o\" | cut -d' ' -f1); printf 'S%s\\0' \"$cs\"; cd=\n\
             if [ -e \"$d\" ]; then cd=$(sha1sum < \"$d\" | cut -d' ' -f1); printf 'D%s\\0' \"$cd\"; fi\n",
        );
        if ctx.check_mode {
            after.push_str("rm -f -- \"$o\"; exit 0\n");
        } else {
            if !sum.is_empty() {
                after.push_str(&format!(
                    "c={}; if [ \"$c\" != {} ]; then rm -f -- \"$o\"; printf 'C%s\\0' \"$c\"; exit 0; fi\n",
                    sumcmd("\"$o\""),
                    quote(&sum)
                ));
            }
            after.push_str("if [ \"$cs\" != \"$cd\" ]; then\n");
            if backup {
                after.push_str(
                    "  if [ -e \"$d\" ]; then b=\"$d.$$.$(date +%Y-%m-%d@%H:%M:%S)~\"; cp -p -- \"$d\" \"$b\" && printf 'B%s\\0' \"$b\"; fi\n",
                );
            }
            after.push_str(
                "  if [ -e \"$d\" ]; then chmod \"$(stat -c %a -- \"$d\")\" \"$o\"; chown \"$(stat -c %u:%g -- \"$d\")\" \"$o\" 2>/dev/null; \
                 else chmod \"$(printf %o $(( 0666 & ~0$um )))\" \"$o\"; fi\n\
                 mv -f -- \"$o\" \"$d\" || { rm -f -- \"$o\"; printf 'F\\0'; exit 0; }; printf 'M\\0'\n\
                 else rm -f -- \"$o\"; fi\n",
            );
            after.push_str(&attrs_script(&attrs, "$d", false));
            after.push_str("printf 'I%s\\0' \"$(stat -c '%s %a %u %g %U %G' -- \"$d\")\"; printf 'Q%s\\0' \"$(md5sum < \"$d\" | cut -d' ' -f1)\"\n");
        }
        let req = Request {
            url: url.clone(),
            method: if ctx.check_mode { "HEAD" } else { "GET" }.into(),
            headers,
            body: None,
            user: crate::lineinfile::aliased(ctx, &["url_username", "username"])?,
            password: crate::lineinfile::aliased(ctx, &["url_password", "password"])?,
            force_basic_auth: args.bool("force_basic_auth", false)?,
            timeout: int_arg(ctx, "timeout", 10)?,
            validate_certs: args.bool("validate_certs", true)?,
            follow_redirects: true,
            time_cond_file: Some(dest.clone()),
        };
        let started = std::time::Instant::now();
        let out = format!("\"$dd/.drover-get-{token}\"");
        let resp = match http::fetch(ctx, &req, &before, &out, &after).await? {
            Fetched::Early(b) => return early(base, &b, ctx.check_mode),
            Fetched::Done(r) => r,
        };
        base.insert("elapsed".into(), json!(started.elapsed().as_secs()));
        let marks = marks(&resp.extra);
        let final_dest = marks.get(&b'd').cloned();
        if let Some(d) = &final_dest {
            base.insert("dest".into(), json!(d));
        }
        if let Some(e) = &resp.error {
            base.insert("status_code".into(), json!(-1));
            return fail(base, format!("Request failed: <urlopen error {e}>"));
        }
        let msg = http::msg(&resp);
        if resp.status == 304 {
            base.insert("status_code".into(), json!(304));
            base.insert("msg".into(), json!(msg));
            return Ok(base);
        }
        if resp.status != 200 {
            base.insert("status_code".into(), json!(resp.status));
            base.insert("response".into(), json!(msg));
            return fail(base, "Request failed".into());
        }
        let src = marks.get(&b'S').cloned();
        let dst = marks.get(&b'D').cloned();
        base.insert("checksum_src".into(), json!(src));
        if dst.is_some() {
            base.insert("checksum_dest".into(), json!(dst));
        }
        base.insert("status_code".into(), json!(resp.status));
        if ctx.check_mode {
            base.insert("changed".into(), json!(dst.is_none() || src != dst));
            base.insert("msg".into(), json!(msg));
            return Ok(base);
        }
        if let Some(c) = marks.get(&b'C') {
            return fail(
                base,
                format!("The checksum for {} did not match {sum}; it was {c}.", dest),
            );
        }
        if marks.contains_key(&b'F') {
            return fail(base, format!("failed to copy the download to {dest}"));
        }
        let mut changed = marks.contains_key(&b'M');
        if let Some(b) = marks.get(&b'B') {
            base.insert("backup_file".into(), json!(b));
        }
        if attrs_changed(&marks) {
            changed = true;
        }
        file_info(&mut base, &marks);
        base.insert("changed".into(), json!(changed));
        base.insert("msg".into(), json!(msg));
        Ok(base)
    }
}

/// Shell lines applying mode/owner/group to `file`, printing `A<before>\0A<after>\0`.
fn attrs_script(attrs: &Attrs, file: &str, early: bool) -> String {
    if attrs.is_empty() {
        return String::new();
    }
    let st = format!("\"$(stat -c '%a %u %g %U %G' -- \"{file}\")\"");
    let mut s = format!("printf 'A%s\\0' {st}; ");
    if let Some(o) = &attrs.owner {
        s.push_str(&format!("chown -- {} \"{file}\"; ", quote(o)));
    }
    if let Some(g) = &attrs.group {
        s.push_str(&format!("chgrp -- {} \"{file}\"; ", quote(g)));
    }
    if let Some(m) = &attrs.mode {
        s.push_str(&format!("chmod -- {} \"{file}\"; ", quote(m)));
    }
    s.push_str(&format!("printf 'A%s\\0' {st};"));
    if !early {
        s.push('\n');
    }
    s
}

/// `K<value>\0` records printed by the scripts, last one per key (`A` keeps both).
fn marks(extra: &[u8]) -> std::collections::HashMap<u8, String> {
    let mut m = std::collections::HashMap::new();
    let mut attrs = Vec::new();
    for rec in extra.split(|&b| b == 0) {
        if let Some((&k, v)) = rec.split_first() {
            let v = String::from_utf8_lossy(v).into_owned();
            if k == b'A' {
                attrs.push(v);
            } else {
                m.insert(k, v);
            }
        }
    }
    if attrs.len() == 2 {
        m.insert(b'a', attrs[0].clone());
        m.insert(b'z', attrs[1].clone());
    }
    m
}

fn attrs_changed(m: &std::collections::HashMap<u8, String>) -> bool {
    match (m.get(&b'a'), m.get(&b'z')) {
        (Some(a), Some(z)) => a != z,
        _ => false,
    }
}

fn file_info(r: &mut ModuleResult, m: &std::collections::HashMap<u8, String>) {
    if let Some(i) = m.get(&b'I') {
        let f: Vec<&str> = i.split_whitespace().collect();
        if f.len() == 6 {
            r.insert("size".into(), json!(f[0].parse::<u64>().unwrap_or(0)));
            r.insert("mode".into(), json!(format!("0{}", f[1])));
            r.insert("uid".into(), json!(f[2].parse::<u64>().unwrap_or(0)));
            r.insert("gid".into(), json!(f[3].parse::<u64>().unwrap_or(0)));
            r.insert("owner".into(), json!(f[4]));
            r.insert("group".into(), json!(f[5]));
            r.insert("state".into(), json!("file"));
        }
    }
    if let Some(q) = m.get(&b'Q') {
        r.insert("md5sum".into(), json!(q));
    }
}

/// The destination checks ended the script before any request.
fn early(mut r: ModuleResult, b: &[u8], check: bool) -> Result<ModuleResult, ModuleError> {
    let text = String::from_utf8_lossy(b).into_owned();
    if let Some(dir) = text.strip_prefix("NODIR") {
        r.insert("failed".into(), json!(true));
        r.insert(
            "msg".into(),
            json!(format!("Destination {dir} does not exist")),
        );
        return Ok(r);
    }
    let m = marks(b);
    let changed = attrs_changed(&m) && !check;
    r.insert("changed".into(), json!(changed));
    r.insert(
        "msg".into(),
        json!(if changed {
            "file already exists but file attributes changed"
        } else {
            "file already exists"
        }),
    );
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::url_filename;

    #[test]
    fn filenames() {
        assert_eq!(url_filename("http://h/a/b.tar.gz?x=1"), "b.tar.gz");
        assert_eq!(url_filename("http://h/"), "index.html");
        assert_eq!(url_filename("http://h"), "index.html");
    }
}
