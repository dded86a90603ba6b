//! Which address a request comes from, for limits per IP address: the TCP peer by default, or,
//! behind a reverse proxy named in `server.client_ip_header`, the last address in that header —
//! the one the proxy itself appended; earlier ones are whatever the client claimed.

use axum::http::HeaderMap;
use axum::http::header::{HeaderName, InvalidHeaderName};
use std::net::{IpAddr, SocketAddr};

/// Where the client's address is read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ClientIp {
    /// The TCP peer: right when browsers connect directly.
    #[default]
    Peer,
    /// The last address in this header, set by a trusted reverse proxy; the peer when the
    /// header is missing or holds no address.
    Header(HeaderName),
}

impl ClientIp {
    /// From the `server.client_ip_header` setting.
    pub fn from_setting(header: Option<&str>) -> Result<Self, InvalidHeaderName> {
        match header {
            None => Ok(Self::Peer),
            Some(name) => HeaderName::try_from(name.trim()).map(Self::Header),
        }
    }

    /// The client address of a request from `peer` with `headers`.
    pub fn of(&self, peer: SocketAddr, headers: &HeaderMap) -> IpAddr {
        let Self::Header(name) = self else {
            return peer.ip();
        };
        headers
            .get_all(name)
            .iter()
            .next_back()
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.rsplit(',').next())
            .and_then(|last| last.trim().parse().ok())
            .unwrap_or_else(|| peer.ip())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(lines: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in lines {
            headers.append(*name, value.parse().unwrap());
        }
        headers
    }

    #[test]
    fn the_peer_unless_a_proxy_header_is_trusted() {
        let peer: SocketAddr = "10.0.0.1:4000".parse().unwrap();
        let forwarded = headers(&[("x-forwarded-for", "1.1.1.1, 203.0.113.5")]);
        assert_eq!(ClientIp::Peer.of(peer, &forwarded), peer.ip());
        let proxied = ClientIp::from_setting(Some("X-Forwarded-For")).unwrap();
        assert_eq!(
            proxied.of(peer, &forwarded),
            "203.0.113.5".parse::<IpAddr>().unwrap(),
            "the address the proxy appended, not the one the client claimed"
        );
        let two_lines = headers(&[
            ("x-forwarded-for", "1.1.1.1"),
            ("x-forwarded-for", "2001:db8::7"),
        ]);
        assert_eq!(
            proxied.of(peer, &two_lines),
            "2001:db8::7".parse::<IpAddr>().unwrap()
        );
        assert_eq!(proxied.of(peer, &HeaderMap::new()), peer.ip());
        let garbage = headers(&[("x-forwarded-for", "unknown")]);
        assert_eq!(proxied.of(peer, &garbage), peer.ip());
        assert!(ClientIp::from_setting(Some("bad header")).is_err());
    }
}
