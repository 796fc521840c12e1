//! Fixtures for the system-module tests: a connection wrapper that puts a directory of
//! stand-in programs (systemctl, service, crontab) first on the host's PATH, and a
//! world-writable scratch directory the sshd login user can use.

#![allow(dead_code)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use drover_connection::{quote, Become, ConnError, Connection, ExecOutput};

/// Runs every command with `dir` first on PATH.
pub struct PathFirst {
    pub inner: Arc<dyn Connection>,
    pub dir: String,
}

#[async_trait]
impl Connection for PathFirst {
    async fn exec(
        &self,
        cmd: &str,
        stdin: Option<&[u8]>,
        become_: Option<&Become>,
    ) -> Result<ExecOutput, ConnError> {
        let cmd = format!("PATH={}:\"$PATH\"; export PATH; {cmd}", quote(&self.dir));
        self.inner.exec(&cmd, stdin, become_).await
    }

    async fn close(&self) {
        self.inner.close().await
    }
}

/// Write an executable script.
pub fn script(path: &Path, text: &str) {
    std::fs::write(path, text).expect("write script");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// Make a test directory usable by the unprivileged sshd login user.
pub fn open_dir(path: &Path) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o777)).expect("chmod");
}

/// A name no parallel test run shares (user and group names: at most 32 chars).
pub fn unique_name(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}{}{:x}",
        std::process::id() % 100000,
        nanos % 0xffff
    )
}
