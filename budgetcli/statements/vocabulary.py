"""Header names of bank exports, by role, in English, German, Dutch, French, Italian, Spanish.

Names are compared after `normalise_name` ('Auftraggeber/Empfänger' -> 'auftraggeber
empfanger'). Each pattern has a rank: lower is preferred when several columns match a
role (a transaction date over a value date, 'Betrag (EUR)' over 'Betrag (Fremdwährung)').
"""

from __future__ import annotations

import re

from budgetcli.statements.model import Role

_CODE = r"(?: (?:in |en )?(?:[a-z]{3}|euros?))?"  # 'betrag eur', 'amount in usd', 'debit euros'

_PATTERNS: dict[Role, tuple[tuple[int, str], ...]] = {
    Role.DATE: (
        (
            0,
            r"(?:transaction|trans|txn|started|operation|transaktions|umsatz|beleg|transactie)"
            r" ?date|date of transaction|date (?:de l )?operation|data (?:dell )?operazione"
            r"|fecha (?:de )?operacion|(?:transaktions|umsatz|beleg|transactie)datum"
            r"|datum transactie",
        ),
        (
            1,
            r"date|datum|data|fecha|booking date|buchungs ?datum|buchungstag|buchung"
            r"|boek ?datum|boekingsdatum|date comptable|data contabile|fecha contable"
            r"|created|created at|date processed|completed date|posting date|date time"
            r"|bokforingsdag|bokforingsdatum|transaktionsdag|dato|bogforingsdato|data operacji"
            r"|data ksiegowania|data transakcji",
        ),
        (2, r"posted date|post date|date posted|processed date"),
        (
            3,
            r"value date|valuta|valuta ?datum|wertstellung|wertstellungsdatum|rentedatum"
            r"|date de valeur|data valuta|fecha (?:de )?valor",
        ),
        (2, r".*\b(?:date|datum|fecha|data)\b.*"),
    ),
    Role.AMOUNT: (
        (
            0,
            rf"(?:transaction |net )?(?:amount|amt|betrag|bedrag|montant|importe|importo|umsatz"
            rf"|summe|valor|belopp|belob|belop|kwota|kwota operacji){_CODE}",
        ),
        (1, r"montant de l operation|montant (?:de l )?operation|betrag in [a-z]{3}"),
        (
            2,
            r"(?!.*\b(?:debit|credit|fee|fees|original|oorspr|fremdwahrung|foreign|local"
            r"|exchange|total|balance|saldo|solde|gebuhr|kosten|orig|rate)\b)"
            r".*\b(?:amount|betrag|bedrag|montant|importe|importo)\b.*",
        ),
    ),
    Role.DEBIT: (
        (
            0,
            rf"(?:debit|debits|debit amount|amount debit|debit amt|dr|dr amount|withdrawal"
            rf"|withdrawals|withdrawal amount|paid out|money out|out|soll|ausgang|ausgaben"
            rf"|debet|af|afschrijving|addebiti|addebito|uscite|cargo|cargos|debito"
            rf"|betrag soll|soll betrag|belastung|belastungen){_CODE}",
        ),
    ),
    Role.CREDIT: (
        (
            0,
            rf"(?:credit|credits|credit amount|amount credit|credit amt|cr|cr amount|deposit"
            rf"|deposits|deposit amount|paid in|money in|in|haben|eingang|einnahmen"
            rf"|bij|bijschrijving|accrediti|accredito|entrate|abono|abonos|credito"
            rf"|betrag haben|haben betrag|gutschrift|gutschriften){_CODE}",
        ),
    ),
    Role.DIRECTION: (
        (
            0,
            r"af bij|bij af|d c|c d|dr cr|cr dr|debit credit|credit debit|soll haben|s h"
            r"|direction|sens|debit or credit|credit or debit|in out|cd|dc|debit credit indicator"
            r"|credit debit indicator|transaction direction|richting",
        ),
    ),
    Role.BALANCE: (
        (
            0,
            rf"(?:running |current |closing |ledger |account |new )?(?:balance|saldo|solde"
            rf"|kontostand)(?: na (?:trn|mutatie)| nach buchung| dopo| contable)?{_CODE}",
        ),
        (0, r"running bal|bal|saldo po(?: operacji| transakcji)?|balance after|saldo efter"),
        (1, r"available balance|saldo disponible"),
    ),
    Role.DESCRIPTION: (
        (
            0,
            r"description(?: \d)?|descriptions|details|detail|transaction description"
            r"|transaction details|narrative|narration|particulars|memo|notes|note"
            r"|verwendungszweck|omschrijving(?: \d)?|mededelingen|libelle|libelle operation"
            r"|detail de l ecriture|details de l operation|descrizione|causale|concepto"
            r"|descripcion|beschreibung|buchungsdetails|payment reference|reference text"
            r"|transaction ref ?\d|transaction reference \d|purpose|remittance information"
            r"|libelle court|libelle simplifie|causale descrizione|descrizione operazione"
            r"|dettagli|dettaglio|opis|opis operacji|tytul|beskrivelse|meddelande|text|tekst"
            r"|beschrijving|transaction narrative",
        ),
    ),
    Role.PAYEE: (
        (
            0,
            r"payee|payee name|merchant|merchant name|name|naam|naam tegenpartij"
            r"|naam omschrijving|tegenpartij naam|counterparty name|beneficiary|beneficiario"
            r"|beneficiaire|empfanger|zahlungsempfanger|auftraggeber empfanger"
            r"|beguenstigter zahlungspflichtiger|begunstigter zahlungspflichtiger"
            r"|recipient|description du beneficiaire|zahlungsempfanger in"
            r"|begunstigter auftraggeber|auftraggeber begunstigter|empfanger auftraggeber"
            r"|mottagare|odbiorca|nadawca odbiorca|nazwa odbiorcy",
        ),
        (1, r"auftraggeber|counterparty|zahlungspflichtiger|zahlungspflichtige r|avsandare"),
    ),
    Role.CATEGORY: ((0, r"category|kategorie|categorie|categoria|spending category|rubrik"),),
    Role.BANK_ID: (
        (
            0,
            r"id|transaction id|transaction_id|transferwise id|wise id|volgnr|fitid"
            r"|n de transaction|no de transaction|numero de transaction|transaktions id"
            r"|transaction number|reference number|transaktionsnummer|id transazione"
            r"|id operazione|transaction reference number",
        ),
    ),
    Role.CURRENCY: (
        (0, r"currency|currency code|wahrung|waehrung|munt|devise|monn|divisa|moneda|ccy|valuta"),
    ),
    Role.STATUS: ((0, r"state|status|transaction status|stato|estado|statut|info"),),
}

_COMPILED = {
    role: tuple((rank, re.compile(pattern)) for rank, pattern in patterns)
    for role, patterns in _PATTERNS.items()
}

# Date headers in languages that write the day first (evidence for dd/mm dates).
DAY_FIRST_DATE_HEADER = re.compile(
    r".*\b(?:datum|buchung\w*|buchungstag|wertstellung\w*|valuta\w*|boek\w*|rentedatum"
    r"|data|fecha|date de|date d|date operation|transactiedatum)\b.*"
)

CURRENCY_CODES = frozenset(
    "eur usd gbp chf sgd aud cad nzd jpy cny hkd sek nok dkk pln czk huf ron bgn hrk try "
    "inr zar mxn brl ils".split()
)


def role_ranks(name: str) -> dict[Role, int]:
    """Each role this normalised header name can have, with its rank."""
    found: dict[Role, int] = {}
    if not name:
        return found
    for role, patterns in _COMPILED.items():
        for rank, pattern in patterns:
            if pattern.fullmatch(name):
                found[role] = min(rank, found.get(role, rank))
    return found


def currency_in_header(name: str) -> str | None:
    """'betrag eur' -> 'EUR'."""
    for word in name.split():
        if word in CURRENCY_CODES:
            return word.upper()
    return None


# Values of a direction column (casefolded, accents stripped).
DEBIT_WORDS = frozenset(
    "debit dr d af s soll debet withdrawal out uit addebito cargo charge sale purchase".split()
)
CREDIT_WORDS = frozenset(
    "credit cr c bij h haben deposit in accredito abono refund payment".split()
)
SINGLE_LETTERS = frozenset("d c s h".split())

# Values of a status column.
PENDING_WORDS = frozenset(
    (
        "pending",
        "vorgemerkt",
        "umsatz vorgemerkt",
        "authorised",
        "authorized",
        "en attente",
        "in behandeling",
        "in afwachting",
        "pendiente",
        "in sospeso",
        "in attesa",
        "offen",
        "nicht gebucht",
    )
)
DECLINED_WORDS = frozenset(
    (
        "declined",
        "failed",
        "rejected",
        "cancelled",
        "canceled",
        "reverted",
        "reversed",
        "abgelehnt",
        "storniert",
        "annule",
        "rifiutato",
        "rechazado",
    )
)
DONE_WORDS = frozenset(
    (
        "completed",
        "complete",
        "posted",
        "booked",
        "gebucht",
        "umsatz gebucht",
        "settled",
        "cleared",
        "done",
        "executed",
        "paid",
        "ok",
        "comptabilise",
        "contabilizzato",
        "verwerkt",
        "geboekt",
    )
)

# Words in a row's text that tell which sign convention a file uses (see detect.py).
INCOME_TEXT = re.compile(
    r"\b(?:salary|salaire|gehalt|lohn|loon|salario|stipendio|received|recu|recue|reçu"
    r"|gutschrift|deposit|top ?-?up|topped up|interest|zinsen|interets|storting"
    r"|bijschrijving|refund|erstattung|remboursement|rimborso|reembolso|transfer from"
    r"|vir recu|virement recu|incoming)\b",
    re.IGNORECASE,
)
CARD_PAYMENT_TEXT = re.compile(
    r"\b(?:payment received|thank you|autopay|pymt|payment - thank|direct debit payment"
    r"|zahlung erhalten|paiement recu|betaling ontvangen|card payment received)\b",
    re.IGNORECASE,
)
