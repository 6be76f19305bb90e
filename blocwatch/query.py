"""The query language of text searches and query trends: Lucene-style, as in Media Cloud.

Syntax
======

==========================  =====================================================================
``Japan``                   a word: any inflection the article's language folds to the same base
                            form (``Япония`` finds Японии), case-insensitive; in Chinese,
                            Japanese or Korean script, the characters anywhere (北约 finds
                            北约成员国)
``"Asian NATO"``            a phrase: the words next to each other, in this order
``Japan AND NATO``          both; ``Japan NATO`` (two terms side by side) means the same: AND
                            is implicit
``Japan OR Korea``          either
``NOT Russia``              not; ``Japan NOT Russia`` is ``Japan AND NOT Russia``
``( ... )``                 grouping; without parentheses NOT binds tightest, then AND, then OR:
                            ``a OR b AND c`` is ``a OR (b AND c)``
``milit*``                  a prefix: any word whose base form starts with ``milit`` (at least
                            two characters before the ``*``; ``*`` only at the end of a word)
``title:NATO``              in the headline; also ``title:"Asian NATO"`` and ``title:(a OR b)``
``entity:japan``            any alias of the taxonomy entity ``japan`` in any language, its
                            options respected (``match: prefix``; ``case: exact`` for aliases in
                            capitals such as ``US``, which the lowercase ``us`` does not match)
==========================  =====================================================================

The operators are upper case (``and``, ``or`` and ``not`` are words). A query word is
analysed in every language of the articles searched, and the results OR-ed: ``ministers``
is the English base form ``minister`` or, say, a German word as written. Numbers and
punctuation are not indexed: a query word made only of them is an error.

What an article is to a query
=============================

``matches(query, doc)`` evaluates a query over one article analysed by
``blocwatch.fulltext.analyse`` (a ``Doc``): ``text`` is the sequence of the headline's terms,
a break term, and the body's terms; a term's position is its place in that sequence, a
phrase is a run of consecutive positions; ``title`` is the headline's terms alone;
``caps`` the acronyms as written. Words and phrases look in ``text`` (headline and body),
``title:`` in ``title``. The full-text index (``warehouse.textindex``) holds exactly these
fields, so the index and ``matches`` give the same answers (tests/test_query.py checks
both against hand-annotated articles).

``parse`` only checks syntax; ``compile`` resolves the words (analysis) and entities
(taxonomy) into a ``Plan`` of term lookups that both ``matches`` and the index evaluate.
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from blocwatch import fulltext
from blocwatch.fulltext import Doc
from blocwatch.taxonomy import Taxonomy

__all__ = ["And", "Char", "Caps", "Doc", "Entity", "Not", "Or", "Phrase", "Plan", "Query",
           "QuerySyntaxError", "Seq", "Title", "Word", "compile_query", "entity_ids",
           "matches", "parse"]

MIN_PREFIX = 2
FIELDS = ("title", "entity")


class QuerySyntaxError(ValueError):
    """A query that cannot be read: ``message``, the character ``position`` it points at and
    the ``query`` itself; ``str()`` is "<message> at <position>"."""

    def __init__(self, message: str, position: int, query: str) -> None:
        super().__init__(f"{message} at {position}")
        self.message = message
        self.position = position
        self.query = query

    def caret(self) -> str:
        """The message, the query and a ^ under the position (wide characters counted as
        two columns, as a terminal shows them)."""
        before = self.query[:self.position]
        pad = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in before)
        line = self.query.replace("\n", " ")
        return f"{self}\n{line}\n{' ' * pad}^"


# --- the AST ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Word:
    text: str
    prefix: bool = False
    pos: int = field(default=0, compare=False)

    def __str__(self) -> str:
        return self.text + ("*" if self.prefix else "")


@dataclass(frozen=True)
class Phrase:
    text: str
    pos: int = field(default=0, compare=False)

    def __str__(self) -> str:
        return f'"{self.text}"'


@dataclass(frozen=True)
class Entity:
    id: str
    pos: int = field(default=0, compare=False)

    def __str__(self) -> str:
        return f"entity:{self.id}"


@dataclass(frozen=True)
class Title:
    query: Query
    pos: int = field(default=0, compare=False)

    def __str__(self) -> str:
        inner = str(self.query)
        return f"title:{inner}" if isinstance(self.query, Word | Phrase) else f"title:({inner})"


@dataclass(frozen=True)
class Not:
    item: Query

    def __str__(self) -> str:
        return f"NOT {_wrapped(self.item)}"


@dataclass(frozen=True)
class And:
    items: tuple[Query, ...]

    def __str__(self) -> str:
        return " AND ".join(_wrapped(q) for q in self.items)


@dataclass(frozen=True)
class Or:
    items: tuple[Query, ...]

    def __str__(self) -> str:
        return " OR ".join(_wrapped(q, Or) for q in self.items)


Query = Word | Phrase | Entity | Title | Not | And | Or


def _wrapped(q: Query, same: type | None = None) -> str:
    if isinstance(q, And | Or) and not isinstance(q, same or ()):
        return f"({q})"
    return str(q)


def entity_ids(query: Query) -> list[str]:
    """The entities a query names, in order of appearance."""
    if isinstance(query, Entity):
        return [query.id]
    if isinstance(query, Title):
        return entity_ids(query.query)
    if isinstance(query, Not):
        return entity_ids(query.item)
    if isinstance(query, And | Or):
        return [i for q in query.items for i in entity_ids(q)]
    return []


# --- the parser ------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Tok:
    kind: Literal["(", ")", "phrase", "word", "AND", "OR", "NOT", "title", "entity", "end"]
    text: str
    pos: int


_SPECIAL = '()"'
_FIELD_RE = re.compile(r"([A-Za-z_]+):")
_ENTITY_RE = re.compile(r"[a-z][a-z0-9_]*")


def _lex(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c in "()":
            toks.append(_Tok(c, c, i))  # type: ignore[arg-type]
            i += 1
        elif c == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise QuerySyntaxError("unclosed '\"': the phrase has no closing quote", i,
                                       text)
            inner = text[i + 1:end]
            if not inner.strip():
                raise QuerySyntaxError("empty phrase", i, text)
            toks.append(_Tok("phrase", inner.strip(), i))
            i = end + 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in _SPECIAL:
                j += 1
            word = text[i:j]
            m = _FIELD_RE.match(word)
            if m:
                name = m.group(1)
                if name not in FIELDS:
                    raise QuerySyntaxError(
                        f"unknown field '{name}:' (fields: title:, entity:)", i, text)
                rest = i + len(m.group(0))
                if name == "title":
                    if rest >= n or text[rest].isspace() or text[rest] == ")":
                        raise QuerySyntaxError(
                            "title: needs a word, phrase or group right after it", rest, text)
                    toks.append(_Tok("title", name, i))
                    i = rest
                    continue
                ident = text[rest:j]
                if not _ENTITY_RE.fullmatch(ident):
                    raise QuerySyntaxError(
                        "entity: needs an entity id right after it (lowercase letters, "
                        "digits, _)", rest, text)
                toks.append(_Tok("entity", ident, i))
            elif word in ("AND", "OR", "NOT"):
                toks.append(_Tok(word, word, i))  # type: ignore[arg-type]
            else:
                star = word.find("*")
                if star >= 0 and star != len(word) - 1:
                    raise QuerySyntaxError("'*' is only allowed at the end of a word",
                                           i + star, text)
                if star >= 0 and len(word) - 1 < MIN_PREFIX:
                    raise QuerySyntaxError(
                        f"a prefix needs at least {MIN_PREFIX} characters before '*'", i,
                        text)
                toks.append(_Tok("word", word, i))
            i = j
    toks.append(_Tok("end", "", n))
    return toks


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = _lex(text)
        self.i = 0

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def fail(self, tok: _Tok, after: str = "") -> QuerySyntaxError:
        if tok.kind == "end":
            what = f"the query ends after {after}" if after else "the query ends too early"
            return QuerySyntaxError(f"{what}: a word, phrase or '(' is missing", tok.pos,
                                    self.text)
        shown = tok.text if tok.kind != "phrase" else f'"{tok.text}"'
        return QuerySyntaxError(f"unexpected '{shown}'", tok.pos, self.text)

    def query(self) -> Query:
        if self.peek().kind == "end":
            raise QuerySyntaxError("empty query", 0, self.text)
        q = self.or_expr()
        tok = self.peek()
        if tok.kind != "end":
            raise self.fail(tok)
        return q

    def or_expr(self) -> Query:
        items = [self.and_expr()]
        while self.peek().kind == "OR":
            self.take()
            items.append(self.and_expr("OR"))
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_expr(self, after: str = "") -> Query:
        items = [self.unary(after)]
        while True:
            kind = self.peek().kind
            if kind == "AND":
                self.take()
                items.append(self.unary("AND"))
            elif kind in ("(", "phrase", "word", "NOT", "title", "entity"):
                items.append(self.unary())  # implicit AND
            else:
                break
        return items[0] if len(items) == 1 else And(tuple(items))

    def unary(self, after: str = "") -> Query:
        if self.peek().kind == "NOT":
            self.take()
            return Not(self.unary("NOT"))
        return self.primary(after)

    def primary(self, after: str = "") -> Query:
        tok = self.take()
        if tok.kind == "(":
            if self.peek().kind == ")":
                raise QuerySyntaxError("empty parentheses", tok.pos, self.text)
            q = self.or_expr()
            close = self.peek()
            if close.kind != ")":
                if close.kind == "end":
                    raise QuerySyntaxError("missing ')' for this '('", tok.pos, self.text)
                raise self.fail(close)
            self.take()
            return q
        if tok.kind == "phrase":
            return Phrase(tok.text, tok.pos)
        if tok.kind == "word":
            prefix = tok.text.endswith("*")
            return Word(tok.text[:-1] if prefix else tok.text, prefix, tok.pos)
        if tok.kind == "entity":
            return Entity(tok.text, tok.pos)
        if tok.kind == "title":
            inner = self.peek()
            if inner.kind in ("title", "NOT"):
                raise QuerySyntaxError(f"title: takes a word, phrase or group, not "
                                       f"'{inner.text}'", inner.pos, self.text)
            return Title(self.primary("title:"), tok.pos)
        self.i -= 1
        raise self.fail(tok, after)


def parse(text: str) -> Query:
    """The AST of a query (see the module docstring); QuerySyntaxError when it cannot be
    read, pointing at the character where reading failed."""
    return _Parser(text).query()


# --- compiled plans --------------------------------------------------------------------------

FieldName = Literal["text", "title"]


@dataclass(frozen=True)
class Seq:
    """Terms at consecutive positions of a field; with ``prefix`` the last one only has to
    start with its term."""
    field: FieldName
    terms: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True)
class Char:
    """One Chinese, Japanese or Korean character anywhere in a field (in a bigram, or a run
    of its own)."""
    field: FieldName
    char: str


@dataclass(frozen=True)
class Caps:
    """An acronym as written, in the article (``field`` "text") or its headline."""
    field: FieldName
    word: str


@dataclass(frozen=True)
class AllOf:
    items: tuple[Plan, ...]


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Plan, ...]  # empty: matches nothing


@dataclass(frozen=True)
class NoneOf:
    item: Plan


Plan = Seq | Char | Caps | AllOf | AnyOf | NoneOf


def _any(items: Iterable[Plan]) -> Plan:
    unique = tuple(dict.fromkeys(items))
    return unique[0] if len(unique) == 1 else AnyOf(unique)


def _fold_prefix(stem: str) -> str:
    stem = unicodedata.normalize("NFKC", stem).lower().replace("’", "'")
    return stem.replace("ё", "е")


def _word_plan(word: str, prefix: bool, fld: FieldName, languages: Sequence[str], pos: int,
               query: str) -> Plan:
    word = unicodedata.normalize("NFKC", word)
    if len(word) == 1 and fulltext.is_cjk(word):
        return Char(fld, word)
    if prefix and not fulltext.is_cjk(word):
        parts = [p for p in re.split(r"[-‐‑]", word) if p]
        stem = _fold_prefix(parts[-1]) if parts else ""
        if len(stem) < MIN_PREFIX or not any(ch.isalnum() for ch in stem):
            raise QuerySyntaxError(f"a prefix needs at least {MIN_PREFIX} letters before "
                                   f"'*'", pos, query)
        heads = fulltext.alternatives("-".join(parts[:-1]), languages) if len(parts) > 1 \
            else {()}
        if not heads:
            heads = {()}
        return _any(Seq(fld, (*head, stem), True) for head in sorted(heads))
    alts = fulltext.alternatives(word, languages)
    if not alts:
        raise QuerySyntaxError(f"nothing to search for in '{word}': numbers and "
                               f"punctuation are not indexed", pos, query)
    return _any(Seq(fld, alt) for alt in sorted(alts))


def _is_acronym(text: str) -> bool:
    text = unicodedata.normalize("NFKC", text)
    return len(text) >= 2 and text.isupper() and text.isalnum()


def _entity_plan(entity_id: str, fld: FieldName, languages: Sequence[str],
                 taxonomy: Taxonomy | None, pos: int, query: str) -> Plan:
    entities = taxonomy.by_id() if taxonomy is not None else {}
    entity = entities.get(entity_id)
    if entity is None:
        close = difflib.get_close_matches(entity_id, list(entities), n=1)
        hint = f" (did you mean entity:{close[0]}?)" if close else ""
        if taxonomy is None:
            hint = " (no taxonomy given)"
        raise QuerySyntaxError(f"unknown entity '{entity_id}'{hint}", pos, query)
    plans: list[Plan] = []
    for alias in entity.aliases:
        if alias.case == "exact" and _is_acronym(alias.text):
            plans.append(Caps(fld, unicodedata.normalize("NFKC", alias.text)))
            continue
        langs = (alias.lang,) if alias.lang else languages
        try:
            plans.append(_word_plan(alias.text, alias.match == "prefix", fld, langs, pos,
                                    query))
        except QuerySyntaxError:
            continue  # an alias of digits only ("7") finds nothing in the index
    return _any(plans)


def compile_query(query: Query, *, languages: Iterable[str] = ("en",),
                  taxonomy: Taxonomy | None = None, text: str = "") -> Plan:
    """The term lookups of ``query``: words analysed in each of ``languages`` (OR-ed),
    entities resolved through ``taxonomy``; QuerySyntaxError (pointing into ``text``, the
    query as typed) for an unknown entity or a word with nothing to search for."""
    langs = tuple(dict.fromkeys(languages)) or ("en",)

    def walk(q: Query, fld: FieldName) -> Plan:
        if isinstance(q, Word):
            return _word_plan(q.text, q.prefix, fld, langs, q.pos, text)
        if isinstance(q, Phrase):
            return _word_plan(q.text, False, fld, langs, q.pos, text)
        if isinstance(q, Entity):
            return _entity_plan(q.id, fld, langs, taxonomy, q.pos, text)
        if isinstance(q, Title):
            return walk(q.query, "title")
        if isinstance(q, Not):
            return NoneOf(walk(q.item, fld))
        if isinstance(q, And):
            return AllOf(tuple(walk(i, fld) for i in q.items))
        return AnyOf(tuple(walk(i, fld) for i in q.items))

    return walk(query, "text")


# --- evaluation over one document ------------------------------------------------------------

@functools.lru_cache(maxsize=4096)
def _positions(seq: tuple[str, ...]) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for i, t in enumerate(seq):
        found.setdefault(t, []).append(i)
    return found


def _seq_in(plan: Seq, seq: tuple[str, ...]) -> bool:
    at = _positions(seq)
    terms = plan.terms
    last = len(terms) - 1
    if plan.prefix:
        stem = terms[-1]
        if last == 0:
            return any(t.startswith(stem) for t in at)
        starts = at.get(terms[0], [])
        return any(p + last < len(seq) and seq[p + last].startswith(stem)
                   and all(seq[p + k] == terms[k] for k in range(1, last)) for p in starts)
    starts = at.get(terms[0], [])
    if last == 0:
        return bool(starts)
    return any(seq[p:p + last + 1] == terms for p in starts)


def _eval(plan: Plan, doc: Doc) -> bool:
    if isinstance(plan, Seq):
        return _seq_in(plan, doc.text if plan.field == "text" else doc.title)
    if isinstance(plan, Char):
        seq = doc.text if plan.field == "text" else doc.title
        return any(len(t) <= 2 and plan.char in t for t in _positions(seq))
    if isinstance(plan, Caps):
        return (plan.word if plan.field == "text" else "^" + plan.word) in doc.caps
    if isinstance(plan, AllOf):
        return all(_eval(p, doc) for p in plan.items)
    if isinstance(plan, AnyOf):
        return any(_eval(p, doc) for p in plan.items)
    return not _eval(plan.item, doc)


def matches(query: Query | Plan, doc: Doc, *, languages: Iterable[str] = ("en",),
            taxonomy: Taxonomy | None = None) -> bool:
    """Whether an article (``blocwatch.fulltext.analyse``) matches a query: a parsed query
    (compiled here with ``languages`` and ``taxonomy``) or a compiled plan."""
    if not isinstance(query, Seq | Char | Caps | AllOf | AnyOf | NoneOf):
        query = compile_query(query, languages=languages, taxonomy=taxonomy)
    return _eval(query, doc)
