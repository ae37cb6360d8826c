-- Every replacement of an entry's issuer binding (key rotation, new status-list prefix or
-- credential types), with its time and reason; the binding as it became is JSON.
CREATE TABLE issuer_binding_changes (
    entry_id TEXT NOT NULL REFERENCES service_entries (entry_id),
    changed_at BIGINT NOT NULL,
    issuer TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX issuer_binding_changes_entry ON issuer_binding_changes (entry_id);
