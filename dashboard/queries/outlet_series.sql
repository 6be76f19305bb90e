-- Filtered articles per period and outlet (from the rollup).
SELECT date_trunc($period, r.day)::DATE AS period, r.source_id,
       coalesce(s.name, r.source_id) AS outlet, sum(r.articles)::BIGINT AS articles
FROM rollup_daily_articles r
LEFT JOIN sources s USING (source_id)
WHERE /*cell_filter*/
GROUP BY ALL
HAVING sum(r.articles) > 0
ORDER BY period, outlet;
