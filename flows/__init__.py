"""Prefect flows: the thin orchestration layer over blocwatch's plain stage functions."""
