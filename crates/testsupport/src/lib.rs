//! drover-testsupport: real OpenSSH servers and users for tests.
//!
//! Everything here panics with a clear message when the machine cannot
//! provide what a test needs: tests that need sshd are meaningless without it.

mod ports;
mod sshd;
mod tempdir;
mod users;

pub use ports::service_ports;
pub use sshd::SshServer;
pub use tempdir::{drover_home, TempDir};
pub use users::{is_root, sudo_fixture, test_user, SudoFixture};

use std::path::Path;
use std::process::Command;

/// Run a command, panicking with its output if it fails.
pub(crate) fn run(cmd: &mut Command) -> String {
    let shown = format!("{cmd:?}");
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("testsupport: could not run {shown}: {e}"));
    assert!(
        out.status.success(),
        "testsupport: {shown} failed ({}): {}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A fresh ed25519 key pair at `path` (and `path.pub`), optionally encrypted.
pub fn keygen(path: &Path, passphrase: &str) {
    run(Command::new("ssh-keygen")
        .args([
            "-q",
            "-t",
            "ed25519",
            "-N",
            passphrase,
            "-C",
            "drover-test",
            "-f",
        ])
        .arg(path));
}

/// A unique name fragment for temp dirs across parallel test processes.
pub(crate) fn unique() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{}-{}-{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}
