-- Fold a batch (rollups/daily_mentions.sql from $first on) into rollup_daily_mentions.
MERGE INTO rollup_daily_mentions t
USING (/*rollups/daily_mentions*/) d
ON t.day = d.day AND t.source_id = d.source_id
   AND t.language IS NOT DISTINCT FROM d.language AND t.entity_id = d.entity_id
WHEN MATCHED THEN UPDATE SET articles = t.articles + d.articles,
                             mentions = t.mentions + d.mentions
WHEN NOT MATCHED THEN INSERT BY NAME
