//! Asking a person for a key passphrase.

use std::io::{BufRead, BufReader, IsTerminal, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Mutex;

use crate::Secret;

/// Supplies the passphrase of an encrypted private key, or `None` when there
/// is nobody to ask.
pub trait PassphrasePrompt: Send + Sync {
    fn passphrase(&self, key: &Path) -> Option<Secret>;
}

/// Asks on the controlling terminal (`/dev/tty`) when drover runs
/// interactively; returns `None` under cron or CI.
#[derive(Default)]
pub struct TtyPrompt {
    // Many hosts connect at once; only one question may be on screen.
    lock: Mutex<()>,
}

impl TtyPrompt {
    pub fn new() -> Self {
        TtyPrompt::default()
    }
}

impl PassphrasePrompt for TtyPrompt {
    fn passphrase(&self, key: &Path) -> Option<Secret> {
        if !(std::io::stdin().is_terminal() || std::io::stderr().is_terminal()) {
            return None;
        }
        let _guard = self.lock.lock().ok()?;
        let mut tty = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/tty")
            .ok()?;
        write!(tty, "Enter passphrase for key '{}': ", key.display()).ok()?;
        tty.flush().ok()?;
        let echo_off = set_echo(false);
        let mut line = String::new();
        let read = BufReader::new(&tty).read_line(&mut line);
        if echo_off {
            set_echo(true);
        }
        let _ = writeln!(tty);
        read.ok()?;
        while line.ends_with('\n') || line.ends_with('\r') {
            line.pop();
        }
        Some(Secret::new(line))
    }
}

/// `stty` on /dev/tty: avoids a libc/termios dependency for a rare prompt.
fn set_echo(on: bool) -> bool {
    let Ok(tty) = std::fs::File::open("/dev/tty") else {
        return false;
    };
    Command::new("stty")
        .arg(if on { "echo" } else { "-echo" })
        .stdin(Stdio::from(tty))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}
