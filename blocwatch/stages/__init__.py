"""The pipeline stages: plain functions and records in, records out, with no Prefect,
DuckDB or Streamlit. fetch (polite HTTP) → feeds (feeds, sitemaps, archive pages) →
extract (trafilatura) → dates, language, tagger, keywords → page (one page in, one article
record out); archive keeps every response as WARC and reads it back; urls canonicalises."""
