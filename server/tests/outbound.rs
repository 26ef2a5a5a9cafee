//! The outbound request policy end to end, with loopback targets only: endpoints on loopback
//! are refused unless allowlisted (and nothing connects), redirects are not followed, and a
//! catalog cannot make Lakeport read local files or borrow the server's own credentials.

// Its own binary: one test sets the process environment, which must not race the others.
#[path = "all/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use common::{TestApp, spawn_app_with};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A TCP server that records every connection and the request head it got, and answers 404.
struct Recorder {
    port: u16,
    accepts: Arc<AtomicUsize>,
    requests: Arc<Mutex<Vec<String>>>,
}

impl Recorder {
    async fn start(address: &str) -> Option<Self> {
        let listener = TcpListener::bind(address).await.ok()?;
        let port = listener.local_addr().unwrap().port();
        let accepts = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (count, seen) = (accepts.clone(), requests.clone());
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                let seen = seen.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 16 * 1024];
                    let n = stream.read(&mut buf).await.unwrap_or(0);
                    seen.lock()
                        .unwrap()
                        .push(String::from_utf8_lossy(&buf[..n]).into_owned());
                    let _ = stream
                        .write_all(
                            b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                        )
                        .await;
                });
            }
        });
        Some(Self {
            port,
            accepts,
            requests,
        })
    }

    fn accepts(&self) -> usize {
        self.accepts.load(Ordering::SeqCst)
    }
}

/// Serves `router` on 127.0.0.1 and returns its port.
async fn serve(router: Router) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    port
}

async fn app_allowing(allow: &[String]) -> TestApp {
    let allow = allow.to_vec();
    spawn_app_with(move |config| config.outbound.allow = allow).await
}

fn s3_browse(endpoint: &str) -> Value {
    json!({ "connection": { "type": "CATALOG", "params": {
        "catalogType": "s3",
        "catalog.s3.bucketName": "lake",
        "catalog.s3.region": "us-east-1",
        "catalog.s3.accessKey": "AKIAEXAMPLE",
        "catalog.s3.secretKey": "secret",
        "catalog.s3.endpoint": endpoint,
    } }, "path": "" })
}

fn rest_browse(params: Value) -> Value {
    json!({ "connection": { "type": "CATALOG", "params": params }, "path": "" })
}

fn assert_refused(code: u16, body: &Value, what: &str) {
    assert_eq!(code, 403, "{what}: {body}");
    assert_eq!(body["kind"], "OUTBOUND_REFUSED", "{what}: {body}");
    let message = body["error"].as_str().unwrap_or_default();
    assert!(
        message.contains("outbound request policy") && message.contains("outbound.allow"),
        "{what}: the message names the policy and how to allow the host: {body}"
    );
}

#[tokio::test]
async fn loopback_endpoints_are_refused_and_nothing_connects_when_not_allowlisted() {
    let v4 = Recorder::start("127.0.0.1:0").await.unwrap();
    let v6 = Recorder::start("[::1]:0").await;
    let app = app_allowing(&[]).await;
    let p = v4.port;
    let mut endpoints = vec![
        "http://127.0.0.1:5432".to_owned(),
        format!("http://127.0.0.1:{p}"),
        format!("http://localhost:{p}"),
        format!("http://2130706433:{p}"),
        format!("http://0177.0.0.1:{p}"),
        format!("http://[::ffff:127.0.0.1]:{p}"),
        format!("http://[::1]:{}", v6.as_ref().map_or(p, |r| r.port)),
    ];
    endpoints.push("http://0.0.0.0:5432".into());
    for endpoint in &endpoints {
        let (code, body) = app.post("/connections/browse", &s3_browse(endpoint)).await;
        assert_refused(code, &body, endpoint);
    }

    for params in [
        json!({ "catalogType": "iceberg-rest", "catalog.iceberg-rest.restUri": format!("http://127.0.0.1:{p}") }),
        json!({ "catalogType": "iceberg-rest", "catalog.iceberg-rest.restUri": format!("http://localhost:{p}/iceberg") }),
    ] {
        let (code, body) = app
            .post("/connections/browse", &rest_browse(params.clone()))
            .await;
        assert_refused(code, &body, &params.to_string());
    }
    let (status, _) = app.get("/connections").await;
    assert_eq!(status, 200);
    assert_eq!(v4.accepts(), 0, "nothing connected to the IPv4 listener");
    if let Some(v6) = &v6 {
        assert_eq!(v6.accepts(), 0, "nothing connected to the IPv6 listener");
    }
    app.stop().await;
}

#[tokio::test]
async fn the_servers_own_s3_endpoint_passes_the_policy_too() {
    let v4 = Recorder::start("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://127.0.0.1:{}", v4.port);
    let app = spawn_app_with(move |config| {
        config.outbound.allow.clear();
        config.s3_endpoint = Some(endpoint);
    })
    .await;
    let mut browse = s3_browse("");
    browse["connection"]["params"]
        .as_object_mut()
        .unwrap()
        .remove("catalog.s3.endpoint");
    let (code, body) = app.post("/connections/browse", &browse).await;
    assert_refused(code, &body, "LAKEPORT_S3_ENDPOINT");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("LAKEPORT_S3_ENDPOINT"),
        "{body}"
    );
    assert_eq!(v4.accepts(), 0);
    app.stop().await;
}

#[tokio::test]
async fn a_redirect_to_a_port_that_is_not_allowlisted_is_not_followed() {
    let target = Recorder::start("127.0.0.1:0").await.unwrap();
    let location = format!("http://127.0.0.1:{}/v1/config", target.port);
    let catalog = serve(Router::new().fallback(move || {
        let location = location.clone();
        async move { (StatusCode::FOUND, [(header::LOCATION, location)]).into_response() }
    }))
    .await;
    // Only the catalog's own port is allowed.
    let app = app_allowing(&[format!("127.0.0.1:{catalog}")]).await;
    let (code, body) = app
        .post(
            "/connections/browse",
            &rest_browse(json!({
                "catalogType": "iceberg-rest",
                "catalog.iceberg-rest.restUri": format!("http://127.0.0.1:{catalog}"),
            })),
        )
        .await;
    assert_eq!(code, 400, "{body}");
    let message = body["error"].as_str().unwrap();
    assert!(
        message.contains("302") && message.contains("does not follow redirects"),
        "{body}"
    );
    // The port-specific entry does not allow the other port directly either.
    let (code, body) = app
        .post(
            "/connections/browse",
            &rest_browse(json!({
                "catalogType": "iceberg-rest",
                "catalog.iceberg-rest.restUri": format!("http://127.0.0.1:{}", target.port),
            })),
        )
        .await;
    assert_refused(code, &body, "another port of an allowlisted address");
    assert_eq!(
        target.accepts(),
        0,
        "the redirect target was never contacted"
    );
    app.stop().await;
}

/// A v2 table at `location` whose one snapshot's manifest list is `manifest_list`.
fn metadata(location: &str, manifest_list: &str) -> Value {
    json!({
        "format-version": 2,
        "table-uuid": "9c12d441-03fe-4693-9a96-a0705ddf69c1",
        "location": location,
        "last-sequence-number": 1,
        "last-updated-ms": 1_700_000_000_000i64,
        "last-column-id": 1,
        "current-schema-id": 0,
        "schemas": [{ "type": "struct", "schema-id": 0, "fields": [
            { "id": 1, "name": "id", "required": false, "type": "long" } ] }],
        "default-spec-id": 0,
        "partition-specs": [{ "spec-id": 0, "fields": [] }],
        "last-partition-id": 999,
        "default-sort-order-id": 0,
        "sort-orders": [{ "order-id": 0, "fields": [] }],
        "properties": {},
        "current-snapshot-id": 1,
        "snapshots": [{ "snapshot-id": 1, "sequence-number": 1, "timestamp-ms": 1_700_000_000_000i64,
            "manifest-list": manifest_list, "summary": { "operation": "append" }, "schema-id": 0 }],
        "snapshot-log": [],
        "metadata-log": [],
        "refs": { "main": { "snapshot-id": 1, "type": "branch" } },
    })
}

/// A fake Iceberg REST catalog: config, namespaces, an OAuth2 token endpoint, and `load`
/// as the answer for every table. Returns its port and the requests' paths.
async fn fake_catalog(load: Value) -> (u16, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let port = serve(Router::new().fallback(move |uri: Uri| {
        let load = load.clone();
        log.lock().unwrap().push(uri.path().to_owned());
        async move {
            let path = uri.path();
            let body = if path.ends_with("/v1/config") {
                json!({ "defaults": {}, "overrides": {} })
            } else if path.ends_with("/oauth/tokens") {
                json!({ "access_token": "t0k", "token_type": "bearer", "expires_in": 3600 })
            } else if path.contains("/tables/") {
                load
            } else if path.ends_with("/tables") {
                json!({ "identifiers": [{ "namespace": ["lake"], "name": "events" }] })
            } else if path.ends_with("/namespaces") {
                json!({ "namespaces": [["lake"]] })
            } else {
                return Response::builder()
                    .status(404)
                    .body(axum::body::Body::empty())
                    .unwrap();
            };
            axum::Json(body).into_response()
        }
    }))
    .await;
    (port, seen)
}

fn preview_request(catalog: u16) -> Value {
    json!({ "tableConfig": { "tableName": "events", "task": { "taskTypeConfigsMap": {
        "IcebergIngestionTask": {
            "catalogType": "iceberg-rest",
            "catalog.iceberg-rest.restUri": format!("http://127.0.0.1:{catalog}"),
            "catalog.iceberg-rest.table.namespace": "lake",
            "catalog.iceberg-rest.table.tableName": "events",
        } } } } })
}

#[tokio::test]
async fn a_catalog_cannot_point_lakeport_at_local_files() {
    let dir = tempfile::tempdir().unwrap();
    let canary = dir.path().join("snap.avro");
    std::fs::write(&canary, b"not avro").unwrap();
    let canary_url = format!("file://{}", canary.display());
    let table_dir = format!("file://{}", dir.path().display());
    let cases = [
        (
            "a table located on the local disk",
            json!({ "metadata-location": format!("{table_dir}/metadata/v1.json"),
                    "metadata": metadata(&table_dir, &canary_url) }),
        ),
        (
            "a manifest list on the local disk",
            json!({ "metadata-location": "s3://lake/t/metadata/v1.json",
                    "metadata": metadata("s3://lake/t", &canary_url) }),
        ),
        (
            "a manifest list in another bucket",
            json!({ "metadata-location": "s3://lake/t/metadata/v1.json",
                    "metadata": metadata("s3://lake/t", "s3://other/snap.avro") }),
        ),
    ];
    for (what, load) in cases {
        let (catalog, _) = fake_catalog(load).await;
        let app = app_allowing(&[format!("127.0.0.1:{catalog}")]).await;
        let (code, body) = app.post("/tables/preview", &preview_request(catalog)).await;
        assert_eq!(code, 400, "{what}: {body}");
        let message = body["error"].as_str().unwrap();
        assert!(
            message.contains("Lakeport reads")
                && !message.contains("reading the Iceberg table failed"),
            "{what}: refused before reading, with a clear reason: {body}"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn vended_settings_cannot_enable_the_servers_own_credentials_or_an_unlisted_endpoint() {
    // The server's own identity, as the environment would give it on a cloud host.
    // SAFETY: set once, before any thread of this test reads the environment for it.
    unsafe {
        std::env::set_var("AWS_ACCESS_KEY_ID", "AKIASERVERIDENTITY");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "server-secret");
    }
    let storage = Recorder::start("127.0.0.1:0").await.unwrap();
    let unlisted = Recorder::start("127.0.0.1:0").await.unwrap();
    let load = |endpoint: u16| {
        json!({
            "metadata-location": "s3://lake/t/metadata/v1.json",
            "metadata": metadata("s3://lake/t", "s3://lake/t/metadata/snap-1.avro"),
            "config": {
                "s3.endpoint": format!("http://127.0.0.1:{endpoint}"),
                "s3.region": "us-east-1",
                "s3.path-style-access": "true",
                "s3.disable-ec2-metadata": "false",
                "s3.disable-config-load": "false",
                "client.assume-role.arn": "arn:aws:iam::123456789012:role/server",
            },
        })
    };

    // A vended endpoint that is not allowlisted is refused before anything is read.
    let (catalog, _) = fake_catalog(load(unlisted.port)).await;
    let app = app_allowing(&[format!("127.0.0.1:{catalog}")]).await;
    let (code, body) = app.post("/tables/preview", &preview_request(catalog)).await;
    assert_refused(code, &body, "a vended endpoint");
    assert!(body["error"].as_str().unwrap().contains("vended"), "{body}");
    assert_eq!(unlisted.accepts(), 0);
    app.stop().await;

    // An allowlisted vended endpoint is read, but unsigned: never with the server's keys.
    let (catalog, _) = fake_catalog(load(storage.port)).await;
    let app = app_allowing(&[
        format!("127.0.0.1:{catalog}"),
        format!("127.0.0.1:{}", storage.port),
    ])
    .await;
    let (code, body) = app.post("/tables/preview", &preview_request(catalog)).await;
    assert!(code >= 400, "the fake storage has no files: {body}");
    let requests = storage.requests.lock().unwrap().clone();
    assert!(
        !requests.is_empty(),
        "the manifest list was asked for: {body}"
    );
    for request in &requests {
        assert!(
            !request.contains("AKIASERVERIDENTITY")
                && !request.to_ascii_lowercase().contains("authorization:"),
            "no credentials of the server were used: {request}"
        );
        assert!(!request.contains("AssumeRole"), "{request}");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_masked_oauth2_credential_resolves_only_for_the_token_endpoint_it_was_saved_with() {
    let (catalog, seen) = fake_catalog(json!({})).await;
    let other = Recorder::start("127.0.0.1:0").await.unwrap();
    let app = app_allowing(&[
        format!("127.0.0.1:{catalog}"),
        format!("127.0.0.1:{}", other.port),
    ])
    .await;
    let params = |credential: &str, token_port: u16| {
        json!({
            "catalogType": "iceberg-rest",
            "catalog.iceberg-rest.restUri": format!("http://127.0.0.1:{catalog}"),
            "catalog.iceberg-rest.credential": credential,
            "catalog.iceberg-rest.oauth2-server-uri": format!("http://127.0.0.1:{token_port}/v1/oauth/tokens"),
        })
    };
    let (code, body) = app
        .post(
            "/connections/browse",
            &rest_browse(params("client:s3cret", catalog)),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    let (code, body) = app
        .post(
            "/connections/browse",
            &rest_browse(params("*****", catalog)),
        )
        .await;
    assert_eq!(code, 200, "a masked credential resolves: {body}");
    assert!(
        seen.lock()
            .unwrap()
            .iter()
            .filter(|p| p.ends_with("/oauth/tokens"))
            .count()
            >= 2,
        "{:?}",
        seen.lock().unwrap()
    );

    let (code, body) = app
        .post(
            "/connections/browse",
            &rest_browse(params("*****", other.port)),
        )
        .await;
    assert_eq!(code, 400, "{body}");
    assert!(body["error"].as_str().unwrap().contains("masked"), "{body}");
    assert_eq!(
        other.accepts(),
        0,
        "the secret was not sent to another host"
    );
    app.stop().await;
}
