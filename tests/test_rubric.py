"""A malformed rubric is refused with one line naming the file, the key and the fix."""
import pytest

from conftest import ROOT
from grader.errors import GraderError
from grader.rubric import BREAKING_CHANGES, RUBRIC_VERSION, load_rubric, parse_rubric

GOOD = (ROOT / "rubric.yaml").read_text()


def error_for(tmp_path, text):
    with pytest.raises(GraderError) as info:
        parse_rubric(tmp_path / "rubric.yaml", text)
    message = str(info.value)
    assert "\n" not in message and str(tmp_path / "rubric.yaml") in message
    return message


def test_bundled_rubric_loads_with_every_style():
    rubric = load_rubric()
    bank = rubric.task("bank")
    assert bank.max_score("contract") > 0 and bank.max_score("program") > 0
    assert rubric.task("downloader").max_score("program") > 0


def test_bank_programs_and_contracts_share_one_maximum_and_the_names_cost_nothing_by_default():
    bank = load_rubric().task("bank")
    assert bank.max_score("program") == bank.max_score("contract")
    names = [c for c in bank.checks_for("program") if c.id == bank.names_check]
    assert [c.points for c in names] == [0]


def test_a_rubric_without_a_version_is_refused_with_the_current_one(tmp_path):
    message = error_for(tmp_path, GOOD.replace(f"version: {RUBRIC_VERSION}\n", ""))
    assert "version" in message and f"version: {RUBRIC_VERSION}" in message


def test_a_rubric_older_than_a_change_of_the_checks_names_the_changes(tmp_path):
    message = error_for(tmp_path, GOOD.replace(f"version: {RUBRIC_VERSION}\n", "version: 2\n"))
    assert "v3" in message and "bank" in message and "v2:" not in message


def test_a_rubric_newer_than_the_grader_asks_for_an_upgrade(tmp_path):
    message = error_for(tmp_path, GOOD.replace(f"version: {RUBRIC_VERSION}\n", f"version: {RUBRIC_VERSION + 1}\n"))
    assert "upgrade grader" in message


def test_a_rubric_after_the_last_change_of_the_checks_is_read():
    for version in range(max(BREAKING_CHANGES), RUBRIC_VERSION + 1):
        text = GOOD.replace(f"version: {RUBRIC_VERSION}\n", f"version: {version}\n")
        assert parse_rubric(ROOT / "rubric.yaml", text).task("bank")


def test_a_finding_without_a_cap_is_refused(tmp_path):
    text = GOOD.replace("    findings:\n      race: 6\n", "")
    message = error_for(tmp_path, text)
    assert "finding" in message and "race" in message and "findings" in message


def test_a_names_check_that_is_not_a_contract_check_is_refused(tmp_path):
    message = error_for(tmp_path, GOOD.replace("names_check: api", "names_check: script_runs"))
    assert "tasks.bank.names_check" in message


def test_bonus_checks_do_not_raise_the_maximum():
    bank = load_rubric().task("bank")
    bonus = sum(c.points for c in bank.checks_for("contract") if c.bonus)
    assert bonus > 0
    assert bank.max_score("contract") == sum(c.points for c in bank.checks_for("contract")) - bonus


def test_invalid_yaml_names_the_line(tmp_path):
    assert "line" in error_for(tmp_path, "tasks: [unclosed\n")


def test_unknown_check_lists_the_known_ones(tmp_path):
    message = error_for(tmp_path, GOOD.replace("id: validation", "id: validashun"))
    assert "validashun" in message and "bank.validation" in message


def test_negative_points_are_refused(tmp_path):
    message = error_for(tmp_path, GOOD.replace("points: 3", "points: -3", 1))
    assert "points" in message and "-3" in message


def test_unknown_visibility_lists_the_choices(tmp_path):
    message = error_for(tmp_path, GOOD.replace("depends: [api]", "depends: [api]\n        visibility: secret", 1))
    assert "secret" in message and "after_due_date" in message


def test_dependency_must_be_listed_before(tmp_path):
    message = error_for(tmp_path, GOOD.replace("depends: [basic]", "depends: [simulate_total]", 1))
    assert "simulate_total" in message and "depends" in message


def test_missing_rubric_file_says_how_to_fix(tmp_path):
    with pytest.raises(GraderError, match="rubric not found; pass --rubric"):
        load_rubric(tmp_path / "absent.yaml")


def test_unknown_limit_is_named(tmp_path):
    message = error_for(tmp_path, GOOD.replace("output_kb: 64", "output_kib: 64"))
    assert "limits.output_kib" in message


PYTEST_ENTRY = """      - id: extra
        pytest: extra_tests.py
        tests: {test_passes: 1, test_fails: 2}
        depends: [api]
      - id: simulate_total"""

EXTRA_TESTS = """
import bank

def test_passes():
    assert bank.BankAccount(5).balance == 5

def test_fails():
    assert bank.BankAccount(1).withdraw(1) is False
"""


def test_a_pytest_file_becomes_one_check_per_test(tmp_path):
    (tmp_path / "extra_tests.py").write_text(EXTRA_TESTS)
    rubric = parse_rubric(tmp_path / "rubric.yaml", GOOD.replace("      - id: simulate_total", PYTEST_ENTRY, 1))
    extra = [c for c in rubric.task("bank").checks if c.id.startswith("extra::")]
    assert [(c.id, c.points) for c in extra] == [("extra::test_passes", 1.0), ("extra::test_fails", 2.0)]


def test_a_pytest_entry_naming_a_missing_test_is_refused(tmp_path):
    (tmp_path / "extra_tests.py").write_text(EXTRA_TESTS)
    message = error_for(tmp_path, GOOD.replace("      - id: simulate_total",
                                               PYTEST_ENTRY.replace("test_fails: 2", "test_absent: 2"), 1))
    assert "test_absent" in message and "test_passes" in message


def test_editing_a_pytest_file_changes_the_rubric_digest(tmp_path):
    text = GOOD.replace("      - id: simulate_total", PYTEST_ENTRY, 1)
    (tmp_path / "extra_tests.py").write_text(EXTRA_TESTS)
    before = parse_rubric(tmp_path / "rubric.yaml", text).digest
    (tmp_path / "extra_tests.py").write_text(EXTRA_TESTS + "\n# edited\n")
    assert parse_rubric(tmp_path / "rubric.yaml", text).digest != before



@pytest.mark.parametrize("text", [GOOD, "tasks:\n  bank:\n    checks: [{id: api, points: yes}]\n"
                                         "  when: 2026-12-06\n  n: 0o17\n  x: ~\n"])
def test_the_fast_yaml_loader_reads_what_the_safe_loader_reads(text):
    import yaml

    from grader import rubric

    assert yaml.load(text, Loader=rubric._SAFE_LOADER) == yaml.load(text, Loader=yaml.SafeLoader)


def test_a_yaml_error_names_the_same_line_as_the_safe_loader(tmp_path):
    import yaml

    text = GOOD.replace("tasks:", "tasks: [", 1)
    with pytest.raises(yaml.YAMLError) as safe:
        yaml.load(text, Loader=yaml.SafeLoader)
    assert f"line {safe.value.problem_mark.line + 1}:" in error_for(tmp_path, text)
