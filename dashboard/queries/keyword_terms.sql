-- Terms of the articles naming $entity in a window and the baseline before it, as
-- dashboard.queries.week_plan says: ISO weeks from the keyword rollup (migration 010), the
-- baseline's [$baseline_from, $baseline_to] and the window's [$window_from, $window_to]
-- (Mondays; NULL when a side has none), corrected by up to three ranges of days read from
-- the articles (edge_a, edge_b, edge_c: _from, _to; NULL: none), whose counts are added to
-- the window and the baseline with the weights _window and _baseline (-1, 0 or 1: a week
-- read whole for one side less its days that are not). Each range is its own scan, so each
-- prunes the tables to its days by zone map. The rollup has a language but no outlet: with
-- an outlet or country filter the caller runs keyword_terms_days.sql.
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
-- The three edge spans are written out, not joined to a list of spans: constant bounds let
-- DuckDB skip row groups by `published`, where a join to the spans reads every article.
edge_rows AS (
    SELECT k.term, k.count, $edge_a_window::INTEGER AS w, $edge_a_baseline::INTEGER AS b
    FROM articles a
    JOIN mentions m ON m.article_id = a.article_id
    JOIN keywords k ON k.article_id = a.article_id
    WHERE a.published BETWEEN $edge_a_from::DATE AND $edge_a_to::DATE
      AND a.duplicate_of IS NULL AND m.entity_id = $entity
      AND (len($languages::VARCHAR[]) = 0
           OR list_contains($languages::VARCHAR[], a.language))
    UNION ALL
    SELECT k.term, k.count, $edge_b_window::INTEGER AS w, $edge_b_baseline::INTEGER AS b
    FROM articles a
    JOIN mentions m ON m.article_id = a.article_id
    JOIN keywords k ON k.article_id = a.article_id
    WHERE a.published BETWEEN $edge_b_from::DATE AND $edge_b_to::DATE
      AND a.duplicate_of IS NULL AND m.entity_id = $entity
      AND (len($languages::VARCHAR[]) = 0
           OR list_contains($languages::VARCHAR[], a.language))
    UNION ALL
    SELECT k.term, k.count, $edge_c_window::INTEGER AS w, $edge_c_baseline::INTEGER AS b
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
           sum(w) AS window_docs, sum(w * count) AS window_count,
           sum(b) AS baseline_docs, sum(b * count) AS baseline_count
    FROM edge_rows
    WHERE w <> 0 OR b <> 0
    GROUP BY term
)
SELECT term,
       coalesce(sum(window_docs), 0)::BIGINT AS window_docs,
       coalesce(sum(window_count), 0)::BIGINT AS window_count,
       coalesce(sum(baseline_docs), 0)::BIGINT AS baseline_docs,
       coalesce(sum(baseline_count), 0)::BIGINT AS baseline_count
FROM (SELECT * FROM rolled UNION ALL SELECT * FROM edges)
GROUP BY term
-- A term only on the days subtracted: no article of either side has it.
HAVING sum(window_docs) <> 0 OR sum(baseline_docs) <> 0
ORDER BY window_docs DESC, term
