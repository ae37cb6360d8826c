-- verifier: evidence keys rotate, and a retired key stays published with its validity, so that
-- a check record verifies for as long as the employer keeps it (employment plus two years).
-- A key's validity runs from `created_at` (when it became the signing key) to `retired_at`
-- (when another replaced it); a record verifies only with a key whose validity covers its iat.
-- `public_jwk` is what is published; on retirement `private_jwk` is erased to '' (a retired
-- key never signs again). Keys created before this migration get `public_jwk` when the
-- service next opens.
-- Keep in step with ../sqlite/0004_evidence_key_validity.sql.
ALTER TABLE service_keys ADD COLUMN public_jwk TEXT;
ALTER TABLE service_keys ADD COLUMN retired_at BIGINT;
