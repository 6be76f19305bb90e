-- Fold a batch (rollups/weekly_co_mentions.sql from $first on) into
-- rollup_weekly_co_mentions.
MERGE INTO rollup_weekly_co_mentions t
USING (/*rollups/weekly_co_mentions*/) d
ON t.week = d.week AND t.source_id = d.source_id
   AND t.language IS NOT DISTINCT FROM d.language
   AND t.entity_a = d.entity_a AND t.entity_b = d.entity_b
WHEN MATCHED THEN UPDATE SET articles = t.articles + d.articles,
                             sentence_articles = t.sentence_articles + d.sentence_articles,
                             sentences = t.sentences + d.sentences
WHEN NOT MATCHED THEN INSERT BY NAME
