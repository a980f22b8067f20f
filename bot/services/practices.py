"""Good practices marked "điển hình": who may mark one, and the mark itself (chat button and console)."""

from bot.db.reports import Report
from bot.services import access, report_filing
from bot.services.report_types import load_report_types


def may_feature(actor: access.Actor | None, report: Report | None) -> bool:
    """A reviewer of the report (not its author) may mark a good practice that was not returned."""
    kind = load_report_types().get(report.type_id) if report else None
    return (kind is not None and kind.kind == "practice" and report.status != "returned"
            and report_filing.may_decide(actor, report))


def toggle(report: Report) -> bool:
    """Mark or unmark the practice; whether it is now featured in the results report."""
    report.featured = not report.featured
    return report.featured
