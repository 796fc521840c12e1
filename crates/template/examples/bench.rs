//! Rendering throughput on the hot path: the same short template for many hosts.
//! `cargo run --release -p drover-template --example bench`

use std::time::Instant;

use drover_template::Templar;
use serde_json::json;

fn main() {
    let templar = Templar::new();
    let mut vars = serde_json::Map::new();
    vars.insert("a".into(), json!("alpha"));
    vars.insert("b".into(), json!(42));
    vars.insert("c".into(), json!("{{ a }}-lazy"));
    let n = 100_000;
    for (label, tmpl) in [
        ("{{ a }}-{{ b }}", "{{ a }}-{{ b }}"),
        ("lazy var", "{{ c }}"),
    ] {
        let start = Instant::now();
        for _ in 0..n {
            if let Err(e) = templar.render(tmpl, &vars) {
                eprintln!("render failed: {e}");
                return;
            }
        }
        let elapsed = start.elapsed();
        println!(
            "{label}: {n} renders in {elapsed:?} ({:.2} us each)",
            elapsed.as_secs_f64() * 1e6 / n as f64
        );
    }
    let start = Instant::now();
    for _ in 0..n {
        if let Err(e) = templar.condition("b > 40 and a is defined", &vars) {
            eprintln!("condition failed: {e}");
            return;
        }
    }
    println!("condition: {n} in {:?}", start.elapsed());
}
