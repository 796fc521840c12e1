//! The value typing of INI inventories: ansible runs Python's `ast.literal_eval` on
//! each value and keeps the raw text when that fails. This evaluates the same
//! literal grammar (numbers, strings, True/False/None, lists, tuples, dicts, sets,
//! `...`) and returns `None` wherever Python would raise.

use serde_json::{Map, Number, Value};

/// The typed value of an INI inventory value, as ansible computes it.
pub fn ini_value(text: &str) -> Value {
    literal_eval(text).unwrap_or_else(|| Value::String(text.to_string()))
}

pub fn literal_eval(text: &str) -> Option<Value> {
    // literal_eval strips leading spaces and tabs before parsing.
    let tokens = tokenize(text.trim_start_matches([' ', '\t']))?;
    let mut parser = Parser { tokens, pos: 0 };
    let value = parser.top()?;
    if parser.pos != parser.tokens.len() {
        return None;
    }
    Some(value.into_json())
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Int(IntLit),
    Float(f64),
    Imag(f64),
    Str { text: String, bytes: bool },
    Name(String),
    Op(&'static str),
}

#[derive(Debug, Clone, PartialEq)]
enum IntLit {
    Small(i128),
    /// Too large for i128: kept as decimal digits.
    Big(String),
}

/// A Python value, before conversion to JSON.
#[derive(Debug, Clone)]
enum Py {
    Int(IntLit),
    Float(f64),
    Complex(f64, f64),
    Str(String),
    Bool(bool),
    None,
    Ellipsis,
    List(Vec<Py>),
    Set(Vec<Py>),
    Dict(Vec<(Py, Py)>),
}

impl Py {
    fn into_json(self) -> Value {
        match self {
            Py::Int(IntLit::Small(i)) => int_json(i),
            Py::Int(IntLit::Big(digits)) => big_int_json(&digits),
            // Python's float('inf') has no JSON form; keep its text as ansible would print it.
            Py::Float(f) => Number::from_f64(f)
                .map(Value::Number)
                .unwrap_or_else(|| Value::String(float_repr(f))),
            Py::Complex(re, im) => Value::String(complex_str(re, im)),
            Py::Str(s) => Value::String(s),
            Py::Bool(b) => Value::Bool(b),
            Py::None => Value::Null,
            Py::Ellipsis => Value::String("...".into()),
            Py::List(items) | Py::Set(items) => {
                Value::Array(items.into_iter().map(Py::into_json).collect())
            }
            Py::Dict(entries) => {
                let mut map = Map::new();
                for (k, v) in entries {
                    map.insert(key_string(&k), v.into_json());
                }
                Value::Object(map)
            }
        }
    }
}

fn int_json(i: i128) -> Value {
    if let Ok(v) = i64::try_from(i) {
        Value::from(v)
    } else if let Ok(v) = u64::try_from(i) {
        Value::from(v)
    } else {
        Value::from(i as f64)
    }
}

fn big_int_json(digits: &str) -> Value {
    digits
        .parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .map(Value::Number)
        .unwrap_or_else(|| Value::String(digits.into()))
}

/// JSON object keys as Python's json module writes non-string keys.
fn key_string(key: &Py) -> String {
    match key {
        Py::Str(s) => s.clone(),
        Py::Int(IntLit::Small(i)) => i.to_string(),
        Py::Int(IntLit::Big(d)) => d.clone(),
        Py::Float(f) => float_repr(*f),
        Py::Bool(true) => "true".into(),
        Py::Bool(false) => "false".into(),
        Py::None => "null".into(),
        other => format!("{:?}", other.clone().into_json()),
    }
}

/// Python's repr of a float (shortest round-trip digits, `1e+16` style exponents).
pub fn float_repr(f: f64) -> String {
    crate::pyrepr::py_float(f)
}

fn complex_str(re: f64, im: f64) -> String {
    let part = |f: f64| {
        let s = float_repr(f);
        s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
    };
    if re == 0.0 && re.is_sign_positive() {
        format!("{}j", part(im))
    } else {
        let sign = if im < 0.0 || (im == 0.0 && im.is_sign_negative()) {
            "-"
        } else {
            "+"
        };
        format!("({}{}{}j)", part(re), sign, part(im.abs()))
    }
}

fn tokenize(text: &str) -> Option<Vec<Tok>> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' | '\x0c' => i += 1,
            '#' => break,
            '(' | ')' | '[' | ']' | '{' | '}' | ',' | ':' | '+' | '-' => {
                tokens.push(Tok::Op(match c {
                    '(' => "(",
                    ')' => ")",
                    '[' => "[",
                    ']' => "]",
                    '{' => "{",
                    '}' => "}",
                    ',' => ",",
                    ':' => ":",
                    '+' => "+",
                    _ => "-",
                }));
                i += 1;
            }
            '.' if chars.get(i + 1) == Some(&'.') && chars.get(i + 2) == Some(&'.') => {
                tokens.push(Tok::Op("..."));
                i += 3;
            }
            '.' if chars.get(i + 1).is_some_and(char::is_ascii_digit) => {
                let (tok, next) = number(&chars, i)?;
                tokens.push(tok);
                i = next;
            }
            '0'..='9' => {
                let (tok, next) = number(&chars, i)?;
                tokens.push(tok);
                i = next;
            }
            '\'' | '"' => {
                let (tok, next) = string(&chars, i, "")?;
                tokens.push(tok);
                i = next;
            }
            c if c.is_alphabetic() || c == '_' => {
                let start = i;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                if matches!(chars.get(i), Some('\'' | '"')) && is_string_prefix(&word) {
                    let (tok, next) = string(&chars, i, &word.to_ascii_lowercase())?;
                    tokens.push(tok);
                    i = next;
                } else {
                    tokens.push(Tok::Name(word));
                }
            }
            _ => return None,
        }
    }
    Some(tokens)
}

fn is_string_prefix(word: &str) -> bool {
    matches!(
        word.to_ascii_lowercase().as_str(),
        "r" | "u" | "b" | "br" | "rb" | "f" | "fr" | "rf"
    )
}

fn number(chars: &[char], start: usize) -> Option<(Tok, usize)> {
    let mut i = start;
    let take_digits = |i: &mut usize, ok: &dyn Fn(char) -> bool| -> Option<String> {
        // Digits with single underscores between them, as Python allows.
        let mut out = String::new();
        let mut last_underscore = false;
        while *i < chars.len() {
            let c = chars[*i];
            if ok(c) {
                out.push(c);
                last_underscore = false;
            } else if c == '_'
                && !out.is_empty()
                && !last_underscore
                && chars.get(*i + 1).is_some_and(|n| ok(*n))
            {
                last_underscore = true;
            } else {
                break;
            }
            *i += 1;
        }
        (!last_underscore).then_some(out)
    };
    let radix = if chars[i] == '0' {
        match chars.get(i + 1).map(|c| c.to_ascii_lowercase()) {
            Some('x') => Some(16),
            Some('o') => Some(8),
            Some('b') => Some(2),
            _ => None,
        }
    } else {
        None
    };
    let tok = if let Some(radix) = radix {
        i += 2;
        if chars.get(i) == Some(&'_') {
            i += 1;
        }
        let digits = take_digits(&mut i, &|c: char| c.is_digit(radix))?;
        if digits.is_empty() {
            return None;
        }
        Tok::Int(match i128::from_str_radix(&digits, radix) {
            Ok(v) => IntLit::Small(v),
            Err(_) => IntLit::Big(u128::from_str_radix(&digits, radix).ok()?.to_string()),
        })
    } else {
        let int_part = take_digits(&mut i, &|c: char| c.is_ascii_digit())?;
        let mut is_float = false;
        let mut text = int_part.clone();
        if chars.get(i) == Some(&'.') {
            is_float = true;
            i += 1;
            text.push('.');
            if chars.get(i).is_some_and(char::is_ascii_digit) {
                text.push_str(&take_digits(&mut i, &|c: char| c.is_ascii_digit())?);
            }
        }
        if matches!(chars.get(i), Some('e' | 'E')) {
            let mut j = i + 1;
            let mut exp = String::from("e");
            if let Some(sign @ ('+' | '-')) = chars.get(j) {
                exp.push(*sign);
                j += 1;
            }
            if chars.get(j).is_some_and(char::is_ascii_digit) {
                exp.push_str(&take_digits(&mut j, &|c: char| c.is_ascii_digit())?);
                text.push_str(&exp);
                i = j;
                is_float = true;
            } else {
                return None;
            }
        }
        if matches!(chars.get(i), Some('j' | 'J')) {
            i += 1;
            Tok::Imag(text.parse::<f64>().ok()?)
        } else if is_float {
            Tok::Float(text.parse::<f64>().ok()?)
        } else {
            // Python 3 refuses decimal literals with leading zeros ("0777"), except all zeros.
            if int_part.len() > 1 && int_part.starts_with('0') && int_part.chars().any(|c| c != '0')
            {
                return None;
            }
            Tok::Int(match int_part.parse::<i128>() {
                Ok(v) => IntLit::Small(v),
                Err(_) => IntLit::Big(int_part.trim_start_matches('0').to_string()),
            })
        }
    };
    // "5abc" and "1.2.3" are syntax errors, not a number followed by a name.
    if chars
        .get(i)
        .is_some_and(|c| c.is_alphanumeric() || *c == '_' || *c == '.')
    {
        return None;
    }
    Some((tok, i))
}

fn string(chars: &[char], start: usize, prefix: &str) -> Option<(Tok, usize)> {
    if prefix.contains('f') {
        // f-strings are not literals.
        return None;
    }
    let raw = prefix.contains('r');
    let bytes = prefix.contains('b');
    let quote = chars[start];
    let triple = chars.get(start + 1) == Some(&quote) && chars.get(start + 2) == Some(&quote);
    let mut i = start + if triple { 3 } else { 1 };
    let mut out = String::new();
    loop {
        let c = *chars.get(i)?;
        if c == quote {
            if !triple {
                i += 1;
                break;
            }
            if chars.get(i + 1) == Some(&quote) && chars.get(i + 2) == Some(&quote) {
                i += 3;
                break;
            }
        }
        if c == '\n' && !triple {
            return None;
        }
        if bytes && !c.is_ascii() {
            return None;
        }
        if c == '\\' {
            let next = *chars.get(i + 1)?;
            if raw {
                out.push('\\');
                out.push(next);
                i += 2;
                continue;
            }
            i = escape(chars, i + 1, bytes, &mut out)?;
            continue;
        }
        out.push(c);
        i += 1;
    }
    Some((Tok::Str { text: out, bytes }, i))
}

/// Decodes the escape whose first character is at `i`; returns the index after it.
fn escape(chars: &[char], i: usize, bytes: bool, out: &mut String) -> Option<usize> {
    let c = chars[i];
    let simple = match c {
        '\n' => Some(None),
        '\\' => Some(Some('\\')),
        '\'' => Some(Some('\'')),
        '"' => Some(Some('"')),
        'a' => Some(Some('\x07')),
        'b' => Some(Some('\x08')),
        'f' => Some(Some('\x0c')),
        'n' => Some(Some('\n')),
        'r' => Some(Some('\r')),
        't' => Some(Some('\t')),
        'v' => Some(Some('\x0b')),
        _ => None,
    };
    if let Some(ch) = simple {
        out.extend(ch);
        return Some(i + 1);
    }
    let hex = |from: usize, n: usize| -> Option<u32> {
        let digits: String = chars.get(from..from + n)?.iter().collect();
        if digits.chars().all(|d| d.is_ascii_hexdigit()) {
            u32::from_str_radix(&digits, 16).ok()
        } else {
            None
        }
    };
    match c {
        '0'..='7' => {
            let mut j = i;
            let mut value = 0u32;
            while j < chars.len() && j < i + 3 && ('0'..='7').contains(&chars[j]) {
                value = value * 8 + chars[j].to_digit(8)?;
                j += 1;
            }
            out.push(char::from_u32(value)?);
            Some(j)
        }
        'x' => {
            out.push(char::from_u32(hex(i + 1, 2)?)?);
            Some(i + 3)
        }
        'u' if !bytes => {
            out.push(char::from_u32(hex(i + 1, 4)?)?);
            Some(i + 5)
        }
        'U' if !bytes => {
            out.push(char::from_u32(hex(i + 1, 8)?)?);
            Some(i + 9)
        }
        // \N{NAME} needs the Unicode name table; treat it as unparseable.
        'N' if !bytes => None,
        // Unknown escapes keep their backslash.
        other => {
            out.push('\\');
            out.push(other);
            Some(i + 1)
        }
    }
}

struct Parser {
    tokens: Vec<Tok>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.pos)
    }

    fn is_op(&self, op: &str) -> bool {
        matches!(self.peek(), Some(Tok::Op(o)) if *o == op)
    }

    fn eat(&mut self, op: &str) -> bool {
        if self.is_op(op) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// An eval-mode expression: a bare `1, 2` is a tuple.
    fn top(&mut self) -> Option<Py> {
        let first = self.expr()?;
        if !self.is_op(",") {
            return Some(first);
        }
        let mut items = vec![first];
        while self.eat(",") {
            if self.pos == self.tokens.len() {
                break;
            }
            items.push(self.expr()?);
        }
        Some(Py::List(items))
    }

    fn expr(&mut self) -> Option<Py> {
        let left = self.signed()?;
        // literal_eval allows `real +/- imaginary` and nothing else binary.
        if self.is_op("+") || self.is_op("-") {
            let negative = self.is_op("-");
            self.pos += 1;
            let Some(Tok::Imag(im)) = self.peek().cloned() else {
                return None;
            };
            self.pos += 1;
            let re = match left {
                Py::Int(IntLit::Small(i)) => i as f64,
                Py::Float(f) => f,
                _ => return None,
            };
            return Some(Py::Complex(re, if negative { -im } else { im }));
        }
        Some(left)
    }

    fn signed(&mut self) -> Option<Py> {
        if self.is_op("+") || self.is_op("-") {
            let negative = self.is_op("-");
            self.pos += 1;
            let value = match self.peek().cloned()? {
                Tok::Int(IntLit::Small(i)) => Py::Int(IntLit::Small(if negative { -i } else { i })),
                Tok::Int(IntLit::Big(d)) => {
                    Py::Int(IntLit::Big(if negative { format!("-{d}") } else { d }))
                }
                Tok::Float(f) => Py::Float(if negative { -f } else { f }),
                Tok::Imag(f) => Py::Complex(
                    if negative { -0.0 } else { 0.0 },
                    if negative { -f } else { f },
                ),
                _ => return None,
            };
            self.pos += 1;
            return Some(value);
        }
        self.atom()
    }

    fn atom(&mut self) -> Option<Py> {
        let tok = self.peek()?.clone();
        self.pos += 1;
        match tok {
            Tok::Int(i) => Some(Py::Int(i)),
            Tok::Float(f) => Some(Py::Float(f)),
            Tok::Imag(f) => Some(Py::Complex(0.0, f)),
            Tok::Str { text, bytes } => {
                let mut text = text;
                // Adjacent string literals concatenate; mixing bytes and str is an error.
                while let Some(Tok::Str {
                    text: more,
                    bytes: b,
                }) = self.peek().cloned()
                {
                    if b != bytes {
                        return None;
                    }
                    text.push_str(&more);
                    self.pos += 1;
                }
                Some(Py::Str(text))
            }
            Tok::Name(name) => match name.as_str() {
                "True" => Some(Py::Bool(true)),
                "False" => Some(Py::Bool(false)),
                "None" => Some(Py::None),
                "set" if self.is_op("(") => {
                    self.pos += 1;
                    self.eat(")").then_some(Py::Set(Vec::new()))
                }
                _ => None,
            },
            Tok::Op("...") => Some(Py::Ellipsis),
            Tok::Op("(") => {
                if self.eat(")") {
                    return Some(Py::List(Vec::new()));
                }
                let first = self.expr()?;
                if self.eat(")") {
                    return Some(first);
                }
                let mut items = vec![first];
                while self.eat(",") {
                    if self.is_op(")") {
                        break;
                    }
                    items.push(self.expr()?);
                }
                self.eat(")").then_some(Py::List(items))
            }
            Tok::Op("[") => {
                let items = self.sequence("]")?;
                Some(Py::List(items))
            }
            Tok::Op("{") => self.brace(),
            _ => None,
        }
    }

    fn sequence(&mut self, close: &str) -> Option<Vec<Py>> {
        let mut items = Vec::new();
        loop {
            if self.eat(close) {
                return Some(items);
            }
            items.push(self.expr()?);
            if !self.eat(",") {
                return self.eat(close).then_some(items);
            }
        }
    }

    fn brace(&mut self) -> Option<Py> {
        if self.eat("}") {
            return Some(Py::Dict(Vec::new()));
        }
        let first = self.expr()?;
        if self.eat(":") {
            let value = self.expr()?;
            let mut entries = vec![(first, value)];
            while self.eat(",") {
                if self.eat("}") {
                    return Some(Py::Dict(dedupe_dict(entries)));
                }
                let k = self.expr()?;
                if !self.eat(":") {
                    return None;
                }
                entries.push((k, self.expr()?));
            }
            return self.eat("}").then(|| Py::Dict(dedupe_dict(entries)));
        }
        let mut items = vec![first];
        while self.eat(",") {
            if self.is_op("}") {
                break;
            }
            items.push(self.expr()?);
        }
        if !self.eat("}") {
            return None;
        }
        let mut unique: Vec<Py> = Vec::new();
        for item in items {
            if !unique.iter().any(|u| same_key(u, &item)) {
                unique.push(item);
            }
        }
        Some(Py::Set(unique))
    }
}

/// A later duplicate key replaces the value but keeps the first key's position.
fn dedupe_dict(entries: Vec<(Py, Py)>) -> Vec<(Py, Py)> {
    let mut out: Vec<(Py, Py)> = Vec::new();
    for (k, v) in entries {
        if let Some(slot) = out.iter_mut().find(|(existing, _)| same_key(existing, &k)) {
            slot.1 = v;
        } else {
            out.push((k, v));
        }
    }
    out
}

fn same_key(a: &Py, b: &Py) -> bool {
    key_string(a) == key_string(b) && std::mem::discriminant(a) == std::mem::discriminant(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scalars_are_typed_like_python() {
        assert_eq!(ini_value("5"), json!(5));
        assert_eq!(ini_value("-5"), json!(-5));
        assert_eq!(ini_value("1_000"), json!(1000));
        assert_eq!(ini_value("0x10"), json!(16));
        assert_eq!(ini_value("0o17"), json!(15));
        assert_eq!(ini_value("1.5"), json!(1.5));
        assert_eq!(ini_value("1e3"), json!(1000.0));
        assert_eq!(ini_value("True"), json!(true));
        assert_eq!(ini_value("None"), json!(null));
        assert_eq!(ini_value("..."), json!("..."));
        assert_eq!(ini_value("1j"), json!("1j"));
        assert_eq!(ini_value("1+2j"), json!("(1+2j)"));
    }

    #[test]
    fn non_literals_stay_text() {
        for raw in [
            "yes", "true", "0777", "5abc", "1.2.3", "a.b", "--5", "1+2", "x y", "{k:1}", "f'x'",
            "'a' b''",
        ] {
            assert_eq!(ini_value(raw), json!(raw), "{raw}");
        }
    }

    #[test]
    fn strings_and_containers() {
        assert_eq!(ini_value("'hello'"), json!("hello"));
        assert_eq!(ini_value(r#""a\tb""#), json!("a\tb"));
        assert_eq!(ini_value(r"r'a\tb'"), json!(r"a\tb"));
        assert_eq!(ini_value("'a' \"b\""), json!("ab"));
        assert_eq!(ini_value("b'x'"), json!("x"));
        assert_eq!(ini_value("[1, 'a', [2]]"), json!([1, "a", [2]]));
        assert_eq!(ini_value("(1,)"), json!([1]));
        assert_eq!(ini_value("1, 2"), json!([1, 2]));
        assert_eq!(
            ini_value("{'k': 1, 'k': 2, 3: None}"),
            json!({"k": 2, "3": null})
        );
        assert_eq!(ini_value("{1, 1, 2}"), json!([1, 2]));
        assert_eq!(ini_value("set()"), json!([]));
        assert_eq!(ini_value("5 # comment"), json!(5));
        assert_eq!(ini_value("hello # comment"), json!("hello # comment"));
    }
}
