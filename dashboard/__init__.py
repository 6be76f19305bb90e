"""The Streamlit dashboard over the published warehouse (never imports flows)."""
