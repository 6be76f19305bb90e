-- Terms of the articles naming an entity, read from the articles themselves, between $start
-- and $end: those from $window_start on count in the window, earlier ones in the baseline.
-- Used for the days at the window's edges that do not fill an ISO week (keyword_terms.sql
-- has the whole weeks), and for outlet or country filters, which the rollup cannot apply.
WITH /*filtered*/,
ent AS (
    SELECT f.article_id, f.day >= $window_start::DATE AS in_window
    FROM filtered f
    JOIN mentions m USING (article_id)
    WHERE m.entity_id = $entity
)
SELECT k.term,
       count(*) FILTER (WHERE ent.in_window) AS window_docs,
       coalesce(sum(k.count) FILTER (WHERE ent.in_window), 0)::BIGINT AS window_count,
       count(*) FILTER (WHERE NOT ent.in_window) AS baseline_docs,
       coalesce(sum(k.count) FILTER (WHERE NOT ent.in_window), 0)::BIGINT AS baseline_count
FROM ent
JOIN keywords k USING (article_id)
GROUP BY k.term
ORDER BY window_docs DESC, k.term;
