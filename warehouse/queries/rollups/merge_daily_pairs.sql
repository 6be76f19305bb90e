-- Fold a batch (rollups/daily_pairs.sql from $first on) into rollup_daily_pairs.
MERGE INTO rollup_daily_pairs t
USING (/*rollups/daily_pairs*/) d
ON t.day = d.day AND t.source_id = d.source_id
   AND t.language IS NOT DISTINCT FROM d.language
   AND t.entity_a = d.entity_a AND t.entity_b = d.entity_b
WHEN MATCHED THEN UPDATE SET articles = t.articles + d.articles,
                             mentions_a = t.mentions_a + d.mentions_a,
                             mentions_b = t.mentions_b + d.mentions_b
WHEN NOT MATCHED THEN INSERT BY NAME
