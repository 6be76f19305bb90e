-- For a listing of the newest $limit filtered articles (naming $entities when given, any
-- or all of them): the latest day `since` such that the articles from `since` to the end
-- number at least $limit (NULL when all of them are fewer), and how many there are in
-- all, both from the rollups. The listing then reads only articles from `since` on: a
-- selective predicate whose cost does not grow with the warehouse.
-- Two entities: naming any = A + B - both, naming all = both (rollup_daily_pairs). Three or
-- more: the entity sets intersecting (any) or containing (all) theirs
-- (rollup_daily_entity_sets; every entity must have a bit, see unmasked_entities.sql).
WITH pair AS (
    SELECT least(e[1], e[2]) AS entity_a, greatest(e[1], e[2]) AS entity_b
    FROM (SELECT $entities::VARCHAR[] AS e)
    WHERE len(e) = 2
),
mask AS (
    SELECT bit_or(1::HUGEINT << b.bit) AS mask,
           count(*) = len($entities::VARCHAR[]) AS all_named
    FROM entity_bits b
    WHERE len($entities::VARCHAR[]) >= 3 AND list_contains($entities::VARCHAR[], b.entity_id)
),
per_day AS (
    SELECT r.day, r.articles
    FROM rollup_daily_articles r
    LEFT JOIN sources s USING (source_id)
    WHERE len($entities::VARCHAR[]) = 0 AND /*cell_filter*/
    UNION ALL
    SELECT r.day, r.articles
    FROM rollup_daily_mentions r
    LEFT JOIN sources s USING (source_id)
    WHERE list_contains($entities::VARCHAR[], r.entity_id)
      AND (len($entities::VARCHAR[]) = 1 OR len($entities::VARCHAR[]) = 2 AND $match = 'any')
      AND /*cell_filter*/
    UNION ALL
    SELECT r.day, CASE WHEN $match = 'any' THEN -r.articles ELSE r.articles END
    FROM rollup_daily_pairs r
    JOIN pair p USING (entity_a, entity_b)
    LEFT JOIN sources s USING (source_id)
    WHERE /*cell_filter*/
    UNION ALL
    SELECT r.day, r.articles
    FROM rollup_daily_entity_sets r
    JOIN mask k ON /*set_match*/
    LEFT JOIN sources s USING (source_id)
    WHERE /*cell_filter*/
),
days AS (
    SELECT day, sum(articles) AS n FROM per_day GROUP BY day
),
cum AS (
    SELECT day, sum(n) OVER (ORDER BY day DESC) AS c FROM days
)
SELECT max(day) FILTER (WHERE c >= $limit) AS since, coalesce(max(c), 0)::BIGINT AS matches
FROM cum;
