-- Entities named by the most filtered articles: the default selection (from the rollup).
SELECT r.entity_id, sum(r.articles)::BIGINT AS articles
FROM rollup_daily_mentions r
LEFT JOIN sources s USING (source_id)
WHERE /*cell_filter*/
GROUP BY r.entity_id
ORDER BY articles DESC, r.entity_id
LIMIT $n;
