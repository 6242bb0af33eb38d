//! Who is on the other end of a request: the peer's address or, only when the peer is a trusted
//! reverse proxy, the address that proxy forwarded in `X-Forwarded-For`. Logins, anonymous
//! drafts and join codes are all limited per this one address (computed by the auth layer).

use axum::http::HeaderMap;
use ipnet::IpNet;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};

/// An IPv4 client reaching an IPv6 socket appears as `::ffff:a.b.c.d`: the same client.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// One hop of `X-Forwarded-For`: an address, perhaps with a port or in brackets.
fn hop(s: &str) -> Option<IpAddr> {
    let s = s.trim();
    s.parse::<IpAddr>()
        .or_else(|_| s.parse::<SocketAddr>().map(|a| a.ip()))
        .or_else(|_| s.trim_matches(['[', ']']).parse::<IpAddr>())
        .ok()
        .map(canonical)
}

/// The client's address. `X-Forwarded-For` is read only when `peer` is in `trusted`, from the
/// right (the hop the proxy itself added) leftwards past further trusted proxies: the first
/// address that is not a trusted proxy is the client. Anything left of it was written by the
/// client and is ignored, as is a hop that is not an address.
pub fn client(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = canonical(peer?);
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    let mut client = peer;
    for h in hops.iter().rev() {
        let Some(ip) = hop(h) else { break };
        client = ip;
        if !is_trusted(&ip) {
            break;
        }
    }
    Some(client)
}

/// The key a client is limited by: its address, or for IPv6 its /64 network, since one
/// subscriber is usually given a whole /64 and could otherwise rotate through it.
pub fn limit_key(ip: Option<IpAddr>) -> IpAddr {
    match ip {
        Some(IpAddr::V6(v6)) => {
            let s = v6.segments();
            IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        Some(v4) => v4,
        None => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn xff(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn forwarded_addresses_are_believed_only_from_trusted_proxies() {
        let proxies = crate::config::parse_proxies("127.0.0.1,10.0.0.0/8").unwrap();
        let h = xff(&["198.51.100.9, 203.0.113.7"]);
        // A client claiming to be someone else gets its own address.
        assert_eq!(
            client(Some(ip("192.0.2.1")), &h, &proxies),
            Some(ip("192.0.2.1"))
        );
        assert_eq!(
            client(Some(ip("127.0.0.1")), &h, &[]),
            Some(ip("127.0.0.1"))
        );
        // Through the proxy: the hop it added, not what the client wrote before it.
        assert_eq!(
            client(Some(ip("127.0.0.1")), &h, &proxies),
            Some(ip("203.0.113.7"))
        );
        // Through two proxies, across repeated headers.
        let h = xff(&["198.51.100.9", "203.0.113.7, 10.1.2.3"]);
        assert_eq!(
            client(Some(ip("127.0.0.1")), &h, &proxies),
            Some(ip("203.0.113.7"))
        );
        // Ports, brackets, mapped IPv4; garbage stops the walk at the last trusted hop.
        let h = xff(&["[2001:db8::1]:443"]);
        assert_eq!(
            client(Some(ip("::ffff:127.0.0.1")), &h, &proxies),
            Some(ip("2001:db8::1"))
        );
        let h = xff(&["203.0.113.7, unknown"]);
        assert_eq!(
            client(Some(ip("127.0.0.1")), &h, &proxies),
            Some(ip("127.0.0.1"))
        );
        assert_eq!(
            client(Some(ip("127.0.0.1")), &HeaderMap::new(), &proxies),
            Some(ip("127.0.0.1"))
        );
        assert_eq!(client(None, &h, &proxies), None);
    }

    #[test]
    fn ipv6_clients_are_limited_by_their_network() {
        assert_eq!(
            limit_key(Some(ip("2001:db8:1:2:aaaa::1"))),
            limit_key(Some(ip("2001:db8:1:2:bbbb::9")))
        );
        assert_ne!(
            limit_key(Some(ip("2001:db8:1:2::1"))),
            limit_key(Some(ip("2001:db8:1:3::1")))
        );
        assert_eq!(limit_key(Some(ip("192.0.2.1"))), ip("192.0.2.1"));
    }
}
