-- rollup_daily_articles: articles per publication day, outlet and language, from article
-- $first on ($first = 0: all of them). Undated articles count under a NULL day.
SELECT published AS day, source_id, language,
       count(*) FILTER (WHERE duplicate_of IS NULL) AS articles,
       count(*) FILTER (WHERE duplicate_of IS NOT NULL) AS duplicates
FROM articles
WHERE article_id >= $first
GROUP BY ALL
