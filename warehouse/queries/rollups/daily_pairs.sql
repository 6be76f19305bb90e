-- rollup_daily_pairs (migration 005): per day, outlet, language and entity pair named
-- anywhere in an article (headline included), the dated non-duplicate articles and each
-- entity's mentions in them, from article $first on.
SELECT a.published AS day, a.source_id, a.language, m1.entity_id AS entity_a,
       m2.entity_id AS entity_b, count(*) AS articles,
       sum(m1.body_count + m1.title_count)::BIGINT AS mentions_a,
       sum(m2.body_count + m2.title_count)::BIGINT AS mentions_b
FROM mentions m1
JOIN mentions m2 ON m2.article_id = m1.article_id AND m2.entity_id > m1.entity_id
JOIN articles a ON a.article_id = m1.article_id
WHERE m1.article_id >= $first AND m2.article_id >= $first AND a.article_id >= $first
  AND a.published IS NOT NULL AND a.duplicate_of IS NULL
GROUP BY ALL
