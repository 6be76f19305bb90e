-- Per panel, period and entity set: filtered articles naming the set, their mentions, and
-- all filtered articles of that panel and period (the denominator of the share), read from
-- the rollups. A set of one is its entity's cells. A pair is answered by
-- inclusion-exclusion (naming A or B = A + B - both; both from rollup_daily_pairs). A
-- larger set reads rollup_daily_entity_sets: the exact sets articles name, as bit masks,
-- that intersect the set (any) or contain it (all). series_sets.sql computes the same from
-- the mentions, for sets with an entity that has no bit. Every period of the window
-- appears, with zeros, so charts and spike detection see quiet periods too.
WITH cells AS (
    SELECT r.day, date_trunc($period, r.day)::DATE AS period, /*panel*/ AS panel, r.articles
    FROM rollup_daily_articles r
    LEFT JOIN sources s USING (source_id)
    WHERE /*cell_filter*/ AND r.articles > 0
),
/*set_members*/,
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
-- Sets of three or more: their mask, each member's own bit, and whether every member has
-- been named at all (a member never named leaves no article naming all of them).
masks AS (
    SELECT mb.set_idx, bit_or(1::HUGEINT << b.bit) AS mask, list(1::HUGEINT << b.bit) AS bits,
           count(*) = any_value(mb.size) AS all_named
    FROM members mb
    JOIN entity_bits b USING (entity_id)
    WHERE mb.size >= 3
    GROUP BY mb.set_idx
),
-- A row's mentions list follows its set's bits in ascending order, so a member's entry is
-- one past the number of the row's bits below the member's own. Summed per day, outlet and
-- language first: the outlet's columns and the panel are then looked up once per cell,
-- not once per set.
set_days AS (
    SELECT r.day, r.source_id, r.language, k.set_idx, sum(r.articles) AS articles,
           sum(CASE WHEN $match = 'all'
                    THEN list_sum(list_transform(k.bits, lambda bit:
                             r.mentions[bit_count(r.entity_set & (bit - 1)) + 1]))
               END) AS mentions
    FROM rollup_daily_entity_sets r
    JOIN masks k ON /*set_match*/
    WHERE r.day >= coalesce($start::DATE, DATE '0001-01-01')
      AND r.day <= coalesce($end::DATE, DATE '9999-12-31')
    GROUP BY ALL
),
set_cells AS (
    SELECT date_trunc($period, r.day)::DATE AS period, /*panel*/ AS panel, r.set_idx,
           r.articles, r.mentions
    FROM set_days r
    LEFT JOIN sources s USING (source_id)
    WHERE /*cell_filter*/
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
-- them. A set of one: its entity's cells. Any member of a larger set: the articles of the
-- sets intersecting it, with all of its members' mentions (an article naming none of them
-- has none); all members: the articles of the sets containing it, with its members'
-- mentions in them.
signed AS (
    SELECT e.panel, e.period, mb.set_idx,
           CASE WHEN mb.size >= 3 THEN 0 ELSE e.articles END AS articles,
           e.mentions
    FROM ent_cells e
    JOIN members mb USING (entity_id)
    WHERE $match = 'any' OR mb.size = 1
    UNION ALL
    SELECT panel, period, set_idx, articles, coalesce(mentions, 0)
    FROM set_cells
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
