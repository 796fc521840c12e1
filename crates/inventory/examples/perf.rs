//! Load-time check: 10,000 hosts in 200 groups, with a group_vars file per group
//! and a host_vars file per host; prints how long loading and resolving every
//! host's variables take. Run with `cargo run --release --example perf`.

use std::fmt::Write as _;
use std::time::Instant;

use drover_inventory::Inventory;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let root = dir.path();
    std::fs::create_dir_all(root.join("group_vars"))?;
    std::fs::create_dir_all(root.join("host_vars"))?;
    let mut ini = String::new();
    for g in 0..200 {
        writeln!(ini, "[g{g}]")?;
        for h in 0..50 {
            writeln!(ini, "host{}.example.com idx={h}", g * 50 + h)?;
        }
        writeln!(ini, "[g{g}:vars]\ngroup_index={g}\nshared=g{g}")?;
        std::fs::write(
            root.join(format!("group_vars/g{g}.yml")),
            format!("gv_{g}: {g}\nshared_file: g{g}\nnested:\n  a: [1, 2, 3]\n  b: {{c: d}}\n"),
        )?;
    }
    for p in 0..20 {
        writeln!(ini, "[parent{p}:children]")?;
        for g in (p * 10)..(p * 10 + 10) {
            writeln!(ini, "g{g}")?;
        }
        writeln!(ini, "[parent{p}:vars]\nshared=parent{p}")?;
    }
    for h in 0..10_000 {
        std::fs::write(
            root.join(format!("host_vars/host{h}.example.com.yml")),
            format!(
                "ansible_host: 10.{}.{}.{}\nhost_index: {h}\n",
                h / 65536,
                (h / 256) % 256,
                h % 256
            ),
        )?;
    }
    std::fs::write(root.join("group_vars/all.yml"), "env: perf\nntp: [a, b]\n")?;
    let hosts = root.join("hosts");
    std::fs::write(&hosts, ini)?;

    let start = Instant::now();
    let inv = Inventory::load(&[hosts.to_string_lossy().into_owned()])?;
    let loaded = start.elapsed();
    let mut total = 0usize;
    for host in inv.hosts() {
        total += inv.host_vars(host).len();
    }
    let resolved = start.elapsed() - loaded;
    let selected = Instant::now();
    let sel = inv.select("g1*:&parent1:!host55*")?;
    println!(
        "hosts={} vars={} load={:?} resolve_all={:?} total={:?} select({} hosts)={:?}",
        inv.hosts().count(),
        total,
        loaded,
        resolved,
        start.elapsed(),
        sel.hosts.len(),
        selected.elapsed()
    );
    Ok(())
}
