//! known_hosts lookup. russh's own matcher only handles single-space
//! separated plain or hashed entries; OpenSSH files also use tabs, wildcard
//! and negated patterns, `@revoked` and `@cert-authority` markers.

use std::path::{Path, PathBuf};

use data_encoding::BASE64;
use hmac::{Hmac, KeyInit, Mac};
use russh::keys::PublicKey;
use sha1::Sha1;

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Lookup {
    Known,
    Unknown,
    /// An entry for this host with the same key type but another key.
    Changed {
        file: PathBuf,
        line: usize,
        text: String,
    },
    Revoked {
        file: PathBuf,
        line: usize,
    },
}

/// How OpenSSH names a host in known_hosts: `[addr]:port` unless port 22.
pub(crate) fn host_name(address: &str, port: u16) -> String {
    if port == 22 {
        address.to_string()
    } else {
        format!("[{address}]:{port}")
    }
}

pub(crate) fn lookup(files: &[&Path], address: &str, port: u16, key: &PublicKey) -> Lookup {
    let name = host_name(address, port);
    let mut changed = None;
    let mut known = false;
    for file in files {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut fields = line.split_whitespace();
            let mut first = fields.next().unwrap_or_default();
            let marker = if first.starts_with('@') {
                let m = first;
                first = fields.next().unwrap_or_default();
                Some(m)
            } else {
                None
            };
            let (Some(_kind), Some(blob)) = (fields.next(), fields.next()) else {
                continue;
            };
            if !hosts_match(first, &name) {
                continue;
            }
            // OpenSSH skips lines it cannot parse.
            let Ok(recorded) = russh::keys::parse_public_key_base64(blob) else {
                continue;
            };
            let same = recorded.key_data() == key.key_data();
            match marker {
                Some("@revoked") if same => {
                    return Lookup::Revoked {
                        file: file.to_path_buf(),
                        line: i + 1,
                    }
                }
                // Host certificates are not supported: CA lines are not host keys.
                Some(_) => {}
                None if same => known = true,
                None if recorded.algorithm() == key.algorithm() && changed.is_none() => {
                    changed = Some(Lookup::Changed {
                        file: file.to_path_buf(),
                        line: i + 1,
                        text: raw.to_string(),
                    });
                }
                None => {}
            }
        }
    }
    if known {
        Lookup::Known
    } else {
        changed.unwrap_or(Lookup::Unknown)
    }
}

/// A comma-separated pattern list matches when some pattern matches and no
/// negated (`!`) pattern does.
fn hosts_match(patterns: &str, name: &str) -> bool {
    let mut matched = false;
    for p in patterns.split(',') {
        if let Some(neg) = p.strip_prefix('!') {
            if glob(neg.as_bytes(), name.as_bytes()) {
                return false;
            }
        } else if let Some(hashed) = p.strip_prefix("|1|") {
            matched |= hashed_match(hashed, name);
        } else {
            matched |= glob(p.as_bytes(), name.as_bytes());
        }
    }
    matched
}

fn hashed_match(salt_and_hash: &str, name: &str) -> bool {
    let Some((salt, hash)) = salt_and_hash.split_once('|') else {
        return false;
    };
    let (Ok(salt), Ok(hash)) = (
        BASE64.decode(salt.as_bytes()),
        BASE64.decode(hash.as_bytes()),
    ) else {
        return false;
    };
    let Ok(mac) = <Hmac<Sha1> as KeyInit>::new_from_slice(&salt) else {
        return false;
    };
    mac.chain_update(name.as_bytes())
        .verify_slice(&hash)
        .is_ok()
}

/// `*` and `?` wildcards, case-insensitive like OpenSSH host patterns.
fn glob(pattern: &[u8], name: &[u8]) -> bool {
    match pattern.split_first() {
        None => name.is_empty(),
        Some((b'*', rest)) => (0..=name.len()).any(|i| glob(rest, &name[i..])),
        Some((b'?', rest)) => !name.is_empty() && glob(rest, &name[1..]),
        Some((c, rest)) => name
            .split_first()
            .is_some_and(|(n, tail)| n.eq_ignore_ascii_case(c) && glob(rest, tail)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_A: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIJdD7y3aLq454yWBdwLWbieU1ebz9/cu7/QEXn9OIeZJ";
    const KEY_B: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIA6rWI3G1sz07DnfFlrouTcysQlj2P+jpNSOEWD9OJ3X";

    fn key(b: &str) -> PublicKey {
        russh::keys::parse_public_key_base64(b).expect("key")
    }

    fn file(text: &str) -> (crate::random::Dir, PathBuf) {
        let d = crate::random::Dir::new();
        let p = d.0.join("known_hosts");
        std::fs::write(&p, text).expect("write");
        (d, p)
    }

    #[test]
    fn tabs_wildcards_and_negation() {
        let (_d, p) = file(&format!(
            "# c\n[10.0.0.*]:2222,![10.0.0.9]:2222\tssh-ed25519   {KEY_A} comment\n"
        ));
        assert_eq!(lookup(&[&p], "10.0.0.5", 2222, &key(KEY_A)), Lookup::Known);
        assert_eq!(
            lookup(&[&p], "10.0.0.9", 2222, &key(KEY_A)),
            Lookup::Unknown
        );
        assert_eq!(lookup(&[&p], "10.0.0.5", 22, &key(KEY_A)), Lookup::Unknown);
        assert!(matches!(
            lookup(&[&p], "10.0.0.5", 2222, &key(KEY_B)),
            Lookup::Changed { line: 2, .. }
        ));
    }

    #[test]
    fn hashed_entry_from_openssh() {
        // From russh's test suite: hashed "example.com".
        let (_d, p) = file(&format!(
            "|1|O33ESRMWPVkMYIwJ1Uw+n877jTo=|nuuC5vEqXlEZ/8BXQR7m619W6Ak= ssh-ed25519 {KEY_A}\n"
        ));
        assert_eq!(lookup(&[&p], "example.com", 22, &key(KEY_A)), Lookup::Known);
        assert_eq!(
            lookup(&[&p], "example.org", 22, &key(KEY_A)),
            Lookup::Unknown
        );
    }

    #[test]
    fn revoked_wins_and_cert_authority_is_not_a_host_key() {
        let (_d, p) = file(&format!(
            "h ssh-ed25519 {KEY_A}\n@revoked * ssh-ed25519 {KEY_A}\n@cert-authority h ssh-ed25519 {KEY_B}\n"
        ));
        assert!(matches!(
            lookup(&[&p], "h", 22, &key(KEY_A)),
            Lookup::Revoked { line: 2, .. }
        ));
        assert_eq!(
            lookup(&[&p], "h", 22, &key(KEY_B)),
            Lookup::Changed {
                file: p.clone(),
                line: 1,
                text: format!("h ssh-ed25519 {KEY_A}"),
            }
        );
    }
}
