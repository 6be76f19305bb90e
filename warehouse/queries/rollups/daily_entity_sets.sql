-- rollup_daily_entity_sets (migration 006): articles by the exact set of entities they
-- name, per day, outlet and language, from article $first on. Every article of a row
-- names every entity of its set, so each entity's article count is the row's.
WITH named AS (
    SELECT a.article_id, a.published AS day, a.source_id, a.language, m.entity_id, b.bit,
           m.body_count + m.title_count AS mentions
    FROM mentions m
    JOIN articles a USING (article_id)
    JOIN entity_bits b USING (entity_id)
    WHERE m.article_id >= $first AND a.article_id >= $first
      AND a.published IS NOT NULL AND a.duplicate_of IS NULL AND b.bit IS NOT NULL
),
sets AS (
    SELECT article_id, bit_or(1::HUGEINT << bit) AS entity_set
    FROM named GROUP BY article_id
),
per_entity AS (
    SELECT n.day, n.source_id, n.language, s.entity_set, n.bit, n.entity_id,
           count(*) AS articles, sum(n.mentions)::INTEGER AS mentions
    FROM named n JOIN sets s USING (article_id)
    GROUP BY ALL
)
SELECT day, source_id, language, entity_set, max(articles) AS articles,
       list(entity_id ORDER BY bit) AS entities, list(mentions ORDER BY bit) AS mentions
FROM per_entity
GROUP BY day, source_id, language, entity_set
