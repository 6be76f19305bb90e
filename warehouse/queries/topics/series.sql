-- Per topic in $topics and $period ('day', 'week', 'month'): matching articles (from
-- rollup_daily_topics), all articles of the period (rollup_daily_articles), their share,
-- and the distinct stories among the matches (from topic_matches: a story spanning days
-- is one). Filters: days [$start, $end] (NULL: open), outlets $sources and languages
-- $languages (empty: all).
WITH totals AS (
    SELECT date_trunc($period, r.day)::DATE AS period, sum(r.articles)::BIGINT AS total
    FROM rollup_daily_articles r
    WHERE r.day IS NOT NULL
      AND r.day >= coalesce($start::DATE, DATE '0001-01-01')
      AND r.day <= coalesce($end::DATE, DATE '9999-12-31')
      AND (len($sources::VARCHAR[]) = 0 OR list_contains($sources::VARCHAR[], r.source_id))
      AND (len($languages::VARCHAR[]) = 0 OR list_contains($languages::VARCHAR[], r.language))
    GROUP BY 1
    HAVING sum(r.articles) > 0
),
counted AS (
    SELECT r.topic_id, date_trunc($period, r.day)::DATE AS period,
           sum(r.articles)::BIGINT AS articles
    FROM rollup_daily_topics r
    WHERE list_contains($topics::VARCHAR[], r.topic_id)
      AND r.day >= coalesce($start::DATE, DATE '0001-01-01')
      AND r.day <= coalesce($end::DATE, DATE '9999-12-31')
      AND (len($sources::VARCHAR[]) = 0 OR list_contains($sources::VARCHAR[], r.source_id))
      AND (len($languages::VARCHAR[]) = 0 OR list_contains($languages::VARCHAR[], r.language))
    GROUP BY ALL
),
stories AS (
    SELECT t.topic_id, date_trunc($period, a.published)::DATE AS period,
           count(DISTINCT coalesce(a.story_id, a.article_id))::BIGINT AS stories
    FROM topic_matches t JOIN articles a USING (article_id)
    WHERE list_contains($topics::VARCHAR[], t.topic_id)
      AND a.published IS NOT NULL AND a.duplicate_of IS NULL
      AND a.published >= coalesce($start::DATE, DATE '0001-01-01')
      AND a.published <= coalesce($end::DATE, DATE '9999-12-31')
      AND (len($sources::VARCHAR[]) = 0 OR list_contains($sources::VARCHAR[], a.source_id))
      AND (len($languages::VARCHAR[]) = 0 OR list_contains($languages::VARCHAR[], a.language))
    GROUP BY ALL
),
wanted AS (SELECT unnest($topics::VARCHAR[]) AS topic_id)
SELECT w.topic_id, p.period, coalesce(c.articles, 0)::BIGINT AS articles, p.total,
       coalesce(c.articles, 0) / p.total AS share,
       coalesce(s.stories, 0)::BIGINT AS stories
FROM wanted w
CROSS JOIN totals p
LEFT JOIN counted c ON c.topic_id = w.topic_id AND c.period = p.period
LEFT JOIN stories s ON s.topic_id = w.topic_id AND s.period = p.period
ORDER BY w.topic_id, p.period
