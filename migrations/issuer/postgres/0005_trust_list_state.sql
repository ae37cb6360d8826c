-- issuer: the last trust list accepted, when [trust] is configured (the issuer checks its own
-- register entry before it offers or issues). Rollback protection across restarts and
-- instances; read and written by idv-fetch's TrustListClient, whose TRUST_LIST_STATE_DDL this
-- matches. Keep in step with ../sqlite/0005_trust_list_state.sql.
CREATE TABLE trust_list_state (
    list_id TEXT PRIMARY KEY,
    sequence BIGINT NOT NULL,
    payload_hash TEXT NOT NULL,
    iat BIGINT NOT NULL,
    exp BIGINT NOT NULL
);
