//! Browser sessions for tower-sessions: records as JSON, expired ones ignored on load and swept.

use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, PgPool};
use tower_sessions::cookie::time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

/// Inserts a new session; false when the id is taken (the caller draws another).
async fn insert(
    exec: impl PgExecutor<'_>,
    id: &str,
    data: &serde_json::Value,
    expires: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "INSERT INTO sessions (id, data, expiry_date) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING",
        id,
        data,
        expires
    )
    .execute(exec)
    .await?;
    Ok(done.rows_affected() == 1)
}

async fn upsert(
    exec: impl PgExecutor<'_>,
    id: &str,
    data: &serde_json::Value,
    expires: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"
        INSERT INTO sessions (id, data, expiry_date) VALUES ($1, $2, $3)
        ON CONFLICT (id) DO UPDATE SET data = EXCLUDED.data, expiry_date = EXCLUDED.expiry_date
        "#,
        id,
        data,
        expires
    )
    .execute(exec)
    .await?;
    Ok(())
}

struct StoredSession {
    data: serde_json::Value,
    expiry_date: DateTime<Utc>,
}

async fn live(exec: impl PgExecutor<'_>, id: &str) -> sqlx::Result<Option<StoredSession>> {
    sqlx::query_as!(
        StoredSession,
        "SELECT data, expiry_date FROM sessions WHERE id = $1 AND expiry_date > now()",
        id
    )
    .fetch_optional(exec)
    .await
}

async fn remove(exec: impl PgExecutor<'_>, id: &str) -> sqlx::Result<()> {
    sqlx::query!("DELETE FROM sessions WHERE id = $1", id)
        .execute(exec)
        .await?;
    Ok(())
}

pub async fn delete_expired(exec: impl PgExecutor<'_>) -> sqlx::Result<u64> {
    Ok(
        sqlx::query!("DELETE FROM sessions WHERE expiry_date <= now()")
            .execute(exec)
            .await?
            .rows_affected(),
    )
}

/// Ends every session of `user_id` except `keep` (the one asking, if any).
pub async fn delete_for_user(
    exec: impl PgExecutor<'_>,
    user_id: uuid::Uuid,
    keep: Option<&str>,
) -> sqlx::Result<u64> {
    Ok(sqlx::query!(
        "DELETE FROM sessions WHERE data->>'user_id' = $1 AND ($2::text IS NULL OR id <> $2)",
        user_id.to_string(),
        keep
    )
    .execute(exec)
    .await?
    .rows_affected())
}

/// tower-sessions' store over the `sessions` table.
#[derive(Debug, Clone)]
pub struct PgSessionStore {
    pool: PgPool,
}

impl PgSessionStore {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

fn backend(err: sqlx::Error) -> session_store::Error {
    session_store::Error::Backend(err.to_string())
}

fn to_chrono(at: OffsetDateTime) -> DateTime<Utc> {
    DateTime::from_timestamp(at.unix_timestamp(), at.nanosecond()).unwrap_or(DateTime::UNIX_EPOCH)
}

fn encode(record: &Record) -> session_store::Result<serde_json::Value> {
    serde_json::to_value(&record.data).map_err(|e| session_store::Error::Encode(e.to_string()))
}

#[async_trait::async_trait]
impl SessionStore for PgSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let data = encode(record)?;
        let expires = to_chrono(record.expiry_date);
        while !insert(&self.pool, &record.id.to_string(), &data, expires)
            .await
            .map_err(backend)?
        {
            record.id = Id::default();
        }
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        upsert(
            &self.pool,
            &record.id.to_string(),
            &encode(record)?,
            to_chrono(record.expiry_date),
        )
        .await
        .map_err(backend)
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let Some(stored) = live(&self.pool, &id.to_string()).await.map_err(backend)? else {
            return Ok(None);
        };
        let data = serde_json::from_value(stored.data)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        let expiry_date = OffsetDateTime::from_unix_timestamp(stored.expiry_date.timestamp())
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date,
        }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        remove(&self.pool, &id.to_string()).await.map_err(backend)
    }
}
