-- verifier: tenants, checks, webhook outbox and trust list state (PostgreSQL).
-- Portable conventions (idv-service-kit db.rs): times are BIGINT Unix seconds, JSON is TEXT,
-- no booleans. Keep in step with ../sqlite/0001_create_verifier.sql.

-- The verifier's own keys: `evidence` signs check records. Private JWK as TEXT; exactly one
-- active key per purpose. (Production would keep it in an HSM/KMS.)
CREATE TABLE service_keys (
    kid TEXT PRIMARY KEY,
    purpose TEXT NOT NULL,
    private_jwk TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'retired')),
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX service_keys_one_active ON service_keys (purpose) WHERE status = 'active';

-- Tenants: relying parties registered with the trust framework under `client_id` (without the
-- `verifier_attestation:` prefix). `signing_key` is the private request-signing JWK the
-- attestation's cnf.jwk binds; `webhook_secret` is the Standard Webhooks `whsec_…` secret.
CREATE TABLE tenants (
    tenant_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    client_id TEXT NOT NULL UNIQUE,
    signing_key TEXT NOT NULL,
    attestation TEXT,
    attestation_exp BIGINT,
    webhook_secret TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- API keys, stored as base64url(SHA-256(key)) only.
CREATE TABLE api_keys (
    key_hash TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (tenant_id),
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

-- Checks. States: created -> presented -> completed | failed; created -> expired; any -> erased.
-- Personal data lives only in `claims` and `evidence` (purged when retention ends or on
-- erasure); `outcome` holds metadata only. `decryption_key` (the per-request ECDH-ES private
-- JWK) and `nonce` exist only while the wallet request is open.
CREATE TABLE checks (
    check_id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (tenant_id),
    template TEXT NOT NULL,
    template_version BIGINT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('created', 'presented', 'completed', 'failed', 'expired', 'erased')),
    reference TEXT,
    webhook_url TEXT,
    response_mode TEXT NOT NULL,
    redirect_uri TEXT,
    request_id TEXT NOT NULL UNIQUE,
    request_state TEXT NOT NULL,
    nonce TEXT,
    decryption_key TEXT,
    response_code_hash TEXT,
    response_code_redeemed BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    presented_at BIGINT,
    finished_at BIGINT,
    outcome TEXT,
    claims TEXT,
    evidence TEXT,
    retain_until BIGINT,
    purged_at BIGINT,
    erased_at BIGINT
);
CREATE INDEX checks_by_tenant ON checks (tenant_id, created_at);
CREATE INDEX checks_by_state ON checks (state, expires_at);
CREATE INDEX checks_by_retention ON checks (retain_until);

-- Webhook events, delivered at least once: `pending` until a 2xx, retried with backoff, `dead`
-- after the last attempt. `locked_until` lets one instance claim an event at a time. Payloads
-- hold no personal data.
CREATE TABLE webhook_outbox (
    event_id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (tenant_id),
    check_id TEXT NOT NULL,
    url TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    locked_until BIGINT NOT NULL DEFAULT 0,
    last_status BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    delivered_at BIGINT
);
CREATE INDEX webhook_outbox_due ON webhook_outbox (state, next_attempt_at);

-- The last accepted trust list (rollback protection across restarts; idv-fetch).
CREATE TABLE trust_list_state (
    list_id TEXT PRIMARY KEY,
    sequence BIGINT NOT NULL,
    payload_hash TEXT NOT NULL,
    iat BIGINT NOT NULL,
    exp BIGINT NOT NULL
);
