//! `pip`: Python packages, optionally in a virtualenv it creates. One probe creates
//! the virtualenv when missing, finds pip and lists what is installed; pip runs only
//! when a named package is missing or at another version (or for latest, requirements
//! files and reinstalls, which only pip can decide).

use async_trait::async_trait;
use serde_json::Value;

use crate::sys::{self, failed, quote, sect, section, sections};
use crate::{result, Ctx, Module, ModuleError, ModuleResult};

const OPTIONS: &[&str] = &[
    "break_system_packages",
    "chdir",
    "editable",
    "executable",
    "extra_args",
    "name",
    "requirements",
    "state",
    "umask",
    "version",
    "virtualenv",
    "virtualenv_command",
    "virtualenv_python",
    "virtualenv_site_packages",
];

pub struct Pip;

#[async_trait]
impl Module for Pip {
    fn name(&self) -> &'static str {
        "pip"
    }
    async fn run(&self, ctx: &Ctx<'_>) -> Result<ModuleResult, ModuleError> {
        run(ctx).await.map(sys::add_lines)
    }
}

/// PEP 503 name normalisation: case and runs of `-_.` do not matter.
fn normalize(name: &str) -> String {
    let mut out = String::new();
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// A requirement's name and specifier (`six`, `==1.16.0`); None for URLs and paths,
/// which only pip can judge.
fn split_req(req: &str) -> Option<(String, String)> {
    let t = req.trim();
    if t.contains("://") || t.starts_with('.') || t.starts_with('/') || t.contains('@') {
        return None;
    }
    let cut = t.find(|c: char| "<>=!~;[ ".contains(c)).unwrap_or(t.len());
    Some((normalize(&t[..cut]), t[cut..].trim().to_string()))
}

/// Whether `pip list --format=freeze` output satisfies a requirement; None when
/// the specifier needs pip's own version logic.
fn satisfied(freeze: &str, req: &str) -> Option<bool> {
    let (name, spec) = split_req(req)?;
    let installed = freeze.lines().find_map(|l| {
        let (n, v) = l.split_once("==")?;
        (normalize(n) == name).then(|| v.trim().to_string())
    });
    match (installed, spec.as_str()) {
        (None, _) => Some(false),
        (Some(_), "") => Some(true),
        (Some(v), s) => match s.strip_prefix("==") {
            Some(want) if !want.contains(['*', ',', ';']) => Some(v == want.trim()),
            _ => None,
        },
    }
}

async fn run(ctx: &Ctx<'_>) -> Result<ModuleResult, ModuleError> {
    let args = &ctx.args;
    args.check_supported("pip", OPTIONS)?;
    let state = sys::choice(
        args,
        "state",
        &["absent", "forcereinstall", "latest", "present"],
        Some("present"),
    )?
    .unwrap_or_default();
    let names = args.list("name")?.unwrap_or_default();
    let version = args.str("version")?;
    let requirements = args.str("requirements")?;
    let venv = args.str("virtualenv")?;
    if names.is_empty() && requirements.is_none() {
        return Ok(failed(
            "one of the following is required: name, requirements",
        ));
    }
    if !names.is_empty() && requirements.is_some() {
        return Ok(failed(
            "parameters are mutually exclusive: name|requirements",
        ));
    }
    if version.is_some() && names.len() != 1 {
        return Ok(failed(
            "version is incompatible with multiple packages or no package name; pin them in name",
        ));
    }
    let reqs: Vec<String> = match &version {
        Some(v) => vec![format!("{}=={v}", names[0])],
        None => names.clone(),
    };

    let mut prelude = String::new();
    if let Some(u) = args.str("umask")? {
        prelude.push_str(&format!("umask {}; ", quote(&u)));
    }
    if let Some(d) = args.str("chdir")? {
        prelude.push_str(&format!("cd {} || exit 1; ", quote(&d)));
    }
    let mut probe = prelude.clone();
    if let Some(v) = &venv {
        let qv = quote(v);
        let mut create = crate::shlex::split(
            &args
                .str("virtualenv_command")?
                .unwrap_or_else(|| "virtualenv".into()),
        )
        .map_err(|e| ModuleError::Failed(e.to_string()))?;
        let is_venv = create.iter().any(|w| w == "venv" || w.ends_with("pyvenv"));
        if args.bool("virtualenv_site_packages", false)? {
            create.push("--system-site-packages".into());
        }
        if let Some(py) = args.str("virtualenv_python")? {
            if !is_venv {
                create.extend(["-p".into(), py]);
            }
        }
        create.push(v.clone());
        let make = if ctx.check_mode {
            "true".to_string()
        } else {
            format!(
                "{} 2>&1 || {{ echo VENV_FAILED; exit 1; }}",
                sys::line(&create)
            )
        };
        probe.push_str(&format!(
            "if [ ! -x {qv}/bin/python ]; then echo VENV_CREATED; {make}; fi; "
        ));
    }
    let pip_expr = match (args.str("executable")?, &venv) {
        (Some(e), _) => quote(&e),
        (None, Some(v)) => {
            let qv = quote(v);
            format!("$(for p in pip3 pip; do [ -x {qv}/bin/$p ] && {{ echo {qv}/bin/$p; break; }}; done)")
        }
        (None, None) => "$(command -v pip3 || command -v pip)".to_string(),
    };
    probe.push_str(&format!(
        "_pip={pip_expr}; {}; printf '%s\\n' \"$_pip\"; {}; [ -n \"$_pip\" ] && \"$_pip\" list --format=freeze --disable-pip-version-check 2>/dev/null; true",
        section("pip"),
        section("freeze")
    ));
    let out = sys::sh(ctx, &probe).await?;
    if out.stdout.contains("VENV_FAILED") {
        let mut f = sys::cmd_failed("Failed to create the virtualenv", &out);
        f.insert("virtualenv".into(), venv.clone().into());
        return Ok(f);
    }
    let created = out.stdout.starts_with("VENV_CREATED") || out.stdout.contains("\nVENV_CREATED");
    let secs = sections(&out.stdout);
    let pip = sect(&secs, "pip").trim().to_string();
    let freeze = sect(&secs, "freeze").to_string();

    let mut r = result(created);
    r.insert(
        "name".into(),
        Value::Array(names.iter().map(|n| Value::from(n.as_str())).collect()),
    );
    r.insert(
        "requirements".into(),
        requirements.clone().map_or(Value::Null, Value::from),
    );
    r.insert(
        "version".into(),
        version.clone().map_or(Value::Null, Value::from),
    );
    r.insert(
        "virtualenv".into(),
        venv.clone().map_or(Value::Null, Value::from),
    );
    r.insert("state".into(), state.clone().into());
    if pip.is_empty() && !(ctx.check_mode && created) {
        return Ok(failed(
            "Unable to find any of pip3, pip to use.  pip needs to be installed.",
        ));
    }

    let mut cmd = vec![if pip.is_empty() {
        "pip".to_string()
    } else {
        pip.clone()
    }];
    match state.as_str() {
        "absent" => cmd.extend(["uninstall".into(), "-y".into()]),
        "latest" => cmd.extend(["install".into(), "-U".into()]),
        "forcereinstall" => cmd.extend(["install".into(), "-U".into(), "--force-reinstall".into()]),
        _ => cmd.push("install".into()),
    }
    if args.bool("break_system_packages", false)? {
        cmd.push("--break-system-packages".into());
    }
    if let Some(e) = args.str("extra_args")? {
        cmd.extend(crate::shlex::split(&e).map_err(|e| ModuleError::Failed(e.to_string()))?);
    }
    if args.bool("editable", false)? {
        cmd.push("-e".into());
    }
    match &requirements {
        Some(req) => cmd.extend(["-r".into(), req.clone()]),
        // pip uninstall takes names only.
        None if state == "absent" => cmd.extend(
            reqs.iter()
                .map(|r| split_req(r).map_or(r.clone(), |(n, _)| n)),
        ),
        None => cmd.extend(reqs.iter().cloned()),
    }
    r.insert("cmd".into(), cmd.join(" ").into());

    // Decide from the listing where it can; pip decides the rest.
    let known: Vec<Option<bool>> = reqs.iter().map(|q| satisfied(&freeze, q)).collect();
    let decided = match state.as_str() {
        "present" if requirements.is_none() && known.iter().all(|k| *k == Some(true)) => {
            Some(false)
        }
        "absent" if requirements.is_none() => Some(reqs.iter().any(|q| {
            split_req(q).is_none_or(|(n, _)| {
                freeze
                    .lines()
                    .any(|l| l.split("==").next().is_some_and(|x| normalize(x) == n))
            })
        })),
        _ => None,
    };
    if decided == Some(false) {
        return Ok(r);
    }
    if ctx.check_mode {
        let would = match state.as_str() {
            "present" => known.iter().any(|k| *k != Some(true)),
            "absent" => decided.unwrap_or(true),
            _ => true,
        };
        r.insert("changed".into(), (created || would).into());
        return Ok(r);
    }
    let script = format!(
        "{prelude}{} --disable-pip-version-check; _rc=$?; {}; \"$1\" list --format=freeze --disable-pip-version-check 2>/dev/null; exit $_rc",
        sys::line(&cmd),
        section("after"),
    );
    // The pip path goes in as $1 so the listing after uses the same pip.
    let o = sys::sh(ctx, &format!("set -- {}; {script}", quote(&cmd[0]))).await?;
    let body = o
        .stdout
        .split(&format!("\n{}", sys::SECTION))
        .next()
        .unwrap_or("")
        .to_string();
    let after = sect(&sections(&o.stdout), "after").to_string();
    r.insert("stdout".into(), body.clone().into());
    r.insert("stderr".into(), o.stderr.clone().into());
    if o.rc != 0 {
        let mut msg = String::new();
        if !body.is_empty() {
            msg.push_str(&format!("stdout: {body}"));
        }
        if !o.stderr.is_empty() {
            msg.push_str(&format!("\n:stderr: {}", o.stderr));
        }
        let mut f = failed(msg);
        f.insert("cmd".into(), cmd.join(" ").into());
        f.insert("stdout".into(), body.into());
        f.insert("stderr".into(), o.stderr.into());
        return Ok(f);
    }
    let changed = match state.as_str() {
        "absent" => body.contains("Successfully uninstalled"),
        _ if requirements.is_some() => after != freeze,
        _ => body.contains("Successfully installed") || after != freeze,
    };
    r.insert("changed".into(), (created || changed).into());
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirements_against_a_listing() {
        let freeze = "Six==1.16.0\nzope.interface==6.0\n";
        assert_eq!(satisfied(freeze, "six"), Some(true));
        assert_eq!(satisfied(freeze, "six==1.16.0"), Some(true));
        assert_eq!(satisfied(freeze, "six==1.15.0"), Some(false));
        assert_eq!(satisfied(freeze, "Zope_Interface"), Some(true));
        assert_eq!(satisfied(freeze, "six>=1"), None);
        assert_eq!(satisfied(freeze, "requests"), Some(false));
        assert_eq!(satisfied(freeze, "git+https://x/y.git"), None);
    }
}
