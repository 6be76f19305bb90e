-- 010: keyword statistics from a rollup. The Keywords page compares the terms of the
-- articles naming an entity in a window with those of the baseline before it; reading the
-- keywords of every such article made it grow with the warehouse (3.5x from 100k to 1M
-- articles). This rollup holds, per entity, week, language and term, the articles and the
-- term's count, so a 13-week window reads 26 weeks of one entity's rows. Depends on 001's
-- tables. The backfill is warehouse.rollups' own rebuild.
--
-- Unlike 004-006's rollups it is append-only at load time (each batch adds its own rows;
-- see rollups/merge_weekly_keywords.sql): rows are kept in entity order for the readers,
-- which a per-batch MERGE would have to read in full. A key may thus have several rows
-- until the rollup is settled (rebuilds, and the maintenance flow); always sum them, or
-- read the weekly_keywords view.

CREATE TABLE rollup_weekly_keywords (
    entity_id VARCHAR NOT NULL,
    week      DATE NOT NULL,
    language  VARCHAR,
    term      VARCHAR NOT NULL,
    articles  BIGINT NOT NULL,
    count     BIGINT NOT NULL
);
COMMENT ON TABLE rollup_weekly_keywords IS 'Rollup appended at load time: per entity, ISO week, language and keyword, the dated non-duplicate articles naming the entity that have the keyword, and its count in them. A key can have several rows (one per load batch) until the maintenance flow settles the table: sum them (or read weekly_keywords). Source of the Keywords page.';
COMMENT ON COLUMN rollup_weekly_keywords.entity_id IS 'entities.entity_id.';
COMMENT ON COLUMN rollup_weekly_keywords.week IS 'Monday of the ISO week of publication.';
COMMENT ON COLUMN rollup_weekly_keywords.language IS 'Article language (articles.language).';
COMMENT ON COLUMN rollup_weekly_keywords.term IS 'keywords.term.';
COMMENT ON COLUMN rollup_weekly_keywords.articles IS 'Articles naming the entity whose keywords include the term.';
COMMENT ON COLUMN rollup_weekly_keywords.count IS 'The term''s count (keywords.count) summed over those articles.';

-- Backfill from the rows already stored: warehouse.rollups' rebuild, spliced in by
-- warehouse.db.migrations().
/*rebuild: rollup_weekly_keywords*/

CREATE OR REPLACE VIEW weekly_keywords AS
SELECT week, entity_id, language, term, sum(articles)::BIGINT AS articles,
       sum(count)::BIGINT AS count
FROM rollup_weekly_keywords
GROUP BY ALL;
COMMENT ON VIEW weekly_keywords IS 'Per ISO week, entity, language and keyword: articles naming the entity that have the keyword among their top terms, and its count in them.';
COMMENT ON COLUMN weekly_keywords.week IS 'Monday of the ISO week of publication.';
COMMENT ON COLUMN weekly_keywords.entity_id IS 'entities.entity_id.';
COMMENT ON COLUMN weekly_keywords.language IS 'Article language.';
COMMENT ON COLUMN weekly_keywords.term IS 'keywords.term.';
COMMENT ON COLUMN weekly_keywords.articles IS 'Articles naming the entity whose keywords include the term.';
COMMENT ON COLUMN weekly_keywords.count IS 'The term''s count summed over those articles.';
