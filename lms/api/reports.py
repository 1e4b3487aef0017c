"""GET /api/v1/reports/completion (DESIGN §5): completion per child unit for a period."""
from flask import current_app, g, request

from ..domain import clock
from ..domain.org import policy
from ..domain.reports import assignments, periods, plans, rollup
from ..web import db_session
from .blueprint import api_bp
from .common import ApiError, token_required


@api_bp.get("/reports/completion")
@token_required
def completion():
    """Assigned and completed (officer, lesson) pairs per child unit; 403 outside the scope."""
    db = db_session()
    plans.custom_plans(db)
    # Scope first: a unit outside the scope is refused whatever else is wrong with the request.
    unit = policy.report_unit(db, g.api_user, request.args.get("unit", "").strip() or None)
    try:
        period = periods.parse(request.args.get("period", ""), current_app.config["LMS_TIMEZONE"])
    except ValueError:
        raise ApiError(400, "bad_period", "period 应为 2026、2026Q4 或 2026-W48 形式") from None
    report = rollup.completion_by_child(db, unit, rollup.Selection(period=period),
                                         clock.utcnow())
    return {"unit": {"code": unit.code, "name": unit.name}, "period": period.key,
            "rows": [{"unit": {"code": row.unit.code, "name": row.unit.name},
                      **_figures(row.counts), "first_score_avg": _score(row.counts)}
                     for row in report.rows],
            "total": _figures(report.total)}


def _score(counts: assignments.Counts) -> float | None:
    """The average first-attempt score (null when no completion has one)."""
    return None if counts.first_average is None else round(counts.first_average, 1)


def _figures(counts: assignments.Counts) -> dict:
    """assigned, completed and rate (a fraction, null when nothing was assigned)."""
    rate = None if counts.rate is None else round(counts.rate, 4)
    return {"assigned": counts.assigned, "completed": counts.completed, "rate": rate}
