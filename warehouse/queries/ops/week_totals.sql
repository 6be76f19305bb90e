-- Per week (its Monday, in column day): dated, non-duplicate articles of all outlets.
SELECT date_trunc('week', day)::DATE AS day, sum(articles)::BIGINT AS articles
FROM daily_articles
GROUP BY ALL
