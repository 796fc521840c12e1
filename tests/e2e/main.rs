//! End-to-end tests: the `drover` binary against real OpenSSH servers on loopback.

mod common;

mod adhoc;
mod become_sudo;
mod differential;
mod errors;
mod facts;
mod files;
mod host_keys;
mod inventory;
mod keys;
mod keywords;
mod local;
mod microservices;
mod playbook;
mod system;
mod text;
