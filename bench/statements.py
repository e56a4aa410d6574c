"""Realistic bank statement histories, generated: what categorisation is measured on.

A person spends at the chains of their country (supermarkets, coffee, transport, fuel),
pays bills and subscriptions by direct debit, shops online (Amazon, whose purchases go
to books, household or electronics by size, and to gifts in December), eats out at a few
favourite places and at many they visit once, and travels now and then (restaurants and
shops abroad, never seen before). Each row's description is written the way that
country's banks write them: store numbers, towns, dates, card numbers and references
that change from row to row (`CARD PAYMENT TO TESCO STORES 3297 ON 12 MAR`,
`SQ *BLUE BOTTLE COFFEE Oakland CA`, `KARTENZAHLUNG REWE 0815 BERLIN 12.03.25`).

The category of each row is the one the person gives it: the payee's usual one, by
amount where the person splits a payee (a fuel station's small purchases are
groceries), with a few rows filed elsewhere (`habit_noise`, people are not consistent).

Deterministic for a seed. No real person's data: brand names are public, the rest is
drawn from word lists.
"""

from __future__ import annotations

import math
import random
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

STYLES = ("uk", "us", "de")


@dataclass(frozen=True)
class Row:
    day: date
    amount: Decimal
    description: str
    category: str
    payee: str
    """The merchant as generated (the truth of `payee_of`, for checking it)."""


@dataclass
class Payee:
    name: str
    category: str | Callable[[Decimal, date], str]
    per_month: float
    """Expected rows a month."""
    amount: float
    """Median amount."""
    spread: float = 0.35
    """Standard deviation of log(amount): 0 is a fixed price."""
    kind: str = "card"
    """card, debit (direct debit), online, or foreign (card abroad)."""
    stores: int = 1
    """How many branches (store numbers and towns) it has."""
    since_month: int = 0
    until_month: int = 10_000

    def category_of(self, amount: Decimal, day: date) -> str:
        return self.category(amount, day) if callable(self.category) else self.category


def _amazon(amount: Decimal, day: date) -> str:
    if day.month == 12 and amount > 20:
        return "gifts"
    if amount < 15:
        return "books"
    return "household" if amount < 60 else "electronics"


def _fuel(amount: Decimal, day: date) -> str:
    return "fuel" if amount >= 20 else "groceries"


def _pharmacy(amount: Decimal, day: date) -> str:
    return "health" if amount >= 12 else "personal care"


CHAINS: dict[str, list[Payee]] = {
    "uk": [
        Payee("TESCO STORES", "groceries", 5, 38, 0.6, stores=6),
        Payee("SAINSBURYS S/MKTS", "groceries", 3, 45, 0.6, stores=4),
        Payee("LIDL GB", "groceries", 1.5, 25, 0.5, stores=2),
        Payee("M&S SIMPLY FOOD", "groceries", 2, 12, 0.5, stores=3),
        Payee("PRET A MANGER", "coffee", 6, 4.2, 0.3, stores=8),
        Payee("COSTA COFFEE", "coffee", 3, 3.6, 0.25, stores=5),
        Payee("CAFFE NERO", "coffee", 2, 3.4, 0.25, stores=3),
        Payee("TFL TRAVEL CH", "transport", 10, 2.8, 0.4, stores=1),
        Payee("TRAINLINE", "transport", 1, 45, 0.6, kind="online"),
        Payee("UBER *TRIP", "transport", 1.5, 14, 0.5, kind="online"),
        Payee("SHELL", _fuel, 2, 48, 0.8, stores=4),
        Payee("BP", _fuel, 1, 40, 0.8, stores=2),
        Payee("BOOTS", _pharmacy, 1.5, 11, 0.6, stores=3),
        Payee("DELIVEROO", "eating out", 2, 24, 0.3, kind="online"),
        Payee("UBER *EATS", "eating out", 1, 22, 0.3, kind="online"),
        Payee("WAGAMAMA", "eating out", 0.8, 32, 0.3, stores=3),
        Payee("NANDOS", "eating out", 0.6, 28, 0.3, stores=3),
        Payee("BRITISH GAS", "utilities", 1, 85, 0.1, kind="debit"),
        Payee("THAMES WATER", "utilities", 1, 38, 0.02, kind="debit"),
        Payee("EE LIMITED", "phone", 1, 25, 0, kind="debit"),
        Payee("VIRGIN MEDIA", "internet", 1, 42, 0, kind="debit"),
        Payee("COUNCIL TAX LAMBETH", "housing", 1, 142, 0, kind="debit"),
        Payee("FOXTONS LETTINGS", "housing", 1, 1450, 0, kind="debit"),
        Payee("AVIVA", "insurance", 1, 31, 0, kind="debit"),
        Payee("PUREGYM", "fitness", 1, 24.99, 0, kind="debit"),
        Payee("JOHN LEWIS", "household", 0.4, 60, 0.8, stores=2),
        Payee("ARGOS", "household", 0.3, 35, 0.7, stores=2),
        Payee("H&M", "clothing", 0.5, 35, 0.5, stores=3),
        Payee("UNIQLO", "clothing", 0.3, 40, 0.5, stores=2),
        Payee("ODEON CINEMAS", "entertainment", 0.5, 13, 0.2, stores=2),
        Payee("WATERSTONES", "books", 0.3, 12, 0.4, stores=2),
        Payee("PETS AT HOME", "pets", 0.6, 28, 0.5, stores=2),
        Payee("OXFAM", "charity", 1, 10, 0, kind="debit"),
    ],
    "us": [
        Payee("WHOLE FOODS MARKET", "groceries", 4, 55, 0.6, stores=4),
        Payee("TRADER JOE'S", "groceries", 4, 42, 0.5, stores=3),
        Payee("SAFEWAY", "groceries", 2, 35, 0.6, stores=3),
        Payee("COSTCO WHSE", "groceries", 1, 160, 0.4, stores=2),
        Payee("STARBUCKS", "coffee", 6, 5.8, 0.3, stores=8),
        Payee("BLUE BOTTLE COFFEE", "coffee", 3, 6.5, 0.2, stores=3),
        Payee("PEET'S COFFEE", "coffee", 2, 5.2, 0.2, stores=2),
        Payee("MTA*NYCT PAYGO", "transport", 10, 2.9, 0.05),
        Payee("LYFT *RIDE", "transport", 2, 18, 0.5, kind="online"),
        Payee("UBER *TRIP", "transport", 1.5, 21, 0.5, kind="online"),
        Payee("CHEVRON", _fuel, 2, 52, 0.8, stores=4),
        Payee("SHELL OIL", _fuel, 1, 45, 0.8, stores=3),
        Payee("CVS/PHARMACY", _pharmacy, 2, 14, 0.7, stores=4),
        Payee("DOORDASH", "eating out", 2.5, 32, 0.3, kind="online"),
        Payee("CHIPOTLE", "eating out", 1.5, 13, 0.2, stores=4),
        Payee("SWEETGREEN", "eating out", 1.5, 15, 0.15, stores=3),
        Payee("PG&E", "utilities", 1, 110, 0.25, kind="debit"),
        Payee("VERIZON WIRELESS", "phone", 1, 70, 0, kind="debit"),
        Payee("COMCAST XFINITY", "internet", 1, 80, 0, kind="debit"),
        Payee("AVALONBAY RENT", "housing", 1, 2650, 0, kind="debit"),
        Payee("GEICO", "insurance", 1, 96, 0, kind="debit"),
        Payee("EQUINOX", "fitness", 1, 220, 0, kind="debit"),
        Payee("TARGET", "household", 1.5, 45, 0.7, stores=3),
        Payee("HOME DEPOT", "household", 0.5, 60, 0.8, stores=2),
        Payee("OLD NAVY", "clothing", 0.4, 45, 0.5, stores=2),
        Payee("GAP", "clothing", 0.3, 55, 0.5, stores=2),
        Payee("AMC THEATRES", "entertainment", 0.5, 17, 0.2, stores=2),
        Payee("BARNES & NOBLE", "books", 0.3, 18, 0.4, stores=2),
        Payee("PETCO", "pets", 0.6, 34, 0.5, stores=2),
        Payee("RED CROSS", "charity", 1, 20, 0, kind="debit"),
    ],
    "de": [
        Payee("REWE", "groceries", 6, 32, 0.6, stores=6),
        Payee("EDEKA", "groceries", 3, 28, 0.6, stores=4),
        Payee("ALDI SUED", "groceries", 2, 24, 0.5, stores=3),
        Payee("LIDL", "groceries", 2, 22, 0.5, stores=3),
        Payee("DM DROGERIE MARKT", "personal care", 2, 16, 0.5, stores=3),
        Payee("BALZAC COFFEE", "coffee", 4, 3.9, 0.25, stores=4),
        Payee("STARBUCKS", "coffee", 2, 4.6, 0.25, stores=3),
        Payee("TCHIBO", "coffee", 1, 6, 0.5, stores=2),
        Payee("BVG", "transport", 2, 3.2, 0.2, kind="online"),
        Payee("DB VERTRIEB GMBH", "transport", 1, 55, 0.6, kind="online"),
        Payee("FREE NOW", "transport", 1, 17, 0.4, kind="online"),
        Payee("ARAL", _fuel, 2, 55, 0.8, stores=3),
        Payee("JET TANKSTELLE", _fuel, 1, 50, 0.8, stores=2),
        Payee("ROSSMANN", _pharmacy, 1.5, 13, 0.6, stores=3),
        Payee("LIEFERANDO", "eating out", 2.5, 26, 0.3, kind="online"),
        Payee("VAPIANO", "eating out", 0.8, 19, 0.3, stores=2),
        Payee("VATTENFALL", "utilities", 1, 74, 0.05, kind="debit"),
        Payee("TELEKOM DEUTSCHLAND", "phone", 1, 39.95, 0, kind="debit"),
        Payee("VODAFONE KABEL", "internet", 1, 34.99, 0, kind="debit"),
        Payee("HAUSVERWALTUNG MUELLER", "housing", 1, 1180, 0, kind="debit"),
        Payee("HUK-COBURG", "insurance", 1, 48, 0, kind="debit"),
        Payee("URBAN SPORTS CLUB", "fitness", 1, 49, 0, kind="debit"),
        Payee("IKEA", "household", 0.4, 70, 0.8, stores=2),
        Payee("SATURN", "electronics", 0.2, 90, 0.9, stores=2),
        Payee("ZARA", "clothing", 0.4, 45, 0.5, stores=2),
        Payee("CINEMAXX", "entertainment", 0.5, 12, 0.2, stores=2),
        Payee("THALIA", "books", 0.3, 15, 0.4, stores=2),
        Payee("FRESSNAPF", "pets", 0.6, 25, 0.5, stores=2),
        Payee("AERZTE OHNE GRENZEN", "charity", 1, 15, 0, kind="debit"),
    ],
}

ONLINE = [
    Payee("AMAZON", _amazon, 4, 24, 1.0, kind="online"),
    Payee("NETFLIX.COM", "subscriptions", 1, 10.99, 0, kind="online"),
    Payee("SPOTIFY", "subscriptions", 1, 9.99, 0, kind="online"),
    Payee("APPLE.COM/BILL", "subscriptions", 1, 2.99, 0.6, kind="online"),
    Payee("GOOGLE *YOUTUBE", "subscriptions", 1, 11.99, 0, kind="online", since_month=5),
    Payee("STEAM PURCHASE", "entertainment", 0.5, 18, 0.6, kind="online"),
    Payee("AIRBNB", "travel", 0.2, 320, 0.5, kind="online"),
    Payee("BOOKING.COM", "travel", 0.2, 180, 0.5, kind="online"),
    Payee("RYANAIR", "travel", 0.15, 90, 0.5, kind="online"),
    Payee("PAYPAL *EBAY", "shopping", 0.4, 30, 0.8, kind="online"),
    Payee("ETSY.COM", "gifts", 0.3, 28, 0.6, kind="online"),
]

TOWNS = {
    "uk": ["LONDON", "MANCHESTER", "BRISTOL", "LEEDS", "BRIGHTON", "CROYDON", "READING"],
    "us": ["SAN FRANCISCO", "OAKLAND", "NEW YORK", "BROOKLYN", "SEATTLE", "BERKELEY"],
    "de": ["BERLIN", "MUENCHEN", "HAMBURG", "KOELN", "POTSDAM", "LEIPZIG"],
}
STATES = {"us": ["CA", "NY", "WA"]}
ABROAD = ["PARIS", "LISBOA", "ROMA", "BARCELONA", "AMSTERDAM", "PRAHA", "WIEN", "KOBENHAVN"]
MONTHS = "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split()

# Places visited once or a few times: names from word lists, some with a word that
# tells what they are (KITCHEN, PHARMACY), many without.
FIRST = (
    "GOLDEN LITTLE BLUE RED OLIVE RUSTIC OLD ROYAL HAPPY LUCKY GREEN SILVER COPPER WILD "
    "NORTH SUNNY HIDDEN CROWN BRICK STONE MAPLE CEDAR LEMON SAFFRON PEPPER MINT"
).split()
SECOND = (
    "DRAGON SPOON FORK LANTERN GARDEN TABLE OAK BOWL HARBOUR LOTUS TANDOOR FOX HARE "
    "ANCHOR MILL BRIDGE ORCHARD PANTRY HEARTH CORNER LEAF PEARL TIGER RAVEN"
).split()
KINDS: dict[str, list[str]] = {
    "eating out": [
        "KITCHEN",
        "BISTRO",
        "GRILL",
        "PIZZERIA",
        "SUSHI",
        "NOODLE BAR",
        "TRATTORIA",
        "BRASSERIE",
        "TAQUERIA",
        "RESTAURANT",
        "DINER",
        "BURGER",
        "THAI",
        "RAMEN",
        "",
        "",
        "",
        "",
    ],
    "coffee": ["COFFEE", "ESPRESSO", "CAFE", "ROASTERS", "BAKERY", "", ""],
    "drinks": ["PUB", "TAVERN", "BAR", "BREWERY", "ARMS", "INN", ""],
    "household": ["HARDWARE", "HOME", "INTERIORS", "DIY", ""],
    "clothing": ["BOUTIQUE", "OUTFITTERS", "APPAREL", "SHOES", ""],
    "health": ["PHARMACY", "DENTAL", "CLINIC", "OPTICIANS"],
    "gifts": ["FLORIST", "GIFTS", "FLOWERS", "TOYS", ""],
    "books": ["BOOKS", "BOOKSHOP", "BOOKSELLERS"],
    "entertainment": ["THEATRE", "GALLERY", "MUSEUM", "CINEMA", "BOWLING", "TICKETS"],
    "personal care": ["BARBERS", "HAIR SALON", "NAILS", "SPA"],
}
ONE_OFF_RATES = {
    "eating out": 5.0,
    "coffee": 2.0,
    "drinks": 2.5,
    "household": 0.6,
    "clothing": 0.5,
    "health": 0.4,
    "gifts": 0.5,
    "books": 0.2,
    "entertainment": 0.8,
    "personal care": 0.6,
}
ONE_OFF_AMOUNTS = {
    "eating out": 34,
    "coffee": 5,
    "drinks": 22,
    "household": 40,
    "clothing": 50,
    "health": 30,
    "gifts": 35,
    "books": 14,
    "entertainment": 25,
    "personal care": 28,
}


@dataclass
class Person:
    style: str
    seed: int
    habit_noise: float = 0.02
    """Share of rows the person files somewhere other than their habit says."""
    favourites: list[Payee] = field(default_factory=list)


def _poisson(rng: random.Random, mean: float) -> int:
    # Knuth: fine for the small means here.
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _amount(rng: random.Random, median: float, spread: float) -> Decimal:
    value = median * math.exp(rng.gauss(0, spread)) if spread else median
    return Decimal(f"{max(value, 0.5):.2f}")


def _place_name(rng: random.Random, kind: str) -> str:
    suffix = rng.choice(KINDS[kind])
    name = f"{rng.choice(FIRST)} {rng.choice(SECOND)}"
    return f"{name} {suffix}".strip()


class Describer:
    """Writes descriptions the way one country's banks do."""

    def __init__(self, style: str, rng: random.Random) -> None:
        self.style = style
        self.rng = rng
        self.card = f"{rng.randrange(10_000):04d}"

    def _reference(self, length: int = 8) -> str:
        alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
        return "".join(self.rng.choice(alphabet) for _ in range(length))

    def _store(self, payee: Payee) -> tuple[str, str]:
        branch = self.rng.randrange(payee.stores)
        number = (zlib.crc32(payee.name.encode()) % 9000 + 1000 + branch * 37) % 10_000
        towns = TOWNS[self.style]
        return f"{number:04d}", towns[(branch + len(payee.name)) % len(towns)]

    def describe(self, payee: Payee, day: date) -> str:
        rng, name = self.rng, payee.name
        if payee.kind == "debit":
            return {
                "uk": f"{name} DD {self._reference(10)}",
                "us": f"{name} ACH PMT {self._reference(9)}",
                "de": f"SEPA-LASTSCHRIFT {name} MREF {self._reference(12)}",
            }[self.style]
        if payee.kind == "online":
            if name == "AMAZON":
                return {
                    "uk": f"AMAZON.CO.UK*{self._reference(9)}",
                    "us": f"AMZN Mktp US*{self._reference(9)}",
                    "de": f"AMAZON.DE*{self._reference(9)} AMAZON.DE",
                }[self.style]
            if self.style == "de":
                return f"{name} {self._reference(10)}"
            if self.style == "uk":
                return f"CARD PAYMENT TO {name} ON {day.day:02d} {MONTHS[day.month - 1]}"
            return f"{name} {rng.randrange(800, 899)}-{rng.randrange(1_000_000):07d} CA"
        if payee.kind == "foreign":
            town = rng.choice(ABROAD)
            return f"{name} {town} {self._reference(2)}"
        number, town = self._store(payee)
        if self.style == "uk":
            if rng.random() < 0.5:
                return f"CARD PAYMENT TO {name} {number} ON {day.day:02d} {MONTHS[day.month - 1]}"
            return f"{name} {number} {town} GB"
        if self.style == "us":
            state = STATES["us"][len(town) % 3]
            if payee.stores > 1:
                return f"{name} #{number} {town} {state}"
            return f"SQ *{name} {town} {state}"
        return f"KARTENZAHLUNG {name} {number} {town} {day:%d.%m.%y}"


def person(style: str, seed: int, habit_noise: float = 0.02) -> Person:
    rng = random.Random(seed)
    favourites = []
    for kind, count in (("eating out", 5), ("coffee", 2), ("drinks", 3), ("personal care", 1)):
        for _ in range(count):
            favourites.append(
                Payee(
                    _place_name(rng, kind),
                    kind,
                    rng.uniform(0.4, 1.5),
                    ONE_OFF_AMOUNTS[kind],
                    0.3,
                )
            )
    return Person(style, seed, habit_noise, favourites)


def _months(first: date, count: int) -> Iterator[tuple[int, date, date]]:
    year, month = first.year, first.month
    for number in range(count):
        start = date(year, month, 1)
        month += 1
        if month > 12:
            year, month = year + 1, 1
        yield number, start, date(year, month, 1) - timedelta(days=1)


def statements(
    someone: Person, *, first: date = date(2025, 1, 1), months: int = 12, scale: float = 1.0
) -> list[Row]:
    """Every row of `months` months of `someone`'s statements, oldest first; `scale`
    multiplies how often they shop."""
    rng = random.Random(someone.seed * 7919 + 1)
    describer = Describer(someone.style, rng)
    payees = CHAINS[someone.style] + ONLINE + someone.favourites
    categories = sorted(
        {p.category for p in payees if isinstance(p.category, str)} | set(ONE_OFF_RATES)
    )
    rows: list[Row] = []

    def add(payee: Payee, start: date, end: date) -> None:
        day = start + timedelta(days=rng.randrange((end - start).days + 1))
        if payee.kind == "debit":
            day = start + timedelta(days=min(len(payee.name) % 27, (end - start).days))
        amount = _amount(rng, payee.amount, payee.spread)
        category = payee.category_of(amount, day)
        if rng.random() < someone.habit_noise:
            category = rng.choice(categories)
        rows.append(Row(day, amount, describer.describe(payee, day), category, payee.name))

    for number, start, end in _months(first, months):
        for payee in payees:
            if not payee.since_month <= number < payee.until_month:
                continue
            count = 1 if payee.kind == "debit" else _poisson(rng, payee.per_month * scale)
            for _ in range(count):
                add(payee, start, end)
        for kind, rate in ONE_OFF_RATES.items():
            for _ in range(_poisson(rng, rate * scale)):
                add(Payee(_place_name(rng, kind), kind, 1, ONE_OFF_AMOUNTS[kind], 0.4), start, end)
        # A trip abroad every few months: places never seen, and never seen again.
        if rng.random() < 0.3:
            for _ in range(rng.randrange(4, 12)):
                kind = rng.choice(["eating out", "eating out", "coffee", "drinks", "gifts"])
                add(
                    Payee(_place_name(rng, kind), kind, 1, ONE_OFF_AMOUNTS[kind], 0.4, "foreign"),
                    start,
                    end,
                )
    rows.sort(key=lambda row: row.day)
    return rows
