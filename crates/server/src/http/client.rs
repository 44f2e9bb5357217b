//! Which client a request comes from, for lockout and send limits.
//! Forwarded headers are believed only from a trusted proxy; IPv6 clients
//! count per /64, the block one subscriber usually holds.

use axum::http::{header, HeaderMap};
use ipnet::IpNet;
use std::net::{IpAddr, Ipv6Addr};

/// The proxies whose `X-Forwarded-For` / `Forwarded` are believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    pub fn parse(cidrs: &[String]) -> Result<Self, String> {
        cidrs
            .iter()
            .map(|c| {
                c.parse::<IpNet>()
                    .or_else(|_| c.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| {
                        format!("--trusted-proxy {c} is not an address or CIDR like 10.0.0.0/8")
                    })
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client behind `peer`: walking the forwarded chain from the
    /// nearest hop, the first address that is not a trusted proxy.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = canonical(peer);
        if !self.trusts(client) {
            return client;
        }
        for hop in forwarded_chain(headers).into_iter().rev() {
            client = canonical(hop);
            if !self.trusts(client) {
                break;
            }
        }
        client
    }
}

/// IPv4-mapped IPv6 addresses are the IPv4 client they map.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// Hops in the order the headers list them (client first). `Forwarded`
/// (RFC 7239) wins when present, as the standard form.
fn forwarded_chain(headers: &HeaderMap) -> Vec<IpAddr> {
    let forwarded: Vec<IpAddr> = super::header_items(headers, header::FORWARDED, ',')
        .filter_map(|element| {
            element.split(';').find_map(|pair| {
                let (k, v) = pair.trim().split_once('=')?;
                if !k.trim().eq_ignore_ascii_case("for") {
                    return None;
                }
                parse_node(v.trim().trim_matches('"'))
            })
        })
        .collect();
    if !forwarded.is_empty() {
        return forwarded;
    }
    super::header_items(
        headers,
        header::HeaderName::from_static("x-forwarded-for"),
        ',',
    )
    .filter_map(parse_node)
    .collect()
}

/// `192.0.2.1`, `192.0.2.1:4711`, `[2001:db8::1]:4711` or `2001:db8::1`.
fn parse_node(node: &str) -> Option<IpAddr> {
    if let Ok(ip) = node.parse() {
        return Some(ip);
    }
    if let Some(rest) = node.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    node.rsplit_once(':')?.0.parse().ok()
}

/// The key lockout and send limits count a client by.
pub fn client_key(ip: IpAddr) -> String {
    match canonical(ip) {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{}/64", Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn forwarded_headers_from_an_untrusted_peer_change_nothing() {
        let none = TrustedProxies::default();
        let h = headers(&[("x-forwarded-for", "198.51.100.7")]);
        assert_eq!(
            none.client("203.0.113.9".parse().unwrap(), &h),
            "203.0.113.9".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn a_trusted_proxy_names_the_client_and_spoofed_hops_before_it_are_ignored() {
        let proxies = TrustedProxies::parse(&["10.0.0.0/8".into()]).unwrap();
        // The client put 1.1.1.1 in itself; the proxy appended the real client.
        let h = headers(&[("x-forwarded-for", "1.1.1.1, 198.51.100.7, 10.0.0.2")]);
        assert_eq!(
            proxies.client("10.0.0.1".parse().unwrap(), &h),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
        let h = headers(&[("forwarded", "for=\"[2001:db8::7]:4711\";proto=https")]);
        assert_eq!(
            proxies.client("10.0.0.1".parse().unwrap(), &h),
            "2001:db8::7".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn ipv6_clients_count_per_64_and_mapped_ipv4_as_ipv4() {
        assert_eq!(
            client_key("2001:db8:1:2:aaaa::1".parse().unwrap()),
            "2001:db8:1:2::/64"
        );
        assert_eq!(
            client_key("2001:db8:1:2:bbbb::9".parse().unwrap()),
            "2001:db8:1:2::/64"
        );
        assert_eq!(client_key("::ffff:192.0.2.1".parse().unwrap()), "192.0.2.1");
    }

    #[test]
    fn a_bad_cidr_is_refused_with_its_text() {
        let err = TrustedProxies::parse(&["10.0.0.0/33".into()]).unwrap_err();
        assert!(err.contains("10.0.0.0/33"));
    }
}
