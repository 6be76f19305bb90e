-- Fold a batch (rollups/daily_co_mentions.sql from $first on) into
-- rollup_daily_co_mentions.
MERGE INTO rollup_daily_co_mentions t
USING (/*rollups/daily_co_mentions*/) d
ON t.day = d.day AND t.source_id = d.source_id
   AND t.language IS NOT DISTINCT FROM d.language
   AND t.entity_a = d.entity_a AND t.entity_b = d.entity_b
WHEN MATCHED THEN UPDATE SET articles = t.articles + d.articles,
                             sentence_articles = t.sentence_articles + d.sentence_articles,
                             sentences = t.sentences + d.sentences
WHEN NOT MATCHED THEN INSERT BY NAME
