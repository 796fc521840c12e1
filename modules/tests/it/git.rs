//! `git` against a real sshd host, with a local bare repository made on the host by
//! the login user (so git's ownership checks pass).

use crate::common;
use crate::sysfix;

use common::TestHost;
use drover_testsupport::TempDir;
use serde_json::json;
use sysfix::open_dir;

const SETUP: &str = r#"set -e
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@x GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@x HOME="$D"
git init -q -b main "$D/work"; cd "$D/work"
echo one > f; git add f; git commit -qm one; git tag v1
echo two > f; git commit -qam two
git checkout -qb dev; echo dev > f; git commit -qam dev; git checkout -q main
git clone -q --bare "$D/work" "$D/repo.git"
"#;

async fn sha(host: &TestHost, dir: &str, rev: &str) -> String {
    host.sh(&format!("git -C '{dir}' rev-parse {rev}"))
        .await
        .trim()
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn git_clones_updates_and_respects_local_changes() {
    let host = TestHost::ssh().await;
    let tmp = TempDir::new("drover-git");
    open_dir(tmp.path());
    let d = tmp.path().display().to_string();
    host.sh(&format!("D='{d}'; {SETUP}")).await;
    let repo = format!("{d}/repo.git");
    let dest = format!("{d}/check out");
    let main = sha(&host, &repo, "main").await;
    let v1 = sha(&host, &repo, "v1^{commit}").await;

    let args = json!({"repo": repo, "dest": dest});
    let r = host.run("git", args.clone(), true, false).await.unwrap();
    assert_eq!(
        (
            r["changed"].clone(),
            r["before"].clone(),
            r["after"].clone()
        ),
        (json!(true), json!(null), json!(main))
    );
    assert!(
        !std::path::Path::new(&dest).exists(),
        "check mode clones nothing"
    );
    let r = host.ok("git", args.clone()).await;
    assert_eq!(
        (r["changed"].clone(), r["after"].clone()),
        (json!(true), json!(main)),
        "{r:?}"
    );
    assert_eq!(
        std::fs::read_to_string(format!("{dest}/f")).unwrap(),
        "two\n"
    );
    let r = host.ok("git", args.clone()).await;
    assert_eq!(
        (
            r["changed"].clone(),
            r["before"].clone(),
            r["after"].clone()
        ),
        (json!(false), json!(main), json!(main))
    );

    let r = host
        .ok("git", json!({"repo": repo, "dest": dest, "version": "v1"}))
        .await;
    assert_eq!(
        (
            r["changed"].clone(),
            r["before"].clone(),
            r["after"].clone()
        ),
        (json!(true), json!(main), json!(v1))
    );
    let r = host
        .ok("git", json!({"repo": repo, "dest": dest, "version": "dev"}))
        .await;
    assert_eq!(r["changed"], true);
    assert_eq!(
        std::fs::read_to_string(format!("{dest}/f")).unwrap(),
        "dev\n"
    );
    let r = host
        .ok("git", json!({"repo": repo, "dest": dest, "version": "dev"}))
        .await;
    assert_eq!(r["changed"], false);

    std::fs::write(format!("{dest}/f"), "local edit\n").unwrap();
    let r = host
        .ok(
            "git",
            json!({"repo": repo, "dest": dest, "version": "main"}),
        )
        .await;
    assert_eq!(r["failed"], true);
    assert_eq!(
        r["msg"],
        format!("Local modifications exist in the destination: {dest} (force=no).")
    );
    let r = host
        .ok(
            "git",
            json!({"repo": repo, "dest": dest, "version": "main", "update": false, "force": true}),
        )
        .await;
    assert_eq!(r["changed"], false, "update=no leaves the checkout alone");
    let r = host
        .ok(
            "git",
            json!({"repo": repo, "dest": dest, "version": "main", "force": true}),
        )
        .await;
    assert_eq!(
        (r["changed"].clone(), r["after"].clone()),
        (json!(true), json!(main))
    );
    assert_eq!(
        std::fs::read_to_string(format!("{dest}/f")).unwrap(),
        "two\n"
    );

    // New commits upstream arrive on the next run.
    host.sh(&format!("D='{d}'; export HOME=\"$D\" GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@x GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@x; cd \"$D/work\" && echo three > f && git commit -qam three && git push -q \"$D/repo.git\" main")).await;
    let new = sha(&host, &repo, "main").await;
    let r = host.ok("git", args.clone()).await;
    assert_eq!(
        (
            r["changed"].clone(),
            r["before"].clone(),
            r["after"].clone()
        ),
        (json!(true), json!(main), json!(new))
    );

    let bare = format!("{d}/mirror.git");
    let r = host
        .ok(
            "git",
            json!({"repo": repo, "dest": bare, "bare": true, "depth": 1}),
        )
        .await;
    assert_eq!(
        (r["changed"].clone(), r["after"].clone()),
        (json!(true), json!(new))
    );
    let r = host
        .ok("git", json!({"repo": repo, "dest": bare, "bare": true}))
        .await;
    assert_eq!(r["changed"], false);
    let r = host
        .ok(
            "git",
            json!({"repo": format!("{d}/nope.git"), "dest": format!("{d}/x")}),
        )
        .await;
    assert_eq!(r["failed"], true);
    let r = host
        .ok(
            "git",
            json!({"repo": repo, "dest": format!("{d}/x"), "version": "no-such-branch"}),
        )
        .await;
    assert_eq!(
        r["msg"],
        format!("Failed to find version no-such-branch in the remote {repo}")
    );
}
