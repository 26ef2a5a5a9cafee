-- API tokens may end on their own: a token past `expires_at` answers 401 saying so.
ALTER TABLE api_tokens ADD COLUMN expires_at TIMESTAMPTZ;
