//! SHA-crypt (`$5$` and `$6$`, Ulrich Drepper's specification), what `password_hash`
//! produces for `sha256` and `sha512` and what /etc/shadow holds.

use sha2::{Digest, Sha256, Sha512};

const ALPHABET: &[u8; 64] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
pub(crate) const DEFAULT_ROUNDS: u32 = 5000;

#[derive(Clone, Copy)]
pub(crate) enum Algo {
    Sha256,
    Sha512,
}

pub(crate) fn is_salt_char(c: char) -> bool {
    c.is_ascii() && ALPHABET.contains(&(c as u8))
}

pub(crate) fn random_salt(len: usize) -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..len)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// The full crypt string: `$6$[rounds=N$]salt$hash`. The salt is cut to 16 bytes and
/// rounds clamped to 1000..=999999999, as the specification says.
pub(crate) fn crypt(algo: Algo, password: &[u8], salt: &str, rounds: Option<u32>) -> String {
    let salt = &salt.as_bytes()[..salt.len().min(16)];
    let custom = rounds.is_some_and(|r| r != DEFAULT_ROUNDS);
    let rounds = rounds.unwrap_or(DEFAULT_ROUNDS).clamp(1000, 999_999_999);
    let (id, encoded) = match algo {
        Algo::Sha256 => ("5", encode256(&digest::<Sha256>(password, salt, rounds))),
        Algo::Sha512 => ("6", encode512(&digest::<Sha512>(password, salt, rounds))),
    };
    let salt = String::from_utf8_lossy(salt);
    if custom {
        format!("${id}$rounds={rounds}${salt}${encoded}")
    } else {
        format!("${id}${salt}${encoded}")
    }
}

fn digest<D: Digest + Clone>(pw: &[u8], salt: &[u8], rounds: u32) -> Vec<u8> {
    let b = {
        let mut h = D::new();
        h.update(pw);
        h.update(salt);
        h.update(pw);
        h.finalize().to_vec()
    };
    let n = b.len();
    let a = {
        let mut h = D::new();
        h.update(pw);
        h.update(salt);
        let mut left = pw.len();
        while left > n {
            h.update(&b);
            left -= n;
        }
        h.update(&b[..left]);
        let mut len = pw.len();
        while len > 0 {
            if len & 1 == 1 {
                h.update(&b);
            } else {
                h.update(pw);
            }
            len >>= 1;
        }
        h.finalize().to_vec()
    };
    let p = {
        let mut h = D::new();
        for _ in 0..pw.len() {
            h.update(pw);
        }
        repeat_to(&h.finalize(), pw.len())
    };
    let s = {
        let mut h = D::new();
        for _ in 0..(16 + a[0] as usize) {
            h.update(salt);
        }
        repeat_to(&h.finalize(), salt.len())
    };
    let mut c = a;
    for i in 0..rounds {
        let mut h = D::new();
        if i % 2 == 1 {
            h.update(&p);
        } else {
            h.update(&c);
        }
        if i % 3 != 0 {
            h.update(&s);
        }
        if i % 7 != 0 {
            h.update(&p);
        }
        if i % 2 == 1 {
            h.update(&c);
        } else {
            h.update(&p);
        }
        c = h.finalize().to_vec();
    }
    c
}

fn repeat_to(block: &[u8], len: usize) -> Vec<u8> {
    block.iter().copied().cycle().take(len).collect()
}

fn b64_24(out: &mut String, b2: u8, b1: u8, b0: u8, n: usize) {
    let mut w = ((b2 as u32) << 16) | ((b1 as u32) << 8) | b0 as u32;
    for _ in 0..n {
        out.push(ALPHABET[(w & 0x3f) as usize] as char);
        w >>= 6;
    }
}

fn encode512(f: &[u8]) -> String {
    let mut out = String::with_capacity(86);
    // The specification's byte order: triples (i, i+21, i+42) rotating by one.
    for i in 0..21usize {
        let (a, b, c) = match i % 3 {
            0 => (i, i + 21, i + 42),
            1 => (i + 21, i + 42, i),
            _ => (i + 42, i, i + 21),
        };
        b64_24(&mut out, f[a], f[b], f[c], 4);
    }
    b64_24(&mut out, 0, 0, f[63], 2);
    out
}

fn encode256(f: &[u8]) -> String {
    let mut out = String::with_capacity(43);
    for i in 0..10usize {
        let (a, b, c) = match i % 3 {
            0 => (i, i + 10, i + 20),
            1 => (i + 20, i, i + 10),
            _ => (i + 10, i + 20, i),
        };
        b64_24(&mut out, f[a], f[b], f[c], 4);
    }
    b64_24(&mut out, 0, f[31], f[30], 3);
    out
}

#[cfg(test)]
mod unit {
    use super::*;

    // Expected values from glibc crypt(3) via Python's crypt module.
    #[test]
    fn sha512_matches_glibc() {
        assert_eq!(
            crypt(Algo::Sha512, b"secret", "mysalt", None),
            "$6$mysalt$UX6P1VKOf6dr0s2pg4pLNvIUB6hLXvP6M5f/Yj9hJgMPdAJ4oArvk5YUD9/XWtk1JOpVwt/JTsczMJr8sFVML1"
        );
        assert_eq!(
            crypt(Algo::Sha512, b"secret", "mysalt", Some(10000)),
            "$6$rounds=10000$mysalt$9XTP7570fxVN/uTspSrH6kRPdR4KKGzGz7.TmJjDYGrKSwZuavW/3YaLur8JX6WP75Czcxa.megIO0lKreY0R."
        );
        assert_eq!(
            crypt(Algo::Sha512, b"", "saltsaltsaltsaltEXTRA", None),
            "$6$saltsaltsaltsalt$ZoazQmGR9bC6QrJYR3tzNWcqLcufy5crjHpWJDgzT7.T1AcGT7.bjOq387RVyRrJnBux4dyLiO1lh8TYvVlJf/"
        );
        assert_eq!(
            crypt(Algo::Sha512, "a".repeat(100).as_bytes(), "abc", Some(1000)),
            "$6$rounds=1000$abc$u/qZCQeglXjb2Y5C4mKODP.oHRwEgVIcWQw4hhlvuQ1g4WEgyf.NHR0QUzKdXdc.JLEtomhyE3bOB68r1VhDZ0"
        );
    }

    #[test]
    fn sha256_matches_glibc() {
        assert_eq!(
            crypt(Algo::Sha256, b"secret", "mysalt", None),
            "$5$mysalt$I2SNajjJ3Gc5gIR/tkrLOGngF8wqv59buJCqxh.o9s8"
        );
    }
}
