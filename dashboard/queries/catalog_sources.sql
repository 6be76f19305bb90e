SELECT source_id, name, country, language, kind, homepage
FROM sources
ORDER BY name, source_id;
