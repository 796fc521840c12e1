//! Ports for services a test starts later (an example deployment's HTTP services).
//!
//! A port from `bind(127.0.0.1:0)` is in the kernel's ephemeral range: between the
//! moment the test picks it and the moment its service listens, any outgoing
//! connection of a test running in parallel (ssh, HTTP) may take it as its local port,
//! and the service then cannot start. Ports below that range are never handed out so.

use std::net::TcpListener;

/// `n` distinct loopback ports below the ephemeral range, each free when chosen.
pub fn service_ports(n: usize) -> Vec<u16> {
    const START: u16 = 10_000;
    let low = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u16>().ok())
        .unwrap_or(32_768);
    if low < START + 1_000 {
        return ephemeral_ports(n);
    }
    let span = u64::from(low - START);
    // A different sequence in each test process: parallel tests rarely meet.
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
        ^ (u64::from(std::process::id()) << 20);
    let mut ports = Vec::with_capacity(n);
    let mut held = Vec::with_capacity(n);
    for _ in 0..100 * n.max(1) {
        if ports.len() == n {
            break;
        }
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let port = START + ((seed >> 33) % span) as u16;
        if ports.contains(&port) {
            continue;
        }
        if let Ok(l) = TcpListener::bind(("127.0.0.1", port)) {
            held.push(l);
            ports.push(port);
        }
    }
    assert_eq!(
        ports.len(),
        n,
        "testsupport: no free service ports below {low}"
    );
    ports
}

/// The fallback where the ephemeral range starts low: ports from the kernel.
fn ephemeral_ports(n: usize) -> Vec<u16> {
    let held: Vec<TcpListener> = (0..n)
        .map(|_| {
            TcpListener::bind("127.0.0.1:0")
                .unwrap_or_else(|e| panic!("testsupport: cannot find a free port: {e}"))
        })
        .collect();
    held.iter()
        .filter_map(|l| l.local_addr().ok())
        .map(|a| a.port())
        .collect()
}
