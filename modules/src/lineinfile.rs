//! `lineinfile`: ensure one line is present (or lines matching are absent) in a text file.
//! The file is read in the same round trip as its stat; the new content is computed here
//! with ansible-core's algorithm on bytes (so other lines, CRLF endings and non-UTF-8 bytes
//! stay as they were), then written atomically in one more round trip.

use async_trait::async_trait;
use serde_json::json;

use crate::pyre::{expand, Mode, PyRegex};
use crate::textfile::{self, Attrs, Finish, Found};
use crate::{result, Ctx, Module, ModuleError, ModuleResult};

pub struct LineInFile;

const OPTIONS: &[&str] = &[
    "path",
    "dest",
    "destfile",
    "name",
    "state",
    "regexp",
    "regex",
    "search_string",
    "line",
    "value",
    "insertafter",
    "insertbefore",
    "backrefs",
    "create",
    "backup",
    "firstmatch",
    "validate",
    "attr",
];

/// The first of `keys` that is set (an option and its aliases).
pub(crate) fn aliased(ctx: &Ctx<'_>, keys: &[&str]) -> Result<Option<String>, ModuleError> {
    for k in keys {
        if let Some(v) = ctx.args.str(k)? {
            return Ok(Some(v));
        }
    }
    Ok(None)
}

pub(crate) fn supported(ctx: &Ctx<'_>, module: &str, own: &[&str]) -> Result<(), ModuleError> {
    let all: Vec<&str> = own.iter().chain(textfile::COMMON).copied().collect();
    ctx.args.check_supported(module, &all)
}

pub(crate) fn exclusive(ctx: &Ctx<'_>, pairs: &[(&str, &str)]) -> Result<(), ModuleError> {
    for (a, b) in pairs {
        if ctx.args.get(a).is_some() && ctx.args.get(b).is_some() {
            return Err(ModuleError::Failed(format!(
                "parameters are mutually exclusive: {a}|{b}"
            )));
        }
    }
    Ok(())
}

/// `path` (or its aliases), required, with `~` expanded on the host.
pub(crate) async fn path_arg(ctx: &Ctx<'_>) -> Result<String, ModuleError> {
    let p = aliased(ctx, &["path", "dest", "destfile", "name"])?
        .ok_or_else(|| ModuleError::Failed("missing required arguments: path".into()))?;
    textfile::expand_user(ctx, &p).await
}

fn failed(msg: String, rc: i64) -> ModuleResult {
    let mut r = result(false);
    r.insert("failed".into(), json!(true));
    r.insert("rc".into(), json!(rc));
    r.insert("msg".into(), json!(msg));
    r
}

/// Python's `bytes.readlines()`: split after each `\n`.
pub(crate) fn split_lines(b: &[u8]) -> Vec<Vec<u8>> {
    b.split_inclusive(|&c| c == b'\n')
        .map(<[u8]>::to_vec)
        .collect()
}

fn strip_eol(l: &[u8]) -> &[u8] {
    let mut end = l.len();
    while end > 0 && matches!(l[end - 1], b'\r' | b'\n') {
        end -= 1;
    }
    &l[..end]
}

fn ends_with_eol(l: &[u8]) -> bool {
    matches!(l.last(), Some(b'\n' | b'\r'))
}

fn compile(p: &str, what: &str) -> Result<PyRegex, ModuleError> {
    PyRegex::new(p, Mode::Bytes, "")
        .map_err(|e| ModuleError::Failed(format!("invalid {what} '{p}': {e}")))
}

fn re_err(e: String) -> ModuleError {
    ModuleError::Failed(e)
}

pub struct Present<'a> {
    pub regexp: Option<&'a str>,
    pub search_string: Option<&'a str>,
    pub line: &'a str,
    pub insertafter: Option<&'a str>,
    pub insertbefore: Option<&'a str>,
    pub backrefs: bool,
    pub firstmatch: bool,
}

/// ansible-core's `present()`: the new lines and the message (empty when unchanged).
pub fn present(lines: &mut Vec<Vec<u8>>, p: &Present<'_>) -> Result<&'static str, ModuleError> {
    let line = p.line.as_bytes();
    let bre_m = p.regexp.map(|r| compile(r, "regexp")).transpose()?;
    let ins_pattern = match (p.insertafter, p.insertbefore) {
        (Some(a), _) if a != "BOF" && a != "EOF" => Some(a),
        (None, Some(b)) if b != "BOF" => Some(b),
        _ => None,
    };
    let bre_ins = ins_pattern
        .map(|r| compile(r, "insertafter/insertbefore"))
        .transpose()?;
    let (mut index0, mut index1): (isize, isize) = (-1, -1);
    let mut caps = None;
    let mut matched_line: Option<usize> = None;
    let mut exact_line_match = false;
    if let Some(re) = &bre_m {
        for (i, l) in lines.iter().enumerate() {
            if let Some(c) = re.captures_at(l, 0).map_err(re_err)? {
                index0 = i as isize;
                caps = Some(c);
                matched_line = Some(i);
                if p.firstmatch {
                    break;
                }
            }
        }
    }
    let mut found = caps.is_some();
    if let Some(s) = p.search_string {
        let s = s.as_bytes();
        // Like Python, the search string check runs after the regexp one (both cannot be
        // given together, so only one of them sets the match).
        for (i, l) in lines.iter().enumerate() {
            if contains(l, s) {
                index0 = i as isize;
                found = true;
                if p.firstmatch {
                    break;
                }
            }
        }
    }
    if !found {
        for (i, l) in lines.iter().enumerate() {
            if line == strip_eol(l) {
                index0 = i as isize;
                exact_line_match = true;
            } else if let Some(re) = &bre_ins {
                if re.is_match(l).map_err(re_err)? {
                    if p.insertafter.is_some() {
                        index1 = i as isize + 1;
                    }
                    if p.insertbefore.is_some() {
                        index1 = i as isize;
                    }
                    if p.firstmatch {
                        break;
                    }
                }
            }
        }
    }
    let with_eol = |l: &[u8]| {
        let mut v = l.to_vec();
        v.push(b'\n');
        v
    };
    let mut msg = "";
    if index0 != -1 {
        let i0 = index0 as usize;
        let mut new_line = match (&caps, p.backrefs, matched_line) {
            (Some(c), true, Some(m)) => expand(line, &lines[m], c).map_err(re_err)?,
            _ => line.to_vec(),
        };
        if !new_line.ends_with(b"\n") {
            new_line.push(b'\n');
        }
        if p.regexp.is_none() && p.search_string.is_none() && !found && !exact_line_match {
            // Unreachable in practice (index0 is only set by a match), kept for parity.
            return Ok(msg);
        }
        if lines[i0] != new_line {
            lines[i0] = new_line;
            msg = "line replaced";
        }
    } else if p.backrefs {
        // Nothing: the line cannot be built without a match for its backreferences.
    } else if p.insertbefore == Some("BOF") || p.insertafter == Some("BOF") {
        lines.insert(0, with_eol(line));
        msg = "line added";
    } else if p.insertafter == Some("EOF") || index1 == -1 {
        if lines.last().is_some_and(|l| !ends_with_eol(l)) {
            lines.push(b"\n".to_vec());
        }
        lines.push(with_eol(line));
        msg = "line added";
    } else if p.insertafter.is_some() {
        let i1 = index1 as usize;
        if lines.len() == i1 {
            if strip_eol(&lines[i1 - 1]) != line {
                lines.push(with_eol(line));
                msg = "line added";
            }
        } else if strip_eol(&lines[i1]) != line {
            lines.insert(i1, with_eol(line));
            msg = "line added";
        }
    } else {
        lines.insert(index1 as usize, with_eol(line));
        msg = "line added";
    }
    Ok(msg)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

/// ansible-core's `absent()` filter: the number of lines removed.
pub fn absent(
    lines: &mut Vec<Vec<u8>>,
    regexp: Option<&str>,
    search_string: Option<&str>,
    line: Option<&str>,
) -> Result<usize, ModuleError> {
    let re = regexp.map(|r| compile(r, "regexp")).transpose()?;
    let before = lines.len();
    let mut err = None;
    lines.retain(|l| {
        let hit = if let Some(re) = &re {
            re.is_match(l).unwrap_or_else(|e| {
                err = Some(e);
                false
            })
        } else if let Some(s) = search_string {
            contains(l, s.as_bytes())
        } else {
            line.is_some_and(|line| line.as_bytes() == strip_eol(l))
        };
        !hit
    });
    if let Some(e) = err {
        return Err(re_err(e));
    }
    Ok(before - lines.len())
}

#[async_trait]
impl Module for LineInFile {
    fn name(&self) -> &'static str {
        "lineinfile"
    }

    async fn run(&self, ctx: &Ctx<'_>) -> Result<ModuleResult, ModuleError> {
        supported(ctx, "lineinfile", OPTIONS)?;
        exclusive(
            ctx,
            &[
                ("insertbefore", "insertafter"),
                ("regexp", "search_string"),
                ("backrefs", "search_string"),
            ],
        )?;
        let args = &ctx.args;
        let path = path_arg(ctx).await?;
        let state = args.str("state")?.unwrap_or_else(|| "present".into());
        let regexp = aliased(ctx, &["regexp", "regex"])?;
        let search_string = args.str("search_string")?;
        let line = aliased(ctx, &["line", "value"])?;
        let backrefs = args.bool("backrefs", false)?;
        let create = args.bool("create", false)?;
        let backup = args.bool("backup", false)?;
        let firstmatch = args.bool("firstmatch", false)?;
        let validate = args.str("validate")?;
        let attrs = Attrs::from_args(ctx)?;
        if let Some(r) = attrs.invalid_mode() {
            return Ok(r);
        }
        if !matches!(state.as_str(), "present" | "absent") {
            return Err(ModuleError::Failed(format!(
                "value of state must be one of: absent, present, got: {state}"
            )));
        }
        let mut warnings = Vec::new();
        if regexp.as_deref() == Some("") || search_string.as_deref() == Some("") {
            let name = if regexp.as_deref() == Some("") {
                "regular expression"
            } else {
                "search string"
            };
            let mut w = format!("The {name} is an empty string, which will match every line in the file. This may have unintended consequences, such as replacing the last line in the file rather than appending.");
            if name == "regular expression" {
                w.push_str(" If this is desired, use '^' to match every line in the file and avoid this warning.");
            }
            warnings.push(w);
        }
        if state == "present" {
            if backrefs && regexp.is_none() {
                return Ok(no_rc(failed(
                    "regexp is required with backrefs=true".into(),
                    0,
                )));
            }
            if line.is_none() {
                return Ok(no_rc(failed(
                    "line is required with state=present".into(),
                    0,
                )));
            }
        } else if regexp.is_none() && search_string.is_none() && line.is_none() {
            return Ok(no_rc(failed(
                "one of line, search_string, or regexp is required with state=absent".into(),
                0,
            )));
        }

        let found = textfile::probe(ctx, &path).await?;
        if let Found::Directory = found {
            return Ok(failed(format!("Path {path} is a directory !"), 256));
        }
        let before = found.content().map(<[u8]>::to_vec);
        let mut r = result(false);
        if !warnings.is_empty() {
            r.insert("warnings".into(), json!(warnings));
        }
        let (msg, new_lines, removed) = if state == "present" {
            if before.is_none() && !create {
                return Ok(failed(format!("Destination {path} does not exist !"), 257));
            }
            let mut lines = split_lines(before.as_deref().unwrap_or_default());
            let (ia, ib) = match (
                args.str("insertafter")?.as_deref(),
                args.str("insertbefore")?,
            ) {
                (None, None) => (Some("EOF".to_string()), None),
                (a, b) => (a.map(str::to_string), b),
            };
            let msg = present(
                &mut lines,
                &Present {
                    regexp: regexp.as_deref(),
                    search_string: search_string.as_deref(),
                    line: line.as_deref().unwrap_or_default(),
                    insertafter: ia.as_deref(),
                    insertbefore: ib.as_deref(),
                    backrefs,
                    firstmatch,
                },
            )?;
            (msg.to_string(), lines, None)
        } else {
            if before.is_none() {
                r.insert("msg".into(), json!("file not present"));
                return Ok(r);
            }
            let mut lines = split_lines(before.as_deref().unwrap_or_default());
            let n = absent(
                &mut lines,
                regexp.as_deref(),
                search_string.as_deref(),
                line.as_deref(),
            )?;
            let msg = if n > 0 {
                format!("{n} line(s) removed")
            } else {
                String::new()
            };
            (msg, lines, Some(n))
        };
        let after = new_lines.concat();
        let changed = !msg.is_empty();
        let content_diff = json!({
            "before": textfile::text(before.as_deref().unwrap_or_default()),
            "after": textfile::text(&after),
            "before_header": format!("{path} (content)"),
            "after_header": format!("{path} (content)"),
        });
        let out = textfile::finish(
            ctx,
            Finish {
                path: &path,
                found: &found,
                new_content: changed.then_some(after.as_slice()),
                msg,
                backup,
                validate: validate.as_deref(),
                attrs: &attrs,
            },
        )
        .await?;
        r.insert("changed".into(), json!(out.changed));
        if let Some(n) = removed {
            r.insert("found".into(), json!(n));
        }
        r.insert("msg".into(), json!(out.msg));
        r.insert("backup".into(), json!(out.backup.unwrap_or_default()));
        if ctx.diff {
            let diff = match out.attr_diff {
                Some(a) => json!([content_diff, a]),
                None => content_diff,
            };
            r.insert("diff".into(), diff);
        }
        Ok(r)
    }
}

fn no_rc(mut r: ModuleResult) -> ModuleResult {
    r.remove("rc");
    r
}

/// For tests: run the present algorithm on a string.
#[cfg(test)]
fn run_present(before: &str, p: &Present<'_>) -> (String, &'static str) {
    let mut lines = split_lines(before.as_bytes());
    let msg = present(&mut lines, p).unwrap();
    (String::from_utf8(lines.concat()).unwrap(), msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(line: &str) -> Present<'_> {
        Present {
            regexp: None,
            search_string: None,
            line,
            insertafter: Some("EOF"),
            insertbefore: None,
            backrefs: false,
            firstmatch: false,
        }
    }

    #[test]
    fn appends_with_newline_fix() {
        assert_eq!(
            run_present("a\nb", &p("c")),
            ("a\nb\nc\n".into(), "line added")
        );
        assert_eq!(run_present("a\nc\n", &p("c")), ("a\nc\n".into(), ""));
        assert_eq!(run_present("", &p("c")), ("c\n".into(), "line added"));
    }

    #[test]
    fn regexp_replaces_last_match_unless_firstmatch() {
        let mut q = p("x=9");
        q.regexp = Some("^x=");
        assert_eq!(
            run_present("x=1\nx=2\n", &q),
            ("x=1\nx=9\n".into(), "line replaced")
        );
        q.firstmatch = true;
        assert_eq!(run_present("x=1\nx=2\n", &q).0, "x=9\nx=2\n");
    }

    #[test]
    fn backrefs_and_no_match() {
        let mut q = p(r"\1=on");
        q.regexp = Some(r"^(\w+)=off$");
        q.backrefs = true;
        assert_eq!(run_present("a=off\n", &q).0, "a=on\n");
        assert_eq!(run_present("b=1\n", &q), ("b=1\n".into(), ""));
    }

    #[test]
    fn insertbefore_and_after_regex() {
        let mut q = p("new");
        q.insertafter = Some("^b");
        assert_eq!(run_present("a\nb\nc\n", &q).0, "a\nb\nnew\nc\n");
        q.insertafter = None;
        q.insertbefore = Some("^b");
        assert_eq!(run_present("a\nb\nc\n", &q).0, "a\nnew\nb\nc\n");
        q.insertbefore = Some("BOF");
        assert_eq!(run_present("a\n", &q).0, "new\na\n");
        q.insertbefore = Some("^nomatch");
        assert_eq!(run_present("a\n", &q).0, "a\nnew\n");
    }

    #[test]
    fn crlf_exact_line_is_rewritten_with_lf() {
        // ansible-core compares the whole line including its ending: "a\r\n" != "a\n".
        assert_eq!(run_present("a\r\nb\r\n", &p("a")).0, "a\nb\r\n");
    }

    #[test]
    fn absent_counts() {
        let mut lines = split_lines(b"a\nb\na\n");
        assert_eq!(absent(&mut lines, None, None, Some("a")).unwrap(), 2);
        assert_eq!(lines.concat(), b"b\n");
    }
}
