//! The work queue: one row per table and kind of work, claimed with `FOR UPDATE SKIP LOCKED`
//! and held by a heartbeat-renewed lease.

use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, Postgres, Transaction};
use uuid::Uuid;

/// What a task row stands for. Each kind has its own row and lease, so a table can sync or
/// seal while it exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskKind {
    /// Load new files or snapshots of a lake source (ExternalTableSyncTask).
    Sync,
    /// Seal a REALTIME table's consuming rows into completed segments.
    Seal,
    /// Run a DataExportTask cycle.
    Export,
    /// Carry out a long AI Lake operation; the row is named by the operation id, not a table.
    Operation,
}

impl TaskKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskKind::Sync => "sync",
            TaskKind::Seal => "seal",
            TaskKind::Export => "export",
            TaskKind::Operation => "operation",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            TaskKind::Sync,
            TaskKind::Seal,
            TaskKind::Export,
            TaskKind::Operation,
        ]
        .into_iter()
        .find(|k| k.as_str() == text)
    }
}

#[derive(Debug, Clone)]
pub struct Claim {
    pub table_name: String,
    pub kind: TaskKind,
    pub token: Uuid,
    pub trigger: String,
    /// The schedule request waiting when the table was claimed: the run that starts takes it.
    pub request_id: Option<i64>,
}

/// Adds the task, due now; a task that already exists is left as it is.
pub async fn create(
    exec: impl PgExecutor<'_>,
    table: &str,
    kind: TaskKind,
    trigger: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO sync_tasks (table_name, task_type, next_run_at, requested_at, request_trigger) VALUES ($1, $2, now(), now(), $3) ON CONFLICT DO NOTHING",
        table,
        kind.as_str(),
        trigger
    )
    .execute(exec)
    .await?;
    Ok(())
}

/// Asks for a run as soon as a worker is free. Returns false if the table has no task.
pub async fn request_run(
    exec: impl PgExecutor<'_>,
    table: &str,
    kind: TaskKind,
    trigger: &str,
) -> sqlx::Result<bool> {
    let result = sqlx::query!(
        "UPDATE sync_tasks SET requested_at = now(), request_trigger = $3 WHERE table_name = $1 AND task_type = $2",
        table,
        kind.as_str(),
        trigger
    )
    .execute(exec)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Asks for a run as [`request_run`] does and returns the id that names it
/// (`None` if the table has no task). Calls made before a run takes the request
/// share it, and so its name: they are served by the same run. An id is never
/// reused for the table, even within one millisecond.
pub async fn request_named_run(
    exec: impl PgExecutor<'_>,
    table: &str,
    kind: TaskKind,
    trigger: &str,
    now_ms: i64,
) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar!(
        r#"
        UPDATE sync_tasks
        SET requested_at = now(), request_trigger = $3,
            request_id = COALESCE(request_id, GREATEST($4, COALESCE(last_request_id, 0) + 1)),
            last_request_id = COALESCE(request_id, GREATEST($4, COALESCE(last_request_id, 0) + 1))
        WHERE table_name = $1 AND task_type = $2
        RETURNING request_id AS "request_id!"
        "#,
        table,
        kind.as_str(),
        trigger,
        now_ms
    )
    .fetch_optional(exec)
    .await
}

/// Takes a waiting schedule request for the run that starts now. False when it is
/// no longer waiting (a worker that took the table over already ran it).
pub async fn take_request(
    exec: impl PgExecutor<'_>,
    table: &str,
    kind: TaskKind,
    request_id: i64,
) -> sqlx::Result<bool> {
    let result = sqlx::query!(
        "UPDATE sync_tasks SET request_id = NULL WHERE table_name = $1 AND task_type = $2 AND request_id = $3",
        table,
        kind.as_str(),
        request_id
    )
    .execute(exec)
    .await?;
    Ok(result.rows_affected() == 1)
}

pub async fn set_next_run(
    exec: impl PgExecutor<'_>,
    table: &str,
    kind: TaskKind,
    next_run_at: Option<DateTime<Utc>>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE sync_tasks SET next_run_at = $3 WHERE table_name = $1 AND task_type = $2",
        table,
        kind.as_str(),
        next_run_at
    )
    .execute(exec)
    .await?;
    Ok(())
}

/// Moves the next run earlier, never later: a REALTIME table's seal is due when its oldest
/// consuming rows reach the flush age, whoever ingested them.
pub async fn due_by(
    exec: impl PgExecutor<'_>,
    table: &str,
    kind: TaskKind,
    at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE sync_tasks SET next_run_at = LEAST(COALESCE(next_run_at, $3), $3) WHERE table_name = $1 AND task_type = $2",
        table,
        kind.as_str(),
        at
    )
    .execute(exec)
    .await?;
    Ok(())
}

/// Removes a task (a DataExportTask block taken out of a table's config).
pub async fn remove(exec: impl PgExecutor<'_>, table: &str, kind: TaskKind) -> sqlx::Result<()> {
    sqlx::query!(
        "DELETE FROM sync_tasks WHERE table_name = $1 AND task_type = $2",
        table,
        kind.as_str()
    )
    .execute(exec)
    .await?;
    Ok(())
}

/// Claims the most overdue task (of an enabled table, or an operation) whose lease is
/// free or expired. Other workers skip the locked row instead of waiting, so claims
/// never serialise.
pub async fn claim_due(
    exec: impl PgExecutor<'_>,
    owner: &str,
    ttl_secs: f64,
) -> sqlx::Result<Option<Claim>> {
    let token = Uuid::new_v4();
    let row = sqlx::query!(
        r#"
        WITH due AS (
            SELECT t.table_name, t.task_type
            FROM sync_tasks t
            LEFT JOIN tables tb ON tb.name = t.table_name AND t.task_type <> 'operation'
            WHERE (tb.enabled OR t.task_type = 'operation')
              AND (t.requested_at IS NOT NULL OR t.next_run_at <= now())
              AND (t.lease_expires_at IS NULL OR t.lease_expires_at < now())
            ORDER BY COALESCE(t.requested_at, t.next_run_at)
            LIMIT 1
            FOR UPDATE OF t SKIP LOCKED
        )
        UPDATE sync_tasks s
        SET lease_owner = $1, lease_token = $2, claimed_at = now(),
            lease_expires_at = now() + make_interval(secs => $3)
        FROM due
        WHERE s.table_name = due.table_name AND s.task_type = due.task_type
        RETURNING s.table_name, s.task_type, COALESCE(CASE WHEN s.requested_at IS NOT NULL THEN s.request_trigger END, 'SCHEDULE') AS "trigger!", s.request_id
        "#,
        owner,
        token,
        ttl_secs
    )
    .fetch_optional(exec)
    .await?;
    Ok(row.map(|r| Claim {
        table_name: r.table_name,
        kind: TaskKind::parse(&r.task_type).unwrap_or(TaskKind::Sync),
        token,
        trigger: r.trigger,
        request_id: r.request_id,
    }))
}

/// Extends a lease. False means it was lost: another worker took the table over.
pub async fn heartbeat(
    exec: impl PgExecutor<'_>,
    claim: &Claim,
    ttl_secs: f64,
) -> sqlx::Result<bool> {
    let result = sqlx::query!(
        "UPDATE sync_tasks SET lease_expires_at = now() + make_interval(secs => $4) WHERE table_name = $1 AND task_type = $2 AND lease_token = $3",
        claim.table_name,
        claim.kind.as_str(),
        claim.token,
        ttl_secs
    )
    .execute(exec)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Locks the task row for the rest of a commit and checks the lease is still ours,
/// so a worker that was presumed dead cannot commit over its successor.
pub async fn fence(tx: &mut Transaction<'_, Postgres>, claim: &Claim) -> sqlx::Result<bool> {
    let row = sqlx::query_scalar!(
        "SELECT 1 AS \"held!\" FROM sync_tasks WHERE table_name = $1 AND task_type = $2 AND lease_token = $3 FOR UPDATE",
        claim.table_name,
        claim.kind.as_str(),
        claim.token
    )
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.is_some())
}

/// Gives the table back, with its next scheduled time. A manual request made while
/// the run was going stays pending, so it gets a run of its own; so does a schedule
/// request no run took (its id is still on the row), whenever it was made.
pub async fn release(
    exec: impl PgExecutor<'_>,
    claim: &Claim,
    next_run_at: Option<DateTime<Utc>>,
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"
        UPDATE sync_tasks
        SET lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL, next_run_at = $4,
            requested_at = CASE WHEN requested_at > claimed_at OR request_id IS NOT NULL THEN requested_at END
        WHERE table_name = $1 AND task_type = $2 AND lease_token = $3
        "#,
        claim.table_name,
        claim.kind.as_str(),
        claim.token,
        next_run_at
    )
    .execute(exec)
    .await?;
    Ok(())
}

#[derive(Debug, Clone)]
pub struct TaskState {
    pub next_run_at: Option<DateTime<Utc>>,
    pub requested_at: Option<DateTime<Utc>>,
    pub leased: bool,
    /// A schedule request no run has taken yet.
    pub request_id: Option<i64>,
}

pub async fn state(
    exec: impl PgExecutor<'_>,
    table: &str,
    kind: TaskKind,
) -> sqlx::Result<Option<TaskState>> {
    let row = sqlx::query!(
        r#"SELECT next_run_at, requested_at, (lease_expires_at > now()) AS "leased", request_id FROM sync_tasks WHERE table_name = $1 AND task_type = $2"#,
        table,
        kind.as_str()
    )
    .fetch_optional(exec)
    .await?;
    Ok(row.map(|r| TaskState {
        next_run_at: r.next_run_at,
        requested_at: r.requested_at,
        leased: r.leased.unwrap_or(false),
        request_id: r.request_id,
    }))
}
