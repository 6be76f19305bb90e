SELECT DISTINCT language
FROM rollup_daily_articles
WHERE language IS NOT NULL AND day IS NOT NULL AND articles > 0
ORDER BY language;
