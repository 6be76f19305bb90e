-- 007: how well supported each article's publication date is. blocwatch.stages.dates gathers the
-- day from every source it can (feed, URL, page metadata, updated date, visible date, full
-- text) and votes; these columns keep the vote's margin so an analyst can keep only
-- well-supported dates (WHERE date_agree >= 2, or WHERE date_disagree = 0). Articles
-- loaded before this migration have NULL in both.

ALTER TABLE articles ADD COLUMN date_agree INTEGER;
ALTER TABLE articles ADD COLUMN date_disagree INTEGER;
COMMENT ON COLUMN articles.published IS 'Publication day in the outlet''s own time zone (sources.timezone); NULL when no source gave a plausible date.';
COMMENT ON COLUMN articles.date_source IS 'Which source''s day won the vote: feed, url (the article''s address or canonical link), page (publication metadata), visible (the date shown by the headline), updated (the page''s latest date) or text (a date found anywhere on the page, used only when nothing else gave one).';
COMMENT ON COLUMN articles.date_agree IS 'How many date sources named the published day (1 = one source alone).';
COMMENT ON COLUMN articles.date_disagree IS 'How many date sources named another day (0 = no source contradicts it).';

ALTER TABLE sources ADD COLUMN timezone VARCHAR;
COMMENT ON COLUMN sources.timezone IS 'IANA time zone whose calendar day is the publication day (sources.yaml timezone, else the country''s).';
