//! The `mode` option: an octal number or string ("0644", "644", 420), or a chmod-style
//! symbolic mode ("u+x,g-w", "u=rwX,o="), resolved against the current mode the way
//! Ansible resolves it (including `X` and the umask for an empty who-list).

use serde_json::Value;

use crate::ModuleError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModeSpec {
    Octal(u32),
    Symbolic(String),
}

/// Read the `mode` argument; `None` when not given.
pub fn parse(v: Option<&Value>) -> Result<Option<ModeSpec>, ModuleError> {
    let bad = |m: &str| ModuleError::Failed(format!("mode must be in octal or symbolic form: {m}"));
    match v {
        None | Some(Value::Null) => Ok(None),
        // A YAML number is already the mode's value (0644 was read as octal 420).
        Some(Value::Number(n)) => n
            .as_u64()
            .filter(|m| *m <= 0o7777)
            .map(|m| Some(ModeSpec::Octal(m as u32)))
            .ok_or_else(|| bad(&n.to_string())),
        Some(Value::String(s)) => {
            let s = s.trim();
            if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
                return u32::from_str_radix(s, 8)
                    .ok()
                    .filter(|m| *m <= 0o7777)
                    .map(|m| Some(ModeSpec::Octal(m)))
                    .ok_or_else(|| bad(s));
            }
            // Checked now so a bad mode fails before anything is touched.
            resolve_symbolic(s, 0o644, false, 0o022).map_err(|_| bad(s))?;
            Ok(Some(ModeSpec::Symbolic(s.to_string())))
        }
        Some(other) => Err(bad(&other.to_string())),
    }
}

impl ModeSpec {
    /// The permission bits wanted for a path whose current bits are `current`.
    pub fn resolve(&self, current: u32, is_dir: bool, umask: u32) -> Result<u32, ModuleError> {
        match self {
            ModeSpec::Octal(m) => Ok(*m),
            ModeSpec::Symbolic(s) => resolve_symbolic(s, current, is_dir, umask)
                .map_err(|_| ModuleError::Failed(format!("bad symbolic permission for mode: {s}"))),
        }
    }
}

const S_IRWXU: u32 = 0o700;
const S_IRWXG: u32 = 0o070;
const S_IRWXO: u32 = 0o007;

fn resolve_symbolic(spec: &str, current: u32, is_dir: bool, umask: u32) -> Result<u32, ()> {
    let mut mode = current & 0o7777;
    for clause in spec.split(',') {
        let op_at = clause.find(['+', '-', '=']).ok_or(())?;
        let who = &clause[..op_at];
        let use_umask = who.is_empty();
        let users = if who.is_empty() || who == "a" {
            "ugo"
        } else {
            who
        };
        if !users.bytes().all(|b| matches!(b, b'u' | b'g' | b'o')) {
            return Err(());
        }
        // The rest is one or more (operator, perms) pairs: "u+r-w".
        let rest = &clause[op_at..];
        let mut pairs: Vec<(char, &str)> = Vec::new();
        let mut i = 0;
        let bytes = rest.as_bytes();
        while i < bytes.len() {
            let op = bytes[i] as char;
            let start = i + 1;
            let mut end = start;
            while end < bytes.len() && !matches!(bytes[end], b'+' | b'-' | b'=') {
                end += 1;
            }
            pairs.push((op, &rest[start..end]));
            i = end;
        }
        for (op, perms) in pairs {
            if !perms.bytes().all(|b| b"rwxXstugo".contains(&b)) {
                return Err(());
            }
            for user in users.chars() {
                let bits = perm_bits(user, perms, mode, is_dir, use_umask, umask);
                mode = apply(user, op, bits, mode);
            }
        }
    }
    Ok(mode)
}

fn perm_bits(user: char, perms: &str, prev: u32, is_dir: bool, use_umask: bool, umask: u32) -> u32 {
    let rev_umask = umask ^ 0o7777;
    let apply_x = is_dir || prev & 0o111 != 0;
    let (r, w, x, s, t, shift) = match user {
        'u' => (0o400, 0o200, 0o100, 0o4000, 0, 6),
        'g' => (0o040, 0o020, 0o010, 0o2000, 0, 3),
        _ => (0o004, 0o002, 0o001, 0, 0o1000, 0),
    };
    let masked = |bit: u32| if use_umask { rev_umask & bit } else { bit };
    // Copying another class's bits ("g=u") moves them into this class's position.
    let class = |from: u32, from_shift: u32| {
        let v = (prev & from) >> from_shift;
        v << shift
    };
    perms
        .chars()
        .map(|p| match p {
            'r' => masked(r),
            'w' => masked(w),
            'x' => masked(x),
            'X' if apply_x => x,
            'X' => 0,
            's' => s,
            't' => t,
            'u' => class(S_IRWXU, 6),
            'g' => class(S_IRWXG, 3),
            'o' => class(S_IRWXO, 0),
            _ => 0,
        })
        .fold(0, |a, b| a | b)
}

fn apply(user: char, op: char, bits: u32, mode: u32) -> u32 {
    match op {
        '=' => {
            let mask = match user {
                'u' => S_IRWXU | 0o4000,
                'g' => S_IRWXG | 0o2000,
                _ => S_IRWXO | 0o1000,
            };
            (mode & (mask ^ 0o7777)) | bits
        }
        '+' => mode | bits,
        _ => mode & !bits,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sym(s: &str, cur: u32, dir: bool) -> u32 {
        resolve_symbolic(s, cur, dir, 0o022).unwrap()
    }

    #[test]
    fn octal_forms() {
        assert_eq!(
            parse(Some(&json!("0644"))).unwrap(),
            Some(ModeSpec::Octal(0o644))
        );
        assert_eq!(
            parse(Some(&json!("755"))).unwrap(),
            Some(ModeSpec::Octal(0o755))
        );
        assert_eq!(
            parse(Some(&json!(420))).unwrap(),
            Some(ModeSpec::Octal(0o644))
        );
        assert_eq!(
            parse(Some(&json!("01777"))).unwrap(),
            Some(ModeSpec::Octal(0o1777))
        );
        assert!(parse(Some(&json!("0999"))).is_err());
        assert!(parse(Some(&json!("u+q"))).is_err());
        assert!(parse(Some(&json!("rw"))).is_err());
    }

    #[test]
    fn symbolic_as_chmod() {
        assert_eq!(sym("u+x,g-w", 0o664, false), 0o744);
        assert_eq!(sym("u=rw,g=r,o=r", 0o777, false), 0o644);
        assert_eq!(sym("a+X", 0o644, false), 0o644);
        assert_eq!(sym("a+X", 0o644, true), 0o755);
        assert_eq!(sym("a+X", 0o744, false), 0o755);
        assert_eq!(
            sym("+w", 0o444, false),
            0o644,
            "umask 022 limits who-less clauses"
        );
        assert_eq!(sym("g=u", 0o700, false), 0o770);
        assert_eq!(sym("o=", 0o1777, true), 0o770);
        assert_eq!(sym("u+s,g+s,o+t", 0o755, true), 0o7755);
        assert_eq!(sym("u=rwx-x", 0o000, false), 0o600);
        assert_eq!(sym("ug+rw", 0o400, false), 0o660);
    }
}
