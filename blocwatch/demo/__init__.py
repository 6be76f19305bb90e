"""A deterministic demo news web: generated outlets, feeds and articles, and a local server."""
