//! Free loopback ports. A port is picked by trying to bind it, released,
//! and handed to the program about to start. The picks stay below the
//! kernel's ephemeral range (32768–60999 by default), which it hands out
//! to outgoing connections: otherwise a connection opened by any running
//! test process could take the port between the pick and the program's
//! bind. Picks walk the range from a per-process offset, so test
//! processes side by side rarely try the same ports.

use std::net::TcpListener;
use std::ops::Range;
use std::sync::atomic::{AtomicU32, Ordering};

/// Ports for programs that listen on one port.
const GENERAL: Range<u16> = 29_000..32_700;
/// Redis Cluster nodes; each one's bus is `port + 10000`, in 21000..29000.
const REDIS: Range<u16> = 11_000..19_000;
const BUS_OFFSET: u16 = 10_000;

static PICKS: AtomicU32 = AtomicU32::new(0);

/// The next candidate in `range`, starting from a per-process offset.
fn candidate(range: &Range<u16>) -> u16 {
    let len = u32::from(range.end - range.start);
    let n = PICKS.fetch_add(1, Ordering::Relaxed) + std::process::id().wrapping_mul(7919);
    range.start + (n % len) as u16
}

pub fn free_port() -> u16 {
    loop {
        let port = candidate(&GENERAL);
        if try_free(port) {
            return port;
        }
    }
}

/// A Redis Cluster node's port, its bus port (`+ 10000`) free too.
pub fn free_redis_port() -> u16 {
    loop {
        let port = candidate(&REDIS);
        if try_free(port) && try_free(port + BUS_OFFSET) {
            return port;
        }
    }
}

fn try_free(port: u16) -> bool {
    TcpListener::bind(("127.0.0.1", port)).is_ok()
}

/// True when something already listens on `127.0.0.1:port`.
pub fn in_use(port: u16) -> bool {
    TcpListener::bind(("127.0.0.1", port)).is_err()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_stay_out_of_the_ephemeral_range() {
        for _ in 0..50 {
            assert!(GENERAL.contains(&free_port()));
            let redis = free_redis_port();
            assert!(REDIS.contains(&redis));
            assert!(redis + BUS_OFFSET < GENERAL.start);
        }
    }
}
