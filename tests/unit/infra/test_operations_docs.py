"""docs/operations.md has a runbook for every alarm and event the observability module creates,
and every alarm description points at a section that exists."""

from __future__ import annotations

import re

from tests.unit.infra.terraform_tree import MODULES_DIR, REPO_ROOT

OPERATIONS = REPO_ROOT / "docs" / "operations.md"
OBSERVABILITY = MODULES_DIR / "observability" / "main.tf"


def _anchors() -> set[str]:
    headings = re.findall(r"^#{2,4} (.+)$", OPERATIONS.read_text(), flags=re.MULTILINE)
    return {re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-") for h in headings}


def _alarm_keys() -> set[str]:
    text = OBSERVABILITY.read_text()
    keys = set(
        re.findall(
            r"^ {4,6}([a-z0-9]+(?:-[a-z0-9]+)+) = (?:merge\([^{]*)?\{$", text, flags=re.MULTILINE
        )
    )
    keys |= {key.split("-${")[0] for key in re.findall(r'"(lambda-errors-\$\{name\})"', text)}
    return keys


def test_every_alarm_has_a_runbook_section() -> None:
    alarms = _alarm_keys()
    assert {"gold-freshness", "kinesis-dead-letter-queue-depth", "lambda-errors"} <= alarms
    assert len(alarms) >= 15
    assert sorted(alarms - _anchors()) == []


def test_every_alarm_description_points_at_a_section_that_exists() -> None:
    pointed = set(re.findall(r"docs/operations\.md#([a-z0-9-]+)", OBSERVABILITY.read_text()))
    assert len(pointed) >= 14
    assert sorted(pointed - _anchors()) == []


def test_the_events_and_the_budget_have_their_sections_too() -> None:
    text = OBSERVABILITY.read_text()
    assert 'resource "aws_cloudwatch_event_rule" "compaction_failed"' in text
    assert 'resource "aws_budgets_budget" "monthly"' in text
    assert {"compaction-failed-event", "budget", "batch-job-failed"} <= _anchors()
