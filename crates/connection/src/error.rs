use thiserror::Error;

/// Why talking to a host failed. `Unreachable` maps to Ansible's UNREACHABLE
/// result; the others are task failures.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ConnError {
    #[error("{0}")]
    Unreachable(String),
    #[error("{0}")]
    Become(String),
    #[error("{0}")]
    Transfer(String),
    #[error("{0}")]
    Other(String),
}
