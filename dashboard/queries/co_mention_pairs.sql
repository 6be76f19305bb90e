-- Entity pairs named in the text of the same filtered article (from the rollups); level
-- 'sentence' counts only articles where some sentence names both. With a non-empty entity
-- list, only pairs inside it. Whole weeks of the window come from the weekly rollup, the
-- days at its edges from the daily one: pairs are many, so the daily grain is large.
WITH /*week_split*/,
cells AS (
    SELECT r.entity_a, r.entity_b, r.articles, r.sentence_articles, r.sentences
    FROM rollup_weekly_co_mentions r
    LEFT JOIN sources s USING (source_id), span
    WHERE r.week >= span.first_week AND r.week + 6 <= span.last_week_end
      AND /*outlet_filter*/
    UNION ALL
    SELECT r.entity_a, r.entity_b, r.articles, r.sentence_articles, r.sentences
    FROM rollup_daily_co_mentions r
    LEFT JOIN sources s USING (source_id), span
    WHERE r.day >= span.lo AND r.day <= least(span.hi, span.first_week - 1)
      AND /*outlet_filter*/
    UNION ALL
    SELECT r.entity_a, r.entity_b, r.articles, r.sentence_articles, r.sentences
    FROM rollup_daily_co_mentions r
    LEFT JOIN sources s USING (source_id), span
    WHERE r.day >= greatest(span.last_week_end + 1, span.first_week) AND r.day <= span.hi
      AND /*outlet_filter*/
)
SELECT entity_a, entity_b,
       sum(CASE WHEN $level = 'article' THEN articles ELSE sentence_articles END)::BIGINT
           AS articles,
       sum(sentences)::BIGINT AS sentences
FROM cells
WHERE len($entities::VARCHAR[]) = 0
   OR (list_contains($entities::VARCHAR[], entity_a)
       AND list_contains($entities::VARCHAR[], entity_b))
GROUP BY entity_a, entity_b
HAVING sum(CASE WHEN $level = 'article' THEN articles ELSE sentence_articles END) > 0
ORDER BY articles DESC, entity_a, entity_b;
