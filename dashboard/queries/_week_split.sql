-- A date window cut into whole ISO weeks [first_week, last_week_end] and the days at its
-- two edges: whole weeks are read from a weekly rollup, edge days from the daily one.
span AS (
    SELECT lo, hi,
           date_trunc('week', lo + INTERVAL 6 DAY)::DATE AS first_week,
           (date_trunc('week', hi + INTERVAL 1 DAY) - INTERVAL 1 DAY)::DATE AS last_week_end
    FROM (SELECT coalesce($start::DATE, DATE '0001-01-01') AS lo,
                 coalesce($end::DATE, DATE '9999-12-31') AS hi)
)
