"""What a bank statement's description says, as rules and learning read it.

A description such as `CARD PAYMENT TO TESCO STORES 3297 ON 12 MAR` names a payee among
boilerplate ("card payment to"), store numbers, dates, card numbers and reference codes
that change from one row to the next. `payee_of` keeps the payee (`tesco stores`), so
that every row of one shop is recognised as one payee; `words_of` keeps every word that
could tell a category (for learning beyond exact payees).
"""

from __future__ import annotations

import re
import unicodedata

# Runs of letters and digits: punctuation, spaces and symbols separate words.
_RUNS = re.compile(r"[^\W_]+")
# Card statements pad the merchant's name to a fixed width before the town and country
# (`DELIVEROO.CO.UK        LONDON        LND`): a gap of spaces ends a field.
_FIELD_GAP = re.compile(r"\s{2,}")

# Words banks put around the payee: how it was paid, not who was paid.
BOILERPLATE = frozenset(
    """
    card payment payments purchase purchases pos visa debit credit contactless to at on
    from ref reference via the dd so bgc fpi fpo tfr cr dr direct standing order
    mastercard mc maestro apple google gpay pay paid online web www com co uk org net ltd
    limited inc llc plc gmbh bv sa sarl ag kg ab as oy srl pte pty corp company
    gb gbr usa deu fra nld irl esp ita
    sepa lastschrift kartenzahlung ueberweisung überweisung gutschrift folgenummer
    verfalldatum ec elv pos-transaktion betaalautomaat bea gea paiement carte cb prlv
    achat retrait transaction trans txn authorised authorized pending recurring
    ach pmt mref eref kref cred svwz iban bic
    jan feb mar apr may jun jul aug sep sept oct nov dec
    january february march april june july august september october november december
    """.split()
)
# Payment processors that stand before the merchant: `SQ *BLUE BOTTLE`, `PAYPAL *NETFLIX`.
PROCESSORS = frozenset(
    "sq sqr tst sp pp paypal iz izettle zettle sumup ctlp gglpay crv lsp".split()
)
PAYEE_WORDS = 2


def folded(text: str) -> str:
    """Compared in any case, and in one Unicode form."""
    if text.isascii():  # most statements: the same, several times faster
        return text.lower()
    return unicodedata.normalize("NFC", text).casefold()


def _significant(run: str) -> bool:
    """A word that may name a payee: letters only, two or more, not a card mask (XXXX)."""
    return len(run) >= 2 and run.isalpha() and run.strip("x") != "" and run not in BOILERPLATE


def payee_of(description: str) -> str:
    """The payee a description names, normalised: the first words before any number
    (store numbers, dates, card numbers, references) or gap of spaces, without the bank's
    boilerplate. "" when it names none."""
    return _payee_in_folded(folded(description))


def _payee_in_folded(text: str) -> str:
    for field in _FIELD_GAP.split(text.strip()):
        if payee := _payee_in(field):
            return payee
    return ""


def _payee_in(text: str) -> str:
    if "*" in text:
        before, _, after = text.partition("*")
        named = [run for run in _RUNS.findall(before) if _significant(run)]
        text = after if all(run in PROCESSORS for run in named) else before
    words: list[str] = []
    for run in _RUNS.findall(text):
        if not run.isalpha():
            if words:
                break  # what follows a store number is a place or a reference
            continue
        if _significant(run) and run not in PROCESSORS:
            words.append(run)
            if len(words) == PAYEE_WORDS:
                break
    return " ".join(words)


def words_of(description: str) -> frozenset[str]:
    """Every word of two letters or more in the description, in any case (numbers and
    references left out): what learning reads beyond the payee."""
    return _words_in_folded(folded(description))


def _words_in_folded(text: str) -> frozenset[str]:
    return frozenset(run for run in _RUNS.findall(text) if len(run) >= 2 and run.isalpha())


def payee_and_words(description: str) -> tuple[str, frozenset[str]]:
    """`payee_of` and `words_of` at once, folding the description once."""
    text = folded(description)
    return _payee_in_folded(text), _words_in_folded(text)
