//! Process-wide cap on concurrent handshakes per server.
//!
//! OpenSSH drops unauthenticated connections at random once `MaxStartups`
//! (default 10:30:100) are pending, so a run over many hosts behind one sshd
//! or bastion must not open them all at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Semaphore;

pub(crate) const HANDSHAKES_PER_SERVER: usize = 8;

type SlotMap = HashMap<(String, u16), Arc<Semaphore>>;

static SLOTS: Mutex<Option<SlotMap>> = Mutex::new(None);

pub(crate) fn handshake_slots(address: &str, port: u16) -> Arc<Semaphore> {
    let mut guard = match SLOTS.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    };
    Arc::clone(
        guard
            .get_or_insert_with(HashMap::new)
            .entry((address.to_string(), port))
            .or_insert_with(|| Arc::new(Semaphore::new(HANDSHAKES_PER_SERVER))),
    )
}

/// Exponential backoff with jitter: 100 ms, 200 ms, ... capped at 2 s.
pub(crate) fn backoff(attempt: u32) -> Duration {
    let base = 100u64.saturating_mul(1 << attempt.min(5)).min(2000);
    let jitter =
        u64::from_str_radix(&crate::random::token()[..4], 16).unwrap_or(0) % (base / 2 + 1);
    Duration::from_millis(base / 2 + jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_server_shares_slots() {
        let a = handshake_slots("h", 22);
        let b = handshake_slots("h", 22);
        let c = handshake_slots("h", 23);
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &c));
        assert_eq!(a.available_permits(), HANDSHAKES_PER_SERVER);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        assert!(backoff(0) <= Duration::from_millis(100));
        assert!(backoff(10) <= Duration::from_millis(2000));
        assert!(backoff(10) >= Duration::from_millis(1000));
    }
}
