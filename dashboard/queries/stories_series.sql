-- Per panel, period and entity set, counted in distinct stories rather than articles: a wire
-- story and its syndicated copies (articles.story_id, migration 003) count once per panel
-- and period. Columns as series.sql: articles = stories naming the set (any or all of its
-- entities, judged per article), mentions = per story the most any of its articles has,
-- total = all distinct stories of the panel and period, share = articles / total. A story
-- whose copies fall in two periods counts in both. Every period of the window appears.
WITH /*filtered*/,
fp AS (
    SELECT f.article_id, a.story_id, f.day,
           date_trunc($period, f.day)::DATE AS period,
           CASE $split
               WHEN 'country' THEN coalesce(f.country, '(unknown)')
               WHEN 'language' THEN coalesce(f.language, '(unknown)')
               WHEN 'outlet' THEN f.source_id
               WHEN 'kind' THEN coalesce(f.outlet_kind, '(unknown)')
               ELSE 'all'
           END AS panel
    FROM filtered f JOIN articles a USING (article_id)
),
sets AS (
    SELECT generate_subscripts($sets::VARCHAR[][], 1) AS set_idx,
           unnest($sets::VARCHAR[][]) AS members
),
members AS (
    SELECT set_idx, unnest(members) AS entity_id, len(members) AS size FROM sets
),
per_article AS (
    SELECT fp.panel, fp.period, mb.set_idx, fp.story_id, fp.article_id,
           count(*) AS named, any_value(mb.size) AS size,
           sum(m.body_count + m.title_count) AS mentions
    FROM fp
    JOIN mentions m USING (article_id)
    JOIN members mb USING (entity_id)
    GROUP BY ALL
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
    SELECT panel, period, count(DISTINCT story_id) AS total FROM fp GROUP BY ALL
),
bounds AS (
    SELECT date_trunc($period, coalesce($start::DATE, min(day)))::TIMESTAMP AS lo,
           (coalesce($end::DATE, max(day)) + 1)::TIMESTAMP AS hi
    FROM fp
),
periods AS (
    SELECT unnest(range(lo, hi, ('1 ' || $period)::INTERVAL))::DATE AS period FROM bounds
),
grid AS (
    SELECT p.panel, periods.period, s.set_idx
    FROM (SELECT DISTINCT panel FROM fp) p, periods, (SELECT set_idx FROM sets) s
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
