//! Commands on the controller itself (`ansible_connection=local`).

use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;
use tracing::{debug, trace};

use crate::driver::{drive, Event, Events};
use crate::escalation::{wrap, Become};
use crate::{ConnError, Connection, ExecOutput};

/// A connection that runs `/bin/sh -c CMD` on this machine.
pub fn local() -> Arc<dyn Connection> {
    Arc::new(LocalConnection)
}

struct LocalConnection;

#[async_trait]
impl Connection for LocalConnection {
    async fn exec(
        &self,
        cmd: &str,
        stdin: Option<&[u8]>,
        become_: Option<&Become>,
    ) -> Result<ExecOutput, ConnError> {
        let (line, filter) = match become_ {
            Some(b) => {
                let (line, f) = wrap(cmd, b)?;
                (line, Some(f))
            }
            None => (cmd.to_string(), None),
        };
        debug!(host = "localhost", command = %line, "exec");
        let mut child = Command::new("/bin/sh")
            .arg("-c")
            .arg(&line)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| ConnError::Other(format!("could not start /bin/sh: {e}")))?;
        let (tx, rx) = mpsc::channel(16);
        let (Some(stdin_pipe), Some(out), Some(err)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err(ConnError::Other("child pipes missing".to_string()));
        };
        tokio::spawn(pump(out, tx.clone(), Event::Stdout));
        tokio::spawn(pump(err, tx, Event::Stderr));
        let events = LocalEvents {
            rx,
            child,
            exited: false,
        };
        let (_, out) = drive(events, stdin_pipe, stdin, filter).await?;
        trace!(host = "localhost", rc = out.rc, "exec done");
        Ok(out)
    }

    async fn close(&self) {}
}

async fn pump<R: AsyncRead + Unpin>(mut r: R, tx: mpsc::Sender<Event>, wrap: fn(Vec<u8>) -> Event) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match r.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if tx.send(wrap(buf[..n].to_vec())).await.is_err() {
                    return;
                }
            }
        }
    }
}

struct LocalEvents {
    rx: mpsc::Receiver<Event>,
    child: Child,
    exited: bool,
}

impl Events for LocalEvents {
    async fn next(&mut self) -> Option<Event> {
        if self.exited {
            // A command that left a background process behind (`sleep 9 &`) exits
            // with its pipes still open: as ansible's run_command, keep reading while
            // output comes, and stop after a second of silence rather than at EOF.
            return tokio::time::timeout(Duration::from_secs(1), self.rx.recv())
                .await
                .ok()
                .flatten();
        }
        let status = tokio::select! {
            ev = self.rx.recv() => match ev {
                Some(ev) => return Some(ev),
                None => self.child.wait().await.ok()?,
            },
            status = self.child.wait() => status.ok()?,
        };
        self.exited = true;
        let rc = status
            .code()
            .or_else(|| status.signal().map(|s| 128 + s))
            .unwrap_or(-1);
        Some(Event::Exit(rc))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_background_process_does_not_hold_the_result() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let started = std::time::Instant::now();
        let out = rt
            .block_on(super::local().exec("sleep 20 & echo hi; echo err >&2; exit 3", None, None))
            .unwrap();
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
        assert_eq!(
            (out.rc, &out.stdout[..], &out.stderr[..]),
            (3, &b"hi\n"[..], &b"err\n"[..])
        );
    }
}
