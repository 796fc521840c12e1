//! The part of running a command that SSH and local share: feed stdin while
//! collecting output, and run the become handshake on stderr.

use std::future::Future;

use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

use crate::escalation::{BecomeFilter, Step};
use crate::{ConnError, ExecOutput};

pub(crate) enum Event {
    Stdout(Vec<u8>),
    Stderr(Vec<u8>),
    Exit(i32),
}

/// A source of command events; `next` must be cancel-safe (it is polled in
/// `select!` next to the stdin writer).
pub(crate) trait Events: Send {
    fn next(&mut self) -> impl Future<Output = Option<Event>> + Send;
}

enum Write {
    Password(Vec<u8>),
    Stdin,
}

/// Drive one command to completion. Output is read while stdin is written so
/// neither side can stall the other (or, over SSH, the whole connection).
/// `Ok(None)` for the rc means the command ended without an exit status.
pub(crate) async fn drive<E: Events, W: AsyncWrite + Unpin + Send>(
    mut events: E,
    writer: W,
    stdin: Option<&[u8]>,
    mut filter: Option<BecomeFilter>,
) -> Result<(Option<i32>, ExecOutput), ConnError> {
    let (tx, mut rx) = mpsc::unbounded_channel::<Write>();
    if filter.is_none() {
        let _ = tx.send(Write::Stdin);
    }
    let write_all = async move {
        let mut w = writer;
        while let Some(job) = rx.recv().await {
            match job {
                Write::Password(mut line) => {
                    let ok = w.write_all(&line).await.is_ok() && w.flush().await.is_ok();
                    line.fill(0);
                    if !ok {
                        return;
                    }
                }
                Write::Stdin => {
                    // Errors mean the command stopped reading (closed stdin or
                    // exited); its exit status tells the story, so ignore them.
                    if let Some(data) = stdin {
                        if w.write_all(data).await.is_err() {
                            return;
                        }
                    }
                    let _ = w.flush().await;
                    let _ = w.shutdown().await;
                    return;
                }
            }
        }
    };
    tokio::pin!(write_all);
    let mut writer_done = false;
    let mut out = ExecOutput::default();
    let mut rc = None;
    loop {
        tokio::select! {
            ev = events.next() => match ev {
                None => break,
                Some(Event::Stdout(d)) => out.stdout.extend_from_slice(&d),
                Some(Event::Exit(code)) => rc = Some(code),
                Some(Event::Stderr(d)) => match filter.as_mut() {
                    None => out.stderr.extend_from_slice(&d),
                    Some(f) => match f.on_stderr(&d, &mut out.stderr) {
                        Step::Continue => {}
                        Step::SendPassword => {
                            let _ = tx.send(Write::Password(f.password_line()));
                        }
                        Step::Started => {
                            let _ = tx.send(Write::Stdin);
                        }
                        Step::Fail(e) => return Err(e),
                    },
                },
            },
            _ = &mut write_all, if !writer_done => writer_done = true,
        }
    }
    if let Some(f) = &filter {
        f.finish()?;
    }
    out.rc = rc.unwrap_or(-1);
    Ok((rc, out))
}
