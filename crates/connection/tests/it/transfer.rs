use crate::common;

use common::{connect, params, without_agent};
use drover_connection::{quote, ConnError};
use drover_testsupport::{drover_home, SshServer};

#[tokio::test]
async fn put_get_round_trip_of_binary_to_awkward_path() {
    without_agent();
    let server = SshServer::start();
    let home = drover_home();
    let conn = connect(params(&server, &home.path().join("kh")))
        .await
        .expect("connect");
    let dir = format!("/tmp/drover put {}'s \"dir\"", server.port);
    conn.exec(&format!("mkdir -p {}", quote(&dir)), None, None)
        .await
        .expect("mkdir");
    let dest = format!("{dir}/file with 'quotes' and spaces.bin");
    let data: Vec<u8> = (0..70_000u32).map(|i| (i * 7 % 256) as u8).collect();
    assert!(std::str::from_utf8(&data).is_err());
    conn.put(&data, &dest, Some(0o640), None)
        .await
        .expect("put");
    let back = conn.get(&dest, None).await.expect("get");
    assert!(back == data, "bytes changed in transit");

    let ls = conn
        .exec(
            &format!("ls -A {} && stat -c %a {}", quote(&dir), quote(&dest)),
            None,
            None,
        )
        .await
        .expect("ls");
    let listing = String::from_utf8_lossy(&ls.stdout);
    assert_eq!(
        listing, "file with 'quotes' and spaces.bin\n640\n",
        "mode not applied or temp file left behind"
    );

    // Overwrite without a mode keeps the existing mode.
    conn.put(b"second", &dest, None, None)
        .await
        .expect("put again");
    assert_eq!(conn.get(&dest, None).await.expect("get"), b"second");
    let st = conn
        .exec(&format!("stat -c %a {}", quote(&dest)), None, None)
        .await
        .expect("stat");
    assert_eq!(st.stdout, b"640\n");
    conn.exec(&format!("rm -rf {}", quote(&dir)), None, None)
        .await
        .expect("cleanup");
}

#[tokio::test]
async fn failed_put_leaves_no_temp_file_and_get_reports_missing() {
    without_agent();
    let server = SshServer::start();
    let home = drover_home();
    let conn = connect(params(&server, &home.path().join("kh")))
        .await
        .expect("connect");
    let dir = format!("/tmp/drover-put-fail-{}", server.port);
    conn.exec(&format!("mkdir -p {dir}/target.d"), None, None)
        .await
        .expect("mkdir");
    // A directory as destination must not swallow the file (mv would move
    // it inside); a path under a regular file cannot be written at all.
    for mode in [Some(0o600), None] {
        let err = conn
            .put(b"x", &format!("{dir}/target.d"), mode, None)
            .await
            .expect_err("put onto a directory must fail");
        assert!(
            matches!(&err, ConnError::Transfer(m) if m.contains("is a directory")),
            "{err:?}"
        );
    }
    conn.exec(&format!("touch {dir}/plainfile"), None, None)
        .await
        .expect("touch");
    let err = conn
        .put(b"x", &format!("{dir}/plainfile/child"), Some(0o600), None)
        .await
        .expect_err("put under a file must fail");
    assert!(matches!(err, ConnError::Transfer(_)), "{err:?}");
    let ls = conn
        .exec(&format!("ls -A {dir}"), None, None)
        .await
        .expect("ls");
    assert_eq!(ls.stdout, b"plainfile\ntarget.d\n");
    let inner = conn
        .exec(&format!("ls -A {dir}/target.d"), None, None)
        .await
        .expect("ls");
    assert_eq!(inner.stdout, b"", "temp file left in the directory");

    let err = conn
        .get(&format!("{dir}/missing"), None)
        .await
        .expect_err("get of a missing file");
    assert!(
        matches!(&err, ConnError::Transfer(m) if m.contains("missing")),
        "{err:?}"
    );
    conn.exec(&format!("rm -rf {dir}"), None, None)
        .await
        .expect("cleanup");
}
