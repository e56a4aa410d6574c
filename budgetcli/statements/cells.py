"""Money and date cells as banks write them, read exactly (Decimal, date) and fast.

Money: `-$7,971.39`, `£67.40`, `-123,45 €`, `1234,37 EUR`, `(12.50)`, `12.50-`, a Unicode
minus, `+ £1,100.00`, `11'373.94`, `1 234,56`, Excel's `="12.50"`, `12.50 DR` / `5.00 Cr`.
The decimal mark is decided per column (see `mark_evidence`), never per cell.

Dates: a strptime-style format compiled to a regular expression (strptime costs ~5 us a
call); a time of day after the date is allowed and ignored.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

_SIGN = "+\\-\u2212\u2013"
_SYMBOL = r"[$\u00a3\u20ac\u00a5\u20b9\u20a9\u20bd\u20ba\u20b4\u20aa\u0e3f\u00a2]"
_CURRENCY = rf"(?:[A-Z]{{3}}|{_SYMBOL}|[A-Z]{{1,2}}{_SYMBOL})"
_MONEY = re.compile(
    rf"""^\s*(?P<open>\()?\s*
    (?P<s1>[{_SIGN}])?\s*
    (?:{_CURRENCY}\s*)?
    (?P<s2>[{_SIGN}])?\s*
    (?P<num>\d(?:[\d.,'\u00a0\u202f ]*\d)?)
    \s*(?:{_CURRENCY})?\s*
    (?P<s3>[-\u2212])?\s*
    (?P<close>\))?\s*
    (?P<dc>(?i:DR|CR)\.?)?\s*$""",
    re.X,
)
_NUMBER = {
    ".": re.compile(r"^(?:\d{1,3}(?P<g>[,'\u00a0\u202f ])\d{3}(?:(?P=g)\d{3})*|\d+)(?:\.\d+)?$"),
    ",": re.compile(r"^(?:\d{1,3}(?P<g>[.'\u00a0\u202f ])\d{3}(?:(?P=g)\d{3})*|\d+)(?:,\d+)?$"),
}
_GROUPS = str.maketrans("", "", ",.'\u00a0\u202f ")


class CellError(ValueError):
    """A cell that cannot be read as asked; the message quotes it."""


def _shown(text: str) -> str:
    text = text.strip()
    return repr(text if len(text) <= 40 else text[:40] + "...")


def money_parts(text: str) -> tuple[bool, str] | None:
    """(negative, digits with separators) of a money cell; None if it is not money."""
    stripped = text.strip()
    if stripped.startswith('="') and stripped.endswith('"'):
        stripped = stripped[2:-1]
    match = _MONEY.match(stripped)
    if match is None or bool(match["open"]) != bool(match["close"]):
        return None
    signs = [s for s in (match["s1"], match["s2"], match["s3"]) if s]
    if len(signs) > 1 or (match["dc"] and (signs or match["open"])):
        return None
    if match["dc"]:  # `12.50 DR` is money out, `5.00 CR` money in, as a minus would say
        return match["dc"][0] in "Dd", match["num"]
    negative = bool(match["open"]) or (bool(signs) and signs[0] != "+")
    return negative, match["num"]


_DEBIT_CREDIT = re.compile(r"(?i:(D|C)R)\.?\s*$")


def debit_or_credit(text: str) -> int:
    """-1 for a cell marked `DR` (money out), 1 for `CR` (money in), 0 for neither: a
    direction whatever the file's sign rule, as a card's `12.99` and `500.00 CR` say."""
    marked = _DEBIT_CREDIT.search(text)
    if marked is None or money_parts(text) is None:
        return 0
    return -1 if marked[1] in "Dd" else 1


def is_blank_money(text: str) -> bool:
    stripped = text.strip()
    return not stripped or stripped in ('=""', "-", "--")


_PLAIN = {".": re.compile(r"[-+]?\d+(?:\.\d+)?"), ",": re.compile(r"[-+]?\d+(?:,\d+)?")}


def parse_money(text: str, mark: str) -> Decimal | None:
    """The signed amount of a cell with decimal mark `mark`; None for an empty cell."""
    if _PLAIN[mark].fullmatch(text):  # most cells: no sign of currency, no grouping
        return Decimal(text if mark == "." else text.replace(",", "."))
    if is_blank_money(text):
        return None
    parts = money_parts(text)
    if parts is None:
        raise CellError(f"amount {_shown(text)} is not a number")
    negative, number = parts
    if not _NUMBER[mark].match(number):
        other = "," if mark == "." else "."
        hint = f" with a decimal {'comma' if mark == ',' else 'point'}"
        if _NUMBER[other].match(number):
            hint += f" (it reads as a number with the decimal mark {other!r})"
        raise CellError(f"amount {_shown(text)} is not a number{hint}")
    if mark == ",":
        whole, _, cents = number.rpartition(",") if "," in number else (number, "", "")
        plain = whole.translate(_GROUPS) + ("." + cents if cents else "")
    else:
        whole, _, cents = number.rpartition(".") if "." in number else (number, "", "")
        plain = whole.translate(_GROUPS) + ("." + cents if cents else "")
    try:
        value = Decimal(plain)
    except InvalidOperation:
        raise CellError(f"amount {_shown(text)} is not a number") from None
    return -value if negative else value


def mark_evidence(number: str) -> str | None:
    """The decimal mark a number's digits prove, or None ('1,250', '1.250', '100', and
    '1.2.3', which no mark reads: its row is rejected, it decides nothing)."""
    dot, comma = number.rfind("."), number.rfind(",")
    if dot >= 0 and comma >= 0:
        proved: str | None = "." if dot > comma else ","
    elif dot >= 0 or comma >= 0:
        mark, other, position = (",", ".", comma) if comma >= 0 else (".", ",", dot)
        if number.count(mark) > 1:
            proved = other
        else:
            proved = mark if len(number) - position - 1 != 3 else None
    else:
        return None
    return proved if proved is not None and _NUMBER[proved].match(number) else None


def either_mark(number: str) -> bool:
    """Whether a number reads with either decimal mark, to different values ('1,250')."""
    return bool(_NUMBER["."].match(number) and _NUMBER[","].match(number)) and (
        "," in number or "." in number
    )


# -- dates ------------------------------------------------------------------------------

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            "jan january januar janv janvier janeiro enero gennaio gen ene",
            "feb february februar fevr fevrier febrero febbraio",
            "mar march marz mrz mrt maart mars marzo",
            "apr april avr avril abril aprile",
            "may mai mei mayo maggio mag",
            "jun june juni juin junio giugno giu",
            "jul july juli juil juillet julio luglio lug",
            "aug august augustus aout agosto ago",
            "sep sept september septembre septiembre settembre set",
            "oct october okt oktober octobre octubre ottobre ott",
            "nov november novembre noviembre",
            "dec december dez dezember decembre diciembre dicembre dic",
        ),
        start=1,
    )
    for name in names.split()
}
_ACCENTS = str.maketrans("äéèûôà", "aeeuoa")
TIME_OF_DAY = (
    r"(?:(?:[ T]+|\s*,\s*)\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:\s*[AaPp][Mm])?"
    r"(?:\s*(?:Z|UTC|GMT|[+-]\d{2}:?\d{2}))?)?"
)
_DIRECTIVES = {
    "d": r"(?P<d>\d{1,2})",
    "e": r"(?P<d>\d{1,2})",
    "m": r"(?P<m>\d{1,2})",
    "Y": r"(?P<Y>\d{4})",
    "y": r"(?P<y>\d{2})",
    "b": r"(?P<b>[^\W\d_]{3,9})\.?",
    "B": r"(?P<b>[^\W\d_]{3,9})\.?",
}


def month_number(name: str) -> int | None:
    return MONTHS.get(name.casefold().translate(_ACCENTS).rstrip("."))


def compile_date_format(date_format: str) -> Callable[[str], date | None]:
    """A function reading one date cell with `date_format`; None when it does not match.

    Formats made of %d %m %Y %y %b %B and literal text are read by a regular expression
    (a trailing time of day is ignored); any other format goes to strptime.
    """
    pattern: list[str] = []
    position = 0
    while position < len(date_format):
        char = date_format[position]
        if char == "%" and position + 1 < len(date_format):
            directive = date_format[position + 1]
            if directive not in _DIRECTIVES or _DIRECTIVES[directive] in pattern:
                return _strptime_reader(date_format)
            pattern.append(_DIRECTIVES[directive])
            position += 2
            continue
        pattern.append(r"\s+" if char == " " else re.escape(char))
        position += 1
    regex = re.compile("^\\s*" + "".join(pattern) + TIME_OF_DAY + "\\s*$")

    def read(text: str) -> date | None:
        match = regex.match(text)
        if match is None:
            return None
        groups = match.groupdict()
        if groups.get("Y"):
            year = int(groups["Y"])
        elif groups.get("y"):
            short = int(groups["y"])
            year = 2000 + short if short < 69 else 1900 + short  # strptime's rule
        else:
            return None
        if groups.get("b"):
            month = month_number(groups["b"])
            if month is None:
                return None
        else:
            month = int(groups["m"])
        try:
            return date(year, month, int(groups["d"]))
        except ValueError:
            return None

    return read


def _strptime_reader(date_format: str) -> Callable[[str], date | None]:
    def read(text: str) -> date | None:
        try:
            return datetime.strptime(text.strip(), date_format).date()
        except ValueError:
            return None

    return read


_TIME_SUFFIX = re.compile(TIME_OF_DAY + r"\s*$")
_SHAPES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("ymd", re.compile(r"^(?P<a>\d{4})(?P<s>[-/.])(?P<b>\d{1,2})(?P=s)(?P<c>\d{1,2})$")),
    ("digits8", re.compile(r"^(?P<a>\d{8})$")),
    ("numeric", re.compile(r"^(?P<a>\d{1,2})(?P<s>[-/.])(?P<b>\d{1,2})(?P=s)(?P<c>\d{4}|\d{2})$")),
    (
        "day_month_name",
        re.compile(r"^(?P<a>\d{1,2})(?P<s>[- .]?)(?P<b>[^\W\d_]{3,9})\.?(?P=s)(?P<c>\d{4}|\d{2})$"),
    ),
    (
        "month_name_day",
        re.compile(r"^(?P<b>[^\W\d_]{3,9})\.? (?P<a>\d{1,2})(?P<s>,?) (?P<c>\d{4})$"),
    ),
)


def date_part(text: str) -> str:
    """The cell without a time of day after the date."""
    stripped = text.strip()
    match = _TIME_SUFFIX.search(stripped)
    return stripped[: match.start()] if match and match.start() > 0 else stripped


def date_shape(text: str) -> tuple[str, dict[str, str]] | None:
    """Which kind of date a cell holds ('numeric' is day-first or month-first)."""
    cell = date_part(text)
    for name, regex in _SHAPES:
        match = regex.match(cell)
        if match:
            groups = match.groupdict()
            if name in ("day_month_name", "month_name_day") and month_number(groups["b"]) is None:
                return None
            return name, groups
    return None


def looks_like_date(text: str) -> bool:
    return date_shape(text) is not None
