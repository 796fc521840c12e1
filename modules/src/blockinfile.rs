//! `blockinfile`: a block of lines between two marker lines, inserted, updated or removed.
//! Same round trips as lineinfile: one to stat and read, one to write; the block placement
//! follows ansible-core (markers compared as whole lines, last insertafter/insertbefore
//! match, a `(?m)` pattern searched in the whole file).

use async_trait::async_trait;
use serde_json::json;

use crate::lineinfile::{aliased, exclusive, path_arg, supported};
use crate::pyre::{Mode, PyRegex};
use crate::textfile::{self, Attrs, Finish, Found};
use crate::{result, Ctx, Module, ModuleError, ModuleResult};

pub struct BlockInFile;

const OPTIONS: &[&str] = &[
    "path",
    "dest",
    "destfile",
    "name",
    "state",
    "marker",
    "block",
    "content",
    "insertafter",
    "insertbefore",
    "create",
    "backup",
    "validate",
    "marker_begin",
    "marker_end",
    "append_newline",
    "prepend_newline",
    "attr",
];

pub struct Block<'a> {
    pub present: bool,
    pub block: &'a str,
    pub marker: &'a str,
    pub marker_begin: &'a str,
    pub marker_end: &'a str,
    pub insertafter: Option<&'a str>,
    pub insertbefore: Option<&'a str>,
    pub append_newline: bool,
    pub prepend_newline: bool,
}

/// ansible-core's placement: the file's new bytes and whether the block has lines.
pub fn apply(original: &[u8], b: &Block<'_>) -> Result<(Vec<u8>, bool), ModuleError> {
    let mut lines = split_lines_py(original);
    let (insertafter, insertbefore) = match (b.insertafter, b.insertbefore) {
        (None, None) => (Some("EOF"), None),
        other => other,
    };
    let pattern = match (insertafter, insertbefore) {
        (Some(a), _) if a != "EOF" => Some(a),
        (None, Some(bf)) if bf != "BOF" => Some(bf),
        _ => None,
    };
    let insertre = pattern
        .map(|p| {
            PyRegex::new(p, Mode::Bytes, "")
                .map_err(|e| ModuleError::Failed(format!("invalid regular expression '{p}': {e}")))
        })
        .transpose()?;
    let marker_line = |mark: &str| {
        let mut m = b.marker.replace("{mark}", mark).into_bytes();
        m.push(b'\n');
        m
    };
    let marker0 = marker_line(b.marker_begin);
    let marker1 = marker_line(b.marker_end);
    let mut blocklines: Vec<Vec<u8>> = Vec::new();
    if b.present && !b.block.is_empty() {
        let mut block = b.block.as_bytes().to_vec();
        if !block.ends_with(b"\n") {
            block.push(b'\n');
        }
        blocklines.push(marker0.clone());
        blocklines.extend(split_lines_py(&block));
        blocklines.push(marker1.clone());
    }
    let (mut n0, mut n1) = (None, None);
    for (i, l) in lines.iter().enumerate() {
        if *l == marker0 {
            n0 = Some(i);
        }
        if *l == marker1 {
            n1 = Some(i);
        }
    }
    let re_err = ModuleError::Failed;
    let mut n0 = match (n0, n1) {
        (Some(a), Some(z)) if a < z => {
            lines.drain(a..=z);
            a
        }
        (Some(a), Some(z)) => {
            lines.drain(z..=a);
            z
        }
        _ => {
            if let (Some(re), Some(p)) = (&insertre, pattern) {
                let mut at = None;
                if PyRegex::is_multiline(p) {
                    if let Some(c) = re.captures_at(original, 0).map_err(re_err)? {
                        let m = c.whole();
                        let upto = if insertafter.is_some() {
                            m.end
                        } else {
                            m.start
                        };
                        at = Some(original[..upto].iter().filter(|&&c| c == b'\n').count());
                    }
                } else {
                    for (i, l) in lines.iter().enumerate() {
                        if re.is_match(l).map_err(ModuleError::Failed)? {
                            at = Some(i);
                        }
                    }
                }
                match at {
                    None => lines.len(),
                    Some(i) if insertafter.is_some() => i + 1,
                    Some(i) => i,
                }
            } else if insertbefore.is_some() {
                0
            } else {
                lines.len()
            }
        }
    };
    if n0 > 0 && !lines[n0 - 1].ends_with(b"\n") {
        lines[n0 - 1].push(b'\n');
    }
    if b.prepend_newline && b.present && n0 != 0 && lines[n0 - 1] != b"\n" {
        lines.insert(n0, b"\n".to_vec());
        n0 += 1;
    }
    let has_block = !blocklines.is_empty();
    let count = blocklines.len();
    lines.splice(n0..n0, blocklines);
    if b.append_newline && b.present {
        let after = n0 + count;
        if after < lines.len() && lines[after] != b"\n" {
            lines.insert(after, b"\n".to_vec());
        }
    }
    Ok((lines.concat(), has_block))
}

/// Python's `bytes.splitlines(True)`: lines end at `\n`, `\r\n` or a lone `\r`.
fn split_lines_py(b: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\n' => {
                out.push(b[start..=i].to_vec());
                start = i + 1;
            }
            b'\r' => {
                let end = if b.get(i + 1) == Some(&b'\n') {
                    i + 1
                } else {
                    i
                };
                out.push(b[start..=end].to_vec());
                start = end + 1;
                i = end;
            }
            _ => {}
        }
        i += 1;
    }
    if start < b.len() {
        out.push(b[start..].to_vec());
    }
    out
}

#[async_trait]
impl Module for BlockInFile {
    fn name(&self) -> &'static str {
        "blockinfile"
    }

    async fn run(&self, ctx: &Ctx<'_>) -> Result<ModuleResult, ModuleError> {
        supported(ctx, "blockinfile", OPTIONS)?;
        exclusive(ctx, &[("insertbefore", "insertafter")])?;
        let args = &ctx.args;
        let path = path_arg(ctx).await?;
        let state = args.str("state")?.unwrap_or_else(|| "present".into());
        if !matches!(state.as_str(), "present" | "absent") {
            return Err(ModuleError::Failed(format!(
                "value of state must be one of: absent, present, got: {state}"
            )));
        }
        let block = aliased(ctx, &["block", "content"])?.unwrap_or_default();
        let marker = args
            .str("marker")?
            .unwrap_or_else(|| "# {mark} ANSIBLE MANAGED BLOCK".into());
        let marker_begin = args.str("marker_begin")?.unwrap_or_else(|| "BEGIN".into());
        let marker_end = args.str("marker_end")?.unwrap_or_else(|| "END".into());
        let create = args.bool("create", false)?;
        let backup = args.bool("backup", false)?;
        let validate = args.str("validate")?;
        let attrs = Attrs::from_args(ctx)?;
        if let Some(r) = attrs.invalid_mode() {
            return Ok(r);
        }
        let present = state == "present";

        let found = textfile::probe(ctx, &path).await?;
        let fail = |msg: String, rc: i64| {
            let mut r = result(false);
            r.insert("failed".into(), json!(true));
            r.insert("rc".into(), json!(rc));
            r.insert("msg".into(), json!(msg));
            r
        };
        match &found {
            Found::Directory => return Ok(fail(format!("Path {path} is a directory !"), 256)),
            Found::Missing if !create => {
                return Ok(fail(format!("Path {path} does not exist !"), 257))
            }
            Found::Missing if !present => {
                let mut r = result(false);
                r.insert("msg".into(), json!(format!("File {path} not present")));
                return Ok(r);
            }
            _ => {}
        }
        let original = found.content();
        let (new, has_block) = apply(
            original.unwrap_or_default(),
            &Block {
                present,
                block: &block,
                marker: &marker,
                marker_begin: &marker_begin,
                marker_end: &marker_end,
                insertafter: args.str("insertafter")?.as_deref(),
                insertbefore: args.str("insertbefore")?.as_deref(),
                append_newline: args.bool("append_newline", false)?,
                prepend_newline: args.bool("prepend_newline", false)?,
            },
        )?;
        let msg = match original {
            Some(o) if o == new.as_slice() => "",
            None => "File created",
            Some(_) if !has_block => "Block removed",
            Some(_) => "Block inserted",
        };
        let changed = !msg.is_empty();
        let content_diff = json!({
            "before": textfile::text(original.unwrap_or_default()),
            "after": textfile::text(&new),
            "before_header": format!("{path} (content)"),
            "after_header": format!("{path} (content)"),
        });
        let out = textfile::finish(
            ctx,
            Finish {
                path: &path,
                found: &found,
                new_content: changed.then_some(new.as_slice()),
                msg: msg.to_string(),
                backup,
                validate: validate.as_deref(),
                attrs: &attrs,
            },
        )
        .await?;
        let mut r = result(out.changed);
        r.insert("msg".into(), json!(out.msg));
        if let Some(b) = out.backup {
            r.insert("backup_file".into(), json!(b));
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn blk<'a>(block: &'a str) -> Block<'a> {
        Block {
            present: true,
            block,
            marker: "# {mark} ANSIBLE MANAGED BLOCK",
            marker_begin: "BEGIN",
            marker_end: "END",
            insertafter: None,
            insertbefore: None,
            append_newline: false,
            prepend_newline: false,
        }
    }

    fn run(orig: &str, b: &Block<'_>) -> String {
        String::from_utf8(apply(orig.as_bytes(), b).unwrap().0).unwrap()
    }

    #[test]
    fn insert_update_remove() {
        let once = run("a\nb", &blk("x\ny"));
        assert_eq!(
            once,
            "a\nb\n# BEGIN ANSIBLE MANAGED BLOCK\nx\ny\n# END ANSIBLE MANAGED BLOCK\n"
        );
        assert_eq!(run(&once, &blk("x\ny")), once);
        let updated = run(&once, &blk("z"));
        assert!(updated.contains("BLOCK\nz\n# END"));
        let mut gone = blk("");
        gone.present = false;
        assert_eq!(run(&once, &gone), "a\nb\n");
    }

    #[test]
    fn insertbefore_bof_and_regex() {
        let mut b = blk("x");
        b.insertbefore = Some("BOF");
        assert!(run("a\n", &b).starts_with("# BEGIN"));
        b.insertbefore = Some("^b");
        b.prepend_newline = true;
        b.append_newline = true;
        assert_eq!(
            run("a\nb\n", &b),
            "a\n\n# BEGIN ANSIBLE MANAGED BLOCK\nx\n# END ANSIBLE MANAGED BLOCK\n\nb\n"
        );
    }
}
