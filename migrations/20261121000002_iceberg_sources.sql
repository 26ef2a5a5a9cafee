-- What an Iceberg table was when Lakeport onboarded it. A different UUID means the
-- table was dropped and re-created, so its snapshots no longer continue what was
-- loaded. Columns are bound to Iceberg field ids, so a renamed field keeps
-- feeding its column and a dropped or added one is noticed, never guessed.
CREATE TABLE iceberg_sources (
    table_name        TEXT PRIMARY KEY REFERENCES tables (name) ON DELETE CASCADE,
    table_uuid        TEXT NOT NULL,
    -- {"<column>": <field id>} for the columns of the Lakeport schema.
    column_field_ids  JSONB NOT NULL,
    -- Every top-level field id the Iceberg schema had when the columns were
    -- chosen: an id outside this set is a field added since.
    known_field_ids   INTEGER[] NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Something a finished run wants a person to know that is not an error, e.g.
-- that a row-count check could not be made.
ALTER TABLE sync_runs ADD COLUMN note TEXT;
