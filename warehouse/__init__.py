"""The DuckDB warehouse: schema migrations, loading, publishing and read queries.

Imports neither Prefect nor Streamlit, so analysts' tools and tests can use it alone.
"""
