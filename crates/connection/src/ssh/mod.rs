//! SSH connections with russh: one connection per host, many channels.

mod auth;
mod channel;
mod hostkey;
mod known_hosts;
mod limit;
mod params;

pub use params::{HostKeyChecking, SshParams};

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use russh::client::{self, Handle};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::Semaphore;
use tracing::{debug, trace};

use crate::escalation::{wrap, Become};
use crate::{ConnError, Connection, ExecOutput, PassphrasePrompt};
use auth::Credentials;
use hostkey::{ClientHandler, HandlerError, HostKeyPolicy};
use params::{resolve, Resolved};

const CONNECT_ATTEMPTS: u32 = 6;

/// Open (and authenticate) the SSH connection to one host.
pub async fn connect_ssh(
    p: SshParams,
    prompt: Arc<dyn PassphrasePrompt>,
) -> Result<Arc<dyn Connection>, ConnError> {
    let target = resolve(&p);
    let mut via: Option<Arc<SshConnection>> = None;
    if let Some(spec) = &target.proxy_jump {
        let hops = params::parse_jumps(spec).map_err(ConnError::Unreachable)?;
        for hop in hops {
            let mut hp = p.clone();
            hp.host = format!("{} (jump host for {})", hop.host, p.host);
            hp.address = hop.host;
            hp.port = hop.port;
            hp.user = hop.user;
            hp.proxy_jump = None;
            let mut r = resolve(&hp);
            // Hops are chained here; a hop's own ProxyJump would loop.
            r.proxy_jump = None;
            via = Some(open(r, &prompt, via).await?);
        }
    }
    let conn: Arc<dyn Connection> = open(target, &prompt, via).await?;
    Ok(conn)
}

struct SshConnection {
    host: String,
    handle: Handle<ClientHandler>,
    channels: Semaphore,
    closed: AtomicBool,
    /// Keeps the jump host's connection (and our tunnel in it) alive.
    via: Option<Arc<SshConnection>>,
}

fn client_config() -> Arc<client::Config> {
    Arc::new(client::Config {
        // No inactivity_timeout: replies to server keepalives would not reset it.
        keepalive_interval: Some(Duration::from_secs(15)),
        keepalive_max: 3,
        nodelay: true,
        ..Default::default()
    })
}

async fn open(
    r: Resolved,
    prompt: &Arc<dyn PassphrasePrompt>,
    via: Option<Arc<SshConnection>>,
) -> Result<Arc<SshConnection>, ConnError> {
    let creds = auth::prepare(&r, prompt).await;
    let slots = limit::handshake_slots(&r.address, r.port);
    let mut attempt = 0;
    loop {
        let permit = slots
            .acquire()
            .await
            .map_err(|_| ConnError::Other("handshake limiter closed".to_string()))?;
        let saw_key = Arc::new(AtomicBool::new(false));
        let result = tokio::time::timeout(
            r.connect_timeout,
            handshake(&r, &creds, via.as_deref(), Arc::clone(&saw_key)),
        )
        .await;
        drop(permit);
        let err = match result {
            Ok(Ok(handle)) => {
                debug!(host = %r.host, address = %r.address, port = r.port, user = %r.user, "connected");
                return Ok(Arc::new(SshConnection {
                    host: r.host.clone(),
                    handle,
                    channels: Semaphore::new(r.max_channels),
                    closed: AtomicBool::new(false),
                    via,
                }));
            }
            Ok(Err(e)) => e,
            Err(_) => {
                return Err(ConnError::Unreachable(format!(
                    "Timed out after {:?} connecting to {} ({}:{}) (TCP connect, SSH handshake and authentication)",
                    r.connect_timeout, r.host, r.address, r.port
                )))
            }
        };
        attempt += 1;
        let retry = matches!(&err, Failure::Early(_)) && !saw_key.load(Ordering::SeqCst);
        if !retry || attempt >= CONNECT_ATTEMPTS {
            return Err(err.into_error(&r));
        }
        let wait = limit::backoff(attempt);
        debug!(host = %r.host, attempt, ?wait, "server closed the connection before the handshake; retrying");
        tokio::time::sleep(wait).await;
    }
}

/// Why one connection attempt failed.
enum Failure {
    /// TCP connect failed.
    Connect(std::io::Error),
    /// The server hung up before key exchange (MaxStartups, PerSourcePenalties).
    Early(String),
    Ssh(String),
    Final(ConnError),
}

impl Failure {
    fn into_error(self, r: &Resolved) -> ConnError {
        let target = format!("{} ({}:{})", r.host, r.address, r.port);
        match self {
            Failure::Connect(e) => {
                ConnError::Unreachable(format!("Failed to connect to {target}: {e}"))
            }
            Failure::Early(e) => ConnError::Unreachable(format!(
                "Connection to {target} closed by the server during the SSH handshake \
                 (kex_exchange_identification): {e}"
            )),
            Failure::Ssh(e) => {
                ConnError::Unreachable(format!("SSH handshake with {target} failed: {e}"))
            }
            Failure::Final(e) => e,
        }
    }
}

fn classify(e: HandlerError) -> Failure {
    use std::io::ErrorKind;
    match e {
        HandlerError::HostKey(msg) => Failure::Final(ConnError::Unreachable(msg)),
        HandlerError::Ssh(russh::Error::IO(io))
            if matches!(
                io.kind(),
                ErrorKind::ConnectionReset | ErrorKind::UnexpectedEof | ErrorKind::BrokenPipe
            ) =>
        {
            Failure::Early(io.to_string())
        }
        HandlerError::Ssh(e @ (russh::Error::Disconnect | russh::Error::HUP)) => {
            Failure::Early(e.to_string())
        }
        HandlerError::Ssh(e) => Failure::Ssh(e.to_string()),
    }
}

async fn handshake(
    r: &Resolved,
    creds: &Credentials,
    via: Option<&SshConnection>,
    saw_key: Arc<AtomicBool>,
) -> Result<Handle<ClientHandler>, Failure> {
    let handler = ClientHandler {
        policy: Arc::new(HostKeyPolicy {
            host: r.host.clone(),
            address: r.address.clone(),
            port: r.port,
            checking: r.checking,
            known_hosts: r.known_hosts.clone(),
        }),
        saw_key,
    };
    let mut handle = match via {
        None => {
            let tcp = tokio::net::TcpStream::connect((r.address.as_str(), r.port))
                .await
                .map_err(Failure::Connect)?;
            let _ = tcp.set_nodelay(true);
            start(tcp, handler).await?
        }
        Some(jump) => {
            let ch = jump
                .handle
                .channel_open_direct_tcpip(r.address.as_str(), u32::from(r.port), "127.0.0.1", 0)
                .await
                .map_err(|e| {
                    Failure::Final(ConnError::Unreachable(format!(
                        "Jump host {} could not reach {} ({}:{}): {e}",
                        jump.host, r.host, r.address, r.port
                    )))
                })?;
            start(ch.into_stream(), handler).await?
        }
    };
    auth::authenticate(&mut handle, r, creds)
        .await
        .map_err(Failure::Final)?;
    Ok(handle)
}

async fn start<S>(stream: S, handler: ClientHandler) -> Result<Handle<ClientHandler>, Failure>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    client::connect_stream(client_config(), stream, handler)
        .await
        .map_err(classify)
}

impl SshConnection {
    fn lost(&self, what: &str) -> ConnError {
        ConnError::Unreachable(format!("Connection to {} lost: {what}", self.host))
    }

    async fn open_channel(&self) -> Result<russh::Channel<client::Msg>, ConnError> {
        let mut attempt = 0;
        loop {
            match self.handle.channel_open_session().await {
                Ok(ch) => return Ok(ch),
                // Someone else (a jump tunnel, an earlier channel not yet
                // closed server-side) may hold a session slot for a moment.
                Err(russh::Error::ChannelOpenFailure(_)) if attempt < 5 => {
                    attempt += 1;
                    tokio::time::sleep(limit::backoff(attempt)).await;
                }
                Err(e) if self.handle.is_closed() => return Err(self.lost(&e.to_string())),
                Err(e) => {
                    return Err(ConnError::Other(format!(
                        "Could not open a channel to {}: {e}",
                        self.host
                    )))
                }
            }
        }
    }
}

#[async_trait]
impl Connection for SshConnection {
    async fn exec(
        &self,
        cmd: &str,
        stdin: Option<&[u8]>,
        become_: Option<&Become>,
    ) -> Result<ExecOutput, ConnError> {
        if self.closed.load(Ordering::SeqCst) {
            return Err(self.lost("closed"));
        }
        let (line, filter) = match become_ {
            Some(b) => {
                let (line, f) = wrap(cmd, b)?;
                (line, Some(f))
            }
            None => (cmd.to_string(), None),
        };
        let _permit = self
            .channels
            .acquire()
            .await
            .map_err(|_| self.lost("closed"))?;
        debug!(host = %self.host, command = %line, "exec");
        let ch = self.open_channel().await?;
        ch.exec(false, line.as_bytes())
            .await
            .map_err(|e| self.lost(&e.to_string()))?;
        let (read, write) = ch.split();
        let result = crate::driver::drive(
            channel::SshEvents { read },
            write.make_writer(),
            stdin,
            filter,
        )
        .await;
        match result {
            Ok((Some(rc), out)) => {
                trace!(host = %self.host, rc, stdout = out.stdout.len(), stderr = out.stderr.len(), "exec done");
                Ok(out)
            }
            Ok((None, _)) => Err(self.lost("the command ended without an exit status")),
            Err(e) => {
                // Stop sudo waiting for a password that will never come.
                let _ = write.close().await;
                Err(e)
            }
        }
    }

    async fn close(&self) {
        if self.closed.swap(true, Ordering::SeqCst) {
            return;
        }
        let _ = self
            .handle
            .disconnect(russh::Disconnect::ByApplication, "", "en")
            .await;
        if let Some(v) = &self.via {
            v.close().await;
        }
    }
}
