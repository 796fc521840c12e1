//! Distribution facts as ansible-core's `distribution` collector reports them for the
//! common Linux families: the name from os-release's ID (capitalised, with Ansible's
//! special names), the version from the distribution's own release file where Ansible
//! reads it (Debian, Alpine, the Red Hat family), and the OS family map.

use std::collections::HashMap;

use serde_json::{json, Value};

/// (distribution, file path, file variety) from the release files present.
fn name_and_file(
    osr: &HashMap<String, String>,
    sec: &HashMap<String, String>,
) -> (String, &'static str, &'static str) {
    let has = |k: &str| sec.get(k).is_some_and(|s| !s.trim().is_empty());
    let id = osr.get("ID").map(String::as_str).unwrap_or("");
    if has("redhat_release") {
        let rr = sec["redhat_release"].as_str();
        let name = if rr.contains("Red Hat") {
            "RedHat"
        } else if rr.contains("CentOS") {
            "CentOS"
        } else if rr.contains("Rocky") {
            "Rocky"
        } else if rr.contains("AlmaLinux") {
            "AlmaLinux"
        } else if rr.contains("Fedora") {
            "Fedora"
        } else if rr.contains("Oracle") {
            "OracleLinux"
        } else {
            ""
        };
        if !name.is_empty() {
            return (name.into(), "/etc/redhat-release", "RedHat");
        }
    }
    if has("alpine_release") {
        return ("Alpine".into(), "/etc/alpine-release", "Alpine");
    }
    let name = match id {
        "debian" => "Debian".to_string(),
        "ubuntu" => "Ubuntu".to_string(),
        "linuxmint" => "Linux Mint".to_string(),
        "amzn" => "Amazon".to_string(),
        "rhel" => "RedHat".to_string(),
        "ol" => "OracleLinux".to_string(),
        "arch" => "Archlinux".to_string(),
        "opensuse-leap" => "openSUSE Leap".to_string(),
        "opensuse-tumbleweed" => "openSUSE Tumbleweed".to_string(),
        "sles" => "SLES".to_string(),
        "" => "OtherLinux".to_string(),
        other => {
            let mut c = other.chars();
            match c.next() {
                Some(f) => f.to_uppercase().collect::<String>() + &c.as_str().to_lowercase(),
                None => String::new(),
            }
        }
    };
    let variety = match name.as_str() {
        "Debian" | "Ubuntu" | "Linux Mint" => "Debian",
        "Amazon" => "Amazon",
        "Archlinux" => "Archlinux",
        "openSUSE Leap" | "openSUSE Tumbleweed" | "SLES" => "SUSE",
        _ => "",
    };
    let path = if variety.is_empty() {
        ""
    } else {
        "/etc/os-release"
    };
    (name, path, variety)
}

fn family(name: &str) -> &'static str {
    match name {
        "RedHat" | "RHEL" | "Fedora" | "CentOS" | "Scientific" | "OracleLinux" | "Amazon"
        | "AlmaLinux" | "Rocky" | "CloudLinux" | "EuroLinux" | "Virtuozzo" => "RedHat",
        "Debian" | "Ubuntu" | "Raspbian" | "Neon" | "Linux Mint" | "Devuan" | "Kali"
        | "Pop!_OS" | "Parrot" | "Deepin" => "Debian",
        "SuSE" | "SLES" | "SLED" | "openSUSE" | "openSUSE Tumbleweed" | "openSUSE Leap" => "Suse",
        "Archlinux" | "Antergos" | "Manjaro" => "Archlinux",
        "Gentoo" | "Funtoo" => "Gentoo",
        "Alpine" => "Alpine",
        "Slackware" => "Slackware",
        "Altlinux" => "Altlinux",
        _ => "",
    }
}

pub fn facts(osr: &HashMap<String, String>, sec: &HashMap<String, String>) -> Vec<(String, Value)> {
    let (name, path, variety) = name_and_file(osr, sec);
    let get = |k: &str| osr.get(k).cloned().unwrap_or_default();
    let file = |k: &str| sec.get(k).map(|s| s.trim().to_string()).unwrap_or_default();
    let version = match name.as_str() {
        "Debian" => {
            let dv = file("debian_version");
            if dv.chars().next().is_some_and(|c| c.is_ascii_digit()) {
                dv
            } else {
                get("VERSION_ID")
            }
        }
        "Alpine" => file("alpine_release"),
        _ => get("VERSION_ID"),
    };
    let release = match name.as_str() {
        "RedHat" | "CentOS" | "Rocky" | "AlmaLinux" | "Fedora" | "OracleLinux" => {
            let rr = file("redhat_release");
            match (rr.find('('), rr.rfind(')')) {
                (Some(a), Some(b)) if a < b => rr[a + 1..b].to_string(),
                _ => get("VERSION_CODENAME"),
            }
        }
        "Alpine" => "NA".to_string(),
        _ => {
            let c = get("VERSION_CODENAME");
            if c.is_empty() {
                "NA".to_string()
            } else {
                c
            }
        }
    };
    let mut parts = version.split('.');
    let major = parts.next().unwrap_or("").to_string();
    let minor = parts.next().map(str::to_string);
    let fam = family(&name);
    let mut v = vec![
        ("distribution".to_string(), json!(name)),
        ("distribution_version".to_string(), json!(version)),
        ("distribution_major_version".to_string(), json!(major)),
        ("distribution_release".to_string(), json!(release)),
        (
            "os_family".to_string(),
            json!(if fam.is_empty() { name.as_str() } else { fam }),
        ),
    ];
    if let Some(m) = minor {
        v.push(("distribution_minor_version".into(), json!(m)));
    }
    if !path.is_empty() {
        v.push(("distribution_file_path".into(), json!(path)));
        v.push(("distribution_file_variety".into(), json!(variety)));
        v.push(("distribution_file_parsed".into(), json!(true)));
    }
    v
}
