-- 003: counting right. How each article's language was decided (detected from the text,
-- checked against the page's declaration), near-duplicate stories (syndicated copies
-- grouped: articles.story_id, kept by warehouse/stories.py at load time from MinHash
-- signatures and LSH buckets), and views that count stories as well as articles.
-- Depends only on 001's tables and columns.

ALTER TABLE articles ADD COLUMN language_source VARCHAR;
ALTER TABLE articles ADD COLUMN declared_language VARCHAR;
ALTER TABLE articles ADD COLUMN detected_language VARCHAR;
ALTER TABLE articles ADD COLUMN language_confidence DOUBLE;
ALTER TABLE articles ADD COLUMN story_id BIGINT;

COMMENT ON COLUMN articles.language IS 'Language of the article (ISO 639-1): detected from the text when the detector is confident, else declared by the page, else the outlet language; language_source says which.';
COMMENT ON COLUMN articles.language_source IS 'How language was decided: detected (py3langid on the text), declared (the page''s <html lang> or Content-Language), outlet (sources.yaml); NULL for articles loaded before migration 003.';
COMMENT ON COLUMN articles.declared_language IS 'Language the page declares (<html lang>, Content-Language), normalised to ISO 639-1; NULL when it declares none.';
COMMENT ON COLUMN articles.detected_language IS 'Language detected from the text (py3langid, ISO 639-1) when confident; NULL for short texts or an uncertain detection.';
COMMENT ON COLUMN articles.language_confidence IS 'Detector probability of its best guess, 0 to 1 (NULL: text too short to try).';
COMMENT ON COLUMN articles.story_id IS 'Story the article belongs to: the smallest article_id among its near-duplicates (syndicated copies, republished wire copy, exact duplicates) published within 7 days; equal to article_id for a story of one.';

-- Articles stored before this migration have no signature: each is its own story, and an
-- exact duplicate joins its original's.
UPDATE articles SET story_id = coalesce(duplicate_of, article_id);

CREATE TABLE article_signatures (
    article_id BIGINT NOT NULL,
    signature  BLOB NOT NULL
);
COMMENT ON TABLE article_signatures IS 'MinHash signature of each article''s text (blocwatch.dedup): compared to find near-duplicate stories.';
COMMENT ON COLUMN article_signatures.article_id IS 'articles.article_id.';
COMMENT ON COLUMN article_signatures.signature IS '128 MinHash values (little-endian uint32) of the text''s word 5-gram shingles (8-character shingles in Chinese and Japanese).';

CREATE TABLE story_buckets (
    bucket     BIGINT NOT NULL,
    article_id BIGINT NOT NULL
);
COMMENT ON TABLE story_buckets IS 'LSH index of the signatures: articles sharing a bucket are compared when the younger one is loaded.';
COMMENT ON COLUMN story_buckets.bucket IS 'Hash of one band of 3 signature values (42 bands per article).';
COMMENT ON COLUMN story_buckets.article_id IS 'articles.article_id.';

CREATE VIEW stories AS
SELECT a.story_id,
       min(a.published) AS first_day,
       max(a.published) AS last_day,
       count(*) AS articles,
       count(DISTINCT a.source_id) AS outlets,
       list(DISTINCT a.source_id ORDER BY a.source_id) AS source_ids,
       list(DISTINCT a.language ORDER BY a.language) AS languages,
       any_value(a.title) FILTER (WHERE a.article_id = a.story_id) AS title,
       any_value(a.url) FILTER (WHERE a.article_id = a.story_id) AS url
FROM articles a
GROUP BY a.story_id;
COMMENT ON VIEW stories IS 'One row per story: a group of near-duplicate articles (syndicated copies) or a single article.';
COMMENT ON COLUMN stories.story_id IS 'articles.story_id: the smallest article_id in the story.';
COMMENT ON COLUMN stories.first_day IS 'Earliest publication day of its articles.';
COMMENT ON COLUMN stories.last_day IS 'Latest publication day of its articles.';
COMMENT ON COLUMN stories.articles IS 'Articles in the story (copies included).';
COMMENT ON COLUMN stories.outlets IS 'Distinct outlets that published it.';
COMMENT ON COLUMN stories.source_ids IS 'Those outlets (sources.source_id), sorted.';
COMMENT ON COLUMN stories.languages IS 'Languages of its articles, sorted.';
COMMENT ON COLUMN stories.title IS 'Headline of its first-loaded article (article_id = story_id).';
COMMENT ON COLUMN stories.url IS 'URL of that article.';

CREATE VIEW daily_story_mentions AS
SELECT a.published AS day, m.entity_id, a.language,
       count(*) AS articles,
       count(DISTINCT a.story_id) AS stories
FROM mentions m JOIN articles a USING (article_id)
WHERE a.published IS NOT NULL AND a.duplicate_of IS NULL
GROUP BY ALL;
COMMENT ON VIEW daily_story_mentions IS 'Per day, entity and article language: articles naming the entity and the distinct stories among them (syndicated copies counted once). Stories are distinct within a day: for a longer window count DISTINCT story_id over articles instead of summing days.';
COMMENT ON COLUMN daily_story_mentions.day IS 'Publication day.';
COMMENT ON COLUMN daily_story_mentions.entity_id IS 'entities.entity_id.';
COMMENT ON COLUMN daily_story_mentions.language IS 'Article language (articles.language).';
COMMENT ON COLUMN daily_story_mentions.articles IS 'Articles naming the entity (exact duplicates excluded).';
COMMENT ON COLUMN daily_story_mentions.stories IS 'Distinct stories among those articles.';

CREATE VIEW language_checks AS
SELECT source_id, declared_language, detected_language, language, language_source,
       count(*) AS articles
FROM articles
GROUP BY ALL;
COMMENT ON VIEW language_checks IS 'Per outlet: declared versus detected language and what was stored; rows where both are known and differ show misdeclared pages.';
COMMENT ON COLUMN language_checks.source_id IS 'sources.source_id.';
COMMENT ON COLUMN language_checks.declared_language IS 'articles.declared_language.';
COMMENT ON COLUMN language_checks.detected_language IS 'articles.detected_language.';
COMMENT ON COLUMN language_checks.language IS 'articles.language (what is stored and filtered on).';
COMMENT ON COLUMN language_checks.language_source IS 'articles.language_source.';
COMMENT ON COLUMN language_checks.articles IS 'Articles with this combination.';
