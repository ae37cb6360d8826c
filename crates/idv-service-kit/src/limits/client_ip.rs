//! The client's address: the socket peer, or — when the peer is one of the operator's trusted
//! reverse proxies — the rightmost address in `X-Forwarded-For` that is not a trusted proxy.
//!
//! `X-Forwarded-For` is a list each proxy appends the address it received the request from to;
//! anything left of the last trusted proxy's entry was written by the client and proves
//! nothing. So the list is read right to left, skipping trusted proxies, and the first other
//! address is the client. A header from a peer that is not a trusted proxy is ignored: the
//! client would pick its own rate limit bucket.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use ipnet::IpNet;

/// `X-Forwarded-For` (the de facto header; RFC 7239's `Forwarded` is not read).
const X_FORWARDED_FOR: &str = "x-forwarded-for";

/// The client's address, as [`TrustedProxies::client_ip`] found it. Put in the request's
/// extensions by [`super::limit_by_client_ip`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl ClientIp {
    /// The rate-limit key: the address, with an IPv6 address cut to its /64 (one subscriber's
    /// network is one client: it holds 2^64 addresses).
    pub fn key(self) -> IpAddr {
        match self.0 {
            IpAddr::V4(v4) => IpAddr::V4(v4),
            IpAddr::V6(v6) => {
                let prefix = u128::from(v6) & !((1_u128 << 64) - 1);
                IpAddr::V6(Ipv6Addr::from(prefix))
            }
        }
    }
}

/// The operator's reverse proxies (`[limits] trusted_proxies`, CIDRs).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// These networks.
    pub fn new(networks: Vec<IpNet>) -> Self {
        Self(networks)
    }

    /// Whether `address` is a trusted proxy.
    pub fn contains(&self, address: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&address))
    }

    /// The client of a request from `peer` with `headers` (see the module doc).
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> ClientIp {
        let peer = canonical(peer);
        if !self.contains(peer) {
            return ClientIp(peer);
        }
        // Every X-Forwarded-For field line, in order, is one list (RFC 9110 §5.3).
        let hops: Vec<&str> = headers
            .get_all(X_FORWARDED_FOR)
            .iter()
            .flat_map(|value| value.to_str().unwrap_or_default().split(','))
            .map(str::trim)
            .collect();
        let mut client = peer;
        for hop in hops.iter().rev() {
            // Unparseable: whoever wrote it is not a proxy of ours; the last trusted hop is
            // the best we know.
            let Some(address) = parse_hop(hop) else {
                break;
            };
            client = address;
            if !self.contains(address) {
                break;
            }
        }
        ClientIp(client)
    }

    /// The client of a request, from its connection info (set by [`crate::http::serve`]) and
    /// headers. Without connection info every request is the unspecified address: one bucket
    /// for all, never none.
    pub fn client_ip_of(&self, parts: &Parts) -> ClientIp {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED), |info| {
                info.0.ip()
            });
        self.client_ip(peer, &parts.headers)
    }
}

/// An IPv4-mapped IPv6 address (a dual-stack listener's view of an IPv4 peer) as IPv4.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        IpAddr::V4(_) => address,
    }
}

/// One `X-Forwarded-For` entry: an address, possibly `[v6]` or with a port.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(address) = hop.parse::<IpAddr>() {
        return Some(canonical(address));
    }
    hop.parse::<SocketAddr>()
        .ok()
        .map(|socket| canonical(socket.ip()))
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn proxies() -> TrustedProxies {
        TrustedProxies::new(vec![
            "10.0.0.0/8".parse().unwrap(),
            "fd00::/8".parse().unwrap(),
        ])
    }

    fn xff(values: &[&'static str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(X_FORWARDED_FOR, HeaderValue::from_static(value));
        }
        headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let client = proxies().client_ip(ip("203.0.113.9"), &xff(&["198.51.100.1"]));
        assert_eq!(client, ClientIp(ip("203.0.113.9")));
        let client = TrustedProxies::default().client_ip(ip("10.0.0.1"), &xff(&["1.2.3.4"]));
        assert_eq!(client, ClientIp(ip("10.0.0.1")), "no proxies trusted");
    }

    #[test]
    fn a_trusted_proxy_gives_the_rightmost_untrusted_address() {
        // The client forged the leftmost entry; the proxies appended the rest.
        let headers = xff(&["6.6.6.6, 198.51.100.7", "10.1.1.1"]);
        let client = proxies().client_ip(ip("10.2.2.2"), &headers);
        assert_eq!(client, ClientIp(ip("198.51.100.7")));
        let headers = xff(&["[2001:db8::1]:4711, fd00::3"]);
        let client = proxies().client_ip(ip("::ffff:10.0.0.1"), &headers);
        assert_eq!(client, ClientIp(ip("2001:db8::1")));
    }

    #[test]
    fn only_trusted_or_garbled_hops_leave_the_last_trusted_one() {
        let client = proxies().client_ip(ip("10.2.2.2"), &xff(&["10.3.3.3"]));
        assert_eq!(client, ClientIp(ip("10.3.3.3")));
        let client = proxies().client_ip(ip("10.2.2.2"), &xff(&["1.1.1.1, unknown"]));
        assert_eq!(client, ClientIp(ip("10.2.2.2")));
        let client = proxies().client_ip(ip("10.2.2.2"), &HeaderMap::new());
        assert_eq!(client, ClientIp(ip("10.2.2.2")));
    }

    #[test]
    fn an_ipv6_client_is_keyed_by_its_64() {
        assert_eq!(
            ClientIp(ip("2001:db8:1:2:aaaa::1")).key(),
            ip("2001:db8:1:2::")
        );
        assert_eq!(ClientIp(ip("192.0.2.1")).key(), ip("192.0.2.1"));
    }
}
