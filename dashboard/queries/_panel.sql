CASE $split
    WHEN 'country' THEN coalesce(s.country, '(unknown)')
    WHEN 'language' THEN coalesce(r.language, '(unknown)')
    WHEN 'outlet' THEN r.source_id
    WHEN 'kind' THEN coalesce(s.kind, '(unknown)')
    ELSE 'all'
END
