use std::fmt;

/// A secret string (become or key passphrase). It has no `Display` and its
/// `Debug` is masked so it cannot end up in logs or results by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Secret(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("********")
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        // Best effort: overwrite the heap buffer before it is freed.
        let mut bytes = std::mem::take(&mut self.0).into_bytes();
        bytes.fill(0);
        // Keeps the optimiser from treating the wipe as a dead store.
        std::hint::black_box(&bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_masked() {
        let s = Secret::new("hunter2".into());
        assert_eq!(format!("{s:?}"), "********");
        assert_eq!(s.expose(), "hunter2");
        let c = s.clone();
        assert_eq!(c.expose(), "hunter2");
    }
}
