//! `apt`: Debian packages through `apt-get` and `dpkg`. One probe refreshes the cache
//! when asked (and stale) and reads every named package's dpkg status and apt
//! candidate; the one apt-get command that changes things runs after (with
//! `--simulate` in check mode, as Ansible does).

use async_trait::async_trait;
use serde_json::{Map, Value};

use crate::sys::{self, failed, quote, sect, section, sections};
use crate::{result, Args, Ctx, Module, ModuleError, ModuleResult};

const OPTIONS: &[&str] = &[
    "allow_change_held_packages",
    "allow_downgrade",
    "allow_unauthenticated",
    "auto_install_module_deps",
    "autoclean",
    "autoremove",
    "cache_valid_time",
    "clean",
    "deb",
    "default_release",
    "dpkg_options",
    "fail_on_autoremove",
    "force",
    "force_apt_get",
    "install_recommends",
    "lock_timeout",
    "name",
    "only_upgrade",
    "policy_rc_d",
    "purge",
    "state",
    "update_cache",
    "update_cache_retries",
    "update_cache_retry_max_delay",
    "upgrade",
];
const ALIASES: &[(&str, &str)] = &[
    ("package", "name"),
    ("pkg", "name"),
    ("update-cache", "update_cache"),
    ("install-recommends", "install_recommends"),
    ("default-release", "default_release"),
    ("allow-unauthenticated", "allow_unauthenticated"),
    ("allow-downgrade", "allow_downgrade"),
    ("allow_downgrades", "allow_downgrade"),
    ("allow-downgrades", "allow_downgrade"),
];
/// Ansible runs apt with these so nothing prompts and output is parseable.
const ENV: &str = "DEBIAN_FRONTEND=noninteractive DEBIAN_PRIORITY=critical LANG=C LC_ALL=C";
/// apt-get's summary line when it did nothing.
const APT_GET_ZERO: &str = "\n0 upgraded, 0 newly installed, 0 to remove";
/// The cache's age: the update-success stamp, else the lists directory, else 0.
const STAMP: &str = "_stamp() { if [ -e /var/lib/apt/periodic/update-success-stamp ]; then stat -c %Y /var/lib/apt/periodic/update-success-stamp; elif [ -e /var/lib/apt/lists ]; then stat -c %Y /var/lib/apt/lists; else echo 0; fi; }";

pub struct Apt;

#[async_trait]
impl Module for Apt {
    fn name(&self) -> &'static str {
        "apt"
    }
    async fn run(&self, ctx: &Ctx<'_>) -> Result<ModuleResult, ModuleError> {
        run(ctx, &ctx.args).await.map(sys::add_lines)
    }
}

/// One package as named: `name`, `name=version` (version may end in `*`).
struct Spec {
    name: String,
    version: Option<String>,
}

fn spec(s: &str) -> Result<Spec, ModuleError> {
    if s.matches('=').count() > 1 {
        return Err(ModuleError::Failed(format!("invalid package spec: {s}")));
    }
    Ok(match s.split_once('=') {
        Some((n, v)) => Spec {
            name: n.to_string(),
            version: Some(v.to_string()),
        },
        None => Spec {
            name: s.to_string(),
            version: None,
        },
    })
}

/// What dpkg and apt know of a package.
#[derive(Default, Debug, PartialEq)]
struct Known {
    installed: Option<String>,
    has_files: bool,
    candidate: Option<String>,
}

/// `dpkg-query -W -f '${Package}\t${Version}\t${db:Status-Abbrev}\n'` lines.
fn parse_dpkg(text: &str, known: &mut Map<String, Value>) {
    for l in text.lines() {
        let mut f = l.split('\t');
        let (Some(name), Some(version), Some(status)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        let name = name.split(':').next().unwrap_or(name);
        let s = status.as_bytes();
        let installed = s
            .get(1)
            .is_some_and(|c| matches!(c, b'i' | b'U' | b'F' | b'W' | b't'));
        let has_files = s.get(1).is_some_and(|c| *c != b'n');
        let entry = known
            .entry(name.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(m) = entry {
            if installed {
                m.insert("installed".into(), version.into());
            }
            m.insert("has_files".into(), Value::Bool(has_files));
        }
    }
}

/// `apt-cache policy` output: each unindented `name:` line opens a package; its
/// `Candidate:` line names the version apt would install.
fn parse_policy(text: &str, known: &mut Map<String, Value>) {
    let mut current: Option<String> = None;
    for l in text.lines() {
        if !l.starts_with(' ') && l.ends_with(':') {
            let n = l.trim_end_matches(':');
            current = Some(n.split(':').next().unwrap_or(n).to_string());
        } else if let (Some(name), Some(c)) = (&current, l.trim().strip_prefix("Candidate: ")) {
            if c != "(none)" {
                let entry = known
                    .entry(name.clone())
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(m) = entry {
                    m.insert("candidate".into(), c.into());
                }
            }
        }
    }
}

fn known_of(map: &Map<String, Value>, name: &str) -> Known {
    let m = map.get(name).and_then(Value::as_object);
    let s = |k: &str| {
        m.and_then(|m| m.get(k))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    Known {
        installed: s("installed"),
        has_files: m
            .and_then(|m| m.get("has_files"))
            .and_then(Value::as_bool)
            .unwrap_or(false),
        candidate: s("candidate"),
    }
}

fn version_matches(want: &str, have: &str) -> bool {
    match want.strip_suffix('*') {
        Some(prefix) => have.starts_with(prefix),
        None => want == have,
    }
}

/// `{'prepared': ...}`: apt-get's plan, between its "Reading state information..."
/// line and its "N upgraded" summary, as Ansible's diff for apt.
fn prepared(out: &str) -> Value {
    let lines: Vec<&str> = out.lines().collect();
    let start = lines
        .iter()
        .position(|l| *l == "Reading state information...")
        .map_or(0, |i| i + 1);
    let end = lines
        .iter()
        .position(|l| {
            let mut w = l.split_whitespace();
            w.next()
                .is_some_and(|n| n.chars().all(|c| c.is_ascii_digit()))
                && matches!(w.next(), Some("upgraded," | "packages"))
        })
        .map_or(lines.len(), |i| i + 1);
    let mut d = Map::new();
    d.insert(
        "prepared".into(),
        lines
            .get(start..end.max(start))
            .unwrap_or(&[])
            .join("\n")
            .into(),
    );
    Value::Object(d)
}

/// `-o "Dpkg::Options::=--force-confdef" ...` from `force-confdef,force-confold`.
fn dpkg_opts(list: &str) -> Vec<String> {
    list.split(',')
        .filter(|o| !o.trim().is_empty())
        .flat_map(|o| ["-o".to_string(), format!("Dpkg::Options::=--{}", o.trim())])
        .collect()
}

pub(crate) async fn run(ctx: &Ctx<'_>, raw: &Args) -> Result<ModuleResult, ModuleError> {
    let args = sys::aliased(raw, ALIASES);
    args.check_supported("apt", OPTIONS)?;
    let state = sys::choice(
        &args,
        "state",
        &["absent", "build-dep", "latest", "present", "fixed"],
        Some("present"),
    )?
    .unwrap_or_default();
    let upgrade = sys::choice(
        &args,
        "upgrade",
        &["dist", "full", "no", "safe", "yes"],
        Some("no"),
    )?
    .unwrap_or_default();
    let upgrade = match upgrade.as_str() {
        "no" => None,
        other => Some(other.to_string()),
    };
    let names: Vec<String> = args
        .list("name")?
        .unwrap_or_default()
        .into_iter()
        .filter(|n| !n.is_empty())
        .collect();
    let specs = names
        .iter()
        .map(|n| spec(n))
        .collect::<Result<Vec<_>, _>>()?;
    let deb = args.str("deb")?;
    let update_cache = args.bool("update_cache", false)?;
    let valid = sys::int(&args, "cache_valid_time")?.unwrap_or(0);
    let purge = args.bool("purge", false)?;
    let force = args.bool("force", false)?;
    let retries = sys::int(&args, "update_cache_retries")?.unwrap_or(5).max(1);
    let max_delay = sys::int(&args, "update_cache_retry_max_delay")?.unwrap_or(12);
    let dpkg_options = args
        .str("dpkg_options")?
        .unwrap_or_else(|| "force-confdef,force-confold".into());
    if deb.is_some() && state != "present" {
        return Ok(failed("deb only supports state=present"));
    }
    if upgrade.is_some() && !specs.is_empty() {
        return Ok(failed(
            "unable to install additional packages when upgrading all installed packages",
        ));
    }

    // The probe: cache refresh, then what dpkg and apt know of each package.
    let mut probe = format!("{STAMP}; _b=$(_stamp); ");
    if update_cache || valid > 0 {
        let update = if ctx.check_mode {
            "true".to_string()
        } else {
            // Retries back off exponentially up to the configured ceiling, as Ansible's.
            format!(
                "_i=0; _d=1; while :; do _u=$({ENV} apt-get update -q 2>&1) && break; _i=$((_i+1)); [ $_i -ge {retries} ] && {{ printf 'UPDATE_FAILED\\n%s\\n' \"$_u\"; break; }}; sleep $_d; _d=$((_d*2)); [ $_d -gt {max_delay} ] && _d={max_delay}; done"
            )
        };
        probe.push_str(&format!(
            "if [ $((_b + {valid})) -lt $(date +%s) ]; then echo UPDATED; {update}; fi; "
        ));
    }
    probe.push_str(&format!("{}; _stamp; echo $_b; ", section("after")));
    let query_names: Vec<String> = specs.iter().map(|s| s.name.clone()).collect();
    if !query_names.is_empty() {
        let q = sys::line(&query_names);
        probe.push_str(&format!(
            "{}; dpkg-query -W -f='${{Package}}\\t${{Version}}\\t${{db:Status-Abbrev}}\\n' -- {q} 2>/dev/null; {}; LC_ALL=C apt-cache policy -- {q} 2>/dev/null; ",
            section("dpkg"),
            section("policy")
        ));
    }
    if let Some(d) = &deb {
        let d = quote(d);
        probe.push_str(&format!(
            "{}; if [ -r {d} ]; then _p=$(dpkg-deb -f {d} Package) && printf '%s\\t%s\\t%s\\n' \"$_p\" \"$(dpkg-deb -f {d} Version)\" \"$(dpkg-query -W -f='${{Version}}' \"$_p\" 2>/dev/null)\"; else echo MISSING; fi; ",
            section("deb")
        ));
    }
    probe.push_str("true");
    let out = sys::sh(ctx, &probe).await?;
    let secs = sections(&out.stdout);
    if out.stdout.contains("UPDATE_FAILED\n") {
        let detail = out.stdout.split("UPDATE_FAILED\n").nth(1).unwrap_or("");
        let detail = detail.split(sys::SECTION).next().unwrap_or("").trim();
        return Ok(failed(format!(
            "Failed to update apt cache after {retries} retries: {detail}"
        )));
    }
    let mut stamps = sect(&secs, "after").split_whitespace();
    let after: i64 = stamps.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    let before: i64 = stamps.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    let ran_update = out.stdout.starts_with("UPDATED\n");
    let cache_updated = ran_update && (ctx.check_mode || before != after);

    let mut known = Map::new();
    parse_dpkg(sect(&secs, "dpkg"), &mut known);
    parse_policy(sect(&secs, "policy"), &mut known);

    let with_cache = |mut r: ModuleResult| {
        r.insert("cache_updated".into(), Value::Bool(cache_updated));
        r.insert("cache_update_time".into(), after.into());
        r
    };
    if specs.is_empty() && upgrade.is_none() && deb.is_none() {
        let mut r = with_cache(result(cache_updated));
        if args.bool("autoremove", false)? || args.bool("autoclean", false)? {
            let op = if args.bool("autoremove", false)? {
                "autoremove"
            } else {
                "autoclean"
            };
            r = cleanup(ctx, op, purge, &dpkg_options).await?;
        }
        return Ok(r);
    }

    let mut apt_get: Vec<String> = vec!["apt-get".into(), "-y".into()];
    apt_get.extend(dpkg_opts(&dpkg_options));
    if force {
        apt_get.push("--force-yes".into());
    }
    if ctx.check_mode {
        apt_get.push("--simulate".into());
    }

    if let Some(kind) = upgrade {
        let verb = if matches!(kind.as_str(), "dist" | "full") {
            "dist-upgrade"
        } else {
            "upgrade"
        };
        apt_get.push(verb.into());
        if verb == "upgrade" {
            apt_get.push("--with-new-pkgs".into());
        }
        let o = apt(ctx, &apt_get).await?;
        if o.rc != 0 {
            return Ok(sys::cmd_failed(
                format!("'apt-get {verb}' failed: {}", o.stderr),
                &o,
            ));
        }
        let mut r = with_cache(result(!o.stdout.contains(APT_GET_ZERO)));
        r.insert("msg".into(), o.stdout.clone().into());
        r.insert("stdout".into(), o.stdout.clone().into());
        r.insert("stderr".into(), o.stderr.into());
        if ctx.diff {
            r.insert("diff".into(), prepared(&o.stdout));
        }
        return Ok(r);
    }

    if let Some(d) = deb {
        return install_deb(ctx, &d, sect(&secs, "deb"), force, &dpkg_options)
            .await
            .map(with_cache);
    }

    if state == "absent" {
        let targets: Vec<String> = specs
            .iter()
            .filter(|s| {
                let k = known_of(&known, &s.name);
                k.installed.is_some() || (purge && k.has_files)
            })
            .map(|s| match &s.version {
                Some(v) => format!("{}={v}", s.name),
                None => s.name.clone(),
            })
            .collect();
        if targets.is_empty() {
            return Ok(result(false));
        }
        let mut cmd = vec!["apt-get".to_string(), "-q".into(), "-y".into()];
        cmd.extend(dpkg_opts(&dpkg_options));
        if purge {
            cmd.push("--purge".into());
        }
        if force {
            cmd.push("--force-yes".into());
        }
        if args.bool("autoremove", false)? {
            cmd.push("--auto-remove".into());
        }
        if ctx.check_mode {
            cmd.push("--simulate".into());
        }
        if args.bool("allow_change_held_packages", false)? {
            cmd.push("--allow-change-held-packages".into());
        }
        cmd.push("remove".into());
        cmd.extend(targets.iter().cloned());
        let o = apt(ctx, &cmd).await?;
        if o.rc != 0 {
            return Ok(sys::cmd_failed(
                format!(
                    "'apt-get remove {}' failed: {}",
                    targets.join(" "),
                    o.stderr
                ),
                &o,
            ));
        }
        return Ok(changed_result(&o, ctx.diff));
    }

    // present, latest, fixed, build-dep
    let mut targets = Vec::new();
    for s in &specs {
        if state == "build-dep" {
            targets.push(s.name.clone());
            continue;
        }
        let k = known_of(&known, &s.name);
        if k.installed.is_none() && k.candidate.is_none() {
            return Ok(failed(format!(
                "No package matching '{}' is available",
                s.name
            )));
        }
        if k.installed.is_none() && args.bool("only_upgrade", false)? {
            continue;
        }
        let need = match (&k.installed, &s.version) {
            (None, _) => true,
            (Some(have), Some(want)) => !version_matches(want, have),
            (Some(have), None) => {
                state == "latest" && k.candidate.as_ref().is_some_and(|c| c != have)
            }
        };
        if need {
            targets.push(match &s.version {
                Some(v) => format!("{}={v}", s.name),
                None => s.name.clone(),
            });
        }
    }
    if targets.is_empty() {
        return Ok(with_cache(result(false)));
    }
    for (flag, opt) in [
        ("--only-upgrade", "only_upgrade"),
        ("--auto-remove", "autoremove"),
        ("--no-remove", "fail_on_autoremove"),
    ] {
        if args.bool(opt, false)? {
            apt_get.push(flag.into());
        }
    }
    if state == "fixed" {
        apt_get.push("--fix-broken".into());
    }
    apt_get.push(
        if state == "build-dep" {
            "build-dep"
        } else {
            "install"
        }
        .into(),
    );
    apt_get.extend(targets);
    if let Some(rel) = args.str("default_release")? {
        apt_get.push("-t".into());
        apt_get.push(rel);
    }
    if args.get("install_recommends").is_some() {
        let yes = args.bool("install_recommends", false)?;
        apt_get.push("-o".into());
        apt_get.push(format!(
            "APT::Install-Recommends={}",
            if yes { "yes" } else { "no" }
        ));
    }
    for (flag, opt) in [
        ("--allow-unauthenticated", "allow_unauthenticated"),
        ("--allow-downgrades", "allow_downgrade"),
        ("--allow-change-held-packages", "allow_change_held_packages"),
    ] {
        if args.bool(opt, false)? {
            apt_get.push(flag.into());
        }
    }
    let o = apt(ctx, &apt_get).await?;
    if o.rc != 0 {
        return Ok(with_cache(sys::cmd_failed(
            format!("'{}' failed: {}", apt_get.join(" "), o.stderr),
            &o,
        )));
    }
    let mut r = changed_result(&o, ctx.diff);
    if state == "build-dep" {
        r.insert(
            "changed".into(),
            Value::Bool(!o.stdout.contains(APT_GET_ZERO)),
        );
    }
    Ok(with_cache(r))
}

fn changed_result(o: &sys::Output, diff: bool) -> ModuleResult {
    let mut r = result(true);
    r.insert("stdout".into(), o.stdout.clone().into());
    r.insert("stderr".into(), o.stderr.clone().into());
    r.insert(
        "diff".into(),
        if diff {
            prepared(&o.stdout)
        } else {
            Value::Object(Map::new())
        },
    );
    r
}

/// Run apt-get or dpkg with Ansible's environment; apt-get waits for the dpkg lock
/// as long as `lock_timeout` says (another apt run on the host must not fail the task).
async fn apt(ctx: &Ctx<'_>, words: &[String]) -> Result<sys::Output, ModuleError> {
    let mut words = words.to_vec();
    if words.first().is_some_and(|w| w == "apt-get") {
        let secs = sys::int(&ctx.args, "lock_timeout")?.unwrap_or(60);
        words.insert(1, format!("DPkg::Lock::Timeout={secs}"));
        words.insert(1, "-o".into());
    }
    sys::sh(ctx, &format!("{ENV} {}", sys::line(&words))).await
}

async fn cleanup(
    ctx: &Ctx<'_>,
    op: &str,
    purge: bool,
    dpkg_options: &str,
) -> Result<ModuleResult, ModuleError> {
    let mut cmd = vec!["apt-get".to_string(), "-y".into()];
    cmd.extend(dpkg_opts(dpkg_options));
    if purge {
        cmd.push("--purge".into());
    }
    if ctx.check_mode {
        cmd.push("--simulate".into());
    }
    cmd.push(op.into());
    let o = apt(ctx, &cmd).await?;
    if o.rc != 0 {
        return Ok(sys::cmd_failed(
            format!("'apt-get {op}' failed: {}", o.stderr),
            &o,
        ));
    }
    let mut r = result(!o.stdout.contains(APT_GET_ZERO) && o.stdout.contains("Remov"));
    r.insert("stdout".into(), o.stdout.clone().into());
    r.insert("stderr".into(), o.stderr.into());
    Ok(r)
}

async fn install_deb(
    ctx: &Ctx<'_>,
    path: &str,
    probe: &str,
    force: bool,
    dpkg_options: &str,
) -> Result<ModuleResult, ModuleError> {
    let line = probe.lines().find(|l| !l.is_empty()).unwrap_or("");
    if line == "MISSING" || line.is_empty() {
        return Ok(failed(format!(
            "Unable to install package: E:Could not open file {path} - open (2: No such file or directory)"
        )));
    }
    let mut f = line.split('\t');
    let (_name, version, installed) = (f.next(), f.next().unwrap_or(""), f.next().unwrap_or(""));
    if !force && !installed.is_empty() && installed == version {
        return Ok(result(false));
    }
    // apt-get installs a local .deb with its dependencies (Ansible resolves them
    // through python-apt, then runs dpkg -i): the result is the same package state.
    let mut cmd = vec!["apt-get".to_string(), "-y".into()];
    cmd.extend(dpkg_opts(dpkg_options));
    if force {
        cmd.extend(["-o".into(), "Dpkg::Options::=--force-all".into()]);
    }
    if ctx.check_mode {
        cmd.push("--simulate".into());
    }
    cmd.push("install".into());
    // apt-get takes a word as a file only when it contains a slash.
    cmd.push(if path.contains('/') {
        path.to_string()
    } else {
        format!("./{path}")
    });
    let o = apt(ctx, &cmd).await?;
    if o.rc != 0 {
        return Ok(sys::cmd_failed(format!("{} failed", cmd.join(" ")), &o));
    }
    Ok(changed_result(&o, ctx.diff))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dpkg_and_policy_output_become_package_states() {
        let mut m = Map::new();
        parse_dpkg("sl\t5.02-1+b1\tii \nold\t1.0\trc \n", &mut m);
        parse_policy(
            "sl:\n  Installed: 5.02-1+b1\n  Candidate: 5.02-1+b1\n  Version table:\n *** 5.02-1+b1 500\nnew:amd64:\n  Installed: (none)\n  Candidate: 2.0\nnone:\n  Installed: (none)\n  Candidate: (none)\n",
            &mut m,
        );
        assert_eq!(
            known_of(&m, "sl"),
            Known {
                installed: Some("5.02-1+b1".into()),
                has_files: true,
                candidate: Some("5.02-1+b1".into())
            }
        );
        assert_eq!(
            known_of(&m, "old"),
            Known {
                installed: None,
                has_files: true,
                candidate: None
            }
        );
        assert_eq!(known_of(&m, "new").candidate.as_deref(), Some("2.0"));
        assert_eq!(known_of(&m, "none"), Known::default());
    }

    #[test]
    fn prepared_is_the_plan_between_apt_markers() {
        let out = "Reading package lists...\nBuilding dependency tree...\nReading state information...\nThe following NEW packages will be installed:\n  sl\n0 upgraded, 1 newly installed, 0 to remove and 0 not upgraded.\nInst sl\n";
        assert_eq!(
            prepared(out)["prepared"],
            "The following NEW packages will be installed:\n  sl\n0 upgraded, 1 newly installed, 0 to remove and 0 not upgraded."
        );
    }

    #[test]
    fn specs_split_versions() {
        let s = spec("sl=5.*").unwrap();
        assert_eq!((s.name.as_str(), s.version.as_deref()), ("sl", Some("5.*")));
        assert!(version_matches("5.*", "5.02-1"));
        assert!(spec("a=1=2").is_err());
    }
}
