use crate::common;

use std::sync::Arc;

use common::{connect, params, without_agent};
use drover_connection::quote;
use drover_testsupport::{drover_home, SshServer};

#[tokio::test]
async fn exec_returns_stdout_stderr_and_rc() {
    without_agent();
    let server = SshServer::start();
    let home = drover_home();
    let conn = connect(params(&server, &home.path().join("kh")))
        .await
        .expect("connect");
    let out = conn
        .exec("echo out; echo err >&2; id -un; exit 3", None, None)
        .await
        .expect("exec");
    assert_eq!(out.rc, 3);
    assert_eq!(out.stdout, format!("out\n{}\n", server.user).into_bytes());
    assert_eq!(out.stderr, b"err\n");
    conn.close().await;
    assert!(conn.exec("true", None, None).await.is_err());
}

#[tokio::test]
async fn large_stdout_and_streamed_stdin() {
    without_agent();
    let server = SshServer::start();
    let home = drover_home();
    let conn = connect(params(&server, &home.path().join("kh")))
        .await
        .expect("connect");
    let out = conn
        .exec("head -c 3000000 /dev/zero | tr '\\0' x", None, None)
        .await
        .expect("exec");
    assert_eq!(out.rc, 0);
    assert_eq!(out.stdout.len(), 3_000_000);
    assert!(out.stdout.iter().all(|&b| b == b'x'));

    // 5 MB in while the same amount comes back out: needs concurrent
    // writing and reading, or the channel window stalls both sides.
    let input: Vec<u8> = (0..5_000_000u32).map(|i| (i % 251) as u8).collect();
    let out = conn.exec("cat", Some(&input), None).await.expect("cat");
    assert_eq!(out.rc, 0);
    assert!(out.stdout == input, "stdin did not round-trip");

    let out = conn.exec("wc -c", Some(&input), None).await.expect("wc");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "5000000");

    // A command that ignores its stdin must still finish.
    let out = conn.exec("true", Some(&input), None).await.expect("true");
    assert_eq!(out.rc, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_concurrent_execs_on_ten_channels() {
    without_agent();
    let server = SshServer::start();
    let home = drover_home();
    let mut p = params(&server, &home.path().join("kh"));
    p.max_channels = 10;
    let conn = connect(p).await.expect("connect");
    let mut tasks = Vec::new();
    for i in 0..30 {
        let conn = Arc::clone(&conn);
        tasks.push(tokio::spawn(async move {
            let cmd = format!("sleep 0.2; printf %s {}", quote(&format!("job {i}")));
            conn.exec(&cmd, None, None).await
        }));
    }
    for (i, t) in tasks.into_iter().enumerate() {
        let out = t.await.expect("join").expect("exec");
        assert_eq!(out.stdout, format!("job {i}").into_bytes());
    }
}
