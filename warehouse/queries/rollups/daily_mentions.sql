-- rollup_daily_mentions: per day, outlet, language and entity, the dated non-duplicate
-- articles naming it and their mentions, from article $first on. The two predicates on
-- article_id (one per joined table) let DuckDB prune both scans by zone map, so a batch
-- costs the same in a large warehouse.
SELECT a.published AS day, a.source_id, a.language, m.entity_id,
       count(*) AS articles, sum(m.body_count + m.title_count)::BIGINT AS mentions
FROM mentions m JOIN articles a USING (article_id)
WHERE m.article_id >= $first AND a.article_id >= $first
  AND a.published IS NOT NULL AND a.duplicate_of IS NULL
GROUP BY ALL
