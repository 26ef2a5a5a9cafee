//! What each Iceberg table was at onboarding: its UUID and which field id feeds each column.

use std::collections::{BTreeMap, BTreeSet};

use sqlx::PgExecutor;
use sqlx::types::Json;

use crate::catalogs::iceberg_rest::evolution::FieldBindings;

pub async fn get(exec: impl PgExecutor<'_>, table: &str) -> sqlx::Result<Option<FieldBindings>> {
    let row = sqlx::query!(
        r#"
        SELECT table_uuid, column_field_ids AS "column_field_ids: Json<BTreeMap<String, i32>>", known_field_ids
        FROM iceberg_sources WHERE table_name = $1
        "#,
        table
    )
    .fetch_optional(exec)
    .await?;
    Ok(row.map(|r| FieldBindings {
        table_uuid: r.table_uuid,
        columns: r.column_field_ids.0,
        known_field_ids: r.known_field_ids.into_iter().collect::<BTreeSet<i32>>(),
    }))
}

pub async fn save(
    exec: impl PgExecutor<'_>,
    table: &str,
    bindings: &FieldBindings,
) -> sqlx::Result<()> {
    let known: Vec<i32> = bindings.known_field_ids.iter().copied().collect();
    sqlx::query!(
        r#"
        INSERT INTO iceberg_sources (table_name, table_uuid, column_field_ids, known_field_ids)
        VALUES ($1, $2, $3, $4)
        ON CONFLICT (table_name) DO UPDATE
        SET table_uuid = EXCLUDED.table_uuid, column_field_ids = EXCLUDED.column_field_ids,
            known_field_ids = EXCLUDED.known_field_ids, updated_at = now()
        "#,
        table,
        bindings.table_uuid,
        Json(&bindings.columns) as _,
        &known
    )
    .execute(exec)
    .await?;
    Ok(())
}
