/// POSIX-shell-quote one word: bare when it only has characters no shell
/// treats specially, otherwise single-quoted with `'` written as `'\''`.
pub fn quote(s: &str) -> String {
    if !s.is_empty() && s.bytes().all(is_safe) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    out
}

fn is_safe(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"@%+=:,./-_".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn safe_words_stay_bare() {
        assert_eq!(quote("abc/def-1.2_x"), "abc/def-1.2_x");
        assert_eq!(quote("a=b,c:d@e%f+g"), "a=b,c:d@e%f+g");
    }

    #[test]
    fn specials_are_single_quoted() {
        assert_eq!(quote(""), "''");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("it's"), "'it'\\''s'");
        assert_eq!(quote("$HOME"), "'$HOME'");
        assert_eq!(quote("a\nb"), "'a\nb'");
        assert_eq!(quote("~"), "'~'");
        assert_eq!(quote("*"), "'*'");
    }

    #[test]
    fn quoted_word_round_trips_through_sh() {
        let word = "it's a \"test\" $x `y` \\ \n ~ *";
        let out = std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(format!("printf %s {}", quote(word)))
            .output()
            .expect("run sh");
        assert_eq!(String::from_utf8_lossy(&out.stdout), word);
    }
}
