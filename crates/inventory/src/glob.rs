//! Python's fnmatch (as `re.match(fnmatch.translate(p))`): `*`, `?`, `[set]`,
//! `[!set]`, case-sensitive, matching the whole name.

#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Literal(char),
    Any,
    Star,
    Set {
        negated: bool,
        items: Vec<(char, char)>,
    },
}

#[derive(Debug, Clone)]
pub struct Glob {
    pieces: Vec<Piece>,
}

impl Glob {
    pub fn new(pattern: &str) -> Glob {
        let chars: Vec<char> = pattern.chars().collect();
        let mut pieces = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            match chars[i] {
                '*' => {
                    if pieces.last() != Some(&Piece::Star) {
                        pieces.push(Piece::Star);
                    }
                    i += 1;
                }
                '?' => {
                    pieces.push(Piece::Any);
                    i += 1;
                }
                '[' => match parse_set(&chars, i + 1) {
                    Some((piece, next)) => {
                        pieces.push(piece);
                        i = next;
                    }
                    None => {
                        pieces.push(Piece::Literal('['));
                        i += 1;
                    }
                },
                c => {
                    pieces.push(Piece::Literal(c));
                    i += 1;
                }
            }
        }
        Glob { pieces }
    }

    /// The pattern has no wildcard: it only matches itself.
    pub fn literal(&self) -> Option<String> {
        self.pieces
            .iter()
            .map(|p| match p {
                Piece::Literal(c) => Some(*c),
                _ => None,
            })
            .collect()
    }

    pub fn is_match(&self, text: &str) -> bool {
        let text: Vec<char> = text.chars().collect();
        // Classic wildcard matching with a single backtrack point for the last star.
        let (mut p, mut t) = (0usize, 0usize);
        let mut star: Option<(usize, usize)> = None;
        while t < text.len() {
            match self.pieces.get(p) {
                Some(Piece::Star) => {
                    star = Some((p, t));
                    p += 1;
                    continue;
                }
                Some(piece) if piece_matches(piece, text[t]) => {
                    p += 1;
                    t += 1;
                    continue;
                }
                _ => {}
            }
            match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            }
        }
        self.pieces[p..].iter().all(|piece| *piece == Piece::Star)
    }
}

fn piece_matches(piece: &Piece, c: char) -> bool {
    match piece {
        Piece::Literal(l) => *l == c,
        Piece::Any => true,
        Piece::Star => false,
        Piece::Set { negated, items } => {
            items.iter().any(|(lo, hi)| *lo <= c && c <= *hi) != *negated
        }
    }
}

/// Parses a `[...]` set starting after the `[`; `None` when it is not closed.
fn parse_set(chars: &[char], start: usize) -> Option<(Piece, usize)> {
    let mut i = start;
    let mut negated = false;
    if chars.get(i) == Some(&'!') {
        negated = true;
        i += 1;
    }
    let mut items = Vec::new();
    let mut first = true;
    loop {
        let c = *chars.get(i)?;
        if c == ']' && !first {
            return Some((Piece::Set { negated, items }, i + 1));
        }
        first = false;
        if chars.get(i + 1) == Some(&'-') && chars.get(i + 2).is_some_and(|n| *n != ']') {
            let hi = chars[i + 2];
            // A reversed range matches nothing, as in Python 3.11's fnmatch.
            if c <= hi {
                items.push((c, hi));
            }
            i += 3;
        } else {
            items.push((c, c));
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Glob;

    #[test]
    fn wildcards() {
        assert!(Glob::new("web*").is_match("web01"));
        assert!(Glob::new("web*").is_match("web"));
        assert!(!Glob::new("web*").is_match("db01"));
        assert!(Glob::new("*.example.com").is_match("a.example.com"));
        assert!(Glob::new("w?b").is_match("web"));
        assert!(Glob::new("db[0-2]").is_match("db1"));
        assert!(!Glob::new("db[!0-2]").is_match("db1"));
        assert!(Glob::new("a[]]b").is_match("a]b"));
        assert!(Glob::new("a[b").is_match("a[b"));
        assert!(!Glob::new("Web").is_match("web"));
        assert!(Glob::new("*a*b*").is_match("xxaxxbxx"));
        assert_eq!(Glob::new("plain").literal().as_deref(), Some("plain"));
        assert_eq!(Glob::new("pl*").literal(), None);
    }
}
