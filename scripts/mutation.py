"""`make mutation`: do the tests catch a wrong answer? Mutation testing of the code that decides
whether a sale counts, once, and for how much (docs/testing.md).

Two sources of mutants, one report (`docs/mutation.md`):
- mutmut (from PyPI, pinned in the lock) mutates the Python functions that `[tool.mutmut]` in
  pyproject.toml lists, and runs the unit tests that execute each mutated function;
- the named mutations of `tests/mutation/named_mutations.toml` put back, one at a time, the
  mistakes a reviewer makes by hand where mutmut cannot reach: the SQL views, the Spark job's
  column expressions, module-level contract data. Each runs the tests that own it.

Everything runs in a snapshot of the tree under `build/mutation/`, never in the checkout: other
people's test runs never meet a mutant, and an interrupted run leaves nothing to revert. A mutant
that survives must be killed by a new test or explained in `tests/mutation/survivors.toml`; the
run exits 1 while one is neither, or while a named mutation survives, errs or no longer matches
the code.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "build" / "mutation"
MUTMUT_TREE = WORK / "tree"
NAMED_TREE = WORK / "named"
"""Each kind of mutant gets its own snapshot, so the named mutations can run while mutmut does."""
CATALOGUE = ROOT / "tests" / "mutation" / "named_mutations.toml"
EXPLANATIONS = ROOT / "tests" / "mutation" / "survivors.toml"
REPORT = ROOT / "docs" / "mutation.md"
RESULTS = WORK / "results.json"
"""The last outcomes of each kind of mutant, saved as each finishes: the report puts together the
latest of both, and `--report-only` re-renders it after survivors were explained."""
BIN = Path(sys.executable).parent

KILLED = "killed"
SURVIVED = "survived"
CAUGHT = {"killed", "timeout", "caught by type check", "segfault"}
"""mutmut statuses where the mutant did not get through (a timeout is an endless loop caught)."""
UNTESTED = "no tests"

_RESULT_LINE = re.compile(r"^\s+(?P<name>\S+): (?P<status>.+)$")
_MODULE = re.compile(r"^(?P<module>[\w.]+?)\.x[_ǁ]")
_FAILED_TEST = re.compile(r"^FAILED (?P<test>\S+)", re.MULTILINE)


@dataclass(frozen=True)
class NamedMutation:
    name: str
    mistake: str
    file: str
    find: str
    replace: str
    tests: tuple[str, ...]


@dataclass(frozen=True)
class NamedOutcome:
    mutation: NamedMutation
    status: str
    """`killed`, `survived`, `stale` (its text is not in the file exactly once) or `error`."""
    caught_by: str
    seconds: float


@dataclass(frozen=True)
class Mutant:
    name: str
    status: str
    diff: str

    @property
    def module(self) -> str:
        match = _MODULE.match(self.name)
        return match["module"] if match else self.name

    @property
    def mutated_lines(self) -> str:
        """The lines the mutant adds, stripped: what an explanation is checked against."""
        return "\n".join(
            line[1:].strip()
            for line in self.diff.splitlines()
            if line.startswith("+") and not line.startswith("+++")
        )


@dataclass(frozen=True)
class Explanation:
    mutant: str
    mutated: str
    why: str


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--revision", help="measure this commit (default: the working tree, as `make test` does)"
    )
    parser.add_argument("--max-children", type=int, default=os.cpu_count() or 2)
    parser.add_argument(
        "--named-only",
        action="store_true",
        help="only the named mutations (after changing a view); the report keeps mutmut's last",
    )
    parser.add_argument(
        "--mutmut-only",
        action="store_true",
        help="only mutmut (after changing a Python core); the report keeps the named mutations'",
    )
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="re-render the report from the last outcomes with the current explanations",
    )
    args = parser.parse_args()
    if args.report_only:
        return write_report(Run.load())

    catalogue = load_catalogue()
    if not args.named_only:
        started = time.monotonic()
        measured = snapshot(args.revision, MUTMUT_TREE)
        mutants = run_mutmut(args.max_children)
        run = replace(
            Run.latest(), mutmut_measured=measured, mutants=mutants, mutmut_seconds=elapsed(started)
        )
        run.save()
        if args.mutmut_only:
            return write_report(run)
    started = time.monotonic()
    measured = snapshot(args.revision, NAMED_TREE)
    outcomes = run_named(catalogue)
    run = replace(
        Run.latest(), named_measured=measured, outcomes=outcomes, named_seconds=elapsed(started)
    )
    run.save()
    return write_report(run)


def elapsed(started: float) -> float:
    return time.monotonic() - started


@dataclass(frozen=True)
class Run:
    mutmut_measured: str = ""
    mutants: list[Mutant] = field(default_factory=list)
    mutmut_seconds: float = 0.0
    named_measured: str = ""
    outcomes: list[NamedOutcome] = field(default_factory=list)
    named_seconds: float = 0.0

    def save(self) -> None:
        RESULTS.write_text(json.dumps(asdict(self), indent=1))

    @classmethod
    def latest(cls) -> Run:
        """The outcomes saved last, read when a phase ends: the other phase may have saved its
        own meanwhile, from another process (`--named-only` beside `--mutmut-only`)."""
        return cls.load() if RESULTS.is_file() else cls()

    @classmethod
    def load(cls) -> Run:
        if not RESULTS.is_file():
            raise SystemExit(f"no results in {RESULTS}: run `make mutation` first")
        saved = json.loads(RESULTS.read_text())
        return cls(
            mutmut_measured=saved["mutmut_measured"],
            mutants=[Mutant(**mutant) for mutant in saved["mutants"]],
            mutmut_seconds=saved["mutmut_seconds"],
            named_measured=saved["named_measured"],
            outcomes=[
                NamedOutcome(
                    NamedMutation(**{**o["mutation"], "tests": tuple(o["mutation"]["tests"])}),
                    o["status"],
                    o["caught_by"],
                    o["seconds"],
                )
                for o in saved["outcomes"]
            ],
            named_seconds=saved["named_seconds"],
        )


def write_report(run: Run) -> int:
    """docs/mutation.md from a run; 1 while a survivor is unexplained or a named mutation failed."""
    explanations = Explanations.load()
    unexplained = [m for m in survivors(run.mutants) if explanations.why(m) is None]
    REPORT.write_text(report(run, explanations))
    failed_named = [o for o in run.outcomes if o.status != KILLED]
    print(f"report: {REPORT.relative_to(ROOT)}")
    print(f"mutmut: score {score(run.mutants):.1%}, {len(unexplained)} unexplained survivor(s)")
    print(f"named: {len(run.outcomes) - len(failed_named)} of {len(run.outcomes)} killed")
    return 1 if unexplained or failed_named else 0


def snapshot(revision: str | None, tree: Path) -> str:
    """Copy the code to measure into `tree`; returns what was measured, for the report."""
    if tree.exists():
        shutil.rmtree(tree)
    tree.mkdir(parents=True)
    stamp = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    head = git("rev-parse", "--short", revision or "HEAD")
    if revision:
        archive = subprocess.run(
            ["git", "archive", revision], cwd=ROOT, check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
        check_imports_come_from(tree)
        return f"commit {head}, {stamp}"
    listed = git("ls-files", "-z", "--cached", "--others", "--exclude-standard")
    for relative in filter(None, listed.split("\0")):
        source = ROOT / relative
        if source.is_file():  # listed but deleted in the working tree: absent from the snapshot
            target = tree / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    check_imports_come_from(tree)
    changed = git("status", "--porcelain", "--untracked-files=no")
    return f"working tree on {head}{' (with uncommitted changes)' if changed else ''}, {stamp}"


def check_imports_come_from(tree: Path) -> None:
    """The checkout is installed editable; a mutant is only tested if the snapshot's own packages
    are the ones imported, which holds when the snapshot is the working directory."""
    found = run_python(["-c", "import contract; print(contract.__file__)"], tree).stdout.strip()
    if not Path(found).is_relative_to(tree):
        raise SystemExit(f"the snapshot imports {found}, not its own copy: mutants would not run")


def run_mutmut(max_children: int) -> list[Mutant]:
    log = WORK / "mutmut.log"
    with log.open("w") as handle:
        finished = subprocess.run(
            [str(BIN / "mutmut"), "run", "--max-children", str(max_children)],
            cwd=MUTMUT_TREE,
            stdout=handle,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if finished.returncode != 0:
        raise SystemExit(f"mutmut failed ({finished.returncode}); see {log}")
    return mutmut_outcomes()


def mutmut_outcomes() -> list[Mutant]:
    """Every mutant of the run in MUTMUT_TREE, with the diff of each one that got through."""
    listing = subprocess.run(
        [str(BIN / "mutmut"), "results", "--all", "true"],
        cwd=MUTMUT_TREE,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    mutants = []
    for line in listing.splitlines():
        match = _RESULT_LINE.match(line)
        if match is None:
            continue
        name, status = match["name"], match["status"]
        diff = "" if status in CAUGHT else mutmut_diff(name)
        mutants.append(Mutant(name, status, diff))
    return mutants


def mutmut_diff(name: str) -> str:
    shown = subprocess.run(
        [str(BIN / "mutmut"), "show", name],
        cwd=MUTMUT_TREE,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return "\n".join(line for line in shown.splitlines() if not line.startswith("# "))


def load_catalogue() -> list[NamedMutation]:
    entries = tomllib.loads(CATALOGUE.read_text())["mutation"]
    mutations = [
        NamedMutation(
            name=entry["name"],
            mistake=entry["mistake"],
            file=entry["file"],
            find=entry["find"],
            replace=entry["replace"],
            tests=tuple(entry["tests"]),
        )
        for entry in entries
    ]
    names = Counter(m.name for m in mutations)
    repeated = sorted(name for name, count in names.items() if count > 1)
    if repeated:
        raise SystemExit(f"{CATALOGUE.name}: names used twice: {', '.join(repeated)}")
    return mutations


def run_named(mutations: list[NamedMutation]) -> list[NamedOutcome]:
    """Every test the catalogue names first runs unmutated, in one process (one Spark start), and
    must pass: a failure under a mutant only means something if the same tests pass without it."""
    every_test = tuple(sorted({test for mutation in mutations for test in mutation.tests}))
    clean = run_pytest(every_test)
    if clean.returncode != 0:
        sys.stdout.write(clean.stdout[-5000:])
        raise SystemExit("the tests the named mutations own fail without any mutant")
    return [apply_and_test(mutation) for mutation in mutations]


def apply_and_test(mutation: NamedMutation) -> NamedOutcome:
    path = NAMED_TREE / mutation.file
    original = path.read_text() if path.is_file() else ""
    if original.count(mutation.find) != 1:
        return NamedOutcome(mutation, "stale", "its text is not in the file exactly once", 0.0)
    started = time.monotonic()
    path.write_text(original.replace(mutation.find, mutation.replace))
    try:
        ran = run_pytest(mutation.tests)
    finally:
        path.write_text(original)
    seconds = time.monotonic() - started
    if ran.returncode == 1:
        failed = _FAILED_TEST.search(ran.stdout)
        return NamedOutcome(mutation, KILLED, failed["test"] if failed else "", seconds)
    if ran.returncode == 0:
        return NamedOutcome(mutation, SURVIVED, "", seconds)
    tail = ran.stdout.strip().splitlines()[-1:] or [""]
    return NamedOutcome(mutation, "error", f"pytest exit {ran.returncode}: {tail[0]}", seconds)


def run_pytest(tests: tuple[str, ...]) -> subprocess.CompletedProcess[str]:
    """No bytecode is written: a mutant and its revert can have the same size within the same
    second, and a cached .pyc of the mutant would then outlive it."""
    return run_python(
        ["-m", "pytest", *tests, "-n", "0", "-x", "-q", "-p", "no:cacheprovider", "-rf"],
        NAMED_TREE,
        check=False,
    )


def run_python(
    arguments: list[str], tree: Path, *, check: bool = True
) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [sys.executable, *arguments],
        cwd=tree,
        env=environment,
        check=check,
        capture_output=True,
        text=True,
    )


@dataclass(frozen=True)
class Explanations:
    survivors: list[Explanation]
    untested: dict[str, str]
    """Module -> why no unit test runs its code (its tests need real services)."""

    @classmethod
    def load(cls) -> Explanations:
        document = tomllib.loads(EXPLANATIONS.read_text())
        return cls(
            [
                Explanation(e["mutant"], e["mutated"].strip(), e["why"])
                for e in document.get("survivor", [])
            ],
            {entry["module"]: entry["why"] for entry in document.get("untested", [])},
        )

    def why(self, mutant: Mutant) -> str | None:
        """An explanation holds only while the mutant it names still makes the change it quotes:
        when the function changes, mutmut renumbers its mutants and the old words no longer
        apply. A module's explanation covers only its mutants that no unit test reached."""
        if mutant.status == UNTESTED and mutant.module in self.untested:
            return self.untested[mutant.module]
        for explanation in self.survivors:
            if explanation.mutant == mutant.name and explanation.mutated == mutant.mutated_lines:
                return explanation.why
        return None


def survivors(mutants: list[Mutant]) -> list[Mutant]:
    return [m for m in mutants if m.status not in CAUGHT]


def score(mutants: list[Mutant]) -> float:
    """Caught mutants over all mutants; untested ones count as survivors."""
    return sum(m.status in CAUGHT for m in mutants) / len(mutants) if mutants else 0.0


def report(run: Run, explanations: Explanations) -> str:
    mutants, outcomes = run.mutants, run.outcomes
    killed_named = sum(o.status == KILLED for o in outcomes)
    lines = [
        "# Mutation testing report",
        "",
        "Written by `make mutation` (`scripts/mutation.py`); do not edit by hand. How to read it "
        "and what to do with a survivor: [testing.md](testing.md).",
        "",
        f"- mutmut: {run.mutmut_measured}; {minutes(run.mutmut_seconds)}; "
        f"{sum(m.status in CAUGHT for m in mutants)} of {len(mutants)} mutants caught, "
        f"score **{score(mutants):.1%}**",
        f"- named mutations: {run.named_measured}; {minutes(run.named_seconds)}; "
        f"{killed_named} of {len(outcomes)} killed",
        "",
        "## Named mutations",
        "",
        "| mutation | the mistake | file | result | first test that failed |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| `{o.mutation.name}` | {o.mutation.mistake} | `{o.mutation.file}` | {o.status} "
        f"| {f'`{o.caught_by}`' if o.caught_by else ''} |"
        for o in outcomes
    ]
    lines += [
        "",
        "## mutmut, per module",
        "",
        "| module | mutants | caught | score |",
        "|---|--:|--:|--:|",
    ]
    by_module: dict[str, list[Mutant]] = {}
    for mutant in mutants:
        by_module.setdefault(mutant.module, []).append(mutant)
    for module, group in sorted(by_module.items()):
        caught = sum(m.status in CAUGHT for m in group)
        lines.append(f"| `{module}` | {len(group)} | {caught} | {score(group):.0%} |")
    left = survivors(mutants)
    untested = [m for m in left if m.status == UNTESTED and m.module in explanations.untested]
    lines += ["", "## Modules only integration tests reach", ""]
    if not untested:
        lines.append("None.")
    for module in sorted({m.module for m in untested}):
        count = sum(m.module == module for m in untested)
        lines += [
            f"- `{module}`: {count} mutants no unit test runs. {explanations.untested[module]}"
        ]
    lines += ["", "## Surviving mutants", ""]
    listed = [m for m in left if m not in untested]
    if not listed:
        lines.append("None.")
    for mutant in listed:
        why = explanations.why(mutant) or "**UNEXPLAINED**: kill it with a test or explain it"
        lines += [
            f"### `{mutant.name}` ({mutant.status})",
            "",
            why,
            "",
            "```diff",
            mutant.diff,
            "```",
            "",
        ]
    return "\n".join(lines).rstrip() + "\n"


def minutes(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds >= 90 else f"{seconds:.0f} s"


def git(*arguments: str) -> str:
    return subprocess.run(
        ["git", *arguments], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()


if __name__ == "__main__":
    sys.exit(main())
