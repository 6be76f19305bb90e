-- The tail the series queries share: every period of the window for every panel and set,
-- zeros where nothing matched. Needs the CTEs cells (panel, day), sets (set_idx), hits
-- (panel, period, set_idx, articles, mentions) and totals (panel, period, total).
bounds AS (
    SELECT date_trunc($period, coalesce($start::DATE, min(day)))::TIMESTAMP AS lo,
           (coalesce($end::DATE, max(day)) + 1)::TIMESTAMP AS hi
    FROM cells
),
periods AS (
    SELECT unnest(range(lo, hi, ('1 ' || $period)::INTERVAL))::DATE AS period FROM bounds
),
grid AS (
    SELECT p.panel, periods.period, s.set_idx
    FROM (SELECT DISTINCT panel FROM cells) p, periods, (SELECT set_idx FROM sets) s
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
