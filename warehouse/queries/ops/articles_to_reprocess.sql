-- The stored articles to re-extract, oldest first: those of the outlets in $sources, or
-- all of them when $sources is NULL.
SELECT article_id, source_id, fetched_url, language FROM articles
WHERE $sources IS NULL OR list_contains($sources, source_id)
ORDER BY article_id
