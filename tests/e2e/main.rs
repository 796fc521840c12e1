//! End-to-end tests: the `drover` binary against real OpenSSH servers on loopback.

mod common;

mod become_sudo;
mod errors;
mod host_keys;
mod keys;
mod local;
mod playbook;
mod text;
