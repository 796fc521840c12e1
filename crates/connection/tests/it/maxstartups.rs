//! Many hosts behind one sshd: MaxStartups drops must be retried.
use crate::common;

use common::{connect, params, without_agent};
use drover_testsupport::{drover_home, test_user, SshServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_connects_survive_maxstartups_drops() {
    without_agent();
    // Beyond 3 unauthenticated connections, sshd drops every new one.
    let server = SshServer::start_custom(&test_user(), "MaxStartups 3:100:3\nLogLevel VERBOSE");
    let home = drover_home();
    let p = params(&server, &home.path().join("kh"));
    let mut tasks = Vec::new();
    for _ in 0..24 {
        let p = p.clone();
        tasks.push(tokio::spawn(async move {
            let conn = connect(p).await?;
            conn.exec("echo up", None, None).await
        }));
    }
    for t in tasks {
        let out = t.await.expect("join").expect("connect despite MaxStartups");
        assert_eq!(out.stdout, b"up\n");
    }
    assert!(
        server.log().contains("drop connection") || server.log().contains("MaxStartups"),
        "the server never dropped a connection, the test proves nothing: {}",
        server.log()
    );
}
