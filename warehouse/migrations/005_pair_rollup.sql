-- 005: articles naming a pair of entities anywhere (headline or text), per day, outlet and
-- language, maintained at load time like 004's rollups. With rollup_daily_mentions it
-- answers sets of two entities without reading article rows: articles naming A or B =
-- A + B - both (inclusion-exclusion); naming both = this table. rollup_daily_co_mentions
-- cannot serve: it counts pairs named in the text only, not the headline.
-- Depends on 001's tables. The backfill is warehouse.rollups' own rebuild.

CREATE TABLE rollup_daily_pairs (
    day        DATE NOT NULL,
    source_id  VARCHAR NOT NULL,
    language   VARCHAR,
    entity_a   VARCHAR NOT NULL,
    entity_b   VARCHAR NOT NULL,
    articles   BIGINT NOT NULL,
    mentions_a BIGINT NOT NULL,
    mentions_b BIGINT NOT NULL
);
COMMENT ON TABLE rollup_daily_pairs IS 'Rollup maintained at load time: per publication day, outlet, language and entity pair, the dated non-duplicate articles naming both (headline or text) and the mentions of each in them. Serves the dashboard''s sets of two entities.';
COMMENT ON COLUMN rollup_daily_pairs.day IS 'Publication day.';
COMMENT ON COLUMN rollup_daily_pairs.source_id IS 'sources.source_id.';
COMMENT ON COLUMN rollup_daily_pairs.language IS 'Article language (articles.language).';
COMMENT ON COLUMN rollup_daily_pairs.entity_a IS 'First entity of the pair (smaller id).';
COMMENT ON COLUMN rollup_daily_pairs.entity_b IS 'Second entity of the pair.';
COMMENT ON COLUMN rollup_daily_pairs.articles IS 'Articles naming both entities (headline or text).';
COMMENT ON COLUMN rollup_daily_pairs.mentions_a IS 'Mentions of entity_a in those articles (headline and text).';
COMMENT ON COLUMN rollup_daily_pairs.mentions_b IS 'Mentions of entity_b in those articles (headline and text).';

-- Backfill from the rows already stored: warehouse.rollups' rebuild of this rollup,
-- spliced in by warehouse.db.migrations().
/*rebuild: rollup_daily_pairs*/
