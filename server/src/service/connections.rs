//! Connections for the handlers: browse (and save), list with secrets masked, validate, delete.
//! Resolving and sealing secrets is `sources`' job.

use uuid::Uuid;

use lakeport_wire::connections::{
    BrowseAnswer, ConnectionList, ConnectionValidated, Removed, SavedConnection,
};
use serde_json::Value;

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
) -> ApiResult<BrowseAnswer> {
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
    Ok(BrowseAnswer { items })
}

/// Saved connections, secrets masked, each with the tables that use it.
pub async fn list(state: &AppState) -> ApiResult<ConnectionList> {
    let rows = store::connections::list_with_tables(&state.pool).await?;
    let mut connections = Vec::with_capacity(rows.len());
    for row in rows {
        let mut params = stored_params(&row.params);
        // One damaged row must not hide the others: it is listed with the error.
        let secrets_error = match open_secrets(&state.secrets, row.id, &row.secrets) {
            Ok(secrets) => {
                for key in secrets.keys() {
                    params.insert(key.clone(), SECRET_MASK.to_owned());
                }
                None
            }
            Err(err) => {
                tracing::warn!(connection = %row.id, error = %err, "stored secrets do not open");
                Some(err.to_string())
            }
        };
        connections.push(SavedConnection {
            secrets_error,
            id: row.id.to_string(),
            name: row.name,
            catalog_type: row.catalog_type,
            params,
            tables: row.tables,
            created_at: row.created_at.timestamp_millis(),
            updated_at: row.updated_at.timestamp_millis(),
        });
    }
    Ok(ConnectionList { connections })
}

/// A saved connection's public parameters, stored as a JSON object of strings.
fn stored_params(params: &Value) -> TaskParams {
    params
        .as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// Checks a saved connection again with its stored secrets.
pub async fn validate(state: &AppState, id: Uuid) -> ApiResult<ConnectionValidated> {
    let connection = store::connections::by_id(&state.pool, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no saved connection with id {id}")))?;
    let mut params = stored_params(&connection.params);
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
    Ok(ConnectionValidated {
        id: id.to_string(),
        status: "OK".into(),
        items: items.len() as u64,
    })
}

/// Deletes a saved connection unless a table still uses it.
pub async fn delete(state: &AppState, id: Uuid) -> ApiResult<Removed> {
    let using = store::connections::tables_using(&state.pool, id).await?;
    if !using.is_empty() {
        return Err(ApiError::Conflict(format!(
            "connection {id} is used by table(s) {}; delete those tables first",
            using.join(", ")
        )));
    }
    match store::connections::delete(&state.pool, id).await {
        Ok(true) => Ok(Removed {
            status: "deleted".into(),
            id: id.to_string(),
        }),
        Ok(false) => Err(ApiError::NotFound(format!(
            "no saved connection with id {id}"
        ))),
        // A table created from it since the check above.
        Err(err) => Err(err.into()),
    }
}
