//! `git`: a checkout of a repository at a version, with the `git` on the host. One
//! probe reads the checkout's HEAD, local modifications, remote URL and what the remote
//! has (`ls-remote`); the clone or the fetch-and-checkout runs only when they differ.

use async_trait::async_trait;
use serde_json::Value;

use crate::sys::{self, failed, quote, sect, section, sections};
use crate::{result, Ctx, Module, ModuleError, ModuleResult};

const OPTIONS: &[&str] = &[
    "accept_hostkey",
    "accept_newhostkey",
    "archive",
    "archive_prefix",
    "bare",
    "clone",
    "depth",
    "dest",
    "executable",
    "force",
    "gpg_allowlist",
    "key_file",
    "recursive",
    "reference",
    "refspec",
    "remote",
    "repo",
    "separate_git_dir",
    "single_branch",
    "ssh_opts",
    "track_submodules",
    "umask",
    "update",
    "verify_commit",
    "version",
];

pub struct Git;

#[async_trait]
impl Module for Git {
    fn name(&self) -> &'static str {
        "git"
    }
    async fn run(&self, ctx: &Ctx<'_>) -> Result<ModuleResult, ModuleError> {
        run(ctx).await.map(sys::add_lines)
    }
}

/// What `ls-remote --symref REPO` says about `version`.
#[derive(Debug, PartialEq)]
enum Target {
    /// A branch (the remote's default one for HEAD) at this commit.
    Branch(String, String),
    /// A tag, peeled to its commit.
    Tag(String, String),
    /// Not a ref the remote advertises: a commit id, resolved after fetching.
    Commit(String),
}

fn resolve(ls_remote: &str, version: &str) -> Option<Target> {
    let mut head_branch = None;
    let mut refs: Vec<(&str, &str)> = Vec::new();
    for l in ls_remote.lines() {
        if let Some(rest) = l.strip_prefix("ref: ") {
            if let Some((target, "HEAD")) = rest.split_once('\t') {
                head_branch = target.strip_prefix("refs/heads/");
            }
            continue;
        }
        if let Some((sha, name)) = l.split_once('\t') {
            refs.push((sha, name));
        }
    }
    let find = |name: &str| {
        refs.iter()
            .find(|(_, n)| *n == name)
            .map(|(s, _)| s.to_string())
    };
    if version == "HEAD" {
        let sha = find("HEAD")?;
        return Some(Target::Branch(
            head_branch.unwrap_or("HEAD").to_string(),
            sha,
        ));
    }
    let short = version.strip_prefix("refs/heads/").unwrap_or(version);
    if let Some(sha) = find(&format!("refs/heads/{short}")) {
        return Some(Target::Branch(short.to_string(), sha));
    }
    let tag = version.strip_prefix("refs/tags/").unwrap_or(version);
    if let Some(sha) =
        find(&format!("refs/tags/{tag}^{{}}")).or_else(|| find(&format!("refs/tags/{tag}")))
    {
        return Some(Target::Tag(tag.to_string(), sha));
    }
    (version.len() >= 4 && version.chars().all(|c| c.is_ascii_hexdigit()))
        .then(|| Target::Commit(version.to_string()))
}

async fn run(ctx: &Ctx<'_>) -> Result<ModuleResult, ModuleError> {
    let args = sys::aliased(
        &ctx.args,
        &[("name", "repo"), ("gpg_whitelist", "gpg_allowlist")],
    );
    args.check_supported("git", OPTIONS)?;
    let repo = args.required_str("repo")?;
    let dest = match args.str("dest")? {
        Some(d) => d,
        None if !args.bool("clone", true)? => String::new(),
        None => {
            return Ok(failed(
                "the destination directory must be specified unless clone=no",
            ))
        }
    };
    for k in [
        "archive",
        "separate_git_dir",
        "verify_commit",
        "reference",
        "refspec",
    ] {
        if args.get(k).is_some_and(|v| v != &Value::Bool(false)) {
            return Ok(failed(format!(
                "drover's git module does not support '{k}' yet"
            )));
        }
    }
    let version = args.str("version")?.unwrap_or_else(|| "HEAD".into());
    let force = args.bool("force", false)?;
    let update = args.bool("update", true)?;
    let clone = args.bool("clone", true)?;
    let bare = args.bool("bare", false)?;
    let depth = sys::int(&args, "depth")?;
    let remote = args.str("remote")?.unwrap_or_else(|| "origin".into());
    let git = quote(&args.str("executable")?.unwrap_or_else(|| "git".into()));
    let mut env = String::new();
    let mut ssh = String::new();
    if args.bool("accept_hostkey", false)? {
        ssh.push_str(" -o StrictHostKeyChecking=no");
    } else if args.bool("accept_newhostkey", false)? {
        ssh.push_str(" -o StrictHostKeyChecking=accept-new");
    }
    if let Some(k) = args.str("key_file")? {
        ssh.push_str(&format!(" -i {} -o IdentitiesOnly=yes", quote(&k)));
    }
    if let Some(o) = args.str("ssh_opts")? {
        ssh.push(' ');
        ssh.push_str(&o);
    }
    if !ssh.is_empty() {
        env = format!("GIT_SSH_COMMAND={} ", quote(&format!("ssh{ssh}")));
    }
    if let Some(u) = args.str("umask")? {
        env = format!("umask {}; {env}", quote(&u));
    }
    let qd = quote(&dest);
    let qr = quote(&repo);
    let qremote = quote(&remote);
    let gd = format!("{git} -C {qd}");
    let probe = format!(
        "cd / ; if [ -n {qd} ] && {{ [ -e {qd}/.git ] || {{ [ -f {qd}/HEAD ] && [ -d {qd}/objects ]; }}; }}; then {}; {gd} rev-parse HEAD 2>/dev/null; {}; {gd} status --porcelain --untracked-files=no 2>/dev/null; {}; {gd} config --get remote.{qremote}.url; fi; {}; {env}{git} ls-remote --symref {qr} 2>&1; echo rc=$?",
        section("before"),
        section("mods"),
        section("url"),
        section("remote"),
    );
    let out = sys::sh(ctx, &probe).await?;
    let secs = sections(&out.stdout);
    let exists = secs.contains_key("before");
    let before = sect(&secs, "before").trim().to_string();
    let local_mods = !sect(&secs, "mods").trim().is_empty();
    let url = sect(&secs, "url").trim().to_string();
    let remote_text = sect(&secs, "remote");
    let remote_ok = remote_text.trim_end().ends_with("rc=0");
    if !remote_ok {
        let text = remote_text
            .trim_end()
            .rsplit_once('\n')
            .map_or("", |(t, _)| t);
        return Ok(failed(format!(
            "Failed to read the remote {repo}: {}",
            text.trim()
        )));
    }
    let Some(target) = resolve(remote_text, &version) else {
        return Ok(failed(format!(
            "Failed to find version {version} in the remote {repo}"
        )));
    };
    let target_sha = match &target {
        Target::Branch(_, s) | Target::Tag(_, s) => Some(s.clone()),
        Target::Commit(_) => None,
    };

    // Check mode's "after": the commit the remote advertises, else the version asked for.
    let planned_after = target_sha
        .clone()
        .map_or_else(|| Value::from(version.clone()), Value::from);
    let mut r = result(false);
    let null_or = |s: &str| {
        if s.is_empty() {
            Value::Null
        } else {
            Value::from(s)
        }
    };
    if !exists {
        r.insert("before".into(), Value::Null);
        if !clone {
            r.insert("after".into(), target_sha.map_or(Value::Null, Value::from));
            return Ok(r);
        }
        r.insert("changed".into(), true.into());
        if ctx.check_mode {
            r.insert("after".into(), planned_after);
            return Ok(r);
        }
        let mut cmd = format!("{env}{git} clone");
        if bare {
            cmd.push_str(" --bare");
        }
        if remote != "origin" {
            cmd.push_str(&format!(" --origin {qremote}"));
        }
        if let Some(d) = depth {
            cmd.push_str(&format!(" --depth {d}"));
            if let Target::Branch(b, _) | Target::Tag(b, _) = &target {
                if version != "HEAD" {
                    cmd.push_str(&format!(" --branch {}", quote(b)));
                }
            }
            if !args.bool("single_branch", false)? {
                cmd.push_str(" --no-single-branch");
            }
        } else if args.bool("single_branch", false)? {
            cmd.push_str(" --single-branch");
        }
        cmd.push_str(&format!(" {qr} {qd}"));
        let mut script = format!("{cmd} 2>&1 || exit $?; ");
        if !bare && version != "HEAD" {
            let v = match &target {
                Target::Branch(b, _) => b.clone(),
                Target::Tag(t, _) => t.clone(),
                Target::Commit(c) => c.clone(),
            };
            script.push_str(&format!(
                "{gd} checkout --force {} 2>&1 || exit $?; ",
                quote(&v)
            ));
        }
        if !bare && args.bool("recursive", true)? {
            script.push_str(&format!("if [ -f {qd}/.gitmodules ]; then {env}{gd} submodule update --init --recursive 2>&1 || exit $?; fi; "));
        }
        script.push_str(&format!("{}; {gd} rev-parse HEAD", section("after")));
        let o = sys::sh(ctx, &script).await?;
        if o.rc != 0 {
            return Ok(sys::cmd_failed(
                format!("Failed to clone {repo}: {}", o.stdout.trim()),
                &o,
            ));
        }
        let after = sect(&sections(&o.stdout), "after").trim().to_string();
        r.insert("after".into(), after.into());
        return Ok(r);
    }

    r.insert("before".into(), null_or(&before));
    if local_mods && !force && !bare {
        let mut f = failed(
            "Local modifications exist in the destination: ".to_string() + &dest + " (force=no).",
        );
        f.insert("before".into(), null_or(&before));
        return Ok(f);
    }
    let url_changed = url != repo;
    r.insert("remote_url_changed".into(), url_changed.into());
    if !update {
        r.insert("after".into(), null_or(&before));
        return Ok(r);
    }
    let up_to_date = target_sha.as_deref() == Some(before.as_str())
        || matches!(&target, Target::Commit(c) if before.starts_with(c.as_str()));
    if up_to_date && !local_mods && !url_changed {
        r.insert("after".into(), null_or(&before));
        return Ok(r);
    }
    r.insert("changed".into(), true.into());
    if ctx.check_mode {
        r.insert("after".into(), planned_after);
        return Ok(r);
    }
    let mut script = String::new();
    if url_changed {
        script.push_str(&format!("{gd} remote set-url {qremote} {qr} 2>&1 || {gd} remote add {qremote} {qr} 2>&1 || exit $?; "));
    }
    let depth_arg = depth.map(|d| format!(" --depth {d}")).unwrap_or_default();
    if bare {
        script.push_str(&format!("{env}{gd} fetch{depth_arg} {qremote} '+refs/heads/*:refs/heads/*' '+refs/tags/*:refs/tags/*' 2>&1 || exit $?; "));
    } else {
        script.push_str(&format!("{env}{gd} fetch{depth_arg} --tags --force {qremote} '+refs/heads/*:refs/remotes/'{qremote}'/*' 2>&1 || exit $?; "));
        match &target {
            Target::Branch(b, _) if b != "HEAD" => {
                let qb = quote(b);
                script.push_str(&format!(
                    "{gd} checkout --force {qb} 2>&1 || {gd} checkout --force -b {qb} {qremote}/{qb} 2>&1 || exit $?; {gd} reset --hard {qremote}/{qb} 2>&1 || exit $?; "
                ));
            }
            Target::Branch(_, sha) => {
                script.push_str(&format!(
                    "{gd} reset --hard {} 2>&1 || exit $?; ",
                    quote(sha)
                ));
            }
            Target::Tag(t, _) => {
                script.push_str(&format!(
                    "{gd} checkout --force {} 2>&1 || exit $?; ",
                    quote(&format!("refs/tags/{t}"))
                ));
            }
            Target::Commit(c) => {
                script.push_str(&format!(
                    "{gd} checkout --force {} 2>&1 || exit $?; ",
                    quote(c)
                ));
            }
        }
        if args.bool("recursive", true)? {
            script.push_str(&format!("if [ -f {qd}/.gitmodules ]; then {env}{gd} submodule update --init --recursive 2>&1 || exit $?; fi; "));
        }
    }
    script.push_str(&format!("{}; {gd} rev-parse HEAD", section("after")));
    let o = sys::sh(ctx, &script).await?;
    if o.rc != 0 {
        let mut f = sys::cmd_failed(format!("Failed to update {dest}: {}", o.stdout.trim()), &o);
        f.insert("before".into(), null_or(&before));
        return Ok(f);
    }
    let after = sect(&sections(&o.stdout), "after").trim().to_string();
    if ctx.diff && after != before {
        let d = sys::sh(
            ctx,
            &format!(
                "{gd} diff --stat {} {} 2>/dev/null",
                quote(&before),
                quote(&after)
            ),
        )
        .await?;
        let mut m = serde_json::Map::new();
        m.insert("prepared".into(), d.stdout.into());
        r.insert("diff".into(), Value::Object(m));
    }
    r.insert("after".into(), after.into());
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_resolve_against_ls_remote() {
        let ls = "ref: refs/heads/main\tHEAD\naaa\tHEAD\naaa\trefs/heads/main\nbbb\trefs/heads/dev\nccc\trefs/tags/v1\nddd\trefs/tags/v1^{}\n";
        assert_eq!(
            resolve(ls, "HEAD"),
            Some(Target::Branch("main".into(), "aaa".into()))
        );
        assert_eq!(
            resolve(ls, "dev"),
            Some(Target::Branch("dev".into(), "bbb".into()))
        );
        assert_eq!(
            resolve(ls, "v1"),
            Some(Target::Tag("v1".into(), "ddd".into()))
        );
        assert_eq!(resolve(ls, "abc123"), Some(Target::Commit("abc123".into())));
        assert_eq!(resolve(ls, "nope"), None);
    }
}
