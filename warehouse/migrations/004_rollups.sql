-- 004: rollup tables, maintained at load time (warehouse/rollups.py, called inside
-- load_batch's transaction), so the dashboard and the analyst views read summaries whose
-- size is bounded by days x outlets x entities instead of scanning every mention.
-- Depends only on 001's tables. The backfill below is warehouse.rollups' own rebuild;
-- tests check that backfill, incremental maintenance and a rebuild agree with the base
-- tables.

CREATE TABLE rollup_daily_articles (
    day        DATE,
    source_id  VARCHAR NOT NULL,
    language   VARCHAR,
    articles   BIGINT NOT NULL,
    duplicates BIGINT NOT NULL
);
COMMENT ON TABLE rollup_daily_articles IS 'Rollup maintained at load time: articles per publication day, outlet and language (undated articles under a NULL day). Source of daily_articles and the dashboard''s totals.';
COMMENT ON COLUMN rollup_daily_articles.day IS 'Publication day; NULL for articles without a trustworthy date.';
COMMENT ON COLUMN rollup_daily_articles.source_id IS 'sources.source_id.';
COMMENT ON COLUMN rollup_daily_articles.language IS 'Article language (articles.language).';
COMMENT ON COLUMN rollup_daily_articles.articles IS 'Articles that are not exact duplicates.';
COMMENT ON COLUMN rollup_daily_articles.duplicates IS 'Exact duplicates (articles.duplicate_of IS NOT NULL).';

CREATE TABLE rollup_daily_mentions (
    day        DATE NOT NULL,
    source_id  VARCHAR NOT NULL,
    language   VARCHAR,
    entity_id  VARCHAR NOT NULL,
    articles   BIGINT NOT NULL,
    mentions   BIGINT NOT NULL
);
COMMENT ON TABLE rollup_daily_mentions IS 'Rollup maintained at load time: per publication day, outlet, language and entity, the dated non-duplicate articles naming the entity and their mentions. Source of daily_mentions and daily_share.';
COMMENT ON COLUMN rollup_daily_mentions.day IS 'Publication day.';
COMMENT ON COLUMN rollup_daily_mentions.source_id IS 'sources.source_id.';
COMMENT ON COLUMN rollup_daily_mentions.language IS 'Article language (articles.language).';
COMMENT ON COLUMN rollup_daily_mentions.entity_id IS 'entities.entity_id.';
COMMENT ON COLUMN rollup_daily_mentions.articles IS 'Articles naming the entity (headline or text).';
COMMENT ON COLUMN rollup_daily_mentions.mentions IS 'Mentions of the entity in those articles (headline and text).';

CREATE TABLE rollup_daily_co_mentions (
    day               DATE NOT NULL,
    source_id         VARCHAR NOT NULL,
    language          VARCHAR,
    entity_a          VARCHAR NOT NULL,
    entity_b          VARCHAR NOT NULL,
    articles          BIGINT NOT NULL,
    sentence_articles BIGINT NOT NULL,
    sentences         BIGINT NOT NULL
);
COMMENT ON TABLE rollup_daily_co_mentions IS 'Rollup maintained at load time: per publication day, outlet, language and entity pair, the dated non-duplicate articles naming both in their text. Source of weekly_co_mentions.';
COMMENT ON COLUMN rollup_daily_co_mentions.day IS 'Publication day.';
COMMENT ON COLUMN rollup_daily_co_mentions.source_id IS 'sources.source_id.';
COMMENT ON COLUMN rollup_daily_co_mentions.language IS 'Article language (articles.language).';
COMMENT ON COLUMN rollup_daily_co_mentions.entity_a IS 'First entity of the pair (smaller id).';
COMMENT ON COLUMN rollup_daily_co_mentions.entity_b IS 'Second entity of the pair.';
COMMENT ON COLUMN rollup_daily_co_mentions.articles IS 'Articles naming both in their text.';
COMMENT ON COLUMN rollup_daily_co_mentions.sentence_articles IS 'Articles with at least one sentence naming both.';
COMMENT ON COLUMN rollup_daily_co_mentions.sentences IS 'Sentences naming both, summed over those articles.';

CREATE TABLE rollup_weekly_co_mentions (
    week              DATE NOT NULL,
    source_id         VARCHAR NOT NULL,
    language          VARCHAR,
    entity_a          VARCHAR NOT NULL,
    entity_b          VARCHAR NOT NULL,
    articles          BIGINT NOT NULL,
    sentence_articles BIGINT NOT NULL,
    sentences         BIGINT NOT NULL
);
COMMENT ON TABLE rollup_weekly_co_mentions IS 'Rollup maintained at load time: rollup_daily_co_mentions summed per ISO week (pairs are many, so the daily grain is large; whole weeks of a date window are read here, the days at its edges from the daily rollup). Source of weekly_co_mentions.';
COMMENT ON COLUMN rollup_weekly_co_mentions.week IS 'Monday of the ISO week of publication.';
COMMENT ON COLUMN rollup_weekly_co_mentions.source_id IS 'sources.source_id.';
COMMENT ON COLUMN rollup_weekly_co_mentions.language IS 'Article language (articles.language).';
COMMENT ON COLUMN rollup_weekly_co_mentions.entity_a IS 'First entity of the pair (smaller id).';
COMMENT ON COLUMN rollup_weekly_co_mentions.entity_b IS 'Second entity of the pair.';
COMMENT ON COLUMN rollup_weekly_co_mentions.articles IS 'Articles naming both in their text.';
COMMENT ON COLUMN rollup_weekly_co_mentions.sentence_articles IS 'Articles with at least one sentence naming both.';
COMMENT ON COLUMN rollup_weekly_co_mentions.sentences IS 'Sentences naming both, summed over those articles.';

CREATE TABLE rollup_run_fetches (
    run_id        VARCHAR NOT NULL,
    source_id     VARCHAR NOT NULL,
    tried         BIGINT NOT NULL,
    failed        BIGINT NOT NULL,
    last_error    VARCHAR,
    last_error_at TIMESTAMP,
    last_success  TIMESTAMP
);
COMMENT ON TABLE rollup_run_fetches IS 'Rollup maintained at load time: fetch_log summarised per run and outlet, for outlet health without scanning fetch_log.';
COMMENT ON COLUMN rollup_run_fetches.run_id IS 'runs.run_id.';
COMMENT ON COLUMN rollup_run_fetches.source_id IS 'sources.source_id.';
COMMENT ON COLUMN rollup_run_fetches.tried IS 'Article URLs tried (fetch_log rows).';
COMMENT ON COLUMN rollup_run_fetches.failed IS 'URLs whose outcome was neither loaded nor duplicate.';
COMMENT ON COLUMN rollup_run_fetches.last_error IS 'Reason of the latest failure in the run.';
COMMENT ON COLUMN rollup_run_fetches.last_error_at IS 'When that failure happened (UTC).';
COMMENT ON COLUMN rollup_run_fetches.last_success IS 'Latest loaded-or-duplicate fetch in the run (UTC).';

-- Backfill from the rows already stored: warehouse.db.migrations() puts the rebuild of
-- these rollups here (warehouse.rollups.rebuild_sql: each rollup's one definition in
-- warehouse/queries/rollups/, run from the first article).
/*rebuild: rollup_daily_articles rollup_daily_mentions rollup_daily_co_mentions
            rollup_weekly_co_mentions rollup_run_fetches*/

-- The analyst views, now over the rollups: same names, columns and types as in 001
-- (the casts keep the documented types), so queries written against them keep working.
CREATE OR REPLACE VIEW daily_articles AS
SELECT day, source_id, sum(articles)::BIGINT AS articles
FROM rollup_daily_articles
WHERE day IS NOT NULL
GROUP BY ALL
HAVING sum(articles) > 0;
COMMENT ON VIEW daily_articles IS 'Articles per day and outlet (exact duplicates excluded): the denominator of attention.';

CREATE OR REPLACE VIEW daily_mentions AS
SELECT day, entity_id, source_id, sum(articles)::BIGINT AS articles,
       sum(mentions)::HUGEINT AS mentions
FROM rollup_daily_mentions
GROUP BY ALL;
COMMENT ON VIEW daily_mentions IS 'Per day, entity and outlet: articles naming the entity and total mentions (headline and text).';

CREATE OR REPLACE VIEW daily_share AS
WITH totals AS (SELECT day, sum(articles)::HUGEINT AS total_articles
                FROM rollup_daily_articles WHERE day IS NOT NULL GROUP BY day),
     ent AS (SELECT day, entity_id, sum(articles)::HUGEINT AS articles,
                    sum(mentions)::HUGEINT AS mentions
             FROM rollup_daily_mentions GROUP BY ALL)
SELECT e.day, e.entity_id, e.articles, e.mentions, t.total_articles,
       e.articles / t.total_articles AS share
FROM ent e JOIN totals t USING (day);
COMMENT ON VIEW daily_share IS 'Per day and entity: share of all that day''s articles that name the entity (normalised attention).';

CREATE OR REPLACE VIEW weekly_co_mentions AS
SELECT week, entity_a, entity_b,
       sum(articles)::BIGINT AS articles, sum(sentences)::HUGEINT AS sentences
FROM rollup_weekly_co_mentions
GROUP BY ALL;
COMMENT ON VIEW weekly_co_mentions IS 'Per ISO week (Monday) and entity pair: articles naming both, and sentences naming both.';

COMMENT ON COLUMN daily_articles.day IS 'Publication day.';
COMMENT ON COLUMN daily_articles.source_id IS 'sources.source_id.';
COMMENT ON COLUMN daily_articles.articles IS 'Articles published that day by the outlet.';
COMMENT ON COLUMN daily_mentions.day IS 'Publication day.';
COMMENT ON COLUMN daily_mentions.entity_id IS 'entities.entity_id.';
COMMENT ON COLUMN daily_mentions.source_id IS 'sources.source_id.';
COMMENT ON COLUMN daily_mentions.articles IS 'Articles that name the entity.';
COMMENT ON COLUMN daily_mentions.mentions IS 'Mentions of the entity in those articles (headline and text).';
COMMENT ON COLUMN daily_share.day IS 'Publication day.';
COMMENT ON COLUMN daily_share.entity_id IS 'entities.entity_id.';
COMMENT ON COLUMN daily_share.articles IS 'Articles that name the entity, all outlets.';
COMMENT ON COLUMN daily_share.mentions IS 'Mentions of the entity, all outlets.';
COMMENT ON COLUMN daily_share.total_articles IS 'All articles published that day, all outlets.';
COMMENT ON COLUMN daily_share.share IS 'articles / total_articles, between 0 and 1.';
COMMENT ON COLUMN weekly_co_mentions.week IS 'Monday of the ISO week.';
COMMENT ON COLUMN weekly_co_mentions.entity_a IS 'First entity of the pair (smaller id).';
COMMENT ON COLUMN weekly_co_mentions.entity_b IS 'Second entity of the pair.';
COMMENT ON COLUMN weekly_co_mentions.articles IS 'Articles naming both.';
COMMENT ON COLUMN weekly_co_mentions.sentences IS 'Sentences naming both, summed over those articles.';
