//! The connection's tests against real sshd processes, in one test binary (one link,
//! one binary on disk). ssh-agent's test stays apart: it sets SSH_AUTH_SOCK.

#[path = "../common/mod.rs"]
mod common;

mod auth;
mod config_jump;
mod exec;
mod hostkeys;
mod maxstartups;
mod privilege;
mod transfer;
