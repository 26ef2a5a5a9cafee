//! Sign-in, sessions, CSRF, cross-site refusal and API tokens, through the real HTTP server.

use crate::common;

use common::{ADMIN_PASSWORD, BrowserSession, TestApp, sign_in, spawn_app};
use reqwest::redirect::Policy;
use serde_json::{Value, json};

fn anonymous() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
}

async fn answer(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// A request as a signed-in browser page makes it (cookie, and the CSRF header when given).
async fn as_browser(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    session: &BrowserSession,
    csrf: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = anonymous()
        .request(method, app.url(path))
        .header("cookie", &session.cookie);
    if let Some(csrf) = csrf {
        request = request.header("x-csrf-token", csrf);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    answer(request.send().await.unwrap()).await
}

#[tokio::test]
async fn anonymous_visitors_get_401_from_the_api_and_the_sign_in_page_for_pages() {
    let app = spawn_app().await;
    let client = anonymous();

    let response = client.get(app.url("/tables")).send().await.unwrap();
    assert_eq!(
        response.headers()["www-authenticate"],
        "Bearer realm=\"lakeport\""
    );
    let (status, body) = answer(response).await;
    assert_eq!(status, 401, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("Authorization: Bearer"),
        "{body}"
    );

    let response = client
        .post(app.url("/query/sql"))
        .json(&json!({ "sql": "SELECT 1" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);

    for (page, next) in [("/ui/tables", "%2Fui%2Ftables"), ("/", "%2F")] {
        let response = client.get(app.url(page)).send().await.unwrap();
        assert_eq!(response.status(), 303, "{page}");
        assert_eq!(
            response.headers()["location"],
            format!("/ui/sign-in?next={next}").as_str(),
            "{page}"
        );
    }

    for public in ["/health", "/ready", "/ui/sign-in"] {
        let response = client.get(app.url(public)).send().await.unwrap();
        assert!(
            response.status().is_success(),
            "{public}: {}",
            response.status()
        );
    }
    // Assets are public too (the test server has no built site, hence no file).
    let response = client
        .get(app.url("/pkg/lakeport.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);

    for (header, message) in [
        ("Bearer lp_not-a-real-token", "unknown or was revoked"),
        ("Basic YWRtaW46eA==", "must be 'Bearer <token>'"),
    ] {
        let (status, body) = answer(
            client
                .get(app.url("/tables"))
                .header("authorization", header)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 401, "{header}");
        assert!(body["error"].as_str().unwrap().contains(message), "{body}");
    }
    app.stop().await;
}

#[tokio::test]
async fn sign_in_sets_a_hardened_cookie_rotates_the_session_and_sign_out_ends_it() {
    let app = spawn_app().await;
    let client = anonymous();
    let sessions = || async {
        let count: i64 = sqlx::query_scalar("SELECT count(*) FROM sessions")
            .fetch_one(&app.pool().await)
            .await
            .unwrap();
        count
    };
    // The harness's own sign-in (for its API token).
    let before = sessions().await;

    for (username, password) in [("admin", "wrong password!"), ("nobody", ADMIN_PASSWORD)] {
        let (status, body) = answer(
            client
                .post(app.url("/auth/sign-in"))
                .json(&json!({ "username": username, "password": password }))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 401, "{username}: {body}");
        assert_eq!(body["error"], "wrong username or password");
    }

    let first = sign_in(&app.address, "admin", ADMIN_PASSWORD).await;
    let attributes: Vec<String> = first
        .set_cookie
        .split(';')
        .map(|a| a.trim().to_ascii_lowercase())
        .collect();
    assert!(
        first.cookie.starts_with("__Host-lakeport-session="),
        "{}",
        first.set_cookie
    );
    for wanted in ["secure", "httponly", "samesite=lax", "path=/"] {
        assert!(
            attributes.iter().any(|a| a == wanted),
            "{wanted} in {}",
            first.set_cookie
        );
    }
    assert!(
        !attributes.iter().any(|a| a.starts_with("domain")),
        "{}",
        first.set_cookie
    );

    let (status, me) = as_browser(&app, reqwest::Method::GET, "/auth/me", &first, None, None).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["username"], "admin");
    assert_eq!(me["auth"], "session");
    assert_eq!(me["csrfToken"], first.csrf_token.as_str());

    // Signing in again from the same browser gets a new session id; the old one is dead.
    let response = client
        .post(app.url("/auth/sign-in"))
        .header("cookie", &first.cookie)
        .json(&json!({ "username": "admin", "password": ADMIN_PASSWORD }))
        .send()
        .await
        .unwrap();
    let second_cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let (status, body) = answer(response).await;
    assert_eq!(status, 200);
    assert_ne!(second_cookie, first.cookie);
    let second = BrowserSession {
        cookie: second_cookie,
        csrf_token: body["csrfToken"].as_str().unwrap().to_owned(),
        set_cookie: String::new(),
    };
    let (status, _) = as_browser(&app, reqwest::Method::GET, "/auth/me", &first, None, None).await;
    assert_eq!(status, 401, "the pre-rotation session id must not work");
    let (status, _) = as_browser(&app, reqwest::Method::GET, "/auth/me", &second, None, None).await;
    assert_eq!(status, 200);

    let (status, _) = as_browser(
        &app,
        reqwest::Method::POST,
        "/auth/sign-out",
        &second,
        None,
        None,
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = as_browser(&app, reqwest::Method::GET, "/auth/me", &second, None, None).await;
    assert_eq!(status, 401, "the session must be gone after sign-out");
    assert_eq!(
        sessions().await,
        before,
        "sign-out and rotation delete sessions from the store"
    );
    app.stop().await;
}

#[tokio::test]
async fn state_changes_need_the_csrf_token_and_cross_site_requests_are_refused() {
    let app = spawn_app().await;
    let session = sign_in(&app.address, "admin", ADMIN_PASSWORD).await;
    let body = || Some(json!({ "name": "from-browser" }));

    for csrf in [None, Some("wrong-token")] {
        let (status, answer) = as_browser(
            &app,
            reqwest::Method::POST,
            "/auth/tokens",
            &session,
            csrf,
            body(),
        )
        .await;
        assert_eq!(status, 403, "{answer}");
        assert!(
            answer["error"].as_str().unwrap().contains("x-csrf-token"),
            "{answer}"
        );
    }
    let (tokens, _) = as_browser(
        &app,
        reqwest::Method::GET,
        "/auth/tokens",
        &session,
        None,
        None,
    )
    .await;
    assert_eq!(tokens, 200, "reads need no CSRF token");

    // A page on another origin (even another port of the same host) is refused,
    // with a valid cookie and CSRF token, and even with an API token.
    for origin in ["http://evil.example", "http://127.0.0.1:1", "null"] {
        let response = anonymous()
            .post(app.url("/auth/tokens"))
            .header("cookie", &session.cookie)
            .header("x-csrf-token", &session.csrf_token)
            .header("origin", origin)
            .json(&json!({ "name": "cross" }))
            .send()
            .await
            .unwrap();
        let (status, answer) = self::answer(response).await;
        assert_eq!(status, 403, "{origin}: {answer}");
        assert!(
            answer["error"].as_str().unwrap().contains("cross-site"),
            "{answer}"
        );
    }
    let response = app
        .client
        .post(app.url("/tasks/schedule?taskType=ExternalTableSyncTask&tableName=x"))
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let response = anonymous()
        .post(app.url("/auth/sign-in"))
        .header("origin", "http://evil.example")
        .form(&[("username", "admin"), ("password", ADMIN_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403, "login CSRF is refused too");

    let same_origin = app.address.clone();
    let response = anonymous()
        .post(app.url("/auth/tokens"))
        .header("cookie", &session.cookie)
        .header("x-csrf-token", &session.csrf_token)
        .header("origin", same_origin)
        .header("sec-fetch-site", "same-origin")
        .json(&json!({ "name": "same-origin" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn the_html_form_signs_in_and_only_follows_local_next_paths() {
    let app = spawn_app().await;
    let form = |password: &'static str, next: &'static str| {
        anonymous()
            .post(app.url("/auth/sign-in"))
            .form(&[
                ("username", "admin"),
                ("password", password),
                ("next", next),
            ])
            .send()
    };
    let response = form(ADMIN_PASSWORD, "/ui/tokens").await.unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/ui/tokens");
    assert!(response.headers().contains_key("set-cookie"));

    let response = form(ADMIN_PASSWORD, "//evil.example/").await.unwrap();
    assert_eq!(response.headers()["location"], "/");
    // Browsers drop tabs and newlines from URLs: these mean `//evil.example`.
    for sneaky in ["/\t/evil.example", "/\n/evil.example", "/\\evil.example"] {
        let response = form(ADMIN_PASSWORD, sneaky).await.unwrap();
        assert_eq!(response.headers()["location"], "/", "{sneaky:?}");
    }

    let response = form("wrong password!", "/ui/tokens").await.unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(
        response.headers()["location"],
        "/ui/sign-in?failed=1&next=%2Fui%2Ftokens"
    );
    assert!(!response.headers().contains_key("set-cookie"));
    app.stop().await;
}

#[tokio::test]
async fn tokens_are_shown_once_listed_without_secret_and_stop_working_when_revoked() {
    let app = spawn_app().await;
    let (status, created) = app
        .post("/auth/tokens", &json!({ "name": "nightly" }))
        .await;
    assert_eq!(status, 200, "{created}");
    let secret = created["token"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("lp_") && secret.starts_with(created["prefix"].as_str().unwrap()));

    let scripted = common::client_with_token(&secret);
    let response = scripted.get(app.url("/tables")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let me: Value = scripted
        .get(app.url("/auth/me"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["auth"], "token");
    assert_eq!(me["csrfToken"], Value::Null);

    let (_, list) = app.get("/auth/tokens").await;
    let listed = list["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "nightly")
        .cloned()
        .expect("listed");
    assert_eq!(listed["id"], created["id"]);
    assert!(
        !list.to_string().contains(&secret),
        "the secret is never listed"
    );
    assert!(listed["lastUsedAt"].is_i64(), "use is recorded: {listed}");

    let (status, body) = app
        .post("/auth/tokens", &json!({ "name": "nightly" }))
        .await;
    assert_eq!(status, 409, "{body}");
    let (status, body) = app.post("/auth/tokens", &json!({ "name": "  " })).await;
    assert_eq!(
        (status, body["field"].as_str()),
        (400, Some("name")),
        "{body}"
    );

    let id = created["id"].as_str().unwrap();
    let (status, _) = app.delete(&format!("/auth/tokens/{id}")).await;
    assert_eq!(status, 200);
    let response = scripted.get(app.url("/tables")).send().await.unwrap();
    assert_eq!(
        response.status(),
        401,
        "a revoked token stops working at once"
    );
    let (status, _) = app.delete(&format!("/auth/tokens/{id}")).await;
    assert_eq!(status, 404);
    let (status, body) = app.delete("/auth/tokens/not-a-uuid").await;
    assert_eq!(status, 400, "{body}");
    let (status, _) = app
        .post("/auth/tokens", &json!({ "name": "nightly" }))
        .await;
    assert_eq!(status, 200, "a revoked token's name can be reused");
    app.stop().await;
}

#[tokio::test]
async fn the_cli_creates_users_and_tokens() {
    let app = spawn_app().await;
    let run = |args: &[&str], stdin: &str| {
        let mut child = std::process::Command::new(common::process::bin())
            .args(args)
            .env("LAKEPORT_DATABASE_URL", &app.database_url)
            .env("LAKEPORT_DATA_DIR", &app.data_dir)
            .env("RUST_LOG", "error")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let out = run(&["create-user", "--username", "ops"], "short\n");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 12 characters"));
    let out = run(&["create-user", "--username", "ops"], "ops password long\n");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&["create-user", "--username", "ops"], "ops password long\n");
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
    sign_in(&app.address, "ops", "ops password long").await;

    let out = run(
        &["create-token", "--username", "ops", "--name", "bootstrap"],
        "",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let me: Value = common::client_with_token(&token)
        .get(app.url("/auth/me"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["username"], "ops");

    let out = run(
        &["set-password", "--username", "ops"],
        "a new long password\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    sign_in(&app.address, "ops", "a new long password").await;
    app.stop().await;
}

#[tokio::test]
async fn pages_render_on_the_server_for_a_token_and_a_missing_table_is_a_404() {
    let app = spawn_app().await;
    let response = app.client.get(app.url("/ui/tables")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("<h1") && html.contains("Tables"), "{html}");
    let response = app
        .client
        .get(app.url("/ui/tables/nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert!(response.text().await.unwrap().contains("does not exist"));
    app.stop().await;
}
