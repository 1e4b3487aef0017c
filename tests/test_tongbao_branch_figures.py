"""Defects found walking the 2026-12-03 demo that a request shows without a browser
(docs/WALKTHROUGH-2026-12-03.md)."""
import re
from datetime import datetime

NOW = datetime(2026, 12, 1, 2, 0)  # Tuesday of week 49, 10:00 in Shanghai


def test_the_tongbao_headline_counts_the_branches_the_dashboard_counts_everyone(
        db, make, client, login, frozen_clock):
    """A station's own officer belongs to no branch: the dashboard counts them, the 通报 ranks
    branches only, so its headline must say its figures are the branches' or the two pages
    disagree without a word of why."""
    t = make.tree()
    for _ in range(3):
        make.user(t["branch_a"])
    make.user(t["station_a"])  # in the station's own office, no branch
    make.lesson_due(datetime(2026, 11, 22, 23, 59))
    login(make.user(t["county_a"], roles=("supervisor",)).police_no)
    dashboard = client.get("/supervise/?period=2026Q4").text
    assert re.search(r"应学人次</span>\s*<strong[^>]*>4<", dashboard), "dashboard counts all four"
    tongbao = client.get("/supervise/tongbao?period=2026Q4").text
    assert "共推送政治练兵小课堂微课1期，各党支部应学3人次，" in tongbao
