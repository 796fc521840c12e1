//! Python's `shlex.split` (POSIX mode), which Ansible's command module uses to turn a
//! free-form command into argv. Kept exact so `cmd` matches ansible-core's.

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    #[error("No closing quotation")]
    NoClosingQuotation,
    #[error("No escaped character")]
    NoEscapedCharacter,
}

pub fn split(s: &str) -> Result<Vec<String>, SplitError> {
    let mut words = Vec::new();
    let mut word = String::new();
    // A word exists once any character or quote pair was seen ('' is an empty word).
    let mut in_word = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\\' => {
                word.push(chars.next().ok_or(SplitError::NoEscapedCharacter)?);
                in_word = true;
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err(SplitError::NoClosingQuotation),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(e @ ('\\' | '"')) => word.push(e),
                            Some(other) => {
                                word.push('\\');
                                word.push(other);
                            }
                            None => return Err(SplitError::NoClosingQuotation),
                        },
                        Some(c) => word.push(c),
                        None => return Err(SplitError::NoClosingQuotation),
                    }
                }
            }
            c => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sp(s: &str) -> Vec<String> {
        split(s).unwrap()
    }

    #[test]
    fn splits_like_python() {
        assert_eq!(sp("echo hi  there"), ["echo", "hi", "there"]);
        assert_eq!(sp(r#"echo "a b" 'c d'"#), ["echo", "a b", "c d"]);
        assert_eq!(sp(r#"a"b c"d"#), ["ab cd"]);
        assert_eq!(sp(r#"echo '' """#), ["echo", "", ""]);
        assert_eq!(sp(r"a\ b"), ["a b"]);
        assert_eq!(sp(r#""a\"b\\c\d""#), [r#"a"b\c\d"#]);
        assert_eq!(sp(r"'a\b'"), [r"a\b"]);
        assert_eq!(sp("   "), Vec::<String>::new());
    }

    #[test]
    fn errors_like_python() {
        assert_eq!(split("echo 'a"), Err(SplitError::NoClosingQuotation));
        assert_eq!(split("echo \\"), Err(SplitError::NoEscapedCharacter));
    }
}
