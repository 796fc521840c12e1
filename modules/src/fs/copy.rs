//! `copy`: content, a controller file or a controller directory tree (rsync's
//! trailing-slash rule), or a file already on the host (`remote_src`).

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use serde_json::Value;

use super::attrs::Wanted;
use super::install::{install_one, OneFile};
use super::mode::ModeSpec;
use super::tree::copy_tree;
use super::{basename, fail};
use crate::{Ctx, Module, ModuleError, ModuleResult, SearchKind};

pub struct Copy;

const OPTIONS: &[&str] = &[
    "src",
    "content",
    "dest",
    "backup",
    "force",
    "mode",
    "owner",
    "group",
    "directory_mode",
    "remote_src",
    "local_follow",
    "follow",
    "validate",
    "checksum",
    "decrypt",
    "unsafe_writes",
    "attributes",
    "attr",
    "seuser",
    "serole",
    "setype",
    "selevel",
];

#[async_trait]
impl Module for Copy {
    fn name(&self) -> &'static str {
        "copy"
    }

    async fn run(&self, ctx: &Ctx<'_>) -> Result<ModuleResult, ModuleError> {
        let a = &ctx.args;
        a.check_supported("copy", OPTIONS)?;
        let src = a.str("src")?.filter(|s| !s.is_empty());
        let content = a.get("content").cloned();
        let Some(dest) = a.str("dest")?.filter(|s| !s.is_empty()) else {
            return Err(fail(if src.is_none() && content.is_none() {
                "src (or content) is required"
            } else {
                "dest is required"
            }));
        };
        if src.is_none() && content.is_none() {
            return Err(fail("src (or content) is required"));
        }
        let dest = super::expand_home(ctx, dest).await?;
        if src.is_some() && content.is_some() {
            return Err(fail("src and content are mutually exclusive"));
        }
        if content.is_some() && dest.ends_with('/') {
            return Err(fail("can not use content with a dir as dest"));
        }
        let mut wanted = Wanted::from_args(a)?;
        // `preserve` is the controller file's mode, known once the file is found.
        let preserve = a.str("mode")?.as_deref() == Some("preserve");
        if preserve {
            wanted.mode = None;
        }
        let job =
            |data: Vec<u8>, label: String, name: String, from_content: bool, header: String| {
                Ok::<_, ModuleError>(OneFile {
                    data,
                    src_label: label,
                    dest: dest.clone(),
                    basename: name,
                    from_content,
                    after_header: header,
                    wanted: wanted.clone(),
                    force: a.bool("force", true)?,
                    backup: a.bool("backup", false)?,
                    follow: a.bool("follow", false)?,
                    validate: a.str("validate")?,
                    remote: None,
                    remote_sum: None,
                })
            };
        if let Some(content) = content {
            let text = match content {
                Value::String(s) => s,
                v @ (Value::Object(_) | Value::Array(_)) => crate::fs::python_json(&v),
                other => other.to_string(),
            };
            let j = job(
                text.into_bytes(),
                dest.clone(),
                basename(&dest),
                true,
                dest.clone(),
            )?;
            return install_one(ctx, j).await;
        }
        let src = src.unwrap_or_default();
        if a.bool("remote_src", false)? {
            let mut j = job(Vec::new(), src.clone(), basename(&src), false, src.clone())?;
            j.remote = Some(src);
            return install_one(ctx, j).await;
        }
        let Some(found) = ctx.target.find_file(SearchKind::Files, &src) else {
            return Err(fail(&format!(
                "Could not find or access '{src}'\nSearched in:\n\t{}/files/{src}\n\t{}/{src} on the Ansible Controller.\nIf you are using a module and expect the file to exist on the remote, see the remote_src option",
                ctx.target.playbook_dir().display(),
                ctx.target.playbook_dir().display()
            )));
        };
        if found.is_dir() {
            let dir_mode = super::mode::parse(a.get("directory_mode"))?;
            return copy_tree(
                ctx,
                &found,
                src.ends_with('/'),
                &dest,
                &wanted,
                preserve,
                dir_mode,
                a.bool("force", true)?,
            )
            .await;
        }
        let data = std::fs::read(&found)
            .map_err(|e| fail(&format!("could not find src={}, {e}", found.display())))?;
        let label = found.display().to_string();
        let mut j = job(data, label.clone(), basename(&src), false, label)?;
        if preserve {
            j.wanted.mode = Some(ModeSpec::Octal(local_mode(&found)));
        }
        install_one(ctx, j).await
    }
}

pub(crate) fn local_mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p)
        .map(|m| m.permissions().mode() & 0o7777)
        .unwrap_or(0o644)
}

/// Files and directories below a controller directory, relative to `prefix`.
pub(crate) fn walk(
    dir: &Path,
    rel: &str,
    files: &mut Vec<(String, PathBuf)>,
    dirs: &mut Vec<String>,
) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        let r = if rel.is_empty() {
            name
        } else {
            format!("{rel}/{name}")
        };
        // local_follow (default): links are copied as what they point to.
        let p = e.path();
        if p.is_dir() {
            dirs.push(r.clone());
            walk(&p, &r, files, dirs)?;
        } else if p.exists() {
            files.push((r, p));
        }
    }
    Ok(())
}
