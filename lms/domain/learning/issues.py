"""Issue numbers of the weekly micro-lessons (期号) and how they are named; no Flask.

The column numbers its issues per season from 第1期 (the shipped 2026 season starts on
2026-08-17). An issue of an earlier season is stored as `year * 100 + n` (202552 is the 2025
season's 52nd issue), so issue numbers stay unique integers across seasons, sort in
publishing order, and are named "2025年度第52期" rather than by a bare large number.
"""

SEASON_CODED = 100_000  # from here on an issue number carries its season's year
ISSUES_PER_SEASON = 52


def season_issue(season_year: int, weeks_before: int) -> int:
    """The issue number of the week `weeks_before` (≥ 1) weeks before the first issue of the
    season that starts in `season_year`: the previous season's last issues, counted back."""
    seasons_back, back = divmod(weeks_before - 1, ISSUES_PER_SEASON)
    return (season_year - 1 - seasons_back) * 100 + ISSUES_PER_SEASON - back


def split(issue_no: int) -> tuple[int | None, int]:
    """(season year or None for the current numbering, issue within the season)."""
    if issue_no >= SEASON_CODED:
        return divmod(issue_no, 100)
    return None, issue_no


def issue_name(issue_no: int) -> str:
    """"第N期", or "YYYY年度第N期" for an earlier season's issue (Chinese, for stored text)."""
    year, n = split(issue_no)
    return f"第{n}期" if year is None else f"{year}年度第{n}期"
