-- Articles naming both entities, newest first; $since (pair_articles_bounds.sql) bounds
-- the days read.
WITH /*filtered*/
SELECT a.article_id, a.published, coalesce(s.name, a.source_id) AS outlet, a.title, a.url,
       c.sentence_count AS same_sentence
FROM co_mentions c
JOIN filtered f USING (article_id)
JOIN articles a USING (article_id)
LEFT JOIN sources s ON s.source_id = a.source_id
WHERE c.entity_a = least($a::VARCHAR, $b::VARCHAR)
  AND c.entity_b = greatest($a::VARCHAR, $b::VARCHAR)
  AND ($level = 'article' OR c.sentence_count > 0)
  AND f.day >= coalesce($since::DATE, DATE '0001-01-01')
ORDER BY a.published DESC, a.article_id DESC
LIMIT $limit;
