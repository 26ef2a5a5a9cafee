//! Iceberg REST connections: SigV4 (Glue, S3 Tables), bearer and OAuth2 auth against a real
//! REST catalog, browsing namespaces and tables, and clear errors for what is refused.

use crate::common;

use common::iceberg::IcebergServer;
use common::spawn_app;
use serde_json::{Value, json};

fn browse(params: Value, path: &str) -> Value {
    json!({ "connection": { "type": "CATALOG", "params": params }, "path": path })
}

fn sigv4_params(server: &IcebergServer, signing_name: &str, secret: &str) -> Value {
    json!({
        "catalogType": "iceberg-rest",
        "catalog.iceberg-rest.restUri": server.get("uri"),
        "catalog.iceberg-rest.warehouse": server.get("warehouse"),
        "catalog.iceberg-rest.rest.signing-name": signing_name,
        "catalog.iceberg-rest.rest.signing-region": server.get("region"),
        "catalog.iceberg-rest.rest.access-key-id": server.get("access_key"),
        "catalog.iceberg-rest.rest.secret-access-key": secret,
    })
}

async fn with_table(server: &IcebergServer) {
    server.table_step(&["append", "--ids", "0:100"]).await;
}

#[tokio::test]
async fn glue_style_sigv4_is_signed_by_lakeport_and_checked_by_the_catalog() {
    let server = IcebergServer::start("sigv4", "glue").await;
    with_table(&server).await;
    let app = spawn_app().await;
    let secret = server.get("secret_key");

    let (code, body) = app
        .post(
            "/connections/browse",
            &browse(sigv4_params(&server, "glue", &secret), ""),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["items"], json!([{ "name": "lake/", "type": "DIR" }]));
    let (code, body) = app
        .post(
            "/connections/browse",
            &browse(sigv4_params(&server, "glue", &secret), "lake"),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(
        body["items"],
        json!([{ "name": "events", "type": "TABLE" }])
    );

    let (code, body) = app
        .post(
            "/connections/browse",
            &browse(sigv4_params(&server, "glue", "wrong-secret"), ""),
        )
        .await;
    assert_eq!(code, 400, "{body}");
    assert_eq!(body["kind"], "CATALOG_ACCESS_DENIED", "{body}");
    assert!(
        !body.to_string().contains("wrong-secret"),
        "the secret is never echoed"
    );

    let (code, body) = app
        .post(
            "/connections/browse",
            &browse(sigv4_params(&server, "s3tables", &secret), ""),
        )
        .await;
    assert_eq!(
        code, 400,
        "a request signed for another service is refused: {body}"
    );
    assert_eq!(body["kind"], "CATALOG_ACCESS_DENIED", "{body}");

    // Previewing needs the table named.
    let (code, body) = app
        .post(
            "/tables/preview",
            &json!({ "tableConfig": { "tableName": "events", "task": { "taskTypeConfigsMap": {
                "IcebergIngestionTask": sigv4_params(&server, "glue", &secret) } } } }),
        )
        .await;
    assert_eq!(code, 400, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("table.tableName"),
        "{body}"
    );
    app.stop().await;
}

#[tokio::test]
async fn s3_tables_style_sigv4_uses_its_own_signing_name() {
    let server = IcebergServer::start("sigv4", "s3tables").await;
    with_table(&server).await;
    let app = spawn_app().await;
    let params = sigv4_params(&server, "s3tables", &server.get("secret_key"));
    let (code, body) = app
        .post("/connections/browse", &browse(params, "lake"))
        .await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(
        body["items"],
        json!([{ "name": "events", "type": "TABLE" }])
    );
    app.stop().await;
}

#[tokio::test]
async fn bearer_tokens_and_oauth2_client_credentials() {
    let bearer = IcebergServer::start("bearer", "glue").await;
    let oauth = IcebergServer::start("oauth2", "glue").await;
    let app = spawn_app().await;
    let token = |t: &str| json!({ "catalogType": "iceberg-rest", "catalog.iceberg-rest.restUri": bearer.get("uri"), "catalog.iceberg-rest.token": t });
    let (code, body) = app
        .post(
            "/connections/browse",
            &browse(token(&bearer.get("token")), ""),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    let (code, body) = app
        .post("/connections/browse", &browse(token("not-the-token"), ""))
        .await;
    assert_eq!(
        (code, body["kind"].clone()),
        (400, json!("CATALOG_ACCESS_DENIED")),
        "{body}"
    );

    let credential = |secret: &str| {
        json!({
            "catalogType": "iceberg-rest",
            "catalog.iceberg-rest.restUri": oauth.get("uri"),
            "catalog.iceberg-rest.credential": format!("{}:{secret}", oauth.get("client_id")),
            "catalog.iceberg-rest.scope": "catalog",
        })
    };
    let (code, body) = app
        .post(
            "/connections/browse",
            &browse(credential(&oauth.get("client_secret")), ""),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    let (code, body) = app
        .post("/connections/browse", &browse(credential("wrong"), ""))
        .await;
    assert_eq!(code, 400, "{body}");
    let message = body["error"].as_str().unwrap();
    assert!(
        message.contains("refused client") && !message.contains("wrong"),
        "{body}"
    );
    app.stop().await;
}

#[tokio::test]
async fn an_iceberg_table_previews_from_its_current_snapshot() {
    let server = IcebergServer::start("sigv4", "glue").await;
    server
        .table_step(&[
            "append",
            "--ids",
            "0:100",
            "+",
            "append",
            "--ids",
            "100:150",
            "+",
            "delete",
            "--where",
            "city = 'Oslo'",
        ])
        .await;
    let stats = server.table_step(&["stats"]).await;
    let app = spawn_app().await;
    let mut params = sigv4_params(&server, "glue", &server.get("secret_key"));
    for (key, value) in [
        ("catalog.iceberg-rest.table.namespace", "lake".to_owned()),
        ("catalog.iceberg-rest.table.tableName", "events".to_owned()),
        (
            "catalog.iceberg-rest.s3.access-key-id",
            server.get("s3_access_key"),
        ),
        (
            "catalog.iceberg-rest.s3.secret-access-key",
            server.get("s3_secret_key"),
        ),
        (
            "catalog.iceberg-rest.s3.endpoint",
            server.get("s3_endpoint"),
        ),
        ("catalog.iceberg-rest.s3.region", server.get("s3_region")),
    ] {
        params[key] = json!(value);
    }
    let request = |config: Value| {
        json!({
            "tableConfig": { "tableName": "events", "task": { "taskTypeConfigsMap": { "IcebergIngestionTask": params.clone() } } },
            "config": config,
        })
    };

    let (code, body) = app
        .post(
            "/tables/preview",
            &request(json!({ "sampling": { "max": 500 } })),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    let types = common::schema_fields(&body["schema"]);
    for expected in [
        ("id", "LONG"),
        ("city", "STRING"),
        ("amount", "DOUBLE"),
        ("ts", "TIMESTAMP"),
    ] {
        assert!(
            types
                .get(expected.0)
                .is_some_and(|(data_type, _)| data_type == expected.1),
            "{expected:?} in {types:?}"
        );
    }
    assert_eq!(
        body["summary"]["nSourceRows"], stats["rows"],
        "rows of the current snapshot, deletes applied"
    );
    assert!(
        body["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["city"] != "Oslo"),
        "deleted rows are not sampled"
    );
    assert_eq!(
        body["tableConfigs"]["offline"]["task"]["taskTypeConfigsMap"]["IcebergIngestionTask"]["catalog.iceberg-rest.rest.secret-access-key"],
        "*****"
    );

    let (code, body) = app
        .post(
            "/tables/preview",
            &request(json!({ "previewFiles": { "previewFilesOnly": true } })),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    let files = body["sourceFiles"].as_array().unwrap();
    assert!(
        !files.is_empty()
            && files
                .iter()
                .all(|f| f.as_str().unwrap().starts_with("s3://")),
        "{body}"
    );

    // A schema field the Iceberg table does not have: refused, and nothing is created.
    let schema = json!({ "schemaName": "events", "dimensionFieldSpecs": [
        { "name": "id", "dataType": "LONG" }, { "name": "country", "dataType": "STRING" }] });
    let (code, _) = app.post("/schemas", &schema).await;
    assert_eq!(code, 200);
    let (code, body) = app
        .post("/tables", &request(json!({}))["tableConfig"])
        .await;
    assert_eq!(code, 400, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("'country'"),
        "{body}"
    );
    assert_eq!(app.get("/tables").await.1, json!({ "tables": [] }));
    app.stop().await;
}
