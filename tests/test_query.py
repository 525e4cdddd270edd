"""The query language: the parser's trees, the two compilers' exact output, errors."""

from __future__ import annotations

import pytest

from storage.errors import SearchQueryError
from storage.query import (
    AllOf,
    And,
    AnyOf,
    Column,
    NoneOf,
    Not,
    Numbered,
    Or,
    Phrase,
    Prefix,
    Release,
    RussianForms,
    Term,
    Text,
    conditions,
    fold,
    parse,
    positive,
    release,
    releases,
    russian_stem,
    to_fts5,
    to_tsquery,
    words,
)

R312 = Release("312/25", (("312", "25"),))


@pytest.mark.parametrize(
    ("query", "tree"),
    [
        ("Khojaly", Term("khojaly")),
        ("Armenia Khojaly", And((Term("armenia"), Term("khojaly")))),
        ("Armenia AND Khojaly", And((Term("armenia"), Term("khojaly")))),
        ("Armenia -Khojaly", And((Term("armenia"), Not(Term("khojaly"))))),
        ("Armenia NOT Khojaly", And((Term("armenia"), Not(Term("khojaly"))))),
        ("a OR b c", Or((Term("a"), And((Term("b"), Term("c")))))),
        ("(a OR b) c", And((Or((Term("a"), Term("b"))), Term("c")))),
        ("a (b c)", And((Term("a"), Term("b"), Term("c")))),  # flattened
        ('"peace process"', Phrase(("peace", "process"))),
        ('"peace process"*', Phrase(("peace", "process"), prefix=True)),
        ('"Khojaly"', Term("khojaly")),
        ("remem*", Prefix("remem")),
        ("u.n.", Phrase(("u", "n"))),
        ("O'Brien", Phrase(("o", "brien"))),
        ("C++", Term("c")),
        ("Nagorno-Karabakh", Phrase(("nagorno", "karabakh"))),
        ("a*b", Phrase(("a", "b"))),
        ("title:Khojaly", Column("title", Term("khojaly"))),
        ("title: Khojaly", Column("title", Term("khojaly"))),
        ('body:"peace process"', Column("body", Phrase(("peace", "process")))),
        ("TITLE:(a OR b)", Column("title", Or((Term("a"), Term("b"))))),
        ("-title:a b", And((Not(Column("title", Term("a"))), Term("b")))),
        ("Khojaly !!! -", Term("khojaly")),  # punctuation alone is no term
        ("https://mfa.gov.az/en", Phrase(("https", "mfa", "gov", "az", "en"))),
        ("Note: Khojaly", And((Term("note"), Term("khojaly")))),
        ("12:30", Phrase(("12", "30"))),
        ("or and not", And((Term("or"), Term("and"), Term("not")))),  # lower case: words
        ("Xocalı Cənubi", And((Term("xocali"), Term("cenubi")))),
        ("No:312/25", R312),
        ("No312/25", R312),
        ("312/25", R312),
        ('"312/25"', R312),
        ("no31225", R312),
        ("No 312/25", R312),
        ("№ 312/25,", R312),
        ("title:312/25", Column("title", Phrase(("312", "25")))),
        ("Khojaly 312/25", And((Term("khojaly"), R312))),
        ("312/25*", Phrase(("312", "25"), prefix=True)),  # a prefix is text
    ],
)
def test_parse(query, tree):
    assert parse(query) == tree


@pytest.mark.parametrize(
    ("spelling", "number", "texts"),
    [
        ("No:312/25", "312/25", (("312", "25"),)),
        ("no.072/26:", "072/26", (("072", "26"), ("72", "26"))),
        ("72/26", "072/26", (("72", "26"), ("072", "26"))),
        ("No: 438 / 20", "438/20", (("438", "20"),)),
        ("no07226", "072/26", (("072", "26"), ("72", "26"))),
        ("№1024/25", "1024/25", (("1024", "25"),)),
    ],
)
def test_release_numbers_in_any_spelling(spelling, number, texts):
    assert release(spelling) == Release(number, texts)


@pytest.mark.parametrize("text", ["312", "312/2025", "no312", "no1225", "Khojaly", "3.5", "1/2/3"])
def test_what_is_no_release_number(text):
    assert release(text) is None


@pytest.mark.parametrize(
    ("query", "fts5", "tsquery"),
    [
        ("Khojaly", '"khojaly"', "'khojaly'"),
        ("Armenia Khojaly", '"armenia" AND "khojaly"', "'armenia' & 'khojaly'"),
        ("Armenia -Khojaly", '"armenia" NOT "khojaly"', "'armenia' & !'khojaly'"),
        ("a b -c -d", '("a" AND "b") NOT "c" NOT "d"', "'a' & 'b' & !'c' & !'d'"),
        ("a -(b OR c)", '"a" NOT ("b" OR "c")', "'a' & !('b' | 'c')"),
        (
            "(Bayramov OR Khojaly) Armenia",
            '("bayramov" OR "khojaly") AND "armenia"',
            "('bayramov' | 'khojaly') & 'armenia'",
        ),
        ("a OR b c", '"a" OR ("b" AND "c")', "'a' | ('b' & 'c')"),
        ('"peace process"', '"peace process"', "'peace' <-> 'process'"),
        ('"peace pro"*', '"peace pro"*', "'peace' <-> 'pro':*"),
        ('a -"b c"', '"a" NOT "b c"', "'a' & !('b' <-> 'c')"),
        ("remem*", '"remem"*', "'remem':*"),
        ("title:remembrance", 'title : "remembrance"', "'remembrance':A"),
        ("title:remem*", 'title : "remem"*', "'remem':*A"),
        ('body:"a b"', 'body : "a b"', "'a':B <-> 'b':B"),
        ("title:(a OR b) c", 'title : ("a" OR "b") AND "c"', "('a':A | 'b':A) & 'c'"),
        ("-title:a b", '"b" NOT title : "a"', "!'a':A & 'b'"),
        ("u.n.", '"u n"', "'u' <-> 'n'"),
        ("O'Brien", '"o brien"', "'o' <-> 'brien'"),
        ("C++", '"c"', "'c'"),
        ("Xocalı İşlər", '"xocali" AND "işler"', "'xocali' & 'işler'"),  # FTS5 folds ş
        ("Ёлка", '"елка"', "'елка'"),
        # a release number's words; its doc_number half is SQL (conditions)
        ("No:312/25", '"312 25"', "'312' <-> '25'"),
        ("72/26", '("72 26" OR "072 26")', "'72' <-> '26' | '072' <-> '26'"),
        ("Khojaly 312/25", '"khojaly" AND "312 25"', "'khojaly' & ('312' <-> '25')"),
    ],
)
def test_compilers(query, fts5, tsquery):
    tree = parse(query)
    assert to_fts5(tree) == fts5
    assert to_tsquery(tree) == tsquery


def test_the_compilers_quote_what_they_must():
    assert to_fts5(Term('a"b')) == '"a""b"'
    assert to_tsquery(Term("a'b\\c")) == "'a''b\\\\c'"


@pytest.mark.parametrize(
    ("query", "condition"),
    [
        ("Khojaly -Armenia", Text(And((Term("khojaly"), Not(Term("armenia")))))),
        ("312/25", AnyOf((Text(R312), Numbered(("312/25",))))),
        (
            "Khojaly -Armenia 312/25",
            AllOf((
                Text(And((Term("khojaly"), Not(Term("armenia"))))),
                AnyOf((Text(R312), Numbered(("312/25",)))),
            )),
        ),
        (
            "312/25 -Armenia",
            AllOf((NoneOf(Text(Term("armenia"))), AnyOf((Text(R312), Numbered(("312/25",)))))),
        ),
        (
            "Shusha -312/25",
            AllOf((Text(Term("shusha")), NoneOf(AnyOf((Text(R312), Numbered(("312/25",))))))),
        ),
        (
            "a OR b OR 312/25",
            AnyOf((Text(Or((Term("a"), Term("b")))), AnyOf((Text(R312), Numbered(("312/25",)))))),
        ),
    ],
)  # fmt: skip
def test_conditions_put_release_numbers_apart(query, condition):
    assert conditions(parse(query)) == condition


def test_positive_and_releases():
    tree = parse("(Khojaly -Armenia) OR 312/25 -438/20")
    assert positive(tree) == Or((Term("khojaly"), R312))
    assert releases(tree) == ("312/25",)  # an excluded number is not looked for
    assert positive(parse("title:(a -b)")) == Column("title", Term("a"))


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "empty search query"),
        ("   ", "empty search query"),
        ("*", "has no word to search for"),
        ("!!!", "has no word to search for"),
        ('""', "has no word to search for"),
        ("-", "has no word to search for"),
        ("-Khojaly", "only excludes"),
        ("NOT Khojaly", "only excludes"),
        ("-a -b", "only excludes"),
        ("a OR -b", "only excludes"),
        ("a (-b)", "only excludes"),
        ('"unterminated', "malformed search query '\"unterminated': unterminated phrase"),
        ("(a", "unbalanced ("),
        ("a)", "unbalanced )"),
        ("()", "nothing between ( and )"),
        ("AND", "AND needs a term before it"),
        ("a AND", "AND needs a term after it"),
        ("OR a", "OR needs a term before it"),
        ("a OR", "OR needs a term after it"),
        ("a OR OR b", "OR needs a term after it"),
        ("a NOT", "NOT needs a term after it"),
        ("a -(", "unbalanced ("),
        ("foo:bar", "no such column: foo"),
        ('foo:"bar"', "no such column: foo"),
        ("title:", "title: needs a word, phrase or group after it"),
        ("title:-a", "title: needs a word, phrase or group after it"),
        ("title:body:a", "a column filter inside another"),
        ("title:(a body:b)", "a column filter inside another"),
        ("(" * 17 + "a" + ")" * 17, "more than 16 nested parentheses"),
        (" ".join(["a"] * 65), "more than 64 words"),
        ("a" * 101, "a word longer than 100 characters"),
        ("a " * 1001, "longer than 2000 characters"),
    ],
)
def test_errors_are_one_line(query, message):
    with pytest.raises(SearchQueryError) as error:
        parse(query)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_a_long_query_is_shortened_in_the_message():
    with pytest.raises(SearchQueryError) as error:
        parse("(" + "x " * 100)
    assert len(str(error.value)) < 150


def test_folding_and_words():
    assert fold("Xocalı ƏLİ İşlər Ёлка IŞIQ") == "xocali eli işler елка işiq"
    assert words("u.n. O'Brien C++ x_y 3.5 №312/25") == [
        "u", "n", "o", "brien", "c", "x", "y", "3", "5", "312", "25",
    ]  # fmt: skip
    assert words("Xocalı\u0000Cənubi\tşəhər") == ["xocali", "cenubi", "şeher"]


@pytest.mark.parametrize(
    ("word", "stem"),
    [
        # as PostgreSQL's russian_stem gives them (tests/test_search_backends.py compares more)
        ("азербайджан", "азербайджа"),
        ("азербайджана", "азербайджа"),
        ("азербайджане", "азербайджан"),
        ("азербайджаном", "азербайджан"),
        ("азербайджанской", "азербайджанск"),
        ("республики", "республик"),
        ("ёлками", "елк"),
        ("xocali", "xocali"),  # Latin: no Russian vowel, no region, no change
    ],
)
def test_russian_stem(word, stem):
    assert russian_stem(word) == stem


def test_russian_forms_in_fts5():
    forms = RussianForms({"азербайджан": ("азербайджан", "азербайджана"), "мира": ("мира",)})
    assert to_fts5(parse("Азербайджан"), forms, forms.prefix) == (
        '("азербайджан" OR "азербайджана")'
    )
    assert to_fts5(parse("Азербайджан*"), forms, forms.prefix) == '"азербайджа"*'
    assert to_fts5(parse('"Азербайджан мира"'), forms, forms.prefix) == (
        '("азербайджан мира" OR "азербайджана мира")'
    )
    assert to_fts5(parse("Xocali*"), forms, forms.prefix) == '"xocali"*'


def test_a_phrase_with_too_many_forms_becomes_stems_as_prefixes():
    many = tuple(f"слово{n}" for n in range(9))
    forms = RussianForms({"слово": many, "делами": many})
    assert to_fts5(parse('"слово делами"'), forms, forms.prefix) == '"слов"* + "дел"*'
