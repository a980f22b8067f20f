"""The triggers that keep bot/db/rollup_totals.py's tables equal to the sums of `report`, and their backfill.

One SQL text per step for both dialects; only the few expressions that differ (a date's year, the JSON
counts as rows, the smaller of two values) come from `DIALECT`. A report leaving a group (update or
delete) takes its figures out; when it held the group's first filing time, that minimum is recomputed
from `report` for the group, so it is never stale. A group with no report left is deleted. (PostgreSQL
runs row triggers at the end of the statement, when `report` may already hold no row of a group whose
counters are not yet down to zero: the minimum is then kept, and the group's row goes with its last report.)

SQLite's batch migrations rebuild a table and drop its triggers: a migration that alters `report`
must call `install` again (tests/services/test_rollup_totals.py checks they exist at head).
"""

from sqlalchemy.engine import Connection

WATCHED = "counts, people, status, unit_path, activity_date, type_id, team_id, created_at"
TRIGGERS = ("rollup_report_insert", "rollup_report_delete", "rollup_report_update")  # SQLite's; PostgreSQL has one

DIALECT = {
    "sqlite": {
        "year": "CAST(substr({r}.activity_date, 1, 4) AS INTEGER)",
        "month": "CAST(substr({r}.activity_date, 6, 2) AS INTEGER)",
        "year_first": "substr({r}.activity_date, 1, 4) || '-01-01'",
        "year_last": "substr({r}.activity_date, 1, 4) || '-12-31'",
        "pairs": "json_each({r}.counts) AS j",
        "is_number": "j.type IN ('integer', 'real')",
        "number": "CAST(j.value AS INTEGER)",
        "least": "min",
    },
    "postgresql": {
        "year": "CAST(EXTRACT(YEAR FROM {r}.activity_date) AS INTEGER)",
        "month": "CAST(EXTRACT(MONTH FROM {r}.activity_date) AS INTEGER)",
        "year_first": "make_date(CAST(EXTRACT(YEAR FROM {r}.activity_date) AS INTEGER), 1, 1)",
        "year_last": "make_date(CAST(EXTRACT(YEAR FROM {r}.activity_date) AS INTEGER), 12, 31)",
        "pairs": "jsonb_each(CAST({r}.counts AS jsonb)) AS j",
        "is_number": "jsonb_typeof(j.value) = 'number'",
        "number": "CAST(CAST(j.value AS TEXT) AS NUMERIC)",
        "least": "LEAST",
    },
}

HAS_PEOPLE = "CASE WHEN {r}.people IS NULL THEN 0 ELSE 1 END"
YEAR_KEY = ("rollup_year.year = {year} AND team_id = {r}.team_id AND unit_path = {r}.unit_path "
            "AND type_id = {r}.type_id AND status = {r}.status")
MONTH_KEY = "rollup_month.year = {year} AND month = {month} AND unit_path = {r}.unit_path AND status = {r}.status"
COUNT_KEY = ("rollup_year_count.year = {year} AND unit_path = {r}.unit_path AND type_id = {r}.type_id "
             "AND status = {r}.status")

ADD = (
    """INSERT INTO rollup_year (year, team_id, unit_path, type_id, status, reports, people, people_n, first_at)
    VALUES ({year}, {r}.team_id, {r}.unit_path, {r}.type_id, {r}.status, 1, COALESCE({r}.people, 0), {has_people},
            {r}.created_at)
    ON CONFLICT (year, team_id, unit_path, type_id, status) DO UPDATE SET reports = rollup_year.reports + 1,
        people = rollup_year.people + excluded.people, people_n = rollup_year.people_n + excluded.people_n,
        first_at = {least}(COALESCE(rollup_year.first_at, excluded.first_at), excluded.first_at)""",
    """INSERT INTO rollup_month (year, month, unit_path, status, reports, people, people_n)
    VALUES ({year}, {month}, {r}.unit_path, {r}.status, 1, COALESCE({r}.people, 0), {has_people})
    ON CONFLICT (year, month, unit_path, status) DO UPDATE SET reports = rollup_month.reports + 1,
        people = rollup_month.people + excluded.people, people_n = rollup_month.people_n + excluded.people_n""",
    """INSERT INTO rollup_year_count (year, unit_path, type_id, status, count_id, total, n)
    SELECT {year}, {r}.unit_path, {r}.type_id, {r}.status, j.key, {number}, 1 FROM {pairs} WHERE {is_number}
    ON CONFLICT (year, unit_path, type_id, status, count_id) DO UPDATE SET
        total = rollup_year_count.total + excluded.total, n = rollup_year_count.n + 1""",
)

REMOVE = (
    """UPDATE rollup_year SET reports = reports - 1, people = people - COALESCE({r}.people, 0),
        people_n = people_n - {has_people} WHERE {year_key}""",
    "DELETE FROM rollup_year WHERE {year_key} AND reports <= 0",
    """UPDATE rollup_year SET first_at = COALESCE((SELECT min(x.created_at) FROM report x
        WHERE x.team_id = {r}.team_id AND x.unit_path = {r}.unit_path AND x.type_id = {r}.type_id
        AND x.status = {r}.status AND x.activity_date BETWEEN {year_first} AND {year_last}), first_at)
        WHERE {year_key} AND first_at >= {r}.created_at""",
    """UPDATE rollup_month SET reports = reports - 1, people = people - COALESCE({r}.people, 0),
        people_n = people_n - {has_people} WHERE {month_key}""",
    "DELETE FROM rollup_month WHERE {month_key} AND reports <= 0",
    """UPDATE rollup_year_count SET n = n - 1,
        total = total - (SELECT {number} FROM {pairs} WHERE j.key = rollup_year_count.count_id)
        WHERE {count_key} AND count_id IN (SELECT j.key FROM {pairs} WHERE {is_number})""",
    "DELETE FROM rollup_year_count WHERE {count_key} AND n <= 0",
)

BACKFILL = (
    """INSERT INTO rollup_year (year, team_id, unit_path, type_id, status, reports, people, people_n, first_at)
    SELECT {year}, r.team_id, r.unit_path, r.type_id, r.status, count(*), COALESCE(sum(r.people), 0), count(r.people),
        min(r.created_at) FROM report r GROUP BY 1, 2, 3, 4, 5""",
    """INSERT INTO rollup_month (year, month, unit_path, status, reports, people, people_n)
    SELECT {year}, {month}, r.unit_path, r.status, count(*), COALESCE(sum(r.people), 0), count(r.people)
    FROM report r GROUP BY 1, 2, 3, 4""",
    """INSERT INTO rollup_year_count (year, unit_path, type_id, status, count_id, total, n)
    SELECT {year}, r.unit_path, r.type_id, r.status, j.key, sum({number}), count(*) FROM report r, {pairs}
    WHERE {is_number} GROUP BY 1, 2, 3, 4, 5""",
)


def _sql(template: str, dialect: str, row: str) -> str:
    """A template with the dialect's expressions for the row `row` (NEW, OLD or the alias r)."""
    parts = {name: text.format(r=row) for name, text in DIALECT[dialect].items()}
    parts["has_people"] = HAS_PEOPLE.format(r=row)
    parts["year_key"] = YEAR_KEY.format(r=row, **parts)
    parts["month_key"] = MONTH_KEY.format(r=row, **parts)
    parts["count_key"] = COUNT_KEY.format(r=row, **parts)
    return template.format(r=row, **parts)


def _body(dialect: str, steps: tuple[str, ...], row: str) -> str:
    return "".join(f"{_sql(step, dialect, row)};\n" for step in steps)


def _sqlite_ddl() -> list[str]:
    """Three triggers; the update one takes the old row out, then puts the new one in."""
    heads = {"insert": "AFTER INSERT", "delete": "AFTER DELETE", "update": f"AFTER UPDATE OF {WATCHED}"}
    bodies = {"insert": _body("sqlite", ADD, "NEW"), "delete": _body("sqlite", REMOVE, "OLD"),
              "update": _body("sqlite", REMOVE, "OLD") + _body("sqlite", ADD, "NEW")}
    return [f"CREATE TRIGGER IF NOT EXISTS rollup_report_{op} {heads[op]} ON report FOR EACH ROW\nBEGIN\n"
            f"{bodies[op]}END" for op in heads]


def _postgres_ddl() -> list[str]:
    """One PL/pgSQL function run after each changed row."""
    function = (
        "CREATE OR REPLACE FUNCTION rollup_report_change() RETURNS trigger LANGUAGE plpgsql AS $rollup$\nBEGIN\n"
        f"IF TG_OP <> 'INSERT' THEN\n{_body('postgresql', REMOVE, 'OLD')}END IF;\n"
        f"IF TG_OP <> 'DELETE' THEN\n{_body('postgresql', ADD, 'NEW')}END IF;\n"
        "RETURN NULL;\nEND\n$rollup$")
    return [function, "DROP TRIGGER IF EXISTS rollup_report_change ON report",
            f"CREATE TRIGGER rollup_report_change AFTER INSERT OR DELETE OR UPDATE OF {WATCHED} ON report "
            "FOR EACH ROW EXECUTE FUNCTION rollup_report_change()"]


def install(connection: Connection) -> None:
    """Create (or replace) the triggers on `report`; safe to run again."""
    statements = _sqlite_ddl() if connection.dialect.name == "sqlite" else _postgres_ddl()
    for statement in statements:
        connection.exec_driver_sql(statement)


def uninstall(connection: Connection) -> None:
    """Drop the triggers (the migration's downgrade)."""
    if connection.dialect.name == "sqlite":
        for name in TRIGGERS:
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
        return
    connection.exec_driver_sql("DROP TRIGGER IF EXISTS rollup_report_change ON report")
    connection.exec_driver_sql("DROP FUNCTION IF EXISTS rollup_report_change()")


def backfill(connection: Connection) -> None:
    """Fill the empty totals tables from the reports already stored."""
    for step in BACKFILL:
        connection.exec_driver_sql(_sql(step, connection.dialect.name, "r"))
