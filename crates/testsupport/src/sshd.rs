//! A throwaway OpenSSH server on loopback (after ../shared/bench/setup-sshd.sh).

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::users::{ensure_user, is_root, test_user};
use crate::{keygen, run, unique};

/// A running sshd. Dropping it kills the server and removes its directory.
pub struct SshServer {
    pub port: u16,
    pub user: String,
    /// Private key authorised for `user` (unencrypted ed25519).
    pub client_key: PathBuf,
    /// `[127.0.0.1]:PORT ssh-ed25519 AAAA...` for a known_hosts file.
    pub host_key_line: String,
    pub dir: PathBuf,
    /// `ssh-ed25519 AAAA...` (no comment).
    pub host_public_key: String,
    child: Child,
}

/// sshd must be called by absolute path: it re-execs itself.
fn sshd_binary() -> PathBuf {
    for p in ["/usr/sbin/sshd", "/usr/local/sbin/sshd"] {
        if Path::new(p).exists() {
            return PathBuf::from(p);
        }
    }
    panic!("testsupport: sshd not found (apt-get install openssh-server)");
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("testsupport: chmod {}: {e}", path.display()));
}

impl SshServer {
    /// Start a server for `test_user()`.
    pub fn start() -> SshServer {
        SshServer::start_for(&test_user())
    }

    /// Start a server that lets `user` log in with a fresh client key.
    pub fn start_for(user: &str) -> SshServer {
        SshServer::start_custom(user, "")
    }

    /// Like `start_for`, with extra sshd_config lines replacing the default
    /// lines for the same keywords (sshd keeps the first value of most
    /// keywords but the last of some, e.g. MaxStartups).
    pub fn start_custom(user: &str, extra_config: &str) -> SshServer {
        let root = is_root();
        if root {
            std::fs::create_dir_all("/run/sshd").unwrap_or_else(|e| panic!("mkdir /run/sshd: {e}"));
            chmod(Path::new("/run/sshd"), 0o755);
            ensure_user(user);
        }
        let dir = std::env::temp_dir().join(format!("drover-sshd-{}", unique()));
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|e| panic!("testsupport: mkdir {}: {e}", dir.display()));
        // 711: the login user must reach its authorized_keys file in here.
        chmod(&dir, 0o711);
        let host_key = dir.join("host_ed25519");
        let client_key = dir.join("client_ed25519");
        keygen(&host_key, "");
        keygen(&client_key, "");
        let host_public_key = first_two_fields(&read(&dir.join("host_ed25519.pub")));
        let authorized = dir.join(format!("authorized_keys.{user}"));
        std::fs::copy(dir.join("client_ed25519.pub"), &authorized)
            .unwrap_or_else(|e| panic!("testsupport: copy key: {e}"));
        chmod(&authorized, 0o600);
        if root {
            // sshd reads authorized_keys with the user's uid.
            run(Command::new("chown").arg(user).arg(&authorized));
        }
        let mut last_log = String::new();
        for _ in 0..20 {
            let port = free_port();
            let config = dir.join("sshd_config");
            write(
                &config,
                &merge_config(&sshd_config(&dir, port, user), extra_config),
            );
            let log = dir.join("sshd.log");
            let _ = std::fs::remove_file(&log);
            let mut child = Command::new(sshd_binary())
                .arg("-D")
                .arg("-f")
                .arg(&config)
                .arg("-E")
                .arg(&log)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("testsupport: cannot start sshd: {e}"));
            if wait_ready(&mut child, port) {
                return SshServer {
                    port,
                    user: user.to_string(),
                    client_key,
                    host_key_line: format!("[127.0.0.1]:{port} {host_public_key}"),
                    dir,
                    host_public_key,
                    child,
                };
            }
            last_log = std::fs::read_to_string(&log).unwrap_or_default();
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&dir);
        panic!("testsupport: sshd did not come up after 20 attempts; last log:\n{last_log}");
    }

    /// The known_hosts line for this server reached as `address`.
    pub fn known_hosts_line(&self, address: &str) -> String {
        format!("[{address}]:{} {}", self.port, self.host_public_key)
    }

    /// Inventory host variables that reach this server.
    pub fn inventory_vars(&self) -> String {
        format!(
            "ansible_host=127.0.0.1 ansible_port={} ansible_user={} ansible_ssh_private_key_file={}",
            self.port,
            self.user,
            self.client_key.display()
        )
    }

    /// Also accept logins with this public key line (`ssh-ed25519 AAAA...`).
    pub fn authorize_key(&self, public_key_line: &str) {
        use std::io::Write;
        let path = self.dir.join(format!("authorized_keys.{}", self.user));
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap_or_else(|e| panic!("testsupport: open {}: {e}", path.display()));
        writeln!(f, "{}", public_key_line.trim())
            .unwrap_or_else(|e| panic!("testsupport: append key: {e}"));
    }

    /// sshd's log so far, for assertion messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("sshd.log")).unwrap_or_default()
    }
}

impl Drop for SshServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Ready = listening and sending its SSH banner; false if sshd died
/// (typically: another process took the port first).
fn wait_ready(child: &mut Child, port: u16) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return false;
        }
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
            let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
            let mut buf = [0u8; 4];
            if s.read_exact(&mut buf).is_ok() && &buf == b"SSH-" {
                return true;
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

fn keyword(line: &str) -> String {
    line.split_whitespace()
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase()
}

fn merge_config(base: &str, extra: &str) -> String {
    let replaced: Vec<String> = extra.lines().map(keyword).collect();
    let mut out: String = base
        .lines()
        .filter(|l| !replaced.contains(&keyword(l)))
        .map(|l| format!("{l}\n"))
        .collect();
    out.push_str(extra);
    out.push('\n');
    out
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("testsupport: cannot find a free port: {e}"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("testsupport: read {}: {e}", path.display()))
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text)
        .unwrap_or_else(|e| panic!("testsupport: write {}: {e}", path.display()));
}

fn first_two_fields(line: &str) -> String {
    line.split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

fn sshd_config(dir: &Path, port: u16, user: &str) -> String {
    let d = dir.display();
    let mut cfg = format!(
        "Port {port}
ListenAddress 0.0.0.0
HostKey {d}/host_ed25519
PidFile {d}/sshd.pid
AuthorizedKeysFile {d}/authorized_keys.%u
StrictModes no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AllowUsers {user}@127.0.0.0/8 {user}@::1
UsePAM no
UseDNS no
MaxStartups 1000:30:2000
MaxSessions 1000
MaxAuthTries 20
LoginGraceTime 60
AllowTcpForwarding yes
Subsystem sftp internal-sftp
PrintMotd no
PrintLastLog no
"
    );
    if supports_per_source_penalties() {
        cfg.push_str("PerSourcePenalties no\n");
    }
    cfg
}

/// PerSourcePenalties exists from OpenSSH 9.8; older sshd refuses the option.
fn supports_per_source_penalties() -> bool {
    static SUPPORTED: OnceLock<bool> = OnceLock::new();
    *SUPPORTED.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("drover-sshd-probe-{}", unique()));
        let _ = std::fs::create_dir_all(&dir);
        let key = dir.join("k");
        keygen(&key, "");
        let cfg = dir.join("c");
        write(
            &cfg,
            &format!("HostKey {}\nPerSourcePenalties no\n", key.display()),
        );
        let ok = Command::new(sshd_binary())
            .arg("-t")
            .arg("-f")
            .arg(&cfg)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        let _ = std::fs::remove_dir_all(&dir);
        ok
    })
}
