-- Terms of the articles a text query matches (their ids from the full-text index,
-- warehouse/search.py: $window_ids in the window, $baseline_ids in the baseline before
-- it), counted as keyword_terms_days.sql counts an entity's articles.
WITH ids AS (
    SELECT unnest($window_ids::BIGINT[]) AS article_id, true AS in_window
    UNION ALL
    SELECT unnest($baseline_ids::BIGINT[]) AS article_id, false AS in_window
)
SELECT k.term,
       count(*) FILTER (WHERE ids.in_window) AS window_docs,
       coalesce(sum(k.count) FILTER (WHERE ids.in_window), 0)::BIGINT AS window_count,
       count(*) FILTER (WHERE NOT ids.in_window) AS baseline_docs,
       coalesce(sum(k.count) FILTER (WHERE NOT ids.in_window), 0)::BIGINT AS baseline_count
FROM ids
JOIN keywords k USING (article_id)
GROUP BY k.term
ORDER BY window_docs DESC, k.term;
