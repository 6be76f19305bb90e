-- Filtered articles, optionally only those naming the given entities (any or all) and
-- among $ids (the articles a text query matches, from the full-text index:
-- warehouse/search.py), newest first, with a snippet around the first entity mention and,
-- for a text query, the text (the caller cuts the snippet around the query's first hit).
-- $since (from article_list_bounds.sql, or NULL) bounds the days read; $matches, when
-- known from the rollups, is the count of all matching rows, else they are counted here.
-- Entity names and text are fetched for the rows shown only.
WITH /*filtered*/,
win AS (
    SELECT article_id, day, source_id
    FROM filtered
    WHERE day >= coalesce($since::DATE, DATE '0001-01-01')
),
sel AS (
    SELECT m.article_id, count(*) AS named,
           sum(m.body_count + m.title_count) AS mentions,
           min(m.first_offset) AS first_offset
    FROM win
    JOIN mentions m USING (article_id)
    WHERE list_contains($entities::VARCHAR[], m.entity_id)
    GROUP BY m.article_id
),
hits AS (
    SELECT w.article_id, w.day, w.source_id, sel.mentions, sel.first_offset
    FROM win w
    LEFT JOIN sel USING (article_id)
    WHERE len($entities::VARCHAR[]) = 0
       OR sel.named >= CASE WHEN $match = 'all' THEN len($entities::VARCHAR[]) ELSE 1 END
),
searched AS (
    SELECT h.*
    FROM hits h
    WHERE $ids::BIGINT[] IS NULL
       OR h.article_id IN (SELECT unnest($ids::BIGINT[]))
),
top AS (
    SELECT *, count(*) OVER () AS matches
    FROM searched
    ORDER BY day DESC, article_id DESC
    LIMIT $limit
),
named AS (
    SELECT m.article_id,
           string_agg(e.name, ', ' ORDER BY m.body_count + m.title_count DESC, e.name)
               AS entities
    FROM top
    JOIN mentions m USING (article_id)
    JOIN entities e USING (entity_id)
    GROUP BY m.article_id
)
SELECT t.article_id, t.day AS published, coalesce(s.name, t.source_id) AS outlet,
       a.title, a.url, n.entities, coalesce(t.mentions, 0)::BIGINT AS mentions,
       CASE
           WHEN t.first_offset IS NOT NULL
               THEN substr(a.text, greatest(1, t.first_offset + 1 - 100), 260)
           ELSE substr(a.text, 1, 260)
       END AS snippet,
       coalesce($matches::BIGINT, t.matches) AS matches,
       CASE WHEN $ids::BIGINT[] IS NOT NULL THEN a.language END AS language,
       CASE WHEN $ids::BIGINT[] IS NOT NULL THEN a.text END AS text
FROM top t
JOIN articles a USING (article_id)
LEFT JOIN sources s ON s.source_id = t.source_id
LEFT JOIN named n ON n.article_id = t.article_id
ORDER BY t.day DESC, t.article_id DESC;
