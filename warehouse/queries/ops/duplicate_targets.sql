-- Each article's exact-duplicate link as it should be: the earliest article with the same
-- content hash, NULL for that earliest one.
SELECT article_id,
       CASE WHEN min(article_id) OVER (PARTITION BY content_hash) < article_id
            THEN min(article_id) OVER (PARTITION BY content_hash) END AS dup
FROM articles
