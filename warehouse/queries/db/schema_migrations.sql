-- The record of applied migrations (warehouse.db.migrate).
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       VARCHAR NOT NULL,
    applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);
COMMENT ON TABLE schema_migrations IS 'Schema migrations applied to this file, in order.';
COMMENT ON COLUMN schema_migrations.version IS 'Migration number (file prefix).';
COMMENT ON COLUMN schema_migrations.name IS 'Migration name (file name without number).';
COMMENT ON COLUMN schema_migrations.applied_at IS 'When it was applied (UTC).';
