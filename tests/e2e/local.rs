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

#[test]
fn a_handler_whose_name_does_not_render_is_unusable_with_a_warning() {
    let s = Scratch::new();
    for dir in ["roles/r/tasks", "roles/r/handlers"] {
        std::fs::create_dir_all(s.path(dir)).unwrap();
    }
    s.write("roles/r/tasks/main.yml", "- debug: msg=untagged\n- debug: msg=notify\n  changed_when: true\n  notify: plain handler\n  tags: [a]\n");
    s.write(
        "roles/r/handlers/main.yml",
        "- name: handler with {{ nope }}\n  debug: msg=never\n- name: plain handler\n  debug: msg=handler_ran\n",
    );
    // The include's own tags do not reach the role's tasks: only the tagged one runs.
    s.write(
        "site.yml",
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n    - include_role:\n        name: r\n      tags: [a]\n",
    );
    let out = run(s.drover().args(["play", "site.yml", "--tags", "a"]));
    assert_eq!(out.code, 0, "{}", out.show());
    let warning = "[WARNING]: Handler 'handler with {{ nope }}' is unusable because it has no listen topics and the name could not be templated (host-specific variables are not supported in handler names). The error: 'nope' is undefined\n";
    assert_eq!(out.stderr.matches(warning).count(), 1, "{}", out.show());
    assert!(
        out.stdout.contains("TASK [include_role : r] ***"),
        "{}",
        out.show()
    );
    assert!(
        out.stdout.contains("included: r for localhost\n"),
        "{}",
        out.show()
    );
    assert!(!out.stdout.contains("untagged"), "{}", out.show());
    assert!(
        out.stdout.contains("\"msg\": \"handler_ran\""),
        "{}",
        out.show()
    );
    assert!(
        out.stdout
            .contains(&recap("localhost", [3, 1, 0, 0, 0, 0, 0])),
        "{}",
        out.show()
    );
}

/// drover reads no ansible.cfg: one that ansible-core would read is named in a warning;
/// without one, `-v` says so as ansible-playbook does.
#[test]
fn an_ansible_cfg_is_named_as_not_read() {
    let s = Scratch::new();
    s.write(
        "site.yml",
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n    - debug: msg=hi\n",
    );
    let out = run(s.drover().args(["play", "-v", "site.yml"]));
    assert_eq!(out.code, 0, "{}", out.show());
    assert!(
        out.stdout
            .starts_with("No config file found; using defaults\n"),
        "{}",
        out.show()
    );
    s.write("ansible.cfg", "[defaults]\nforks = 3\n");
    let out = run(s.drover().args(["play", "site.yml"]));
    assert_eq!(out.code, 0, "{}", out.show());
    assert!(
        out.stderr
            .contains("[WARNING]: drover does not read ansible.cfg: set its options"),
        "{}",
        out.show()
    );
}
