"""Report types load from content/ and bad files are reported per problem; Vietnamese number words parse."""

import pytest

from bot.services.report_types import check_report_types, load_report_types
from bot.services.vi_numbers import NegativeNumber, parse_count
from tests.conftest import ROOT


def test_the_shipped_report_types_are_valid_and_complete():
    assert check_report_types(ROOT / "content") == []
    types = load_report_types()
    assert len(types) == 16 and types["other"].note_required and not types["vneid"].note_required
    assert types["training"].count("sessions").label_in("en") == "Sessions held"
    assert all(t.name["vi"] and t.name["en"] and (t.counts or t.kind != "activity") for t in types.values())
    assert types["good_practice"].kind == "practice" and types["good_practice"].note_required


@pytest.mark.parametrize("body,message", [
    ("types: []", "non-empty list under 'types'"),
    ("types: [{id: a, name: {vi: A}, counts: [{id: people, label: {vi: x, en: y}, max: 5}]}]",
     "name needs a non-empty text for each of vi, en"),
    ("types: [{id: a, name: {vi: A, en: A}, counts: [{id: people, label: {vi: x, en: y}, max: -1}]}]",
     "max must be a whole number"),
    ("types: [{id: a, name: {vi: A, en: A}, counts: []}]", "needs a non-empty list of counts"),
    ("types: [{id: a, name: {vi: A, en: A}, counts: [{id: p, label: {vi: x, en: y}, max: 5}]},"
     " {id: a, name: {vi: B, en: B}, counts: [{id: p, label: {vi: x, en: y}, max: 5}]}]", "type id 'a' appears twice"),
    ("types: [{id: Bad Id}]", "needs an id"),
    ("types: [oops", "cannot read report types"),
])
def test_problems_name_the_file_and_what_is_wrong(tmp_path, body, message):
    (tmp_path / "report_types.yaml").write_text(body, encoding="utf-8")
    problems = check_report_types(tmp_path)
    assert problems and message in str(problems[0]) and str(problems[0]).startswith(str(tmp_path))


def test_a_missing_file_is_a_problem(tmp_path):
    assert "not found" in str(check_report_types(tmp_path)[0])


@pytest.mark.parametrize("typed,value", [
    ("15", 15), ("15 người", 15), ("1.200", 1200), ("mười lăm", 15), ("muoi lam", 15), ("hai mươi mốt", 21),
    ("hai mốt", 21), ("một trăm linh năm", 105), ("mot tram le nam", 105), ("một trăm hai mươi", 120),
    ("chín trăm chín mươi chín", 999), ("không", 0), ("mười", 10), ("bốn mươi tư người", 44),
    ("nhiều", None), ("5 hay 6", None), ("một trăm hai", None), ("mười không", None),
])
def test_counts_in_digits_and_words(typed, value):
    assert parse_count(typed) == value


def test_negative_numbers_are_told_apart():
    with pytest.raises(NegativeNumber):
        parse_count("-3")
