//! `setup` (and play-level fact gathering): one round trip that reads the host's basic
//! facts with POSIX tools. A first cut of Ansible's fact set; names and values follow
//! ansible-core's for the facts it covers.

use async_trait::async_trait;
use serde_json::{Map, Value};

use crate::{result, Ctx, Module, ModuleError, ModuleResult};

pub struct Setup;

const PROBE: &str = r#"printf 'hostname=%s\n' "$(hostname 2>/dev/null || uname -n)"
printf 'fqdn=%s\n' "$(hostname -f 2>/dev/null || hostname 2>/dev/null || uname -n)"
printf 'system=%s\nkernel=%s\nkernel_version=%s\nmachine=%s\n' "$(uname -s)" "$(uname -r)" "$(uname -v)" "$(uname -m)"
printf 'user_id=%s\nuser_uid=%s\nuser_gid=%s\nuser_dir=%s\nuser_shell=%s\n' "$(id -un)" "$(id -u)" "$(id -g)" "$HOME" "$SHELL"
printf 'nproc=%s\n' "$(getconf _NPROCESSORS_ONLN 2>/dev/null || nproc 2>/dev/null)"
awk '/^MemTotal:/{print "memtotal_kb=" $2}' /proc/meminfo 2>/dev/null
[ -r /etc/os-release ] && sed -n 's/^\(ID\|VERSION_ID\|VERSION_CODENAME\|NAME\)=/os_\1=/p' /etc/os-release
[ -r /etc/debian_version ] && printf 'debian_version=%s\n' "$(cat /etc/debian_version)"
[ -r /etc/machine-id ] && printf 'machine_id=%s\n' "$(cat /etc/machine-id)"
printf 'pid1=%s\n' "$(cat /proc/1/comm 2>/dev/null)"
for p in apt-get dnf yum apk pacman zypper; do command -v $p >/dev/null 2>&1 && { echo pkg=$p; break; }; done
true"#;

#[async_trait]
impl Module for Setup {
    fn name(&self) -> &'static str {
        "setup"
    }
    async fn run(&self, ctx: &Ctx<'_>) -> Result<ModuleResult, ModuleError> {
        ctx.args.check_supported(
            "setup",
            &["gather_subset", "gather_timeout", "filter", "fact_path"],
        )?;
        let out = ctx.exec(PROBE, None).await?;
        let text = String::from_utf8_lossy(&out.stdout);
        let raw: std::collections::HashMap<&str, String> = text
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k, v.trim().trim_matches('"').to_string()))
            .collect();
        let mut r = result(false);
        r.insert("ansible_facts".into(), Value::Object(facts(&raw)));
        Ok(r)
    }
}

fn facts(raw: &std::collections::HashMap<&str, String>) -> Map<String, Value> {
    let get = |k: &str| raw.get(k).cloned().unwrap_or_default();
    let mut f = Map::new();
    let mut put = |k: &str, v: Value| {
        f.insert(format!("ansible_{k}"), v);
    };
    let hostname = get("hostname");
    put("hostname", hostname.split('.').next().unwrap_or("").into());
    put("nodename", hostname.clone().into());
    put("fqdn", get("fqdn").into());
    put("system", get("system").into());
    put("kernel", get("kernel").into());
    put("kernel_version", get("kernel_version").into());
    put("machine", get("machine").into());
    put("architecture", get("machine").into());
    put("user_id", get("user_id").into());
    put("user_dir", get("user_dir").into());
    put("user_shell", get("user_shell").into());
    for k in ["user_uid", "user_gid", "nproc"] {
        let name = if k == "nproc" { "processor_vcpus" } else { k };
        put(
            name,
            get(k)
                .parse::<i64>()
                .map(Value::from)
                .unwrap_or(Value::Null),
        );
    }
    if let Ok(kb) = get("memtotal_kb").parse::<i64>() {
        put("memtotal_mb", (kb / 1024).into());
    }
    if let Some(id) = raw.get("machine_id") {
        put("machine_id", id.clone().into());
    }
    let os_id = get("os_ID");
    let (distribution, family) = distribution(&os_id, &get("os_NAME"));
    let version = match (os_id.as_str(), raw.get("debian_version")) {
        ("debian", Some(v)) if v.chars().next().is_some_and(|c| c.is_ascii_digit()) => v.clone(),
        _ => get("os_VERSION_ID"),
    };
    put("distribution", distribution.into());
    put("os_family", family.into());
    put(
        "distribution_major_version",
        version.split('.').next().unwrap_or("").to_string().into(),
    );
    put("distribution_version", version.into());
    put("distribution_release", get("os_VERSION_CODENAME").into());
    let pkg = match get("pkg").as_str() {
        "apt-get" => "apt".to_string(),
        "" => "unknown".to_string(),
        other => other.to_string(),
    };
    put("pkg_mgr", pkg.into());
    let pid1 = get("pid1");
    let service_mgr = match pid1.as_str() {
        "systemd" => "systemd",
        "" => "unknown",
        "init" => "sysvinit",
        other => other,
    };
    put("service_mgr", service_mgr.to_string().into());
    f
}

/// ansible-core's distribution name and OS family for an os-release ID.
fn distribution(id: &str, name: &str) -> (String, String) {
    let (d, fam) = match id {
        "debian" => ("Debian", "Debian"),
        "ubuntu" => ("Ubuntu", "Debian"),
        "linuxmint" => ("Linux Mint", "Debian"),
        "rhel" => ("RedHat", "RedHat"),
        "centos" => ("CentOS", "RedHat"),
        "fedora" => ("Fedora", "RedHat"),
        "rocky" => ("Rocky", "RedHat"),
        "almalinux" => ("AlmaLinux", "RedHat"),
        "amzn" => ("Amazon", "RedHat"),
        "ol" => ("OracleLinux", "RedHat"),
        "alpine" => ("Alpine", "Alpine"),
        "arch" => ("Archlinux", "Archlinux"),
        "opensuse-leap" | "opensuse-tumbleweed" | "sles" => ("openSUSE Leap", "Suse"),
        _ => {
            return (
                if name.is_empty() {
                    "NA".into()
                } else {
                    name.into()
                },
                "NA".into(),
            )
        }
    };
    (d.into(), fam.into())
}
