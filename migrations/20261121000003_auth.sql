-- Who may use Lakeport: people sign in with a password (Argon2id PHC string) and
-- get a browser session; scripts send an API token. Only hashes are stored.

CREATE TABLE users (
    id             UUID PRIMARY KEY,
    username       TEXT NOT NULL UNIQUE,
    password_hash  TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE api_tokens (
    id            UUID PRIMARY KEY,
    user_id       UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    -- SHA-256 of the whole token: tokens are long random strings, so a fast
    -- hash is enough and lets every request look its token up by index.
    token_hash    BYTEA NOT NULL UNIQUE,
    -- The first characters of the token, so a person can tell tokens apart.
    prefix        TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_used_at  TIMESTAMPTZ,
    revoked_at    TIMESTAMPTZ
);

CREATE UNIQUE INDEX api_tokens_live_name ON api_tokens (user_id, name) WHERE revoked_at IS NULL;

-- Browser sessions (tower-sessions records): the data as JSON, and when it expires.
CREATE TABLE sessions (
    id           TEXT PRIMARY KEY NOT NULL,
    data         JSONB NOT NULL,
    expiry_date  TIMESTAMPTZ NOT NULL
);

CREATE INDEX sessions_expiry ON sessions (expiry_date);
