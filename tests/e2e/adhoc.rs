//! `drover adhoc` (and `ansible` through a link): one module on the hosts of a pattern,
//! over SSH, with ansible's `minimal` and `oneline` output.

use drover_testsupport::SshServer;

use crate::common::{inventory, run, Scratch};

#[test]
fn adhoc_runs_a_module_over_ssh_in_ansible_format() {
    let servers = [SshServer::start(), SshServer::start()];
    let s = Scratch::new();
    s.trust(&servers.iter().collect::<Vec<_>>());
    s.write(
        "inv.ini",
        &inventory("web", &[("h1", &servers[0]), ("h2", &servers[1])]),
    );

    // The command family: `host | CHANGED | rc=0 >>` and the output. The default
    // module is `command`: no shell, so `$((...))` stays as written (as in ansible).
    let out = run(s.drover().args([
        "adhoc",
        "h1",
        "-i",
        "inv.ini",
        "-a",
        "echo hello from $((40 + 2))",
    ]));
    assert_eq!(out.code, 0, "{}", out.show());
    assert_eq!(
        out.stdout,
        "h1 | CHANGED | rc=0 >>\nhello from $((40 + 2))\n",
        "{}",
        out.show()
    );

    // A JSON result: `host | SUCCESS => {...}`, one per host of the pattern.
    let out = run(s
        .drover()
        .args(["adhoc", "web", "-i", "inv.ini", "-m", "ping"]));
    assert_eq!(out.code, 0, "{}", out.show());
    for h in ["h1", "h2"] {
        let expected =
            format!("{h} | SUCCESS => {{\n    \"changed\": false,\n    \"ping\": \"pong\"\n}}\n");
        assert!(out.stdout.contains(&expected), "{}", out.show());
    }

    // Arguments as a JSON object, extra vars templated into them, --check honoured.
    let target = s.out.join("made-by-adhoc");
    let json_args = format!(
        r#"{{"path": "{}/{{{{ name }}}}", "state": "touch"}}"#,
        s.out.display()
    );
    let out = run(s.drover().args([
        "adhoc",
        "h1",
        "-i",
        "inv.ini",
        "-m",
        "file",
        "-a",
        &json_args,
        "-e",
        "name=made-by-adhoc",
        "--check",
    ]));
    assert_eq!(out.code, 0, "{}", out.show());
    assert!(
        out.stdout.starts_with("h1 | CHANGED => {"),
        "{}",
        out.show()
    );
    assert!(!target.exists(), "--check created the file");
    let out = run(s.drover().args([
        "adhoc",
        "h1",
        "-i",
        "inv.ini",
        "-m",
        "file",
        "-a",
        &json_args,
        "-e",
        "name=made-by-adhoc",
    ]));
    assert_eq!(out.code, 0, "{}", out.show());
    assert!(target.exists(), "{}", out.show());

    // A failing command: `FAILED | rc=N >>`, exit code 2; one line per host with -o.
    let out = run(s.drover().args([
        "adhoc",
        "h2",
        "-i",
        "inv.ini",
        "-m",
        "shell",
        "-a",
        "echo out; exit 3",
    ]));
    assert_eq!(out.code, 2, "{}", out.show());
    assert!(
        // ansible-core 2.19 prints the output and then the message, no newline between.
        out.stdout
            .starts_with("h2 | FAILED | rc=3 >>\noutnon-zero return code"),
        "{}",
        out.show()
    );
    let out = run(s
        .drover()
        .args(["adhoc", "web", "-i", "inv.ini", "-m", "ping", "-o"]));
    assert_eq!(out.code, 0, "{}", out.show());
    assert!(
        out.stdout
            .contains("h2 | SUCCESS => {\"changed\": false,\"ping\": \"pong\"}\n"),
        "{}",
        out.show()
    );
    let out = run(s
        .drover()
        .args(["adhoc", "all", "-i", "inv.ini", "--list-hosts"]));
    assert_eq!(
        out.stdout,
        "  hosts (2):\n    h1\n    h2\n",
        "{}",
        out.show()
    );
}

#[test]
fn invoked_as_ansible_it_behaves_as_drover_adhoc() {
    let s = Scratch::new();
    let link = s.path("ansible");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_drover"), &link).unwrap();
    s.write("inv.ini", "local ansible_connection=local\n");
    let cmd = s.drover();
    let out = run(std::process::Command::new(&link)
        .args([
            "local",
            "-i",
            "inv.ini",
            "-m",
            "debug",
            "-a",
            "msg={{ 6 * 7 }}",
        ])
        .current_dir(s.dir.path())
        .envs(
            cmd.get_envs()
                .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v.to_owned()))),
        ));
    assert_eq!(out.code, 0, "{}", out.show());
    assert_eq!(
        out.stdout,
        "local | SUCCESS => {\n    \"msg\": 42\n}\n",
        "{}",
        out.show()
    );
    // The command modules need arguments, as in ansible (exit 5).
    let out = run(std::process::Command::new(&link)
        .args(["local", "-i", "inv.ini"])
        .current_dir(s.dir.path()));
    assert_eq!(out.code, 5, "{}", out.show());
}
