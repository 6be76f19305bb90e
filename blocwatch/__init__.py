"""blocwatch: how the world's press covers Japan, NATO and the regional security blocs.

The modules directly in this package are the base every layer shares: configuration
(config, taxonomy, paths, yamlconf, errors), the records that cross layers (records), and
pure helpers (text, analysis, dedup, alerts, spikes, checks). The pipeline stages are in
``blocwatch.stages``, their plain-Python running in ``blocwatch.orchestration``, the demo
web in ``blocwatch.demo`` and the command in ``blocwatch.cli`` (docs/architecture.md).
"""

__version__ = "0.1.0"
