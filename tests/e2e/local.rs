//! The local connection, the implicit localhost, extra vars, and the ansible-playbook link.

use crate::common::{recap, run, Scratch};

#[test]
fn without_inventory_plays_run_on_the_implicit_localhost() {
    let s = Scratch::new();
    s.write(
        "site.yml",
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n    - shell: echo $((40 + 2))\n      register: r\n    - debug: var=r.stdout\n",
    );
    let out = run(s.drover().args(["play", "site.yml"]));
    assert_eq!(out.code, 0, "{}", out.show());
    assert!(
        out.stdout.contains("\"r.stdout\": \"42\""),
        "{}",
        out.show()
    );
    assert!(
        out.stdout
            .contains(&recap("localhost", [2, 1, 0, 0, 0, 0, 0])),
        "{}",
        out.show()
    );
}

#[test]
fn extra_vars_override_play_vars_in_every_form() {
    let s = Scratch::new();
    s.write("inv.ini", "local ansible_connection=local\n");
    s.write("vars.yml", "from_file: yes\n");
    s.write(
        "site.yml",
        "- hosts: all\n  gather_facts: false\n  vars:\n    a: play\n  tasks:\n    - debug:\n        msg: \"{{ a }} {{ n + 1 }} {{ from_file }}\"\n",
    );
    let out = run(s.drover().args([
        "play",
        "-i",
        "inv.ini",
        "site.yml",
        "-e",
        "a=cli",
        "-e",
        r#"{"n": 41}"#,
        "-e",
        "@vars.yml",
    ]));
    assert_eq!(out.code, 0, "{}", out.show());
    assert!(
        out.stdout.contains("\"msg\": \"cli 42 True\""),
        "{}",
        out.show()
    );
}

#[test]
fn invoked_as_ansible_playbook_it_behaves_as_drover_play() {
    let s = Scratch::new();
    let link = s.path("ansible-playbook");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_drover"), &link).unwrap();
    s.write("inv.ini", "local ansible_connection=local\n");
    s.write(
        "site.yml",
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - command: echo swapped in\n",
    );
    let mut cmd = s.drover();
    let out = run(std::process::Command::new(&link)
        .args(["-i", "inv.ini", "site.yml"])
        .current_dir(s.dir.path())
        .envs(
            cmd.get_envs()
                .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v.to_owned()))),
        ));
    let _ = &mut cmd;
    assert_eq!(out.code, 0, "{}", out.show());
    assert!(
        out.stdout.contains(&recap("local", [1, 1, 0, 0, 0, 0, 0])),
        "{}",
        out.show()
    );
}
