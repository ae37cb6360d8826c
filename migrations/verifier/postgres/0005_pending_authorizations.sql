-- verifier: an authorization request records a pending sign-in only; its check (row, ECDH key,
-- open wallet request) is created when the person's browser loads the hand-off page. Until
-- then `check_id` is NULL and `expires_at` is the pending authorization's own expiry; the
-- check's expiry replaces it when the check is attached.
-- The new index counts a client's pending sign-ins (`[limits] max_pending_sessions_per_client`).
-- Keep in step with ../sqlite/0005_pending_authorizations.sql.
ALTER TABLE oidc_sessions ALTER COLUMN check_id DROP NOT NULL;
CREATE INDEX oidc_sessions_pending_by_client ON oidc_sessions (client_id, status, expires_at);
