-- issuer: every pushed authorization request purges expired codes and the requests no code
-- refers to; these indexes keep that a lookup instead of a scan of the table.
-- Keep in step with ../sqlite/0003_index_authorization_codes.sql.
CREATE INDEX authorization_codes_expiry ON authorization_codes (expires_at);
CREATE INDEX authorization_codes_request ON authorization_codes (request_ref);
