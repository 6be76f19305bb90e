-- One outlet from sources.yaml.
INSERT OR REPLACE INTO sources (source_id, name, homepage, country, language, kind,
                                updated_at, timezone)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
