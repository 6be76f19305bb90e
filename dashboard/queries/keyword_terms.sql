-- Terms of the articles naming $entity in the window [$window_start, ...] and the baseline
-- before it. Whole ISO weeks come from the keyword rollup (migration 010): the baseline's
-- weeks [$baseline_from, $baseline_to] and the window's [$window_from, $window_to]
-- (Mondays; NULL when a side has none). The days that do not fill a week are read from the
-- articles, in up to three ranges of days (edge_a, edge_b, edge_c; NULL bounds: none),
-- each its own scan so that each prunes the tables to its days by zone map. The rollup has
-- a language but no outlet: with an outlet or country filter the caller runs
-- keyword_terms_days.sql.
WITH rolled AS (
    SELECT r.term,
           sum(r.articles) FILTER (WHERE r.week >= $window_from::DATE) AS window_docs,
           sum(r.count) FILTER (WHERE r.week >= $window_from::DATE) AS window_count,
           sum(r.articles) FILTER (WHERE r.week <= $baseline_to::DATE) AS baseline_docs,
           sum(r.count) FILTER (WHERE r.week <= $baseline_to::DATE) AS baseline_count
    FROM rollup_weekly_keywords r
    WHERE r.entity_id = $entity
      AND r.week >= coalesce($baseline_from::DATE, $window_from::DATE)
      AND r.week <= coalesce($window_to::DATE, $baseline_to::DATE)
      AND (r.week BETWEEN $baseline_from::DATE AND $baseline_to::DATE
           OR r.week BETWEEN $window_from::DATE AND $window_to::DATE)
      AND (len($languages::VARCHAR[]) = 0
           OR list_contains($languages::VARCHAR[], r.language))
    GROUP BY r.term
),
edge_rows AS (
    SELECT k.term, a.published >= $window_start::DATE AS in_window, k.count
    FROM articles a
    JOIN mentions m ON m.article_id = a.article_id
    JOIN keywords k ON k.article_id = a.article_id
    WHERE a.published BETWEEN $edge_a_from::DATE AND $edge_a_to::DATE
      AND a.duplicate_of IS NULL AND m.entity_id = $entity
      AND (len($languages::VARCHAR[]) = 0
           OR list_contains($languages::VARCHAR[], a.language))
    UNION ALL
    SELECT k.term, a.published >= $window_start::DATE AS in_window, k.count
    FROM articles a
    JOIN mentions m ON m.article_id = a.article_id
    JOIN keywords k ON k.article_id = a.article_id
    WHERE a.published BETWEEN $edge_b_from::DATE AND $edge_b_to::DATE
      AND a.duplicate_of IS NULL AND m.entity_id = $entity
      AND (len($languages::VARCHAR[]) = 0
           OR list_contains($languages::VARCHAR[], a.language))
    UNION ALL
    SELECT k.term, a.published >= $window_start::DATE AS in_window, k.count
    FROM articles a
    JOIN mentions m ON m.article_id = a.article_id
    JOIN keywords k ON k.article_id = a.article_id
    WHERE a.published BETWEEN $edge_c_from::DATE AND $edge_c_to::DATE
      AND a.duplicate_of IS NULL AND m.entity_id = $entity
      AND (len($languages::VARCHAR[]) = 0
           OR list_contains($languages::VARCHAR[], a.language))
),
edges AS (
    SELECT term,
           count(*) FILTER (WHERE in_window) AS window_docs,
           sum(count) FILTER (WHERE in_window) AS window_count,
           count(*) FILTER (WHERE NOT in_window) AS baseline_docs,
           sum(count) FILTER (WHERE NOT in_window) AS baseline_count
    FROM edge_rows
    GROUP BY term
)
SELECT term,
       coalesce(sum(window_docs), 0)::BIGINT AS window_docs,
       coalesce(sum(window_count), 0)::BIGINT AS window_count,
       coalesce(sum(baseline_docs), 0)::BIGINT AS baseline_docs,
       coalesce(sum(baseline_count), 0)::BIGINT AS baseline_count
FROM (SELECT * FROM rolled UNION ALL SELECT * FROM edges)
GROUP BY term
ORDER BY window_docs DESC, term
