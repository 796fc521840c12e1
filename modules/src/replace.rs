//! `replace`: every match of a regular expression (multi-line mode, as Python's `re.M`)
//! replaced with a template using `\1` / `\g<name>` backreferences, optionally only in the
//! section between `after` and `before`. Regex semantics: see `pyre`.

use async_trait::async_trait;
use serde_json::json;

use crate::lineinfile::{path_arg, supported};
use crate::pyre::{expand, Mode, PyRegex};
use crate::textfile::{self, Attrs, Finish, Found};
use crate::{result, Ctx, Module, ModuleError, ModuleResult};

pub struct Replace;

const OPTIONS: &[&str] = &[
    "path", "dest", "destfile", "name", "regexp", "replace", "after", "before", "backup",
    "validate", "encoding", "attr",
];

/// `re.subn(regexp, replace, text)` with `re.MULTILINE`: the new text and the count.
pub fn subn(regexp: &str, template: &str, text: &[u8]) -> Result<(Vec<u8>, usize), String> {
    let re = PyRegex::new(regexp, Mode::Text, "m")?;
    re.check_template(template.as_bytes())?;
    let all = re.captures_all(text)?;
    let mut out = Vec::with_capacity(text.len());
    let mut last = 0;
    for c in &all {
        let m = c.whole();
        out.extend_from_slice(&text[last..m.start]);
        out.extend(expand(template.as_bytes(), text, c)?);
        last = m.end;
    }
    out.extend_from_slice(&text[last..]);
    Ok((out, all.len()))
}

/// The byte range `after`/`before` select (Python builds `after(?P<subsection>.*?)before`
/// with DOTALL); `Err` carries the pattern when it does not match.
fn section(
    contents: &[u8],
    after: Option<&str>,
    before: Option<&str>,
) -> Result<Option<(usize, usize)>, Result<String, String>> {
    let pattern = match (after, before) {
        (Some(a), Some(b)) => format!("{a}(?P<subsection>.*?){b}"),
        (Some(a), None) => format!("{a}(?P<subsection>.*)"),
        (None, Some(b)) => format!("(?P<subsection>.*){b}"),
        (None, None) => return Ok(None),
    };
    let re = PyRegex::new(&pattern, Mode::Text, "s").map_err(Err)?;
    let c = re.captures_at(contents, 0).map_err(Err)?;
    let Some(c) = c else {
        return Err(Ok(pattern));
    };
    let idx = c.names.get("subsection").copied().unwrap_or(1);
    match c.groups.get(idx) {
        Some(Some(r)) => Ok(Some((r.start, r.end))),
        _ => Err(Ok(pattern)),
    }
}

#[async_trait]
impl Module for Replace {
    fn name(&self) -> &'static str {
        "replace"
    }

    async fn run(&self, ctx: &Ctx<'_>) -> Result<ModuleResult, ModuleError> {
        supported(ctx, "replace", OPTIONS)?;
        let args = &ctx.args;
        let path = path_arg(ctx).await?;
        let regexp = args.required_str("regexp")?;
        let template = args.str("replace")?.unwrap_or_default();
        // Empty strings count as unset, as Python's truthiness test does.
        let after = args.str("after")?.filter(|s| !s.is_empty());
        let before = args.str("before")?.filter(|s| !s.is_empty());
        let backup = args.bool("backup", false)?;
        let validate = args.str("validate")?;
        let encoding = args.str("encoding")?.unwrap_or_else(|| "utf-8".into());
        if !matches!(
            encoding.to_ascii_lowercase().replace('_', "-").as_str(),
            "utf-8" | "utf8" | "ascii"
        ) {
            return Err(ModuleError::Failed(format!(
                "drover's replace reads files as UTF-8 only (encoding={encoding})"
            )));
        }
        let attrs = Attrs::from_args(ctx)?;
        if let Some(r) = attrs.invalid_mode() {
            return Ok(r);
        }
        let fail = |msg: String, rc: i64| {
            let mut r = result(false);
            r.insert("failed".into(), json!(true));
            r.insert("rc".into(), json!(rc));
            r.insert("msg".into(), json!(msg));
            r
        };
        let found = textfile::probe(ctx, &path).await?;
        let contents = match &found {
            Found::Directory => return Ok(fail(format!("Path {path} is a directory !"), 256)),
            Found::Missing => return Ok(fail(format!("Path {path} does not exist !"), 257)),
            Found::File { content, .. } => content.clone(),
        };
        let mut r = result(false);
        r.insert("rc".into(), json!(0));
        let (start, end) = match section(&contents, after.as_deref(), before.as_deref()) {
            Ok(Some(s)) => s,
            Ok(None) => (0, contents.len()),
            Err(Ok(pattern)) => {
                r.insert(
                    "msg".into(),
                    json!(format!(
                        "Pattern for before/after params did not match the given file: {pattern}"
                    )),
                );
                return Ok(r);
            }
            Err(Err(e)) => return Err(ModuleError::Failed(e)),
        };
        let sect = &contents[start..end];
        let (replaced, n) = subn(&regexp, &template, sect).map_err(|e| {
            ModuleError::Failed(format!("Unable to process replace due to error: {e}"))
        })?;
        let new = if n > 0 && replaced != sect {
            let mut v = contents[..start].to_vec();
            v.extend_from_slice(&replaced);
            v.extend_from_slice(&contents[end..]);
            Some(v)
        } else {
            None
        };
        let msg = match &new {
            Some(_) => format!("{n} replacements made"),
            None => String::new(),
        };
        if let (Some(v), true) = (&new, ctx.diff) {
            r.insert(
                "diff".into(),
                json!({
                    "before_header": path,
                    "before": textfile::text(&contents),
                    "after_header": path,
                    "after": textfile::text(v),
                }),
            );
        }
        let out = textfile::finish(
            ctx,
            Finish {
                path: &path,
                found: &found,
                new_content: new.as_deref(),
                msg,
                backup,
                validate: validate.as_deref(),
                attrs: &attrs,
            },
        )
        .await?;
        r.insert("changed".into(), json!(out.changed));
        r.insert("msg".into(), json!(out.msg));
        if let Some(b) = out.backup {
            r.insert("backup_file".into(), json!(b));
        }
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(re: &str, t: &str, text: &str) -> (String, usize) {
        let (v, n) = subn(re, t, text.as_bytes()).unwrap();
        (String::from_utf8(v).unwrap(), n)
    }

    #[test]
    fn multiline_and_backrefs() {
        assert_eq!(
            s(r"^(\w+)=(.*)$", r"\2=\g<1>", "a=1\nb=2\n"),
            ("1=a\n2=b\n".into(), 2)
        );
        assert_eq!(s("x*", "-", "abxd").0, "-a-b--d-");
        assert_eq!(s(r"\s+$", "", "a  \nb\t\n").0, "a\nb");
    }

    #[test]
    fn section_between_after_and_before() {
        let c = b"keep x\n<s>\nx\n</s>\nx\n";
        let (a, b) = section(c, Some("<s>"), Some("</s>")).unwrap().unwrap();
        assert_eq!(&c[a..b], b"\nx\n");
        assert!(section(c, Some("nomatch"), None).is_err());
    }
}
