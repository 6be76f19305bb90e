-- 006: articles grouped by the exact set of entities they name, per day, outlet and
-- language, maintained at load time like 004's rollups. It answers "articles naming any
-- (or all) of A, B, C..." for sets of three or more entities, where inclusion-exclusion
-- over 005's pairs no longer suffices, without reading the mentions: each row's set is a
-- 127-bit mask (one bit per entity, numbered in entity_bits), tested with one AND.
-- Articles naming the same entities share a row, so the table grows with the variety of
-- sets, not with the articles (one row per article only when every article names a
-- different set). Depends on 001's tables. The backfill is warehouse.rollups' own rebuild.

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

-- Backfill from the rows already stored (entity bits first): warehouse.rollups' rebuild
-- of this rollup, spliced in by warehouse.db.migrations().
/*rebuild: rollup_daily_entity_sets*/
