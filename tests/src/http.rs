//! Blocking HTTP helpers used while starting components and in the tests.

use std::time::{Duration, Instant};

use anyhow::{bail, Result};

pub fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(10))
        .no_proxy()
        .build()
        .expect("a plain HTTP client always builds")
}

/// Waits until `GET url` answers 200, or fails after `timeout` with the last
/// answer seen, so a component that never gets ready says why.
pub fn wait_ok(url: &str, timeout: Duration) -> Result<()> {
    let client = client();
    let deadline = Instant::now() + timeout;
    let mut last = String::from("no answer");
    while Instant::now() < deadline {
        match client.get(url).timeout(Duration::from_secs(2)).send() {
            Ok(r) if r.status().is_success() => return Ok(()),
            Ok(r) => last = format!("status {}", r.status()),
            Err(e) => last = e.to_string(),
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    bail!("{url} not ready after {timeout:?}: {last}")
}
