//! Network facts (interfaces from /sys/class/net, addresses from `ip -o addr`, the
//! default routes from `ip route get`, as ansible-core's LinuxNetwork) and
//! virtualization facts (a subset of LinuxVirtual's clues: cgroups, container markers,
//! DMI names, the kvm module).

use std::collections::{BTreeSet, HashMap};
use std::net::Ipv4Addr;

use serde_json::{json, Map, Value};

fn iface_type(code: &str) -> &'static str {
    match code.trim() {
        "1" => "ether",
        "32" => "infiniband",
        "512" => "ppp",
        "772" => "loopback",
        "65534" => "tunnel",
        _ => "unknown",
    }
}

fn mask(prefix: u32) -> Ipv4Addr {
    let bits = if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix.min(32))
    };
    Ipv4Addr::from(bits)
}

pub fn facts(ifaces: &str, addrs: &str, route4: &str, route6: &str) -> Vec<(String, Value)> {
    let mut ifs: Map<String, Value> = Map::new();
    let mut order = Vec::new();
    for l in ifaces.lines() {
        let f: Vec<&str> = l.split('|').collect();
        if f.len() < 10 {
            continue;
        }
        let name = f[0].to_string();
        let mut d = Map::new();
        d.insert("device".into(), json!(name));
        if !f[1].is_empty() && f[1] != "00:00:00:00:00:00" {
            d.insert("macaddress".into(), json!(f[1]));
        }
        if let Ok(m) = f[2].parse::<i64>() {
            d.insert("mtu".into(), json!(m));
        }
        if !f[3].is_empty() {
            d.insert("active".into(), json!(f[3] != "down"));
        }
        if !f[9].is_empty() {
            d.insert("module".into(), json!(f[9]));
        }
        if !f[4].is_empty() {
            d.insert("type".into(), json!(iface_type(f[4])));
        }
        if f[5] == "bridge" {
            d.insert("type".into(), json!("bridge"));
        }
        if !f[6].is_empty() {
            d.insert("pciid".into(), json!(f[6]));
        }
        if let Ok(s) = f[7].trim().parse::<i64>() {
            d.insert("speed".into(), json!(s));
        }
        if let Ok(flags) = i64::from_str_radix(f[8].trim().trim_start_matches("0x"), 16) {
            d.insert("promisc".into(), json!(flags & 0x100 != 0));
        }
        order.push(name.clone());
        ifs.insert(name, Value::Object(d));
    }
    let mut all4 = Vec::new();
    let mut all6 = Vec::new();
    for l in addrs.lines() {
        // "2: eth0    inet 192.0.2.2/24 brd 192.0.2.255 scope global eth0\       valid_lft ..."
        let w: Vec<&str> = l.split_whitespace().collect();
        if w.len() < 4 {
            continue;
        }
        let dev = w[1].split('@').next().unwrap_or(w[1]).to_string();
        let Some(Value::Object(d)) = ifs.get_mut(&dev) else {
            continue;
        };
        let (addr, prefix) = w[3].split_once('/').unwrap_or((w[3], "32"));
        let after = |key: &str| {
            w.iter()
                .position(|x| *x == key)
                .and_then(|i| w.get(i + 1))
                .map(|s| s.to_string())
        };
        if w[2] == "inet" {
            let p: u32 = prefix.parse().unwrap_or(32);
            let netmask = mask(p);
            let network = addr
                .parse::<Ipv4Addr>()
                .map(|a| Ipv4Addr::from(u32::from(a) & u32::from(netmask)).to_string())
                .unwrap_or_default();
            let entry = json!({
                "address": addr,
                "broadcast": after("brd").unwrap_or_default(),
                "netmask": netmask.to_string(),
                "network": network,
                "prefix": prefix,
            });
            if !d.contains_key("ipv4") {
                d.insert("ipv4".into(), entry);
            } else if let Some(a) = d
                .entry("ipv4_secondaries")
                .or_insert_with(|| json!([]))
                .as_array_mut()
            {
                a.push(entry);
            }
            if !addr.starts_with("127.") {
                all4.push(json!(addr));
            }
        } else if w[2] == "inet6" {
            let scope = after("scope").unwrap_or_default();
            if let Some(a) = d.entry("ipv6").or_insert_with(|| json!([])).as_array_mut() {
                a.push(json!({"address": addr, "prefix": prefix, "scope": scope}));
            }
            if addr != "::1" {
                all6.push(json!(addr));
            }
        }
    }
    let route = |out: &str, target: &str| -> Map<String, Value> {
        let mut m = Map::new();
        let w: Vec<&str> = out
            .lines()
            .next()
            .unwrap_or("")
            .split_whitespace()
            .collect();
        if w.first() != Some(&target) {
            return m;
        }
        for i in 0..w.len().saturating_sub(1) {
            match w[i] {
                "dev" => {
                    m.insert("interface".into(), json!(w[i + 1]));
                }
                "src" => {
                    m.insert("address".into(), json!(w[i + 1]));
                }
                "via" if w[i + 1] != target => {
                    m.insert("gateway".into(), json!(w[i + 1]));
                }
                _ => {}
            }
        }
        m
    };
    let complete = |mut m: Map<String, Value>, v6: bool| -> Value {
        let Some(dev) = m
            .get("interface")
            .and_then(Value::as_str)
            .map(str::to_string)
        else {
            return Value::Object(m);
        };
        let Some(Value::Object(d)) = ifs.get(&dev) else {
            return Value::Object(m);
        };
        for k in ["macaddress", "mtu", "type"] {
            if let Some(v) = d.get(k) {
                m.insert(k.into(), v.clone());
            }
        }
        if v6 {
            let addr = m.get("address").cloned();
            if let Some(Value::Array(list)) = d.get("ipv6") {
                if let Some(e) = list.iter().find(|e| Some(&e["address"]) == addr.as_ref()) {
                    if let Some(o) = e.as_object() {
                        for (k, v) in o {
                            m.entry(k.clone()).or_insert(v.clone());
                        }
                    }
                }
            }
        } else {
            m.insert("alias".into(), json!(dev));
            if let Some(Value::Object(v4)) = d.get("ipv4") {
                for (k, v) in v4 {
                    m.entry(k.clone()).or_insert(v.clone());
                }
            }
        }
        Value::Object(m)
    };
    let d4 = complete(route(route4, "8.8.8.8"), false);
    let d6 = complete(route(route6, "2404:6800:400a:800::1012"), true);
    let mut out = vec![
        ("default_ipv4".to_string(), d4),
        ("default_ipv6".to_string(), d6),
        ("all_ipv4_addresses".to_string(), Value::Array(all4)),
        ("all_ipv6_addresses".to_string(), Value::Array(all6)),
        ("interfaces".to_string(), json!(order)),
    ];
    for (name, d) in ifs {
        // Ansible's fact names replace '-' and ':' in device names with '_'.
        out.push((name.replace(['-', ':'], "_"), d));
    }
    out
}

pub fn virtualization(clues: &str, dmi: &HashMap<String, String>) -> Vec<(String, Value)> {
    let mut guest: BTreeSet<String> = BTreeSet::new();
    let mut host: BTreeSet<String> = BTreeSet::new();
    let mut vtype: Option<String> = None;
    let mut role: Option<String> = None;
    let found = |t: &str, r: &str, vtype: &mut Option<String>, role: &mut Option<String>| {
        if vtype.is_none() {
            *vtype = Some(t.to_string());
            *role = Some(r.to_string());
        }
    };
    let lines: Vec<&str> = clues.lines().collect();
    let has = |s: &str| lines.contains(&s);
    for l in &lines {
        if let Some(cg) = l.strip_prefix("cgroup:") {
            if cg.contains("/docker/") || (cg.contains("/docker-") && cg.contains(".scope")) {
                guest.insert("docker".into());
                found("docker", "guest", &mut vtype, &mut role);
            }
            if cg.contains("/lxc/") || cg.contains("/machine.slice/machine-lxc") {
                guest.insert("lxc".into());
                found("lxc", "guest", &mut vtype, &mut role);
            }
            if cg.contains("/system.slice/containerd.service") {
                guest.insert("containerd".into());
                found("containerd", "guest", &mut vtype, &mut role);
            }
        }
        if let Some(c) = l.strip_prefix("container=") {
            if c == "lxc" || c == "podman" {
                guest.insert(c.into());
                found(c, "guest", &mut vtype, &mut role);
            }
            if !c.is_empty() {
                guest.insert("container".into());
                found("container", "guest", &mut vtype, &mut role);
            }
        }
    }
    if has("vz_dir") {
        if has("vz_bc") {
            host.insert("openvz".into());
        } else {
            guest.insert("openvz".into());
        }
        found(
            "openvz",
            if has("vz_bc") { "host" } else { "guest" },
            &mut vtype,
            &mut role,
        );
    }
    if has("dockerenv") {
        guest.insert("docker".into());
        found("docker", "guest", &mut vtype, &mut role);
    }
    if ["docker", "lxc", "podman", "openvz", "containerd"]
        .iter()
        .any(|t| guest.contains(*t))
    {
        guest.insert("container".into());
    }
    if has("xen_dir") {
        if has("xen_dom0") {
            host.insert("xen".into());
            found("xen", "host", &mut vtype, &mut role);
        } else {
            found("xen", "guest", &mut vtype, &mut role);
        }
    }
    let pn = dmi.get("product_name").map(String::as_str).unwrap_or("");
    let sv = dmi.get("sys_vendor").map(String::as_str).unwrap_or("");
    let bv = dmi.get("bios_vendor").map(String::as_str).unwrap_or("");
    let dmi_guest = if matches!(pn, "KVM" | "KVM Server" | "Bochs" | "AHV")
        || matches!(bv, "Amazon EC2" | "DigitalOcean" | "Hetzner" | "Linode")
        || matches!(
            sv,
            "QEMU" | "Amazon EC2" | "DigitalOcean" | "Google" | "Scaleway" | "Nutanix"
        ) {
        Some("kvm")
    } else if pn.starts_with("VMware") {
        Some("VMware")
    } else if pn == "VirtualBox" {
        Some("virtualbox")
    } else if sv == "Microsoft Corporation" && pn == "Virtual Machine" {
        Some("VirtualPC")
    } else if pn.starts_with("HVM domU") {
        Some("xen")
    } else {
        None
    };
    if let Some(t) = dmi_guest {
        guest.insert(t.to_string());
        if vtype.is_none() {
            vtype = Some(t.into());
            role = Some("guest".into());
        }
    }
    if has("kvm_module") {
        host.insert("kvm".into());
        if vtype.is_none() {
            vtype = Some("kvm".into());
            role = Some("host".into());
        }
    }
    if has("dev_kvm") {
        host.insert("kvm".into());
        if vtype.is_none() {
            vtype = Some("kvm".into());
            role = Some("host".into());
        }
    }
    // Ansible sets role=guest early when nothing was found before the DMI checks.
    let role = role.unwrap_or_else(|| if vtype.is_some() { "guest" } else { "NA" }.into());
    vec![
        (
            "virtualization_type".into(),
            json!(vtype.unwrap_or_else(|| "NA".into())),
        ),
        ("virtualization_role".into(), json!(role)),
        ("virtualization_tech_guest".into(), json!(guest)),
        ("virtualization_tech_host".into(), json!(host)),
    ]
}
