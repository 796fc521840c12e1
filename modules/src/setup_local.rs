//! Local facts (`ansible_local`): the `*.fact` files of `fact_path`, as ansible-core's
//! local fact collector reads them. A file whose owner may execute it is run and its
//! stdout parsed; any other file is read (stripped; unreadable or not UTF-8 reads as
//! empty). The text is JSON, else INI as Python's ConfigParser reads it (an empty text
//! is an empty INI file: `{}`). A file that fails is kept as its error message, and the
//! message is also a warning.

use drover_connection::quote;
use drover_template::py_repr;
use serde_json::{Map, Value};

/// The probe section: per fact file, `\x01PATH\n` then a tag line and the data.
/// Tags: `M` missing (dangling link), `D` an executable directory, `X` ran (stdout,
/// `\x02RC\x02`, stderr), `F` read (the content).
pub fn probe(fact_path: &str) -> String {
    format!(
        "d={}; if [ -n \"$d\" ] && [ -e \"$d\" ]; then for f in \"$d\"/*.fact; do \
         [ -e \"$f\" ] || [ -L \"$f\" ] || continue; printf '\\001%s\\n' \"$f\"; \
         if [ ! -e \"$f\" ]; then echo M; continue; fi; \
         case $(stat -L -c %A -- \"$f\") in \
         ???[xs]*) if [ -d \"$f\" ]; then echo D; continue; fi; echo X; \
           _e=$(mktemp) || _e=/dev/null; \"$f\" </dev/null 2>\"$_e\"; printf '\\002%s\\002' $?; \
           if [ \"$_e\" != /dev/null ]; then cat \"$_e\"; rm -f \"$_e\"; fi;; \
         *) echo F; [ -f \"$f\" ] && [ -r \"$f\" ] && cat -- \"$f\";; \
         esac; done; fi\n",
        quote(fact_path)
    )
}

/// What the probe found: the facts, the warnings, or the module's failure.
pub struct Local {
    pub facts: Value,
    pub warnings: Vec<String>,
    /// An executable directory: ansible-core's module fails running it.
    pub failure: Option<String>,
}

pub fn parse(body: &str) -> Local {
    let mut records: Vec<(&str, &str)> = body
        .split('\u{1}')
        .skip(1)
        .filter_map(|r| r.split_once('\n'))
        .collect();
    // Python's sorted(glob(...)): by code point, which is UTF-8 byte order.
    records.sort_by(|a, b| a.0.cmp(b.0));
    let mut out = Local {
        facts: Value::Object(Map::new()),
        warnings: Vec::new(),
        failure: None,
    };
    let mut facts = Map::new();
    for (path, rest) in records {
        let base = path.rsplit('/').next().unwrap_or(path).replace(".fact", "");
        let (tag, data) = rest.split_once('\n').unwrap_or((rest, ""));
        let text = match tag {
            "M" => {
                let msg = format!(
                    "Could not stat fact ({path}): [Errno 2] No such file or directory: {}",
                    py_repr(&Value::String(path.to_string()))
                );
                out.warnings.push(msg.clone());
                facts.insert(base, msg.into());
                continue;
            }
            "D" => {
                out.failure = Some(format!(
                    "Error executing command: [Errno 13] Permission denied: b{}",
                    py_repr(&Value::String(path.to_string()))
                ));
                return out;
            }
            "X" => {
                let mut parts = data.splitn(3, '\u{2}');
                let stdout = parts.next().unwrap_or_default();
                let rc = parts.next().unwrap_or_default();
                let stderr = parts.next().unwrap_or_default();
                if rc != "0" {
                    let msg =
                        format!("Failure executing fact script ({path}), rc: {rc}, err: {stderr}");
                    out.warnings.push(msg.clone());
                    facts.insert(base, msg.into());
                    continue;
                }
                stdout.to_string()
            }
            _ => data.trim().to_string(),
        };
        let fact = match serde_json::from_str::<Value>(&text) {
            Ok(v) => v,
            Err(_) => match ini_facts(&text) {
                Ok(v) => v,
                Err(IniError::Parse) => {
                    let msg = format!(
                        "error loading facts as JSON or ini - please check content: {path}"
                    );
                    out.warnings.push(msg.clone());
                    msg.into()
                }
                Err(IniError::Value(e)) => {
                    let msg =
                        format!("error loading facts as ini - please check content: {path} ({e})");
                    out.warnings.push(msg.clone());
                    msg.into()
                }
            },
        };
        facts.insert(base, fact);
    }
    out.facts = Value::Object(facts);
    out
}

/// The facts as bytes from the host: content that is not UTF-8 reads as empty, as
/// Python's strict text read fails and the collector falls back to ''.
pub fn parse_bytes(body: &[u8]) -> Local {
    match std::str::from_utf8(body) {
        Ok(s) => parse(s),
        Err(_) => {
            // Decode record by record: only the undecodable ones read as empty.
            let mut text = String::new();
            for rec in body.split(|b| *b == 1).skip(1) {
                text.push('\u{1}');
                match std::str::from_utf8(rec) {
                    Ok(s) => text.push_str(s),
                    Err(_) => {
                        let (head, _) = rec
                            .iter()
                            .position(|b| *b == b'\n')
                            .map(|i| rec.split_at(i + 1))
                            .unwrap_or((rec, &[]));
                        text.push_str(&String::from_utf8_lossy(head));
                        // An executable's output stays (lossily); a file reads as ''.
                        if head.ends_with(b"\n") && rec.get(head.len()) == Some(&b'X') {
                            text.push_str(&String::from_utf8_lossy(&rec[head.len()..]));
                        } else {
                            text.push_str("F\n");
                        }
                    }
                }
            }
            parse(&text)
        }
    }
}

enum IniError {
    /// The text is not INI (ConfigParser's read failed).
    Parse,
    /// A value failed interpolation: the exception's text.
    Value(String),
}

/// One INI section: its options, in file order, with their raw values.
type Section = Vec<(String, String)>;

/// A section while it is read: each option's value as its lines.
type RawSection = Vec<(String, Vec<String>)>;

/// Python's ConfigParser.read_file (strict, `=` and `:`, `#`/`;` full-line comments,
/// indented continuation lines, the DEFAULT section): the sections in file order.
fn read_ini(text: &str) -> Result<(Vec<(String, Section)>, Section), IniError> {
    // Each option's value as its lines, joined at the end.
    let mut sections: Vec<(String, RawSection)> = Vec::new();
    let mut defaults: RawSection = Vec::new();
    // Which section lines go to: None before any header, Some(None) for DEFAULT.
    let mut cur: Option<Option<usize>> = None;
    let mut opt: Option<usize> = None;
    let mut indent_level = 0usize;
    let mut seen_sections: Vec<String> = Vec::new();
    let mut seen_options: Vec<(Option<usize>, String)> = Vec::new();
    let mut bad_line = false;
    for line in text.split_inclusive('\n') {
        let stripped = line.trim();
        let comment = stripped.starts_with('#') || stripped.starts_with(';');
        let value = if comment { "" } else { stripped };
        if value.is_empty() {
            if !comment {
                if let (Some(c), Some(o)) = (cur, opt) {
                    section_mut(c, &mut sections, &mut defaults)[o]
                        .1
                        .push(String::new());
                }
            }
            continue;
        }
        let indent = line.find(|c: char| !c.is_whitespace()).unwrap_or(0);
        if let (Some(c), Some(o)) = (cur, opt) {
            if indent > indent_level {
                section_mut(c, &mut sections, &mut defaults)[o]
                    .1
                    .push(value.to_string());
                continue;
            }
        }
        indent_level = indent;
        if let Some(header) = section_header(value) {
            if header == "DEFAULT" {
                cur = Some(None);
            } else if let Some(i) = sections.iter().position(|(n, _)| *n == header) {
                if seen_sections.contains(&header) {
                    return Err(IniError::Parse);
                }
                cur = Some(Some(i));
            } else {
                sections.push((header.clone(), Vec::new()));
                cur = Some(Some(sections.len() - 1));
            }
            seen_sections.push(header);
            opt = None;
            continue;
        }
        let Some(c) = cur else {
            return Err(IniError::Parse);
        };
        // (?P<option>.*?)\s*(=|:)\s*(?P<value>.*)$
        let Some(d) = value.find(['=', ':']) else {
            bad_line = true;
            continue;
        };
        let name = value[..d].trim_end();
        if name.is_empty() {
            bad_line = true;
        }
        let name = name.to_lowercase();
        let key = (c, name.clone());
        if seen_options.contains(&key) {
            return Err(IniError::Parse);
        }
        seen_options.push(key);
        let val = value[d + 1..].trim().to_string();
        let opts = section_mut(c, &mut sections, &mut defaults);
        match opts.iter().position(|(n, _)| *n == name) {
            Some(i) => {
                opts[i].1 = vec![val];
                opt = Some(i);
            }
            None => {
                opts.push((name, vec![val]));
                opt = Some(opts.len() - 1);
            }
        }
    }
    if bad_line {
        return Err(IniError::Parse);
    }
    let join = |opts: RawSection| -> Section {
        opts.into_iter()
            .map(|(k, v)| (k, v.join("\n").trim_end().to_string()))
            .collect()
    };
    Ok((
        sections.into_iter().map(|(n, o)| (n, join(o))).collect(),
        join(defaults),
    ))
}

fn section_mut<'a>(
    c: Option<usize>,
    sections: &'a mut [(String, RawSection)],
    defaults: &'a mut RawSection,
) -> &'a mut RawSection {
    match c {
        Some(i) => &mut sections[i].1,
        None => defaults,
    }
}

/// `\[(?P<header>.+)\]` matched at the start: up to the last `]`, at least one char.
fn section_header(value: &str) -> Option<String> {
    let rest = value.strip_prefix('[')?;
    let end = rest.rfind(']')?;
    (end > 0).then(|| rest[..end].to_string())
}

/// The local fact of an INI text: `{section: {option: value}}`, each value
/// interpolated as ConfigParser's BasicInterpolation (`%(name)s`, `%%`), the DEFAULT
/// section's options in every section.
fn ini_facts(text: &str) -> Result<Value, IniError> {
    let (sections, defaults) = read_ini(text)?;
    let mut out = Map::new();
    for (name, opts) in &sections {
        let mut merged: Section = opts.clone();
        for (k, v) in &defaults {
            if !merged.iter().any(|(n, _)| n == k) {
                merged.push((k.clone(), v.clone()));
            }
        }
        let mut sect = Map::new();
        for (k, raw) in &merged {
            let mut acc = String::new();
            interpolate(k, name, raw, raw, &merged, 1, &mut acc).map_err(IniError::Value)?;
            sect.insert(k.clone(), acc.into());
        }
        out.insert(name.clone(), Value::Object(sect));
    }
    Ok(Value::Object(out))
}

fn repr(s: &str) -> String {
    py_repr(&Value::String(s.to_string()))
}

fn interpolate(
    option: &str,
    section: &str,
    rawval: &str,
    mut rest: &str,
    map: &Section,
    depth: usize,
    acc: &mut String,
) -> Result<(), String> {
    if depth > 10 {
        return Err(format!(
            "Recursion limit exceeded in value substitution: option {} in section {} contains \
             an interpolation key which cannot be substituted in 10 steps. Raw value: {}",
            repr(option),
            repr(section),
            repr(rawval)
        ));
    }
    while !rest.is_empty() {
        let Some(p) = rest.find('%') else {
            acc.push_str(rest);
            return Ok(());
        };
        acc.push_str(&rest[..p]);
        rest = &rest[p..];
        if rest[1..].starts_with('%') {
            acc.push('%');
            rest = &rest[2..];
        } else if rest[1..].starts_with('(') {
            // %\(([^)]+)\)s
            let var = rest[2..]
                .find(')')
                .filter(|&e| e > 0 && rest[2 + e + 1..].starts_with('s'))
                .map(|e| (&rest[2..2 + e], 2 + e + 2));
            let Some((var, end)) = var else {
                return Err(format!(
                    "bad interpolation variable reference {}",
                    repr(rest)
                ));
            };
            let var = var.to_lowercase();
            rest = &rest[end..];
            let Some((_, v)) = map.iter().find(|(n, _)| *n == var) else {
                return Err(format!(
                    "Bad value substitution: option {} in section {} contains an interpolation \
                     key {} which is not a valid option name. Raw value: {}",
                    repr(option),
                    repr(section),
                    repr(&var),
                    repr(rawval)
                ));
            };
            if v.contains('%') {
                interpolate(option, section, rawval, v, map, depth + 1, acc)?;
            } else {
                acc.push_str(v);
            }
        } else {
            return Err(format!(
                "'%' must be followed by '%' or '(', found: {}",
                repr(rest)
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ini(s: &str) -> Result<Value, String> {
        ini_facts(s).map_err(|e| match e {
            IniError::Parse => "parse".to_string(),
            IniError::Value(m) => m,
        })
    }

    #[test]
    fn ini_as_configparser() {
        assert_eq!(
            ini(
                "[sec]\nKey = v1\nother: two words\n multi line\n\n# c\n[DEFAULT]\nd = %(key)s-x\n"
            ),
            Ok(json!({"sec": {"key": "v1", "other": "two words\nmulti line", "d": "v1-x"}}))
        );
        assert_eq!(ini(""), Ok(json!({})));
        assert_eq!(ini("[a]\nx=%%1\n"), Ok(json!({"a": {"x": "%1"}})));
        assert_eq!(ini("just garbage\n"), Err("parse".into()));
        assert_eq!(ini("[s]\nnovalue\n"), Err("parse".into()));
        assert_eq!(ini("[s]\na=1\n[s]\nb=2\n"), Err("parse".into()));
        assert_eq!(ini("[s]\na=1\nA=2\n"), Err("parse".into()));
        assert_eq!(
            ini("[s]\na = %(nope)s\n"),
            Err("Bad value substitution: option 'a' in section 's' contains an interpolation key 'nope' which is not a valid option name. Raw value: '%(nope)s'".into())
        );
        assert_eq!(
            ini("[s]\na = 5%\n"),
            Err("'%' must be followed by '%' or '(', found: '%'".into())
        );
    }

    #[test]
    fn records() {
        let body = "\u{1}/d/b.fact\nF\n  [s]\n  k=v\n\u{1}/d/a.fact\nX\n{\"x\": 1}\n\u{2}0\u{2}\
                    \u{1}/d/c.fact.fact\nX\nout\u{2}3\u{2}oops\n\u{1}/d/gone.fact\nM\n\
                    \u{1}/d/e.fact\nF\n";
        let l = parse(body);
        assert_eq!(
            l.facts,
            json!({
                "a": {"x": 1},
                "b": {"s": {"k": "v"}},
                "c": "Failure executing fact script (/d/c.fact.fact), rc: 3, err: oops\n",
                "e": {},
                "gone": "Could not stat fact (/d/gone.fact): [Errno 2] No such file or directory: '/d/gone.fact'",
            })
        );
        assert_eq!(l.warnings.len(), 2);
        let keys: Vec<&String> = l.facts.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            ["a", "b", "c", "e", "gone"]
                .map(String::from)
                .iter()
                .collect::<Vec<_>>()
        );
    }
}
