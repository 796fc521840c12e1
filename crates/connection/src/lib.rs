//! drover-connection: how drover reaches a host.
//!
//! A [`Connection`] runs POSIX `sh` command lines and moves files. Two
//! implementations exist: SSH (russh, one shared connection per host with many
//! channels) and local (`/bin/sh -c` through tokio). Privilege escalation
//! (`become`) is applied here, not by modules, so every module gets it for free.

mod driver;
mod error;
mod escalation;
mod local;
mod prompt;
mod quote;
mod random;
mod secret;
mod ssh;
mod transfer;

pub use error::ConnError;
pub use escalation::Become;
pub use local::local;
pub use prompt::{PassphrasePrompt, TtyPrompt};
pub use quote::quote;
pub use secret::Secret;
pub use ssh::{connect_ssh, HostKeyChecking, SshParams};

use async_trait::async_trait;

/// What a finished command produced.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExecOutput {
    pub rc: i32,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

#[async_trait]
pub trait Connection: Send + Sync {
    /// Run a POSIX sh command line (already fully shell-quoted by the caller) on the host.
    async fn exec(
        &self,
        cmd: &str,
        stdin: Option<&[u8]>,
        become_: Option<&Become>,
    ) -> Result<ExecOutput, ConnError>;

    /// Write bytes to `dest` atomically: temp file in dest's directory, chmod mode, then rename.
    async fn put(
        &self,
        data: &[u8],
        dest: &str,
        mode: Option<u32>,
        become_: Option<&Become>,
    ) -> Result<(), ConnError> {
        transfer::put(self, data, dest, mode, become_).await
    }

    /// Read the whole file `src`.
    async fn get(&self, src: &str, become_: Option<&Become>) -> Result<Vec<u8>, ConnError> {
        transfer::get(self, src, become_).await
    }

    /// Release the connection; later calls fail with `Unreachable`.
    async fn close(&self);
}
