-- 006: articles grouped by the exact set of entities they name, per day, outlet and
-- language, maintained at load time like 004's rollups. It answers "articles naming any
-- (or all) of A, B, C..." for sets of three or more entities, where inclusion-exclusion
-- over 005's pairs no longer suffices, without reading the mentions: each row's set is a
-- 127-bit mask (one bit per entity, numbered in entity_bits), tested with one AND.
-- Articles naming the same entities share a row, so the table grows with the variety of
-- sets, not with the articles (one row per article only when every article names a
-- different set). Depends on 001's tables. The backfill is the same SQL as
-- warehouse.rollups.rebuild_rollups.

CREATE TABLE entity_bits (
    entity_id VARCHAR NOT NULL PRIMARY KEY,
    bit       SMALLINT
);
COMMENT ON TABLE entity_bits IS 'Which bit of rollup_daily_entity_sets.entity_set stands for an entity: numbered at load time as entities are first named, renumbered when the rollups are rebuilt. Only 127 bits exist (a HUGEINT without its sign bit): entities beyond them have a NULL bit, and sets containing one are counted from the mentions instead.';
COMMENT ON COLUMN entity_bits.entity_id IS 'entities.entity_id.';
COMMENT ON COLUMN entity_bits.bit IS 'Bit position, 0-126; NULL when all 127 were taken.';

CREATE TABLE rollup_daily_entity_sets (
    day        DATE NOT NULL,
    source_id  VARCHAR NOT NULL,
    language   VARCHAR,
    entity_set HUGEINT NOT NULL,
    articles   BIGINT NOT NULL,
    entities   VARCHAR[] NOT NULL,
    mentions   INTEGER[] NOT NULL
);
COMMENT ON TABLE rollup_daily_entity_sets IS 'Rollup maintained at load time: per publication day, outlet, language and exact set of entities named (headline or text), the dated non-duplicate articles naming exactly that set and each entity''s mentions in them. Serves the dashboard''s sets of three or more entities.';
COMMENT ON COLUMN rollup_daily_entity_sets.day IS 'Publication day.';
COMMENT ON COLUMN rollup_daily_entity_sets.source_id IS 'sources.source_id.';
COMMENT ON COLUMN rollup_daily_entity_sets.language IS 'Article language (articles.language).';
COMMENT ON COLUMN rollup_daily_entity_sets.entity_set IS 'Bit mask of the set (bits from entity_bits); the same set as the entities column, in a form one AND tests.';
COMMENT ON COLUMN rollup_daily_entity_sets.articles IS 'Articles naming exactly these entities.';
COMMENT ON COLUMN rollup_daily_entity_sets.entities IS 'The entities of the set (entities.entity_id), in bit order.';
COMMENT ON COLUMN rollup_daily_entity_sets.mentions IS 'Mentions of each entity of the set in those articles (headline and text), in the order of the entities column.';

-- Backfill from the rows already stored (same statements as rollups.rebuild_rollups).
INSERT INTO entity_bits
SELECT entity_id, CASE WHEN n < 127 THEN n END
FROM (SELECT entity_id, row_number() OVER (ORDER BY entity_id) - 1 AS n
      FROM (SELECT DISTINCT entity_id FROM mentions));

INSERT INTO rollup_daily_entity_sets
WITH named AS (
    SELECT a.article_id, a.published AS day, a.source_id, a.language, m.entity_id, b.bit,
           m.body_count + m.title_count AS mentions
    FROM mentions m
    JOIN articles a USING (article_id)
    JOIN entity_bits b USING (entity_id)
    WHERE a.published IS NOT NULL AND a.duplicate_of IS NULL AND b.bit IS NOT NULL
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
SELECT day, source_id, language, entity_set, max(articles),
       list(entity_id ORDER BY bit), list(mentions ORDER BY bit)
FROM per_entity
GROUP BY day, source_id, language, entity_set
ORDER BY 1;
