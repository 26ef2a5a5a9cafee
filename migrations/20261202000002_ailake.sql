-- The AI Lake API (seed 004): object storages, database instances, pipe tables, and the
-- long operations that change them.

-- A named S3 (or S3-compatible) storage. Its keys live sealed in the saved connection
-- it names, like any other S3 source's; this row holds only what may be shown.
CREATE TABLE ailake_object_storages (
    id             UUID PRIMARY KEY,
    name           TEXT NOT NULL UNIQUE,
    storage_type   TEXT NOT NULL,
    bucket         TEXT NOT NULL,
    region         TEXT NOT NULL,
    endpoint       TEXT,
    -- The S3 task parameters a pipe under this storage reads with, secrets masked.
    params         JSONB NOT NULL,
    connection_id  UUID REFERENCES connections (id),
    -- `config`: registered from the config file at start-up; `api`: by the admin call.
    origin         TEXT NOT NULL CHECK (origin IN ('config', 'api')),
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- A database instance: a SQL namespace (`<instance>.<table>`) over the storages it may read.
CREATE TABLE ailake_instances (
    id                UUID PRIMARY KEY,
    name              TEXT NOT NULL UNIQUE,
    storage_ids       UUID[] NOT NULL,
    data_source_id    TEXT,
    data_source_name  TEXT,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- A pipe table is a Lakeport OFFLINE table (its syncs, file ledger and segments) plus the
-- pipe's settings. Dropping the Lakeport table drops the pipe with it.
CREATE TABLE ailake_pipe_tables (
    id              UUID PRIMARY KEY,
    instance_id     UUID NOT NULL REFERENCES ailake_instances (id) ON DELETE CASCADE,
    table_name      TEXT NOT NULL,
    lakeport_table  TEXT NOT NULL UNIQUE REFERENCES tables (name) ON DELETE CASCADE,
    storage_id      UUID NOT NULL REFERENCES ailake_object_storages (id),
    path_prefix     TEXT NOT NULL,
    -- The settings the answer reports: key, partition and distribution configs, column
    -- types, overrides, properties.
    definition      JSONB NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (instance_id, table_name)
);
CREATE INDEX ailake_pipe_tables_storage ON ailake_pipe_tables (storage_id);

-- A long operation. The caller's `operation-id` names it; the same id with the same
-- request is the same operation (answered, never run again), with another request a 409.
CREATE TABLE ailake_operations (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    -- What was asked (path and body) and its digest, which a repeat must match.
    request         JSONB NOT NULL,
    request_sha256  BYTEA NOT NULL,
    -- What the worker carries out, prepared and checked when the request came in.
    work            JSONB NOT NULL,
    result          JSONB,
    -- `{status, title, detail}` of a failed operation.
    error           JSONB,
    attempts        INTEGER NOT NULL DEFAULT 0,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at     TIMESTAMPTZ
);

-- Pending operations run through the same leased queue as syncs: a task row of type
-- `operation` named by the operation id. Such a row belongs to no table, so the queue's
-- foreign key gives way to a trigger that drops a table's own tasks with it.
ALTER TABLE sync_tasks DROP CONSTRAINT sync_tasks_table_name_fkey;
ALTER TABLE sync_tasks DROP CONSTRAINT sync_tasks_task_type_check;
ALTER TABLE sync_tasks ADD CONSTRAINT sync_tasks_task_type_check
    CHECK (task_type IN ('sync', 'seal', 'export', 'operation'));

CREATE FUNCTION drop_tasks_of_table() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM sync_tasks WHERE table_name = OLD.name AND task_type <> 'operation';
    RETURN OLD;
END;
$$;
CREATE TRIGGER tables_drop_tasks AFTER DELETE ON tables
    FOR EACH ROW EXECUTE FUNCTION drop_tasks_of_table();
