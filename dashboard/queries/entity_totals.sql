-- Filtered articles naming each entity, and their mentions (from the rollup).
SELECT r.entity_id, sum(r.articles)::BIGINT AS articles, sum(r.mentions)::BIGINT AS mentions
FROM rollup_daily_mentions r
LEFT JOIN sources s USING (source_id)
WHERE /*cell_filter*/
  AND (len($entities::VARCHAR[]) = 0 OR list_contains($entities::VARCHAR[], r.entity_id))
GROUP BY r.entity_id
ORDER BY articles DESC, r.entity_id;
