-- Entity pairs named in the text of the same filtered article; level 'sentence' keeps
-- only articles where some sentence names both. With a non-empty entity list, only pairs
-- inside it.
WITH /*filtered*/
SELECT c.entity_a, c.entity_b,
       count(DISTINCT c.article_id) AS articles,
       sum(c.sentence_count)::BIGINT AS sentences
FROM co_mentions c
JOIN filtered f USING (article_id)
WHERE ($level = 'article' OR c.sentence_count > 0)
  AND (len($entities::VARCHAR[]) = 0
       OR (list_contains($entities::VARCHAR[], c.entity_a)
           AND list_contains($entities::VARCHAR[], c.entity_b)))
GROUP BY ALL
ORDER BY articles DESC, c.entity_a, c.entity_b;
