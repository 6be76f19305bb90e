-- Which probed canonical URLs need no fetching: stored (as canonical or fetched URL),
-- failed for good ($permanent outcomes), or parked until after $at.
SELECT p.url FROM probe p
WHERE EXISTS (SELECT 1 FROM articles a WHERE a.url = p.url OR a.fetched_url = p.url)
   OR EXISTS (SELECT 1 FROM fetch_log f
              WHERE f.url = p.url AND list_contains($permanent, f.outcome))
   OR EXISTS (SELECT 1 FROM url_parking k WHERE k.url = p.url AND k.parked_until > $at)
