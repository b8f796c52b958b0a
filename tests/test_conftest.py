"""The test suite's own rule: on CI (``CI=true``) a skipped test fails the run, with the skip's reason.

Each test runs pytest on throw-away test files (the ``pytester`` fixture) with exactly the hooks of
tests/conftest.py, so what is checked is the hook CI runs, not a copy of it.
"""

from __future__ import annotations

import types
from pathlib import Path

import pytest

CONFTEST = Path(__file__).with_name("conftest.py")

SKIPS_IN_TESTS = """
import pytest

@pytest.fixture
def needs_a_browser():
    pytest.skip("no browser in the fixture")

def test_passes():
    assert True

@pytest.mark.skip(reason="skipped by a mark")
def test_marked():
    pass

@pytest.mark.skipif(True, reason="skipped by a condition")
def test_condition():
    pass

def test_skips_itself():
    pytest.skip("skipped in the test")

def test_imports_a_missing_module():
    pytest.importorskip("no_such_module_for_the_ci_rule")

def test_uses_a_skipping_fixture(needs_a_browser):
    pass

@pytest.mark.xfail(reason="a known bug", strict=True)
def test_known_bug():
    assert False
"""

MODULE_LEVEL_SKIP = """
import pytest

pytest.importorskip("no_such_module_for_the_ci_rule")

def test_never_collected():
    pass
"""


@pytest.fixture
def ci_rule(request) -> types.SimpleNamespace:
    """The hooks tests/conftest.py gives pytest, taken from the conftest this very run loaded."""
    conftest = next(
        plugin
        for plugin in request.config.pluginmanager.get_plugins()
        if Path(getattr(plugin, "__file__", "") or "") == CONFTEST
    )
    return types.SimpleNamespace(
        pytest_runtest_makereport=conftest.pytest_runtest_makereport,
        pytest_make_collect_report=conftest.pytest_make_collect_report,
    )


def run(pytester, ci_rule, monkeypatch, ci: str | None, **files: str):
    """Run pytest on ``files`` with the CI variable set to ``ci`` (``None``: not set)."""
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    pytester.makepyfile(**files)
    return pytester.runpytest_inprocess("-rfEsx", "-p", "no:cacheprovider", plugins=[ci_rule])


def test_on_ci_every_kind_of_skip_fails_with_its_reason(pytester, ci_rule, monkeypatch):
    result = run(pytester, ci_rule, monkeypatch, "true", test_skips=SKIPS_IN_TESTS)
    # Skip marks and a fixture's skip act in the test's setup: a failure there is an "error", which
    # fails the run just the same.
    result.assert_outcomes(passed=1, failed=2, errors=3, xfailed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    output = result.stdout.str()
    for reason in (
        "skipped by a mark",
        "skipped by a condition",
        "skipped in the test",
        "could not import 'no_such_module_for_the_ci_rule'",
        "no browser in the fixture",
    ):
        assert f"Skipped on CI (CI=true), where every test must run: {reason}" in output, reason
    assert "XFAIL test_skips.py::test_known_bug - a known bug" in output  # an expected failure stays one


def test_on_ci_a_module_skipped_at_import_fails_the_run(pytester, ci_rule, monkeypatch):
    result = run(pytester, ci_rule, monkeypatch, "true", test_module_skip=MODULE_LEVEL_SKIP)
    assert result.ret == pytest.ExitCode.INTERRUPTED  # a collection error stops the run
    result.stdout.fnmatch_lines(
        ["*Skipped on CI (CI=true), where every test must run: could not import 'no_such_module_for_the_ci_rule'*"]
    )


@pytest.mark.parametrize("ci", [None, "false", "1"])
def test_elsewhere_a_skip_stays_a_skip(pytester, ci_rule, monkeypatch, ci):
    result = run(pytester, ci_rule, monkeypatch, ci, test_skips=SKIPS_IN_TESTS, test_module_skip=MODULE_LEVEL_SKIP)
    result.assert_outcomes(passed=1, skipped=6, xfailed=1)
    assert result.ret == pytest.ExitCode.OK
