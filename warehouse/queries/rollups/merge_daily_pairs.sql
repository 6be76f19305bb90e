-- Fold a batch (rollups/daily_pairs.sql from $first on) into rollup_daily_pairs.
MERGE INTO rollup_daily_pairs t
USING (/*rollups/daily_pairs*/) d
ON t.day = d.day AND /*rollups/_pair_key*/
WHEN MATCHED THEN UPDATE SET articles = t.articles + d.articles,
                             mentions_a = t.mentions_a + d.mentions_a,
                             mentions_b = t.mentions_b + d.mentions_b
WHEN NOT MATCHED THEN INSERT BY NAME
