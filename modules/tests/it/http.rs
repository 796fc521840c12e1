//! get_url and uri against a real sshd host, talking to a small local HTTP server
//! (Python's http.server with a handler for echo, redirects, auth and status codes).

use crate::common;

use std::process::{Child, Command, Stdio};

use common::TestHost;
use serde_json::json;

const SERVER: &str = r#"
import base64, http.server, json, os, sys
root = sys.argv[2]
class H(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *a, **k):
        super().__init__(*a, directory=root, **k)
    def log_message(self, *a):
        pass
    def _send(self, code, body, ctype="application/json", extra=()):
        b = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(b)))
        self.send_header("X-Test-Header", "yes")
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(b)
    def do_GET(self):
        if self.path.startswith("/status/"):
            return self._send(int(self.path.split("/")[2]), '{"status": "custom"}')
        if self.path == "/redirect":
            self.send_response(302); self.send_header("Location", "/json"); self.send_header("Content-Length", "0"); self.end_headers(); return
        if self.path == "/json":
            return self._send(200, json.dumps({"hello": "world", "n": [1, 2]}))
        if self.path == "/auth":
            want = "Basic " + base64.b64encode(b"user:p@ss w'rd").decode()
            if self.headers.get("Authorization") != want:
                self.send_response(401); self.send_header("WWW-Authenticate", 'Basic realm="x"'); self.send_header("Content-Length", "0"); self.end_headers(); return
            return self._send(200, '{"auth": "ok"}')
        if self.path == "/headers":
            return self._send(200, json.dumps({"x_custom": self.headers.get("X-Custom"), "ua": self.headers.get("User-Agent")}))
        return super().do_GET()
    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode()
        return self._send(201, json.dumps({"body": body, "ctype": self.headers.get("Content-Type"), "method": "POST"}))
    do_PUT = do_POST
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
"#;

struct Server {
    child: Child,
    port: u16,
    dir: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn server() -> Server {
    let dir = std::env::temp_dir().join(format!(
        "drover-http-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    // The sshd's login user is not the test process's user: let it write here.
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    std::fs::write(dir.join("file.txt"), b"content one\n").unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("python3")
        .arg("-c")
        .arg(SERVER)
        .arg(port.to_string())
        .arg(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 for the test HTTP server");
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    Server {
        child,
        port,
        dir: dir.to_string_lossy().into_owned(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn get_url_downloads_once_checks_checksum_and_mode() {
    let host = TestHost::ssh().await;
    let srv = server();
    let url = format!("http://127.0.0.1:{}/file.txt", srv.port);
    let out = format!("{}/out dir", srv.dir);
    std::fs::create_dir_all(&out).unwrap();
    std::fs::set_permissions(&out, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    let dest = format!("{out}/got 'it'.txt");
    let r = host
        .run("get_url", json!({"url": url, "dest": dest}), true, false)
        .await
        .unwrap();
    assert_eq!(r["changed"], true, "{r:?}");
    assert!(!std::path::Path::new(&dest).exists());
    let r = host
        .ok("get_url", json!({"url": url, "dest": dest, "mode": "0640"}))
        .await;
    assert_eq!(r["changed"], true, "{r:?}");
    assert_eq!(r["status_code"], 200);
    assert_eq!(r["msg"], "OK (12 bytes)");
    assert_eq!(
        r["checksum_src"],
        "2bc95f8cb826362f9eaf005e302ae2e3c5e87395"
    );
    assert_eq!(std::fs::read(&dest).unwrap(), b"content one\n");
    assert_eq!(r["mode"], "0640");
    // Same content again: unchanged (If-Modified-Since answered 304 or same sha1).
    let r = host.ok("get_url", json!({"url": url, "dest": dest})).await;
    assert_eq!(r["changed"], false, "{r:?}");
    let r = host
        .ok("get_url", json!({"url": url, "dest": dest, "force": true}))
        .await;
    assert_eq!(r["changed"], false, "same content, force: {r:?}");
    // checksum matching the file on disk: no request at all.
    let sha = "sha256:f4b6e5c2b7b1d0c4b5a4a0a1d0b5c9d4f1e0a3c2b1a0f9e8d7c6b5a4f3e2d1c0";
    let real = format!(
        "sha256:{}",
        host.sh(&format!(
            "sha256sum < '{}' | cut -d' ' -f1",
            dest.replace('\'', "'\\''")
        ))
        .await
        .trim()
    );
    let r = host
        .ok(
            "get_url",
            json!({"url": url, "dest": dest, "checksum": real}),
        )
        .await;
    assert_eq!(r["msg"], "file already exists");
    // A wrong checksum fails without replacing the file.
    std::fs::write(&dest, b"old").unwrap();
    let r = host
        .ok(
            "get_url",
            json!({"url": url, "dest": dest, "checksum": sha}),
        )
        .await;
    assert_eq!(r["failed"], true, "{r:?}");
    assert!(r["msg"].as_str().unwrap().contains("did not match"));
    assert_eq!(std::fs::read(&dest).unwrap(), b"old");
    // Into a directory: the URL's file name.
    let r = host.ok("get_url", json!({"url": url, "dest": out})).await;
    assert_eq!(r["dest"], format!("{out}/file.txt"));
    let r = host
        .ok(
            "get_url",
            json!({"url": format!("http://127.0.0.1:{}/missing", srv.port), "dest": format!("{out}/m")}),
        )
        .await;
    assert_eq!(
        (
            r["failed"].clone(),
            r["status_code"].clone(),
            r["msg"].clone()
        ),
        (json!(true), json!(404), json!("Request failed"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn uri_methods_json_status_auth_redirects() {
    let host = TestHost::ssh().await;
    let srv = server();
    let base = format!("http://127.0.0.1:{}", srv.port);
    let r = host.ok("uri", json!({"url": format!("{base}/json")})).await;
    assert_eq!(r["status"], 200);
    assert_eq!(r["json"], json!({"hello": "world", "n": [1, 2]}));
    assert_eq!(r["x_test_header"], "yes");
    assert_eq!(r["content_type"], "application/json");
    assert_eq!(r["redirected"], false);
    assert!(r.get("content").is_none());
    let r = host
        .ok(
            "uri",
            json!({"url": format!("{base}/json"), "method": "POST", "body_format": "json",
                   "body": {"a": "it's $x `y`", "b": [1]}, "status_code": [201], "return_content": true}),
        )
        .await;
    assert_eq!(r["status"], 201, "{r:?}");
    assert_eq!(r["json"]["body"], r#"{"a": "it's $x `y`", "b": [1]}"#);
    assert_eq!(r["json"]["ctype"], "application/json");
    assert!(r["content"].as_str().unwrap().contains("POST"));
    let r = host
        .ok(
            "uri",
            json!({"url": format!("{base}/x"), "method": "POST", "body_format": "form-urlencoded",
                   "body": {"k": "a b&c"}, "status_code": "201"}),
        )
        .await;
    assert_eq!(r["json"]["body"], "k=a+b%26c");
    let r = host
        .ok("uri", json!({"url": format!("{base}/status/404")}))
        .await;
    assert_eq!(r["failed"], true);
    assert_eq!(r["status"], 404);
    assert_eq!(
        r["msg"],
        "Status code was 404 and not [200]: HTTP Error 404: Not Found"
    );
    assert!(r["content"].is_string());
    let r = host
        .ok("uri", json!({"url": format!("{base}/redirect")}))
        .await;
    assert_eq!(r["redirected"], true);
    assert_eq!(r["url"], format!("{base}/json"));
    let r = host
        .ok(
            "uri",
            json!({"url": format!("{base}/redirect"), "follow_redirects": "none", "status_code": [302]}),
        )
        .await;
    assert_eq!(r["status"], 302);
    assert_eq!(r["location"], format!("{base}/json"));
    let r = host
        .ok(
            "uri",
            json!({"url": format!("{base}/auth"), "url_username": "user", "url_password": "p@ss w'rd", "force_basic_auth": true}),
        )
        .await;
    assert_eq!(r["json"]["auth"], "ok", "{r:?}");
    let r = host
        .ok(
            "uri",
            json!({"url": format!("{base}/headers"), "headers": {"X-Custom": "v \"q\""}}),
        )
        .await;
    assert_eq!(r["json"]["x_custom"], "v \"q\"");
    assert_eq!(r["json"]["ua"], "ansible-httpget");
    let dest = format!("{}/saved.json", srv.dir);
    let r = host
        .ok("uri", json!({"url": format!("{base}/json"), "dest": dest}))
        .await;
    assert_eq!(
        (r["changed"].clone(), r["path"].clone()),
        (json!(true), json!(dest))
    );
    assert!(std::fs::read_to_string(&dest).unwrap().contains("hello"));
    let r = host.ok("uri", json!({"url": "http://127.0.0.1:1/x"})).await;
    assert_eq!(r["status"], -1);
    assert_eq!(r["failed"], true);
    let r = host
        .run("uri", json!({"url": format!("{base}/json")}), true, false)
        .await
        .unwrap();
    assert_eq!(r["skipped"], true);
}
