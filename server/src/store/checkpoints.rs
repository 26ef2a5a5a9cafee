//! The watermark of each table: how far its source has been ingested.

use sqlx::PgExecutor;

#[derive(Debug, Clone)]
pub struct Checkpoint {
    pub checkpoint_type: String,
    pub checkpoint_value: String,
}

pub async fn save(
    exec: impl PgExecutor<'_>,
    table: &str,
    kind: &str,
    value: &str,
    run_id: i64,
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"
        INSERT INTO checkpoints (table_name, checkpoint_type, checkpoint_value, run_id) VALUES ($1, $2, $3, $4)
        ON CONFLICT (table_name) DO UPDATE
        SET checkpoint_type = EXCLUDED.checkpoint_type, checkpoint_value = EXCLUDED.checkpoint_value,
            run_id = EXCLUDED.run_id, updated_at = now()
        "#,
        table,
        kind,
        value,
        run_id
    )
    .execute(exec)
    .await?;
    Ok(())
}

pub async fn get(exec: impl PgExecutor<'_>, table: &str) -> sqlx::Result<Option<Checkpoint>> {
    sqlx::query_as!(
        Checkpoint,
        "SELECT checkpoint_type, checkpoint_value FROM checkpoints WHERE table_name = $1",
        table
    )
    .fetch_optional(exec)
    .await
}
