"""Categorising without storage: payees in descriptions, rules, learning and its replay."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from budgetcli.errors import InvalidInput, StorageError
from budgetcli.models import (
    CategoryOrigin,
    CategorySource,
    Direction,
    Expense,
    MatchKind,
    Rule,
    RuleField,
)
from budgetcli.services.categories import BackgroundCategorizer, Categorizer, Decides
from budgetcli.services.categories.evaluation import replay
from budgetcli.services.categories.history import awaits_category, teaches
from budgetcli.services.categories.learning import Basis, Example, Learner
from budgetcli.services.categories.rules import (
    RuleSet,
    new_rule,
    rules_document,
    rules_from_document,
)
from budgetcli.services.categories.text import payee_of, words_of
from budgetcli.services.imports.categorising import categorised
from budgetcli.services.imports.model import ImportOptions, ImportSummary
from budgetcli.services.imports.rows import own_format_rows

# --- payees --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "description, payee",
    [
        ("CARD PAYMENT TO TESCO STORES 3297 ON 12 MAR", "tesco stores"),
        ("TESCO STORES 2341 MANCHESTER GB", "tesco stores"),
        ("Tesco Stores", "tesco stores"),
        ("SQ *BLUE BOTTLE COFFEE Oakland CA", "blue bottle"),
        ("PAYPAL *NETFLIX.COM 4029357733", "netflix"),
        ("UBER *TRIP HELP.UBER.COM", "uber"),
        ("AMZN Mktp US*2K4AB1234", "amzn mktp"),
        ("AMAZON.CO.UK*0ZUBUN1XQ", "amazon"),
        ("KARTENZAHLUNG REWE 0815 BERLIN 12.03.25", "rewe"),
        ("SEPA-LASTSCHRIFT VATTENFALL MREF M9FZMXRQL3B9", "vattenfall"),
        ("POS31AUG STATOIL", "statoil"),
        ("XXXX XXXX 1234 CAFÉ ZÜRICH", "café zürich"),
        ("BP 5767 BRISTOL GB", "bp"),
        ("DELIVEROO.CO.UK        LONDON        LND", "deliveroo"),
        ("Spotify UK             London        GBR", "spotify"),
        ("CARD PAYMENT   TESCO STORES  LONDON", "tesco stores"),
        ("12345 678", ""),
        ("", ""),
    ],
)
def test_a_payee_is_its_name_without_numbers_places_and_boilerplate(
    description: str, payee: str
) -> None:
    assert payee_of(description) == payee


def test_words_leave_out_numbers_and_references_and_ignore_case() -> None:
    assert words_of("Golden Dragon KITCHEN 0412 ref AB12CD") == {
        "golden",
        "dragon",
        "kitchen",
        "ref",
    }


# --- rules -----------------------------------------------------------------------------------


def rule(pattern: str, category: str = "groceries", **settings: Any) -> Rule:
    return new_rule(pattern, category, **settings)


def matched(rules: list[Rule], description: str, amount: str = "12.00") -> str | None:
    found = RuleSet(rules).first_match(description, Decimal(amount))
    return found.name if found else None


def test_text_is_found_anywhere_in_any_case_and_the_first_rule_wins() -> None:
    rules = [rule("tesco", name="tesco"), rule("TESCO STORES", "household", name="stores")]
    assert matched(rules, "CARD PAYMENT TO Tesco Stores 3297") == "tesco"
    assert matched(rules[::-1], "CARD PAYMENT TO Tesco Stores 3297") == "stores"
    assert matched(rules, "SAINSBURYS") is None


def test_a_regex_is_searched_in_any_case() -> None:
    rules = [rule(r"^uber \*(eats|food)", "eating out", match=MatchKind.REGEX)]
    assert matched(rules, "UBER *EATS LONDON") is not None
    assert matched(rules, "CARD PAYMENT TO UBER *EATS") is None
    assert matched(rules, "UBER *TRIP") is None


def test_a_payee_rule_reads_the_payee_not_the_description() -> None:
    rules = [rule("tesco stores", field=RuleField.PAYEE)]
    assert matched(rules, "CARD PAYMENT TO TESCO STORES 3297 ON 12 MAR") is not None
    # "stores" follows the number here: the payee is only "tesco"
    assert matched(rules, "TESCO 3297 STORES") is None
    found = RuleSet(rules).first_match("anything", Decimal(1), payee="Tesco Stores")
    assert found is not None


def test_amount_range_and_direction_narrow_a_rule() -> None:
    rules = [
        rule("shell", "fuel", name="fuel", min_amount=Decimal(20)),
        rule("shell", "groceries", name="snacks", max_amount=Decimal("19.99")),
        rule("refund", "refunds", name="refunds", direction=Direction.IN),
    ]
    assert matched(rules, "SHELL 0412", "45.00") == "fuel"
    assert matched(rules, "SHELL 0412", "20.00") == "fuel"
    assert matched(rules, "SHELL 0412", "19.99") == "snacks"
    assert matched(rules, "SHELL 0412", "-30.00") == "fuel"  # the size, either direction
    assert matched(rules, "AMAZON REFUND", "12.00") is None
    assert matched(rules, "AMAZON REFUND", "-12.00") == "refunds"


@pytest.mark.parametrize(
    "pattern, settings, message",
    [
        ("  ", {}, "pattern is empty"),
        ("x" * 201, {}, "pattern is longer than 200 characters"),
        ("tesco(", {"match": MatchKind.REGEX}, "'tesco(' is not a regular expression"),
        ("tesco", {"name": "a\tb"}, "name contains control characters"),
        ("tesco", {"name": "n" * 65}, "name is longer than 64 characters"),
        (
            "tesco",
            {"min_amount": Decimal(20), "max_amount": Decimal(10)},
            "min_amount 20 is more than max_amount 10",
        ),
    ],
)
def test_a_bad_rule_is_refused(pattern: str, settings: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        new_rule(pattern, "groceries", **settings)
    assert message in str(refused.value)


def test_the_rules_file_round_trips_and_is_checked_like_rules_add() -> None:
    rules = [
        new_rule("tesco", "groceries"),
        new_rule(
            r"^shell",
            "fuel",
            name="Shell fuel",
            match=MatchKind.REGEX,
            field=RuleField.PAYEE,
            min_amount=Decimal("20.00"),
            max_amount=Decimal("200"),
            direction=Direction.OUT,
        ),
    ]
    text = json.dumps(rules_document(rules))
    assert rules_from_document(text) == rules
    document = json.loads(text)
    assert document["rules"][1]["min_amount"] == "20.00"
    document["rules"][1]["pattern"] = "shell("
    with pytest.raises(InvalidInput, match=r"^rule 2: 'shell\(' is not a regular expression"):
        rules_from_document(json.dumps(document))
    document["rules"][1] = dict(document["rules"][0])
    with pytest.raises(InvalidInput, match="rule 2: the name 'tesco' is used twice"):
        rules_from_document(json.dumps(document))


@pytest.mark.parametrize(
    "text, message",
    [
        ("not json", "not a rules file: not JSON"),
        ("[]", "not a rules file: export one with `budget rules export`"),
        ('{"format": "budgetcli-rules", "version": 9, "rules": []}', "version 9"),
        ('{"format": "budgetcli-rules", "version": 1, "rules": [1]}', "rule 1 is not an object"),
        (
            '{"format": "budgetcli-rules", "version": 1, "rules": '
            '[{"pattern": "x", "category": "c", "field": "memo"}]}',
            "rule 1: field 'memo' must be one of description, payee",
        ),
        (
            '{"format": "budgetcli-rules", "version": 1, "rules": '
            '[{"pattern": "x", "category": "c", "min_amount": "-3"}]}',
            "rule 1: amount '-3' must be positive",
        ),
        (
            '{"format": "budgetcli-rules", "version": 1, "rules": [{"pattern": "x"}]}',
            "rule 1: category is empty",
        ),
    ],
)
def test_a_bad_rules_file_is_refused_naming_the_rule(text: str, message: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        rules_from_document(text)
    assert message in str(refused.value)


# --- learning --------------------------------------------------------------------------------

START = date(2025, 1, 1)


def example(n: int, description: str, amount: str, category: str) -> Example:
    return Example(f"e{n}", START + timedelta(days=n), Decimal(amount), description, category)


def taught(*examples: Example) -> Learner:
    learner = Learner()
    learner.learn_all(examples)
    return learner


def test_a_payee_categorised_alike_twice_is_learned() -> None:
    learner = taught(
        example(1, "CARD PAYMENT TO TESCO STORES 3297 ON 02 JAN", "41.20", "groceries"),
        example(2, "TESCO STORES 2341 MANCHESTER GB", "12.80", "groceries"),
    )
    guess = learner.decide("CARD PAYMENT TO TESCO STORES 0007 ON 09 FEB", Decimal("30.00"))
    assert guess is not None
    assert (guess.category, guess.basis, guess.payee, guess.seen) == (
        "groceries",
        Basis.PAYEE,
        "tesco stores",
        2,
    )
    assert [e.expense_id for e in guess.examples] == ["e2", "e1"]  # the latest first


def test_a_payee_seen_once_is_enough_unless_its_words_say_otherwise() -> None:
    once = taught(example(1, "LEMON TREE 0412 LONDON", "30.00", "eating out"))
    again = once.decide("LEMON TREE 0413 LONDON", Decimal("31.00"))
    assert again is not None and again.category == "eating out"
    names = "GOLDEN LITTLE RUSTIC ROYAL HAPPY OLIVE GREEN BLUE RED OLD".split()
    kitchens = [
        example(10 + n, f"{name} KITCHEN 04{n:02d}", "30.00", "eating out")
        for n, name in enumerate(names)
    ]
    odd = taught(*kitchens, example(1, "LEMON KITCHEN 0412", "30.00", "gifts"))
    assert odd.decide("LEMON KITCHEN 0413", Decimal("31.00")) is None
    [first, second] = odd.guesses("LEMON KITCHEN 0413", Decimal("31.00"), limit=2)
    assert (first.category, second.category) == ("gifts", "eating out")
    assert first.confidence < 0.7


def test_a_payee_split_between_categories_abstains_unless_the_amount_tells() -> None:
    history = []
    for n in range(12):
        history.append(example(n, f"AMAZON.CO.UK*REF{n}", "9.99", "books"))
        history.append(example(100 + n, f"AMAZON.CO.UK*REF{100 + n}", "420.00", "electronics"))
        history.append(example(200 + n, f"AMAZON.CO.UK*REF{200 + n}", "40.00", "household"))
        history.append(example(300 + n, f"AMAZON.CO.UK*REF{300 + n}", "38.00", "gifts"))
    learner = taught(*history)
    books = learner.decide("AMAZON.CO.UK*XYZ", Decimal("8.50"))
    electronics = learner.decide("AMAZON.CO.UK*XYZ", Decimal("499.00"))
    assert books is not None and books.category == "books"
    assert electronics is not None and electronics.category == "electronics"
    assert learner.decide("AMAZON.CO.UK*XYZ", Decimal("39.00")) is None


def test_a_new_payee_needs_a_telling_word_and_a_sure_model() -> None:
    history = [
        example(n, f"{name} KITCHEN 04{n:02d} LONDON", "35.00", "eating out")
        for n, name in enumerate(["GOLDEN", "LITTLE", "RUSTIC", "ROYAL", "HAPPY", "OLIVE"])
    ] + [
        example(10 + n, f"{name} 0{n}12 LONDON", "30.00", "drinks")
        for n, name in enumerate(["CROWN ARMS", "RED LION", "WHITE HART"])
    ]
    learner = taught(*history)
    kitchen = learner.decide("CEDAR KITCHEN 9999 LEEDS", Decimal("33.00"))
    assert kitchen is not None and kitchen.category == "eating out"
    assert kitchen.basis is Basis.WORDS and kitchen.seen == 0
    assert all("KITCHEN" in e.description for e in kitchen.examples)
    # "london" is in both categories' payees: it tells nothing
    assert learner.decide("SOMEWHERE NEW 0001 LONDON", Decimal("33.00")) is None


def test_habits_change_and_the_latest_sightings_count() -> None:
    old = [example(n, f"NETFLIX.COM {n}", "10.99", "entertainment") for n in range(20)]
    new = [example(50 + n, f"NETFLIX.COM {n}", "10.99", "subscriptions") for n in range(20)]
    learner = taught(*old, *new)
    guess = learner.decide("NETFLIX.COM 99", Decimal("10.99"))
    assert guess is not None and guess.category == "subscriptions"


def test_learning_newest_first_learns_what_oldest_first_does() -> None:
    history = [
        *(example(n, f"NETFLIX.COM {n}", "10.99", "entertainment") for n in range(40)),
        *(example(50 + n, f"NETFLIX.COM {n}", "10.99", "Subscriptions") for n in range(20)),
        *(example(100 + n, f"AMAZON.CO.UK*R{n}", "9.99", "books") for n in range(5)),
        *(example(110 + n, f"AMAZON.CO.UK*R{n}", "420.00", "electronics") for n in range(5)),
        *(
            example(120 + n, f"{name} KITCHEN 04{n:02d}", "30.00", "eating out")
            for n, name in enumerate(["GOLDEN", "LITTLE", "RUSTIC", "ROYAL"])
        ),
        example(130, "TESCO STORES 2341", "23.00", "groceries"),
    ]
    oldest_first = taught(*history)
    newest_first = Learner()
    newest_first.learn_all(reversed(history), newest_first=True)
    for description, amount in [
        ("NETFLIX.COM 7", "10.99"),
        ("AMAZON.CO.UK*X", "8.00"),
        ("AMAZON.CO.UK*X", "399.00"),
        ("CEDAR KITCHEN 0001", "28.00"),
        ("TESCO STORES 0412", "30.00"),
    ]:
        old = oldest_first.guesses(description, Decimal(amount))
        new = newest_first.guesses(description, Decimal(amount))
        assert [(g.category, round(g.confidence, 9), g.basis, g.seen) for g in old] == [
            (g.category, round(g.confidence, 9), g.basis, g.seen) for g in new
        ], description
        if old[0].basis is Basis.PAYEE:
            assert old[0].examples == new[0].examples


def test_nothing_learned_means_no_guess() -> None:
    assert Learner().decide("TESCO", Decimal(1)) is None
    assert Learner().guesses("TESCO", Decimal(1)) == []


def test_categories_are_learned_in_any_case_and_shown_as_last_written() -> None:
    learner = taught(
        example(1, "TESCO 1", "5.00", "Groceries"),
        example(2, "TESCO 2", "5.00", "groceries"),
        example(3, "TESCO 3", "5.00", "GROCERIES"),
    )
    guess = learner.decide("TESCO 4", Decimal("5.00"))
    assert guess is not None and guess.category == "GROCERIES" and guess.confidence > 0.7


def test_replay_predicts_each_month_from_the_months_before() -> None:
    rows = []
    for month in range(1, 5):
        for n in range(4):
            day = date(2025, month, 1 + n)
            rows.append(Example(f"t{month}{n}", day, Decimal("40.00"), f"TESCO {n}", "groceries"))
        rows.append(Example(f"n{month}", date(2025, month, 20), Decimal(9), f"NEW{month}", "x"))
    rows.append(Example("odd", date(2025, 4, 21), Decimal("40.00"), "TESCO 9", "household"))
    result = replay(rows, keep_wrong=5)
    assert result.months == 3
    assert result.rows == 3 * 5 + 1
    assert result.seen_rows == 3 * 4 + 1  # the NEWn payees are never seen before
    assert result.decided == result.seen_decided == 13
    assert result.correct == 12
    assert [(e.expense_id, category) for e, category in result.wrong] == [("odd", "groceries")]
    assert result.coverage == pytest.approx(13 / 16)
    assert result.accuracy == pytest.approx(12 / 13)
    assert result.seen_abstention == 0


def test_replay_of_nothing_has_no_figures() -> None:
    result = replay([])
    assert (result.coverage, result.accuracy, result.seen_abstention) == (None, None, None)


# --- rules, then learning, then the fallback, as an import decides -------------------------


def test_rules_come_before_learning() -> None:
    learner = taught(
        example(1, "TESCO 1", "5.00", "groceries"), example(2, "TESCO 2", "5.00", "groceries")
    )
    categorizer = Categorizer(RuleSet([new_rule("tesco", "household")]), learner)
    decision = categorizer.decide("TESCO 3", Decimal("5.00"))
    assert decision is not None
    assert (decision.category, decision.source, decision.origin.rule) == (
        "household",
        CategorySource.RULE,
        "tesco",
    )
    suggestions = categorizer.suggestions("TESCO 3", Decimal("5.00"))
    assert [(s.category, s.source) for s in suggestions][:2] == [
        ("household", CategorySource.RULE),
        ("groceries", CategorySource.LEARNED),
    ]
    alone = Categorizer(RuleSet([]), learner).decide("TESCO 3", Decimal("5.00"))
    assert alone is not None and alone.origin == CategoryOrigin(CategorySource.LEARNED, "groceries")


def import_rows(
    text: str, categorizer: Decides | None, **options: Any
) -> tuple[list[Expense], ImportSummary]:
    summary = ImportSummary()
    lines = text.splitlines(keepends=True)
    rows = categorised(
        own_format_rows(lines, "owner", ImportOptions(**options), summary), summary, categorizer
    )
    return [row.expense for row in rows], summary


STATEMENT = (
    "date,amount,description,category\n"
    "2026-01-02,4.50,PRET A MANGER 0412,\n"
    "2026-01-03,41.00,TESCO STORES 3297,\n"
    "2026-01-04,9.00,SOMETHING NEW,\n"
    "2026-01-05,12.00,TESCO STORES 3297,household\n"
)


def test_an_import_takes_the_file_then_rules_then_learning_then_the_fallback() -> None:
    learner = taught(
        example(1, "TESCO STORES 1", "40.00", "groceries"),
        example(2, "TESCO STORES 2", "40.00", "groceries"),
    )
    categorizer = Categorizer(RuleSet([new_rule("pret", "coffee")]), learner)
    expenses, summary = import_rows(STATEMENT, categorizer, category="bank")
    assert [(e.category, e.category_origin) for e in expenses] == [
        ("coffee", CategoryOrigin(CategorySource.RULE, "coffee", "pret")),
        ("groceries", CategoryOrigin(CategorySource.LEARNED, "groceries")),
        ("bank", CategoryOrigin(CategorySource.FALLBACK, "bank")),
        ("household", CategoryOrigin(CategorySource.FILE, "household")),
    ]
    counts = (
        summary.category_file,
        summary.category_rule,
        summary.category_learned,
        summary.category_fallback,
    )
    assert counts == (1, 1, 1, 1)
    fallback, _ = import_rows(STATEMENT, None)
    assert [e.category for e in fallback] == [
        "uncategorized",
        "uncategorized",
        "uncategorized",
        "household",
    ]


def test_a_rows_id_does_not_depend_on_the_category_it_is_given() -> None:
    """A rule added between two imports of one statement must not make its rows new."""
    before, _ = import_rows(STATEMENT, None, category="bank")
    categorizer = Categorizer(RuleSet([new_rule("tesco", "groceries")]), Learner())
    after, _ = import_rows(STATEMENT, categorizer, category="bank")
    assert [e.category for e in after][:2] == ["bank", "groceries"]
    assert [e.expense_id for e in before] == [e.expense_id for e in after]


def test_the_categorizer_is_loaded_when_a_row_first_needs_it() -> None:
    loads: list[int] = []

    def load() -> Categorizer:
        loads.append(1)
        return Categorizer(RuleSet([new_rule("pret", "coffee")]), Learner())

    lazy = BackgroundCategorizer(load)
    import_rows("date,amount,category\n2026-01-01,1.00,food\n", lazy)
    assert loads == []
    expenses, summary = import_rows(STATEMENT, lazy)
    assert loads == [1] and expenses[0].category == "coffee"
    assert (summary.category_rule, summary.category_fallback, summary.category_file) == (1, 2, 1)


def test_rows_are_read_ahead_while_the_categorizer_loads() -> None:
    loaded = threading.Event()
    read: list[int] = []

    def load() -> Categorizer:
        loaded.wait(10)
        return Categorizer(RuleSet([new_rule("shop", "groceries")]), Learner())

    def statement() -> Iterator[str]:
        yield "date,amount,description\n"
        for n in range(1, 11):
            read.append(n)
            if n == 10:
                loaded.set()
            yield f"2026-01-{n:02d},{n}.00,SHOP {n}\n"

    summary = ImportSummary()
    rows = categorised(
        own_format_rows(statement(), "owner", ImportOptions(), summary),
        summary,
        BackgroundCategorizer(load),
    )
    first = next(rows)
    assert first.expense.category == "groceries" and read == list(range(1, 11))
    assert [row.expense.category for row in rows] == ["groceries"] * 9
    assert summary.category_rule == 10


def test_a_categorizer_that_fails_to_load_fails_the_import() -> None:
    def load() -> Categorizer:
        raise StorageError("the engine went away")

    with pytest.raises(StorageError, match="went away"):
        import_rows(STATEMENT, BackgroundCategorizer(load))


# --- provenance ------------------------------------------------------------------------------

PERSON_ID = "3f2b6c1e-8d4a-4f7e-9c2a-1b5d7e9f0a12"  # uuid4: `add` or the web app
IMPORT_ID = "7b7d4cb1-2f64-5c6e-9a39-4b1d2c3e4f50"  # uuid5: an import


def spent(expense_id: str, category: str, origin: CategoryOrigin | None = None) -> Expense:
    return Expense(
        expense_id, "u", Decimal(5), category, "TESCO", date(2026, 1, 1), "t", None, origin
    )


@pytest.mark.parametrize(
    "expense, source, teaching, waiting",
    [
        (spent(PERSON_ID, "food"), CategorySource.PERSON, True, False),
        (spent(PERSON_ID, "uncategorized"), CategorySource.PERSON, True, False),
        (spent(IMPORT_ID, "food"), None, False, False),
        (spent(IMPORT_ID, "uncategorized"), None, False, True),
        (spent(IMPORT_ID, "bank"), None, False, False),
        (
            spent(IMPORT_ID, "food", CategoryOrigin(CategorySource.FILE, "food")),
            CategorySource.FILE,
            True,
            False,
        ),
        (
            spent(IMPORT_ID, "food", CategoryOrigin(CategorySource.RULE, "food", "tesco")),
            CategorySource.RULE,
            False,
            False,
        ),
        (
            spent(IMPORT_ID, "bank", CategoryOrigin(CategorySource.FALLBACK, "bank")),
            CategorySource.FALLBACK,
            False,
            True,
        ),
        (  # the web app moved it out of the fallback: a person's category now
            spent(IMPORT_ID, "Food", CategoryOrigin(CategorySource.FALLBACK, "bank")),
            CategorySource.PERSON,
            True,
            False,
        ),
        (
            spent(IMPORT_ID, "BANK", CategoryOrigin(CategorySource.FALLBACK, "bank")),
            CategorySource.FALLBACK,
            False,
            True,
        ),
        (
            spent(IMPORT_ID, "food", CategoryOrigin(CategorySource.CONFIRMED, "food")),
            CategorySource.CONFIRMED,
            True,
            False,
        ),
        (
            spent("not-a-uuid", "food"),  # another client's id
            CategorySource.PERSON,
            True,
            False,
        ),
    ],
)
def test_where_a_category_came_from_decides_what_teaches_and_what_waits(
    expense: Expense, source: CategorySource | None, teaching: bool, waiting: bool
) -> None:
    assert expense.category_source == source
    assert teaches(expense) is teaching
    assert awaits_category(expense) is waiting


def test_older_imports_into_a_named_fallback_wait_for_a_category() -> None:
    assert awaits_category(spent(IMPORT_ID, "Bank"), ["bank"])
    assert not awaits_category(spent(PERSON_ID, "bank"), ["bank"])
