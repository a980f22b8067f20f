"""A report type pasted without its `- id:` line merged into the entry above it: PyYAML kept the second `name`
and `counts` silently, so a whole type (here "communication") vanished and `content check` said "valid"."""

from bot.services.report_types import parse_report_types

MERGED = """types:
  - id: results
    name: {vi: "Kết quả", en: "Results"}
    counts:
      - {id: activated, label: {vi: "Đã kích hoạt", en: "Activated"}, max: 200}
    name: {vi: "Tuyên truyền", en: "Communication"}
    counts:
      - {id: banners, label: {vi: "Băng rôn", en: "Banners"}, max: 50}
"""


def test_a_key_given_twice_in_one_type_is_a_problem(tmp_path):
    path = tmp_path / "report_types.yaml"
    path.write_text(MERGED, encoding="utf-8")
    types, problems = parse_report_types(path)
    assert types == [] and len(problems) == 1
    assert "key 'name' appears twice" in problems[0].message or "key 'counts' appears twice" in problems[0].message
