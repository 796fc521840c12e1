//! become through sudo with a password, which never shows in any output.

use drover_testsupport::{sudo_fixture, SshServer};

use crate::common::{run, Scratch};

const PLAY: &str = r#"- hosts: all
  gather_facts: false
  tasks:
    - name: as whom
      command: id -un
      register: who
    - debug:
        msg: "ran as {{ who.stdout }}"
"#;

#[test]
fn become_runs_tasks_as_another_user_with_the_sudo_password() {
    let fx = sudo_fixture();
    let server = SshServer::start_for(&fx.login_user);
    let s = Scratch::new();
    s.trust(&[&server]);
    s.write("inv.ini", &format!("h1 {}\n", server.inventory_vars()));
    s.write("site.yml", PLAY);
    let pw = s.write("pw", &format!("{}\n", fx.password));

    let out = run(s
        .drover()
        .args([
            "play",
            "-i",
            "inv.ini",
            "site.yml",
            "-b",
            "--become-user",
            &fx.target_user,
            "--become-password-file",
        ])
        .arg(&pw));
    assert_eq!(out.code, 0, "{}", out.show());
    assert!(
        out.stdout
            .contains(&format!("\"msg\": \"ran as {}\"", fx.target_user)),
        "{}",
        out.show()
    );
    assert!(!out.stdout.contains(&fx.password) && !out.stderr.contains(&fx.password));

    // Without become the same task runs as the login user.
    let out = run(s.drover().args(["play", "-i", "inv.ini", "site.yml"]));
    assert!(
        out.stdout
            .contains(&format!("\"msg\": \"ran as {}\"", fx.login_user)),
        "{}",
        out.show()
    );

    let wrong = s.write("wrong", "not the password\n");
    let out = run(s
        .drover()
        .args([
            "play",
            "-i",
            "inv.ini",
            "site.yml",
            "-b",
            "--become-user",
            &fx.target_user,
            "--become-password-file",
        ])
        .arg(&wrong));
    assert_eq!(
        out.code,
        2,
        "a wrong password is a task failure: {}",
        out.show()
    );
    assert!(
        out.stdout.contains("fatal: [h1]: FAILED!"),
        "{}",
        out.show()
    );
    assert!(
        out.stdout
            .to_lowercase()
            .contains("incorrect sudo password"),
        "{}",
        out.show()
    );
    assert!(!out.stdout.contains("not the password") && !out.stderr.contains("not the password"));

    let out = run(s.drover().args([
        "play",
        "-i",
        "inv.ini",
        "site.yml",
        "-b",
        "--become-user",
        &fx.target_user,
    ]));
    assert_eq!(out.code, 2, "{}", out.show());
    assert!(
        out.stdout.contains("password"),
        "says a password is needed: {}",
        out.show()
    );
}

/// `become_user` on a task is a template, as in Ansible.
#[test]
fn become_user_keyword_is_templated() {
    let fx = sudo_fixture();
    let server = SshServer::start_for(&fx.login_user);
    let s = Scratch::new();
    s.trust(&[&server]);
    s.write("inv.ini", &format!("h1 {}\n", server.inventory_vars()));
    s.write(
        "site.yml",
        r#"- hosts: all
  gather_facts: false
  tasks:
    - command: id -un
      become: true
      become_user: "{{ target }}"
      register: who
    - debug:
        msg: "ran as {{ who.stdout }}"
"#,
    );
    let pw = s.write("pw", &format!("{}\n", fx.password));
    let out = run(s
        .drover()
        .args(["play", "-i", "inv.ini", "site.yml", "-e"])
        .arg(format!("target={}", fx.target_user))
        .arg("--become-password-file")
        .arg(&pw));
    assert_eq!(out.code, 0, "{}", out.show());
    assert!(
        out.stdout
            .contains(&format!("\"msg\": \"ran as {}\"", fx.target_user)),
        "{}",
        out.show()
    );
}

/// `become` itself may be a template, rendered per host; `{{ omit }}` leaves it to the
/// play's, as ansible-core does (its `omit` target).
#[test]
fn become_keyword_is_templated_and_omit_defers_to_the_play() {
    let fx = sudo_fixture();
    let server = SshServer::start_for(&fx.login_user);
    let s = Scratch::new();
    s.trust(&[&server]);
    s.write("inv.ini", &format!("h1 {}\n", server.inventory_vars()));
    s.write(
        "site.yml",
        r#"- hosts: all
  gather_facts: false
  become: "{{ use_become }}"
  become_user: "{{ target }}"
  tasks:
    - command: id -un
      register: from_play
    - command: id -un
      become: "{{ omit }}"
      register: omitted
    - command: id -un
      become: "{{ not use_become }}"
      register: negated
    - debug:
        msg: "{{ from_play.stdout }} {{ omitted.stdout }} {{ negated.stdout }}"
"#,
    );
    let pw = s.write("pw", &format!("{}\n", fx.password));
    let out = run(s
        .drover()
        .args([
            "play",
            "-i",
            "inv.ini",
            "site.yml",
            "-e",
            "use_become=true",
            "-e",
        ])
        .arg(format!("target={}", fx.target_user))
        .arg("--become-password-file")
        .arg(&pw));
    assert_eq!(out.code, 0, "{}", out.show());
    let expected = format!(
        "\"msg\": \"{t} {t} {l}\"",
        t = fx.target_user,
        l = fx.login_user
    );
    assert!(out.stdout.contains(&expected), "{}", out.show());
}
