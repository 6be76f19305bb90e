-- 009: the full-text index (warehouse/textindex.py) beside the warehouse. The index lives
-- in data/textindex/ (tantivy); this one-row table names the generation of it that this
-- database file goes with, so a reader of a published snapshot opens the index state
-- that was published with it, never a newer or older one. Written by the writer before
-- each publish; schema_version is the index layout (textindex.SCHEMA_VERSION): a change
-- of layout rebuilds the index from the articles.

CREATE TABLE text_index (
    generation      BIGINT NOT NULL,
    schema_version  INTEGER NOT NULL,
    articles        BIGINT NOT NULL,
    last_article_id BIGINT NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);
COMMENT ON TABLE text_index IS 'The full-text index generation published with this file (data/textindex/gen-<generation>); one row, none before the first index build.';
COMMENT ON COLUMN text_index.generation IS 'Directory data/textindex/gen-<generation> holds the index state of this snapshot.';
COMMENT ON COLUMN text_index.schema_version IS 'Index layout version (warehouse/textindex.py SCHEMA_VERSION).';
COMMENT ON COLUMN text_index.articles IS 'Articles in the index at that generation (all of articles).';
COMMENT ON COLUMN text_index.last_article_id IS 'Highest article_id indexed: later ones are added at the next load.';
COMMENT ON COLUMN text_index.updated_at IS 'When the generation was made (UTC).';
