-- REALTIME tables and DataExportTask (seed 003).

-- A table is OFFLINE (synced from a lake source) or REALTIME (rows pushed to /ingest).
ALTER TABLE tables ADD COLUMN table_type TEXT NOT NULL DEFAULT 'OFFLINE'
    CHECK (table_type IN ('OFFLINE', 'REALTIME'));

-- One queue for every kind of background work on a table: `sync` (a lake source),
-- `seal` (a REALTIME table's consuming rows into completed segments) and `export`
-- (DataExportTask). Each row is leased on its own, so an export never waits for a sync.
ALTER TABLE sync_tasks ADD COLUMN task_type TEXT NOT NULL DEFAULT 'sync'
    CHECK (task_type IN ('sync', 'seal', 'export'));
ALTER TABLE sync_tasks DROP CONSTRAINT sync_tasks_pkey;
ALTER TABLE sync_tasks ADD PRIMARY KEY (table_name, task_type);

-- Rows pushed into a REALTIME table: each accepted request is one chunk, a Parquet file
-- in the deep store, made durable before the request is answered. Unsealed chunks are
-- the consuming segment; sealing names the completed segment that took them
-- (`segment_name`) in the same commit that adds it, so a row is in one or the other.
CREATE TABLE realtime_chunks (
    id               BIGSERIAL PRIMARY KEY,
    table_name       TEXT NOT NULL REFERENCES tables (name) ON DELETE CASCADE,
    -- NULL once the chunk is sealed and its file deleted (a grace period after sealing,
    -- so a query that listed the chunk before the seal can still read it).
    location         TEXT,
    row_count        BIGINT NOT NULL,
    size_bytes       BIGINT NOT NULL,
    min_time_ms      BIGINT,
    max_time_ms      BIGINT,
    -- The caller's Idempotency-Key, and a digest of the body it came with: the same
    -- key again is answered from here instead of loading the rows twice.
    idempotency_key  TEXT,
    body_sha256      BYTEA,
    worker           TEXT NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    segment_name     TEXT,
    sealed_at        TIMESTAMPTZ
);
CREATE UNIQUE INDEX realtime_chunks_key ON realtime_chunks (table_name, idempotency_key);
CREATE INDEX realtime_chunks_consuming ON realtime_chunks (table_name, id) WHERE segment_name IS NULL;
CREATE INDEX realtime_chunks_by_minute ON realtime_chunks (table_name, created_at);

-- DataExportTask: one cycle (a generator run) per row, like sync_runs.
CREATE TABLE export_runs (
    id                 BIGSERIAL PRIMARY KEY,
    table_name         TEXT NOT NULL REFERENCES tables (name) ON DELETE CASCADE,
    trigger            TEXT NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('RUNNING', 'COMPLETED', 'FAILED')),
    -- What the cycle decided, in order (seed 003's EMIT / WAIT / COMMIT, or IDLE), e.g. "EMIT,COMMIT".
    decision           TEXT,
    worker             TEXT NOT NULL,
    request_id         BIGINT,
    started_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    ended_at           TIMESTAMPTZ,
    segments_exported  INTEGER NOT NULL DEFAULT 0,
    rows_exported      BIGINT NOT NULL DEFAULT 0,
    bytes_written      BIGINT NOT NULL DEFAULT 0,
    snapshot_id        BIGINT,
    error_message      TEXT
);
CREATE INDEX export_runs_by_table ON export_runs (table_name, id DESC);

-- The per-segment checkpoint: COMPLETED is never exported again. STAGED (Iceberg) is
-- uploaded and waits for a batch commit; `commit_id` names the commit that carries it.
CREATE TABLE export_segments (
    table_name      TEXT NOT NULL REFERENCES tables (name) ON DELETE CASCADE,
    segment_name    TEXT NOT NULL,
    source_table    TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('IN_PROGRESS', 'STAGED', 'COMPLETED', 'FAILED')),
    file_uri        TEXT,
    -- The staged Iceberg data file, as iceberg's JSON form of a DataFile.
    data_file       JSONB,
    row_count       BIGINT NOT NULL DEFAULT 0,
    size_bytes      BIGINT NOT NULL DEFAULT 0,
    end_time_ms     BIGINT,
    commit_id       UUID,
    snapshot_id     BIGINT,
    attempts        INTEGER NOT NULL DEFAULT 1,
    error_message   TEXT,
    run_id          BIGINT NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (table_name, segment_name)
);

-- The time watermark: every completed segment ending at or before it is exported.
CREATE TABLE export_watermarks (
    table_name    TEXT PRIMARY KEY REFERENCES tables (name) ON DELETE CASCADE,
    watermark_ms  BIGINT NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- An Iceberg append Lakeport has asked for. PENDING until its outcome is known: the
-- commit id is written into the snapshot summary, so an answer that never came is
-- settled by looking for it in the table's snapshots, never by a blind second append.
CREATE TABLE export_commits (
    commit_id    UUID PRIMARY KEY,
    table_name   TEXT NOT NULL REFERENCES tables (name) ON DELETE CASCADE,
    state        TEXT NOT NULL CHECK (state IN ('PENDING', 'COMMITTED')),
    files        INTEGER NOT NULL,
    snapshot_id  BIGINT,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
