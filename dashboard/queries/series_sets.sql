-- Per panel, period and entity set: filtered articles naming the set (any or all of its
-- entities), their mentions, and all filtered articles of that panel and period. Sets of
-- three or more entities need article-level set logic (an article naming two members
-- counts once), so this scans the mentions of the sets' entities; series.sql serves sets
-- of one or two entities from the rollups.
WITH /*filtered*/,
cells AS (
    SELECT r.article_id, r.day, date_trunc($period, r.day)::DATE AS period,
           /*panel*/ AS panel
    FROM filtered r
    LEFT JOIN sources s USING (source_id)
),
/*set_members*/,
per_article AS (
    SELECT cells.panel, cells.period, mb.set_idx, cells.article_id, /*member_hits*/
),
hits AS (
    SELECT panel, period, set_idx, count(*) AS articles, sum(mentions) AS mentions
    FROM per_article
    WHERE $match = 'any' OR named = size
    GROUP BY ALL
),
totals AS (
    SELECT panel, period, count(*) AS total FROM cells GROUP BY ALL
),
/*series_grid*/
