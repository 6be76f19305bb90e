-- Per outlet (outlet and country filters apply; dates do not: health is about now):
-- articles stored, newest article, last successful fetch, and fetch outcomes over the
-- last $runs runs.
WITH recent AS (
    SELECT run_id FROM runs ORDER BY started_at DESC LIMIT $runs
),
tries AS (
    SELECT l.source_id,
           count(*) AS tried,
           count(*) FILTER (WHERE l.outcome NOT IN ('loaded', 'duplicate')) AS failed,
           arg_max(l.error, l.fetched_at)
               FILTER (WHERE l.outcome NOT IN ('loaded', 'duplicate')) AS last_error
    FROM fetch_log l
    WHERE l.run_id IN (SELECT run_id FROM recent)
    GROUP BY l.source_id
),
ok AS (
    SELECT source_id, max(fetched_at) AS last_success
    FROM fetch_log
    WHERE outcome IN ('loaded', 'duplicate')
    GROUP BY source_id
),
arts AS (
    SELECT source_id, count(*) AS articles, max(published) AS last_published
    FROM articles
    WHERE duplicate_of IS NULL
    GROUP BY source_id
),
newest AS (
    SELECT max(published) AS newest FROM articles WHERE duplicate_of IS NULL
),
feeds AS (
    SELECT rs.source_id, arg_max(rs.error, r.started_at) AS discovery_error
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
       tries.failed / nullif(tries.tried, 0) AS error_rate,
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
