-- Filtered articles naming the entity, per day, newest first (from the rollup): callers
-- use it to choose how far back a newest-first listing has to read.
SELECT r.day, sum(r.articles)::BIGINT AS articles
FROM rollup_daily_mentions r
LEFT JOIN sources s USING (source_id)
WHERE /*cell_filter*/ AND r.entity_id = $entity
GROUP BY r.day
ORDER BY r.day DESC;
