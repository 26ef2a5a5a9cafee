//! Unit tests of the outbound policy on parsed addresses and a fixed resolver: nothing here connects.

use std::collections::HashMap;

use super::*;

/// A resolver answering from a table, so host names can "resolve" to any address without DNS.
struct Fixed(HashMap<&'static str, Vec<IpAddr>>);

impl Lookup for Fixed {
    fn lookup<'a>(&'a self, host: &'a str) -> BoxFuture<'a, std::io::Result<Vec<IpAddr>>> {
        let found = self.0.get(host).cloned();
        Box::pin(async move {
            found.ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "no such host"))
        })
    }
}

fn policy(allow: &[&str]) -> OutboundPolicy {
    let config = OutboundConfig {
        allow: allow.iter().map(|s| s.to_string()).collect(),
    };
    let fixed = Fixed(HashMap::from([
        ("metadata.example", vec!["169.254.169.254".parse().unwrap()]),
        ("imds6.example", vec!["fd00:ec2::254".parse().unwrap()]),
        (
            "mixed.example",
            vec![
                "93.184.215.14".parse().unwrap(),
                "10.1.2.3".parse().unwrap(),
            ],
        ),
        ("public.example", vec!["93.184.215.14".parse().unwrap()]),
        (
            "mapped.example",
            vec!["::ffff:192.168.1.1".parse().unwrap()],
        ),
        ("minio.internal", vec!["10.0.0.5".parse().unwrap()]),
        ("loop.example", vec!["127.0.0.1".parse().unwrap()]),
    ]));
    OutboundPolicy::from_config(&config)
        .unwrap()
        .with_lookup(Arc::new(fixed))
}

async fn refused(p: &OutboundPolicy, url: &str) -> String {
    match p.check_url("catalog.s3.endpoint", url).await {
        Err(CatalogError::OutboundRefused(m)) => m,
        other => panic!("{url} should be refused by the policy, got {other:?}"),
    }
}

#[tokio::test]
async fn non_public_addresses_are_refused_in_every_spelling() {
    let p = policy(&[]);
    for url in [
        "http://169.254.169.254/latest/meta-data",
        "http://[fd00:ec2::254]/",
        "http://10.0.0.1:9000",
        "http://172.16.5.4",
        "http://172.31.255.255",
        "http://192.168.1.1",
        "http://100.64.0.1",
        "http://0.0.0.0:5432",
        "http://[::]:5432",
        "http://127.0.0.1:5432",
        "http://[::1]:8181",
        "http://[::ffff:10.0.0.1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:169.254.169.254]/",
        "http://[::127.0.0.1]/",
        "http://[64:ff9b::a9fe:a9fe]/",
        "http://[2002:a9fe:a9fe::1]/",
        "http://[fe80::1]/",
        "http://[ff02::1]/",
        "http://224.0.0.1/",
        "http://255.255.255.255/",
        // Odd IPv4 spellings, normalised by the URL parser before the check.
        "http://2130706433/",
        "http://0177.0.0.1/",
        "http://0x7f.1/",
        "http://0x7f000001/",
        "http://127.1/",
        "http://017700000001/",
        "http://169.254.43518/",
        "http://0xa9.0xfe.0xa9.0xfe/",
        "http://127.0.0.1./",
        "https://0/",
    ] {
        let message = refused(&p, url).await;
        assert!(
            message.contains("outbound request policy") && message.contains("outbound.allow"),
            "{url}: {message}"
        );
    }
}

#[tokio::test]
async fn the_message_names_the_address_the_setting_and_the_way_to_allow_it() {
    let message = refused(&policy(&[]), "http://0177.0.0.1:5432/").await;
    assert!(message.contains("catalog.s3.endpoint"), "{message}");
    assert!(
        message.contains("127.0.0.1 is a loopback address"),
        "{message}"
    );
    assert!(message.contains("LAKEPORT_OUTBOUND__ALLOW"), "{message}");
    assert!(message.contains("\"127.0.0.1:5432\""), "{message}");
    let message = refused(&policy(&[]), "http://169.254.169.254/").await;
    assert!(message.contains("instance metadata"), "{message}");
}

#[tokio::test]
async fn host_names_are_resolved_and_every_address_checked() {
    let p = policy(&[]);
    for url in [
        "http://metadata.example/",
        "http://imds6.example/",
        "http://mixed.example/",
        "http://mapped.example/",
        "http://loop.example:9000/",
        "http://LOOP.example./",
    ] {
        let message = refused(&p, url).await;
        assert!(message.contains("resolves to"), "{url}: {message}");
    }
    p.check_url("x", "https://public.example/").await.unwrap();
    p.check_url("x", "https://93.184.215.14:8443/")
        .await
        .unwrap();
    p.check_url("x", "https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/")
        .await
        .unwrap();
    assert!(matches!(
        p.check_url("x", "https://unknown.example/").await,
        Err(CatalogError::Unreachable(_))
    ));
}

#[tokio::test]
async fn the_allowlist_names_hosts_addresses_ports_and_networks() {
    let p = policy(&[
        "minio.internal",
        "127.0.0.1:9000",
        "10.9.0.0/16",
        "[::1]:8181",
    ]);
    p.check_url("x", "http://minio.internal:9000")
        .await
        .unwrap();
    p.check_url("x", "http://127.0.0.1:9000").await.unwrap();
    p.check_url("x", "http://0x7f.0.0.1:9000").await.unwrap();
    p.check_url("x", "http://10.9.200.1").await.unwrap();
    p.check_url("x", "http://[::1]:8181/v1").await.unwrap();
    // The same hosts on other ports, or outside the network, stay refused.
    refused(&p, "http://127.0.0.1:9001").await;
    refused(&p, "http://[::1]:8182").await;
    refused(&p, "http://10.10.0.1").await;
    // A name resolving to an address allowed only on one port is not allowed through DNS.
    refused(&p, "http://loop.example:9000").await;
    // A host entry with a port covers that port only.
    let p = policy(&["minio.internal:9000"]);
    p.check_url("x", "http://minio.internal:9000")
        .await
        .unwrap();
    refused(&p, "http://minio.internal:22").await;
    // A network entry covers names resolving into it.
    let p = policy(&["10.0.0.0/8"]);
    p.check_url("x", "http://minio.internal:9000")
        .await
        .unwrap();
    p.check_url("x", "http://[::ffff:10.0.0.1]").await.unwrap();
}

#[tokio::test]
async fn only_http_urls_with_a_host_are_accepted() {
    let p = policy(&[]);
    for url in ["file:///etc/passwd", "ftp://public.example/", "not a url"] {
        assert!(matches!(
            p.check_url("x", url).await,
            Err(CatalogError::InvalidConfig(_))
        ));
    }
}

#[test]
fn allowlist_entries_parse_or_are_refused_with_the_entry() {
    let entry = |s: &str| parse_entry(s);
    assert_eq!(
        entry("localhost").unwrap(),
        Allow::Host("localhost".into(), None)
    );
    assert_eq!(
        entry("MinIO.internal:9000").unwrap(),
        Allow::Host("minio.internal".into(), Some(9000))
    );
    assert_eq!(
        entry("127.0.0.1").unwrap(),
        Allow::Ip("127.0.0.1".parse().unwrap(), None)
    );
    assert_eq!(
        entry("2130706433").unwrap(),
        Allow::Ip("127.0.0.1".parse().unwrap(), None)
    );
    assert_eq!(
        entry("::1").unwrap(),
        Allow::Ip("::1".parse().unwrap(), None)
    );
    assert_eq!(
        entry("[::1]:8181").unwrap(),
        Allow::Ip("::1".parse().unwrap(), Some(8181))
    );
    assert_eq!(
        entry("fd00::/8").unwrap(),
        Allow::Net("fd00::".parse().unwrap(), 8)
    );
    for bad in ["10.0.0.0/33", "host/path", "http://x", "a b", "user@host"] {
        let err = OutboundPolicy::from_config(&OutboundConfig {
            allow: vec![bad.into()],
        })
        .unwrap_err()
        .to_string();
        assert!(err.contains("outbound.allow"), "{bad}: {err}");
    }
}

#[test]
fn public_addresses_are_public() {
    for ip in [
        "8.8.8.8",
        "52.216.0.1",
        "172.32.0.1",
        "100.128.0.1",
        "2600::1",
    ] {
        assert_eq!(non_public(ip.parse().unwrap()), None, "{ip}");
    }
}

#[test]
fn remote_text_is_short_and_printable() {
    let text = remote_text(&format!("bad\r\n\u{1b}[31mthing{}", "x".repeat(500)));
    assert!(!text.chars().any(char::is_control), "{text}");
    assert!(text.chars().count() <= 201, "{}", text.len());
    assert!(text.starts_with("bad [31mthing"), "{text}");
}
