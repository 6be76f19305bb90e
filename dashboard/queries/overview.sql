-- Bounds of the publication dates and the size of the warehouse, for the sidebar. Read
-- from the rollup, whose rows cover every article (duplicates and undated ones included);
-- table_rows lets the caller notice rows written without rollup maintenance.
SELECT min(day) AS first_day, max(day) AS last_day,
       coalesce(sum(articles) FILTER (WHERE day IS NOT NULL), 0)::BIGINT AS articles,
       coalesce(sum(articles + duplicates), 0)::BIGINT AS rows_total,
       (SELECT count(*) FROM articles) AS table_rows
FROM rollup_daily_articles;
