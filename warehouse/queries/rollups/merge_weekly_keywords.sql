-- Fold a batch into rollup_weekly_keywords by appending its rows (rollups/weekly_keywords.sql
-- from $first on), without a MERGE: the table is clustered by entity for its readers, so a
-- MERGE would read all of it for every batch. A key can therefore have several rows (one
-- per batch that touched it); readers sum them, and warehouse.rollups.settle_keywords
-- folds them into one row per key, clustered again (maintenance, rebuilds).
INSERT INTO rollup_weekly_keywords BY NAME
SELECT * FROM (/*rollups/weekly_keywords*/) ORDER BY entity_id, week
