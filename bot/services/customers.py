"""Customers as a person may see them: lists, search (typos, pinyin, Traditional characters),
the customer card, and adding a customer after a look for duplicates. Every query goes through
``visible_to``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from difflib import SequenceMatcher
from typing import Any

import sqlalchemy as sa
from rapidfuzz import fuzz, process
from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.parsing.search_forms import QueryForms, query_forms, search_key
from bot.parsing.text import one_line
from bot.services.errors import NotAllowed, NotFound, ServiceError
from bot.services.history import birthday_text
from bot.services.orders import Unpaid, unpaid_for_customer
from bot.services.people import Actor
from bot.services.records import set_customer_name
from bot.services.segments import manual_tier_of
from bot.services.visibility import customers_visible_to, refuse_read_only, visible_customer
from models import Contact, Customer, Deal, PipelineStage, Role, Touch, User
from models.customers import SEARCH_FTS_TABLE, phone_digits, search_chars

CUSTOMERS_PAGE_SIZE = 10
SEARCH_LIMIT = 8
SEARCH_CUTOFF = 60
PINYIN_CUTOFF = 80  # typos in pinyin: stricter, long pinyin strings share many letters
PINYIN_FUZZY_MIN_LENGTH = 5
SHORT_QUERY = 3  # a query this short must appear as it is (a prefix, for pinyin)
DUPLICATE_NAME_SCORE = 90
CANDIDATE_LIMIT = 200  # rows one candidate query may bring back
TOUCH_WINDOW = 400  # a person's newest touches that say whom they touched last
# How a stored form of the name matches what was typed; better first.
EXACT, PREFIX, SUBSTRING, FUZZY, NO_MATCH = 3, 2, 1, 0, -1


@dataclass(frozen=True)
class CustomerLine:
    customer_id: int
    name: str
    tier: str | None
    phone: str | None
    owner_name: str


@dataclass(frozen=True)
class CustomerPage:
    customers: list[CustomerLine]
    page: int
    pages: int
    total: int


@dataclass(frozen=True)
class ContactLine:
    contact_id: int
    name: str
    title: str | None
    phone: str | None
    birthday: str | None


@dataclass(frozen=True)
class OpenDeal:
    deal_id: int
    title: str
    stage_key: str
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class TouchLine:
    touch_id: int
    kind: str
    notes: str
    next_step: str | None
    author_name: str
    created_at: datetime


@dataclass(frozen=True)
class CustomerCard:
    customer_id: int
    name: str
    tier: str | None
    industry: str | None
    address: str | None
    phone: str | None
    owner_name: str
    # The tier as set by hand (it wins) and as computed, the RFM score and lifecycle stage.
    manual_tier: str | None
    computed_tier: str | None
    rfm: str | None
    lifecycle: str | None
    payment_terms_days: int
    credit_limit: Decimal
    max_discount_pct: Decimal | None
    timeframe: str | None
    contacts: list[ContactLine]
    open_deals: list[OpenDeal]
    next_follow_up: datetime | None
    next_follow_up_has_time: bool
    last_touches: list[TouchLine]
    unpaid: list[Unpaid]


class DuplicateCustomer(ServiceError):
    """Raised when a new customer looks like existing ones the person may see."""

    template = "customers/duplicate"

    def __init__(self, matches: list[CustomerLine]) -> None:
        super().__init__(matches=matches)
        self.matches = matches


class CustomerNameInvalid(ServiceError):
    template = "customers/name_invalid"


def _line(customer: Customer, owner: User) -> CustomerLine:
    assert customer.id is not None
    return CustomerLine(
        customer_id=customer.id,
        name=customer.name,
        tier=customer.tier,
        phone=customer.phone,
        owner_name=owner.full_name,
    )


def list_customers(session: Session, actor: Actor, page: int) -> CustomerPage:
    """The customers ``actor`` may see, by name, a page at a time."""
    condition = customers_visible_to(actor)
    total = session.exec(select(func.count()).select_from(Customer).where(condition)).one()
    pages = max(1, -(-total // CUSTOMERS_PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    rows = session.exec(
        select(Customer, User)
        .join(User, col(Customer.owner_id) == col(User.id))
        .where(condition)
        .order_by(col(Customer.name), col(Customer.id))
        .offset(page * CUSTOMERS_PAGE_SIZE)
        .limit(CUSTOMERS_PAGE_SIZE)
    ).all()
    lines = [_line(customer, owner) for customer, owner in rows]
    return CustomerPage(customers=lines, page=page, pages=pages, total=total)


def _lines(session: Session, customer_ids: list[int]) -> list[CustomerLine]:
    """Customer lines for ``customer_ids``, in that order."""
    rows = session.exec(
        select(Customer, User)
        .join(User, col(Customer.owner_id) == col(User.id))
        .where(col(Customer.id).in_(customer_ids))
    ).all()
    by_id = {customer.id: _line(customer, owner) for customer, owner in rows}
    return [by_id[customer_id] for customer_id in customer_ids if customer_id in by_id]


def recent_customers(session: Session, actor: Actor, limit: int = 6) -> list[CustomerLine]:
    """The customers the person touched last, newest first; then others by latest change.

    Two bounded queries: the person's latest touches of customers they may still see (by
    author, newest first, LIMIT), and the visible customers changed last (through the index
    of ``updated_at``, per owner for a rep, LIMIT)."""
    visible = customers_visible_to(actor)
    latest = _latest_touches(actor)
    touched = session.execute(
        sa.select(latest.c.customer_id)
        .join(Customer, col(Customer.id) == latest.c.customer_id)
        .where(visible)
        .group_by(latest.c.customer_id)
        # Ties (touches written together) in the order of the customers' ids, as before.
        .order_by(func.max(latest.c.created_at).desc(), latest.c.customer_id)
        .limit(limit)
    ).all()
    chosen: list[int] = [customer_id for (customer_id,) in touched]
    if len(chosen) < limit:
        changed = session.exec(
            select(Customer.id)
            .where(visible, col(Customer.id).not_in(chosen) if chosen else sa.true())
            .order_by(col(Customer.updated_at).desc(), col(Customer.id))
            .limit(limit - len(chosen))
        ).all()
        chosen += [customer_id for customer_id in changed if customer_id is not None]
    return _lines(session, chosen)


def _latest_touches(actor: Actor) -> sa.Subquery:
    """The person's newest TOUCH_WINDOW touches (customer_id, created_at), through the index
    of (author_id, created_at): who they touched last without reading all their history."""
    return (
        sa.select(col(Touch.customer_id), col(Touch.created_at))
        .where(col(Touch.author_id) == actor.user_id, col(Touch.deleted_at).is_(None))
        .order_by(col(Touch.created_at).desc())
        .limit(TOUCH_WINDOW)
        .subquery()
    )


def _digits(text: str) -> str:
    return phone_digits(text) or ""


def _match(typed: str, form: str | None, *, anywhere: bool) -> int:
    """How ``form`` (a stored form of a name) matches ``typed``: EXACT, PREFIX, SUBSTRING (when
    ``anywhere``) or NO_MATCH."""
    if not typed or not form:
        return NO_MATCH
    if form == typed:
        return EXACT
    if form.startswith(typed):
        return PREFIX
    return SUBSTRING if anywhere and typed in form else NO_MATCH


def _common_length(typed: str, key: str) -> int:
    """The length of the longest run of characters ``typed`` and ``key`` share."""
    return SequenceMatcher(None, typed, key, autojunk=False).find_longest_match().size


def search_customers(
    session: Session, actor: Actor, query: str, limit: int = SEARCH_LIMIT
) -> list[CustomerLine]:
    """Visible customers matching ``query``: typos, partial words, Chinese (Simplified or
    Traditional), pinyin and pinyin initials (``shty``, ``上海ty``), or phone digits.

    The database finds at most a few hundred candidates through its indexes
    (``_CandidateFinder``: exact and prefix matches of the stored forms, substrings through the
    trigram index, then, only when those are too few, similar names for typos); the candidates
    are ranked here. The name's stored forms are
    compared with the query's (``bot.parsing.search_forms``): an exact, then a prefix, then a
    substring match of any form ranks above a fuzzy one; among Chinese queries a longer run of
    shared characters ranks higher; among similar matches the customers the person touched
    recently come first.
    """
    typed = query_forms(query)
    if not typed.key:
        return []
    query_digits = _digits(query)
    finder = _CandidateFinder(session, actor)
    finder.add_whole_matches(typed, query_digits if len(query_digits) >= 4 else "", limit)
    finder.add_recently_touched()
    rows = list(finder.rows.values())
    tiers = _row_tiers(typed, rows, query_digits)
    fuzzy_allowed = len(typed.key) > SHORT_QUERY and not (typed.han and typed.latin)
    if fuzzy_allowed and len(tiers) < limit:
        finder.add_similar(typed)
        rows = list(finder.rows.values())
        tiers = _row_tiers(typed, rows, query_digits)
    if not rows:
        return []
    keys = [_row_key(row) for row in rows]
    scores = _fuzzy_scores(typed, keys, [row.name_pinyin or "" for row in rows])
    if len(query_digits) >= 4:
        for index, row in enumerate(rows):
            if row.phone_digits and query_digits in row.phone_digits:
                scores[index] = 100.0
    touched = _last_touched(session, actor, [row.id for row in rows])
    ranked = []
    for index in tiers.keys() | scores.keys():
        tier = tiers.get(index, FUZZY)
        if len(typed.key) <= SHORT_QUERY and tier == FUZZY:
            continue  # a short query must appear as it is
        customer_id, updated_at = rows[index].id, rows[index].updated_at
        score = scores.get(index, 0.0)
        common = _common_length(typed.key, keys[index]) if typed.han else 0
        recency = (touched.get(customer_id) or updated_at).timestamp()
        ranked.append(
            ((-tier, -common, -round(score / 10), -recency, -score, keys[index]), customer_id)
        )
    ranked.sort()
    return _lines(session, [customer_id for _, customer_id in ranked[:limit]])


def _row_key(row: sa.Row[Any]) -> str:
    # A row written without its forms (not through set_customer_name) is still found by name.
    return str(row.search_key or search_key(row.name))


def _row_tiers(typed: QueryForms, rows: list[sa.Row[Any]], query_digits: str) -> dict[int, int]:
    tiers = _tiers(
        typed,
        [_row_key(row) for row in rows],
        [(row.name_pinyin, row.name_initials) for row in rows],
    )
    if len(query_digits) >= 4:
        for index, row in enumerate(rows):
            if row.phone_digits and query_digits in row.phone_digits:
                tiers[index] = EXACT
    return tiers


def _last_touched(
    session: Session, actor: Actor, customer_ids: list[int] | None = None
) -> dict[int, datetime]:
    """When ``actor`` last touched each customer (of ``customer_ids``, a bounded list)."""
    query = (
        select(Touch.customer_id, func.max(Touch.created_at))
        .where(Touch.author_id == actor.user_id, col(Touch.deleted_at).is_(None))
        .group_by(col(Touch.customer_id))
    )
    if customer_ids is not None:
        if not customer_ids:
            return {}
        query = query.where(col(Touch.customer_id).in_(customer_ids))
    return {customer_id: when for customer_id, when in session.exec(query).all()}


class _CandidateFinder:
    """Bounded queries, each through an index and with a LIMIT, for the customers ``actor`` may
    see that could match a query; ``rows`` collects them by id (at most a few hundred).

    SQLite: B-tree ranges on the stored forms for exact and prefix matches; the FTS5 trigram
    table ``customer_search`` for substrings (``MATCH '"acme"'``) and, for typos, for names
    sharing the most trigrams (``bm25``). PostgreSQL: ``=`` and ``LIKE 'q%'`` for exact and
    prefix matches, ``LIKE '%q%'`` through the pg_trgm GIN indexes for substrings, and the
    ``%`` / ``<%`` similarity operators ordered by similarity for typos. A one- or two-character
    query looks in ``search_chars`` (``|宏|达|``), where it is three characters or more."""

    def __init__(self, session: Session, actor: Actor) -> None:
        self.session = session
        self.visible = customers_visible_to(actor)
        self.actor = actor
        self.postgres = session.get_bind().dialect.name == "postgresql"
        # A director sees every customer: substrings come from the trigram index. A rep (or a
        # manager) sees their own (their team's): on SQLite those rows, found by owner_id, are
        # searched for the substring without the index of the whole company's names.
        self.sees_all = isinstance(self.visible, sa.sql.elements.True_)
        self.rows: dict[int, sa.Row[Any]] = {}

    def _add(
        self,
        *conditions: sa.ColumnElement[bool],
        order: Any = None,
        fts: bool = False,
        limit: int = CANDIDATE_LIMIT,
    ) -> None:
        query = sa.select(*_SEARCH_COLUMNS)
        if fts:
            query = query.join(_FTS, _FTS.c.rowid == col(Customer.id))
        query = query.where(self.visible, *conditions)
        if order is not None:
            query = query.order_by(*(order if isinstance(order, tuple) else (order,)))
        for row in self.session.execute(query.limit(limit)).all():
            self.rows.setdefault(row.id, row)

    def add_whole_matches(self, typed: QueryForms, digits: str, enough: int) -> None:
        """Customers whose forms contain what was typed (or its digits in their phone); for a
        director, substrings only when fewer than ``enough`` names equal or start with it."""
        forms: list[tuple[Any, str]] = [(Customer.search_key, typed.key)]
        if typed.latin:
            forms += [
                (Customer.name_pinyin, typed.pinyin),
                (Customer.name_initials, typed.initials),
            ]
        forms = [(column, text) for column, text in forms if text]
        substrings: list[tuple[Any, str]] = [
            (Customer.search_key, typed.key)
            if len(typed.key) >= 3
            else (Customer.search_chars, search_chars(typed.key) or "")
        ]
        if typed.latin and len(typed.key) > SHORT_QUERY:
            substrings.append((Customer.name_pinyin, typed.pinyin))
            substrings.append((Customer.name_initials, typed.initials))
        if digits:
            substrings.append((Customer.phone_digits, digits))
        substrings = [(column, text) for column, text in substrings if len(text) >= 3]
        if not self.sees_all:  # one pass over the person's own rows, found by owner
            exact = [col(column) == text for column, text in forms]
            starts = [sa.func.substr(col(column), 1, len(text)) == text for column, text in forms]
            contains = [self._contains(col(column), text) for column, text in substrings]
            order = sa.case((sa.or_(*exact), 0), (sa.or_(*starts), 1), else_=2)
            self._add(sa.or_(*starts, *contains), order=(order, col(Customer.updated_at).desc()))
            return
        if self.postgres:  # every exact match, then prefixes until there are enough
            for column, text in forms:
                self._add(col(column) == text)
            for column, text in forms:  # text_pattern_ops: an index of the bytes for LIKE 'q%'
                if len(self.rows) < CANDIDATE_LIMIT:  # more of the same tier ranks no higher
                    self._add(col(column).like(_like_escaped(text) + "%", escape="\\"))
        else:  # the exact match first: the shortest form that starts with the text
            for column, text in forms:
                end = text + "\U0010ffff"
                self._add(col(column) >= text, col(column) < end, order=col(column))
        if len(self.rows) >= enough and not digits:
            return  # enough names equal or start with it: a substring would rank below them
        for column, text in substrings:
            self._add_substring(column, text)

    def _contains(self, column: Any, text: str) -> sa.ColumnElement[bool]:
        """``text`` is in ``column``, as a function (not LIKE): the database filters the
        person's own rows found by owner rather than scanning the trigram index."""
        if self.postgres:
            return sa.func.strpos(column, text) > 0
        return sa.func.instr(column, text) > 0

    def add_recently_touched(self) -> None:
        """The customers ``actor`` touched last: they rank first among similar matches."""
        recent = sa.select(_latest_touches(self.actor).c.customer_id)
        self._add(col(Customer.id).in_(recent.scalar_subquery()))

    def add_similar(self, typed: QueryForms) -> None:
        """Customers whose name (or pinyin, for a long enough Latin query) is most like what
        was typed: typos."""
        forms: list[tuple[Any, str]] = [(Customer.search_key, typed.key)]
        if typed.han:  # characters and pairs of them in common: 上海通用机电 ~ 上海宏达机电
            forms.append((Customer.search_chars, search_chars(typed.key) or ""))
        if typed.latin and len(typed.pinyin) >= PINYIN_FUZZY_MIN_LENGTH:
            forms.append((Customer.name_pinyin, typed.pinyin))
        if not self.sees_all:
            self._add_similar_own(forms)
            return
        if self.postgres:
            for column, text in forms:
                self._add_similar(column, text)
            return
        trigrams = {text[i : i + 3] for _, text in forms for i in range(len(text) - 2)}
        match = " OR ".join(_fts_phrase(trigram) for trigram in self._rarest(trigrams))
        if match:
            columns = " ".join(column.key for column, _ in forms)
            self._add(_fts_match(match, "{" + columns + "}"), order=_FTS.c.rank, fts=True)

    def _rarest(self, trigrams: set[str]) -> list[str]:
        """The query's trigrams in the fewest names, up to SIMILAR_ROWS_BUDGET names in all
        (at least one trigram): a typo search scores only those rows (SQLite)."""
        counts = self.session.execute(
            sa.select(_FTS_VOCAB.c.term, _FTS_VOCAB.c.doc)
            .where(_FTS_VOCAB.c.term.in_(sorted(trigrams)))
            .order_by(_FTS_VOCAB.c.doc)
        ).all()
        chosen: list[str] = []
        rows = 0
        for term, docs in counts:
            if chosen and rows + docs > SIMILAR_ROWS_BUDGET:
                break
            chosen.append(term)
            rows += docs
        return chosen

    def _add_similar_own(
        self, forms: list[tuple[Any, str]], *, limit: int = CANDIDATE_LIMIT
    ) -> None:
        """The person's own rows (found by owner: a rep's few thousand) whose ``forms`` are
        most like the texts, in one pass scored by the database: the share of the text's
        trigrams the form holds. No trigram index: a rep's rows are fewer than the names the
        index would offer; Python ranks the ``limit`` best."""
        # Cheaper than pg_trgm's word_similarity row by row (14 ms against 32 ms for 5,000).
        position, at_most = (
            (sa.func.strpos, sa.func.least) if self.postgres else (sa.func.instr, sa.func.min)
        )
        measures: list[Any] = []
        for column, text in forms:
            value = sa.func.coalesce(col(column), "")
            trigrams = sorted({text[i : i + 3] for i in range(len(text) - 2)})[:OWN_TRIGRAMS]
            shared = [at_most(position(value, trigram), 1) for trigram in trigrams]
            if shared:
                measures.append(sum(shared[1:], shared[0]) * 1.0 / len(shared))
        if not measures:
            return
        best = measures[0]
        if len(measures) > 1:  # the best of the forms: GREATEST, SQLite's max of several
            best = (sa.func.greatest if self.postgres else sa.func.max)(*measures)
        self._add(order=best.desc(), limit=limit)

    def _add_substring(self, column: Any, text: str) -> None:
        if self.postgres:
            self._add(col(column).like(f"%{_like_escaped(text)}%", escape="\\"))
        else:
            match = _fts_match(_fts_phrase(text), column.key)
            self._add(match, order=_FTS.c.rowid.desc(), fts=True)

    def _add_similar(self, column: Any, text: str) -> None:
        if self.postgres:
            schema = _trigram_schema(self.session)
            value = sa.literal(text)
            # Word similarity (the best-matching stretch of the name): GIN-indexed through
            # ``<%``, far cheaper than whole-name ``%`` on common trigrams.
            similarity = getattr(sa.func, schema).word_similarity(value, col(column))
            self.session.execute(  # for this transaction only; pg_trgm's default is 0.6
                sa.select(
                    sa.func.set_config(
                        "pg_trgm.word_similarity_threshold", str(WORD_SIMILARITY), True
                    )
                )
            )
            condition = value.op(f'OPERATOR("{schema}".<%)', is_comparison=True)(col(column))
            self._add(condition, order=similarity.desc())
        else:
            trigrams = {text[i : i + 3] for i in range(len(text) - 2)}
            match = " OR ".join(_fts_phrase(trigram) for trigram in self._rarest(trigrams))
            if match:
                self._add(_fts_match(match, column.key), order=_FTS.c.rank, fts=True)


_SEARCH_COLUMNS = (
    col(Customer.id),
    col(Customer.name),
    col(Customer.search_key),
    col(Customer.name_pinyin),
    col(Customer.name_initials),
    col(Customer.phone_digits),
    col(Customer.updated_at),
    col(Customer.owner_id),
)
# The FTS5 table of migration 0014 (SQLite); its hidden column of its own name takes MATCH.
_FTS = sa.table(
    SEARCH_FTS_TABLE, sa.column("rowid"), sa.column("rank"), sa.column(SEARCH_FTS_TABLE)
)


# Its vocabulary: in how many names each trigram is.
_FTS_VOCAB = sa.table(f"{SEARCH_FTS_TABLE}_vocab", sa.column("term"), sa.column("doc"))
SIMILAR_ROWS_BUDGET = 20_000
WORD_SIMILARITY = 0.4  # "acne machinary" is 0.44 like "acme machinery" (PostgreSQL)
OWN_TRIGRAMS = 40  # at most this many of the query's trigrams (SQLite, a rep's own rows)
DUPLICATE_CANDIDATES = 50


def _fts_phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _fts_match(match: str, column: str) -> sa.ColumnElement[bool]:
    """The rows of ``customer_search`` whose ``column`` matches the FTS5 query ``match``."""
    return _FTS.c[SEARCH_FTS_TABLE].op("MATCH", is_comparison=True)(f"{column}: ({match})")


def _like_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _trigram_schema(session: Session) -> str:
    """The schema pg_trgm's operators live in (migration 0014 puts them in ``public`` when it
    may), so that they are found whatever the connection's search_path."""
    bind = session.get_bind()
    key = str(bind.engine.url) if isinstance(bind, sa.Engine | sa.Connection) else ""
    if key not in _TRIGRAM_SCHEMAS:
        _TRIGRAM_SCHEMAS[key] = str(
            session.execute(
                sa.text(
                    "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n "
                    "ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'"
                )
            ).scalar_one()
        )
    return _TRIGRAM_SCHEMAS[key]


_TRIGRAM_SCHEMAS: dict[str, str] = {}


def _tiers(
    typed: QueryForms, keys: list[str], spoken: list[tuple[str | None, str | None]]
) -> dict[int, int]:
    """Rows (by index) whose name, pinyin or initials contain ``typed`` whole: row → tier.
    Pinyin and initials count only for a query with Latin letters, and for a short query only
    from their start (``an`` is in too many pinyin names)."""
    anywhere = len(typed.key) > SHORT_QUERY
    tiers: dict[int, int] = {}
    for index, key in enumerate(keys):
        tier = _match(typed.key, key, anywhere=True)
        if typed.latin:
            pinyin, initials = spoken[index]
            tier = max(
                tier,
                _match(typed.pinyin, pinyin, anywhere=anywhere),
                _match(typed.initials, initials, anywhere=anywhere),
            )
        if tier != NO_MATCH:
            tiers[index] = tier
    return tiers


def _fuzzy_scores(typed: QueryForms, keys: list[str], pinyins: list[str]) -> dict[int, float]:
    """Rows (by index) whose name is close to what was typed (typos): row → score 0–100.
    Latin queries are also compared with the names' pinyin. Mixed input (``上海ty``) has no
    fuzzy match: its Latin part never resembles Chinese characters."""
    if typed.han and typed.latin:
        return {}
    scores: dict[int, float] = {
        index: score
        for _, score, index in process.extract(
            typed.key,
            keys,
            scorer=fuzz.WRatio,
            processor=None,
            limit=None,
            score_cutoff=SEARCH_CUTOFF,
        )
    }
    if typed.latin and len(typed.pinyin) >= PINYIN_FUZZY_MIN_LENGTH:
        for _, score, index in process.extract(
            typed.pinyin,
            pinyins,
            scorer=fuzz.WRatio,
            processor=None,
            limit=None,
            score_cutoff=PINYIN_CUTOFF,
        ):
            scores[index] = max(score, scores.get(index, 0.0))
    return scores


def find_duplicates(
    session: Session, actor: Actor, name: str, phone: str | None
) -> list[CustomerLine]:
    """Existing visible customers with the same phone number (its last eight digits) or a
    near-identical name (in Simplified or Traditional characters alike). The database finds
    the candidates through its indexes (same name, phone ending, most similar names)."""
    wanted = search_key(name)
    tail = _digits(phone or "")[-8:]
    finder = _CandidateFinder(session, actor)
    if not finder.sees_all:  # a rep's (a team's) own rows, through the owner index
        if len(tail) >= 6:
            digits = col(Customer.phone_digits)
            ending = sa.func.substr(digits, sa.func.length(digits) - len(tail) + 1)
            finder._add(sa.func.length(digits) >= len(tail), ending == tail)
        if wanted:
            finder._add(col(Customer.search_key) == wanted)
            finder._add_similar_own([(Customer.search_key, wanted)], limit=DUPLICATE_CANDIDATES)
    else:  # a director: everyone's, through the trigram index
        if len(tail) >= 6:
            if finder.postgres:
                finder._add(col(Customer.phone_digits).like(f"%{tail}"))
            else:
                finder._add(
                    _fts_match(_fts_phrase(tail), "phone_digits"),
                    col(Customer.phone_digits).like(f"%{tail}"),
                    fts=True,
                )
        if wanted:
            finder._add(col(Customer.search_key) == wanted)
            finder._add_similar(Customer.search_key, wanted)
    matching = [
        row.id
        for row in finder.rows.values()
        if (len(tail) >= 6 and (row.phone_digits or "").endswith(tail))
        or (wanted and fuzz.ratio(wanted, _row_key(row)) >= DUPLICATE_NAME_SCORE)
    ]
    return _lines(session, sorted(matching))


def create_customer(
    session: Session,
    actor: Actor,
    *,
    name: str,
    phone: str | None = None,
    contact_name: str | None = None,
    allow_duplicate: bool = False,
    now: datetime,
) -> Customer:
    """A new customer owned by ``actor`` (and its first contact), unless it looks like one the
    person can already see: then DuplicateCustomer lists those, and ``allow_duplicate`` overrides.
    """
    refuse_read_only(actor)
    clean_name = one_line(name)
    if not clean_name or len(clean_name) > 200 or clean_name.startswith("/"):
        raise CustomerNameInvalid()
    clean_phone = one_line(phone)[:40] or None if phone else None
    if not allow_duplicate:
        duplicates = find_duplicates(session, actor, clean_name, clean_phone)
        if duplicates:
            raise DuplicateCustomer(duplicates)
    customer = Customer(
        name=clean_name, owner_id=actor.user_id, phone=clean_phone, created_at=now, updated_at=now
    )
    set_customer_name(customer, clean_name)
    session.add(customer)
    session.flush()
    assert customer.id is not None
    if contact_name and one_line(contact_name):
        session.add(
            Contact(
                customer_id=customer.id,
                name=one_line(contact_name)[:200],
                phone=clean_phone,
                created_at=now,
                updated_at=now,
            )
        )
        session.flush()
    return customer


def customer_card(session: Session, actor: Actor, customer_id: int, *, today: date) -> CustomerCard:
    """Everything a rep wants before walking in: facts, contacts, deals, next step, history,
    and what the customer still owes (``today`` in the reader's zone decides what is overdue)."""
    customer = visible_customer(session, actor, customer_id)
    owner = session.get(User, customer.owner_id)
    contacts = session.exec(
        select(Contact).where(Contact.customer_id == customer_id).order_by(col(Contact.id))
    ).all()
    deals = session.exec(
        select(Deal)
        .join(PipelineStage, col(Deal.stage_key) == col(PipelineStage.key))
        .where(
            Deal.customer_id == customer_id,
            col(PipelineStage.is_won).is_(False),
            col(PipelineStage.is_lost).is_(False),
        )
        .order_by(col(PipelineStage.sequence), col(Deal.id))
    ).all()
    follow_up = session.exec(
        select(Touch)
        .where(
            Touch.customer_id == customer_id,
            col(Touch.follow_up_at).is_not(None),
            col(Touch.follow_up_done_at).is_(None),
            col(Touch.deleted_at).is_(None),
        )
        .order_by(col(Touch.follow_up_at))
    ).first()
    touches = session.exec(
        select(Touch, User)
        .join(User, col(Touch.author_id) == col(User.id))
        .where(Touch.customer_id == customer_id, col(Touch.deleted_at).is_(None))
        .order_by(col(Touch.created_at).desc(), col(Touch.id).desc())
        .limit(5)
    ).all()
    assert customer.id is not None
    return CustomerCard(
        customer_id=customer.id,
        name=customer.name,
        tier=customer.tier,
        industry=customer.industry,
        address=customer.address,
        phone=customer.phone,
        owner_name=owner.full_name if owner else "",
        manual_tier=manual_tier_of(customer),
        computed_tier=customer.computed_tier,
        rfm=customer.rfm,
        lifecycle=customer.lifecycle,
        payment_terms_days=customer.payment_terms_days,
        credit_limit=customer.credit_limit,
        max_discount_pct=customer.max_discount_pct,
        timeframe=customer.timeframe,
        contacts=[
            ContactLine(
                contact_id=c.id or 0,
                name=c.name,
                title=c.title,
                phone=c.phone,
                birthday=birthday_text(c.birth_month, c.birth_day, c.birth_year),
            )
            for c in contacts
        ],
        open_deals=[
            OpenDeal(
                deal_id=deal.id or 0,
                title=deal.title,
                stage_key=deal.stage_key,
                amount=deal.amount,
                currency=deal.currency,
            )
            for deal in deals
        ],
        next_follow_up=follow_up.follow_up_at if follow_up else None,
        next_follow_up_has_time=follow_up.follow_up_has_time if follow_up else False,
        last_touches=[
            TouchLine(
                touch_id=touch.id or 0,
                kind=touch.kind,
                notes=touch.notes,
                next_step=touch.next_step,
                author_name=author.full_name,
                created_at=touch.created_at,
            )
            for touch, author in touches
        ],
        unpaid=unpaid_for_customer(session, actor, customer_id, today=today),
    )


# Who set a customer's terms directly (recorded in the change history): the second step of a
# terms request is finance's or a director's, so they may; admins keep the company's settings.
# A manager's change is a request (⚙️ Ask for terms), approved at their step, that finance or a
# director decides (``bot.services.approvals``).
TERMS_ROLES = (Role.DIRECTOR, Role.FINANCE, Role.ADMIN)
TERM_FIELDS = ("discount", "days", "credit")


class TermsInvalid(ServiceError):
    template = "customers/terms_invalid"


def may_set_terms(actor: Actor) -> bool:
    """Whether the person sets a customer's discount, payment terms or credit directly."""
    return actor.role in TERMS_ROLES


def check_term(field: str, value: Decimal | None) -> None:
    """Refuse a value a term cannot take (TermsInvalid), or an unknown term (NotFound)."""
    if field == "discount":
        if value is not None and not (
            Decimal(0) <= value <= Decimal(100) and value == round(value, 2)
        ):
            raise TermsInvalid(field=field)
    elif field == "days":
        if value is None or value != int(value) or not 0 <= value <= 365:
            raise TermsInvalid(field=field)
    elif field == "credit":
        if value is None or value < 0 or value != round(value, 2):
            raise TermsInvalid(field=field)
    else:
        raise NotFound()


def term_value(customer: Customer, field: str) -> Decimal | None:
    """A customer's current value of one term (None: no discount limit of its own)."""
    if field == "discount":
        return customer.max_discount_pct
    if field == "days":
        return Decimal(customer.payment_terms_days)
    return customer.credit_limit


def apply_term(customer: Customer, field: str, value: Decimal | None) -> None:
    """Write a checked value of one term on the customer (the caller checked who may)."""
    if field == "discount":
        customer.max_discount_pct = value
    elif field == "days":
        customer.payment_terms_days = int(value or 0)
    else:
        customer.credit_limit = value or Decimal(0)


def set_terms(
    session: Session,
    actor: Actor,
    customer_id: int,
    field: str,
    value: Decimal | None,
    *,
    now: datetime,
) -> str:
    """Set one of a customer's commercial terms; returns the customer's name.

    ``discount``: the deepest discount (0–100 %, or None for no limit of the customer's own)
    a quote may give without approval; ``days``: payment terms (0–365); ``credit``: the
    credit limit (0 or more, cents)."""
    if not may_set_terms(actor):
        raise NotAllowed()
    customer = visible_customer(session, actor, customer_id)
    check_term(field, value)
    apply_term(customer, field, value)
    customer.updated_at = now
    session.flush()
    return customer.name
