"""Categorisation: how often it is right, and what it adds to an import.

1. Accuracy, in this process (no engine): twelve people's generated 12-month statement
   histories (`bench/statements.py`: UK, US and German bank styles, 2% of rows filed
   against habit), each replayed month by month as `budget categorize --eval` does:
   learn from the months before, predict the next. Goals (issue 15): at least 90% right
   among the rows it decides, at most 20% abstentions among rows whose payee was seen
   before. With scikit-learn installed, the same replay with its LinearSVC over the same
   words and amount (smart_importer's model: it never abstains) and a calibrated
   LogisticRegression thresholded like ours, as peers.
2. The command: one of those histories stored in DynamoDB Local as a person's expenses,
   and `budget categorize --eval --format json` run on it: the same figures.
3. Cost: two users with the same 20,000 expenses in the last two years and the same 200
   rules each import a new 10,000-row statement per round, interleaved: one a statement
   with its category column filled (nothing to categorise: no rules or history are read),
   the other the same rows with it empty, so every row goes through the rules and learning.
   Goal: the second at most 1.10x the first (medians of wall time). The CPU time of the
   `budget` process (not the engine's) is printed beside it: steadier on a busy machine.
   In this process: loading the categorizer (the rules, the history learning reads,
   learning) and deciding 10,000 rows, for the breakdown.

    BUDGET_DYNAMODB_LOCAL_DIR=.cache/dynamodb-local .venv/bin/python bench/bench_categories.py \\
        [--rounds N] [--accuracy-only]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (  # noqa: E402
    BUDGET,
    bench_environment,
    bench_store,
    load_items,
    registered_here,
)
from bench.statements import STYLES, Row, person, statements  # noqa: E402
from budgetcli.models import Expense, MatchKind, Rule, RuleField  # noqa: E402
from budgetcli.services.categories import evaluation, load  # noqa: E402
from budgetcli.services.categories.learning import Example, _amount_features  # noqa: E402
from budgetcli.services.categories.rules import new_rule  # noqa: E402
from budgetcli.services.categories.text import payee_of, words_of  # noqa: E402
from budgetcli.store import Store  # noqa: E402
from budgetcli.tables import rules as rules_table  # noqa: E402
from budgetcli.tables.expenses import to_item  # noqa: E402

PEOPLE = 12
ACCURACY_GOAL = 0.90
ABSTENTION_GOAL = 0.20
COST_GOAL = 1.10
HISTORY = 20_000
RULES = 200
STATEMENT_ROWS = 10_000


def examples(rows: Sequence[Row]) -> list[Example]:
    return [
        Example(f"r{n}", row.day, row.amount, row.description, row.category)
        for n, row in enumerate(rows)
    ]


def histories() -> list[tuple[str, list[Example]]]:
    return [
        (STYLES[n % 3], examples(statements(person(STYLES[n % 3], 1 + n)))) for n in range(PEOPLE)
    ]


def share(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f}%" if whole else "    -"


def accuracy() -> tuple[bool, list[Example]]:
    people = histories()
    totals: Counter[str] = Counter()
    by_style: dict[str, Counter[str]] = {style: Counter() for style in STYLES}
    started = time.perf_counter()
    for style, rows in people:
        result = evaluation.replay(rows)
        for key in ("rows", "decided", "correct", "seen_rows", "seen_decided", "seen_correct"):
            totals[key] += getattr(result, key)
            by_style[style][key] += getattr(result, key)
    seconds = time.perf_counter() - started
    rows_in_all = sum(len(rows) for _, rows in people)
    print(
        f"== accuracy: {PEOPLE} people x 12 months, {rows_in_all:,} rows "
        f"({totals['rows']:,} predicted: months 2-12), replayed in {seconds:.2f} s"
    )
    print("              rows  coverage  accuracy  seen-payee rows  abstained  new-payee accuracy")

    def line(name: str, c: Counter[str]) -> None:
        unseen_decided = c["decided"] - c["seen_decided"]
        unseen_correct = c["correct"] - c["seen_correct"]
        print(
            f"{name:10} {c['rows']:7,}    {share(c['decided'], c['rows'])}    "
            f"{share(c['correct'], c['decided'])}    {c['seen_rows']:10,}     "
            f"{share(c['seen_rows'] - c['seen_decided'], c['seen_rows'])}   "
            f"{share(unseen_correct, unseen_decided)} of "
            f"{share(unseen_decided, c['rows'] - c['seen_rows'])}"
        )

    for style in STYLES:
        line(style, by_style[style])
    line("all", totals)
    right = totals["correct"] / totals["decided"]
    abstained = 1 - totals["seen_decided"] / totals["seen_rows"]
    print(
        f"goals: accuracy {right:.1%} (>= {ACCURACY_GOAL:.0%}), abstention on seen payees "
        f"{abstained:.1%} (<= {ABSTENTION_GOAL:.0%})"
    )
    peers(people)
    return right >= ACCURACY_GOAL and abstained <= ABSTENTION_GOAL, people[0][1]


def peers(people: list[tuple[str, list[Example]]]) -> None:
    """The same replay with scikit-learn's models, when it is installed."""
    try:
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.feature_extraction import DictVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.svm import LinearSVC
    except ImportError:
        print("peers: scikit-learn is not installed (pip install scikit-learn to compare)")
        return

    def features(example: Example) -> dict[str, int]:
        found = dict.fromkeys(words_of(example.description), 1)
        found.update(dict.fromkeys(_amount_features(example.amount), 1))
        if payee := payee_of(example.description):
            found[f"$payee:{payee}"] = 1
        return found

    def replay(make: object, threshold: float | None) -> Counter[str]:
        counts: Counter[str] = Counter()
        for _, rows in people:
            months: dict[str, list[Example]] = {}
            for row in rows:
                months.setdefault(f"{row.day:%Y-%m}", []).append(row)
            seen: list[Example] = []
            for month in months.values():
                if len({row.category for row in seen}) >= 2:
                    vectorizer = DictVectorizer(sparse=False)
                    model = make()  # type: ignore[operator]
                    model.fit(
                        vectorizer.fit_transform([features(r) for r in seen]),
                        [r.category for r in seen],
                    )
                    matrix = vectorizer.transform([features(r) for r in month])
                    if threshold is None:
                        predicted = [(p, 1.0) for p in model.predict(matrix)]
                    else:
                        probabilities = model.predict_proba(matrix)
                        predicted = [(model.classes_[p.argmax()], p.max()) for p in probabilities]
                    for row, (category, confidence) in zip(month, predicted, strict=True):
                        counts["rows"] += 1
                        if threshold is None or confidence >= threshold:
                            counts["decided"] += 1
                            counts["correct"] += category == row.category
                seen.extend(month)
        return counts

    started = time.perf_counter()
    svc = replay(LinearSVC, None)
    svc_seconds = time.perf_counter() - started
    started = time.perf_counter()
    logistic = replay(lambda: LogisticRegression(max_iter=500), 0.7)
    logistic_seconds = time.perf_counter() - started
    calibrated = replay(lambda: CalibratedClassifierCV(LinearSVC(), cv=3), 0.7)
    print("peers (the same replay, same words, amount size and payee as features):")
    for name, c, seconds in (
        ("LinearSVC, never abstains (smart_importer)", svc, svc_seconds),
        ("LogisticRegression, p >= 0.7", logistic, logistic_seconds),
        ("LinearSVC calibrated (3-fold), p >= 0.7", calibrated, None),
    ):
        timing = f", {seconds:.1f} s" if seconds is not None else ""
        print(
            f"  {name:44} coverage {share(c['decided'], c['rows'])}, "
            f"accuracy {share(c['correct'], c['decided'])}{timing}"
        )


# --- the command on stored history ------------------------------------------------------------


def register(
    store: Store, name: str, root: Path, env: dict[str, str]
) -> tuple[str, dict[str, str]]:
    user, user_env = registered_here(store, env, root, name)
    return user.user_id, user_env


def store_history(store: Store, user_id: str, rows: Sequence[Example]) -> None:
    """Expenses a person categorised: random ids, no origin (as `budget add` leaves them)."""
    items = [
        to_item(
            Expense(
                str(uuid.uuid4()),
                user_id,
                row.amount,
                row.category,
                row.description,
                row.day,
                "2026-01-01T00:00:00+00:00",
            )
        )
        for row in rows
    ]
    load_items(store, "expenses", items)


def command(store: Store, root: Path, env: dict[str, str], rows: list[Example]) -> bool:
    """`budget categorize --eval` on one stored history: the figures of the replay."""
    today = date.today()
    shift = (today.replace(day=1) - timedelta(days=1)).replace(day=1) - date(2025, 12, 1)
    moved = [
        Example(row.expense_id, row.day + shift, row.amount, row.description, row.category)
        for row in rows
    ]
    user_id, user_env = register(store, "evaluated", root, env)
    store_history(store, user_id, moved)
    first = min(row.day for row in moved)
    argv = [BUDGET, "categorize", "--eval", "--from", str(first), "--format", "json"]
    started = time.perf_counter()
    shown = json.loads(subprocess.run(argv, env=user_env, check=True, capture_output=True).stdout)
    seconds = time.perf_counter() - started
    expected = evaluation.replay(moved)
    same = (shown["rows"], shown["decided"], shown["correct"]) == (
        expected.rows,
        expected.decided,
        expected.correct,
    )
    print(f"\n== the command: {' '.join(argv[1:])}  ({len(rows)} stored expenses, {seconds:.2f} s)")
    print(f"   {json.dumps(shown)}")
    print(f"   the same as the replay in this process: {'yes' if same else 'NO'}")
    return same


# --- cost -----------------------------------------------------------------------------------


def bench_rules(rows: Sequence[Row], rng: random.Random) -> list[Rule]:
    """200 rules as a person might write them: text on the description for the payees
    they see most, payee rules, regexes, amount ranges, and rules for payees this
    statement never has (a card closed, a move abroad): every row that no rule takes
    is tried against all 200."""
    common = Counter(row.payee for row in rows).most_common(40)
    made: list[Rule] = []
    for n, (payee, _) in enumerate(common):
        category = next(row.category for row in rows if row.payee == payee)
        word = payee.split()[0].strip("*").lower()
        if n % 4 == 0:
            made.append(
                new_rule(
                    payee_of(payee) or word, category, name=f"payee {n}", field=RuleField.PAYEE
                )
            )
        elif n % 4 == 1:
            made.append(
                new_rule(rf"\b{word}\b", category, name=f"regex {n}", match=MatchKind.REGEX)
            )
        elif n % 4 == 2:
            made.append(new_rule(word, category, name=f"small {n}", max_amount=Decimal(15)))
        else:
            made.append(new_rule(word, category, name=f"text {n}"))
    while len(made) < RULES:
        n = len(made)
        letters = "".join(rng.choice("ABCDEFGHIJKLMNOPRSTUVWZ") for _ in range(7))
        if n % 5 == 0:
            made.append(new_rule(rf"^{letters}\s+\d+", "misc", name=f"r{n}", match=MatchKind.REGEX))
        else:
            made.append(new_rule(f"{letters} {n}", "misc", name=f"r{n}"))
    rng.shuffle(made)
    return made


def statement_csv(path: Path, rows: Sequence[Row], *, with_category: bool) -> Path:
    """The rows in budgetcli's own format, their category column filled or left empty (so
    that both files are read alike and only categorising tells them apart)."""
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("date,amount,description,category\n")
        for row in rows:
            description = row.description.replace('"', "")
            category = row.category if with_category else ""
            out.write(f'{row.day},{row.amount},"{description}",{category}\n')
    return path


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def timed_import(
    path: Path, env: dict[str, str], extra: Sequence[str] = ()
) -> tuple[float, float, dict[str, int]]:
    """Wall time, the `budget` process's CPU time (not the engine's), and the summary."""
    argv = [BUDGET, "import", str(path), "--format", "json", *extra]
    cpu = _children_cpu()
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, check=True, capture_output=True, text=True)
    return time.perf_counter() - started, _children_cpu() - cpu, json.loads(done.stdout)


def cost(store: Store, root: Path, env: dict[str, str], rounds: int) -> bool:
    rng = random.Random(15)
    today = date.today()
    window_start = today - timedelta(days=700)
    someone = person("uk", 99)
    history_rows = statements(someone, first=window_start.replace(day=1), months=23, scale=11)
    history_rows = [row for row in history_rows if row.day <= today][-HISTORY:]
    assert len(history_rows) == HISTORY, len(history_rows)
    rules = bench_rules(history_rows, rng)
    users = {}
    for name in ("plain", "categorised"):
        user_id, user_env = register(store, name, root, env)
        started = time.perf_counter()
        store_history(store, user_id, examples(history_rows))
        assert rules_table.save(store, user_id, tuple(rules), revision=0)
        print(
            f"{name}: {len(history_rows):,} expenses and {len(rules)} rules stored in "
            f"{time.perf_counter() - started:.0f} s"
        )
        users[name] = (user_id, user_env)

    # In this process: what the import adds, step by step.
    user_id = users["categorised"][0]
    started = time.perf_counter()
    categorizer = load(store, user_id)
    loading = time.perf_counter() - started
    statement_rows = statements(someone, first=date(2015, 1, 1), months=30, scale=4)
    statement_rows = statement_rows[:STATEMENT_ROWS]
    assert len(statement_rows) == STATEMENT_ROWS, len(statement_rows)
    started = time.perf_counter()
    decisions = [categorizer.decide(row.description, row.amount) for row in statement_rows]
    deciding = time.perf_counter() - started
    how = Counter(d.source if d else "fallback" for d in decisions)
    print(
        f"\n== in this process: loading the categorizer ({categorizer.learner.learned:,} "
        f"expenses learned, {len(categorizer.rules)} rules) {loading * 1000:.0f} ms; "
        f"deciding {STATEMENT_ROWS:,} rows {deciding * 1000:.0f} ms "
        f"({deciding / STATEMENT_ROWS * 1e6:.0f} us a row): "
        + ", ".join(f"{count} {source}" for source, count in how.most_common())
    )

    timings: dict[str, list[float]] = {"plain": [], "categorised": []}
    cpu: dict[str, list[float]] = {"plain": [], "categorised": []}
    for number in range(rounds):
        # A new statement each round (new rows to write), dated before the learning window;
        # whole leap-year cycles back, so that every 29 February stays a date.
        shifted = [
            Row(
                row.day.replace(year=row.day.year - 4 * (number + 1)),
                row.amount,
                row.description,
                row.category,
                row.payee,
            )
            for row in statement_rows
        ]
        plain = statement_csv(root / f"plain{number}.csv", shifted, with_category=True)
        bare = statement_csv(root / f"bare{number}.csv", shifted, with_category=False)
        order = [("plain", plain, []), ("categorised", bare, ["--category", "bank"])]
        if number % 2:
            order.reverse()
        for name, path, extra in order:
            seconds, cpu_seconds, summary = timed_import(path, users[name][1], extra)
            if summary["imported"] != STATEMENT_ROWS:
                raise SystemExit(f"{name}: imported {summary['imported']}")
            timings[name].append(seconds)
            cpu[name].append(cpu_seconds)
            if name == "categorised":
                decided = {k: v for k, v in summary.items() if k.startswith("category_")}
        print(
            f"round {number + 1}: plain {timings['plain'][-1]:.2f} s "
            f"(CPU {cpu['plain'][-1]:.2f} s), categorised {timings['categorised'][-1]:.2f} s "
            f"(CPU {cpu['categorised'][-1]:.2f} s)   {decided}"
        )
    plain_median = statistics.median(timings["plain"])
    categorised_median = statistics.median(timings["categorised"])
    ratio = categorised_median / plain_median
    round_ratios = [c / p for c, p in zip(timings["categorised"], timings["plain"], strict=True)]
    plain_cpu = statistics.median(cpu["plain"])
    categorised_cpu = statistics.median(cpu["categorised"])
    print(
        f"\n== {STATEMENT_ROWS:,}-row import, median of {rounds} interleaved rounds"
        "        wall          budget's CPU\n"
        f"categories in the file (nothing to categorise)   {plain_median:6.2f} s  1.00x"
        f"   {plain_cpu:5.2f} s  1.00x\n"
        f"without: {RULES} rules, {len(history_rows):,} expenses of history  "
        f"{categorised_median:6.2f} s  {ratio:.2f}x   {categorised_cpu:5.2f} s  "
        f"{categorised_cpu / plain_cpu:.2f}x\n"
        f"goal: wall at most {COST_GOAL:.2f}x; the median of the rounds' own ratios "
        f"{statistics.median(round_ratios):.2f}x"
    )
    return ratio <= COST_GOAL


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="interleaved import rounds")
    parser.add_argument("--accuracy-only", action="store_true", help="skip the engine parts")
    args = parser.parse_args()
    good, first_person = accuracy()
    if args.accuracy_only:
        return 0 if good else 1
    with bench_environment() as env:
        store = bench_store()
        root = Path(env["BUDGET_DATA_DIR"]).parent / "users"
        good = command(store, root, env, first_person) and good
        good = cost(store, root, env, args.rounds) and good
    return 0 if good else 1


if __name__ == "__main__":
    raise SystemExit(main())
