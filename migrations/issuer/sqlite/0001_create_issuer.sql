-- issuer: proofing records, offers, OpenID4VCI grants, issued-credential metadata and status
-- lists (SQLite). Portable conventions (idv-service-kit db.rs): times are BIGINT Unix seconds,
-- JSON is TEXT, no booleans. Keep in step with ../postgres/0001_create_issuer.sql.
--
-- Never stored: issued SD-JWTs, disclosures, salts. Secrets (offer handles, pre-authorized
-- codes, tx_codes, access tokens, c_nonces, operator tokens) only as base64url(SHA-256).

-- Credential and status-list signing keys (private JWK as TEXT; production would keep them in
-- an HSM/KMS). Exactly one is active; a retired key stays published while credentials it
-- signed are unexpired.
CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY,
    private_jwk TEXT NOT NULL,
    public_jwk TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'retired')),
    created_at BIGINT NOT NULL,
    retired_at BIGINT
);
CREATE UNIQUE INDEX signing_keys_one_active ON signing_keys (status) WHERE status = 'active';

-- Operator API bearer tokens.
CREATE TABLE operator_tokens (
    token_hash TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL
);

-- Proofed identities: the GPG 45 proofing record the provider is accountable for (JSON).
CREATE TABLE identities (
    identity_id TEXT PRIMARY KEY,
    record TEXT NOT NULL,
    level_of_confidence TEXT NOT NULL,
    proofed_at BIGINT NOT NULL,
    recorded_at BIGINT NOT NULL
);

-- Credential offers. `offer_ref` is the hash of the offer handle in `credential_offer_uri`;
-- the pre-authorized code is derived from the handle, so neither is recoverable from here.
-- An offer is locked when `tx_code_attempts` reached the maximum without a redemption.
CREATE TABLE offers (
    offer_ref TEXT PRIMARY KEY,
    identity_id TEXT NOT NULL REFERENCES identities (identity_id),
    configuration_ids TEXT NOT NULL,
    code_hash TEXT NOT NULL UNIQUE,
    tx_code_hash TEXT,
    tx_code_attempts BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    redeemed_at BIGINT
);
CREATE INDEX offers_identity ON offers (identity_id);

-- Each offered configuration is issued by at most one Credential Request (one batch).
CREATE TABLE offer_configurations (
    offer_ref TEXT NOT NULL REFERENCES offers (offer_ref),
    configuration_id TEXT NOT NULL,
    issued_at BIGINT,
    PRIMARY KEY (offer_ref, configuration_id)
);

-- Access tokens from the token endpoint. `authorized` is the JSON array of configuration ids
-- the token may be used for; `uses_identifiers` = 1 when the token response returned
-- `credential_identifiers` (then requests must use `credential_identifier`).
CREATE TABLE access_tokens (
    token_hash TEXT PRIMARY KEY,
    offer_ref TEXT NOT NULL REFERENCES offers (offer_ref),
    authorized TEXT NOT NULL,
    uses_identifiers BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX access_tokens_expiry ON access_tokens (expires_at);

-- c_nonces from the nonce endpoint, each usable once before it expires.
CREATE TABLE c_nonces (
    nonce_hash TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX c_nonces_expiry ON c_nonces (expires_at);

-- Token Status Lists. One list is active (takes new credentials) until `allocated` reaches
-- `capacity` (half its size, so random probing stays cheap); `revision` counts status changes,
-- so a cached signed token is known stale.
CREATE TABLE status_lists (
    list_id TEXT PRIMARY KEY,
    bits BIGINT NOT NULL,
    size BIGINT NOT NULL,
    capacity BIGINT NOT NULL,
    allocated BIGINT NOT NULL,
    revision BIGINT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('active', 'full')),
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX status_lists_one_active ON status_lists (state) WHERE state = 'active';

-- Issued credentials: metadata only.
CREATE TABLE credentials (
    credential_id TEXT PRIMARY KEY,
    identity_id TEXT NOT NULL REFERENCES identities (identity_id),
    offer_ref TEXT NOT NULL REFERENCES offers (offer_ref),
    configuration_id TEXT NOT NULL,
    vct TEXT NOT NULL,
    list_id TEXT NOT NULL REFERENCES status_lists (list_id),
    status_idx BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('valid', 'suspended', 'revoked')),
    status_version BIGINT NOT NULL,
    signing_kid TEXT NOT NULL REFERENCES signing_keys (kid),
    holder_thumbprint TEXT NOT NULL,
    issued_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    UNIQUE (list_id, status_idx)
);
CREATE INDEX credentials_identity ON credentials (identity_id);
CREATE INDEX credentials_signing_key ON credentials (signing_kid, expires_at);
CREATE INDEX credentials_list_status ON credentials (list_id, status);

-- Every status a credential has had, in order (position 0: valid at issuance).
CREATE TABLE credential_status_history (
    credential_id TEXT NOT NULL REFERENCES credentials (credential_id),
    position BIGINT NOT NULL,
    status TEXT NOT NULL,
    since BIGINT NOT NULL,
    reason TEXT,
    PRIMARY KEY (credential_id, position)
);
