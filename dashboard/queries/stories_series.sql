-- Per panel, period and entity set, counted in distinct stories rather than articles: a wire
-- story and its syndicated copies (articles.story_id, migration 003) count once per panel
-- and period. Columns as series.sql: articles = stories naming the set (any or all of its
-- entities, judged per article), mentions = per story the most any of its articles has,
-- total = all distinct stories of the panel and period, share = articles / total. A story
-- whose copies fall in two periods counts in both. Every period of the window appears.
WITH /*filtered*/,
cells AS (
    SELECT r.article_id, a.story_id, r.day, date_trunc($period, r.day)::DATE AS period,
           /*panel*/ AS panel
    FROM filtered r
    JOIN articles a USING (article_id)
    LEFT JOIN sources s ON s.source_id = r.source_id
),
/*set_members*/,
per_article AS (
    SELECT cells.panel, cells.period, mb.set_idx, cells.story_id, cells.article_id, /*member_hits*/
),
per_story AS (
    SELECT panel, period, set_idx, story_id, max(mentions) AS mentions
    FROM per_article
    WHERE $match = 'any' OR named = size
    GROUP BY ALL
),
hits AS (
    SELECT panel, period, set_idx, count(*) AS articles, sum(mentions) AS mentions
    FROM per_story
    GROUP BY ALL
),
totals AS (
    SELECT panel, period, count(DISTINCT story_id) AS total FROM cells GROUP BY ALL
),
/*series_grid*/
