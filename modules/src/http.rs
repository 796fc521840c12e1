//! HTTP requests made by the host itself (get_url, uri), with curl or else wget, in one
//! round trip. Secrets never reach a process's arguments: curl reads its options (URL,
//! credentials, headers, body) from `--config -` on stdin; wget gets credentials from a
//! 0600 wgetrc file named by `WGETRC`, removed right after.

use indexmap::IndexMap;

use drover_connection::quote;

use crate::{Ctx, ModuleError};

#[derive(Default)]
pub struct Request {
    pub url: String,
    pub method: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    pub user: Option<String>,
    pub password: Option<String>,
    /// Send credentials with the first request instead of waiting for a 401 challenge.
    pub force_basic_auth: bool,
    pub timeout: u64,
    pub validate_certs: bool,
    pub follow_redirects: bool,
    /// Ask only for a change since this file's mtime (`If-Modified-Since`).
    pub time_cond_file: Option<String>,
}

pub struct Response {
    pub status: u16,
    /// The URL after redirects.
    pub url: String,
    pub redirected: bool,
    /// The final response's headers, names lowercased, in their order.
    pub headers: IndexMap<String, String>,
    /// The tool's own error (connection refused, timeout, TLS), when there was no answer.
    pub error: Option<String>,
    /// What the shell lines after the request printed (`after` in [`fetch`]).
    pub extra: Vec<u8>,
}

pub const NO_TOOL: &str = "neither curl nor wget is installed on the host";

/// curl's config file syntax: a double-quoted string with backslash escapes.
fn curl_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

/// wgetrc values are taken to the end of the line.
fn wgetrc_ok(s: &str) -> bool {
    !s.contains('\n') && !s.contains('\r')
}

/// Run the request on the host, the body saved to the host file `out` (a shell word
/// already quoted), then run `after` (shell lines that may use "$o" for the body file and
/// "$status" for the HTTP status) and return what it printed in `extra`.
/// `before` runs first and may end the script early by printing `X...` (returned as
/// [`Fetched::Early`]); it may set `usetc=1` to send `If-Modified-Since` from
/// `time_cond_file`.
pub async fn fetch(
    ctx: &Ctx<'_>,
    req: &Request,
    before: &str,
    out: &str,
    after: &str,
) -> Result<Fetched, ModuleError> {
    let mut cfg = String::new();
    cfg.push_str(&format!("url = {}\n", curl_str(&req.url)));
    cfg.push_str(&format!("request = {}\n", curl_str(&req.method)));
    if req.method == "HEAD" {
        cfg.push_str("head\n");
    }
    for (k, v) in &req.headers {
        cfg.push_str(&format!("header = {}\n", curl_str(&format!("{k}: {v}"))));
    }
    if let Some(u) = &req.user {
        let p = req.password.clone().unwrap_or_default();
        cfg.push_str(&format!("user = {}\n", curl_str(&format!("{u}:{p}"))));
        if !req.force_basic_auth {
            cfg.push_str("anyauth\n");
        }
    }
    if req.timeout > 0 {
        cfg.push_str(&format!("max-time = {}\n", req.timeout));
    }
    if !req.validate_certs {
        cfg.push_str("insecure\n");
    }
    if req.follow_redirects {
        cfg.push_str("location\nmax-redirs = 10\n");
    }
    let tc_line = req
        .time_cond_file
        .as_deref()
        .map(|f| format!("time-cond = {}", curl_str(f)))
        .unwrap_or_default();
    if req.body.is_some() {
        // The body file is made on the host; its name replaces this placeholder there.
        cfg.push_str("data-binary = \"@DROVER_BODY_FILE\"\n");
    }
    // stdin: the config's length on a line, the config, then the body bytes.
    let has_body = req.body.is_some();
    let mut stdin = format!("{}\n{cfg}", cfg.len()).into_bytes();
    if let Some(b) = &req.body {
        stdin.extend_from_slice(b);
    }

    let mut wget = String::from("wget -q -S -O \"$o\"");
    wget.push_str(&format!(" --timeout={}", req.timeout.max(1)));
    wget.push_str(&format!(" --method={}", quote(&req.method)));
    if !req.validate_certs {
        wget.push_str(" --no-check-certificate");
    }
    if !req.follow_redirects {
        wget.push_str(" --max-redirect=0");
    }
    for (k, v) in &req.headers {
        wget.push_str(&format!(" --header={}", quote(&format!("{k}: {v}"))));
    }
    if has_body {
        wget.push_str(" --body-file=\"$bf\"");
    }
    if req.force_basic_auth {
        wget.push_str(" --auth-no-challenge");
    }
    wget.push_str(&format!(" -- {}", quote(&req.url)));
    let mut wgetrc = String::new();
    if let (Some(u), true) = (&req.user, wgetrc_ok(req.user.as_deref().unwrap_or(""))) {
        wgetrc.push_str(&format!("user = {u}\n"));
        let p = req.password.clone().unwrap_or_default();
        if !wgetrc_ok(&p) {
            return Err(ModuleError::Failed(
                "url_password with a newline cannot be passed to wget".into(),
            ));
        }
        wgetrc.push_str(&format!("password = {p}\n"));
    }
    wget.push_str(" ${ims:+\"--header=$ims\"}");

    let script = format!(
        r#"um=$(umask); umask 077; usetc=; tc={tc}
{before}
w=$(mktemp) || exit 70; h=$(mktemp) || exit 70; o={out}
trap 'rm -f "$w" "$h" "$bf" "$rc"' EXIT
bf=; rc=; ims=
if command -v curl >/dev/null 2>&1; then
  {split_stdin}
  if [ -n "$usetc" ] && [ -e "$tc" ]; then printf '%s\n' {tc_line} >> "$w"; fi
  e=$(sed "s|@DROVER_BODY_FILE|@$bf|" "$w" | curl -sS --config - -o "$o" -D "$h" -w '%{{http_code}} %{{num_redirects}} %{{url_effective}}' 2>&1 >"$w.out"); cr=$?
  wo=$(cat "$w.out"); rm -f "$w.out"
  printf 'Tcurl %s\0%s\0%s\0' "$cr" "$wo" "$e"; cat "$h"; printf '\0'
  status=${{wo%% *}}
elif command -v wget >/dev/null 2>&1; then
  {split_stdin}
  if [ -n "$usetc" ] && [ -e "$tc" ]; then ims="If-Modified-Since: $(date -u -r "$tc" '+%a, %d %b %Y %H:%M:%S GMT')"; fi
  rc=$(mktemp) || exit 70; printf %s {wgetrc} > "$rc"
  WGETRC=$rc {wget} 2>"$h"; cr=$?
  printf 'Twget %s\0\0\0' "$cr"; cat "$h"; printf '\0'
  status=$(sed -n 's/^ *HTTP\/[0-9.]* \([0-9][0-9][0-9]\).*/\1/p' "$h" | tail -n 1)
else
  printf 'Tnone\0'; exit 0
fi
{after}"#,
        tc = quote(req.time_cond_file.as_deref().unwrap_or("")),
        tc_line = quote(&tc_line),
        wgetrc = quote(&wgetrc),
        split_stdin = if has_body {
            r#"read n; dd bs=1 count="$n" of="$w" 2>/dev/null; bf=$(mktemp) || exit 70; cat > "$bf""#
        } else {
            r#"read n; dd bs=1 count="$n" of="$w" 2>/dev/null"#
        },
    );
    let o = ctx.exec(&script, Some(&stdin)).await?;
    if o.rc == 70 {
        return Err(ModuleError::Failed("mktemp failed on the host".into()));
    }
    if o.stdout.first() == Some(&b'X') {
        return Ok(Fetched::Early(o.stdout[1..].to_vec()));
    }
    if o.rc != 0 && o.stdout.is_empty() {
        return Err(ModuleError::Failed(format!(
            "request script failed (rc {}): {}",
            o.rc,
            String::from_utf8_lossy(&o.stderr).trim()
        )));
    }
    parse(&o.stdout, &req.url).map(Fetched::Done)
}

pub enum Fetched {
    Early(Vec<u8>),
    Done(Response),
}

fn parse(stdout: &[u8], url: &str) -> Result<Response, ModuleError> {
    let mut parts = stdout.splitn(5, |&b| b == 0);
    let head = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    if head == "Tnone" {
        return Err(ModuleError::Failed(NO_TOOL.into()));
    }
    let (tool, code) = head[1..].split_once(' ').unwrap_or(("", ""));
    let write_out = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let err = String::from_utf8_lossy(parts.next().unwrap_or_default())
        .trim()
        .to_string();
    let hdr = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let extra = parts.next().unwrap_or_default().to_vec();
    let mut resp = Response {
        status: 0,
        url: url.to_string(),
        redirected: false,
        headers: IndexMap::new(),
        error: None,
        extra,
    };
    // The last response block: redirects and `100 Continue` come before it.
    let mut block: Vec<&str> = Vec::new();
    for line in hdr.lines() {
        let l = line.trim_end_matches('\r');
        let t = l.trim_start();
        if t.starts_with("HTTP/") {
            block.clear();
        }
        if !t.is_empty() {
            block.push(t);
        }
    }
    let mut blocks_seen = 0;
    for line in hdr.lines() {
        if line.trim_start().starts_with("HTTP/") {
            blocks_seen += 1;
        }
    }
    for (i, l) in block.iter().enumerate() {
        if i == 0 {
            resp.status = l
                .split_whitespace()
                .nth(1)
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            continue;
        }
        if let Some((k, v)) = l.split_once(':') {
            resp.headers
                .insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    if tool == "curl" {
        let mut w = write_out.splitn(3, ' ');
        let status: u16 = w.next().and_then(|s| s.parse().ok()).unwrap_or(0);
        let redirects: u32 = w.next().and_then(|s| s.parse().ok()).unwrap_or(0);
        if let Some(u) = w.next().filter(|u| !u.is_empty()) {
            resp.url = u.to_string();
        }
        if status != 0 {
            resp.status = status;
        }
        resp.redirected = redirects > 0;
        if code != "0" && resp.status == 0 {
            resp.error = Some(if err.is_empty() {
                format!("curl exited with {code}")
            } else {
                err.trim_start_matches("curl: ").to_string()
            });
        }
    } else {
        resp.redirected = blocks_seen > 1;
        if let Some(loc) = resp.headers.get("location").filter(|_| resp.redirected) {
            resp.url = loc.clone();
        }
        if code != "0" && resp.status == 0 {
            resp.error = Some(format!("wget exited with {code}"));
        }
    }
    Ok(resp)
}

/// Python's `http.client` reason phrase, for Ansible's `HTTP Error 404: Not Found`.
pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "",
    }
}

/// Ansible's `msg` for a finished request: `OK (N bytes)` or `HTTP Error N: reason`.
pub fn msg(resp: &Response) -> String {
    if let Some(e) = &resp.error {
        return format!("Request failed: <urlopen error {e}>");
    }
    if resp.status < 400 {
        let len = resp
            .headers
            .get("content-length")
            .cloned()
            .unwrap_or_else(|| "unknown".into());
        format!("OK ({len} bytes)")
    } else {
        format!("HTTP Error {}: {}", resp.status, reason(resp.status))
    }
}
