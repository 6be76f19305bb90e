-- Per panel, period and entity: filtered articles naming the entity, their mentions, and
-- all filtered articles of that panel and period (the denominator of the share), read from
-- the rollups. For sets of one entity each; sets of several entities need article-level
-- set logic (series_sets.sql). Every period of the window appears, with zeros, so charts
-- and spike detection see quiet periods too.
WITH day_cells AS (
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
    SELECT set_idx, members[1] AS entity_id FROM sets
),
ent_cells AS (
    SELECT date_trunc($period, r.day)::DATE AS period, /*panel*/ AS panel, r.entity_id,
           r.articles, r.mentions
    FROM rollup_daily_mentions r
    LEFT JOIN sources s USING (source_id)
    WHERE /*cell_filter*/
      AND list_contains(flatten($sets::VARCHAR[][]), r.entity_id)
),
hits AS (
    SELECT e.panel, e.period, mb.set_idx, sum(e.articles)::BIGINT AS articles,
           sum(e.mentions)::BIGINT AS mentions
    FROM ent_cells e
    JOIN members mb USING (entity_id)
    GROUP BY ALL
),
totals AS (
    SELECT panel, period, sum(articles)::BIGINT AS total FROM day_cells GROUP BY ALL
),
bounds AS (
    SELECT date_trunc($period, coalesce($start::DATE, min(day)))::TIMESTAMP AS lo,
           (coalesce($end::DATE, max(day)) + 1)::TIMESTAMP AS hi
    FROM day_cells
),
periods AS (
    SELECT unnest(range(lo, hi, ('1 ' || $period)::INTERVAL))::DATE AS period FROM bounds
),
grid AS (
    SELECT p.panel, periods.period, s.set_idx
    FROM (SELECT DISTINCT panel FROM day_cells) p, periods, (SELECT set_idx FROM sets) s
)
SELECT g.panel, g.period, g.set_idx,
       coalesce(h.articles, 0)::BIGINT AS articles,
       coalesce(h.mentions, 0)::BIGINT AS mentions,
       coalesce(t.total, 0)::BIGINT AS total,
       coalesce(h.articles, 0) / nullif(t.total, 0) AS share
FROM grid g
LEFT JOIN hits h USING (panel, period, set_idx)
LEFT JOIN totals t USING (panel, period)
ORDER BY g.panel, g.set_idx, g.period;
