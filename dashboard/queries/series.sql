-- Per panel, period and entity set: filtered articles naming the set, their mentions, and
-- all filtered articles of that panel and period (the denominator of the share), read from
-- the rollups. For sets of one or two entities: a pair is answered by inclusion-exclusion
-- (naming A or B = A + B - both; both from rollup_daily_pairs). Larger sets need
-- article-level set logic (series_sets.sql). Every period of the window appears, with
-- zeros, so charts and spike detection see quiet periods too.
WITH cells AS (
    SELECT r.day, date_trunc($period, r.day)::DATE AS period, /*panel*/ AS panel, r.articles
    FROM rollup_daily_articles r
    LEFT JOIN sources s USING (source_id)
    WHERE /*cell_filter*/ AND r.articles > 0
),
sets AS (
    SELECT generate_subscripts($sets::VARCHAR[][], 1) AS set_idx,
           unnest($sets::VARCHAR[][]) AS members
),
members AS (
    SELECT set_idx, unnest(members) AS entity_id FROM sets
),
pairs AS (
    SELECT set_idx, least(members[1], members[2]) AS entity_a,
           greatest(members[1], members[2]) AS entity_b
    FROM sets
    WHERE len(members) = 2
),
ent_cells AS (
    SELECT date_trunc($period, r.day)::DATE AS period, /*panel*/ AS panel, r.entity_id,
           r.articles, r.mentions
    FROM rollup_daily_mentions r
    LEFT JOIN sources s USING (source_id)
    WHERE /*cell_filter*/
      AND list_contains(flatten($sets::VARCHAR[][]), r.entity_id)
),
pair_cells AS (
    SELECT date_trunc($period, r.day)::DATE AS period, /*panel*/ AS panel, p.set_idx,
           r.articles, r.mentions_a + r.mentions_b AS mentions
    FROM rollup_daily_pairs r
    JOIN pairs p USING (entity_a, entity_b)
    LEFT JOIN sources s USING (source_id)
    WHERE /*cell_filter*/
),
-- Any member of a pair: A's articles + B's - those naming both, with all of A's and B's
-- mentions. All members of a pair: the articles naming both, with A's and B's mentions in
-- them. A set of one: its entity's cells.
signed AS (
    SELECT e.panel, e.period, mb.set_idx, e.articles, e.mentions
    FROM ent_cells e
    JOIN members mb USING (entity_id)
    WHERE $match = 'any' OR mb.set_idx NOT IN (SELECT set_idx FROM pairs)
    UNION ALL
    SELECT panel, period, set_idx,
           CASE WHEN $match = 'any' THEN -articles ELSE articles END,
           CASE WHEN $match = 'any' THEN 0 ELSE mentions END
    FROM pair_cells
),
hits AS (
    SELECT panel, period, set_idx, sum(articles)::BIGINT AS articles,
           sum(mentions)::BIGINT AS mentions
    FROM signed
    GROUP BY ALL
),
totals AS (
    SELECT panel, period, sum(articles)::BIGINT AS total FROM cells GROUP BY ALL
),
/*series_grid*/
