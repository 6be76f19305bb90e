-- Fold a batch (rollups/daily_entity_sets.sql from $first on) into
-- rollup_daily_entity_sets. Same key, same bits, so the same entities in the same order:
-- mentions add up element by element.
MERGE INTO rollup_daily_entity_sets t
USING (/*rollups/daily_entity_sets*/) d
ON t.day = d.day AND t.source_id = d.source_id
   AND t.language IS NOT DISTINCT FROM d.language AND t.entity_set = d.entity_set
WHEN MATCHED THEN UPDATE SET
    articles = t.articles + d.articles,
    mentions = list_transform(list_zip(t.mentions, d.mentions), lambda x: x[1] + x[2])
WHEN NOT MATCHED THEN INSERT BY NAME
