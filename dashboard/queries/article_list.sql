-- Filtered articles, optionally only those naming the given entities (any or all) and
-- containing a search text, newest first, with a snippet around the first match.
WITH /*filtered*/,
sel AS (
    SELECT article_id, count(*) AS named,
           sum(body_count + title_count) AS mentions,
           min(first_offset) AS first_offset
    FROM mentions
    WHERE list_contains($entities::VARCHAR[], entity_id)
    GROUP BY article_id
),
named AS (
    SELECT m.article_id,
           string_agg(e.name, ', ' ORDER BY m.body_count + m.title_count DESC, e.name)
               AS entities
    FROM mentions m JOIN entities e USING (entity_id)
    GROUP BY m.article_id
),
hits AS (
    SELECT f.article_id, f.day, f.source_id, sel.mentions, sel.first_offset
    FROM filtered f
    LEFT JOIN sel USING (article_id)
    WHERE len($entities::VARCHAR[]) = 0
       OR sel.named >= CASE WHEN $match = 'all' THEN len($entities::VARCHAR[]) ELSE 1 END
)
SELECT h.article_id, h.day AS published, coalesce(s.name, h.source_id) AS outlet,
       a.title, a.url, n.entities, coalesce(h.mentions, 0)::BIGINT AS mentions,
       CASE
           WHEN $q::VARCHAR IS NOT NULL AND strpos(lower(a.text), lower($q::VARCHAR)) > 0
               THEN substr(a.text, greatest(1, strpos(lower(a.text), lower($q::VARCHAR)) - 100), 260)
           WHEN h.first_offset IS NOT NULL
               THEN substr(a.text, greatest(1, h.first_offset + 1 - 100), 260)
           ELSE substr(a.text, 1, 260)
       END AS snippet,
       count(*) OVER () AS matches
FROM hits h
JOIN articles a USING (article_id)
LEFT JOIN sources s ON s.source_id = h.source_id
LEFT JOIN named n ON n.article_id = h.article_id
WHERE $q::VARCHAR IS NULL
   OR strpos(lower(coalesce(a.title, '') || ' ' || coalesce(a.text, '')), lower($q::VARCHAR)) > 0
ORDER BY h.day DESC, h.article_id DESC
LIMIT $limit;
