-- issuer: the OpenID4VCI authorization code flow, with citizens signing in at the provider's
-- OpenID Provider (PostgreSQL). Keep in step with ../sqlite/0002_authorization_code_flow.sql.
--
-- Never stored: authorization codes, request_uri handles, issuer_states or the state and nonce
-- sent to the OP, except as base64url(SHA-256).

-- The `sub` of the person's account at the provider's OP ([login].issuer_url), recorded by the
-- operator: who may sign in to receive credentials of this proofed identity. One identity per
-- account.
ALTER TABLE identities ADD COLUMN login_subject TEXT;
CREATE UNIQUE INDEX identities_login_subject ON identities (login_subject);

-- Offers are the grants credentials are issued under. `grant_type` says how a wallet redeems
-- one: with its pre-authorized code, or through the authorization code flow with its
-- `issuer_state` (hashed here). A wallet-initiated authorization (no offer) gets an offer row
-- created when its code is exchanged, already redeemed, without an issuer_state.
ALTER TABLE offers ADD COLUMN grant_type TEXT NOT NULL DEFAULT 'pre-authorized_code'
    CHECK (grant_type IN ('pre-authorized_code', 'authorization_code'));
ALTER TABLE offers ADD COLUMN issuer_state_hash TEXT;
CREATE UNIQUE INDEX offers_issuer_state ON offers (issuer_state_hash);

-- Pushed authorization requests (RFC 9126) and the sign-in at the OP they lead to.
-- `request_ref` is the hash of the request_uri's handle, usable once at /authorize before
-- `expires_at`. `state` is the wallet's, echoed back to it. The sign-in columns are set at
-- /authorize: the hashes of the state and nonce sent to the OP, and the PKCE verifier for the
-- OP's code (kept until the callback, then erased: it is useless without that code, which is
-- never stored).
CREATE TABLE authorization_requests (
    request_ref TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    state TEXT,
    code_challenge TEXT NOT NULL,
    configuration_ids TEXT NOT NULL,
    uses_details BIGINT NOT NULL,
    offer_ref TEXT REFERENCES offers (offer_ref),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    login_state_hash TEXT UNIQUE,
    login_nonce_hash TEXT,
    login_pkce_verifier TEXT,
    login_expires_at BIGINT,
    login_completed_at BIGINT
);
CREATE INDEX authorization_requests_expiry ON authorization_requests (expires_at);

-- Authorization codes given to wallets after sign-in: single use, short-lived, bound to the
-- request (client, redirect_uri, code_challenge, configurations) and the proofed identity.
CREATE TABLE authorization_codes (
    code_hash TEXT PRIMARY KEY,
    request_ref TEXT NOT NULL REFERENCES authorization_requests (request_ref),
    identity_id TEXT NOT NULL REFERENCES identities (identity_id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

-- The authorization code an access token was issued for (none for pre-authorized codes), so
-- that a replayed code revokes it.
ALTER TABLE access_tokens ADD COLUMN code_hash TEXT;
CREATE INDEX access_tokens_code ON access_tokens (code_hash);
