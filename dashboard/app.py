"""blocwatch dashboard: the multipage app `blocwatch dashboard` starts.

The sidebar filters are drawn here, before the page runs, so they keep their state when
the analyst moves between pages; each page is a thin script under views/ (not pages/:
that folder name switches Streamlit to its legacy multipage mode, which bypasses this
file).
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

# `streamlit run dashboard/app.py` puts dashboard/ on sys.path, not the repository root.
_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from dashboard import ui  # noqa: E402 - needs the path above

# A file, not ":material/public:": Streamlit turns a Material name into a favicon URL on
# fonts.gstatic.com, and the dashboard must not ask the internet for anything.
st.set_page_config(page_title="blocwatch", page_icon=str(Path(__file__).with_name("icon.png")),
                   layout="wide")

PAGES = [
    # The default page lives at the root URL ("/"): Streamlit gives it no path of its own.
    st.Page("views/trends.py", title="Trends", icon=":material/show_chart:", default=True),
    st.Page("views/compare.py", title="Compare", icon=":material/grid_view:",
            url_path="compare"),
    st.Page("views/co_mentions.py", title="Co-mentions", icon=":material/hub:",
            url_path="co-mentions"),
    st.Page("views/keywords.py", title="Keywords", icon=":material/label:",
            url_path="keywords"),
    st.Page("views/articles.py", title="Articles", icon=":material/article:",
            url_path="articles"),
    st.Page("views/map.py", title="Map & outlets", icon=":material/map:", url_path="map"),
    st.Page("views/alerts.py", title="Alerts", icon=":material/notifications:",
            url_path="alerts"),
    st.Page("views/sources_runs.py", title="Sources & runs", icon=":material/rss_feed:",
            url_path="sources-runs"),
    st.Page("views/sql.py", title="SQL", icon=":material/database:", url_path="sql"),
]

page = st.navigation(PAGES, position="top")
ui.publish_context(ui.build_context())
page.run()
