-- Entities named by the most filtered articles: the default selection.
WITH /*filtered*/
SELECT m.entity_id, count(*) AS articles
FROM filtered f
JOIN mentions m USING (article_id)
GROUP BY m.entity_id
ORDER BY articles DESC, m.entity_id
LIMIT $n;
