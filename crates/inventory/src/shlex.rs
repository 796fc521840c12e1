//! POSIX shell-like splitting as Python's `shlex.split(line, comments=True)` does it,
//! which is how ansible tokenizes INI host lines (so quotes are removed before
//! values are typed).

const WHITESPACE: &[char] = &[' ', '\t', '\r', '\n'];

#[derive(Clone, Copy, PartialEq)]
enum State {
    Space,
    Word,
    Quote(char),
    Escape(Escaped),
}

/// Where an escape started: in a word or inside double quotes.
#[derive(Clone, Copy, PartialEq)]
enum Escaped {
    Word,
    Double,
}

pub fn split(line: &str) -> Result<Vec<String>, &'static str> {
    let mut tokens = Vec::new();
    let mut token = String::new();
    let mut quoted = false;
    let mut state = State::Space;
    let mut chars = line.chars();
    loop {
        let next = chars.next();
        match state {
            State::Space | State::Word => match next {
                None => break,
                Some(c) if WHITESPACE.contains(&c) => {
                    if state == State::Word || quoted {
                        tokens.push(std::mem::take(&mut token));
                        quoted = false;
                    }
                    state = State::Space;
                }
                Some('#') => {
                    // A comment runs to the end of the line (shlex reads the rest of the line).
                    for c in chars.by_ref() {
                        if c == '\n' {
                            break;
                        }
                    }
                    if state == State::Word || quoted {
                        tokens.push(std::mem::take(&mut token));
                        quoted = false;
                    }
                    state = State::Space;
                }
                Some('\\') => state = State::Escape(Escaped::Word),
                Some(q @ ('\'' | '"')) => state = State::Quote(q),
                Some(c) => {
                    token.push(c);
                    state = State::Word;
                }
            },
            State::Quote(q) => {
                quoted = true;
                match next {
                    None => return Err("No closing quotation"),
                    Some(c) if c == q => state = State::Word,
                    Some('\\') if q == '"' => state = State::Escape(Escaped::Double),
                    Some(c) => token.push(c),
                }
            }
            State::Escape(from) => {
                let Some(c) = next else {
                    return Err("No escaped character");
                };
                // Inside double quotes only `"` and `\` can be escaped; otherwise the
                // backslash stays.
                if from == Escaped::Double && c != '\\' && c != '"' {
                    token.push('\\');
                }
                token.push(c);
                state = match from {
                    Escaped::Word => State::Word,
                    Escaped::Double => State::Quote('"'),
                };
            }
        }
    }
    if state == State::Word || quoted {
        tokens.push(token);
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::split;

    fn s(line: &str) -> Vec<String> {
        split(line).unwrap()
    }

    #[test]
    fn quotes_are_removed_and_join_words() {
        assert_eq!(s(r#"h a="x y" b='1 2'c"#), ["h", "a=x y", "b=1 2c"]);
        assert_eq!(s(r#"a="say \"hi\" \n""#), [r#"a=say "hi" \n"#]);
        assert_eq!(s(r"a=b\ c"), ["a=b c"]);
        assert_eq!(s("''"), [""]);
    }

    #[test]
    fn comments_end_the_line_even_inside_a_word() {
        assert_eq!(s("h1 a=1 # note"), ["h1", "a=1"]);
        assert_eq!(s("h1 a=1#note b=2"), ["h1", "a=1"]);
        assert_eq!(s("h1 a='#x'"), ["h1", "a=#x"]);
    }

    #[test]
    fn unterminated_quotes_fail() {
        assert_eq!(split("h a='x"), Err("No closing quotation"));
        assert_eq!(split("h a\\"), Err("No escaped character"));
    }
}
