//! Schemas: validated on the way in, refused for deletion while a table uses them.

use lakeport_wire::StatusMessage;
use serde_json::Value;

use crate::error::{ApiError, ApiResult};
use crate::model::schema::TableSchema;
use crate::state::AppState;
use crate::store;

pub async fn create(state: &AppState, body: Value) -> ApiResult<StatusMessage> {
    let schema: TableSchema = serde_json::from_value(body)
        .map_err(|e| ApiError::invalid("schema", format!("is not a valid schema: {e}")))?;
    schema.validate()?;
    let stored = serde_json::to_value(&schema).map_err(ApiError::internal)?;
    store::schemas::upsert(&state.pool, &schema.schema_name, &stored).await?;
    Ok(StatusMessage::new(format!(
        "{} successfully added",
        schema.schema_name
    )))
}

pub async fn get(state: &AppState, name: &str) -> ApiResult<TableSchema> {
    let body = store::schemas::get(&state.pool, name)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("schema '{name}' does not exist")))?;
    serde_json::from_value(body).map_err(ApiError::internal)
}

pub async fn list(state: &AppState) -> ApiResult<Vec<String>> {
    Ok(store::schemas::names(&state.pool).await?)
}

pub async fn delete(state: &AppState, name: &str) -> ApiResult<StatusMessage> {
    let users = store::tables::using_schema(&state.pool, name).await?;
    if !users.is_empty() {
        return Err(ApiError::Conflict(format!(
            "schema '{name}' is used by table(s) {}; delete them first",
            users.join(", ")
        )));
    }
    if !store::schemas::delete(&state.pool, name).await? {
        return Err(ApiError::NotFound(format!(
            "schema '{name}' does not exist"
        )));
    }
    Ok(StatusMessage::new(format!("Schema {name} deleted")))
}
