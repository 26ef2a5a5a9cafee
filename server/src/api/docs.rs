//! The OpenAPI 3.1 document (`GET /openapi.json`) and Swagger UI (`/api-docs`): generated from the
//! wire types and the handlers' `#[utoipa::path]`, which are also what the router is built from,
//! so the document cannot list a route that is not served or miss one that is.

use std::collections::BTreeMap;

use lakeport_wire::ErrorBody;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response};
use utoipa::{Modify, OpenApi};

pub use crate::auth::{OPENAPI_PATH, SWAGGER_PATH};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Lakeport",
        description = "Brings lake data (Parquet on S3 or disk, Iceberg tables behind a REST catalog) into a \
            queryable segment store and keeps it in sync. Paths and field names follow Pinot/StarTree's \
            controller API. Sign in with `POST /auth/sign-in` (a session cookie; then send the `csrfToken` \
            as `X-CSRF-Token` on changes) or send an API token as `Authorization: Bearer <token>`.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    components(schemas(ErrorBody)),
    modifiers(&Security),
    security(("bearer" = []), ("session" = [])),
    tags(
        (name = "auth", description = "Signing in, the password and API tokens"),
        (name = "connections", description = "Catalog connections: browse (which validates), saved ones"),
        (name = "schemas", description = "Pinot-style table schemas"),
        (name = "tables", description = "External tables: create from a preview, read, change, pause, delete"),
        (name = "syncs", description = "Sync status, history, checkpoint, ledger, segments and tasks"),
        (name = "realtime", description = "REALTIME tables: rows pushed in, queryable at once, sealed into segments"),
        (name = "exports", description = "DataExportTask: completed segments exported as Parquet files or Iceberg commits"),
        (name = "query", description = "SQL over the synced segments"),
        (name = "ailake", description = "The AI Lake API: object storages, database instances, pipe tables and their long operations"),
        (name = "operations", description = "Health, readiness and metrics"),
    )
)]
pub struct ApiDoc;

/// The two ways to authenticate: an API token, or the browser session's cookie.
struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API token from POST /auth/tokens"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "lakeport-session",
                "The session cookie POST /auth/sign-in sets (named __Host-lakeport-session when \
                 auth.secure_cookies is on); changes also need the X-CSRF-Token header",
            ))),
        );
    }
}

/// Every operation can fail with a 4xx (bad input, not signed in, refused, missing,
/// conflict, too large, too many) or a 5xx, always with [`ErrorBody`].
pub struct ApiErrors;

impl utoipa::IntoResponses for ApiErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let error = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ErrorBody")))
                        .build(),
                )
                .build()
                .into()
        };
        BTreeMap::from([
            (
                "4XX".to_owned(),
                error(
                    "The request is wrong (the body says which field and why), not signed in, refused, or names something that does not exist",
                ),
            ),
            (
                "5XX".to_owned(),
                error("Lakeport or a source it depends on failed; a 503 may be retried"),
            ),
        ])
    }
}
