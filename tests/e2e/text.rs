//! Text-file and fact modules in a playbook over SSH: facts gathered by the play, free-form
//! `k=v` arguments, check mode changes nothing, --diff prints the change, the second run
//! reports changed=0.

use drover_testsupport::SshServer;

use crate::common::{inventory, recap, run, Scratch};

#[test]
fn text_modules_in_a_playbook_are_idempotent() {
    let server = SshServer::start();
    let s = Scratch::new();
    s.trust(&[&server]);
    s.write("inv.ini", &inventory("web", &[("h1", &server)]));
    let conf = s.out.join("app.conf");
    std::fs::write(&conf, "port=80\r\n# hosts\nlast").unwrap();
    // The sticky out directory: only the login user may replace its own files.
    let chown = std::process::Command::new("chown")
        .arg(&server.user)
        .arg(&conf)
        .status()
        .unwrap();
    assert!(chown.success());
    s.write(
        "site.yml",
        &format!(
            r#"- name: text
  hosts: web
  gather_facts: true
  tasks:
    - name: facts are there
      debug:
        msg: "{{{{ ansible_distribution }}}} {{{{ ansible_default_ipv4.address | default('none') }}}} {{{{ ansible_user_id }}}}"
    - name: set the port
      lineinfile: path={conf} regexp=^port= line=port=8080
    - name: a block
      blockinfile:
        path: {conf}
        insertafter: "^# hosts"
        block: |
          10.0.0.1 a
          10.0.0.2 b
    - name: comment out
      replace:
        path: {conf}
        regexp: '^(last)$'
        replace: '# \1'
    - name: the port is free
      wait_for:
        port: {port}
        timeout: 5
"#,
            conf = conf.display(),
            port = server.port
        ),
    );
    let check = run(s
        .drover()
        .args(["play", "-i", "inv.ini", "site.yml", "--check", "--diff"]));
    assert_eq!(check.code, 0, "{}", check.show());
    assert_eq!(std::fs::read(&conf).unwrap(), b"port=80\r\n# hosts\nlast");
    assert!(check.stdout.contains("+port=8080"), "{}", check.show());
    let first = run(s.drover().args(["play", "-i", "inv.ini", "site.yml"]));
    assert_eq!(first.code, 0, "{}", first.show());
    assert!(
        first.stdout.contains(&recap("h1", [6, 3, 0, 0, 0, 0, 0])),
        "{}",
        first.show()
    );
    assert_eq!(
        std::fs::read_to_string(&conf).unwrap(),
        "port=8080\n# hosts\n# BEGIN ANSIBLE MANAGED BLOCK\n10.0.0.1 a\n10.0.0.2 b\n# END ANSIBLE MANAGED BLOCK\n# last"
    );
    let second = run(s.drover().args(["play", "-i", "inv.ini", "site.yml"]));
    assert!(
        second.stdout.contains(&recap("h1", [6, 0, 0, 0, 0, 0, 0])),
        "{}",
        second.show()
    );
}
