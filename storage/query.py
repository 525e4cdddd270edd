"""The search query language: parsed once into a small tree, compiled for each backend.

Syntax (docs/schema.md is the reference for users):

- words: all must match (``Armenia Khojaly``); ``AND`` may be written;
- ``"a phrase"``; ``OR``; ``-word``, ``NOT word`` and ``a NOT b`` exclude;
  parentheses group; ``prefix*``; ``title:`` and ``body:`` filter by column;
- punctuation is text: a chunk such as ``u.n.``, ``O'Brien`` or ``C++`` is
  split into words where the indexes split it (``"u n"``, ``"o brien"``, ``c``);
- a release number in any spelling (``No:312/25``, ``No312/25``, ``312/25``,
  ``no31225``) matches the documents whose doc_number is that number, or
  whose text has the number.

`parse` turns a query into a tree of `Term`, `Prefix`, `Phrase`, `Release`,
`And`, `Or`, `Not` and `Column`, or raises SearchQueryError with a one-line
reason. `to_fts5` and `to_tsquery` compile a tree without its release numbers'
doc_number half; `conditions` says how storage.search combines the compiled
text with doc_number conditions in SQL.

Both indexes fold the same letters (migration 0010), and so does `fold` for
the query: ə to e and ı to i (letters of their own to Unicode, which neither
FTS5's remove_diacritics nor unaccent folds), ё to е, İ to i, then lower case.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import product

from storage.errors import SearchQueryError

# --- the tree ----------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    word: str  # folded: one word as the index holds it


@dataclass(frozen=True)
class Prefix:
    word: str  # matches every word that begins with it


@dataclass(frozen=True)
class Phrase:
    words: tuple[str, ...]  # in this order, adjacent
    prefix: bool = False  # the last word is a prefix


@dataclass(frozen=True)
class Release:
    number: str  # as documents.doc_number has it: "312/25"
    texts: tuple[tuple[str, ...], ...]  # the number as words in a text: ("312", "25")


@dataclass(frozen=True)
class And:
    members: tuple[Node, ...]  # at least one is not a Not


@dataclass(frozen=True)
class Or:
    members: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    child: Node  # only ever a member of an And: it excludes from the others


@dataclass(frozen=True)
class Column:
    name: str  # "title" or "body"
    child: Node  # never holds a Release (a column holds text only) or another Column


Node = Term | Prefix | Phrase | Release | And | Or | Not | Column

COLUMNS = ("title", "body")
MAX_QUERY_LENGTH = 2000
MAX_TERMS = 64  # words, phrases and numbers in one query
MAX_DEPTH = 16  # nested parentheses
MAX_WORD_LENGTH = 100

# --- folding and words ---------------------------------------------------------

# What both indexes fold beyond their tokenizers (migration 0010's SQL does the same).
_FOLD = str.maketrans({"ə": "e", "Ə": "e", "ı": "i", "İ": "i", "ё": "е", "Ё": "е"})
_WORD = re.compile(r"[^\W_]+")  # letters and digits: what FTS5 and PostgreSQL keep


def fold(text: str) -> str:
    """Text as the indexes compare it (before their own diacritic folding)."""
    return unicodedata.normalize("NFC", text).translate(_FOLD).lower()


def words(text: str) -> list[str]:
    """The words of a piece of query text, folded: punctuation separates."""
    return _WORD.findall(fold(text))


# --- release numbers -----------------------------------------------------------

_TRAILING = ".,;:!?"
_RELEASE = re.compile(r"(?:(?:no|№)\s*[:.]?\s*)?(\d{1,4})\s*/\s*(\d{2})", re.IGNORECASE | re.ASCII)
# as in the site's URLs, where the number always has three digits or four
_RELEASE_SLUG = re.compile(r"no(\d{3,4})(\d{2})", re.IGNORECASE | re.ASCII)
_NUMBER_SIGN = {"no", "no:", "no.", "№", "№:"}


def release(text: str) -> Release | None:
    """A release number in any of its spellings, or None."""
    text = text.strip().rstrip(_TRAILING)
    match = _RELEASE.fullmatch(text) or _RELEASE_SLUG.fullmatch(text)
    if match is None:
        return None
    digits, year = match.groups()
    spellings = dict.fromkeys((digits, str(int(digits)), f"{int(digits):03d}"))
    return Release(f"{int(digits):03d}/{year}", tuple((d, year) for d in spellings))


# --- lexer ---------------------------------------------------------------------

_LP, _RP, _OR, _AND, _NOT, _NEG, _COL, _TEXT = "(", ")", "OR", "AND", "NOT", "-", "COL", "TEXT"
_COLUMN = re.compile(r"([^\W\d_]+):(.*)", re.DOTALL)


@dataclass
class _Token:
    kind: str
    value: str = ""
    node: Node | None = None


@dataclass
class _Lexer:
    query: str
    tokens: list[_Token] = field(default_factory=list)

    def run(self) -> list[_Token]:
        query, i = self.query, 0
        while i < len(query):
            char = query[i]
            if char.isspace():
                i += 1
            elif char in "()":
                self.tokens.append(_Token(char))
                i += 1
            elif char == '"':
                end = query.find('"', i + 1)
                if end < 0:
                    raise _error(query, "unterminated phrase")
                content, i = query[i + 1 : end], end + 1
                prefix = i < len(query) and query[i] == "*"
                while i < len(query) and query[i] == "*":
                    i += 1
                self._text(content, prefix, quoted=True)
            else:
                end = i
                while end < len(query) and not query[end].isspace() and query[end] not in '()"':
                    end += 1
                self._chunk(query[i:end], query[end : end + 1])
                i = end
        return _drop_number_signs(self.tokens)

    def _chunk(self, chunk: str, following: str) -> None:
        """A run of text between spaces, parentheses and quotes; ``following``
        is the character after it ("" at the end, a space, a parenthesis or a quote)."""
        if chunk in (_OR, _AND, _NOT):
            self.tokens.append(_Token(chunk))
            return
        if chunk.startswith("-"):
            rest = chunk.lstrip("-")
            if rest or following in ('"', "("):
                self.tokens.append(_Token(_NEG))
            if not rest:
                return  # a dash alone is punctuation
            chunk = rest
        column = _COLUMN.fullmatch(chunk)
        if column is not None and release(chunk) is None:
            name, rest = column.group(1), column.group(2)
            if name.lower() in COLUMNS:
                self.tokens.append(_Token(_COL, name.lower()))
                if rest:
                    self._chunk(rest, following)
                return
            if rest[:1].isalnum() or rest[:1] in ('"', "(") or (not rest and following in '"('):
                raise _error(self.query, f"no such column: {name} (there are title: and body:)")
        self._text(chunk, prefix=chunk.endswith("*"), quoted=False)

    def _text(self, text: str, prefix: bool, quoted: bool) -> None:
        number = None if prefix else release(text)
        if number is not None:
            self.tokens.append(_Token(_TEXT, text, number))
            return
        found = words(text)
        if any(len(word) > MAX_WORD_LENGTH for word in found):
            raise _error(self.query, f"a word longer than {MAX_WORD_LENGTH} characters")
        if found:
            self.tokens.append(_Token(_TEXT, text, _text_node(found, prefix)))
        elif quoted:
            self.tokens.append(_Token(_TEXT, text, None))  # "" or "!!!": nothing to look for


def _text_node(found: list[str], prefix: bool) -> Term | Prefix | Phrase:
    if len(found) > 1:
        return Phrase(tuple(found), prefix)
    return Prefix(found[0]) if prefix else Term(found[0])


def _drop_number_signs(tokens: list[_Token]) -> list[_Token]:
    """``No 312/25``, ``№ 312/25``: the sign before a release number is part of it."""
    kept: list[_Token] = []
    for token in tokens:
        previous = kept[-1] if kept else None
        if (
            isinstance(token.node, Release)
            and previous is not None
            and previous.kind == _TEXT
            and previous.value.lower() in _NUMBER_SIGN
        ):
            kept.pop()
        kept.append(token)
    return kept


# --- parser --------------------------------------------------------------------


def parse(query: str) -> Node:
    """The query's tree; SearchQueryError, in one line, if it is not valid syntax."""
    if not query.strip():
        raise SearchQueryError("empty search query")
    if len(query) > MAX_QUERY_LENGTH:
        raise _error(query, f"longer than {MAX_QUERY_LENGTH} characters")
    return _Parser(query, _Lexer(query).run()).run()


@dataclass
class _Parser:
    query: str
    tokens: list[_Token]
    at: int = 0
    depth: int = 0
    terms: int = 0

    def run(self) -> Node:
        node = self._or()
        if self._peek() == _RP:
            raise self._fail("unbalanced )")
        if node is None:
            raise SearchQueryError(f"search query {_shown(self.query)} has no word to search for")
        return node

    def _peek(self) -> str | None:
        return self.tokens[self.at].kind if self.at < len(self.tokens) else None

    def _next(self) -> _Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def _fail(self, reason: str) -> SearchQueryError:
        return _error(self.query, reason)

    def _or(self) -> Node | None:
        members = []
        while True:
            if self._peek() == _OR:
                raise self._fail("OR needs a term before it")
            member = self._and()
            if member is not None:
                members.append(member)
            if self._peek() != _OR:
                break
            self._next()
            if self._peek() in (None, _RP, _OR, _AND):
                raise self._fail("OR needs a term after it")
        if not members:
            return None
        return members[0] if len(members) == 1 else Or(tuple(_flatten(Or, members)))

    def _and(self) -> Node | None:
        members: list[Node] = []
        while self._peek() not in (None, _RP, _OR):
            if self._peek() == _AND:
                self._next()
                if not members:
                    raise self._fail("AND needs a term before it")
                if self._peek() in (None, _RP, _OR, _AND):
                    raise self._fail("AND needs a term after it")
                continue
            negate = self._peek() in (_NOT, _NEG)
            if negate:
                sign = "NOT" if self._next().kind == _NOT else "-"
                if self._peek() in (None, _RP, _OR, _AND, _NOT, _NEG):
                    raise self._fail(f"{sign} needs a term after it")
            node = self._primary(in_column=False)
            if node is not None:
                members.append(Not(node) if negate else node)
        if not members:
            return None
        if all(isinstance(member, Not) for member in members):
            # FTS5 cannot list "every document but", and a scan of all is no search
            raise SearchQueryError(
                f"search query {_shown(self.query)} only excludes: add a word to look for"
            )
        return members[0] if len(members) == 1 else And(tuple(_flatten(And, members)))

    def _primary(self, in_column: bool) -> Node | None:
        token = self._next()
        if token.kind == _LP:
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise self._fail(f"more than {MAX_DEPTH} nested parentheses")
            node = self._or()
            if self._peek() != _RP:
                raise self._fail("unbalanced (")
            self._next()
            self.depth -= 1
            if node is None:
                raise self._fail("nothing between ( and )")
            return self._in_column(node) if in_column else node
        if token.kind == _COL:
            if in_column or self._peek() == _COL:
                raise self._fail("a column filter inside another")
            if self._peek() not in (_LP, _TEXT):
                raise self._fail(f"{token.value}: needs a word, phrase or group after it")
            child = self._primary(in_column=True)
            if child is None:
                raise self._fail(f"{token.value}: needs a word, phrase or group after it")
            return Column(token.value, child)
        if token.kind == _TEXT:
            if token.node is None:
                return None
            self.terms += 1
            if self.terms > MAX_TERMS:
                raise self._fail(f"more than {MAX_TERMS} words, phrases and numbers")
            return self._in_column(token.node) if in_column else token.node
        if token.kind == _RP:
            raise self._fail("unbalanced )")
        raise self._fail(f"{token.kind} needs a term before it")  # OR, AND, NOT

    def _in_column(self, node: Node) -> Node:
        """Within title: or body:, a release number is only its words (doc_number
        is no column)."""
        match node:
            case Release(texts=texts):
                return _join(Or, [Phrase(text) for text in texts])
            case And(members=members):
                return And(tuple(self._in_column(member) for member in members))
            case Or(members=members):
                return Or(tuple(self._in_column(member) for member in members))
            case Not(child=child):
                return Not(self._in_column(child))
            case Column():
                raise self._fail("a column filter inside another")
        return node


def _flatten(kind: type[And] | type[Or], members: list[Node]) -> Iterator[Node]:
    for member in members:
        if isinstance(member, kind):
            yield from member.members
        else:
            yield member


def _join(kind: type[And] | type[Or], members: list[Node]) -> Node:
    return members[0] if len(members) == 1 else kind(tuple(members))


def _shown(query: str) -> str:
    return repr(query if len(query) <= 80 else query[:77] + "...")


def _error(query: str, reason: str) -> SearchQueryError:
    return SearchQueryError(f"malformed search query {_shown(query)}: {reason}")


# --- what the SQL combines -------------------------------------------------------


@dataclass(frozen=True)
class Text:
    """A part of the query without release numbers: one full-text match."""

    node: Node


@dataclass(frozen=True)
class Numbered:
    """Documents whose doc_number is one of these."""

    numbers: tuple[str, ...]


@dataclass(frozen=True)
class AllOf:
    parts: tuple[Condition, ...]


@dataclass(frozen=True)
class AnyOf:
    parts: tuple[Condition, ...]


@dataclass(frozen=True)
class NoneOf:
    part: Condition


Condition = Text | Numbered | AllOf | AnyOf | NoneOf


def has_release(node: Node) -> bool:
    match node:
        case Release():
            return True
        case And(members=members) | Or(members=members):
            return any(has_release(member) for member in members)
        case Not(child=child) | Column(child=child):
            return has_release(child)
    return False


def conditions(node: Node) -> Condition:
    """The query as full-text matches and doc_number conditions, for SQL to
    combine: a query without release numbers is one Text."""
    if not has_release(node):
        return Text(node)
    match node:
        case Release(number=number):
            return AnyOf((Text(node), Numbered((number,))))
        case Or(members=members):
            text = [member for member in members if not has_release(member)]
            rest = [conditions(member) for member in members if has_release(member)]
            return AnyOf(((Text(_join(Or, text)),) if text else ()) + tuple(rest))
        case And(members=members):
            text = [m for m in members if not has_release(m)]
            if all(isinstance(m, Not) for m in text):  # the words alone cannot be a match
                parts = [NoneOf(Text(m.child)) for m in text if isinstance(m, Not)]
            else:
                parts = [Text(_join(And, text))]
            for member in members:
                if has_release(member):
                    parts.append(
                        NoneOf(conditions(member.child))
                        if isinstance(member, Not)
                        else conditions(member)
                    )
            return AllOf(tuple(parts))
        case Not(child=child):
            return NoneOf(conditions(child))
    raise AssertionError(f"unexpected node {node!r}")  # a Column holds no Release


def releases(node: Node) -> tuple[str, ...]:
    """The release numbers the query names, in order."""
    match node:
        case Release(number=number):
            return (number,)
        case And(members=members) | Or(members=members):
            return tuple(dict.fromkeys(n for member in members for n in releases(member)))
        case Not():
            return ()  # excluded, not looked for
        case Column(child=child):
            return releases(child)
    return ()


def positive(node: Node) -> Node:
    """The query without what it excludes: what a hit's rank and snippet
    look for. Every hit matches it, or is a release the query names."""
    match node:
        case And(members=members):
            kept = [positive(member) for member in members if not isinstance(member, Not)]
            return _join(And, kept)
        case Or(members=members):
            return Or(tuple(positive(member) for member in members))
        case Column(name=name, child=child):
            return Column(name, positive(child))
    return node


def query_words(node: Node) -> set[str]:
    """Every whole word of the query (not prefixes or release numbers)."""
    match node:
        case Term(word=word):
            return {word}
        case Phrase(words=found, prefix=prefix):
            return set(found[:-1] if prefix else found)
        case And(members=members) | Or(members=members):
            return set().union(*(query_words(member) for member in members))
        case Not(child=child) | Column(child=child):
            return query_words(child)
    return set()


# --- FTS5 ----------------------------------------------------------------------

# Alternatives to a word: the other forms of a Russian word (RussianForms).
Forms = Callable[[str], tuple[str, ...]]
MAX_PHRASE_VARIANTS = 64


def to_fts5(
    node: Node, forms: Forms | None = None, prefix: Callable[[str], str] | None = None
) -> str:
    """FTS5 MATCH text: every word quoted (FTS5 folds case and diacritics of
    it as of the index), operators explicit and grouped. ``forms`` gives each
    whole word's alternatives, ``prefix`` the prefix to match for word*."""

    def alternatives(word: str) -> tuple[str, ...]:
        return forms(word) if forms is not None else (word,)

    def compile_(node: Node) -> str:
        match node:
            case Term(word=word):
                return _fts_any([_fts_string(form) for form in alternatives(word)])
            case Prefix(word=word):
                return _fts_string(prefix(word) if prefix is not None else word) + "*"
            case Phrase(words=found, prefix=is_prefix):
                return _fts_phrase(found, is_prefix, alternatives, prefix)
            case Release(texts=texts):
                return _fts_any([_fts_string(" ".join(text)) for text in texts])
            case Or(members=members):
                return " OR ".join(_fts_group(member, compile_) for member in members)
            case And(members=members):
                wanted = [m for m in members if not isinstance(m, Not)]
                text = " AND ".join(_fts_group(member, compile_) for member in wanted)
                excluded = [m.child for m in members if isinstance(m, Not)]
                if excluded and len(wanted) > 1:
                    text = f"({text})"
                for child in excluded:  # FTS5's NOT is binary: (a AND b) NOT c NOT d
                    text = f"{text} NOT {_fts_group(child, compile_)}"
                return text
            case Column(name=name, child=child):
                return f"{name} : {_fts_group(child, compile_)}"
            case Not():
                raise AssertionError("a Not outside an And")  # parse() never makes one
        raise AssertionError(f"unexpected node {node!r}")

    return compile_(node)


def _fts_string(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _fts_any(items: list[str]) -> str:
    return items[0] if len(items) == 1 else "(" + " OR ".join(items) + ")"


def _fts_group(node: Node, compile_: Callable[[Node], str]) -> str:
    text = compile_(node)
    return f"({text})" if isinstance(node, And | Or) else text


def _fts_phrase(
    found: tuple[str, ...],
    is_prefix: bool,
    alternatives: Callable[[str], tuple[str, ...]],
    prefix: Callable[[str], str] | None,
) -> str:
    whole = found[:-1] if is_prefix else found
    last = [prefix(found[-1]) if prefix is not None else found[-1]] if is_prefix else []
    choices = [alternatives(word) for word in whole]
    count = 1
    for choice in choices:
        count *= len(choice)
    if count > MAX_PHRASE_VARIANTS:  # too many forms to spell out: each word's stem as a prefix
        stem = prefix if prefix is not None else (lambda word: word)
        return " + ".join(_fts_string(stem(word)) + "*" for word in found)
    star = "*" if is_prefix else ""
    return _fts_any(
        [_fts_string(" ".join([*variant, *last])) + star for variant in product(*choices)]
    )


# --- PostgreSQL tsquery ----------------------------------------------------------

# title: and body: as the tsvector's weights (mfa_search_vector: title A, body B).
_WEIGHTS = {"title": "A", "body": "B"}


def to_tsquery(node: Node) -> str:
    """to_tsquery() input: every word a quoted lexeme that the document's
    configuration folds and stems as it did the document's words; phrases as
    <->, word* as :*, title: and body: as weights."""

    def compile_(node: Node, weight: str) -> str:
        match node:
            case Term(word=word):
                return _lexeme(word, weight)
            case Prefix(word=word):
                return _lexeme(word, "*" + weight)
            case Phrase(words=found, prefix=is_prefix):
                marks = [weight] * (len(found) - 1) + [("*" if is_prefix else "") + weight]
                return " <-> ".join(_lexeme(w, m) for w, m in zip(found, marks, strict=True))
            case Release(texts=texts):
                return " | ".join(compile_(Phrase(text), weight) for text in texts)
            case Or(members=members):
                return " | ".join(_ts_group(member, weight, compile_) for member in members)
            case And(members=members):
                return " & ".join(
                    "!" + _ts_group(member.child, weight, compile_)
                    if isinstance(member, Not)
                    else _ts_group(member, weight, compile_)
                    for member in members
                )
            case Column(name=name, child=child):
                return compile_(child, _WEIGHTS[name])
            case Not():
                raise AssertionError("a Not outside an And")
        raise AssertionError(f"unexpected node {node!r}")

    return compile_(node, "")


def _lexeme(word: str, mark: str) -> str:
    quoted = "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"
    return f"{quoted}:{mark}" if mark else quoted


def _ts_group(node: Node, weight: str, compile_: Callable[[Node, str], str]) -> str:
    """A member of &, | or !: parenthesized unless a single lexeme."""
    text = compile_(node, weight)
    inner = node.child if isinstance(node, Column) else node
    return text if isinstance(inner, Term | Prefix) else f"({text})"


# --- Russian -------------------------------------------------------------------
#
# PostgreSQL stems the words of Russian documents (Snowball's Russian stemmer,
# in mfa_ru); FTS5 has no Russian stemmer. So that a Russian word finds the
# same Russian documents on SQLite, storage.search looks up the indexed words
# that begin with its stem and keeps those with the same stem (RussianForms).
# russian_stem is Snowball's algorithm (snowballstem.org, russian.sbl, as
# PostgreSQL 15 ships it); tests check it against PostgreSQL's russian_stem.

_VOWELS = frozenset("аеиоуыэюя")
_GERUND_AFTER_A = ("вшись", "вши", "в")
_GERUND = ("ывшись", "ившись", "ывши", "ивши", "ыв", "ив")
_ADJECTIVE = tuple(
    "ее ие ые ое ими ыми ей ий ый ой ем им ым ом его ого ему ому их ых ую юю ая яя ою ею".split()
)
_PARTICIPLE_AFTER_A = ("ем", "нн", "вш", "ющ", "щ")
_PARTICIPLE = ("ивш", "ывш", "ующ")
_REFLEXIVE = ("ся", "сь")
_VERB_AFTER_A = tuple("ла на ете йте ли й л ем н ло но ет ют ны ть ешь нно".split())
_VERB = tuple(
    "ила ыла ена ейте уйте ите или ыли ей уй ил ыл им ым ен ило ыло ено ят ует уют ит ыт ены "
    "ить ыть ишь ую ю".split()
)
_NOUN = tuple(
    "а ев ов ие ье е иями ями ами еи ии и ией ей ой ий й иям ям ием ем ам ом о у ах иях ях ы ь "
    "ию ью ю ия ья я".split()
)
_CYRILLIC = re.compile(r"[а-яё]")


def russian_stem(word: str) -> str:
    """The stem PostgreSQL's russian_stem gives a lower-case word (stop words aside)."""
    word = word.replace("ё", "е")
    rv, r2 = _russian_regions(word)
    found = _suffix(word, rv, _GERUND_AFTER_A, _GERUND)
    if found is not None and _allowed(word, found, rv):
        word = word[: -len(found[0])]
    else:
        if (reflexive := _suffix(word, rv, _REFLEXIVE)) is not None:
            word = word[: -len(reflexive[0])]
        if (adjective := _suffix(word, rv, _ADJECTIVE)) is not None:
            word = word[: -len(adjective[0])]
            found = _suffix(word, rv, _PARTICIPLE_AFTER_A, _PARTICIPLE)
            if found is not None and _allowed(word, found, rv):
                word = word[: -len(found[0])]
        elif (found := _suffix(word, rv, _VERB_AFTER_A, _VERB)) is not None and _allowed(
            word, found, rv
        ):
            word = word[: -len(found[0])]
        elif (noun := _suffix(word, rv, _NOUN)) is not None:
            word = word[: -len(noun[0])]
    if word.endswith("и") and len(word) - 1 >= rv:
        word = word[:-1]
    found = _suffix(word, rv, ("ость", "ост"))
    if found is not None and len(word) - len(found[0]) >= r2:
        word = word[: -len(found[0])]
    found = _suffix(word, rv, ("ейше", "ейш", "н", "ь"))
    if found is not None:
        if found[0] == "ь":
            word = word[:-1]
        else:
            if found[0] != "н":
                word = word[: -len(found[0])]
            if word.endswith("нн") and len(word) - 2 >= rv:
                word = word[:-1]
    return word


def _russian_regions(word: str) -> tuple[int, int]:
    """RV (after the first vowel) and R2, as offsets; len(word) when absent."""
    marks, i = [], 0
    for want_vowel in (True, False, True, False):
        while i < len(word) and (word[i] in _VOWELS) != want_vowel:
            i += 1
        if i >= len(word):
            break
        i += 1
        marks.append(i)
    return (marks[0] if marks else len(word)), (marks[3] if len(marks) == 4 else len(word))


def _suffix(word: str, limit: int, *groups: tuple[str, ...]) -> tuple[str, int] | None:
    """The longest of the suffixes (and its group) that ends word within its region."""
    best: tuple[str, int] | None = None
    for index, group in enumerate(groups):
        for suffix in group:
            fits = word.endswith(suffix) and len(word) - len(suffix) >= limit
            if fits and (best is None or len(suffix) > len(best[0])):
                best = (suffix, index)
    return best


def _allowed(word: str, found: tuple[str, int], limit: int) -> bool:
    """Group 0 endings count only after а or я (in the region)."""
    suffix, group = found
    at = len(word) - len(suffix) - 1
    return group == 1 or (at >= limit and word[at] in "ая")


def is_russian(word: str) -> bool:
    return _CYRILLIC.search(word) is not None


@dataclass(frozen=True)
class RussianForms:
    """Each Russian word of a query with the indexed words of the same stem."""

    forms: Mapping[str, tuple[str, ...]]

    def __call__(self, word: str) -> tuple[str, ...]:
        return self.forms.get(word, (word,))

    @staticmethod
    def prefix(word: str) -> str:
        # PostgreSQL stems a prefix too: Азербайджана* looks for stems beginning азербайджа
        return russian_stem(word) if is_russian(word) else word
