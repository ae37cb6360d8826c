-- trust-framework: the DVS register and its signed trust list (SQLite).
-- Portable conventions (idv-service-kit db.rs): times are BIGINT Unix seconds, JSON is TEXT,
-- no booleans. Keep in step with ../postgres/0001_create_register.sql.

-- One row. `revision` counts register changes: every mutation bumps it in its own transaction,
-- and a list is re-signed whenever `list_state.signed_revision` lags behind it. The counters
-- allocate register ids (`dvs-000001`, `rp-000001`).
CREATE TABLE register_state (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    revision BIGINT NOT NULL,
    next_entry_number BIGINT NOT NULL,
    next_rp_number BIGINT NOT NULL
);
INSERT INTO register_state (id, revision, next_entry_number, next_rp_number) VALUES (1, 0, 1, 1);

-- The anchor signing key(s): private JWK as TEXT. Exactly one is active; retired keys stay for
-- the record. (Production would keep the key in an HSM/KMS; this simulator keeps it here.)
CREATE TABLE anchor_keys (
    kid TEXT PRIMARY KEY,
    private_jwk TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'retired')),
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX anchor_keys_one_active ON anchor_keys (status) WHERE status = 'active';

-- Operator API bearer tokens, stored as base64url(SHA-256(token)) only.
CREATE TABLE operator_tokens (
    token_hash TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL
);

-- Certified services (standards.md §8.3). Nested values are JSON.
CREATE TABLE service_entries (
    entry_id TEXT PRIMARY KEY,
    organisation TEXT NOT NULL,
    service TEXT NOT NULL,
    roles TEXT NOT NULL,
    framework_version TEXT NOT NULL,
    certificate TEXT NOT NULL,
    certificate_expires BIGINT NOT NULL,
    max_loc TEXT NOT NULL,
    issuer TEXT NOT NULL,
    status TEXT NOT NULL,
    status_since BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Every `iss` belongs to one entry, ever: verifiers reject a list where two entries share one.
CREATE TABLE entry_issuers (
    iss TEXT PRIMARY KEY,
    entry_id TEXT NOT NULL REFERENCES service_entries (entry_id)
);

-- Every status an entry has had, in order.
CREATE TABLE status_history (
    entry_id TEXT NOT NULL REFERENCES service_entries (entry_id),
    position BIGINT NOT NULL,
    status TEXT NOT NULL,
    since BIGINT NOT NULL,
    reason TEXT,
    PRIMARY KEY (entry_id, position)
);

-- Supplementary code certifications (DUA Act 2025 s.36 supplementary notes).
CREATE TABLE supplementary_codes (
    entry_id TEXT NOT NULL REFERENCES service_entries (entry_id),
    code TEXT NOT NULL,
    status TEXT NOT NULL,
    since BIGINT NOT NULL,
    PRIMARY KEY (entry_id, code)
);

-- Registered relying parties; `purposes` is JSON.
CREATE TABLE relying_parties (
    rp_id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL UNIQUE,
    organisation TEXT NOT NULL,
    status TEXT NOT NULL,
    purposes TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Verifier attestations issued (audit; the JWTs themselves are not kept).
CREATE TABLE verifier_attestations (
    rp_id TEXT NOT NULL REFERENCES relying_parties (rp_id),
    key_thumbprint TEXT NOT NULL,
    iat BIGINT NOT NULL,
    exp BIGINT NOT NULL
);
CREATE INDEX verifier_attestations_rp ON verifier_attestations (rp_id);

-- The last signed list per list_id: every instance serves exactly this until the register
-- changes or next_update passes. `sequence` only ever grows (compare-and-swap updates).
CREATE TABLE list_state (
    list_id TEXT PRIMARY KEY,
    sequence BIGINT NOT NULL,
    signed_revision BIGINT NOT NULL,
    jws TEXT,
    iat BIGINT,
    exp BIGINT,
    next_update BIGINT
);
