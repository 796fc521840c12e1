use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A hard-to-guess token for temp names, sudo prompts and markers.
/// Uniqueness matters here, not cryptographic strength: it only has to not
/// collide and not appear in a command's own output by chance.
pub(crate) fn token() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut out = String::new();
    for round in 0..2u64 {
        let mut h = RandomState::new().build_hasher();
        h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        h.write_u64(round);
        h.write_u32(std::process::id());
        if let Ok(d) = SystemTime::now().duration_since(UNIX_EPOCH) {
            h.write_u128(d.as_nanos());
        }
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out
}

/// A scratch directory for unit tests, removed on drop.
#[cfg(test)]
pub(crate) struct Dir(pub std::path::PathBuf);

#[cfg(test)]
impl Dir {
    pub(crate) fn new() -> Dir {
        let p = std::env::temp_dir().join(format!("drover-unit-{}", token()));
        std::fs::create_dir_all(&p).expect("create scratch dir");
        Dir(p)
    }
}

#[cfg(test)]
impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_differ() {
        let a = super::token();
        let b = super::token();
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
    }
}
