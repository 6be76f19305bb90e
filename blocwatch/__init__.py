"""blocwatch: how the world's press covers Japan, NATO and the regional security blocs."""

__version__ = "0.1.0"
