-- rollup_daily_co_mentions: per day, outlet, language and entity pair named in the text,
-- the dated non-duplicate articles, those with a sentence naming both, and the sentences,
-- from article $first on.
SELECT a.published AS day, a.source_id, a.language, c.entity_a, c.entity_b,
       count(*) AS articles, count(*) FILTER (WHERE c.sentence_count > 0) AS sentence_articles,
       sum(c.sentence_count)::BIGINT AS sentences
FROM co_mentions c JOIN articles a USING (article_id)
WHERE c.article_id >= $first AND a.article_id >= $first
  AND a.published IS NOT NULL AND a.duplicate_of IS NULL
GROUP BY ALL
