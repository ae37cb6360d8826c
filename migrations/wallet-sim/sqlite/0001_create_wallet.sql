-- wallet-sim: the citizen's credentials with their holder keys, what was shared with whom,
-- and the trust list rollback state. One portable text for SQLite and PostgreSQL: times are
-- BIGINT Unix seconds, JSON is TEXT.

-- One logical credential: a batch of copies issued together from one credential
-- configuration, each copy bound to its own holder key (unlinkable presentations).
CREATE TABLE batches (
    batch_id TEXT PRIMARY KEY,
    credential_issuer TEXT NOT NULL,
    configuration_id TEXT NOT NULL,
    format TEXT NOT NULL,
    vct TEXT NOT NULL,
    iss TEXT,
    -- The public JWK the copies' signatures verified with, and where it came from
    -- (trust_list, jwt_vc_issuer_metadata or x5c).
    issuer_jwk TEXT NOT NULL,
    issuer_key_source TEXT NOT NULL,
    display_name TEXT,
    received_at BIGINT NOT NULL
);

-- One copy: the SD-JWT VC as issued, its processed claims (JSON) and its holder's private
-- JWK (JSON). Never printed, never sent.
CREATE TABLE credentials (
    credential_id TEXT PRIMARY KEY,
    batch_id TEXT NOT NULL REFERENCES batches (batch_id) ON DELETE CASCADE,
    position BIGINT NOT NULL,
    sd_jwt TEXT NOT NULL,
    claims TEXT NOT NULL,
    holder_key TEXT NOT NULL,
    expires_at BIGINT,
    status_uri TEXT,
    status_idx BIGINT,
    presentations BIGINT NOT NULL DEFAULT 0,
    last_presented_at BIGINT,
    UNIQUE (batch_id, position)
);

CREATE INDEX credentials_by_batch ON credentials (batch_id);

-- What left the wallet, and to whom: claims paths only (JSON), never their values.
CREATE TABLE presentations (
    presentation_id TEXT PRIMARY KEY,
    batch_id TEXT NOT NULL REFERENCES batches (batch_id) ON DELETE CASCADE,
    credential_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    organisation TEXT NOT NULL,
    purpose TEXT NOT NULL,
    claims TEXT NOT NULL,
    presented_at BIGINT NOT NULL
);

CREATE INDEX presentations_by_batch ON presentations (batch_id);

-- The last trust list accepted (idv-fetch's TrustListClient): a lower sequence is a rollback.
CREATE TABLE trust_list_state (list_id TEXT PRIMARY KEY, sequence BIGINT NOT NULL, payload_hash TEXT NOT NULL, iat BIGINT NOT NULL, exp BIGINT NOT NULL);
