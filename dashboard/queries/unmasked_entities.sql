-- Which of $entities have no bit in rollup_daily_entity_sets' masks (first named after all
-- 127 bits were taken): a set of three or more containing one is counted from the
-- mentions (series_sets.sql) instead.
SELECT entity_id
FROM entity_bits
WHERE bit IS NULL AND list_contains($entities::VARCHAR[], entity_id);
