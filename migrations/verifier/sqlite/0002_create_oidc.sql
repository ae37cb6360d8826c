-- verifier: the OpenID Provider bridge, registered clients and authorization sessions (SQLite).
-- Portable conventions as in 0001. The ID token signing key is a `service_keys` row with the
-- purpose `id_token`, created at startup like the `evidence` key.
-- Keep in step with ../postgres/0002_create_oidc.sql.

-- OpenID Connect clients of a tenant (its hiring or HR system). `secret_hash` is
-- base64url(SHA-256(client_secret)); the secret is shown once. `redirect_uris` and `templates`
-- are JSON arrays of strings: redirect URIs match exactly; `templates` are the check templates
-- the client may run (the `scope` names one). `removed_at` retires a client for good.
CREATE TABLE oidc_clients (
    client_id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (tenant_id),
    name TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    redirect_uris TEXT NOT NULL,
    templates TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    removed_at BIGINT
);
CREATE INDEX oidc_clients_by_tenant ON oidc_clients (tenant_id, created_at);

-- Authorization sessions: one authorization request, its check, then its code and access
-- token. `session_id` names the hand-off page; `browser_hash` is the SHA-256 of the secret in
-- the starting browser's cookie. The code and the access token are stored as their SHA-256
-- only. States: pending -> code_issued | denied. Deleted by the sweeper an hour after the
-- session, its code and its access token have all expired. No personal data: the claims stay
-- in `checks`.
CREATE TABLE oidc_sessions (
    session_id TEXT PRIMARY KEY,
    browser_hash TEXT NOT NULL,
    client_id TEXT NOT NULL REFERENCES oidc_clients (client_id),
    tenant_id TEXT NOT NULL REFERENCES tenants (tenant_id),
    check_id TEXT NOT NULL REFERENCES checks (check_id),
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
CREATE INDEX oidc_sessions_by_expiry ON oidc_sessions (expires_at);
