//! Free loopback ports. The OS picks a port for a socket bound to port 0; we
//! release it and hand the number to the program about to start. Another
//! process could grab it in between; tests start quickly enough that this
//! does not happen in practice, and a clash fails loudly at bind time.

use std::net::TcpListener;

pub fn free_port() -> u16 {
    loop {
        if let Some(port) = try_free(0) {
            return port;
        }
    }
}

/// A port `p` such that `p + offset` is free too (Redis Cluster uses
/// `port + 10000` for its bus).
pub fn free_port_with_partner(offset: u16) -> u16 {
    loop {
        let port = free_port();
        if port <= u16::MAX - offset && try_free(port + offset).is_some() {
            return port;
        }
    }
}

fn try_free(port: u16) -> Option<u16> {
    let listener = TcpListener::bind(("127.0.0.1", port)).ok()?;
    listener.local_addr().ok().map(|a| a.port())
}

/// True when something already listens on `127.0.0.1:port`.
pub fn in_use(port: u16) -> bool {
    TcpListener::bind(("127.0.0.1", port)).is_err()
}
