-- 001: the core warehouse. Every table and column carries a COMMENT ON:
-- analysts read them with `SELECT * FROM duckdb_columns()`.

CREATE TABLE sources (
    source_id   VARCHAR PRIMARY KEY,
    name        VARCHAR NOT NULL,
    homepage    VARCHAR,
    country     VARCHAR,
    language    VARCHAR,
    kind        VARCHAR,
    updated_at  TIMESTAMP
);
COMMENT ON TABLE sources IS 'Outlets, as configured in sources.yaml (one row per outlet ever ingested).';
COMMENT ON COLUMN sources.source_id IS 'Outlet id from sources.yaml.';
COMMENT ON COLUMN sources.name IS 'Display name of the outlet.';
COMMENT ON COLUMN sources.homepage IS 'Outlet homepage URL.';
COMMENT ON COLUMN sources.country IS 'ISO 3166-1 alpha-2 country of the outlet.';
COMMENT ON COLUMN sources.language IS 'Declared main language of the outlet (ISO 639-1).';
COMMENT ON COLUMN sources.kind IS 'Kind of outlet, e.g. state media, wire, regional press.';
COMMENT ON COLUMN sources.updated_at IS 'When this row was last refreshed from sources.yaml (UTC).';

CREATE TABLE articles (
    article_id    BIGINT PRIMARY KEY,
    source_id     VARCHAR NOT NULL,
    url           VARCHAR NOT NULL UNIQUE,
    fetched_url   VARCHAR NOT NULL,
    title         VARCHAR,
    author        VARCHAR,
    published     DATE,
    date_source   VARCHAR,
    fetched_at    TIMESTAMP NOT NULL,
    language      VARCHAR,
    sitename      VARCHAR,
    text          VARCHAR,
    word_count    INTEGER,
    content_hash  VARCHAR NOT NULL,
    duplicate_of  BIGINT,
    run_id        VARCHAR
);
COMMENT ON TABLE articles IS 'One row per article (canonical URL), with the text trafilatura extracted.';
COMMENT ON COLUMN articles.article_id IS 'Surrogate key, stable for the life of the warehouse.';
COMMENT ON COLUMN articles.source_id IS 'Outlet that published it (sources.source_id).';
COMMENT ON COLUMN articles.url IS 'Canonical URL: rel=canonical when on the same site, else the fetched URL, without tracking parameters or fragment.';
COMMENT ON COLUMN articles.fetched_url IS 'URL as discovered and fetched (after redirects).';
COMMENT ON COLUMN articles.title IS 'Headline as extracted.';
COMMENT ON COLUMN articles.author IS 'Byline as extracted; NULL when none was found.';
COMMENT ON COLUMN articles.published IS 'Publication date (UTC day); NULL when no trustworthy date was found.';
COMMENT ON COLUMN articles.date_source IS 'Where the publication date came from: page (trafilatura/htmldate), feed, or url.';
COMMENT ON COLUMN articles.fetched_at IS 'When the page was fetched (UTC).';
COMMENT ON COLUMN articles.language IS 'Language of the article (ISO 639-1): page metadata, else the outlet language.';
COMMENT ON COLUMN articles.sitename IS 'Site name from the page metadata.';
COMMENT ON COLUMN articles.text IS 'Main text (without the headline and boilerplate), as extracted by trafilatura.';
COMMENT ON COLUMN articles.word_count IS 'Whitespace-separated words in text.';
COMMENT ON COLUMN articles.content_hash IS 'SHA-256 of the normalised text; equal hashes are exact duplicates.';
COMMENT ON COLUMN articles.duplicate_of IS 'article_id of an earlier article with the same content_hash, else NULL.';
COMMENT ON COLUMN articles.run_id IS 'Run that loaded the article (runs.run_id).';

CREATE TABLE entities (
    entity_id   VARCHAR PRIMARY KEY,
    name        VARCHAR NOT NULL,
    kind        VARCHAR NOT NULL,
    group_name  VARCHAR NOT NULL,
    description VARCHAR
);
COMMENT ON TABLE entities IS 'Entities tracked, from taxonomy.yaml (refreshed at every run).';
COMMENT ON COLUMN entities.entity_id IS 'Entity id from taxonomy.yaml.';
COMMENT ON COLUMN entities.name IS 'Display name.';
COMMENT ON COLUMN entities.kind IS 'country, bloc, organisation, person or concept.';
COMMENT ON COLUMN entities.group_name IS 'Group from taxonomy.yaml, e.g. Security blocs.';
COMMENT ON COLUMN entities.description IS 'Optional note from taxonomy.yaml.';

CREATE TABLE entity_aliases (
    entity_id  VARCHAR NOT NULL,
    alias      VARCHAR NOT NULL,
    case_rule  VARCHAR NOT NULL,
    match_rule VARCHAR NOT NULL,
    lang       VARCHAR
);
COMMENT ON TABLE entity_aliases IS 'Surface forms matched for each entity, from taxonomy.yaml.';
COMMENT ON COLUMN entity_aliases.entity_id IS 'Entity the alias belongs to.';
COMMENT ON COLUMN entity_aliases.alias IS 'Text matched as a whole word.';
COMMENT ON COLUMN entity_aliases.case_rule IS 'exact (case-sensitive) or ignore.';
COMMENT ON COLUMN entity_aliases.match_rule IS 'word (whole word) or prefix (word may continue: inflected forms).';
COMMENT ON COLUMN entity_aliases.lang IS 'Language of the alias, when given.';

CREATE TABLE mentions (
    article_id   BIGINT NOT NULL,
    entity_id    VARCHAR NOT NULL,
    body_count   INTEGER NOT NULL,
    title_count  INTEGER NOT NULL,
    in_title     BOOLEAN NOT NULL,
    first_offset INTEGER
);
COMMENT ON TABLE mentions IS 'Article x entity: how often the entity is named (one row per entity named in the title or text).';
COMMENT ON COLUMN mentions.article_id IS 'articles.article_id.';
COMMENT ON COLUMN mentions.entity_id IS 'entities.entity_id.';
COMMENT ON COLUMN mentions.body_count IS 'Mentions in the article text (headline excluded).';
COMMENT ON COLUMN mentions.title_count IS 'Mentions in the headline.';
COMMENT ON COLUMN mentions.in_title IS 'True when the headline names the entity.';
COMMENT ON COLUMN mentions.first_offset IS 'Character offset of the first mention in articles.text; NULL when only the headline names it.';

CREATE TABLE co_mentions (
    article_id     BIGINT NOT NULL,
    entity_a       VARCHAR NOT NULL,
    entity_b       VARCHAR NOT NULL,
    sentence_count INTEGER NOT NULL
);
COMMENT ON TABLE co_mentions IS 'Pairs of entities named in the text of the same article (entity_a < entity_b).';
COMMENT ON COLUMN co_mentions.article_id IS 'articles.article_id.';
COMMENT ON COLUMN co_mentions.entity_a IS 'First entity of the pair (alphabetically smaller id).';
COMMENT ON COLUMN co_mentions.entity_b IS 'Second entity of the pair.';
COMMENT ON COLUMN co_mentions.sentence_count IS 'Sentences naming both (0: same article, different sentences).';

CREATE TABLE keywords (
    article_id BIGINT NOT NULL,
    term       VARCHAR NOT NULL,
    count      INTEGER NOT NULL,
    score      DOUBLE NOT NULL
);
COMMENT ON TABLE keywords IS 'Top terms of each article (stopwords and entity names removed).';
COMMENT ON COLUMN keywords.article_id IS 'articles.article_id.';
COMMENT ON COLUMN keywords.term IS 'Lower-cased word or two-word phrase.';
COMMENT ON COLUMN keywords.count IS 'Occurrences in the article text.';
COMMENT ON COLUMN keywords.score IS 'Term frequency: count over the number of words.';

CREATE TABLE runs (
    run_id              VARCHAR PRIMARY KEY,
    flow                VARCHAR NOT NULL,
    prefect_flow_run_id VARCHAR,
    started_at          TIMESTAMP NOT NULL,
    finished_at         TIMESTAMP,
    status              VARCHAR NOT NULL,
    discovered          INTEGER,
    new                 INTEGER,
    fetched             INTEGER,
    failed              INTEGER,
    loaded              INTEGER,
    seconds             DOUBLE,
    message             VARCHAR
);
COMMENT ON TABLE runs IS 'One row per flow run that wrote the warehouse.';
COMMENT ON COLUMN runs.run_id IS 'Run id (UUID).';
COMMENT ON COLUMN runs.flow IS 'Flow name: ingest, backfill, reprocess or maintenance.';
COMMENT ON COLUMN runs.prefect_flow_run_id IS 'Prefect flow run id, when run under Prefect.';
COMMENT ON COLUMN runs.started_at IS 'Start time (UTC).';
COMMENT ON COLUMN runs.finished_at IS 'End time (UTC); NULL while running or after a crash.';
COMMENT ON COLUMN runs.status IS 'running, completed, failed, skipped (writer lock not obtained), or crashed (the process died; marked by the next run).';
COMMENT ON COLUMN runs.discovered IS 'Article URLs found in feeds, sitemaps and URL lists.';
COMMENT ON COLUMN runs.new IS 'Discovered URLs not already in the warehouse.';
COMMENT ON COLUMN runs.fetched IS 'URLs fetched successfully.';
COMMENT ON COLUMN runs.failed IS 'URLs that failed (see fetch_log).';
COMMENT ON COLUMN runs.loaded IS 'Articles added to the warehouse.';
COMMENT ON COLUMN runs.seconds IS 'Wall time of the run.';
COMMENT ON COLUMN runs.message IS 'Error or summary text.';

CREATE TABLE run_sources (
    run_id        VARCHAR NOT NULL,
    source_id     VARCHAR NOT NULL,
    feeds_ok      INTEGER NOT NULL,
    feeds_failed  INTEGER NOT NULL,
    discovered    INTEGER NOT NULL,
    new           INTEGER NOT NULL,
    fetched       INTEGER NOT NULL,
    failed        INTEGER NOT NULL,
    loaded        INTEGER NOT NULL,
    error         VARCHAR
);
COMMENT ON TABLE run_sources IS 'Per run and outlet: what discovery and fetching did.';
COMMENT ON COLUMN run_sources.run_id IS 'runs.run_id.';
COMMENT ON COLUMN run_sources.source_id IS 'sources.source_id.';
COMMENT ON COLUMN run_sources.feeds_ok IS 'Feed, sitemap and list documents read successfully.';
COMMENT ON COLUMN run_sources.feeds_failed IS 'Feed, sitemap and list documents that failed.';
COMMENT ON COLUMN run_sources.discovered IS 'Article URLs found.';
COMMENT ON COLUMN run_sources.new IS 'URLs not already stored.';
COMMENT ON COLUMN run_sources.fetched IS 'URLs fetched successfully.';
COMMENT ON COLUMN run_sources.failed IS 'URLs that failed.';
COMMENT ON COLUMN run_sources.loaded IS 'Articles added.';
COMMENT ON COLUMN run_sources.error IS 'First discovery error, if any (e.g. feed unreachable).';

CREATE TABLE fetch_log (
    run_id      VARCHAR NOT NULL,
    source_id   VARCHAR NOT NULL,
    url         VARCHAR NOT NULL,
    final_url   VARCHAR,
    fetched_at  TIMESTAMP NOT NULL,
    status_code INTEGER,
    outcome     VARCHAR NOT NULL,
    error       VARCHAR,
    bytes       BIGINT,
    elapsed_ms  INTEGER,
    attempts    INTEGER
);
COMMENT ON TABLE fetch_log IS 'Every article URL tried: one row per URL per run that tried it.';
COMMENT ON COLUMN fetch_log.run_id IS 'runs.run_id.';
COMMENT ON COLUMN fetch_log.source_id IS 'sources.source_id.';
COMMENT ON COLUMN fetch_log.url IS 'URL as discovered.';
COMMENT ON COLUMN fetch_log.final_url IS 'URL after redirects.';
COMMENT ON COLUMN fetch_log.fetched_at IS 'When the last attempt finished (UTC).';
COMMENT ON COLUMN fetch_log.status_code IS 'HTTP status of the last attempt; NULL when none was received.';
COMMENT ON COLUMN fetch_log.outcome IS 'loaded, duplicate, or a failure: gone (404/410), http_error, timeout, network, too_large, not_html, no_text, robots, blocked, bad_url, worker_crashed (the page killed its extraction process).';
COMMENT ON COLUMN fetch_log.error IS 'Human-readable reason for a failure.';
COMMENT ON COLUMN fetch_log.bytes IS 'Body bytes received.';
COMMENT ON COLUMN fetch_log.elapsed_ms IS 'Time spent on the URL, all attempts.';
COMMENT ON COLUMN fetch_log.attempts IS 'Attempts made (retries honour Retry-After).';

CREATE VIEW daily_articles AS
SELECT published AS day, source_id, count(*) AS articles
FROM articles
WHERE published IS NOT NULL AND duplicate_of IS NULL
GROUP BY ALL;
COMMENT ON VIEW daily_articles IS 'Articles per day and outlet (exact duplicates excluded): the denominator of attention.';

CREATE VIEW daily_mentions AS
SELECT a.published AS day, m.entity_id, a.source_id,
       count(*) AS articles,
       sum(m.body_count + m.title_count) AS mentions
FROM mentions m JOIN articles a USING (article_id)
WHERE a.published IS NOT NULL AND a.duplicate_of IS NULL
GROUP BY ALL;
COMMENT ON VIEW daily_mentions IS 'Per day, entity and outlet: articles naming the entity and total mentions (headline and text).';

CREATE VIEW daily_share AS
WITH totals AS (SELECT day, sum(articles) AS total_articles FROM daily_articles GROUP BY day),
     ent AS (SELECT day, entity_id, sum(articles) AS articles, sum(mentions) AS mentions
             FROM daily_mentions GROUP BY ALL)
SELECT e.day, e.entity_id, e.articles, e.mentions, t.total_articles,
       e.articles / t.total_articles AS share
FROM ent e JOIN totals t USING (day);
COMMENT ON VIEW daily_share IS 'Per day and entity: share of all that day''s articles that name the entity (normalised attention).';

CREATE VIEW weekly_co_mentions AS
SELECT date_trunc('week', a.published)::DATE AS week, c.entity_a, c.entity_b,
       count(*) AS articles, sum(c.sentence_count) AS sentences
FROM co_mentions c JOIN articles a USING (article_id)
WHERE a.published IS NOT NULL AND a.duplicate_of IS NULL
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
