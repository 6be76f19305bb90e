-- Articles the sidebar filters select, counted from the daily rollup.
SELECT coalesce(sum(r.articles), 0)::BIGINT AS articles
FROM rollup_daily_articles r
LEFT JOIN sources s USING (source_id)
WHERE /*cell_filter*/;
