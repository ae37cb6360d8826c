//! Where a webhook may go: `https` to a public address, checked on the address actually
//! connected to. IP literals are judged when the check is created and again before every
//! attempt; names are judged after resolution by [`PublicResolver`] (the HTTP client's only
//! resolver), so a name that resolves, or later re-resolves (DNS rebinding), to a loopback,
//! private or other special-purpose address is never connected to. Hosts the operator lists
//! in `[webhooks] allow_hosts` (`host` or `host:port`) are exempt, and may also be reached by
//! plain `http` (a local relay).

use std::collections::BTreeSet;
use std::net::{IpAddr, SocketAddr};

use url::{Host, Url};

use super::address::non_public_range;

/// Longest URL accepted.
const MAX_URL: usize = 2048;

/// Why a webhook URL is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookUrlError {
    /// Longer than 2048 characters.
    #[error("webhook_url: too long")]
    TooLong,
    /// Not an absolute URL with a host.
    #[error("webhook_url: not an absolute URL with a host")]
    NotAbsolute,
    /// Neither `https` nor `http`.
    #[error("webhook_url: must be an https URL")]
    Scheme,
    /// Plain `http` to a host the operator has not allow-listed.
    #[error(
        "webhook_url: plain http only to a host the operator allow-lists ([webhooks] \
         allow_hosts); use https"
    )]
    PlainHttp,
    /// User name, password or fragment present.
    #[error("webhook_url: must not carry credentials or a fragment")]
    CredentialsOrFragment,
    /// An IP literal outside public unicast space.
    #[error(
        "webhook_url: {address} is not a public address ({range}); webhooks go to public \
         hosts only"
    )]
    NonPublicAddress {
        /// The literal.
        address: IpAddr,
        /// The special-purpose range it lies in.
        range: &'static str,
    },
}

/// A checked webhook URL: what the caps and the circuit breaker count by, and which client
/// may reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    /// `host:port` (the port made explicit).
    pub host: String,
    /// The operator allow-lists it: non-public addresses and plain http are permitted.
    pub allow_listed: bool,
}

/// `[webhooks] allow_hosts` (also the form of `[checks] redirect_allow_hosts`): hosts, with or
/// without a port, exempt from the public-address rule.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowHosts {
    entries: Vec<(Host<String>, Option<u16>)>,
}

impl AllowHosts {
    /// Parses `host` or `host:port` entries (`[::1]:8080` for IPv6 with a port).
    pub fn parse(entries: &[String]) -> Result<Self, String> {
        let parsed = entries
            .iter()
            .map(|entry| parse_entry(entry).ok_or_else(|| format!("{entry:?}: not host[:port]")))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { entries: parsed })
    }

    /// Whether `url`'s host and port are listed (an entry without a port allows any port).
    pub fn allows(&self, url: &Url) -> bool {
        let (Some(host), Some(port)) = (url.host(), url.port_or_known_default()) else {
            return false;
        };
        let host = host.to_owned();
        self.entries
            .iter()
            .any(|(h, p)| *h == host && p.is_none_or(|p| p == port))
    }

    /// Whether nothing is listed.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether every entry is a loopback host (`localhost`, 127/8, `::1`).
    pub fn all_loopback(&self) -> bool {
        self.entries.iter().all(|(host, _)| match host {
            Host::Domain(name) => name == "localhost",
            Host::Ipv4(ip) => ip.is_loopback(),
            Host::Ipv6(ip) => ip.is_loopback(),
        })
    }

    /// The names (not IP literals) listed.
    fn names(&self) -> BTreeSet<String> {
        self.entries
            .iter()
            .filter_map(|(host, _)| match host {
                Host::Domain(name) => Some(name.clone()),
                _ => None,
            })
            .collect()
    }
}

fn parse_entry(entry: &str) -> Option<(Host<String>, Option<u16>)> {
    let entry = entry.trim();
    let (host, port) = if entry.starts_with('[') {
        let end = entry.find(']')?;
        let (host, rest) = entry.split_at(end + 1);
        match rest.strip_prefix(':') {
            Some(port) => (host, Some(port.parse().ok()?)),
            None if rest.is_empty() => (host, None),
            None => return None,
        }
    } else if entry.matches(':').count() == 1 {
        let (host, port) = entry.split_once(':')?;
        (host, Some(port.parse().ok()?))
    } else if entry.contains(':') {
        // A bare IPv6 address.
        return entry
            .parse::<std::net::Ipv6Addr>()
            .ok()
            .map(|ip| (Host::Ipv6(ip), None));
    } else {
        (entry, None)
    };
    if host.is_empty() {
        return None;
    }
    Host::parse(host).ok().map(|h| (h, port))
}

/// Checks a webhook URL against the rules above (what can be known without resolving).
pub fn check_webhook_url(value: &str, allow: &AllowHosts) -> Result<Destination, WebhookUrlError> {
    if value.len() > MAX_URL {
        return Err(WebhookUrlError::TooLong);
    }
    let url = Url::parse(value).map_err(|_| WebhookUrlError::NotAbsolute)?;
    let (Some(host), Some(port)) = (url.host(), url.port_or_known_default()) else {
        return Err(WebhookUrlError::NotAbsolute);
    };
    let allow_listed = allow.allows(&url);
    match url.scheme() {
        "https" => {}
        "http" if allow_listed => {}
        "http" => return Err(WebhookUrlError::PlainHttp),
        _ => return Err(WebhookUrlError::Scheme),
    }
    if !url.username().is_empty() || url.password().is_some() || url.fragment().is_some() {
        return Err(WebhookUrlError::CredentialsOrFragment);
    }
    let literal = match host {
        Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
        Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
        Host::Domain(_) => None,
    };
    if let Some(address) = literal
        && !allow_listed
        && let Some(range) = non_public_range(address)
    {
        return Err(WebhookUrlError::NonPublicAddress { address, range });
    }
    Ok(Destination {
        host: format!("{host}:{port}"),
        allow_listed,
    })
}

/// A name resolved only to non-public addresses (all dropped): nothing to connect to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the host resolves to no public address (refused: {range})")]
pub struct NonPublicName {
    /// The range of the first address dropped.
    pub range: &'static str,
}

/// The webhook client's DNS resolver: the system's (`getaddrinfo`), with every non-public
/// address dropped, except for the names `allowed` (allow-listed hosts).
#[derive(Debug, Clone, Default)]
pub struct PublicResolver {
    allowed: BTreeSet<String>,
}

impl PublicResolver {
    /// Drops non-public addresses of every name.
    pub fn strict() -> Self {
        Self::default()
    }

    /// Lets the names in `allow` resolve to any address.
    pub fn allowing(allow: &AllowHosts) -> Self {
        Self {
            allowed: allow.names(),
        }
    }
}

impl reqwest::dns::Resolve for PublicResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let name = name.as_str().to_ascii_lowercase();
        let exempt = self.allowed.contains(&name);
        Box::pin(async move {
            let resolved: Vec<SocketAddr> =
                tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            if exempt {
                return Ok(Box::new(resolved.into_iter()) as reqwest::dns::Addrs);
            }
            let mut refused = None;
            let public: Vec<SocketAddr> = resolved
                .into_iter()
                .filter(|addr| match non_public_range(addr.ip()) {
                    Some(range) => {
                        refused.get_or_insert(range);
                        false
                    }
                    None => true,
                })
                .collect();
            match refused {
                Some(range) if public.is_empty() => Err(NonPublicName { range }.into()),
                _ => Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs),
            }
        })
    }
}

/// The [`NonPublicName`] refusal behind a failed request, if that is why it failed.
pub fn non_public_refusal(error: &reqwest::Error) -> Option<&NonPublicName> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        if let Some(refusal) = current.downcast_ref::<NonPublicName>() {
            return Some(refusal);
        }
        source = current.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allow(entries: &[&str]) -> AllowHosts {
        AllowHosts::parse(&entries.iter().map(|e| (*e).to_owned()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn https_to_public_hosts_passes() {
        let none = AllowHosts::default();
        for good in [
            "https://hooks.example/idv",
            "https://93.184.215.14/x",
            "https://[2606:4700::6810:84e5]:8443/x",
            // Names are judged after resolution.
            "https://localhost:9/x",
        ] {
            assert!(check_webhook_url(good, &none).is_ok(), "{good}");
        }
        let destination = check_webhook_url("https://Hooks.Example/idv", &none).unwrap();
        assert_eq!(destination.host, "hooks.example:443");
        assert!(!destination.allow_listed);
    }

    #[test]
    fn non_public_literals_and_plain_http_are_refused_unless_allow_listed() {
        let none = AllowHosts::default();
        for (bad, expected) in [
            ("http://hooks.example/idv", "plain http"),
            ("http://127.0.0.1:9/x", "plain http"),
            ("https://127.0.0.1:9/x", "loopback"),
            ("https://2130706433/x", "loopback"),
            ("https://[::1]/x", "loopback"),
            ("https://169.254.169.254/latest", "link-local"),
            ("https://[fe80::1]/x", "link-local"),
            ("https://10.0.0.1/x", "private"),
            ("https://100.64.0.1/x", "CGNAT"),
            ("https://[fd00::1]/x", "unique local"),
            ("https://0.0.0.0/x", "this network"),
            ("https://[::]/x", "unspecified"),
            ("https://224.0.0.1/x", "multicast"),
            ("https://255.255.255.255/x", "broadcast"),
            ("https://192.0.2.1/x", "documentation"),
            ("https://[::ffff:127.0.0.1]/x", "IPv4-mapped"),
            ("ftp://hooks.example/x", "https URL"),
            ("https://user:pw@hooks.example/", "credentials"),
            ("https://hooks.example/#x", "fragment"),
            ("/relative", "absolute"),
        ] {
            let error = check_webhook_url(bad, &none).unwrap_err().to_string();
            assert!(error.contains(expected), "{bad}: {error}");
        }
        let local = allow(&["127.0.0.1:9", "localhost", "[::1]:8080"]);
        for good in [
            "http://127.0.0.1:9/x",
            "https://127.0.0.1:9/x",
            "http://localhost:1234/x",
            "http://[::1]:8080/x",
        ] {
            let destination = check_webhook_url(good, &local).unwrap();
            assert!(destination.allow_listed, "{good}");
        }
        for bad in [
            "http://127.0.0.1:10/x",
            "https://127.0.0.2:9/x",
            "http://[::1]:80/x",
        ] {
            assert!(check_webhook_url(bad, &local).is_err(), "{bad}");
        }
    }

    #[test]
    fn allow_host_entries_parse() {
        assert!(AllowHosts::parse(&["hooks.internal".into(), "::1".into()]).is_ok());
        for bad in ["", ":80", "host:port", "[::1", "[::1]x", "a b"] {
            assert!(AllowHosts::parse(&[bad.into()]).is_err(), "{bad:?}");
        }
        assert!(allow(&["localhost:8080", "127.0.0.1"]).all_loopback());
        assert!(!allow(&["hooks.internal"]).all_loopback());
    }

    #[tokio::test]
    async fn names_resolving_to_loopback_are_dropped_unless_allowed() {
        use reqwest::dns::Resolve as _;
        let refused = PublicResolver::strict()
            .resolve("localhost".parse().unwrap())
            .await;
        let error = refused.err().unwrap();
        assert!(error.downcast_ref::<NonPublicName>().is_some(), "{error}");
        let allowed = PublicResolver::allowing(&allow(&["localhost:9"]))
            .resolve("localhost".parse().unwrap())
            .await
            .unwrap();
        assert!(allowed.into_iter().all(|a| a.ip().is_loopback()));
    }
}
