//! The `setup` probe script and the facts built from its sections. Each section is the
//! raw text a POSIX tool or a /proc, /sys, /etc file gave; the parsing follows
//! ansible-core's fact collectors (module_utils/facts) for Linux.

use std::collections::{BTreeSet, HashMap};

use serde_json::{json, Map, Value};

/// The probe: sections `@@name` for the collectors that are on.
pub fn probe_script(on: &BTreeSet<&str>, fact_path: &str) -> String {
    let mut s = String::from("exec 2>/dev/null\nsec() { printf '\\n@@%s\\n' \"$1\"; }\n");
    let has = |c: &str| on.contains(c);
    s.push_str(
        "sec uname; uname -s; uname -r; uname -v; uname -m; uname -n\n\
         sec hostname; h=$(hostname || uname -n); echo \"$h\"\n\
         sec fqdn; ip=$(getent ahosts \"$h\" | awk '{print $1; exit}'); [ -n \"$ip\" ] && getent hosts \"$ip\" | head -n 1\n\
         sec os_release; cat /etc/os-release || cat /usr/lib/os-release\n\
         sec debian_version; cat /etc/debian_version\n\
         sec redhat_release; cat /etc/redhat-release\n\
         sec alpine_release; cat /etc/alpine-release\n\
         sec machine_id; cat /etc/machine-id || cat /var/lib/dbus/machine-id\n\
         sec bits; getconf LONG_BIT\n",
    );
    if has("lsb") {
        s.push_str("sec lsb_release; command -v lsb_release >/dev/null && lsb_release -a\nsec lsb_file; cat /etc/lsb-release\n");
    }
    if has("user") {
        s.push_str(
            "sec user; id -un; id -u; id -g; id -ru; id -rg; getent passwd \"$(id -un)\" || grep \"^$(id -un):\" /etc/passwd\n",
        );
    }
    if has("env") {
        s.push_str("sec env; env\n");
    }
    if has("date_time") {
        s.push_str(
            "sec date_time; date '+%Y-%m-%d|%d|%s|%H|%M|%m|%S|%Z|%z|%A|%w|%W|%Y|%H:%M:%S|%Y%m%dT%H%M%S|%N'; \
             date -u '+%Y-%m-%dT%H:%M:%SZ|%Y-%m-%dT%H:%M:%S.%NZ'; TZ=UTC0 date '+%Z'\n",
        );
    }
    if has("memory") {
        s.push_str("sec meminfo; cat /proc/meminfo\n");
    }
    if has("processor") {
        s.push_str(
            "sec cpuinfo; cat /proc/cpuinfo\nsec nproc; nproc || getconf _NPROCESSORS_ONLN\n",
        );
    }
    if has("hardware") {
        s.push_str("sec uptime; cat /proc/uptime\n");
    }
    if has("loadavg") {
        s.push_str("sec loadavg; cat /proc/loadavg\n");
    }
    if has("cmdline") {
        s.push_str("sec cmdline; cat /proc/cmdline\n");
    }
    if has("dns") {
        s.push_str("sec resolv; cat /etc/resolv.conf\n");
    }
    if has("fips") {
        s.push_str("sec fips; cat /proc/sys/crypto/fips_enabled\n");
    }
    if has("service_mgr") {
        s.push_str(
            "sec pid1; cat /proc/1/comm || ps -p 1 -o comm= \n\
             sec init_link; [ -L /sbin/init ] && readlink /sbin/init\n\
             sec svc_paths; for p in /run/systemd/system /dev/.run/systemd /dev/.systemd /etc/init /sbin/openrc /etc/init.d /etc/dinit.d; do [ -e \"$p\" ] && echo \"$p\"; done; command -v initctl >/dev/null && echo initctl\n",
        );
    }
    if has("pkg_mgr") {
        s.push_str("sec pkg_paths; for p in /usr/bin/rpm-ostree /usr/bin/yum /usr/bin/dnf-3 /usr/bin/dnf5 /usr/bin/apt-get /usr/bin/zypper /usr/sbin/urpmi /usr/bin/pacman /bin/opkg /sbin/apk /usr/bin/emerge /usr/bin/xbps-install /usr/bin/swupd /usr/bin/rpm /usr/bin/dnf; do [ -e \"$p\" ] && echo \"$p\"; done\n");
    }
    if has("python") {
        s.push_str("sec python; for p in /usr/bin/python3 /usr/libexec/platform-python /usr/bin/python; do if [ -x \"$p\" ]; then echo \"$p\"; \"$p\" -c 'import sys; v=sys.version_info; print(\"%d %d %d %s %d\" % tuple(v)); import platform; print(platform.python_implementation().lower())\ntry:\n import ssl; print(hasattr(ssl, \"SSLContext\"))\nexcept Exception: print(False)'; break; fi; done\n");
    }
    if has("selinux") {
        // Ansible's selinux bindings load libselinux.so.1 with ctypes.
        s.push_str("sec libselinux; for d in /lib /lib64 /usr/lib /usr/lib64 /lib/*-linux-gnu /usr/lib/*-linux-gnu; do [ -e \"$d/libselinux.so.1\" ] && echo yes && break; done\n");
        s.push_str("sec selinux; if [ -d /sys/fs/selinux ] && [ -r /sys/fs/selinux/enforce ]; then cat /sys/fs/selinux/enforce; fi\n");
    }
    if has("apparmor") {
        s.push_str("sec apparmor; [ -e /sys/kernel/security/apparmor ] && echo enabled\n");
    }
    if has("ssh_pub_keys") {
        s.push_str("sec ssh_keys; for a in dsa rsa ecdsa ed25519; do for d in /etc/ssh /etc/openssh /etc; do f=$d/ssh_host_${a}_key.pub; if [ -r \"$f\" ]; then printf '%s ' \"$a\"; cat \"$f\"; break; fi; done; done\n");
    }
    if has("chroot") {
        // As Ansible: compare / with pid 1's root; without access to it (not root), a
        // root inode other than the filesystem's usual one means a chroot.
        s.push_str("sec chroot; echo \"env:${debian_chroot:-}\"; stat -c '%d %i' /; stat -c '%d %i' /proc/1/root/. || echo denied; stat -f -c %T /\n");
    }
    if has("mounts") {
        s.push_str(
            "sec mounts; while read -r dev mnt fs opts dump pass; do case \"$dev\" in /*) ;; *) continue;; esac; \
             printf '%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\t%s\\n' \"$dev\" \"$mnt\" \"$fs\" \"$opts\" \"$dump\" \"$pass\" \"$(stat -f -c '%S %b %a %f %c %d' \"$mnt\")\" \
             \"$(for u in /dev/disk/by-uuid/*; do [ \"$(readlink -f \"$u\")\" = \"$(readlink -f \"$dev\")\" ] && basename \"$u\" && break; done)\"; done < /proc/mounts\n",
        );
    }
    if has("dmi") || has("virtual") {
        s.push_str("sec dmi; for f in bios_date bios_vendor bios_version board_asset_tag board_name board_serial board_vendor board_version chassis_asset_tag chassis_serial chassis_vendor chassis_version chassis_type product_name product_serial product_uuid product_version sys_vendor; do printf '%s=%s\\n' \"$f\" \"$(cat /sys/devices/virtual/dmi/id/$f)\"; done\n");
    }
    if has("virtual") {
        s.push_str(
            "sec virt; [ -e /.dockerenv ] && echo dockerenv; [ -e /.dockerinit ] && echo dockerenv; \
             [ -e /run/.containerenv ] && echo podman; [ -e /proc/vz ] && echo vz_dir; [ -e /proc/bc ] && echo vz_bc; \
             [ -e /proc/xen ] && echo xen_dir; [ -e /proc/xen/capabilities ] && grep -q control_d /proc/xen/capabilities && echo xen_dom0; \
             grep -q '^flags.*hypervisor' /proc/cpuinfo && echo hypervisor_flag; \
             [ -e /dev/kvm ] && echo dev_kvm; grep -q '^kvm ' /proc/modules && echo kvm_module; \
             [ -r /run/systemd/container ] && sed 's/^/container=/' /run/systemd/container; [ -r /proc/1/environ ] && tr '\\0' '\\n' < /proc/1/environ | grep '^container=' ; \
             sed -n 's/^/cgroup:/p' /proc/1/cgroup; \
             [ -r /proc/self/status ] && grep -E '^(VxID|s_context)' /proc/self/status | sed 's/^/status:/'\n",
        );
    }
    if has("interfaces") {
        s.push_str(
            "sec ifaces; for n in $(ls -f /sys/class/net); do case $n in .|..) continue;; esac; p=/sys/class/net/$n; [ -d \"$p\" ] || continue; \
             printf '%s|%s|%s|%s|%s|%s|%s|%s|%s|%s\\n' \"$n\" \"$(cat $p/address)\" \"$(cat $p/mtu)\" \"$(cat $p/operstate)\" \"$(cat $p/type)\" \
             \"$([ -d $p/bridge ] && echo bridge)\" \"$([ -e $p/device ] && basename \"$(readlink $p/device)\")\" \"$(cat $p/speed)\" \"$(cat $p/flags)\" \
             \"$([ -e $p/device/driver/module ] && basename \"$(readlink -f $p/device/driver/module)\")\"; done\n\
             sec addrs; ip -o addr show\n\
             sec route4; ip -4 route get 8.8.8.8\n\
             sec route6; ip -6 route get 2404:6800:400a:800::1012\n",
        );
    }
    // Last: its text is the files' own, which may hold anything (see `LOCAL_MARK`).
    if has("local") {
        s.push_str("sec local\n");
        s.push_str(&crate::setup_local::probe(fact_path));
    }
    s.push_str("true\n");
    s
}

/// Where the local facts section starts in the probe's output: everything after it is
/// that section's, so a fact file's content cannot end it.
pub const LOCAL_MARK: &[u8] = b"\n@@local\n";

pub fn sections(text: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for part in text.split("\n@@").skip(1) {
        let (name, body) = part.split_once('\n').unwrap_or((part, ""));
        out.insert(name.to_string(), body.trim_end_matches('\n').to_string());
    }
    out
}

fn kv_lines(s: &str, sep: char) -> HashMap<String, String> {
    s.lines()
        .filter_map(|l| l.split_once(sep))
        .map(|(k, v)| {
            (
                k.trim().to_string(),
                v.trim().trim_matches('"').trim_matches('\'').to_string(),
            )
        })
        .collect()
}

/// All facts for the sections, `ansible_` prefixed.
pub fn build(sec: &HashMap<String, String>, on: &BTreeSet<&str>) -> Map<String, Value> {
    let get = |k: &str| sec.get(k).map(String::as_str).unwrap_or("");
    let has = |c: &str| on.contains(c);
    let mut f = Map::new();
    let mut put = |k: &str, v: Value| {
        f.insert(format!("ansible_{k}"), v);
    };

    // platform
    let uname: Vec<&str> = get("uname").lines().collect();
    let u = |i: usize| uname.get(i).copied().unwrap_or("").to_string();
    let nodename = get("hostname").trim().to_string();
    let nodename = if nodename.is_empty() { u(4) } else { nodename };
    put("system", json!(u(0)));
    put("kernel", json!(u(1)));
    put("kernel_version", json!(u(2)));
    put("machine", json!(u(3)));
    put("architecture", json!(u(3)));
    put("nodename", json!(nodename));
    put("hostname", json!(nodename.split('.').next().unwrap_or("")));
    let fqdn = fqdn(get("fqdn"), &nodename);
    put(
        "domain",
        json!(fqdn.split_once('.').map(|x| x.1).unwrap_or("")),
    );
    put("fqdn", json!(fqdn));
    let bits = get("bits").trim().to_string();
    put("userspace_bits", json!(bits));
    put(
        "userspace_architecture",
        json!(if u(3) == "x86_64" && bits == "32" {
            "i386".to_string()
        } else {
            u(3)
        }),
    );
    if let Some(id) = sec
        .get("machine_id")
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
    {
        put("machine_id", json!(id));
    }

    // distribution
    let osr = kv_lines(get("os_release"), '=');
    for (k, v) in crate::setup_distro::facts(&osr, sec) {
        put(&k, v);
    }

    if has("lsb") {
        put("lsb", lsb(get("lsb_release"), get("lsb_file")));
    }
    if has("user") {
        let l: Vec<&str> = get("user").lines().collect();
        let pw: Vec<&str> = l.get(5).map(|p| p.split(':').collect()).unwrap_or_default();
        let num = |i: usize| l.get(i).and_then(|s| s.trim().parse::<i64>().ok());
        put("user_id", json!(l.first().copied().unwrap_or("")));
        put("user_uid", json!(num(1)));
        put("user_gid", json!(num(2)));
        put("user_gecos", json!(pw.get(4).copied().unwrap_or("")));
        put("user_dir", json!(pw.get(5).copied().unwrap_or("")));
        put("user_shell", json!(pw.get(6).copied().unwrap_or("")));
        put("real_user_id", json!(num(3)));
        put("effective_user_id", json!(num(1)));
        put("real_group_id", json!(num(4)));
        put("effective_group_id", json!(num(2)));
    }
    if has("env") {
        let mut env = Map::new();
        for l in get("env").lines() {
            if let Some((k, v)) = l.split_once('=') {
                if !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    env.insert(k.to_string(), json!(v));
                }
            }
        }
        put("env", Value::Object(env));
    }
    if has("date_time") {
        put("date_time", date_time(get("date_time")));
    }
    if has("memory") {
        let mem = kv_lines(get("meminfo"), ':');
        let kb = |k: &str| {
            mem.get(k)
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse::<i64>().ok())
                .unwrap_or(0)
                / 1024
        };
        let (total, free, buffers, cached) =
            (kb("MemTotal"), kb("MemFree"), kb("Buffers"), kb("Cached"));
        let (stotal, sfree, scached) = (kb("SwapTotal"), kb("SwapFree"), kb("SwapCached"));
        put("memtotal_mb", json!(total));
        put("memfree_mb", json!(free));
        put("swaptotal_mb", json!(stotal));
        put("swapfree_mb", json!(sfree));
        put(
            "memory_mb",
            json!({
                "nocache": {"free": free + buffers + cached, "used": total - free - buffers - cached},
                "real": {"free": free, "total": total, "used": total - free},
                "swap": {"cached": scached, "free": sfree, "total": stotal, "used": stotal - sfree},
            }),
        );
    }
    if has("processor") {
        for (k, v) in processor(get("cpuinfo"), get("nproc")) {
            put(&k, v);
        }
    }
    if has("hardware") {
        if let Some(up) = get("uptime")
            .split_whitespace()
            .next()
            .and_then(|s| s.parse::<f64>().ok())
        {
            put("uptime_seconds", json!(up as i64));
        }
    }
    if has("loadavg") {
        let l: Vec<f64> = get("loadavg")
            .split_whitespace()
            .take(3)
            .filter_map(|s| s.parse().ok())
            .collect();
        if l.len() == 3 {
            put("loadavg", json!({"1m": l[0], "5m": l[1], "15m": l[2]}));
        }
    }
    if has("cmdline") {
        let (cmdline, proc_cmdline) = cmdline(get("cmdline"));
        put("cmdline", cmdline);
        put("proc_cmdline", proc_cmdline);
    }
    if has("dns") {
        put("dns", dns(get("resolv")));
    }
    if has("fips") {
        put("fips", json!(get("fips").trim() == "1"));
    }
    if has("service_mgr") {
        put(
            "service_mgr",
            json!(service_mgr(get("pid1"), get("init_link"), get("svc_paths"))),
        );
    }
    if has("pkg_mgr") {
        put("pkg_mgr", json!(pkg_mgr(get("pkg_paths"))));
    }
    if has("python") {
        let l: Vec<&str> = get("python").lines().collect();
        if l.len() >= 4 {
            let v: Vec<&str> = l[1].split_whitespace().collect();
            let n = |i: usize| v.get(i).and_then(|s| s.parse::<i64>().ok()).unwrap_or(0);
            let rl = v.get(3).copied().unwrap_or("final");
            put(
                "python",
                json!({
                    "executable": l[0],
                    "has_sslcontext": l[3] == "True",
                    "type": l[2],
                    "version": {"major": n(0), "micro": n(2), "minor": n(1), "releaselevel": rl, "serial": n(4)},
                    "version_info": [n(0), n(1), n(2), rl, n(4)],
                }),
            );
            put(
                "python_version",
                json!(format!("{}.{}.{}", n(0), n(1), n(2))),
            );
        }
    }
    if has("selinux") {
        let st = match get("selinux").trim() {
            "" => json!({"status": "disabled"}),
            "1" => json!({"status": "enabled", "mode": "enforcing"}),
            _ => json!({"status": "enabled", "mode": "permissive"}),
        };
        put("selinux", st);
        // Whether Ansible's selinux bindings could load (drover does not need them).
        put(
            "selinux_python_present",
            json!(get("libselinux").trim() == "yes"),
        );
    }
    if has("apparmor") {
        let st = if get("apparmor").trim() == "enabled" {
            "enabled"
        } else {
            "disabled"
        };
        put("apparmor", json!({"status": st}));
    }
    if has("ssh_pub_keys") {
        for l in get("ssh_keys").lines() {
            let w: Vec<&str> = l.split_whitespace().collect();
            if w.len() >= 3 {
                put(&format!("ssh_host_key_{}_public", w[0]), json!(w[2]));
                put(
                    &format!("ssh_host_key_{}_public_keytype", w[0]),
                    json!(w[1]),
                );
            }
        }
    }
    if has("chroot") {
        let l: Vec<&str> = get("chroot").lines().collect();
        if l.len() == 4 {
            let chroot = if l[0] != "env:" {
                true
            } else if l[2] != "denied" {
                l[1] != l[2]
            } else {
                let root_ino = match l[3] {
                    t if t.contains("btrfs") => "256",
                    t if t.contains("xfs") => "128",
                    _ => "2",
                };
                l[1].split_whitespace().nth(1) != Some(root_ino)
            };
            put("is_chroot", json!(chroot));
        }
    }
    if has("mounts") {
        put("mounts", mounts(get("mounts")));
    }
    let dmi = kv_lines(get("dmi"), '=');
    if has("dmi") {
        let d = |k: &str| {
            json!(dmi
                .get(k)
                .filter(|v| !v.is_empty())
                .cloned()
                .unwrap_or_else(|| "NA".into()))
        };
        for k in [
            "bios_date",
            "bios_vendor",
            "bios_version",
            "board_asset_tag",
            "board_name",
            "board_serial",
            "board_vendor",
            "board_version",
            "chassis_asset_tag",
            "chassis_serial",
            "chassis_vendor",
            "chassis_version",
            "product_name",
            "product_serial",
            "product_uuid",
            "product_version",
        ] {
            put(k, d(k));
        }
        put("system_vendor", d("sys_vendor"));
        put(
            "form_factor",
            json!(form_factor(dmi.get("chassis_type").map(String::as_str))),
        );
    }
    if has("virtual") {
        for (k, v) in crate::setup_network::virtualization(get("virt"), &dmi) {
            put(&k, v);
        }
    }
    if has("interfaces") {
        for (k, v) in
            crate::setup_network::facts(get("ifaces"), get("addrs"), get("route4"), get("route6"))
        {
            put(&k, v);
        }
    }
    f
}

/// `socket.getfqdn()`: the first name with a dot among the reverse lookup's names.
fn fqdn(hosts_line: &str, nodename: &str) -> String {
    let names: Vec<&str> = hosts_line.split_whitespace().skip(1).collect();
    match names.iter().find(|n| n.contains('.')) {
        Some(n) => n.to_string(),
        None => names
            .first()
            .map(|s| s.to_string())
            .unwrap_or_else(|| nodename.to_string()),
    }
}

fn lsb(cmd: &str, file: &str) -> Value {
    let mut m = Map::new();
    if !cmd.trim().is_empty() {
        for (k, v) in kv_lines(cmd, ':') {
            let key = match k.as_str() {
                "LSB Version" => "release_lsb",
                "Distributor ID" => "id",
                "Description" => "description",
                "Release" => "release",
                "Codename" => "codename",
                _ => continue,
            };
            m.insert(key.into(), json!(v));
        }
    } else {
        for (k, v) in kv_lines(file, '=') {
            let key = match k.as_str() {
                "DISTRIB_ID" => "id",
                "DISTRIB_RELEASE" => "release",
                "DISTRIB_DESCRIPTION" => "description",
                "DISTRIB_CODENAME" => "codename",
                _ => continue,
            };
            m.insert(key.into(), json!(v));
        }
    }
    if let Some(r) = m.get("release").and_then(Value::as_str) {
        let major = r.split('.').next().unwrap_or("").to_string();
        m.insert("major_release".into(), json!(major));
    }
    Value::Object(m)
}

fn date_time(s: &str) -> Value {
    let l: Vec<&str> = s.lines().collect();
    let f: Vec<&str> = l.first().copied().unwrap_or("").split('|').collect();
    let u: Vec<&str> = l.get(1).copied().unwrap_or("").split('|').collect();
    let g = |v: &Vec<&str>, i: usize| v.get(i).copied().unwrap_or("").to_string();
    let nanos = g(&f, 15);
    let micro = if nanos.len() >= 6 && nanos.chars().all(|c| c.is_ascii_digit()) {
        nanos[..6].to_string()
    } else {
        "000000".into()
    };
    let umicro = {
        let m = g(&u, 1);
        // %N unsupported leaves a literal N: fall back to whole seconds.
        if m.contains(".NZ") {
            m.replace(".NZ", ".000000Z")
        } else {
            match m.split_once('.') {
                Some((a, b)) if b.len() >= 7 => format!("{a}.{}Z", &b[..6]),
                _ => m,
            }
        }
    };
    let tz = g(&f, 7);
    json!({
        "date": g(&f, 0),
        "day": g(&f, 1),
        "epoch": g(&f, 2),
        "epoch_int": g(&f, 2),
        "hour": g(&f, 3),
        "iso8601": g(&u, 0),
        "iso8601_basic": format!("{}{}", g(&f, 14), micro),
        "iso8601_basic_short": g(&f, 14),
        "iso8601_micro": umicro,
        "minute": g(&f, 4),
        "month": g(&f, 5),
        "second": g(&f, 6),
        "time": g(&f, 13),
        "tz": tz,
        "tz_dst": tz,
        "tz_offset": g(&f, 8),
        "weekday": g(&f, 9),
        "weekday_number": g(&f, 10),
        "weeknumber": g(&f, 11),
        "year": g(&f, 12),
    })
}

fn processor(cpuinfo: &str, nproc: &str) -> Vec<(String, Value)> {
    let mut list = Vec::new();
    let mut sockets = BTreeSet::new();
    let mut cores_per_socket: HashMap<String, i64> = HashMap::new();
    let mut siblings: HashMap<String, i64> = HashMap::new();
    let mut physid = String::from("0");
    let mut count = 0;
    let mut flags = Vec::new();
    for l in cpuinfo.lines() {
        let Some((k, v)) = l.split_once(':') else {
            continue;
        };
        let (k, v) = (k.trim(), v.trim());
        match k {
            "processor" => {
                list.push(json!(v));
                count += 1;
            }
            "vendor_id" | "model name" | "cpu model" | "Processor" => list.push(json!(v)),
            "physical id" => {
                physid = v.to_string();
                sockets.insert(v.to_string());
            }
            "cpu cores" => {
                cores_per_socket.insert(physid.clone(), v.parse().unwrap_or(1));
            }
            "siblings" => {
                siblings.insert(physid.clone(), v.parse().unwrap_or(1));
            }
            "flags" if flags.is_empty() => {
                flags = v.split_whitespace().map(|s| json!(s)).collect();
            }
            _ => {}
        }
    }
    let sockets_n = sockets.len().max(1) as i64;
    let cores = cores_per_socket.values().next().copied().unwrap_or(1);
    let sib = siblings.values().next().copied().unwrap_or(cores);
    let threads = if cores > 0 { (sib / cores).max(1) } else { 1 };
    let nproc: i64 = nproc.trim().parse().unwrap_or(count);
    let mut v = vec![
        ("processor".into(), Value::Array(list)),
        ("processor_count".into(), json!(sockets_n)),
        ("processor_cores".into(), json!(cores)),
        ("processor_threads_per_core".into(), json!(threads)),
        ("processor_vcpus".into(), json!(threads * cores * sockets_n)),
        ("processor_nproc".into(), json!(nproc)),
    ];
    if !flags.is_empty() {
        v.push(("flags".into(), Value::Array(flags)));
    }
    v
}

/// `cmdline` (last value wins) and `proc_cmdline` (repeated keys become lists).
fn cmdline(s: &str) -> (Value, Value) {
    let mut a = Map::new();
    let mut b = Map::new();
    for w in s.split_whitespace() {
        let (k, v) = match w.split_once('=') {
            Some((k, v)) => (k, json!(v)),
            None => (w, json!(true)),
        };
        a.insert(k.to_string(), v.clone());
        match b.get_mut(k) {
            Some(Value::Array(list)) => list.push(v),
            Some(old) => {
                let prev = old.take();
                *old = json!([prev, v]);
            }
            None => {
                b.insert(k.to_string(), v);
            }
        }
    }
    (Value::Object(a), Value::Object(b))
}

fn dns(s: &str) -> Value {
    let mut m = Map::new();
    for l in s.lines() {
        let l = l.trim();
        if l.starts_with('#') || l.starts_with(';') {
            continue;
        }
        let w: Vec<&str> = l.split_whitespace().collect();
        let Some(&k) = w.first() else { continue };
        let rest: Vec<Value> = w[1..].iter().map(|s| json!(s)).collect();
        match k {
            "nameserver" => {
                if let Some(a) = m
                    .entry("nameservers")
                    .or_insert_with(|| json!([]))
                    .as_array_mut()
                {
                    a.extend(rest.into_iter().take(1));
                }
            }
            "domain" => {
                if let Some(d) = rest.into_iter().next() {
                    m.insert("domain".into(), d);
                }
            }
            "search" => {
                m.insert("search".into(), Value::Array(rest));
            }
            "sortlist" => {
                m.insert("sortlist".into(), Value::Array(rest));
            }
            "options" => {
                let mut o = Map::new();
                for opt in &w[1..] {
                    match opt.split_once(':') {
                        Some((k, v)) => o.insert(k.into(), json!(v)),
                        None => o.insert(opt.to_string(), json!(true)),
                    };
                }
                m.insert("options".into(), Value::Object(o));
            }
            _ => {}
        }
    }
    Value::Object(m)
}

fn service_mgr(pid1: &str, init_link: &str, paths: &str) -> String {
    let mut p1 = pid1.lines().last().unwrap_or("").trim().to_string();
    if p1 == "COMMAND" {
        p1.clear();
    }
    if p1.is_empty() && !init_link.trim().is_empty() {
        p1 = init_link.trim().to_string();
    }
    let p1 = p1.rsplit('/').next().unwrap_or("").to_string();
    if !p1.is_empty() && p1 != "init" && !p1.ends_with("sh") {
        return match p1.as_str() {
            "procd" => "openwrt_init",
            "runit-init" => "runit",
            "svscan" => "svc",
            "openrc-init" => "openrc",
            other => other,
        }
        .to_string();
    }
    let has = |p: &str| paths.lines().any(|l| l.trim() == p);
    if has("/run/systemd/system") || has("/dev/.run/systemd") || has("/dev/.systemd") {
        "systemd"
    } else if has("initctl") && has("/etc/init") {
        "upstart"
    } else if has("/sbin/openrc") {
        "openrc"
    } else if init_link.trim().ends_with("systemd") {
        "systemd"
    } else if has("/etc/init.d") {
        "sysvinit"
    } else if has("/etc/dinit.d") {
        "dinit"
    } else {
        "service"
    }
    .to_string()
}

fn pkg_mgr(paths: &str) -> String {
    let has = |p: &str| paths.lines().any(|l| l.trim() == p);
    let table = [
        ("/usr/bin/rpm-ostree", "atomic_container"),
        ("/usr/bin/yum", "dnf"),
        ("/usr/bin/dnf-3", "dnf"),
        ("/usr/bin/dnf5", "dnf5"),
        ("/usr/bin/apt-get", "apt"),
        ("/usr/bin/zypper", "zypper"),
        ("/usr/sbin/urpmi", "urpmi"),
        ("/usr/bin/pacman", "pacman"),
        ("/bin/opkg", "opkg"),
        ("/sbin/apk", "apk"),
        ("/usr/bin/emerge", "portage"),
        ("/usr/bin/xbps-install", "xbps"),
        ("/usr/bin/swupd", "swupd"),
    ];
    let mut name = "unknown";
    for (p, n) in table {
        if has(p) {
            name = n;
        }
    }
    // Ansible: apt-get with rpm installed is apt_rpm only on ALT-like systems; on Debian
    // (rpm often installed as a tool) it stays apt.
    name.to_string()
}

fn mounts(s: &str) -> Value {
    let mut out = Vec::new();
    for l in s.lines() {
        let f: Vec<&str> = l.split('\t').collect();
        if f.len() < 7 {
            continue;
        }
        let st: Vec<i64> = f[6]
            .split_whitespace()
            .filter_map(|x| x.parse().ok())
            .collect();
        let unesc = |s: &str| s.replace("\\040", " ").replace("\\011", "\t");
        let mut m = json!({
            "device": unesc(f[0]),
            "mount": unesc(f[1]),
            "fstype": f[2],
            "options": f[3],
            "dump": f[4].parse::<i64>().unwrap_or(0),
            "passno": f[5].parse::<i64>().unwrap_or(0),
            "uuid": f.get(7).filter(|u| !u.is_empty()).copied().unwrap_or("N/A"),
        });
        if st.len() == 6 {
            let (bs, total, avail, _free, itotal, ifree) =
                (st[0], st[1], st[2], st[3], st[4], st[5]);
            let o = m.as_object_mut().expect("object");
            o.insert("block_size".into(), json!(bs));
            o.insert("block_total".into(), json!(total));
            o.insert("block_available".into(), json!(avail));
            o.insert("block_used".into(), json!(total - st[3]));
            o.insert("inode_total".into(), json!(itotal));
            o.insert("inode_available".into(), json!(ifree));
            o.insert("inode_used".into(), json!(itotal - ifree));
            o.insert("size_total".into(), json!(total * bs));
            o.insert("size_available".into(), json!(avail * bs));
        }
        out.push(m);
    }
    Value::Array(out)
}

fn form_factor(chassis: Option<&str>) -> &'static str {
    const TYPES: &[&str] = &[
        "Unknown",
        "Other",
        "Unknown",
        "Desktop",
        "Low Profile Desktop",
        "Pizza Box",
        "Mini Tower",
        "Tower",
        "Portable",
        "Laptop",
        "Notebook",
        "Hand Held",
        "Docking Station",
        "All In One",
        "Sub Notebook",
        "Space-saving",
        "Lunch Box",
        "Main Server Chassis",
        "Expansion Chassis",
        "Sub Chassis",
        "Bus Expansion Chassis",
        "Peripheral Chassis",
        "RAID Chassis",
        "Rack Mount Chassis",
        "Sealed-case PC",
        "Multi-system",
        "CompactPCI",
        "AdvancedTCA",
        "Blade",
        "Blade Enclosure",
        "Tablet",
        "Convertible",
        "Detachable",
        "IoT Gateway",
        "Embedded PC",
        "Mini PC",
        "Stick PC",
    ];
    match chassis.and_then(|c| c.trim().parse::<usize>().ok()) {
        Some(i) => TYPES.get(i).copied().unwrap_or("unknown"),
        None => "NA",
    }
}
