//! `template`: render a controller template with the task's variables (plus Ansible's
//! `template_*` variables and `ansible_managed`), then install it as `copy` does.

use std::path::Path;

use async_trait::async_trait;
use chrono::{DateTime, Local};

use super::attrs::Wanted;
use super::install::{install_one, OneFile};
use super::mode::ModeSpec;
use super::{basename, fail};
use crate::{Ctx, Delimiters, Module, ModuleError, ModuleResult, SearchKind, TextOptions};

pub struct Template;

const OPTIONS: &[&str] = &[
    "src",
    "dest",
    "backup",
    "force",
    "mode",
    "owner",
    "group",
    "follow",
    "validate",
    "newline_sequence",
    "trim_blocks",
    "lstrip_blocks",
    "output_encoding",
    "variable_start_string",
    "variable_end_string",
    "block_start_string",
    "block_end_string",
    "comment_start_string",
    "comment_end_string",
    "unsafe_writes",
    "attributes",
    "attr",
    "seuser",
    "serole",
    "setype",
    "selevel",
];

/// Ansible's DEFAULT_MANAGED_STR.
const MANAGED: &str = "Ansible managed";

#[async_trait]
impl Module for Template {
    fn name(&self) -> &'static str {
        "template"
    }

    async fn run(&self, ctx: &Ctx<'_>) -> Result<ModuleResult, ModuleError> {
        let a = &ctx.args;
        a.check_supported("template", OPTIONS)?;
        let (Some(src), Some(dest)) = (a.str("src")?, a.str("dest")?) else {
            return Err(fail("src and dest are required"));
        };
        let mut delimiters = Delimiters::default();
        for (kind, pair) in [
            ("block", &mut delimiters.block),
            ("variable", &mut delimiters.variable),
            ("comment", &mut delimiters.comment),
        ] {
            if let Some(start) = a.str(&format!("{kind}_start_string"))? {
                pair.0 = start;
            }
            if let Some(end) = a.str(&format!("{kind}_end_string"))? {
                pair.1 = end;
            }
        }
        // An empty output_encoding is the default, as in ansible-core's action.
        let encoding = a
            .str("output_encoding")?
            .filter(|e| !e.is_empty())
            .unwrap_or_else(|| "utf-8".into());
        let output_encoding = encoding_rs::Encoding::for_label(encoding.as_bytes())
            .ok_or_else(|| fail(&format!("unknown encoding: {encoding}")))?;
        let newline = match a.str("newline_sequence")?.as_deref() {
            None | Some("\n") | Some("\\n") => "\n",
            Some("\r") | Some("\\r") => "\r",
            Some("\r\n") | Some("\\r\\n") => "\r\n",
            Some(_) => return Err(fail("newline_sequence needs to be one of: \n, \r or \r\n")),
        };
        let mut opts = TextOptions {
            trim_blocks: a.bool("trim_blocks", true)?,
            lstrip_blocks: a.bool("lstrip_blocks", false)?,
            keep_trailing_newline: true,
            newline_sequence: newline.to_string(),
            search_paths: Vec::new(),
            delimiters,
        };
        let Some(path) = ctx.target.find_file(SearchKind::Templates, &src) else {
            return Err(fail(&format!(
                "Could not find or access '{src}'\nSearched in:\n\t{dir}/templates/{src}\n\t{dir}/{src} on the Ansible Controller.",
                dir = ctx.target.playbook_dir().display()
            )));
        };
        let file = std::fs::read_to_string(&path)
            .map_err(|e| fail(&format!("could not read template {}: {e}", path.display())))?;
        let text = drover_template::template_overrides(&file, &mut opts)
            .map_err(|e| in_template(e, &path, None))?;
        let header_lines = u32::from(text.len() != file.len());
        opts.search_paths = path.parent().map(Path::to_path_buf).into_iter().collect();
        let prelude = template_vars(ctx, &src, &path, &dest, &opts.delimiters)?;
        let rendered = ctx
            .target
            .render_text(&format!("{prelude}{text}"), &opts)
            .map_err(|e| {
                let at = e
                    .line
                    .zip(e.col)
                    .and_then(|at| file_position(at, &prelude, header_lines));
                in_template(e.message, &path, at)
            })?;
        let mut wanted = Wanted::from_args(a)?;
        if a.str("mode")?.as_deref() == Some("preserve") {
            wanted.mode = Some(ModeSpec::Octal(super::copy::local_mode(&path)));
        }
        let label = path.display().to_string();
        let job = OneFile {
            data: encode(rendered, output_encoding, &encoding)?,
            src_label: label.clone(),
            dest,
            basename: basename(&src),
            from_content: false,
            after_header: label,
            wanted,
            force: a.bool("force", true)?,
            backup: a.bool("backup", false)?,
            follow: a.bool("follow", false)?,
            validate: a.str("validate")?,
            remote: None,
            remote_sum: None,
        };
        install_one(ctx, job).await
    }
}

fn in_template(message: String, path: &Path, at: Option<(u32, u32)>) -> ModuleError {
    ModuleError::FailedIn {
        message,
        file: path.to_path_buf(),
        at,
    }
}

/// Where a position in the rendered source (`prelude` then the template without its
/// `#jinja2:` line) is in the template file; `None` inside the prelude.
fn file_position((line, col): (u32, u32), prelude: &str, header_lines: u32) -> Option<(u32, u32)> {
    let prelude_lines = prelude.matches('\n').count() as u32;
    let line = line.checked_sub(prelude_lines).filter(|l| *l > 0)?;
    let col = if line == 1 && prelude_lines == 0 {
        col.checked_sub(prelude.chars().count() as u32)
            .filter(|c| *c > 0)?
    } else {
        col
    };
    Some((line + header_lines, col))
}

/// `{% set %}` lines defining the variables Ansible's template action adds. They end
/// in `{{ '' }}` rather than a block tag, so trim_blocks cannot eat the template's
/// first newline, and they sit on the first line so error line numbers stay right.
fn template_vars(
    ctx: &Ctx<'_>,
    src: &str,
    path: &std::path::Path,
    dest: &str,
    delims: &Delimiters,
) -> Result<String, ModuleError> {
    let meta = std::fs::metadata(path).ok();
    let mtime: Option<DateTime<Local>> = meta
        .as_ref()
        .and_then(|m| m.modified().ok())
        .map(Into::into);
    let uid = {
        use std::os::unix::fs::MetadataExt;
        meta.as_ref().map(|m| m.uid()).unwrap_or(0)
    };
    let owner = user_name(uid).unwrap_or_else(|| uid.to_string());
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default();
    let py = |t: DateTime<Local>| t.format("%Y-%m-%d %H:%M:%S%.6f").to_string();
    let full = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    let mut vars = vec![
        ("template_host", host),
        ("template_path", src.to_string()),
        ("template_mtime", mtime.map(py).unwrap_or_default()),
        ("template_uid", owner),
        ("template_run_date", py(Local::now())),
        ("template_destpath", dest.to_string()),
        ("template_fullpath", full.display().to_string()),
    ];
    // A user's own ansible_managed wins, as in Ansible.
    if ctx
        .target
        .evaluate("ansible_managed")
        .ok()
        .flatten()
        .is_none()
    {
        vars.push(("ansible_managed", MANAGED.to_string()));
    }
    let mut out = String::new();
    for (k, v) in vars {
        let lit = serde_json::to_string(&v).map_err(|e| fail(&e.to_string()))?;
        match &delims.line_statement {
            // A line statement must start its line: one line each (error line numbers
            // then count them).
            Some(prefix) => out.push_str(&format!("{prefix} set {k} = {lit}\n")),
            None => out.push_str(&format!(
                "{} set {k} = {lit} {}",
                delims.block.0, delims.block.1
            )),
        }
    }
    if delims.line_statement.is_none() {
        out.push_str(&format!("{} '' {}", delims.variable.0, delims.variable.1));
    }
    Ok(out)
}

fn user_name(uid: u32) -> Option<String> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() > 2 && f[2] == uid.to_string()).then(|| f[0].to_string())
    })
}

/// The rendered text in `encoding` (Python's strict `str.encode`: a character the
/// encoding lacks is an error).
fn encode(
    text: String,
    encoding: &'static encoding_rs::Encoding,
    name: &str,
) -> Result<Vec<u8>, ModuleError> {
    if encoding == encoding_rs::UTF_8 {
        return Ok(text.into_bytes());
    }
    let (bytes, _, unmappable) = encoding.encode(&text);
    if unmappable || encoding.output_encoding() != encoding {
        return Err(fail(&format!(
            "'{name}' codec can't encode the rendered template"
        )));
    }
    Ok(bytes.into_owned())
}

#[cfg(test)]
mod tests {
    #[test]
    fn output_encoding_is_strict() {
        let cp1252 = encoding_rs::Encoding::for_label(b"windows-1252").unwrap();
        assert_eq!(
            super::encode("é€".into(), cp1252, "windows-1252").unwrap(),
            [0xe9, 0x80]
        );
        assert!(super::encode("中".into(), cp1252, "windows-1252").is_err());
        assert_eq!(
            super::encode("中".into(), encoding_rs::UTF_8, "utf-8").unwrap(),
            "中".as_bytes()
        );
    }
}
