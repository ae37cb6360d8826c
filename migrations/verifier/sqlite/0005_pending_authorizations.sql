-- verifier: an authorization request records a pending sign-in only; its check (row, ECDH key,
-- open wallet request) is created when the person's browser loads the hand-off page. Until
-- then `check_id` is NULL and `expires_at` is the pending authorization's own expiry; the
-- check's expiry replaces it when the check is attached. SQLite cannot drop a NOT NULL
-- constraint, so the table is rebuilt (nothing references it).
-- The new index counts a client's pending sign-ins (`[limits] max_pending_sessions_per_client`).
-- Keep in step with ../postgres/0005_pending_authorizations.sql.
CREATE TABLE oidc_sessions_new (
    session_id TEXT PRIMARY KEY,
    browser_hash TEXT NOT NULL,
    client_id TEXT NOT NULL REFERENCES oidc_clients (client_id),
    tenant_id TEXT NOT NULL REFERENCES tenants (tenant_id),
    check_id TEXT REFERENCES checks (check_id),
    scope TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    state TEXT,
    nonce TEXT,
    code_challenge TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'code_issued', 'denied')),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    finished_at BIGINT,
    code_hash TEXT UNIQUE,
    code_expires_at BIGINT,
    code_used_at BIGINT,
    access_token_hash TEXT UNIQUE,
    access_token_expires_at BIGINT,
    access_token_revoked_at BIGINT
);
INSERT INTO oidc_sessions_new SELECT session_id, browser_hash, client_id, tenant_id, check_id,
    scope, redirect_uri, state, nonce, code_challenge, status, created_at, expires_at,
    finished_at, code_hash, code_expires_at, code_used_at, access_token_hash,
    access_token_expires_at, access_token_revoked_at FROM oidc_sessions;
DROP TABLE oidc_sessions;
ALTER TABLE oidc_sessions_new RENAME TO oidc_sessions;
CREATE INDEX oidc_sessions_by_expiry ON oidc_sessions (expires_at);
CREATE INDEX oidc_sessions_pending_by_client ON oidc_sessions (client_id, status, expires_at);
