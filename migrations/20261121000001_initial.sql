-- Lakeport's metadata. Data lives in the deep store; these rows say which
-- files are the table, so a Postgres commit is what makes data visible.

CREATE TABLE connections (
    id            UUID PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    catalog_type  TEXT NOT NULL,
    -- Canonical fingerprint of the non-secret parameters (bucket, prefix,
    -- region, access key, endpoint): how a masked secret finds its value.
    identity      TEXT NOT NULL UNIQUE,
    params        JSONB NOT NULL,
    -- AES-256-GCM (nonce || ciphertext) of a JSON object of secret params.
    secrets       BYTEA NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE schemas (
    name        TEXT PRIMARY KEY,
    body        JSONB NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE tables (
    name           TEXT PRIMARY KEY,
    raw_name       TEXT NOT NULL UNIQUE,
    schema_name    TEXT NOT NULL REFERENCES schemas (name),
    connection_id  UUID REFERENCES connections (id),
    -- The table config as the user sent it, secrets replaced by the mask.
    config         JSONB NOT NULL,
    -- Arrow type of each column in segments, fixed when the table is created so
    -- that every segment of the table has the same schema.
    segment_types  JSONB NOT NULL DEFAULT '{}',
    catalog_type   TEXT NOT NULL,
    source_uri     TEXT NOT NULL,
    schedule       TEXT NOT NULL,
    enabled        BOOLEAN NOT NULL DEFAULT TRUE,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The work queue: one row per table. A worker owns a table while it holds an
-- unexpired lease; `lease_token` fences a worker whose lease was taken over.
CREATE TABLE sync_tasks (
    table_name        TEXT PRIMARY KEY REFERENCES tables (name) ON DELETE CASCADE,
    next_run_at       TIMESTAMPTZ,
    requested_at      TIMESTAMPTZ,
    request_trigger   TEXT,
    lease_owner       TEXT,
    lease_token       UUID,
    lease_expires_at  TIMESTAMPTZ,
    -- When the current lease was taken: a request made after it needs another run.
    claimed_at        TIMESTAMPTZ
);

CREATE TABLE sync_runs (
    id                  BIGSERIAL PRIMARY KEY,
    table_name          TEXT NOT NULL REFERENCES tables (name) ON DELETE CASCADE,
    trigger             TEXT NOT NULL,
    status              TEXT NOT NULL CHECK (status IN ('RUNNING', 'COMPLETED', 'FAILED')),
    worker              TEXT NOT NULL,
    started_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    ended_at            TIMESTAMPTZ,
    files_listed        INTEGER NOT NULL DEFAULT 0,
    files_discovered    INTEGER NOT NULL DEFAULT 0,
    files_failed        INTEGER NOT NULL DEFAULT 0,
    segments_generated  INTEGER NOT NULL DEFAULT 0,
    segments_uploaded   INTEGER NOT NULL DEFAULT 0,
    rows_loaded         BIGINT NOT NULL DEFAULT 0,
    bytes_read          BIGINT NOT NULL DEFAULT 0,
    checkpoint_value    TEXT,
    error_message       TEXT
);
CREATE INDEX sync_runs_by_table ON sync_runs (table_name, id DESC);

-- The per-file ledger: what of the source has been loaded, and as what.
CREATE TABLE source_files (
    table_name     TEXT NOT NULL REFERENCES tables (name) ON DELETE CASCADE,
    file_key       TEXT NOT NULL,
    size_bytes     BIGINT NOT NULL,
    etag           TEXT NOT NULL,
    last_modified  TIMESTAMPTZ,
    state          TEXT NOT NULL CHECK (state IN ('LOADED', 'FAILED')),
    row_count      BIGINT,
    segment_name   TEXT,
    first_error    TEXT,
    last_error     TEXT,
    attempts       INTEGER NOT NULL DEFAULT 1,
    run_id         BIGINT NOT NULL,
    first_seen_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (table_name, file_key)
);

CREATE TABLE segments (
    table_name       TEXT NOT NULL REFERENCES tables (name) ON DELETE CASCADE,
    segment_name     TEXT NOT NULL,
    source_file_key  TEXT NOT NULL,
    location         TEXT NOT NULL,
    row_count        BIGINT NOT NULL,
    size_bytes       BIGINT NOT NULL,
    min_time_ms      BIGINT,
    max_time_ms      BIGINT,
    run_id           BIGINT NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (table_name, segment_name)
);

CREATE TABLE checkpoints (
    table_name        TEXT PRIMARY KEY REFERENCES tables (name) ON DELETE CASCADE,
    checkpoint_type   TEXT NOT NULL,
    checkpoint_value  TEXT NOT NULL,
    run_id            BIGINT NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);
