-- rollup_weekly_co_mentions: the daily co-mention counts (rollups/daily_co_mentions.sql)
-- summed per ISO week (its Monday), from article $first on.
SELECT date_trunc('week', day)::DATE AS week, source_id, language, entity_a, entity_b,
       sum(articles)::BIGINT AS articles, sum(sentence_articles)::BIGINT AS sentence_articles,
       sum(sentences)::BIGINT AS sentences
FROM (/*rollups/daily_co_mentions*/)
GROUP BY ALL
