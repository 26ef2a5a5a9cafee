//! Sign-in throttling, security headers, request limits, password changes, token expiry and secrets at rest.

use crate::common;

use std::time::Duration;

use common::s3::S3Server;
use common::{ADMIN_PASSWORD, TestApp, sign_in, spawn_app, spawn_app_with};
use reqwest::redirect::Policy;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn anonymous() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
}

async fn answer(response: reqwest::Response) -> (u16, reqwest::header::HeaderMap, Value) {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    (
        status,
        headers,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn try_sign_in(
    app: &TestApp,
    username: &str,
    password: &str,
    forwarded_for: Option<&str>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut request = anonymous()
        .post(app.url("/auth/sign-in"))
        .json(&json!({ "username": username, "password": password }));
    if let Some(address) = forwarded_for {
        request = request.header("x-forwarded-for", address);
    }
    answer(request.send().await.unwrap()).await
}

fn assert_throttled(status: u16, headers: &reqwest::header::HeaderMap, body: &Value) {
    assert_eq!(status, 429, "{body}");
    let retry: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    assert_eq!(body["kind"], "TOO_MANY_REQUESTS", "{body}");
    assert_eq!(body["code"], 429, "{body}");
    assert_eq!(body["retryAfterSecs"], retry, "{body}");
}

#[tokio::test]
async fn sign_in_is_limited_per_client_address_and_forwarded_for_is_not_trusted_by_default() {
    let app = spawn_app_with(|c| {
        c.auth.sign_in_per_minute_per_address = 5;
        c.auth.sign_in_failures_per_minute_per_user = 1000;
    })
    .await;
    // The harness signed in once already; different user names and claimed
    // addresses change nothing: the peer address is what counts.
    let mut refused = None;
    for i in 0..6 {
        let claimed = format!("203.0.113.{i}");
        let (status, headers, body) =
            try_sign_in(&app, &format!("user{i}"), "wrong password!", Some(&claimed)).await;
        if status == 429 {
            refused = Some((i, headers, body));
            break;
        }
        assert_eq!(status, 401, "{body}");
    }
    let (at, headers, body) = refused.expect("the sixth attempt from one address is refused");
    assert_eq!(at, 4, "four attempts after the harness's sign-in pass");
    assert_throttled(429, &headers, &body);
    assert!(
        body["error"].as_str().unwrap().contains("your address"),
        "{body}"
    );
    // Even the right password waits: the limit comes before any hashing.
    let (status, headers, body) = try_sign_in(&app, "admin", ADMIN_PASSWORD, None).await;
    assert_throttled(status, &headers, &body);
    app.stop().await;
}

#[tokio::test]
async fn failed_sign_ins_are_limited_per_user_name_across_addresses() {
    let app = spawn_app_with(|c| {
        c.auth.sign_in_per_minute_per_address = 1000;
        c.auth.sign_in_failures_per_minute_per_user = 3;
        // Behind a proxy: each attempt claims (and gets) its own address.
        c.auth.trust_forwarded_for = true;
    })
    .await;
    for i in 0..3 {
        let (status, _, body) = try_sign_in(
            &app,
            "admin",
            "wrong password!",
            Some(&format!("198.51.100.{i}")),
        )
        .await;
        assert_eq!(status, 401, "{body}");
    }
    let (status, headers, body) =
        try_sign_in(&app, "Admin", ADMIN_PASSWORD, Some("198.51.100.200")).await;
    assert_throttled(status, &headers, &body);
    assert!(
        body["error"].as_str().unwrap().contains("'Admin'"),
        "{body}"
    );
    // Another user is not locked out by them.
    let (status, _, body) = try_sign_in(&app, "someone", "wrong password!", None).await;
    assert_eq!(status, 401, "{body}");
    app.stop().await;
}

#[tokio::test]
async fn a_flood_of_sign_ins_is_refused_rather_than_queued() {
    let app = spawn_app_with(|c| {
        c.auth.sign_in_per_minute_per_address = 10_000;
        c.auth.sign_in_failures_per_minute_per_user = 10_000;
        c.auth.password_hash_concurrency = 1;
        c.auth.password_hash_queue = 2;
    })
    .await;
    let attempts = (0..40).map(|i| {
        let app = &app;
        async move { try_sign_in(app, &format!("flood{i}"), "wrong password!", None).await }
    });
    let answers = futures::future::join_all(attempts).await;
    let busy = answers.iter().filter(|(s, _, _)| *s == 429).count();
    let denied = answers.iter().filter(|(s, _, _)| *s == 401).count();
    assert_eq!(busy + denied, 40, "only 401s and 429s");
    assert!(busy > 0, "some attempts were turned away");
    assert!(denied >= 1, "at least one was checked");
    let (_, headers, body) = answers.iter().find(|(s, _, _)| *s == 429).unwrap();
    assert_throttled(429, headers, body);
    assert!(body["error"].as_str().unwrap().contains("busy"), "{body}");
    app.stop().await;
}

const CSP_PARTS: [&str; 4] = [
    "default-src 'self'",
    "'wasm-unsafe-eval'",
    "frame-ancestors 'none'",
    "object-src 'none'",
];

fn assert_security_headers(headers: &reqwest::header::HeaderMap, what: &str, hsts: bool) {
    let csp = headers
        .get("content-security-policy")
        .unwrap_or_else(|| panic!("{what}: no CSP"))
        .to_str()
        .unwrap();
    for part in CSP_PARTS {
        assert!(csp.contains(part), "{what}: {csp}");
    }
    assert!(!csp.contains("'unsafe-eval'"), "{what}: {csp}");
    assert_eq!(headers["x-content-type-options"], "nosniff", "{what}");
    assert_eq!(headers["referrer-policy"], "same-origin", "{what}");
    assert_eq!(
        headers.contains_key("strict-transport-security"),
        hsts,
        "{what}"
    );
    assert!(!headers.contains_key("x-lakeport-csp-nonce"), "{what}");
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let app = spawn_app().await;
    let cases = [
        ("health", anonymous().get(app.url("/health"))),
        ("401", anonymous().get(app.url("/tables"))),
        ("sign-in page", anonymous().get(app.url("/ui/sign-in"))),
        ("page redirect", anonymous().get(app.url("/ui/tables"))),
        ("asset", anonymous().get(app.url("/pkg/nothing.js"))),
        ("api", app.client.get(app.url("/tables"))),
        ("page", app.client.get(app.url("/ui/tables"))),
        ("unknown page", app.client.get(app.url("/ui/no-such-page"))),
        (
            "bad json",
            app.client
                .post(app.url("/query/sql"))
                .header("content-type", "application/json")
                .body("{"),
        ),
    ];
    for (what, request) in cases {
        let response = request.send().await.unwrap();
        assert_security_headers(response.headers(), what, true);
    }
    app.stop().await;

    let plain = spawn_app_with(|c| c.auth.secure_cookies = false).await;
    let response = anonymous().get(plain.url("/health")).send().await.unwrap();
    assert_security_headers(response.headers(), "plain http", false);
    plain.stop().await;
}

/// Every `<script>` of a page must be one the page's CSP allows: same-origin
/// `src`, or inline with the nonce the header names.
fn assert_scripts_allowed(html: &str, csp: &str, what: &str) {
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .unwrap_or_else(|| panic!("{what}: the page's CSP has no nonce: {csp}"));
    let mut scripts = 0;
    for tag in html.split("<script").skip(1) {
        let open = &tag[..tag.find('>').expect("script tag closes")];
        scripts += 1;
        let src = attribute(open, "src");
        let has_nonce = attribute(open, "nonce").as_deref() == Some(nonce);
        match src {
            Some(src) => assert!(
                (src.starts_with('/') && !src.starts_with("//")) || has_nonce,
                "{what}: script from elsewhere: {open}"
            ),
            None => assert!(has_nonce, "{what}: inline script without the nonce: {open}"),
        }
    }
    assert!(scripts > 0, "{what}: the page has its hydration script");
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let at = tag.find(&format!(" {name}="))? + name.len() + 2;
    let rest = &tag[at..];
    let quote = rest.chars().next()?;
    if quote == '"' || quote == '\'' {
        rest[1..].split(quote).next().map(str::to_owned)
    } else {
        rest.split([' ', '>']).next().map(str::to_owned)
    }
}

#[tokio::test]
async fn the_pages_csp_allows_exactly_their_own_scripts() {
    let app = spawn_app().await;
    let mut nonces = Vec::new();
    for (what, request) in [
        ("sign-in", anonymous().get(app.url("/ui/sign-in"))),
        ("tables", app.client.get(app.url("/ui/tables"))),
        ("tokens", app.client.get(app.url("/ui/tokens"))),
        ("missing page", app.client.get(app.url("/ui/tables/nope"))),
    ] {
        let response = request.send().await.unwrap();
        let csp = response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        let html = response.text().await.unwrap();
        assert!(html.contains("<html"), "{what}: {html}");
        assert_scripts_allowed(&html, &csp, what);
        nonces.push(csp);
    }
    nonces.sort();
    nonces.dedup();
    assert_eq!(nonces.len(), 4, "each answer has its own nonce");
    app.stop().await;
}

/// Sends a raw HTTP/1.1 request and returns the status and body of the answer.
async fn raw(app: &TestApp, head: &str, chunks: Vec<(Duration, Vec<u8>)>) -> (u16, Value) {
    let address = app.address.trim_start_matches("http://");
    let stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    writer.write_all(head.as_bytes()).await.unwrap();
    // The rest is sent while the answer is read, so an early answer is seen early.
    let sender = tokio::spawn(async move {
        for (pause, chunk) in chunks {
            tokio::time::sleep(pause).await;
            // The server may have answered and closed already.
            if writer.write_all(&chunk).await.is_err() {
                break;
            }
        }
        writer
    });
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(20), reader.read_to_end(&mut buf)).await;
    sender.abort();
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP answer: {text:?}"));
    let body = text.split("\r\n\r\n").nth(1).unwrap_or_default();
    // A chunked answer: the JSON sits between the chunk sizes.
    let json = body
        .find('{')
        .and_then(|start| body.rfind('}').map(|end| &body[start..=end]))
        .and_then(|j| serde_json::from_str(j).ok())
        .unwrap_or(Value::String(body.to_owned()));
    (status, json)
}

#[tokio::test]
async fn bodies_over_the_limit_and_slow_requests_get_json_errors() {
    let app = spawn_app_with(|c| {
        c.http.max_body_bytes = 1024;
        c.http.request_timeout_secs = 1;
    })
    .await;
    let auth = format!("Authorization: Bearer {}\r\n", app.token);

    let big = format!(r#"{{"sql": "SELECT '{}'"}}"#, "x".repeat(2000));
    let response = app
        .client
        .post(app.url("/query/sql"))
        .header("content-type", "application/json")
        .body(big.clone())
        .send()
        .await
        .unwrap();
    let (status, _, body) = answer(response).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["kind"], "PAYLOAD_TOO_LARGE", "{body}");
    assert!(body["error"].as_str().unwrap().contains("1024"), "{body}");

    // Without a Content-Length the limit still holds, in the same shape.
    let head = format!(
        "POST /query/sql HTTP/1.1\r\nHost: x\r\n{auth}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    let chunk = format!("{:x}\r\n{big}\r\n0\r\n\r\n", big.len()).into_bytes();
    let (status, body) = raw(&app, &head, vec![(Duration::ZERO, chunk)]).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["kind"], "PAYLOAD_TOO_LARGE", "{body}");

    // A body that trickles in is cut at the request timeout.
    let small = r#"{"sql": "SELECT 1"}"#;
    let head = format!(
        "POST /query/sql HTTP/1.1\r\nHost: x\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
        small.len(),
        &small[..5]
    );
    let started = std::time::Instant::now();
    let (status, body) = raw(
        &app,
        &head,
        vec![(Duration::from_secs(3), small.as_bytes()[5..].to_vec())],
    )
    .await;
    assert_eq!(status, 408, "{body}");
    assert_eq!(body["kind"], "REQUEST_TIMEOUT", "{body}");
    assert!(started.elapsed() < Duration::from_secs(3), "cut at 1 s");

    // Within the limits all is as before.
    let (status, _) = app
        .post("/query/sql", &json!({ "sql": "SELECT 1 AS one" }))
        .await;
    assert_eq!(status, 200);
    app.stop().await;
}

async fn me(app: &TestApp, cookie: Option<&str>, token: Option<&str>) -> u16 {
    let mut request = anonymous().get(app.url("/auth/me"));
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn changing_the_password_ends_other_sessions_and_revokes_tokens() {
    let app = spawn_app().await;
    let here = sign_in(&app.address, "admin", ADMIN_PASSWORD).await;
    let elsewhere = sign_in(&app.address, "admin", ADMIN_PASSWORD).await;
    let change = |current: &str, new: &str| {
        anonymous()
            .post(app.url("/auth/password"))
            .header("cookie", &here.cookie)
            .header("x-csrf-token", &here.csrf_token)
            .json(&json!({ "currentPassword": current, "newPassword": new }))
            .send()
    };
    let (status, _, body) = answer(
        change("not my password", "a-new-long-password")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["field"], "currentPassword", "{body}");
    let (status, _, body) = answer(change(ADMIN_PASSWORD, "short").await.unwrap()).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["field"], "newPassword", "{body}");
    assert_eq!(
        me(&app, Some(&elsewhere.cookie), None).await,
        200,
        "nothing ended yet"
    );

    let (status, _, body) =
        answer(change(ADMIN_PASSWORD, "a-new-long-password").await.unwrap()).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["endedSessions"].as_u64().unwrap() >= 2, "{body}");
    assert_eq!(body["revokedTokens"], 1, "{body}");

    assert_eq!(
        me(&app, Some(&here.cookie), None).await,
        200,
        "the asking session stays"
    );
    assert_eq!(me(&app, Some(&elsewhere.cookie), None).await, 401);
    assert_eq!(
        me(&app, None, Some(&app.token)).await,
        401,
        "tokens are revoked"
    );
    assert_eq!(
        try_sign_in(&app, "admin", ADMIN_PASSWORD, None).await.0,
        401
    );
    assert_eq!(
        try_sign_in(&app, "admin", "a-new-long-password", None)
            .await
            .0,
        200
    );
    app.stop().await;
}

#[tokio::test]
async fn set_password_ends_every_session_and_token() {
    let app = spawn_app().await;
    let session = sign_in(&app.address, "admin", ADMIN_PASSWORD).await;
    let pool = app.pool().await;
    let ended = lakeport::service::auth::set_password(&pool, "admin", "reset-long-password".into())
        .await
        .unwrap();
    assert!(ended.sessions >= 2 && ended.tokens == 1, "{ended:?}");
    assert_eq!(me(&app, Some(&session.cookie), None).await, 401);
    assert_eq!(me(&app, None, Some(&app.token)).await, 401);
    app.stop().await;
}

#[tokio::test]
async fn tokens_can_expire_and_an_expired_token_says_so() {
    let app = spawn_app().await;
    let (status, body) = app
        .post(
            "/auth/tokens",
            &json!({ "name": "weekly", "expiresInDays": 7 }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let expires = body["expiresAt"].as_i64().unwrap();
    let in_a_week = chrono::Utc::now().timestamp_millis() + 7 * 86_400_000;
    assert!((expires - in_a_week).abs() < 60_000, "{body}");
    let token = body["token"].as_str().unwrap().to_owned();
    assert_eq!(me(&app, None, Some(&token)).await, 200);

    for bad in [
        json!({ "name": "x", "expiresInDays": 0 }),
        json!({ "name": "x", "expiresAt": "2001-01-01T00:00:00Z" }),
        json!({ "name": "x", "expiresAt": "tomorrow" }),
    ] {
        let (status, body) = app.post("/auth/tokens", &bad).await;
        assert_eq!(status, 400, "{bad}: {body}");
    }

    let pool = app.pool().await;
    sqlx::query(
        "UPDATE api_tokens SET expires_at = now() - interval '1 minute' WHERE name = 'weekly'",
    )
    .execute(&pool)
    .await
    .unwrap();
    let (status, _, body) = answer(
        anonymous()
            .get(app.url("/tables"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 401, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("expired"),
        "{body}"
    );
    let (_, list) = app.get("/auth/tokens").await;
    let weekly = list["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "weekly")
        .unwrap();
    assert_eq!(weekly["expired"], true, "{list}");
    app.stop().await;
}

#[tokio::test]
async fn debug_output_of_config_and_sources_shows_no_secret() {
    let mut config = lakeport::config::Config {
        secret_key: Some("c2VjcmV0LWtleS1zZWNyZXQta2V5LXNlY3JldC1rZXk=".into()),
        ..Default::default()
    };
    config.auth.admin_password = Some("admin-password-secret".into());
    let mut secrets = vec![
        "c2VjcmV0LWtleS1zZWNyZXQta2V5LXNlY3JldC1rZXk=".to_owned(),
        "admin-password-secret".to_owned(),
    ];
    let mut printed = format!("{config:?} {config:#?}");
    let params = |pairs: &[(&str, &str)]| -> lakeport::model::table_config::TaskParams {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let rest = "catalog.iceberg-rest";
    let sources = [
        params(&[
            ("catalogType", "s3"),
            ("catalog.s3.bucketName", "lake"),
            ("catalog.s3.region", "us-east-1"),
            ("catalog.s3.accessKey", "AKIA"),
            ("catalog.s3.secretKey", "s3-secret-key-value"),
            ("catalog.s3.sessionToken", "s3-session-token-value"),
        ]),
        params(&[
            ("catalogType", "iceberg-rest"),
            (&format!("{rest}.restUri"), "http://127.0.0.1:1"),
            (&format!("{rest}.token"), "bearer-token-value"),
            (&format!("{rest}.s3.access-key-id"), "AKIA"),
            (
                &format!("{rest}.s3.secret-access-key"),
                "storage-secret-value",
            ),
            (&format!("{rest}.s3.session-token"), "storage-token-value"),
        ]),
        params(&[
            ("catalogType", "iceberg-rest"),
            (&format!("{rest}.restUri"), "http://127.0.0.1:1"),
            (
                &format!("{rest}.credential"),
                "client:oauth-client-secret-value",
            ),
        ]),
        params(&[
            ("catalogType", "iceberg-rest"),
            (&format!("{rest}.restUri"), "http://127.0.0.1:1"),
            (&format!("{rest}.rest.signing-name"), "glue"),
            (&format!("{rest}.rest.signing-region"), "us-east-1"),
            (&format!("{rest}.rest.access-key-id"), "AKIA"),
            (
                &format!("{rest}.rest.secret-access-key"),
                "sigv4-secret-value",
            ),
        ]),
    ];
    secrets.extend(
        [
            "s3-secret-key-value",
            "s3-session-token-value",
            "bearer-token-value",
            "storage-secret-value",
            "storage-token-value",
            "oauth-client-secret-value",
            "sigv4-secret-value",
        ]
        .map(str::to_owned),
    );
    for source in &sources {
        let spec = lakeport::catalogs::parse_source(source, "p").unwrap();
        printed.push_str(&format!("{spec:?} {spec:#?}"));
    }
    for secret in &secrets {
        assert!(
            !printed.contains(secret.as_str()),
            "{secret} printed in {printed}"
        );
    }
    assert!(printed.contains("Secret(*****)"), "{printed}");
}

#[tokio::test]
async fn a_sealed_secret_copied_to_another_connection_does_not_open() {
    let s3 = S3Server::start(&["lake", "other"]).await;
    let endpoint = s3.creds.endpoint.clone();
    let app = spawn_app_with(move |config| config.s3_endpoint = Some(endpoint)).await;
    let params = |bucket: &str, secret: &str| {
        json!({
            "catalogType": "s3",
            "catalog.s3.bucketName": bucket,
            "catalog.s3.region": s3.creds.region,
            "catalog.s3.accessKey": s3.creds.access_key,
            "catalog.s3.secretKey": secret,
        })
    };
    let browse = |bucket: &str, secret: &str| {
        json!({
            "connection": { "type": "CATALOG", "name": bucket, "params": params(bucket, secret) },
            "path": "",
        })
    };
    for bucket in ["lake", "other"] {
        let (status, body) = app
            .post("/connections/browse", &browse(bucket, &s3.creds.secret_key))
            .await;
        assert_eq!(status, 200, "{body}");
    }
    let pool = app.pool().await;
    let ids: Vec<(uuid::Uuid, String)> =
        sqlx::query_as("SELECT id, name FROM connections ORDER BY name")
            .fetch_all(&pool)
            .await
            .unwrap();
    let (lake, other) = (ids[0].0, ids[1].0);
    assert_eq!(ids[0].1, "lake");
    let sealed: Vec<u8> = sqlx::query_scalar("SELECT secrets FROM connections WHERE id = $1")
        .bind(lake)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(sealed.starts_with(b"v2:"), "sealed in the bound format");

    // Copy lake's sealed secrets over other's row.
    sqlx::query("UPDATE connections SET secrets = (SELECT secrets FROM connections WHERE id = $1) WHERE id = $2")
        .bind(lake)
        .bind(other)
        .execute(&pool)
        .await
        .unwrap();
    let (status, body) = app
        .post(&format!("/connections/{other}/validate"), &json!(null))
        .await;
    assert_eq!(status, 409, "{body}");
    let error = body["error"].as_str().unwrap();
    assert!(
        error.contains("does not open") && error.contains(&other.to_string()),
        "{body}"
    );
    let (status, body) = app
        .post("/connections/browse", &browse("other", "*****"))
        .await;
    assert_eq!(status, 409, "a masked secret does not resolve: {body}");
    // The row it came from still works, and the list shows both.
    let (status, body) = app
        .post(&format!("/connections/{lake}/validate"), &json!(null))
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, list) = app.get("/connections").await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["connections"].as_array().unwrap().len(), 2, "{list}");
    // Saving it again with the real secret repairs it.
    let (status, body) = app
        .post(
            "/connections/browse",
            &browse("other", &s3.creds.secret_key),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app
        .post(&format!("/connections/{other}/validate"), &json!(null))
        .await;
    assert_eq!(status, 200, "{body}");
    app.stop().await;
}
