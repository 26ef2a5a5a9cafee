//! The OpenAPI document and Swagger UI: served without signing in, OpenAPI 3.1, and every
//! operation it lists is a route the server answers (with the documented error shape).

use crate::common;

use common::spawn_app;
use serde_json::Value;

/// A value for a path parameter that no table, schema or id has.
fn placeholder(name: &str) -> &'static str {
    match name {
        "id" => "00000000-0000-4000-8000-000000000000",
        "task_type" => "ExternalTableSyncTask",
        _ => "no_such_thing",
    }
}

fn fill(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').expect("closing brace") + start;
        out.push_str(placeholder(&rest[start + 1..end]));
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

#[tokio::test]
async fn the_document_lists_every_operation_and_each_is_served() {
    let app = spawn_app().await;
    let anonymous = reqwest::Client::new();
    let document: Value = anonymous
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .expect("the document is public")
        .json()
        .await
        .unwrap();
    assert!(
        document["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        document["openapi"]
    );
    assert!(
        document["components"]["schemas"]["ErrorBody"].is_object(),
        "the error shape is described"
    );
    let paths = document["paths"].as_object().expect("paths");
    for expected in [
        "/tables",
        "/tables/preview",
        "/tables/{name}/externalTable/status",
        "/query/sql",
        "/connections/browse",
        "/schemas/{name}",
        "/tasks/schedule",
    ] {
        assert!(paths.contains_key(expected), "{expected} is not documented");
    }

    let mut checked = 0;
    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap() {
            let Ok(method) = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()) else {
                continue;
            };
            if path == "/auth/sign-out" || path == "/auth/password" {
                // Would end the test's own session or tokens; routed like the rest.
                continue;
            }
            let url = app.url(&fill(path));
            let mut request = app.client.request(method.clone(), &url);
            if method == reqwest::Method::POST || method == reqwest::Method::PUT {
                request = request
                    .header("content-type", "application/json")
                    .body("{}");
            }
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let content_type = response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let body = response.text().await.unwrap();
            assert_ne!(status, 405, "{method} {path} is documented but not routed");
            assert!(
                !content_type.starts_with("text/html"),
                "{method} {path} answered the web app's page: it is not routed"
            );
            if status >= 400 {
                let error: Value = serde_json::from_str(&body)
                    .unwrap_or_else(|_| panic!("{method} {path}: {status} {body}"));
                assert_ne!(
                    error["error"], "no such endpoint",
                    "{method} {path} is documented but not routed"
                );
                assert!(error["kind"].is_string(), "{method} {path}: {body}");
                assert!(
                    operation["responses"]
                        .as_object()
                        .is_some_and(|r| r.contains_key(&format!("{}XX", status / 100))),
                    "{method} {path} answered {status}, which it does not document"
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 30, "only {checked} operations were checked");
}

#[tokio::test]
async fn swagger_ui_is_served_from_the_binary() {
    let app = spawn_app().await;
    let anonymous = reqwest::Client::new();
    let page = anonymous.get(app.url("/api-docs/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "{html}");
    let config = anonymous
        .get(app.url("/api-docs/swagger-initializer.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(config.status(), 200);
    assert!(config.text().await.unwrap().contains("/openapi.json"));
}
