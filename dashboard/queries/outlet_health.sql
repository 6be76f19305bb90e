-- Per outlet (outlet and country filters apply; dates do not: health is about now):
-- articles stored, newest article, last successful fetch, and fetch outcomes over the
-- last $runs runs: article URLs (tried, failed) and discovery documents (feeds_tried,
-- feeds_failed); error_rate is both failures over both tries. Read from the rollups (rollup_run_fetches summarises fetch_log per run
-- and outlet; rollup_daily_articles counts articles), never from the per-URL tables.
WITH recent AS (
    SELECT run_id FROM runs ORDER BY started_at DESC LIMIT $runs
),
tries AS (
    SELECT f.source_id,
           sum(f.tried)::BIGINT AS tried,
           sum(f.failed)::BIGINT AS failed,
           arg_max(f.last_error, f.last_error_at) AS last_error
    FROM rollup_run_fetches f
    WHERE f.run_id IN (SELECT run_id FROM recent)
    GROUP BY f.source_id
),
ok AS (
    SELECT source_id, max(last_success) AS last_success
    FROM rollup_run_fetches
    GROUP BY source_id
),
arts AS (
    SELECT source_id, sum(articles)::BIGINT AS articles,
           max(day) FILTER (WHERE articles > 0) AS last_published
    FROM rollup_daily_articles
    GROUP BY source_id
),
newest AS (
    SELECT max(day) AS newest FROM rollup_daily_articles WHERE articles > 0
),
feeds AS (
    -- Feeds, sitemaps and URL lists read by discovery: when they fail, no article URL is
    -- tried at all, so an error rate of article fetches alone reads 0 for a dead outlet.
    SELECT rs.source_id, arg_max(rs.error, r.started_at) AS discovery_error,
           sum(rs.feeds_ok + rs.feeds_failed)::BIGINT AS feeds_tried,
           sum(rs.feeds_failed)::BIGINT AS feeds_failed
    FROM run_sources rs JOIN runs r USING (run_id)
    WHERE rs.run_id IN (SELECT run_id FROM recent)
    GROUP BY rs.source_id
)
SELECT s.source_id, s.name AS outlet, s.country, s.language, s.kind,
       coalesce(arts.articles, 0)::BIGINT AS articles,
       arts.last_published,
       date_diff('day', arts.last_published, newest.newest) AS days_behind_newest,
       ok.last_success,
       coalesce(tries.tried, 0)::BIGINT AS tried,
       coalesce(tries.failed, 0)::BIGINT AS failed,
       coalesce(feeds.feeds_tried, 0)::BIGINT AS feeds_tried,
       coalesce(feeds.feeds_failed, 0)::BIGINT AS feeds_failed,
       (coalesce(tries.failed, 0) + coalesce(feeds.feeds_failed, 0))
           / nullif(coalesce(tries.tried, 0) + coalesce(feeds.feeds_tried, 0), 0) AS error_rate,
       coalesce(tries.last_error, feeds.discovery_error) AS last_error
FROM sources s
CROSS JOIN newest
LEFT JOIN arts USING (source_id)
LEFT JOIN ok USING (source_id)
LEFT JOIN tries USING (source_id)
LEFT JOIN feeds USING (source_id)
WHERE (len($sources::VARCHAR[]) = 0 OR list_contains($sources::VARCHAR[], s.source_id))
  AND (len($countries::VARCHAR[]) = 0 OR list_contains($countries::VARCHAR[], s.country))
ORDER BY s.name;
