//! Who sent a request, as events name it: a hash of the API key, else of a
//! header the policy names, else of the source IP (`docs/events.md`). The
//! raw key never leaves the filter. Also the hash of the scanned texts.

use std::fmt::Write;

use sha2::{Digest, Sha256};

/// What the request tells about its sender, as Envoy gave it.
#[derive(Debug, Default, Clone, Copy)]
pub struct Hints<'a> {
    pub authorization: Option<&'a [u8]>,
    pub api_key: Option<&'a [u8]>,
    /// The value of the policy's `client_id_header`.
    pub named_header: Option<&'a [u8]>,
    /// Envoy's `source.address` property: `ip:port` or `[ipv6]:port`.
    pub source_address: Option<&'a [u8]>,
}

impl Hints<'_> {
    fn key(&self) -> Option<&[u8]> {
        self.authorization
            .and_then(bearer_token)
            .or_else(|| self.api_key.map(<[u8]>::trim_ascii))
            .filter(|key| !key.is_empty())
    }

    fn header(&self) -> Option<&[u8]> {
        self.named_header
            .map(<[u8]>::trim_ascii)
            .filter(|v| !v.is_empty())
    }

    /// Whether a key or the named header identifies the client, so that
    /// the source address is not needed.
    pub fn identified(&self) -> bool {
        self.key().is_some() || self.header().is_some()
    }
}

/// 32 lowercase hex chars: the first 16 bytes of SHA-256 of `key:<token>`,
/// `header:<value>` or `addr:<ip>`, the first that is present and non-empty.
pub fn client_id(hints: &Hints<'_>) -> String {
    let (kind, value): (&[u8], &[u8]) = match (hints.key(), hints.header()) {
        (Some(key), _) => (b"key:", key),
        (None, Some(value)) => (b"header:", value),
        (None, None) => (b"addr:", hints.source_address.map_or(&[], strip_port)),
    };
    let digest = Sha256::new()
        .chain_update(kind)
        .chain_update(value)
        .finalize();
    hex(digest.get(..16).unwrap_or_default())
}

/// 16 lowercase hex chars naming a route (authority and path, as events
/// carry them): rate limits count per client and route.
pub fn route_id(authority: &str, path: &str) -> String {
    let digest = Sha256::new()
        .chain_update(b"route:")
        .chain_update(authority.as_bytes())
        .chain_update(b"\n")
        .chain_update(path.as_bytes())
        .finalize();
    hex(digest.get(..8).unwrap_or_default())
}

/// SHA-256 over the texts, each followed by one 0x00 byte, so that `["ab"]`
/// and `["a", "b"]` differ.
pub fn text_sha256<T: AsRef<str>>(texts: &[T]) -> String {
    let mut hasher = Sha256::new();
    for text in texts {
        hasher.update(text.as_ref().as_bytes());
        hasher.update([0u8]);
    }
    hex(&hasher.finalize())
}

/// The token of `Bearer <token>`; the scheme is case-insensitive.
fn bearer_token(authorization: &[u8]) -> Option<&[u8]> {
    let value = authorization.trim_ascii();
    let (scheme, token) = value.split_at_checked(b"bearer".len())?;
    if !scheme.eq_ignore_ascii_case(b"bearer") || !token.first()?.is_ascii_whitespace() {
        return None;
    }
    Some(token.trim_ascii())
}

/// The IP of `ip:port`, `[ipv6]:port` or a bare address.
fn strip_port(address: &[u8]) -> &[u8] {
    if let Some(rest) = address.strip_prefix(b"[") {
        return match rest.iter().position(|&b| b == b']') {
            Some(end) => &rest[..end],
            None => address,
        };
    }
    let colons = address.iter().filter(|&&b| b == b':').count();
    match address.iter().rposition(|&b| b == b':') {
        // More than one colon without brackets: an IPv6 address, no port.
        Some(at) if colons == 1 => &address[..at],
        _ => address,
    }
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        // Writing to a String cannot fail.
        let _ = write!(out, "{b:02x}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sha_prefix(input: &str) -> String {
        hex(&Sha256::digest(input.as_bytes())[..16])
    }

    fn id(hints: Hints<'_>) -> String {
        client_id(&hints)
    }

    #[test]
    fn bearer_key_comes_first() {
        let want = sha_prefix("key:sk-test-123");
        assert_eq!(want.len(), 32);
        for auth in [
            "Bearer sk-test-123",
            "bearer sk-test-123",
            "BEARER   sk-test-123  ",
        ] {
            let hints = Hints {
                authorization: Some(auth.as_bytes()),
                api_key: Some(b"other"),
                named_header: Some(b"tenant"),
                source_address: Some(b"10.0.0.1:5000"),
            };
            assert_eq!(id(hints), want, "{auth:?}");
        }
    }

    #[test]
    fn api_key_header_when_no_bearer() {
        let want = sha_prefix("key:sk-ant-1");
        for auth in [
            None,
            Some(&b"Basic dXNlcjpwdw=="[..]),
            Some(b"Bearer "),
            Some(b"Bearerx"),
        ] {
            let hints = Hints {
                authorization: auth,
                api_key: Some(b" sk-ant-1 "),
                ..Hints::default()
            };
            assert_eq!(id(hints), want, "{auth:?}");
        }
    }

    #[test]
    fn named_header_then_address() {
        let hints = Hints {
            api_key: Some(b""),
            named_header: Some(b"team-a"),
            source_address: Some(b"10.0.0.1:5000"),
            ..Hints::default()
        };
        assert_eq!(id(hints), sha_prefix("header:team-a"));
        let hints = Hints {
            named_header: Some(b"  "),
            ..hints
        };
        assert_eq!(id(hints), sha_prefix("addr:10.0.0.1"));
    }

    #[test]
    fn address_without_port() {
        for (address, ip) in [
            ("10.1.2.3:443", "10.1.2.3"),
            ("[::1]:8080", "::1"),
            ("[fe80::1%eth0]:1", "fe80::1%eth0"),
            ("fe80::1", "fe80::1"),
            ("10.1.2.3", "10.1.2.3"),
            ("[broken", "[broken"),
            ("", ""),
        ] {
            let hints = Hints {
                source_address: Some(address.as_bytes()),
                ..Hints::default()
            };
            assert_eq!(id(hints), sha_prefix(&format!("addr:{ip}")), "{address}");
        }
        assert_eq!(id(Hints::default()), sha_prefix("addr:"));
    }

    #[test]
    fn text_hash_separates_texts() {
        let empty: [&str; 0] = [];
        assert_eq!(
            text_sha256(&empty),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            text_sha256(&["ab"]),
            hex(&Sha256::digest(b"ab\0")),
            "one text"
        );
        assert_eq!(text_sha256(&["a", "b"]), hex(&Sha256::digest(b"a\0b\0")));
        assert_ne!(text_sha256(&["ab"]), text_sha256(&["a", "b"]));
        assert_eq!(text_sha256(&["x"]).len(), 64);
    }

    #[test]
    fn the_address_is_needed_only_without_key_or_header() {
        let key = Hints {
            api_key: Some(b"k"),
            ..Hints::default()
        };
        let header = Hints {
            named_header: Some(b"team-a"),
            ..Hints::default()
        };
        let blank = Hints {
            authorization: Some(b"Bearer  "),
            named_header: Some(b" "),
            ..Hints::default()
        };
        assert!(key.identified() && header.identified());
        assert!(!blank.identified());
        assert!(!Hints::default().identified());
    }
}
