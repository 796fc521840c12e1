//! System modules in a playbook over SSH: a second run changes nothing, and the files
//! drover writes are the ones ansible-playbook writes for the same play (when
//! ansible-core is installed in /tmp/ansible-venv).

use std::path::Path;
use std::process::Command;

use drover_testsupport::SshServer;

use crate::common::{inventory, recap, run, set_mode, Scratch};

const ANSIBLE: &str = "/tmp/ansible-venv/bin/ansible-playbook";

/// A play of getent, cron (a cron file), git and sysctl tasks writing under `out`.
fn playbook(out: &Path, repo: &Path, with_posix: bool) -> String {
    let o = out.display();
    let mut p = format!(
        r#"- name: system modules
  hosts: all
  gather_facts: false
  tasks:
    - name: look up root
      getent:
        database: passwd
        key: root
    - name: use the fact
      copy_not_needed: skip
    - name: a job in a cron file
      cron:
        name: "nightly report"
        minute: "15"
        hour: "3"
        user: root
        job: /usr/local/bin/report --all > /dev/null 2>&1
        cron_file: {o}/cron.d/report
    - name: a variable in the cron file
      cron:
        name: MAILTO
        env: true
        job: ops@example.org
        user: root
        cron_file: {o}/cron.d/report
    - name: check out the repository
      git:
        repo: {repo}
        dest: {o}/checkout
        version: main
      register: co
    - name: show the commit
      debug:
        msg: "{{{{ co.after }}}} {{{{ ansible_facts.getent_passwd.root[4] }}}}"
"#,
        repo = repo.display()
    );
    p = p.replace(
        "    - name: use the fact\n      copy_not_needed: skip\n",
        "",
    );
    if !with_posix {
        // ansible's cron module insists on a crontab program even for cron files, and
        // this machine has no cron: a stub on PATH (drover does not refuse to run).
        p = p.replace(
            "  gather_facts: false\n",
            &format!("  gather_facts: false\n  environment:\n    PATH: \"{o}/bin:/usr/local/bin:/usr/bin:/bin\"\n"),
        );
    }
    if with_posix {
        p.push_str(&format!(
            r#"    - name: a kernel setting in a file
      sysctl:
        name: vm.swappiness
        value: "10"
        sysctl_file: {o}/sysctl.conf
        reload: false
    - name: an authorized key
      authorized_key:
        user: "{{{{ ansible_user }}}}"
        key: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDrover drover@test
        path: {o}/authorized_keys
        manage_dir: false
"#
        ));
    }
    p
}

/// The repository is made by the sshd login user, so git's ownership check passes
/// when that user clones it.
fn make_repo(dir: &Path, user: &str) {
    let d = dir.display();
    let script = format!(
        "set -e; export HOME={d} GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@x GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@x
         git init -q -b main {d}/work; cd {d}/work; echo hi > f; git add f; git commit -qm one
         git clone -q --bare {d}/work {d}/repo.git"
    );
    let mut cmd = Command::new("su");
    if drover_testsupport::is_root() {
        cmd.args(["-s", "/bin/sh", user, "-c", &script]);
    } else {
        cmd = Command::new("sh");
        cmd.args(["-c", &script]);
    }
    let ok = cmd.status().map(|s| s.success());
    assert_eq!(ok.ok(), Some(true), "making the test repository");
}

#[test]
fn system_modules_are_idempotent_and_match_ansible() {
    let server = SshServer::start();
    let s = Scratch::new();
    s.trust(&[&server]);
    s.write("inv.ini", &inventory("all_hosts", &[("h1", &server)]));
    let repo_dir = s.path("repo");
    std::fs::create_dir_all(&repo_dir).unwrap();
    set_mode(&repo_dir, 0o777);
    make_repo(&repo_dir, &server.user);
    let repo = repo_dir.join("repo.git");

    let drover_out = s.out.join("drover");
    for sub in ["", "cron.d"] {
        std::fs::create_dir_all(drover_out.join(sub)).unwrap();
        set_mode(&drover_out.join(sub), 0o777);
    }
    s.write("site.yml", &playbook(&drover_out, &repo, true));
    let first = run(s.drover().args(["play", "-i", "inv.ini", "site.yml"]));
    assert_eq!(first.code, 0, "{}", first.show());
    assert!(
        first.stdout.contains(&recap("h1", [7, 5, 0, 0, 0, 0, 0])),
        "{}",
        first.show()
    );
    let second = run(s.drover().args(["play", "-i", "inv.ini", "site.yml"]));
    assert!(
        second.stdout.contains(&recap("h1", [7, 0, 0, 0, 0, 0, 0])),
        "second run changes nothing\n{}",
        second.show()
    );
    let cron = std::fs::read_to_string(drover_out.join("cron.d/report")).unwrap();
    assert_eq!(cron, "MAILTO=\"ops@example.org\"\n#Ansible: nightly report\n15 3 * * * root /usr/local/bin/report --all > /dev/null 2>&1\n");

    if !Path::new(ANSIBLE).exists() {
        eprintln!("ansible-core not installed: comparison with ansible-playbook skipped");
        return;
    }
    let ansible_out = s.out.join("ansible");
    for sub in ["", "cron.d"] {
        std::fs::create_dir_all(ansible_out.join(sub)).unwrap();
        set_mode(&ansible_out.join(sub), 0o777);
    }
    std::fs::create_dir_all(ansible_out.join("bin")).unwrap();
    std::fs::write(ansible_out.join("bin/crontab"), "#!/bin/sh\nexit 0\n").unwrap();
    set_mode(&ansible_out.join("bin/crontab"), 0o755);
    s.write("ansible.yml", &playbook(&ansible_out, &repo, false));
    s.write(
        "inv-ansible.ini",
        &format!(
            "{}\n[all:vars]\nansible_python_interpreter=/usr/bin/python3\n",
            inventory("all_hosts", &[("h1", &server)])
        ),
    );
    let mut cmd = Command::new(ANSIBLE);
    cmd.args(["-i", "inv-ansible.ini", "ansible.yml"])
        .current_dir(s.dir.path())
        .env("HOME", &s.home)
        .env("ANSIBLE_HOST_KEY_CHECKING", "False")
        .env("ANSIBLE_NOCOLOR", "1")
        .env("ANSIBLE_LOCAL_TEMP", s.path("ansible-tmp"));
    let a = run(&mut cmd);
    assert_eq!(a.code, 0, "{}", a.show());
    assert!(
        a.stdout.contains(&recap("h1", [5, 3, 0, 0, 0, 0, 0])),
        "{}",
        a.show()
    );
    assert_eq!(
        std::fs::read_to_string(ansible_out.join("cron.d/report")).unwrap(),
        cron,
        "same cron file as ansible's"
    );
    let head = |p: &Path| {
        Command::new("git")
            .arg("-C")
            .arg(p)
            .args(["rev-parse", "HEAD"])
            .output()
            .map(|o| o.stdout)
            .unwrap_or_default()
    };
    assert_eq!(
        head(&ansible_out.join("checkout")),
        head(&drover_out.join("checkout"))
    );
}
