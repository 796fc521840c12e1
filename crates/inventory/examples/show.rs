//! Prints what drover makes of an inventory: `cargo run --example show -- -i SRC [--list|--graph|--host H|--select P]`.

use drover_inventory::{dump_ansible_json, Inventory};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut sources = Vec::new();
    let mut i = 0;
    while i + 1 < args.len() && args[i] == "-i" {
        sources.push(args[i + 1].clone());
        i += 2;
    }
    let inv = match Inventory::load(&sources) {
        Ok(inv) => inv,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    for w in inv.warnings() {
        eprintln!("[WARNING]: {w}");
    }
    match args.get(i).map(String::as_str) {
        Some("--graph") => match inv.graph(args.get(i + 1).map(String::as_str)) {
            Ok(text) => println!("{text}"),
            Err(e) => eprintln!("error: {e}"),
        },
        Some("--host") => match inv.host_json(args.get(i + 1).map_or("", String::as_str)) {
            Some(v) => println!("{}", dump_ansible_json(&v)),
            None => eprintln!("error: You must pass a single valid host to --host parameter"),
        },
        Some("--select") => match inv.select(args.get(i + 1).map_or("all", String::as_str)) {
            Ok(sel) => println!("{sel:?}"),
            Err(e) => eprintln!("error: {e}"),
        },
        _ => println!("{}", dump_ansible_json(&inv.to_list_json())),
    }
}
