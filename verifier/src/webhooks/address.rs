//! Which IP addresses a webhook may be delivered to: public unicast only. Everything else the
//! special-purpose address registries list (RFC 6890 and the IANA IPv4/IPv6 Special-Purpose
//! Address Registries that continue it) is refused, unless the operator allow-lists the host.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The non-public range `ip` lies in (a short name for logs and error messages), or `None`
/// when it is a public unicast address.
pub fn non_public_range(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_range(v4),
        IpAddr::V6(v6) => v6_range(v6),
    }
}

fn in_v4(ip: Ipv4Addr, net: [u8; 4], prefix: u32) -> bool {
    let mask = u32::MAX.checked_shl(32 - prefix).unwrap_or(0);
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(net)) & mask
}

fn v4_range(ip: Ipv4Addr) -> Option<&'static str> {
    const RANGES: [([u8; 4], u32, &str); 17] = [
        ([0, 0, 0, 0], 8, "\"this network\" 0.0.0.0/8 (RFC 791)"),
        ([10, 0, 0, 0], 8, "private 10/8 (RFC 1918)"),
        ([100, 64, 0, 0], 10, "shared CGNAT 100.64/10 (RFC 6598)"),
        ([127, 0, 0, 0], 8, "loopback 127/8 (RFC 1122)"),
        ([169, 254, 0, 0], 16, "link-local 169.254/16 (RFC 3927)"),
        ([172, 16, 0, 0], 12, "private 172.16/12 (RFC 1918)"),
        (
            [192, 0, 0, 0],
            24,
            "IETF protocol assignments 192.0.0/24 (RFC 6890)",
        ),
        ([192, 0, 2, 0], 24, "documentation 192.0.2/24 (RFC 5737)"),
        ([192, 31, 196, 0], 24, "AS112 192.31.196/24 (RFC 7535)"),
        ([192, 52, 193, 0], 24, "AMT 192.52.193/24 (RFC 7450)"),
        (
            [192, 88, 99, 0],
            24,
            "6to4 relay anycast 192.88.99/24 (RFC 7526)",
        ),
        ([192, 168, 0, 0], 16, "private 192.168/16 (RFC 1918)"),
        ([198, 18, 0, 0], 15, "benchmarking 198.18/15 (RFC 2544)"),
        (
            [198, 51, 100, 0],
            24,
            "documentation 198.51.100/24 (RFC 5737)",
        ),
        (
            [203, 0, 113, 0],
            24,
            "documentation 203.0.113/24 (RFC 5737)",
        ),
        ([224, 0, 0, 0], 4, "multicast 224/4 (RFC 5771)"),
        // 255.255.255.255 (limited broadcast, RFC 919) is inside 240/4.
        (
            [240, 0, 0, 0],
            4,
            "reserved 240/4 and broadcast (RFC 1112, RFC 919)",
        ),
    ];
    RANGES
        .iter()
        .find(|(net, prefix, _)| in_v4(ip, *net, *prefix))
        .map(|(_, _, name)| *name)
}

fn in_v6(ip: Ipv6Addr, net: [u16; 8], prefix: u32) -> bool {
    let mask = u128::MAX.checked_shl(128 - prefix).unwrap_or(0);
    u128::from(ip) & mask == u128::from(Ipv6Addr::from(net)) & mask
}

fn v6_range(ip: Ipv6Addr) -> Option<&'static str> {
    // IPv4-mapped (RFC 4291 §2.5.5.2) and NAT64 well-known-prefix (RFC 6052 §2.1) addresses
    // reach the embedded IPv4 address: judge that one.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return v4_range(v4).map(|_| "IPv4-mapped IPv6 of a non-public IPv4 address (RFC 4291)");
    }
    if in_v6(ip, [0x64, 0xff9b, 0, 0, 0, 0, 0, 0], 96) {
        let [.., a, b, c, d] = ip.octets();
        return v4_range(Ipv4Addr::new(a, b, c, d))
            .map(|_| "NAT64 of a non-public IPv4 address (RFC 6052)");
    }
    const RANGES: [([u16; 8], u32, &str); 11] = [
        (
            [0, 0, 0, 0, 0, 0, 0, 0],
            127,
            "unspecified or loopback (RFC 4291)",
        ),
        (
            [0, 0, 0, 0, 0, 0, 0, 0],
            96,
            "IPv4-compatible IPv6 (RFC 4291, deprecated)",
        ),
        (
            [0x64, 0xff9b, 1, 0, 0, 0, 0, 0],
            48,
            "local-use NAT64 (RFC 8215)",
        ),
        (
            [0x100, 0, 0, 0, 0, 0, 0, 0],
            64,
            "discard-only 100::/64 (RFC 6666)",
        ),
        (
            [0x2001, 0, 0, 0, 0, 0, 0, 0],
            23,
            "IETF protocol assignments 2001::/23 (RFC 2928)",
        ),
        (
            [0x2001, 0xdb8, 0, 0, 0, 0, 0, 0],
            32,
            "documentation 2001:db8::/32 (RFC 3849)",
        ),
        (
            [0x2002, 0, 0, 0, 0, 0, 0, 0],
            16,
            "6to4 2002::/16 (RFC 3056)",
        ),
        (
            [0x3fff, 0, 0, 0, 0, 0, 0, 0],
            20,
            "documentation 3fff::/20 (RFC 9637)",
        ),
        (
            [0xfc00, 0, 0, 0, 0, 0, 0, 0],
            7,
            "unique local fc00::/7 (RFC 4193)",
        ),
        (
            [0xfe80, 0, 0, 0, 0, 0, 0, 0],
            10,
            "link-local fe80::/10 (RFC 4291)",
        ),
        (
            [0xff00, 0, 0, 0, 0, 0, 0, 0],
            8,
            "multicast ff00::/8 (RFC 4291)",
        ),
    ];
    if let Some((_, _, name)) = RANGES
        .iter()
        .find(|(net, prefix, _)| in_v6(ip, *net, *prefix))
    {
        return Some(name);
    }
    // Global unicast is 2000::/3 (RFC 4291 §2.4, IANA IPv6 Address Space); the rest
    // (site-local fec0::/10, 5f00::/16 SRv6 SIDs, unassigned space) is not a public host.
    if in_v6(ip, [0x2000, 0, 0, 0, 0, 0, 0, 0], 3) {
        None
    } else {
        Some("not global unicast 2000::/3 (RFC 4291)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_addresses_pass() {
        for ip in [
            "93.184.215.14",
            "8.8.8.8",
            "100.63.255.255",
            "100.128.0.0",
            "172.32.0.1",
            "192.0.3.1",
            "2a00:1450:4009:81f::200e",
            "2606:4700::6810:84e5",
            "::ffff:93.184.215.14",
            "64:ff9b::808:808",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert_eq!(non_public_range(ip), None, "{ip}");
        }
    }

    #[test]
    fn special_purpose_addresses_are_refused() {
        for ip in [
            "0.0.0.0",
            "10.1.2.3",
            "100.64.0.1",
            "100.127.255.255",
            "127.0.0.1",
            "127.255.255.254",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "192.168.1.1",
            "198.18.0.1",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "::127.0.0.1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a00:1",
            "64:ff9b:1::1",
            "100::1",
            "2001:db8::1",
            "2001::1",
            "2002:7f00:1::1",
            "3fff::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "febf::1",
            "fec0::1",
            "ff02::1",
            "5f00::1",
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(non_public_range(ip).is_some(), "{ip}");
        }
    }
}
