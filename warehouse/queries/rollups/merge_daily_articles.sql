-- Fold a batch (rollups/daily_articles.sql from $first on) into rollup_daily_articles.
-- NULL-safe keys: undated articles have a NULL day, and language may be NULL.
MERGE INTO rollup_daily_articles t
USING (/*rollups/daily_articles*/) d
ON t.day IS NOT DISTINCT FROM d.day AND t.source_id = d.source_id
   AND t.language IS NOT DISTINCT FROM d.language
WHEN MATCHED THEN UPDATE SET articles = t.articles + d.articles,
                             duplicates = t.duplicates + d.duplicates
WHEN NOT MATCHED THEN INSERT BY NAME
