//! Every module's integration tests, in one test binary: one link and one binary on
//! disk instead of one per file (the CI machine's disk is small).

mod common;
mod sysfix;

mod accounts;
mod command;
mod cron_keys;
mod external;
mod files;
mod files_ansible;
mod git;
mod host_config;
mod http;
mod packages;
mod pip;
mod services;
mod setup;
mod supervisor;
mod text;
mod text_vs_ansible;
mod waiting;
