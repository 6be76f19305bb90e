-- Filtered articles naming each entity.
WITH /*filtered*/
SELECT m.entity_id, count(*) AS articles, sum(m.body_count + m.title_count)::BIGINT AS mentions
FROM filtered f
JOIN mentions m USING (article_id)
WHERE len($entities::VARCHAR[]) = 0 OR list_contains($entities::VARCHAR[], m.entity_id)
GROUP BY m.entity_id
ORDER BY articles DESC, m.entity_id;
