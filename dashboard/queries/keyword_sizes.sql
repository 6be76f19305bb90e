-- Articles naming the entity in the window and in the baseline before it (from the rollup).
SELECT coalesce(sum(r.articles) FILTER (WHERE r.day >= $window_start::DATE), 0)::BIGINT
           AS window_articles,
       coalesce(sum(r.articles) FILTER (WHERE r.day < $window_start::DATE), 0)::BIGINT
           AS baseline_articles
FROM rollup_daily_mentions r
LEFT JOIN sources s USING (source_id)
WHERE /*cell_filter*/ AND r.entity_id = $entity;
