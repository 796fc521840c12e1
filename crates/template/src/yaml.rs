//! YAML for `to_yaml`/`to_nice_yaml` (an emitter that lays text out as PyYAML's does:
//! Ansible users diff these files) and `from_yaml` (YAML 1.1 as PyYAML reads it).

use std::sync::OnceLock;

use regex::Regex;
use serde_json::Value as Json;

use crate::pyrepr::py_float;

pub(crate) struct DumpOptions {
    pub indent: usize,
    pub width: usize,
    pub sort_keys: bool,
    /// PyYAML's `default_flow_style=None`: collections holding only scalars are written
    /// inline (`[1, 2]`, `{a: 1}`).
    pub flow_leaves: bool,
}

pub(crate) fn load(text: &str) -> Result<Json, String> {
    serde_saphyr::from_str_with_options::<Option<Json>>(text, load_options())
        .map(|v| v.unwrap_or(Json::Null))
        .map_err(|e| format!("from_yaml: {e}"))
}

pub(crate) fn load_all(text: &str) -> Result<Vec<Json>, String> {
    serde_saphyr::from_str_multiple_with_options::<Json, Vec<Json>>(text, load_options())
        .map_err(|e| format!("from_yaml_all: {e}"))
}

fn load_options() -> serde_saphyr::Options {
    let mut opts = serde_saphyr::Options::default();
    opts.legacy_octal_numbers = true;
    opts.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::LastWins;
    opts
}

pub(crate) fn dump(v: &Json, opts: &DumpOptions) -> String {
    let mut e = Emitter {
        out: String::new(),
        column: 0,
        whitespace: true,
        indention: true,
        indent: None,
        indents: Vec::new(),
        flow_level: 0,
        opts,
    };
    e.node(v, Place::Root);
    // Document end: finish the last line.
    if e.column > 0 {
        e.line_break();
    }
    e.out
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    Root,
    SeqItem,
    MapKey,
    MapValue,
}

/// A transliteration of PyYAML's emitter for the node kinds JSON has, keeping its
/// state flags (`whitespace`, `indention`, the indent stack) so that line breaks, item
/// padding and wrapping at the line width come out the same.
struct Emitter<'a> {
    out: String,
    column: usize,
    whitespace: bool,
    indention: bool,
    indent: Option<usize>,
    indents: Vec<Option<usize>>,
    flow_level: usize,
    opts: &'a DumpOptions,
}

impl Emitter<'_> {
    fn write(&mut self, s: &str) {
        self.column += s.chars().count();
        self.out.push_str(s);
    }

    fn line_break(&mut self) {
        self.out.push('\n');
        self.whitespace = true;
        self.indention = true;
        self.column = 0;
    }

    fn write_indent(&mut self) {
        let indent = self.indent.unwrap_or(0);
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.line_break();
        }
        if self.column < indent {
            self.whitespace = true;
            let pad = " ".repeat(indent - self.column);
            self.write(&pad);
        }
    }

    fn indicator(&mut self, ind: &str, need_whitespace: bool, whitespace: bool, indention: bool) {
        if self.whitespace || !need_whitespace {
            self.write(ind);
        } else {
            self.write(&format!(" {ind}"));
        }
        self.whitespace = whitespace;
        self.indention = self.indention && indention;
    }

    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        self.indents.push(self.indent);
        self.indent = match self.indent {
            None => Some(if flow { self.opts.indent } else { 0 }),
            Some(i) if !indentless => Some(i + self.opts.indent),
            Some(i) => Some(i),
        };
    }

    fn pop_indent(&mut self) {
        self.indent = self.indents.pop().flatten();
    }

    fn is_flow(&self, v: &Json) -> bool {
        match v {
            Json::Array(items) => {
                items.is_empty() || (self.opts.flow_leaves && items.iter().all(is_scalar))
            }
            Json::Object(map) => {
                map.is_empty() || (self.opts.flow_leaves && map.values().all(is_scalar))
            }
            _ => false,
        }
    }

    fn node(&mut self, v: &Json, place: Place) {
        match v {
            Json::Array(items) => {
                if self.flow_level > 0 || self.is_flow(v) {
                    self.flow_sequence(items);
                } else {
                    self.block_sequence(items, place);
                }
            }
            Json::Object(_) => {
                let entries = self.entries(v);
                if self.flow_level > 0 || self.is_flow(v) {
                    self.flow_mapping(&entries);
                } else {
                    self.block_mapping(&entries);
                }
            }
            scalar => {
                self.increase_indent(true, false);
                self.scalar(scalar, place);
                self.pop_indent();
            }
        }
    }

    fn entries<'v>(&self, v: &'v Json) -> Vec<(&'v String, &'v Json)> {
        let Json::Object(map) = v else {
            return Vec::new();
        };
        let mut entries: Vec<_> = map.iter().collect();
        if self.opts.sort_keys {
            entries.sort_by(|a, b| a.0.cmp(b.0));
        }
        entries
    }

    fn block_sequence(&mut self, items: &[Json], place: Place) {
        let indentless = place == Place::MapValue && !self.indention;
        self.increase_indent(false, indentless);
        for item in items {
            self.write_indent();
            self.indicator("-", true, false, true);
            self.node(item, Place::SeqItem);
        }
        self.pop_indent();
    }

    fn block_mapping(&mut self, entries: &[(&String, &Json)]) {
        self.increase_indent(false, false);
        for (k, v) in entries {
            self.write_indent();
            self.key(k);
            self.indicator(":", false, false, false);
            self.node(v, Place::MapValue);
        }
        self.pop_indent();
    }

    fn key(&mut self, k: &str) {
        self.increase_indent(true, false);
        self.scalar(&Json::String(k.to_string()), Place::MapKey);
        self.pop_indent();
    }

    fn flow_sequence(&mut self, items: &[Json]) {
        self.indicator("[", true, true, false);
        self.flow_level += 1;
        self.increase_indent(true, false);
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.indicator(",", false, false, false);
            }
            if self.column > self.opts.width {
                self.write_indent();
            }
            self.node(item, Place::SeqItem);
        }
        self.pop_indent();
        self.flow_level -= 1;
        self.indicator("]", false, false, false);
    }

    fn flow_mapping(&mut self, entries: &[(&String, &Json)]) {
        self.indicator("{", true, true, false);
        self.flow_level += 1;
        self.increase_indent(true, false);
        for (i, (k, v)) in entries.iter().enumerate() {
            if i > 0 {
                self.indicator(",", false, false, false);
            }
            if self.column > self.opts.width {
                self.write_indent();
            }
            self.key(k);
            self.indicator(":", false, false, false);
            self.node(v, Place::MapValue);
        }
        self.pop_indent();
        self.flow_level -= 1;
        self.indicator("}", false, false, false);
    }

    fn scalar(&mut self, v: &Json, place: Place) {
        let simple_key = place == Place::MapKey;
        let split = !simple_key;
        let text = match v {
            Json::Null => return self.plain("null", false),
            Json::Bool(b) => return self.plain(if *b { "true" } else { "false" }, false),
            Json::Number(n) => {
                let s = if n.is_f64() {
                    yaml_float(n.as_f64().unwrap_or(f64::NAN))
                } else {
                    n.to_string()
                };
                return self.plain(&s, false);
            }
            Json::String(s) => s,
            _ => return,
        };
        let a = analyze(text);
        let plain_ok = if self.flow_level > 0 {
            a.allow_flow_plain
        } else {
            a.allow_block_plain
        };
        if !resolves_to_non_string(text) && !(simple_key && (a.empty || a.multiline)) && plain_ok {
            self.plain(text, split);
        } else if a.allow_single_quoted && !(simple_key && a.multiline) {
            self.single_quoted(text, split);
        } else {
            self.double_quoted(text);
        }
    }

    fn plain(&mut self, text: &str, split: bool) {
        if text.is_empty() {
            return;
        }
        if !self.whitespace {
            self.write(" ");
        }
        self.whitespace = false;
        self.indention = false;
        let chars: Vec<char> = text.chars().collect();
        let (mut start, mut end) = (0usize, 0usize);
        let mut spaces = false;
        while end <= chars.len() {
            let ch = chars.get(end).copied();
            if spaces {
                if ch != Some(' ') {
                    if start + 1 == end && self.column > self.opts.width && split {
                        self.write_indent();
                        self.whitespace = false;
                        self.indention = false;
                    } else {
                        let s: String = chars[start..end].iter().collect();
                        self.write(&s);
                    }
                    start = end;
                }
            } else if (ch.is_none() || ch == Some(' ')) && start < end {
                let s: String = chars[start..end].iter().collect();
                self.write(&s);
                start = end;
            }
            if let Some(c) = ch {
                spaces = c == ' ';
            }
            end += 1;
        }
    }

    fn single_quoted(&mut self, text: &str, split: bool) {
        self.indicator("'", true, false, false);
        let chars: Vec<char> = text.chars().collect();
        let is_break = |c: char| matches!(c, '\n' | '\u{85}' | '\u{2028}' | '\u{2029}');
        let (mut start, mut end) = (0usize, 0usize);
        let (mut spaces, mut breaks) = (false, false);
        while end <= chars.len() {
            let ch = chars.get(end).copied();
            if spaces {
                if ch != Some(' ') {
                    if start + 1 == end
                        && self.column > self.opts.width
                        && split
                        && start != 0
                        && end != chars.len()
                    {
                        self.write_indent();
                    } else {
                        let s: String = chars[start..end].iter().collect();
                        self.write(&s);
                    }
                    start = end;
                }
            } else if breaks {
                if ch.is_none_or(|c| !is_break(c)) {
                    if chars[start] == '\n' {
                        self.line_break();
                    }
                    for &br in &chars[start..end] {
                        if br == '\n' {
                            self.line_break();
                        } else {
                            self.out.push(br);
                            self.line_break_state();
                        }
                    }
                    self.write_indent();
                    start = end;
                }
            } else if (ch.is_none_or(|c| c == ' ' || is_break(c) || c == '\'')) && start < end {
                let s: String = chars[start..end].iter().collect();
                self.write(&s);
                start = end;
            }
            if ch == Some('\'') {
                self.write("''");
                start = end + 1;
            }
            if let Some(c) = ch {
                spaces = c == ' ';
                breaks = is_break(c);
            }
            end += 1;
        }
        self.indicator("'", false, false, false);
    }

    fn line_break_state(&mut self) {
        self.whitespace = true;
        self.indention = true;
        self.column = 0;
    }

    fn double_quoted(&mut self, text: &str) {
        self.indicator("\"", true, false, false);
        let mut s = String::new();
        for c in text.chars() {
            match c {
                '\0' => s.push_str("\\0"),
                '\u{7}' => s.push_str("\\a"),
                '\u{8}' => s.push_str("\\b"),
                '\t' => s.push_str("\\t"),
                '\n' => s.push_str("\\n"),
                '\u{b}' => s.push_str("\\v"),
                '\u{c}' => s.push_str("\\f"),
                '\r' => s.push_str("\\r"),
                '\u{1b}' => s.push_str("\\e"),
                '"' => s.push_str("\\\""),
                '\\' => s.push_str("\\\\"),
                '\u{85}' => s.push_str("\\N"),
                '\u{a0}' => s.push_str("\\_"),
                '\u{2028}' => s.push_str("\\L"),
                '\u{2029}' => s.push_str("\\P"),
                c if printable(c) => s.push(c),
                c if (c as u32) <= 0xff => s.push_str(&format!("\\x{:02X}", c as u32)),
                c if (c as u32) <= 0xffff => s.push_str(&format!("\\u{:04X}", c as u32)),
                c => s.push_str(&format!("\\U{:08X}", c as u32)),
            }
        }
        self.write(&s);
        self.indicator("\"", false, false, false);
    }
}

fn is_scalar(v: &Json) -> bool {
    !matches!(v, Json::Array(_) | Json::Object(_))
}

/// PyYAML's float representation: `repr()` lowercased, with `.0` added before an
/// exponent that has no fraction (`1.0e+20`).
fn yaml_float(f: f64) -> String {
    if f.is_nan() {
        return ".nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            ".inf".into()
        } else {
            "-.inf".into()
        };
    }
    let r = py_float(f).to_lowercase();
    if !r.contains('.') && r.contains('e') {
        r.replacen('e', ".0e", 1)
    } else {
        r
    }
}

/// What PyYAML allows with the printable set it uses (allow_unicode=True).
fn printable(c: char) -> bool {
    let u = c as u32;
    c == '\n'
        || (0x20..=0x7e).contains(&u)
        || u == 0x85
        || ((0xa0..=0xd7ff).contains(&u)
            || (0xe000..=0xfffd).contains(&u)
            || (0x10000..0x110000).contains(&u))
            && u != 0xfeff
}

struct Analysis {
    empty: bool,
    multiline: bool,
    allow_flow_plain: bool,
    allow_block_plain: bool,
    allow_single_quoted: bool,
}

/// PyYAML's `analyze_scalar`: which styles can represent `text` faithfully.
fn analyze(text: &str) -> Analysis {
    if text.is_empty() {
        return Analysis {
            empty: true,
            multiline: false,
            allow_flow_plain: false,
            allow_block_plain: true,
            allow_single_quoted: true,
        };
    }
    let chars: Vec<char> = text.chars().collect();
    let (mut block_indicators, mut flow_indicators) = (false, false);
    let (mut line_breaks, mut special_characters) = (false, false);
    let (mut leading_space, mut leading_break) = (false, false);
    let (mut trailing_space, mut trailing_break) = (false, false);
    let (mut break_space, mut space_break) = (false, false);
    if text.starts_with("---") || text.starts_with("...") {
        block_indicators = true;
        flow_indicators = true;
    }
    let mut preceded_by_whitespace = true;
    let is_space_or_break = |c: Option<char>| {
        c.is_none_or(|c| {
            matches!(
                c,
                ' ' | '\0' | '\t' | '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}'
            )
        })
    };
    let mut followed_by_whitespace = chars.len() == 1 || is_space_or_break(chars.get(1).copied());
    let (mut previous_space, mut previous_break) = (false, false);
    for (index, &ch) in chars.iter().enumerate() {
        if index == 0 {
            if "#,[]{}&*!|>'\"%@`".contains(ch) {
                flow_indicators = true;
                block_indicators = true;
            }
            if ch == '?' || ch == ':' {
                flow_indicators = true;
                if followed_by_whitespace {
                    block_indicators = true;
                }
            }
            if ch == '-' && followed_by_whitespace {
                flow_indicators = true;
                block_indicators = true;
            }
        } else {
            if ",?[]{}".contains(ch) {
                flow_indicators = true;
            }
            if ch == ':' {
                flow_indicators = true;
                if followed_by_whitespace {
                    block_indicators = true;
                }
            }
            if ch == '#' && preceded_by_whitespace {
                flow_indicators = true;
                block_indicators = true;
            }
        }
        let is_break = matches!(ch, '\n' | '\u{85}' | '\u{2028}' | '\u{2029}');
        if is_break {
            line_breaks = true;
        }
        if !(ch == '\n' || (' '..='~').contains(&ch)) && (!printable(ch) || ch == '\u{feff}') {
            special_characters = true;
        }
        if ch == ' ' {
            if index == 0 {
                leading_space = true;
            }
            if index == chars.len() - 1 {
                trailing_space = true;
            }
            if previous_break {
                break_space = true;
            }
            previous_space = true;
            previous_break = false;
        } else if is_break {
            if index == 0 {
                leading_break = true;
            }
            if index == chars.len() - 1 {
                trailing_break = true;
            }
            if previous_space {
                space_break = true;
            }
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace = matches!(
            ch,
            ' ' | '\0' | '\t' | '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}'
        );
        followed_by_whitespace =
            index + 2 >= chars.len() || is_space_or_break(chars.get(index + 2).copied());
    }
    let mut a = Analysis {
        empty: false,
        multiline: line_breaks,
        allow_flow_plain: true,
        allow_block_plain: true,
        allow_single_quoted: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.allow_flow_plain = false;
        a.allow_block_plain = false;
    }
    if space_break || special_characters {
        a.allow_flow_plain = false;
        a.allow_block_plain = false;
        a.allow_single_quoted = false;
    }
    if line_breaks {
        a.allow_flow_plain = false;
        a.allow_block_plain = false;
    }
    if flow_indicators {
        a.allow_flow_plain = false;
    }
    if block_indicators {
        a.allow_block_plain = false;
    }
    if break_space {
        a.allow_flow_plain = false;
        a.allow_block_plain = false;
        a.allow_single_quoted = false;
    }
    a
}

/// Would PyYAML's YAML 1.1 resolver read this plain text as something other than a
/// string? Then it has to be quoted.
fn resolves_to_non_string(text: &str) -> bool {
    static RES: OnceLock<Vec<Regex>> = OnceLock::new();
    let res = RES.get_or_init(|| {
        [
            r"^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$",
            r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
            r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$",
            r"^(?:~|null|Null|NULL|)$",
            r"^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$",
            r"^(?:<<|=)$",
        ]
        .iter()
        .filter_map(|r| Regex::new(r).ok())
        .collect()
    });
    res.iter().any(|re| re.is_match(text))
}

#[cfg(test)]
mod unit {
    use super::*;
    use serde_json::json;

    fn to_yaml(v: &Json) -> String {
        dump(
            v,
            &DumpOptions {
                indent: 2,
                width: 80,
                sort_keys: true,
                flow_leaves: true,
            },
        )
    }

    fn to_nice_yaml(v: &Json) -> String {
        dump(
            v,
            &DumpOptions {
                indent: 4,
                width: 80,
                sort_keys: true,
                flow_leaves: false,
            },
        )
    }

    // Expected text from ansible-core 2.19 (PyYAML 6).
    #[test]
    fn dumps_like_pyyaml() {
        let d = json!({"b": [1, {"c": "x"}], "a": "s"});
        assert_eq!(to_yaml(&d), "a: s\nb:\n- 1\n- {c: x}\n");
        assert_eq!(to_nice_yaml(&d), "a: s\nb:\n- 1\n-   c: x\n");
        assert_eq!(to_yaml(&json!("a: 1")), "'a: 1'\n");
        assert_eq!(
            to_yaml(&json!([1, "two", null, true, 1.5])),
            "[1, two, null, true, 1.5]\n"
        );
        assert_eq!(to_nice_yaml(&json!({"l": [], "m": {}})), "l: []\nm: {}\n");
        assert_eq!(
            to_nice_yaml(&json!([{"a": 1, "b": [1, 2]}])),
            "-   a: 1\n    b:\n    - 1\n    - 2\n"
        );
        assert_eq!(to_yaml(&json!("x")), "x\n");
        assert_eq!(to_nice_yaml(&json!(5)), "5\n");
        let n = json!([[1, 2], [3, [4]], {"a": []}]);
        assert_eq!(to_yaml(&n), "- [1, 2]\n- - 3\n  - [4]\n- a: []\n");
        assert_eq!(
            to_nice_yaml(&n),
            "-   - 1\n    - 2\n-   - 3\n    -   - 4\n-   a: []\n"
        );
        assert_eq!(
            to_yaml(&json!({"x": 1.0, "y": 1e20, "z": -0.5, "big": 12345678901234567890u64})),
            "{big: 12345678901234567890, x: 1.0, y: 1.0e+20, z: -0.5}\n"
        );
    }

    #[test]
    fn scalar_quoting_like_pyyaml() {
        let m = json!({"k": "line1\nline2\n", "t": "tab\there", "u": "héllo",
            "long": "word word word word word word word word word word word word word word word word word word word word word",
            "sp": " lead", "colon": "a:b", "dash": "- x", "q": "it's", "dq": "say \"hi\"", "num": "1.5",
            "date": "2020-01-01", "star": "*x", "nul": "null", "tl": "~", "e1": "1e3", "oct": "0o17",
            "hex": "0x1f", "ver": "1.2.3", "dot": "."});
        assert_eq!(
            to_nice_yaml(&m),
            "colon: a:b\ndash: '- x'\ndate: '2020-01-01'\ndot: .\ndq: say \"hi\"\ne1: 1e3\nhex: '0x1f'\nk: 'line1\n\n    line2\n\n    '\nlong: word word word word word word word word word word word word word word word word\n    word word word word word\nnul: 'null'\nnum: '1.5'\noct: 0o17\nq: it's\nsp: ' lead'\nstar: '*x'\nt: \"tab\\there\"\ntl: '~'\nu: héllo\nver: 1.2.3\n"
        );
        assert_eq!(
            to_yaml(&m),
            "{colon: 'a:b', dash: '- x', date: '2020-01-01', dot: ., dq: say \"hi\", e1: 1e3, hex: '0x1f',\n  k: 'line1\n\n    line2\n\n    ', long: word word word word word word word word word word word word word word\n    word word word word word word word, nul: 'null', num: '1.5', oct: 0o17, q: it's,\n  sp: ' lead', star: '*x', t: \"tab\\there\", tl: '~', u: héllo, ver: 1.2.3}\n"
        );
    }

    #[test]
    fn loads_yaml_1_1() {
        assert_eq!(
            load("a: [1, 2]\nb: yes\nc: 0644\nd: ~").unwrap(),
            json!({"a": [1, 2], "b": true, "c": 420, "d": null})
        );
        assert_eq!(
            load_all("---\na: 1\n---\nb: 2\n").unwrap(),
            vec![json!({"a": 1}), json!({"b": 2})]
        );
        assert!(load("a: [").is_err());
    }
}
