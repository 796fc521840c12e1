//! Shared pieces: a scratch directory with a HOME of its own, inventories for test
//! servers, running the binary, and the exact recap line.

use std::path::{Path, PathBuf};
use std::process::Command;

use drover_testsupport::{SshServer, TempDir};

pub struct Scratch {
    pub dir: TempDir,
    /// HOME for the run: `.ssh/known_hosts` lives here, never in the real home.
    pub home: PathBuf,
    /// A directory every test user can write to, for files the playbooks create.
    pub out: PathBuf,
}

impl Scratch {
    pub fn new() -> Scratch {
        let dir = TempDir::new("drover-e2e");
        let home = dir.path().join("home");
        let out = dir.path().join("out");
        std::fs::create_dir_all(home.join(".ssh")).unwrap();
        std::fs::create_dir_all(&out).unwrap();
        set_mode(dir.path(), 0o755);
        set_mode(&out, 0o1777);
        Scratch { dir, home, out }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    /// A module in `library/` beside the playbook, executable.
    pub fn library_module(&self, name: &str, text: &str) -> PathBuf {
        std::fs::create_dir_all(self.path("library")).unwrap();
        let p = self.write(&format!("library/{name}"), text);
        set_mode(&p, 0o755);
        p
    }

    pub fn known_hosts(&self) -> PathBuf {
        self.home.join(".ssh/known_hosts")
    }

    /// Trust these servers' host keys, as a user who connected before would.
    pub fn trust(&self, servers: &[&SshServer]) {
        let lines: Vec<String> = servers.iter().map(|s| s.host_key_line.clone()).collect();
        std::fs::write(self.known_hosts(), lines.join("\n") + "\n").unwrap();
    }

    /// `drover` with a clean environment: this HOME, no colours, no ANSIBLE_* settings.
    pub fn drover(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_drover"));
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("ANSIBLE_") || k == "SSH_AUTH_SOCK" {
                cmd.env_remove(&k);
            }
        }
        cmd.env("HOME", &self.home)
            .env("NO_COLOR", "1")
            .current_dir(self.dir.path());
        cmd
    }
}

pub fn set_mode(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// An INI inventory group of named test servers.
pub fn inventory(group: &str, hosts: &[(&str, &SshServer)]) -> String {
    let mut s = format!("[{group}]\n");
    for (name, server) in hosts {
        s.push_str(&format!("{name} {}\n", server.inventory_vars()));
    }
    s
}

pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn show(&self) -> String {
        format!(
            "exit {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

pub fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("run drover");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// ansible-playbook's recap line: `"%-26s : %s %s %s %s %s %s %s"`, fields `"%s=%-4s"`.
pub fn recap(
    host: &str,
    [ok, changed, unreachable, failed, skipped, rescued, ignored]: [u32; 7],
) -> String {
    format!(
        "{host:<26} : ok={ok:<4} changed={changed:<4} unreachable={unreachable:<4} failed={failed:<4} skipped={skipped:<4} rescued={rescued:<4} ignored={ignored:<4}"
    )
}

/// A TCP port on 127.0.0.1 that nothing listens on.
pub fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}
