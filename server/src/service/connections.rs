//! Connections for the handlers: browse (and save), list with secrets masked, validate, delete.
//! Resolving and sealing secrets is `sources`' job.

use uuid::Uuid;

use serde_json::{Value, json};

use crate::catalogs::{self, parse_source};
use crate::error::{ApiError, ApiResult};
use crate::model::table_config::{SECRET_MASK, TaskParams};
use crate::sources::{self, open_secrets};
use crate::state::AppState;
use crate::store;

/// Validates a connection by browsing `path` in it (a 200, even with no items,
/// proves the credentials work) and saves it when it has secrets.
pub async fn browse(
    state: &AppState,
    params: &TaskParams,
    path: &str,
    name: Option<&str>,
) -> ApiResult<Value> {
    let source = sources::resolve(&state.sources(), params, "connection.params").await?;
    let catalog = catalogs::open(&source.spec, &state.config).await?;
    let items = catalog.browse(path).await?;
    let saved = sources::remember(&state.sources(), &source, name).await;
    saved.map_err(|e| match e {
        ApiError::Conflict(_) => ApiError::invalid(
            "connection.name",
            format!(
                "a different connection is already named '{}'",
                name.unwrap_or_default()
            ),
        ),
        other => other,
    })?;
    Ok(json!({ "items": items }))
}

/// Saved connections, secrets masked, each with the tables that use it.
pub async fn list(state: &AppState) -> ApiResult<Value> {
    let rows = store::connections::list_with_tables(&state.pool).await?;
    let mut connections = Vec::with_capacity(rows.len());
    for row in rows {
        let mut params = row.params.as_object().cloned().unwrap_or_default();
        // One damaged row must not hide the others: it is listed with the error.
        let secrets_error = match open_secrets(&state.secrets, row.id, &row.secrets) {
            Ok(secrets) => {
                for key in secrets.keys() {
                    params.insert(key.clone(), json!(SECRET_MASK));
                }
                None
            }
            Err(err) => {
                tracing::warn!(connection = %row.id, error = %err, "stored secrets do not open");
                Some(err.to_string())
            }
        };
        connections.push(json!({
            "secretsError": secrets_error,
            "id": row.id,
            "name": row.name,
            "catalogType": row.catalog_type,
            "params": params,
            "tables": row.tables,
            "createdAt": row.created_at.timestamp_millis(),
            "updatedAt": row.updated_at.timestamp_millis(),
        }));
    }
    Ok(json!({ "connections": connections }))
}

/// Checks a saved connection again with its stored secrets.
pub async fn validate(state: &AppState, id: Uuid) -> ApiResult<Value> {
    let connection = store::connections::by_id(&state.pool, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no saved connection with id {id}")))?;
    let mut params: TaskParams = connection
        .params
        .as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default();
    params.insert("catalogType".into(), connection.catalog_type.clone());
    params.extend(open_secrets(
        &state.secrets,
        connection.id,
        &connection.secrets,
    )?);
    let spec = parse_source(&params, "connection.params")?;
    let items = catalogs::open(&spec, &state.config)
        .await?
        .browse("")
        .await?;
    Ok(json!({ "id": id, "status": "OK", "items": items.len() }))
}

/// Deletes a saved connection unless a table still uses it.
pub async fn delete(state: &AppState, id: Uuid) -> ApiResult<Value> {
    let using = store::connections::tables_using(&state.pool, id).await?;
    if !using.is_empty() {
        return Err(ApiError::Conflict(format!(
            "connection {id} is used by table(s) {}; delete those tables first",
            using.join(", ")
        )));
    }
    match store::connections::delete(&state.pool, id).await {
        Ok(true) => Ok(json!({ "status": "deleted", "id": id })),
        Ok(false) => Err(ApiError::NotFound(format!(
            "no saved connection with id {id}"
        ))),
        // A table created from it since the check above.
        Err(err) => Err(err.into()),
    }
}
