-- Filtered articles per period and outlet.
WITH /*filtered*/
SELECT date_trunc($period, f.day)::DATE AS period, f.source_id,
       coalesce(s.name, f.source_id) AS outlet, count(*) AS articles
FROM filtered f
LEFT JOIN sources s USING (source_id)
GROUP BY ALL
ORDER BY period, outlet;
