-- issuer: a status change acts on a whole batch, the credentials one Credential Request issued
-- (one per holder key): those of one offer and configuration. This index finds a batch without
-- scanning the table. Keep in step with ../sqlite/0004_index_credentials_by_batch.sql.
CREATE INDEX credentials_batch ON credentials (offer_ref, configuration_id);
