-- For a listing of the newest $limit filtered articles (naming $entities[1] when given):
-- the latest day `since` such that the articles from `since` to the end number at least
-- $limit (NULL when all of them are fewer), and how many there are in all, both from the
-- rollups. The listing then reads only articles from `since` on: a selective predicate
-- whose cost does not grow with the warehouse.
WITH per_day AS (
    SELECT r.day, r.articles
    FROM rollup_daily_articles r
    LEFT JOIN sources s USING (source_id)
    WHERE len($entities::VARCHAR[]) = 0 AND /*cell_filter*/
    UNION ALL
    SELECT r.day, r.articles
    FROM rollup_daily_mentions r
    LEFT JOIN sources s USING (source_id)
    WHERE len($entities::VARCHAR[]) > 0 AND r.entity_id = ($entities::VARCHAR[])[1]
      AND /*cell_filter*/
),
days AS (
    SELECT day, sum(articles) AS n FROM per_day GROUP BY day
),
cum AS (
    SELECT day, sum(n) OVER (ORDER BY day DESC) AS c FROM days
)
SELECT max(day) FILTER (WHERE c >= $limit) AS since, coalesce(max(c), 0)::BIGINT AS matches
FROM cum;
