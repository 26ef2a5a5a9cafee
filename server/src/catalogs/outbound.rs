//! The outbound request policy: the one place that decides which hosts Lakeport may connect to for a user's connection.
//!
//! A user names endpoints (S3 endpoints, Iceberg `restUri`, `oauth2-server-uri`, storage
//! `s3.endpoint`) and a catalog vends more; without this policy any of them could point
//! the server at its own loopback services, its cloud's instance metadata or the private
//! network it sits in. So every host is resolved and every address checked: loopback,
//! link-local, private, shared, unspecified, multicast and reserved addresses are refused
//! unless `outbound.allow` names them. The HTTP clients resolve through the same policy
//! (so a name cannot re-resolve elsewhere between check and connect), follow no redirects
//! and use no proxy from the environment.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use futures::future::BoxFuture;
use reqwest::Url;

use super::{CatalogError, CatalogResult};
use crate::config::OutboundConfig;

/// Where the allowlist is configured, for messages.
const HOW_TO_ALLOW: &str = "config key `outbound.allow` (env LAKEPORT_OUTBOUND__ALLOW, comma-separated host names, IPs, IP:port or CIDRs)";

/// Resolves a host name to addresses; the system resolver in production, a table in tests.
pub trait Lookup: Send + Sync {
    fn lookup<'a>(&'a self, host: &'a str) -> BoxFuture<'a, std::io::Result<Vec<IpAddr>>>;
}

struct SystemLookup;

impl Lookup for SystemLookup {
    fn lookup<'a>(&'a self, host: &'a str) -> BoxFuture<'a, std::io::Result<Vec<IpAddr>>> {
        Box::pin(async move {
            Ok(tokio::net::lookup_host((host, 0))
                .await?
                .map(|a| a.ip())
                .collect())
        })
    }
}

/// One allowlist entry. An entry with a port allows only URLs naming that host and port;
/// a host name reached through DNS is allowed by IP entries only when they carry no port,
/// so a name re-resolving to an allowlisted address cannot reach another of its ports.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Allow {
    Host(String, Option<u16>),
    Ip(IpAddr, Option<u16>),
    Net(IpAddr, u8),
}

#[derive(Clone)]
pub struct OutboundPolicy {
    allow: Arc<[Allow]>,
    lookup: Arc<dyn Lookup>,
}

impl fmt::Debug for OutboundPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutboundPolicy")
            .field("allow", &self.allow)
            .finish_non_exhaustive()
    }
}

impl OutboundPolicy {
    pub fn from_config(config: &OutboundConfig) -> CatalogResult<Self> {
        let allow = config
            .allow
            .iter()
            .map(|e| e.trim())
            .filter(|e| !e.is_empty())
            .map(parse_entry)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| CatalogError::InvalidConfig(format!("outbound.allow: {e}")))?;
        Ok(Self {
            allow: allow.into(),
            lookup: Arc::new(SystemLookup),
        })
    }

    /// The same allowlist, resolving names with `lookup` (tests use a fixed table).
    pub fn with_lookup(mut self, lookup: Arc<dyn Lookup>) -> Self {
        self.lookup = lookup;
        self
    }

    /// Checks an endpoint a connection names before anything is sent to it.
    /// `what` names the setting, e.g. `catalog.s3.endpoint`.
    pub async fn check_url(&self, what: &str, url: &str) -> CatalogResult<()> {
        let parsed = Url::parse(url).map_err(|e| {
            CatalogError::InvalidConfig(format!("{what} '{url}' is not a valid URL: {e}"))
        })?;
        self.check(what, &parsed).await
    }

    /// Checks a parsed URL: scheme http(s), then its host and port.
    pub async fn check(&self, what: &str, url: &Url) -> CatalogResult<()> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(CatalogError::InvalidConfig(format!(
                "{what} '{url}' must be an http:// or https:// URL"
            )));
        }
        let port = url.port_or_known_default();
        let shown = target(url);
        match url.host() {
            None => Err(CatalogError::InvalidConfig(format!(
                "{what} '{url}' names no host"
            ))),
            Some(url::Host::Ipv4(ip)) => self.check_literal(what, &shown, IpAddr::V4(ip), port),
            Some(url::Host::Ipv6(ip)) => self.check_literal(what, &shown, IpAddr::V6(ip), port),
            Some(url::Host::Domain(name)) => {
                if self.host_allowed(name, port) {
                    return Ok(());
                }
                // A host entry for another port does not cover this one: the addresses decide.
                self.resolve_checked(name, false)
                    .await
                    .map(drop)
                    .map_err(|e| e.named(what, &shown))
            }
        }
    }

    fn check_literal(
        &self,
        what: &str,
        shown: &str,
        ip: IpAddr,
        port: Option<u16>,
    ) -> CatalogResult<()> {
        match self.address_refused(ip, port) {
            None => Ok(()),
            Some(reason) => Err(refused(
                what,
                shown,
                &format!("{ip} is {reason}"),
                &suggest(&ip.to_string(), port),
            )),
        }
    }

    /// Resolves a host name for a connection: every address must pass, or none is used.
    /// Port-specific IP entries do not apply here (the resolver is not told the port);
    /// with `by_name`, a host entry for any port allows the name (the URL's port was checked
    /// against it before sending).
    async fn resolve_checked(&self, host: &str, by_name: bool) -> Result<Vec<IpAddr>, Refusal> {
        let name = normalise_host(host);
        let addresses = self
            .lookup
            .lookup(&name)
            .await
            .map_err(|e| Refusal::Unresolved(format!("cannot resolve '{name}': {e}")))?;
        if addresses.is_empty() {
            return Err(Refusal::Unresolved(format!(
                "'{name}' resolves to no address"
            )));
        }
        if by_name && self.host_allowed(&name, None) {
            return Ok(addresses);
        }
        for ip in &addresses {
            if let Some(reason) = self.address_refused(*ip, None) {
                return Err(Refusal::Address(format!(
                    "'{name}' resolves to {ip}, which is {reason}"
                )));
            }
        }
        Ok(addresses)
    }

    /// Whether a host name entry allows `host` (on `port`; `None` means "some port").
    fn host_allowed(&self, host: &str, port: Option<u16>) -> bool {
        let host = normalise_host(host);
        self.allow.iter().any(|entry| match entry {
            Allow::Host(name, allowed) => {
                *name == host && (allowed.is_none() || port.is_none() || *allowed == port)
            }
            _ => false,
        })
    }

    /// Why `ip` may not be reached on `port` (`None` for an address reached through DNS,
    /// which port-specific entries do not cover), or `None` if it may.
    fn address_refused(&self, ip: IpAddr, port: Option<u16>) -> Option<String> {
        let ip = canonical(ip);
        let reason = non_public(ip)?;
        let allowed = self.allow.iter().any(|entry| match entry {
            Allow::Ip(allowed, allowed_port) => {
                canonical(*allowed) == ip
                    && match (allowed_port, port) {
                        (None, _) => true,
                        (Some(a), Some(p)) => *a == p,
                        (Some(_), None) => false,
                    }
            }
            Allow::Net(net, bits) => in_net(ip, canonical(*net), *bits),
            Allow::Host(..) => false,
        });
        (!allowed).then(|| reason.to_owned())
    }

    /// A reqwest client that resolves through this policy, follows no redirects and
    /// ignores proxy settings (a proxy would connect to hosts this policy never saw).
    /// IP-literal URLs skip the resolver, so callers also `check` each URL before sending.
    pub fn http_client(&self, builder: reqwest::ClientBuilder) -> CatalogResult<reqwest::Client> {
        builder
            .dns_resolver(Arc::new(PolicyResolver(self.clone())))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .map_err(|e| CatalogError::InvalidConfig(format!("HTTP client: {e}")))
    }

    /// The HTTP client for aws-sdk-s3, resolving through this policy. As with reqwest, an
    /// IP-literal endpoint skips the resolver and is checked when the catalog is opened.
    pub fn s3_http_client(&self) -> aws_smithy_runtime_api::client::http::SharedHttpClient {
        use aws_smithy_http_client::tls;
        aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(
                tls::rustls_provider::CryptoMode::AwsLc,
            ))
            .build_with_resolver(PolicyResolver(self.clone()))
    }
}

/// Why a host name was refused, before the setting and URL are named.
#[derive(Debug)]
enum Refusal {
    Unresolved(String),
    Address(String),
}

impl Refusal {
    fn named(self, what: &str, shown: &str) -> CatalogError {
        match self {
            Self::Unresolved(why) => {
                CatalogError::Unreachable(format!("{what} {shown} is unreachable: {why}"))
            }
            Self::Address(why) => refused(what, shown, &why, &host_of(shown)),
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unresolved(why) => f.write_str(why),
            Self::Address(why) => write!(
                f,
                "{POLICY_REFUSED} {why}; Lakeport connects only to public addresses unless the outbound allowlist names the host ({HOW_TO_ALLOW})"
            ),
        }
    }
}

impl std::error::Error for Refusal {}

/// The start of every refusal, so a refusal surfacing through an HTTP client's error is recognised.
const POLICY_REFUSED: &str = "refused by Lakeport's outbound request policy:";

fn refused(what: &str, shown: &str, why: &str, suggestion: &str) -> CatalogError {
    CatalogError::OutboundRefused(format!(
        "{what} {shown} is {POLICY_REFUSED} {why}. Lakeport connects only to public addresses unless the outbound allowlist names the host: set {HOW_TO_ALLOW}, e.g. \"{suggestion}\""
    ))
}

/// If an HTTP client failed because the policy refused an address at connect time,
/// that refusal as a catalog error.
pub fn refusal_in(err: &(dyn std::error::Error + 'static), what: &str) -> Option<CatalogError> {
    let mut source = Some(err);
    while let Some(e) = source {
        if let Some(refusal @ Refusal::Address(_)) = e.downcast_ref::<Refusal>() {
            return Some(CatalogError::OutboundRefused(format!("{what}: {refusal}")));
        }
        // Some clients keep only the text of a resolver's error.
        let text = e.to_string();
        if text.contains(POLICY_REFUSED) {
            return Some(CatalogError::OutboundRefused(format!("{what}: {text}")));
        }
        source = e.source();
    }
    None
}

#[derive(Clone)]
struct PolicyResolver(OutboundPolicy);

impl fmt::Debug for PolicyResolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PolicyResolver")
    }
}

impl reqwest::dns::Resolve for PolicyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.0.clone();
        Box::pin(async move {
            let addresses = policy.resolve_checked(name.as_str(), true).await?;
            let addrs: reqwest::dns::Addrs = Box::new(
                addresses
                    .into_iter()
                    .map(|ip| SocketAddr::new(ip, 0))
                    .collect::<Vec<_>>()
                    .into_iter(),
            );
            Ok(addrs)
        })
    }
}

impl aws_smithy_runtime_api::client::dns::ResolveDns for PolicyResolver {
    fn resolve_dns<'a>(
        &'a self,
        name: &'a str,
    ) -> aws_smithy_runtime_api::client::dns::DnsFuture<'a> {
        use aws_smithy_runtime_api::client::dns::{DnsFuture, ResolveDnsError};
        DnsFuture::new(async move {
            self.0
                .resolve_checked(name, true)
                .await
                .map_err(ResolveDnsError::new)
        })
    }
}

/// A short, printable excerpt of text a remote server sent, for an error message:
/// control characters dropped, at most 200 characters.
pub fn remote_text(text: &str) -> String {
    const MAX: usize = 200;
    let clean: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let clean = clean.split_whitespace().collect::<Vec<_>>().join(" ");
    if clean.chars().count() > MAX {
        format!("{}…", clean.chars().take(MAX).collect::<String>())
    } else {
        clean
    }
}

fn parse_entry(entry: &str) -> Result<Allow, String> {
    if let Some((net, bits)) = entry.split_once('/') {
        let ip = host_ip(net.trim_start_matches('[').trim_end_matches(']'))
            .ok_or_else(|| format!("'{entry}': '{net}' is not an IP address"))?;
        let max = if ip.is_ipv4() { 32 } else { 128 };
        let bits: u8 = bits
            .parse()
            .ok()
            .filter(|b| *b <= max)
            .ok_or_else(|| format!("'{entry}': the prefix length must be 0-{max}"))?;
        return Ok(Allow::Net(ip, bits));
    }
    if let Ok(ip) = entry.parse::<Ipv6Addr>() {
        return Ok(Allow::Ip(IpAddr::V6(ip), None));
    }
    let url = Url::parse(&format!("http://{entry}/"))
        .ok()
        .filter(|u| u.path() == "/" && u.username().is_empty() && u.query().is_none())
        .ok_or_else(|| format!("'{entry}' is not a host name, IP, host:port or CIDR"))?;
    let port = url.port();
    Ok(match url.host() {
        Some(url::Host::Ipv4(ip)) => Allow::Ip(IpAddr::V4(ip), port),
        Some(url::Host::Ipv6(ip)) => Allow::Ip(IpAddr::V6(ip), port),
        Some(url::Host::Domain(name)) => Allow::Host(normalise_host(name), port),
        None => return Err(format!("'{entry}' names no host")),
    })
}

/// An IP address in any spelling an http URL accepts (`127.1`, `0x7f.0.0.1`, `2130706433`, `[::1]`).
fn host_ip(host: &str) -> Option<IpAddr> {
    if let Ok(ip) = host.parse::<Ipv6Addr>() {
        return Some(IpAddr::V6(ip));
    }
    match url::Host::parse(host).ok()? {
        url::Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
        url::Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
        url::Host::Domain(_) => None,
    }
}

fn normalise_host(host: &str) -> String {
    host.trim_end_matches('.').to_ascii_lowercase()
}

/// `host[:port]` of a URL, as messages show it.
fn target(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(host), Some(port)) => format!("{}://{host}:{port}", url.scheme()),
        (Some(host), None) => format!("{}://{host}", url.scheme()),
        _ => url.to_string(),
    }
}

fn host_of(shown: &str) -> String {
    shown
        .split_once("://")
        .map_or(shown, |(_, rest)| rest)
        .to_owned()
}

fn suggest(host: &str, port: Option<u16>) -> String {
    match (host.contains(':'), port) {
        (true, Some(port)) => format!("[{host}]:{port}"),
        (false, Some(port)) => format!("{host}:{port}"),
        (_, None) => host.to_owned(),
    }
}

/// IPv4-mapped IPv6 (`::ffff:a.b.c.d`) is the IPv4 address it carries.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

fn in_net(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}

/// What kind of non-public address `ip` is, or `None` for a public one.
fn non_public(ip: IpAddr) -> Option<&'static str> {
    match canonical(ip) {
        IpAddr::V4(v4) => non_public_v4(v4),
        IpAddr::V6(v6) => non_public_v6(v6),
    }
}

fn non_public_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let v4 = |a, b, c, d, bits| in_net(IpAddr::V4(ip), IpAddr::V4(Ipv4Addr::new(a, b, c, d)), bits);
    Some(if v4(0, 0, 0, 0, 8) {
        "an unspecified address"
    } else if v4(127, 0, 0, 0, 8) {
        "a loopback address"
    } else if v4(169, 254, 0, 0, 16) {
        "a link-local address (where cloud instance metadata lives)"
    } else if v4(10, 0, 0, 0, 8) || v4(172, 16, 0, 0, 12) || v4(192, 168, 0, 0, 16) {
        "a private address"
    } else if v4(100, 64, 0, 0, 10) {
        "a shared (carrier-grade NAT) address"
    } else if v4(192, 0, 0, 0, 24) || v4(198, 18, 0, 0, 15) {
        "a reserved address"
    } else if v4(192, 0, 2, 0, 24) || v4(198, 51, 100, 0, 24) || v4(203, 0, 113, 0, 24) {
        "a documentation address"
    } else if v4(224, 0, 0, 0, 4) {
        "a multicast address"
    } else if v4(240, 0, 0, 0, 4) {
        "a reserved or broadcast address"
    } else {
        return None;
    })
}

fn non_public_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let bits = u128::from(ip);
    let v6 = |net: &str, len| in_net(IpAddr::V6(ip), IpAddr::V6(net.parse().unwrap()), len);
    let embedded = |v4: u32| non_public_v4(Ipv4Addr::from(v4));
    if ip.is_unspecified() {
        return Some("an unspecified address");
    }
    if ip.is_loopback() {
        return Some("a loopback address");
    }
    // IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96) and 6to4 (2002::/16) carry an IPv4 address.
    if v6("::", 96) || v6("64:ff9b::", 96) {
        return embedded(bits as u32).map(|_| "an IPv6 form of a non-public IPv4 address");
    }
    if v6("2002::", 16) {
        return embedded((bits >> 80) as u32).map(|_| "a 6to4 form of a non-public IPv4 address");
    }
    Some(if v6("fe80::", 10) {
        "a link-local address"
    } else if v6("fc00::", 7) {
        "a unique local (private) address (AWS instance metadata is fd00:ec2::254)"
    } else if v6("fec0::", 10) {
        "a site-local address"
    } else if v6("ff00::", 8) {
        "a multicast address"
    } else if v6("64:ff9b:1::", 48) || v6("100::", 64) || v6("2001::", 23) {
        "a reserved address"
    } else if v6("2001:db8::", 32) {
        "a documentation address"
    } else {
        return None;
    })
}

#[cfg(test)]
#[path = "outbound_tests.rs"]
mod tests;
