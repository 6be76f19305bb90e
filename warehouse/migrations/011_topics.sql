-- 011: saved topics (topics.yaml): named queries counted like entities. The writer syncs
-- topics from the file at the start of each run; after each load the full-text index
-- (migration 009) is brought up to date and every topic's query is run on the articles it
-- has not seen (warehouse/topics.py): its matches go to topic_matches, their counts per
-- day, outlet and language to rollup_daily_topics. A topic that is new, or whose query
-- (as compiled for the warehouse: its languages, the entities' aliases) changed, is counted
-- over the whole history. Depends on 001's tables.

CREATE TABLE topics (
    topic_id        VARCHAR PRIMARY KEY,
    label           VARCHAR NOT NULL,
    query           VARCHAR NOT NULL,
    group_name      VARCHAR,
    notes           VARCHAR,
    active          BOOLEAN NOT NULL,
    query_hash      VARCHAR,
    counted_through BIGINT NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);
COMMENT ON TABLE topics IS 'Saved topic (topics.yaml): a named query counted at every load. Topics no longer in the file stay, inactive, with their counts.';
COMMENT ON COLUMN topics.topic_id IS 'Stable identifier from topics.yaml.';
COMMENT ON COLUMN topics.label IS 'Display name.';
COMMENT ON COLUMN topics.query IS 'The query as written in topics.yaml (docs/query.md).';
COMMENT ON COLUMN topics.group_name IS 'Optional grouping from topics.yaml.';
COMMENT ON COLUMN topics.notes IS 'Optional note from topics.yaml.';
COMMENT ON COLUMN topics.active IS 'Whether the topic is in topics.yaml (and valid) as of the latest run.';
COMMENT ON COLUMN topics.query_hash IS 'Digest of the query as compiled when it was last counted; a different one means counting it again over all articles. NULL: never counted.';
COMMENT ON COLUMN topics.counted_through IS 'Highest article_id the topic has been counted on (0: none).';
COMMENT ON COLUMN topics.updated_at IS 'When the row was last written (UTC).';

CREATE TABLE topic_matches (
    topic_id   VARCHAR NOT NULL,
    article_id BIGINT NOT NULL
);
COMMENT ON TABLE topic_matches IS 'Article × saved topic: the articles a topic''s query matches (headline and text, by the full-text index), every article including undated ones and duplicates, as mentions are.';
COMMENT ON COLUMN topic_matches.topic_id IS 'topics.topic_id.';
COMMENT ON COLUMN topic_matches.article_id IS 'articles.article_id.';

CREATE TABLE rollup_daily_topics (
    day       DATE NOT NULL,
    source_id VARCHAR NOT NULL,
    language  VARCHAR,
    topic_id  VARCHAR NOT NULL,
    articles  BIGINT NOT NULL,
    stories   BIGINT NOT NULL
);
COMMENT ON TABLE rollup_daily_topics IS 'Rollup maintained at load time: per publication day, outlet, language and saved topic, the dated non-duplicate articles its query matches and the distinct stories among them. Source of daily_topics and the topic spike alerts.';
COMMENT ON COLUMN rollup_daily_topics.day IS 'Publication day.';
COMMENT ON COLUMN rollup_daily_topics.source_id IS 'sources.source_id.';
COMMENT ON COLUMN rollup_daily_topics.language IS 'Article language (articles.language).';
COMMENT ON COLUMN rollup_daily_topics.topic_id IS 'topics.topic_id.';
COMMENT ON COLUMN rollup_daily_topics.articles IS 'Matching articles.';
COMMENT ON COLUMN rollup_daily_topics.stories IS 'Distinct stories (articles.story_id) among them; a story spanning two days or outlets counts in each, so sum articles, not stories, across rows.';

CREATE OR REPLACE VIEW daily_topics AS
SELECT r.day, r.topic_id, t.label, r.source_id, sum(r.articles)::BIGINT AS articles,
       sum(r.stories)::BIGINT AS stories
FROM rollup_daily_topics r JOIN topics t USING (topic_id)
GROUP BY ALL;
COMMENT ON VIEW daily_topics IS 'Per day, saved topic and outlet: articles matching the topic''s query and the distinct stories among them.';
COMMENT ON COLUMN daily_topics.day IS 'Publication day.';
COMMENT ON COLUMN daily_topics.topic_id IS 'topics.topic_id.';
COMMENT ON COLUMN daily_topics.label IS 'topics.label.';
COMMENT ON COLUMN daily_topics.source_id IS 'sources.source_id.';
COMMENT ON COLUMN daily_topics.articles IS 'Articles matching the topic (dated, not exact duplicates).';
COMMENT ON COLUMN daily_topics.stories IS 'Distinct stories among them, that day and outlet.';
