//! `become` via sudo: wrap the command line, then watch stderr to answer the
//! password prompt and to learn when the real command has started.

use crate::quote::quote;
use crate::random::token;
use crate::{ConnError, Secret};

/// How to escalate privileges for one command (Ansible's `become*` keywords).
#[derive(Clone, Debug)]
pub struct Become {
    pub user: String,
    pub method: String,
    /// `become_flags`; `None` means Ansible's sudo default `-H -S -n`.
    pub flags: Option<String>,
    pub password: Option<Secret>,
}

impl Default for Become {
    fn default() -> Self {
        Become {
            user: "root".to_string(),
            method: "sudo".to_string(),
            flags: None,
            password: None,
        }
    }
}

const DEFAULT_SUDO_FLAGS: &str = "-H -S -n";
const NEED_PASSWORD: &str = "sudo requires a password; use -K or --become-password-file";

/// Build the sudo command line for `cmd`. The password is never part of it:
/// it is written to sudo's stdin when the unique prompt shows up on stderr.
pub(crate) fn wrap(cmd: &str, b: &Become) -> Result<(String, BecomeFilter), ConnError> {
    if b.method != "sudo" {
        return Err(ConnError::Become(format!(
            "become method '{}' is not supported (only 'sudo' is)",
            b.method
        )));
    }
    let id = token();
    let prompt = format!("[sudo via drover, key={id}] password:");
    let marker = format!("DROVER-BECOME-SUCCESS-{id}");
    let flags = b.flags.as_deref().unwrap_or(DEFAULT_SUDO_FLAGS);
    let mut words: Vec<&str> = flags.split_whitespace().collect();
    if b.password.is_some() {
        // As Ansible does: -n would make sudo fail instead of asking, and -S
        // is what lets us answer on stdin (there is no tty).
        words.retain(|w| *w != "-n");
        if !words.contains(&"-S") {
            words.push("-S");
        }
    }
    let inner = format!("echo {marker} >&2; exec /bin/sh -c {}", quote(cmd));
    let line = format!(
        "sudo {} -p {} -u {} /bin/sh -c {}",
        words.join(" "),
        quote(&prompt),
        quote(&b.user),
        quote(&inner)
    );
    let filter = BecomeFilter {
        prompt: prompt.into_bytes(),
        marker: format!("{marker}\n").into_bytes(),
        password: b.password.clone(),
        pending: Vec::new(),
        prompts_answered: 0,
        started: false,
    };
    Ok((line, filter))
}

/// What the driver must do after a chunk of stderr.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Step {
    Continue,
    /// Write `password_line()` to stdin.
    SendPassword,
    /// The real command runs now: send its stdin.
    Started,
    Fail(ConnError),
}

pub(crate) struct BecomeFilter {
    prompt: Vec<u8>,
    marker: Vec<u8>,
    password: Option<Secret>,
    /// stderr seen before the marker (sudo's own chatter).
    pending: Vec<u8>,
    prompts_answered: usize,
    started: bool,
}

impl BecomeFilter {
    /// Feed stderr; bytes that belong to the user's command go to `stderr`.
    pub(crate) fn on_stderr(&mut self, data: &[u8], stderr: &mut Vec<u8>) -> Step {
        if self.started {
            stderr.extend_from_slice(data);
            return Step::Continue;
        }
        self.pending.extend_from_slice(data);
        if let Some(at) = find(&self.pending, &self.marker) {
            self.started = true;
            stderr.extend_from_slice(&self.pending[at + self.marker.len()..]);
            self.pending.clear();
            return Step::Started;
        }
        let prompts = count(&self.pending, &self.prompt);
        if prompts > 1 {
            return Step::Fail(ConnError::Become(
                "Incorrect sudo password (sudo asked for it again)".to_string(),
            ));
        }
        if prompts == 1 && self.prompts_answered == 0 {
            if self.password.is_none() {
                return Step::Fail(ConnError::Become(NEED_PASSWORD.to_string()));
            }
            self.prompts_answered = 1;
            return Step::SendPassword;
        }
        Step::Continue
    }

    pub(crate) fn password_line(&self) -> Vec<u8> {
        let mut line = self
            .password
            .as_ref()
            .map(|p| p.expose().as_bytes().to_vec())
            .unwrap_or_default();
        line.push(b'\n');
        line
    }

    /// Called when the command finished: sudo failing before our marker is
    /// a become error, not the command's own failure.
    pub(crate) fn finish(&self) -> Result<(), ConnError> {
        if self.started {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&self.pending)
            .replace(std::str::from_utf8(&self.prompt).unwrap_or_default(), "");
        if text.contains("a password is required") {
            return Err(ConnError::Become(NEED_PASSWORD.to_string()));
        }
        if text.contains("incorrect password") || text.contains("Sorry, try again") {
            return Err(ConnError::Become("Incorrect sudo password".to_string()));
        }
        Err(ConnError::Become(format!(
            "sudo did not start the command: {}",
            text.trim()
        )))
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

fn count(hay: &[u8], needle: &[u8]) -> usize {
    let mut n = 0;
    let mut rest = hay;
    while let Some(at) = find(rest, needle) {
        n += 1;
        rest = &rest[at + needle.len()..];
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_password() -> Become {
        Become {
            user: "app user".into(),
            password: Some(Secret::new("s3cr3t!".into())),
            ..Become::default()
        }
    }

    #[test]
    fn command_line_never_holds_the_password() {
        let (line, _) = wrap("id -un", &with_password()).expect("wrap");
        assert!(!line.contains("s3cr3t"));
        assert!(line.starts_with("sudo -H -S -p '[sudo via drover"));
        assert!(line.contains("-u 'app user' /bin/sh -c "));
        assert!(!line.contains(" -n "));
    }

    #[test]
    fn default_flags_keep_non_interactive_without_password() {
        let (line, _) = wrap("true", &Become::default()).expect("wrap");
        assert!(line.starts_with("sudo -H -S -n -p "));
    }

    #[test]
    fn other_methods_are_refused() {
        let b = Become {
            method: "su".into(),
            ..Become::default()
        };
        assert!(matches!(wrap("true", &b), Err(ConnError::Become(_))));
    }

    #[test]
    fn prompt_then_marker_in_split_chunks() {
        let (_, mut f) = wrap("true", &with_password()).expect("wrap");
        let prompt = f.prompt.clone();
        let marker = f.marker.clone();
        let mut err = Vec::new();
        let (a, b) = prompt.split_at(5);
        assert_eq!(f.on_stderr(a, &mut err), Step::Continue);
        assert_eq!(f.on_stderr(b, &mut err), Step::SendPassword);
        assert_eq!(f.password_line(), b"s3cr3t!\n");
        let (m1, m2) = marker.split_at(7);
        assert_eq!(f.on_stderr(m1, &mut err), Step::Continue);
        let mut tail = m2.to_vec();
        tail.extend_from_slice(b"real err");
        assert_eq!(f.on_stderr(&tail, &mut err), Step::Started);
        assert_eq!(f.on_stderr(b"\nmore", &mut err), Step::Continue);
        assert_eq!(err, b"real err\nmore");
        assert!(f.finish().is_ok());
    }

    #[test]
    fn second_prompt_means_wrong_password() {
        let (_, mut f) = wrap("true", &with_password()).expect("wrap");
        let prompt = f.prompt.clone();
        let mut err = Vec::new();
        assert_eq!(f.on_stderr(&prompt, &mut err), Step::SendPassword);
        let mut again = b"Sorry, try again.\n".to_vec();
        again.extend_from_slice(&prompt);
        assert!(matches!(
            f.on_stderr(&again, &mut err),
            Step::Fail(ConnError::Become(m)) if m.contains("Incorrect sudo password")
        ));
    }

    #[test]
    fn prompt_without_password_fails() {
        let (_, mut f) = wrap("true", &Become::default()).expect("wrap");
        let prompt = f.prompt.clone();
        assert!(matches!(
            f.on_stderr(&prompt, &mut Vec::new()),
            Step::Fail(ConnError::Become(m)) if m.contains("-K")
        ));
    }

    #[test]
    fn sudo_n_refusal_is_a_become_error() {
        let (_, mut f) = wrap("true", &Become::default()).expect("wrap");
        f.on_stderr(b"sudo: a password is required\n", &mut Vec::new());
        assert!(
            matches!(f.finish(), Err(ConnError::Become(m)) if m.contains("requires a password"))
        );
    }
}
