-- Terms of the articles naming an entity: in the window [$window_start, $end] and in the
-- baseline before it [$start, $window_start). The filtered CTE spans both.
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
