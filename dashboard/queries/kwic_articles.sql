-- Articles naming the entity whose keywords include the term, for keyword-in-context lines.
-- $since bounds the days read (widened by the caller until $limit rows are found).
WITH /*filtered*/
SELECT a.article_id, a.published, coalesce(s.name, a.source_id) AS outlet, a.title, a.url,
       a.text, a.language
FROM filtered f
JOIN mentions m USING (article_id)
JOIN keywords k USING (article_id)
JOIN articles a ON a.article_id = f.article_id
LEFT JOIN sources s ON s.source_id = a.source_id
WHERE m.entity_id = $entity AND k.term = $term
  AND f.day >= coalesce($since::DATE, DATE '0001-01-01')
ORDER BY a.published DESC, a.article_id DESC
LIMIT $limit;
