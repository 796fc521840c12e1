//! `user`'s `generate_ssh_key`: a key pair for the account, made only when its file is
//! missing, owned by the user. Passphrases are not supported: ssh-keygen would need
//! them on its command line.

use serde_json::Value;

use crate::sys::{self, quote, sect, section, sections};
use crate::{Args, Ctx, ModuleError, ModuleResult};

/// Add the key fields to `r` (and `changed` when a key is made).
pub(crate) async fn ensure(
    ctx: &Ctx<'_>,
    args: &Args,
    name: &str,
    r: &mut ModuleResult,
) -> Result<(), ModuleError> {
    let Some(home) = r.get("home").and_then(Value::as_str).map(str::to_string) else {
        // A user that check mode did not create has no home to look in yet.
        r.insert("changed".into(), true.into());
        return Ok(());
    };
    let file = args
        .str("ssh_key_file")?
        .unwrap_or_else(|| ".ssh/id_rsa".into());
    let file = if file.starts_with('/') {
        file
    } else {
        format!("{home}/{file}")
    };
    let kind = args.str("ssh_key_type")?.unwrap_or_else(|| "rsa".into());
    let mut keygen = vec![
        "ssh-keygen".to_string(),
        "-q".into(),
        "-t".into(),
        kind.clone(),
    ];
    match sys::int(args, "ssh_key_bits")? {
        Some(b) => keygen.extend(["-b".into(), b.to_string()]),
        None if kind == "rsa" => keygen.extend(["-b".into(), "4096".into()]),
        None => {}
    }
    keygen.extend(["-f".into(), file.clone(), "-N".into(), String::new()]);
    // Ansible's default comment names the host: $HOSTNAME is expanded on it.
    let comment = args
        .str("ssh_key_comment")?
        .unwrap_or_else(|| "ansible-generated on $HOSTNAME".into());
    let comment_expr = format!(
        "\"$(printf '%s' {} | sed \"s/\\$HOSTNAME/$(hostname)/g\")\"",
        quote(&comment)
    );
    let (qf, qu) = (quote(&file), quote(name));
    let dir = file.rsplit_once('/').map_or(".", |(d, _)| d).to_string();
    let qd = quote(&dir);
    let make = if ctx.check_mode {
        "true".to_string()
    } else {
        format!(
            "[ -d {qd} ] || {{ mkdir -p {qd} && chmod 700 {qd} && chown {qu}: {qd}; }} || exit $?; {} -C {comment_expr} </dev/null || exit $?; chown {qu}: {qf} {qf}.pub",
            sys::line(&keygen)
        )
    };
    let script = format!(
        "if [ -e {qf} ]; then echo EXISTS; else {make} || exit $?; fi; {}; cat {qf}.pub 2>/dev/null; {}; ssh-keygen -l -f {qf}.pub 2>/dev/null; true",
        section("pub"),
        section("fp")
    );
    let o = sys::sh(ctx, &script).await?;
    if o.rc != 0 {
        return Err(ModuleError::Failed(format!(
            "Failed to generate the SSH key {file}: {}",
            o.stderr.trim()
        )));
    }
    if !o.stdout.starts_with("EXISTS") {
        r.insert("changed".into(), true.into());
    }
    let secs = sections(&o.stdout);
    r.insert("ssh_key_file".into(), file.into());
    r.insert("ssh_public_key".into(), sect(&secs, "pub").trim().into());
    r.insert("ssh_fingerprint".into(), sect(&secs, "fp").trim().into());
    Ok(())
}
