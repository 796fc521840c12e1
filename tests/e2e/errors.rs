//! Bad input gets a clear error naming file, line and column, and nothing runs.

use drover_testsupport::SshServer;

use crate::common::{inventory, run, Scratch};

#[test]
fn an_unknown_module_is_reported_at_its_line_and_nothing_runs() {
    let server = SshServer::start();
    let s = Scratch::new();
    s.trust(&[&server]);
    s.write("inv.ini", &inventory("web", &[("h1", &server)]));
    let marker = s.out.join("ran");
    s.write(
        "site.yml",
        &format!(
            "- hosts: web\n  gather_facts: false\n  tasks:\n    - name: would run first\n      command: touch {}\n    - name: typo\n      no_such_module: x=1\n",
            marker.display()
        ),
    );
    let out = run(s.drover().args(["play", "-i", "inv.ini", "site.yml"]));
    assert_eq!(out.code, 4, "{}", out.show());
    assert!(
        out.stderr
            .contains("couldn't resolve module/action 'no_such_module'"),
        "{}",
        out.show()
    );
    assert!(out.stderr.contains("site.yml:6:7"), "{}", out.show());
    assert!(
        out.stderr.contains("6     - name: typo"),
        "quotes the line: {}",
        out.show()
    );
    assert!(out.stdout.is_empty(), "no play started: {}", out.show());
    assert!(
        !marker.exists(),
        "nothing runs on any host when the playbook does not parse"
    );
}

#[test]
fn a_yaml_syntax_error_names_file_line_and_column() {
    let s = Scratch::new();
    s.write(
        "site.yml",
        "- hosts: localhost\n  tasks:\n    - debug: msg=hi\n   bad: indent\n",
    );
    let out = run(s.drover().args(["play", "-i", "localhost,", "site.yml"]));
    assert_eq!(out.code, 4, "{}", out.show());
    assert!(out.stderr.contains("site.yml:4:"), "{}", out.show());
    assert!(out.stderr.contains("bad: indent"), "{}", out.show());
}

#[test]
fn an_undefined_variable_in_an_import_playbook_path_names_the_entry() {
    let s = Scratch::new();
    s.write("other.yml", "- hosts: all\n  tasks: []\n");
    s.write(
        "site.yml",
        "- import_playbook: other.yml\n- import_playbook: \"{{ nope }}\"\n  vars:\n    dir: x\n",
    );
    let out = run(s.drover().args(["play", "-i", "localhost,", "site.yml"]));
    assert_eq!(out.code, 4, "{}", out.show());
    assert!(
        out.stderr
            .contains("Error processing keyword 'import_playbook': 'nope' is undefined"),
        "{}",
        out.show()
    );
    assert!(out.stderr.contains("site.yml:2:20"), "{}", out.show());
    assert!(out.stdout.is_empty(), "no play started: {}", out.show());
}

#[test]
fn an_undefined_variable_in_a_static_import_path_is_a_load_error() {
    let s = Scratch::new();
    s.write(
        "site.yml",
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - debug: msg=first\n    - import_tasks: \"{{ nope }}\"\n",
    );
    let out = run(s.drover().args(["play", "-i", "localhost,", "site.yml"]));
    assert_eq!(out.code, 4, "{}", out.show());
    assert!(
        out.stderr.contains(
            "Error when evaluating variable in import path '{{ nope }}': 'nope' is undefined"
        ),
        "{}",
        out.show()
    );
    assert!(out.stderr.contains("site.yml:5:7"), "{}", out.show());
    assert!(out.stdout.is_empty(), "no play started: {}", out.show());
}

#[test]
fn an_undefined_variable_fails_the_task_and_names_the_variable() {
    let s = Scratch::new();
    s.write("inv.ini", "local ansible_connection=local\n");
    s.write("site.yml", "- hosts: all\n  gather_facts: false\n  tasks:\n    - debug:\n        msg: \"{{ nope }}\"\n");
    let out = run(s.drover().args(["play", "-i", "inv.ini", "site.yml"]));
    assert_eq!(out.code, 2, "{}", out.show());
    assert!(
        out.stdout.contains("fatal: [local]: FAILED!"),
        "{}",
        out.show()
    );
    assert!(out.stdout.contains("'nope' is undefined"), "{}", out.show());
}

#[test]
fn missing_playbook_and_empty_limit_exit_1_and_no_hosts_matched_exits_0() {
    let s = Scratch::new();
    s.write("inv.ini", "local ansible_connection=local\n");
    let out = run(s.drover().args(["play", "-i", "inv.ini", "missing.yml"]));
    assert_eq!(out.code, 1, "{}", out.show());
    assert!(
        out.stderr
            .contains("the playbook: missing.yml could not be found"),
        "{}",
        out.show()
    );

    s.write(
        "site.yml",
        "- hosts: nothere\n  gather_facts: false\n  tasks:\n    - ping:\n",
    );
    let out = run(s.drover().args(["play", "-i", "inv.ini", "site.yml"]));
    assert_eq!(out.code, 0, "{}", out.show());
    assert!(
        out.stdout.contains("skipping: no hosts matched"),
        "{}",
        out.show()
    );

    let out = run(s
        .drover()
        .args(["play", "-i", "inv.ini", "site.yml", "-l", "nomatch"]));
    assert_eq!(out.code, 1, "{}", out.show());
    assert!(
        out.stderr
            .contains("--limit leaves us with no hosts to target"),
        "{}",
        out.show()
    );
}

#[test]
fn bad_usage_exits_2() {
    let s = Scratch::new();
    let out = run(s.drover().args(["play", "--no-such-flag", "x.yml"]));
    assert_eq!(out.code, 2, "{}", out.show());
}

#[test]
fn a_template_error_points_at_its_line_and_column_in_the_template_file() {
    let s = Scratch::new();
    s.write("inv.ini", "local ansible_connection=local\n");
    std::fs::create_dir_all(s.path("templates")).unwrap();
    s.write(
        "templates/app.j2",
        "#jinja2: trim_blocks: True\nline2\n{% if a == 1 and typo in [1] %}x{% endif %}\n",
    );
    s.write("templates/broken.j2", "a\n{{ b + }}\n");
    let out_dir = s.path("out");
    s.write(
        "site.yml",
        &format!(
            "- hosts: all\n  gather_facts: false\n  vars: {{a: 1}}\n  tasks:\n    - template: src=app.j2 dest={0}/app\n      ignore_errors: true\n    - template: src=broken.j2 dest={0}/broken\n",
            out_dir.display()
        ),
    );
    let out = run(s.drover().args(["play", "-i", "inv.ini", "site.yml"]));
    assert_eq!(out.code, 2, "{}", out.show());
    let app = s.path("templates/app.j2");
    let app = std::fs::canonicalize(&app).unwrap_or(app);
    assert!(
        out.stdout
            .contains("[ERROR]: Task failed: 'typo' is undefined"),
        "{}",
        out.show()
    );
    assert!(
        out.stdout.contains(&format!(
            "'typo' is undefined\nOrigin: {}:3:18\n",
            app.display()
        )),
        "{}",
        out.show()
    );
    assert!(out.stdout.contains("<<< caused by >>>"), "{}", out.show());
    assert!(
        out.stdout
            .contains("Syntax error in template: unexpected end of variable block\nOrigin: "),
        "{}",
        out.show()
    );
    assert!(out.stdout.contains("broken.j2:2:8"), "{}", out.show());
    assert!(!out_dir.join("broken").exists());
}

#[test]
fn end_role_outside_a_role_is_a_load_error() {
    let s = Scratch::new();
    s.write(
        "site.yml",
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n    - debug: msg=before\n    - meta: end_role\n",
    );
    let out = run(s.drover().args(["play", "-i", "localhost,", "site.yml"]));
    assert_eq!(out.code, 4, "{}", out.show());
    assert!(
        out.stderr
            .contains("[ERROR]: Cannot execute 'end_role' from outside of a role"),
        "{}",
        out.show()
    );
    assert!(out.stderr.contains("site.yml:5:7"), "{}", out.show());
    assert!(out.stdout.is_empty(), "no play started: {}", out.show());
}

#[test]
fn apply_on_a_static_import_is_refused_before_anything_runs() {
    let s = Scratch::new();
    s.write("inc.yml", "- debug: msg=inner\n");
    s.write(
        "site.yml",
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n    - debug: msg=before\n    - import_tasks:\n        file: inc.yml\n        apply:\n          tags: [foo]\n",
    );
    let out = run(s.drover().args(["play", "site.yml"]));
    assert_eq!(out.code, 4, "{}", out.show());
    assert!(
        out.stderr
            .contains("[ERROR]: Invalid options for import_tasks: apply"),
        "{}",
        out.show()
    );
    assert!(out.stderr.contains("site.yml:5:7"), "{}", out.show());
    assert!(!out.stdout.contains("before"), "{}", out.show());
}

#[test]
fn notifying_a_missing_handler_ends_the_run_as_ansible_does() {
    let s = Scratch::new();
    s.write(
        "site.yml",
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n    - command: \"true\"\n      notify: nobody\n    - debug: msg=after\n- hosts: localhost\n  gather_facts: false\n  tasks:\n    - debug: msg=next-play\n",
    );
    let out = run(s.drover().args(["play", "site.yml"]));
    assert_eq!(out.code, 1, "{}", out.show());
    let all = format!("{}{}", out.stdout, out.stderr);
    assert!(
        all.contains("[ERROR]: The requested handler 'nobody' was not found in either the main handlers list nor in the listening handlers list"),
        "{}",
        out.show()
    );
    assert!(!all.contains("after"), "{}", out.show());
    assert!(!all.contains("next-play"), "{}", out.show());
    assert!(!all.contains("PLAY RECAP"), "{}", out.show());
}

#[test]
fn an_include_role_of_a_missing_role_fails_the_host_whatever_ignore_errors_says() {
    let s = Scratch::new();
    s.write(
        "site.yml",
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n    - include_role:\n        name: no_such_role\n      ignore_errors: true\n    - debug: msg=after\n",
    );
    let out = run(s.drover().args(["play", "site.yml"]));
    assert_eq!(out.code, 2, "{}", out.show());
    assert!(
        out.stderr
            .contains("[ERROR]: the role 'no_such_role' was not found in "),
        "{}",
        out.show()
    );
    assert!(out.stderr.contains("site.yml:5:15"), "{}", out.show());
    assert!(
        out.stdout.contains(r#"fatal: [localhost]: FAILED! => {"changed": false, "reason": "the role 'no_such_role' was not found in "#),
        "{}",
        out.show()
    );
    assert!(!out.stdout.contains("after"), "{}", out.show());
    assert!(
        out.stdout
            .contains("ok=0    changed=0    unreachable=0    failed=1"),
        "{}",
        out.show()
    );
}

#[test]
fn an_include_without_a_file_in_an_included_file_ends_the_run_before_it_runs() {
    let s = Scratch::new();
    s.write(
        "inc.yml",
        "- debug: msg=inside-before\n- name: no file\n  ansible.builtin.include_tasks:\n",
    );
    s.write(
        "site.yml",
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n    - include_tasks: inc.yml\n    - debug: msg=after\n",
    );
    let out = run(s.drover().args(["play", "site.yml"]));
    assert_eq!(out.code, 4, "{}", out.show());
    assert!(
        out.stderr
            .contains("No file specified for ansible.builtin.include_tasks"),
        "{}",
        out.show()
    );
    assert!(out.stderr.contains("inc.yml:2:3"), "{}", out.show());
    assert!(!out.stdout.contains("inside-before"), "{}", out.show());
    assert!(!out.stdout.contains("after"), "{}", out.show());
    assert!(!out.stdout.contains("PLAY RECAP"), "{}", out.show());
}
