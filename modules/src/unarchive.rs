//! `unarchive`: unpack a tar (gz, bz2, xz, zstd) or zip archive into an existing directory
//! with the host's `tar` / `unzip`. The archive comes from the controller (uploaded to a
//! temp file first) or, with `remote_src`, from the host.
//!
//! Idempotence: the archive is first unpacked into a temp directory beside `dest` and
//! compared with `dest` (file type, content with `cmp`, permission bits); only when
//! something differs is it unpacked into `dest`. Ansible compares the archive's listing
//! (`tar --diff`, zipinfo sizes/mtimes/CRC) instead; the outcome is the same for content
//! and modes, but drover does not report a change for mtimes alone and reads the archive
//! twice. File names with a newline are not compared correctly.

use async_trait::async_trait;
use drover_connection::quote;
use serde_json::{json, Value};

use crate::lineinfile::supported;
use crate::textfile::{self, Attrs};
use crate::{result, Ctx, Module, ModuleError, ModuleResult, SearchKind};

pub struct Unarchive;

const OPTIONS: &[&str] = &[
    "src",
    "dest",
    "remote_src",
    "copy",
    "creates",
    "list_files",
    "extra_opts",
    "exclude",
    "include",
    "keep_newer",
    "io_buffer_size",
    "decrypt",
    "validate_certs",
    "attr",
];

/// (handler name as Ansible reports it, listing command, extraction command) per format,
/// in Ansible's order of trying them. `$s` is the archive, `$x` the target directory, `$T`
/// gtar or tar by absolute path (so its messages name it as Ansible's do).
const FORMATS: &[(&str, &str, &str)] = &[
    (
        "ZipArchive",
        "unzip -Z1 \"$s\"",
        "unzip -o \"$s\" -d \"$x\"",
    ),
    (
        "TgzArchive",
        "\"$T\" -tzf \"$s\"",
        "\"$T\" -xzf \"$s\" -C \"$x\"",
    ),
    (
        "TarArchive",
        "\"$T\" -tf \"$s\"",
        "\"$T\" -xf \"$s\" -C \"$x\"",
    ),
    (
        "TarBzipArchive",
        "\"$T\" -tjf \"$s\"",
        "\"$T\" -xjf \"$s\" -C \"$x\"",
    ),
    (
        "TarXzArchive",
        "\"$T\" -tJf \"$s\"",
        "\"$T\" -xJf \"$s\" -C \"$x\"",
    ),
    (
        "TarZstdArchive",
        "\"$T\" --zstd -tf \"$s\"",
        "\"$T\" --zstd -xf \"$s\" -C \"$x\"",
    ),
];

#[async_trait]
impl Module for Unarchive {
    fn name(&self) -> &'static str {
        "unarchive"
    }

    async fn run(&self, ctx: &Ctx<'_>) -> Result<ModuleResult, ModuleError> {
        supported(ctx, "unarchive", OPTIONS)?;
        let args = &ctx.args;
        let src = args
            .str("src")?
            .ok_or_else(|| ModuleError::Failed("src (or content) and dest are required".into()))?;
        let dest = args
            .str("dest")?
            .ok_or_else(|| ModuleError::Failed("src (or content) and dest are required".into()))?;
        let dest = textfile::expand_user(ctx, &dest).await?;
        let mut warnings = Vec::new();
        let dest = if dest.starts_with('/') {
            dest
        } else {
            // Relative to the login directory, as the module's working directory in Ansible.
            let out = ctx.exec("pwd", None).await?;
            let cwd = String::from_utf8_lossy(&out.stdout).trim().to_string();
            let abs = normalize(&format!("{cwd}/{dest}"));
            warnings.push(format!(
                "Relative destination path '{dest}' was resolved to absolute path '{abs}'."
            ));
            abs
        };
        let remote_src = args.bool("remote_src", false)? || !args.bool("copy", true)?;
        let list_files = args.bool("list_files", false)?;
        let extra = args.list("extra_opts")?.unwrap_or_default();
        let exclude = args.list("exclude")?.unwrap_or_default();
        let include = args.list("include")?.unwrap_or_default();
        let keep_newer = args.bool("keep_newer", false)?;
        let attrs = Attrs::from_args(ctx)?;
        if let Some(r) = attrs.invalid_mode() {
            return Ok(r);
        }
        if let Some(c) = args.str("creates")? {
            let out = ctx
                .exec(&format!("[ -e {} ] && echo yes", quote(&c)), None)
                .await?;
            if String::from_utf8_lossy(&out.stdout).trim() == "yes" {
                let mut r = result(false);
                r.insert("skipped".into(), json!(true));
                r.insert("msg".into(), json!(format!("skipped, since {c} exists")));
                return Ok(r);
            }
        }
        // The archive on the host: uploaded from the controller unless remote_src.
        let (host_src, uploaded) = if src.contains("://") {
            // A URL: the host downloads it to a temp file (removed at the end).
            let tmp = format!("/tmp/.drover-archive-{}", textfile::token());
            let req = crate::http::Request {
                url: src.clone(),
                method: "GET".into(),
                headers: vec![("User-Agent".into(), "ansible-httpget".into())],
                timeout: 10,
                validate_certs: args.bool("validate_certs", true)?,
                follow_redirects: true,
                ..Default::default()
            };
            let after = "case \"$status\" in 200) ;; *) rm -f -- \"$o\";; esac";
            let fetched = crate::http::fetch(ctx, &req, "", &quote(&tmp), after).await?;
            let crate::http::Fetched::Done(resp) = fetched else {
                return Err(ModuleError::Failed("unexpected answer downloading".into()));
            };
            if resp.status != 200 || resp.error.is_some() {
                let mut r = result(false);
                r.insert("failed".into(), json!(true));
                r.insert(
                    "msg".into(),
                    json!(format!(
                        "Failure downloading {src}, {}",
                        crate::http::msg(&resp)
                    )),
                );
                return Ok(r);
            }
            (tmp, true)
        } else if remote_src {
            (src.clone(), false)
        } else {
            let local = ctx
                .target
                .find_file(SearchKind::Files, &src)
                .ok_or_else(|| ModuleError::Failed(format!("Could not find or access '{src}'")))?;
            let data = tokio::fs::read(&local).await.map_err(|e| {
                ModuleError::Failed(format!("Could not read '{}': {e}", local.display()))
            })?;
            let tmp = format!("/tmp/.drover-archive-{}", textfile::token());
            ctx.put(&data, &tmp, Some(0o600)).await?;
            (tmp, true)
        };

        let mut opts = Vec::new();
        opts.extend(extra.iter().map(|o| quote(o)));
        let tar_opts = {
            let mut t = opts.clone();
            for e in &exclude {
                t.push(format!("--exclude={}", quote(e)));
            }
            if keep_newer {
                t.push("--keep-newer-files".into());
            }
            t.join(" ")
        };
        let zip_tail = {
            let mut t: Vec<String> = include.iter().map(|i| quote(i)).collect();
            if !exclude.is_empty() {
                t.push("-x".into());
                t.extend(exclude.iter().map(|e| quote(e)));
            }
            t.join(" ")
        };
        let zip_opts = opts.join(" ");
        if !include.is_empty() && !exclude.is_empty() {
            return Err(ModuleError::Failed(
                "parameters are mutually exclusive: exclude|include".into(),
            ));
        }
        let mut detect = String::new();
        for (name, list, extract) in FORMATS {
            let extract = if *name == "ZipArchive" {
                let ex = extract.replace("unzip -o", &format!("unzip -o {zip_opts}"));
                format!("{ex} {zip_tail}")
            } else {
                let inc: Vec<String> = include.iter().map(|i| quote(i)).collect();
                format!("{extract} {tar_opts} {}", inc.join(" "))
            };
            // Detection lists plainly; the real listing takes extra_opts/exclude as Ansible's.
            let full_list = if *name == "ZipArchive" {
                format!("{list} {zip_tail}")
            } else {
                list.replace(" -t", &format!(" {tar_opts} -t"))
            };
            detect.push_str(&format!(
                "if [ -z \"$h\" ] && {list} >/dev/null 2>&1; then h={name}; lst() {{ {full_list}; }}; ext() {{ {extract}; }}; fi\n"
            ));
        }
        let mut apply_attrs = String::new();
        if !attrs.is_empty() {
            let mut cmds = String::new();
            if let Some(o) = &attrs.owner {
                cmds.push_str(&format!("chown -h -- {} \"$p\"; ", quote(o)));
            }
            if let Some(g) = &attrs.group {
                cmds.push_str(&format!("chgrp -h -- {} \"$p\"; ", quote(g)));
            }
            if let Some(m) = &attrs.mode {
                cmds.push_str(&format!("[ -L \"$p\" ] || chmod -- {} \"$p\"; ", quote(m)));
            }
            apply_attrs = format!(
                "lst | while IFS= read -r f; do p=\"$d/$f\"; [ -e \"$p\" ] || [ -L \"$p\" ] || continue; \
                 b=$(stat -c '%a %u %g' -- \"$p\"); {cmds} a=$(stat -c '%a %u %g' -- \"$p\"); [ \"$a\" = \"$b\" ] || echo A; done | grep A >/dev/null && printf 'A\\0'\n"
            );
        }
        let script = format!(
            r#"s={s}; d={d}; h=
[ -e "$s" ] || {{ printf 'ENOSRC'; exit 0; }}
[ -d "$d" ] || {{ printf 'ENODEST'; exit 0; }}
T=$(command -v gtar || command -v tar)
{detect}[ -n "$h" ] || {{ printf 'EUNKNOWN'; command -v unzip >/dev/null || printf "\nUnable to find required 'unzip' or 'zipinfo' binary in the path."; [ -n "$T" ] || printf "\nUnable to find required 'gtar' or 'tar' binary in the path."; exit 0; }}
le=$(lst 2>&1 >/dev/null) || {{ printf 'EUNKNOWN\nUnable to list files in the archive: %s' "$le"; exit 0; }}
printf 'H%s\0' "$h"
lst | tr '\n' '\0'; printf '\0'
t=$(mktemp -d "$d/.drover-unarchive-XXXXXX") || {{ printf 'T\0'; exit 0; }}
x=$t; e=$(ext 2>&1) || {{ rm -rf -- "$t"; printf 'X%s\0' "$e"; exit 0; }}
{temp_mode}diff=
(cd "$t" && find . ! -name .) > "$t.lst"
while IFS= read -r f; do
  f=${{f#./}}; a="$t/$f"; b="$d/$f"
  if [ -L "$a" ]; then [ -L "$b" ] && [ "$(readlink -- "$a")" = "$(readlink -- "$b")" ] || {{ diff=1; break; }}
  elif [ -d "$a" ]; then [ -d "$b" ] && [ ! -L "$b" ] || {{ diff=1; break; }}
  else [ -f "$b" ] && [ ! -L "$b" ] && cmp -s -- "$a" "$b" && [ "$(stat -c %a -- "$a")" = "$(stat -c %a -- "$b")" ] || {{ diff=1; break; }}
  fi
done < "$t.lst"
rm -f -- "$t.lst"
rm -rf -- "$t"
if [ -n "$diff" ]; then
  printf 'C\0'
  if [ -z "$check" ]; then x=$d; e=$(ext 2>&1); rc=$?; printf 'R%s\0%s\0' "$rc" "$e"; fi
fi
if [ -z "$check" ]; then {apply_attrs}fi
printf 'I%s\0' "$(stat -c '%s %a %u %g %U %G' -- "$d")"
"#,
            s = quote(&host_src),
            d = quote(&dest),
            // The wanted mode applied to the trial copy too, so a second run compares equal.
            temp_mode = match &attrs.mode {
                Some(m) => format!(
                    "(cd \"$t\" && find . ! -name . ! -type l -exec chmod -- {} {{}} +)\n",
                    quote(m)
                ),
                None => String::new(),
            },
            apply_attrs = if apply_attrs.is_empty() {
                ":\n".to_string()
            } else {
                apply_attrs
            },
        );
        let script = format!(
            "check={}; {script}{}",
            if ctx.check_mode { "1" } else { "''" },
            if uploaded {
                format!("rm -f -- {}\n", quote(&host_src))
            } else {
                String::new()
            }
        );
        let out = ctx.exec(&script, None).await?;
        let stdout = out.stdout;
        let fail = |msg: String| {
            let mut r = result(false);
            r.insert("failed".into(), json!(true));
            r.insert("msg".into(), json!(msg));
            Ok(r)
        };
        if stdout.starts_with(b"ENOSRC") {
            return fail(format!("Source '{src}' does not exist"));
        }
        if stdout.starts_with(b"ENODEST") {
            return fail(format!("dest '{dest}' must be an existing dir"));
        }
        if let Some(reasons) = stdout.strip_prefix(b"EUNKNOWN") {
            return fail(format!(
                "Failed to find handler for \"{host_src}\". Make sure the required command to extract the file is installed.{}",
                String::from_utf8_lossy(reasons).trim_end()
            ));
        }
        let mut recs = stdout.split(|&b| b == 0).peekable();
        let mut handler = String::new();
        let mut files = Vec::new();
        if let Some(h) = recs.next() {
            handler = String::from_utf8_lossy(h.strip_prefix(b"H").unwrap_or(h)).into_owned();
        }
        for f in recs.by_ref() {
            if f.is_empty() {
                break;
            }
            files.push(Value::String(String::from_utf8_lossy(f).into_owned()));
        }
        let mut changed = false;
        let mut r = result(false);
        let mut extract_results = None;
        let mut info = None;
        let mut attrs_changed = false;
        while let Some(rec) = recs.next() {
            match rec.first() {
                Some(b'X') => {
                    return fail(format!(
                        "Failed to unpack {host_src} into {dest}: {}",
                        String::from_utf8_lossy(&rec[1..]).trim()
                    ))
                }
                Some(b'C') => changed = true,
                Some(b'T') if rec.len() == 1 => {
                    return fail(format!("could not create a temp directory in {dest}"))
                }
                Some(b'R') => {
                    let rc: i64 = String::from_utf8_lossy(&rec[1..]).parse().unwrap_or(-1);
                    let err = recs
                        .next()
                        .map(|e| String::from_utf8_lossy(e).into_owned())
                        .unwrap_or_default();
                    if rc != 0 {
                        return fail(format!("failed to unpack {host_src} to {dest}: {err}"));
                    }
                    extract_results = Some(json!({"rc": rc, "out": "", "err": err}));
                }
                Some(b'A') => attrs_changed = true,
                Some(b'I') => info = Some(String::from_utf8_lossy(&rec[1..]).into_owned()),
                _ => {}
            }
        }
        r.insert("changed".into(), json!(changed || attrs_changed));
        if !warnings.is_empty() {
            r.insert("warnings".into(), json!(warnings));
        }
        r.insert("dest".into(), json!(dest));
        r.insert("src".into(), json!(host_src));
        r.insert("handler".into(), json!(handler));
        if let Some(e) = extract_results {
            r.insert("extract_results".into(), e);
        }
        if list_files {
            r.insert("files".into(), Value::Array(files));
        }
        if let Some(i) = info {
            let f: Vec<&str> = i.split_whitespace().collect();
            if f.len() == 6 {
                r.insert("size".into(), json!(f[0].parse::<u64>().unwrap_or(0)));
                r.insert("mode".into(), json!(format!("0{}", f[1])));
                r.insert("uid".into(), json!(f[2].parse::<u64>().unwrap_or(0)));
                r.insert("gid".into(), json!(f[3].parse::<u64>().unwrap_or(0)));
                r.insert("owner".into(), json!(f[4]));
                r.insert("group".into(), json!(f[5]));
                r.insert("state".into(), json!("directory"));
            }
        }
        Ok(r)
    }
}

/// `os.path.normpath` for an absolute path: no `.`, `..` or doubled slashes.
fn normalize(p: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    format!("/{}", parts.join("/"))
}
