"""One query language, the same answers: an archive of realistic statements
(Azerbaijani with ə ı ş ç, English, Russian; some numbered) on SQLite and on
PostgreSQL, and queries whose hits are written down by hand for both."""

from __future__ import annotations

import datetime as dt
import re
import string
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from storage.archive import Archive
from storage.engine import make_engine
from storage.errors import SearchQueryError
from storage.migrate import upgrade
from storage.query import russian_stem
from storage.scratch import postgres_database
from storage.search import search
from tests.test_storage import record

# (lang, doc_number, published, title, body): the title is each document's key.
DOCUMENTS = [
    ("az", "072/25", "2025-02-26", "Xocalı soyqırımının ildönümü ilə bağlı bəyanat",
     "Azərbaycan Respublikası Xarici İşlər Nazirliyi Xocalı soyqırımının qurbanlarının "
     "xatirəsini ehtiramla yad edir. 1992-ci il fevralın 26-da Ermənistan silahlı "
     "qüvvələri Xocalı şəhərində dinc əhaliyə qarşı ağır cinayət törədib."),
    ("az", "312/25", "2025-09-10", "Cənubi Qafqazda sülh prosesi haqqında",
     "Xarici işlər naziri Ceyhun Bayramov Cənubi Qafqazda davamlı sülhün əsasları barədə "
     "danışıb. Bakı ilə İrəvan arasında sülh sazişinin mətni razılaşdırılıb."),
    ("az", "398/25", "2025-09-25", "Nazir BMT Baş Assambleyasında çıxış edib",
     "Ceyhun Bayramov BMT Baş Assambleyasının 80-ci sessiyasında çıxış edib. Nazir Şuşa "
     "şəhərinin bərpası və minalardan təmizlənməsi barədə məlumat verib."),
    ("az", None, "2025-03-03", "Mətbuat xidmətinin rəhbərinin şərhi",
     "XİN-in Mətbuat xidmətinin rəhbəri Aykhan Hajizada jurnalistlərin suallarını "
     "cavablandırıb. O, Bakıda keçirilən görüş barədə məlumat verib. İŞIQLI GƏLƏCƏK "
     "naminə əməkdaşlıq davam edir."),
    ("en", "072/25", "2025-02-26", "Statement on the 33rd anniversary of the Khojaly genocide",
     "The Ministry of Foreign Affairs of the Republic of Azerbaijan commemorates the victims "
     "of the Khojaly genocide. On 26 February 1992 the armed forces of Armenia committed a "
     "grave crime against the civilian population of Khojaly."),
    ("en", "312/25", "2025-09-10", "On the peace process in the South Caucasus",
     "Minister Jeyhun Bayramov spoke about the foundations of a lasting peace in the South "
     "Caucasus. The text of the peace agreement between Azerbaijan and Armenia has been "
     "agreed."),
    ("en", "398/25", "2025-09-25", "Minister addresses the UN General Assembly",
     "Jeyhun Bayramov addressed the 80th session of the U.N. General Assembly. The Minister "
     "informed the delegates about the reconstruction of Shusha and about demining."),
    ("en", None, "2025-03-03", "Press service comment on Armenian claims",
     "Head of the Press Service Aykhan Hajizada rejected the groundless claims of Armenia. "
     "He noted that the remarks of Mr. O'Brien at the conference were welcome."),
    ("en", None, "2024-11-12", "Diplomats finish a course in programming",
     "Young diplomats of the Ministry finished a course in C++ and Python programming. "
     "COVID-19 rules no longer applied; attendance was 3.5 times higher than in 2020."),
    ("en", "438/20", "2020-11-24", "Statement on the Day of Remembrance",
     "No:438/20. Azerbaijan commemorates its martyrs who gave their lives for the "
     "liberation of Nagorno-Karabakh and the surrounding regions. Khojaly remains in our "
     "memory."),
    ("en", None, "2025-10-01", "Embassy reception in Tallinn",
     "The Embassy hosted a reception in Tallinn. Guests were reminded of statement "
     "No:312/25 on the peace process. The Ambassador spoke about Shusha."),
    ("ru", "072/25", "2025-02-26", "Заявление в связи с годовщиной Ходжалинского геноцида",
     "Министерство иностранных дел Азербайджанской Республики чтит память жертв "
     "Ходжалинского геноцида. 26 февраля 1992 года вооруженные силы Армении совершили "
     "тяжкое преступление против мирного населения Ходжалы."),
    ("ru", "312/25", "2025-09-10", "О мирном процессе на Южном Кавказе",
     "Министр Джейхун Байрамов рассказал об основах прочного мира на Южном Кавказе. Текст "
     "мирного соглашения между Азербайджаном и Арменией согласован."),
    ("ru", "398/25", "2025-09-25", "Министр выступил на Генеральной Ассамблее ООН",
     "Джейхун Байрамов выступил на 80-й сессии Генеральной Ассамблеи ООН. Министр "
     "рассказал о восстановлении Шуши и разминировании территорий Азербайджана."),
    ("ru", None, "2025-10-18", "Азербайджан отмечает День независимости",
     "Азербайджан отмечает годовщину восстановления государственной независимости. "
     "В Азербайджане прошли торжественные мероприятия."),
    ("ru", None, "2025-05-05", "Консульская информация",
     "Консульский отдел посольства Азербайджанской Республики сообщает о новом порядке. "
     "Приём документов ведётся ежедневно."),
    # a mission's copy in its host language
    ("de", "312/25", "2025-09-11", "Zum Friedensprozess im Südkaukasus",
     "Minister Jeyhun Bayramov sprach über die Grundlagen eines dauerhaften Friedens im "
     "Südkaukasus. Der Text des Friedensabkommens ist vereinbart."),
]  # fmt: skip

AZ_KHOJALY, AZ_PEACE, AZ_UN, AZ_PRESS = (doc[3] for doc in DOCUMENTS[0:4])
EN_KHOJALY, EN_PEACE, EN_UN, EN_PRESS, EN_COURSE, EN_REMEMBRANCE, EN_TALLINN = (
    doc[3] for doc in DOCUMENTS[4:11]
)
RU_KHOJALY, RU_PEACE, RU_UN, RU_INDEPENDENCE, RU_CONSULAR = (doc[3] for doc in DOCUMENTS[11:16])
DE_PEACE = DOCUMENTS[16][3]
RELEASE_312 = {AZ_PEACE, EN_PEACE, RU_PEACE, DE_PEACE, EN_TALLINN}  # numbered 312/25, or citing it

# query -> the titles it finds, on both backends (ranking may differ).
SAME_ON_BOTH = {
    # the examples
    "(Bayramov OR Khojaly) Armenia": {EN_KHOJALY, EN_PEACE},
    "Armenia -Khojaly": {EN_PEACE, EN_PRESS},
    "Armenia NOT Khojaly": {EN_PEACE, EN_PRESS},
    "No:312/25": RELEASE_312,
    "No312/25": RELEASE_312,
    "312/25": RELEASE_312,
    '"312/25"': RELEASE_312,
    "no31225": RELEASE_312,
    "No 312/25": RELEASE_312,
    "u.n.": {EN_UN},
    "O'Brien": {EN_PRESS},
    "C++": {EN_COURSE},
    "Xocali": {AZ_KHOJALY},
    "Xocalı": {AZ_KHOJALY},
    "XOCALI": {AZ_KHOJALY},
    "cenubi": {AZ_PEACE},
    "Азербайджан": {RU_UN, RU_INDEPENDENCE},  # and Азербайджана: one stem to both stemmers
    # folding
    '"Cənubi Qafqazda"': {AZ_PEACE},
    "Cənubi Qafqaz*": {AZ_PEACE},
    "görüş": {AZ_PRESS},
    "gorus": {AZ_PRESS},
    "Şuşa": {AZ_UN},
    "Susa": {AZ_UN},
    "isler": {AZ_KHOJALY, AZ_PEACE},
    "İŞLƏR": {AZ_KHOJALY, AZ_PEACE},
    "isiqli gelecek": {AZ_PRESS},
    "Bakı": {AZ_PEACE},
    "прием": {RU_CONSULAR},
    "приём": {RU_CONSULAR},
    # words, phrases, operators, columns, prefixes
    "Bayramov": {AZ_PEACE, AZ_UN, EN_PEACE, EN_UN, DE_PEACE},
    "ceyhun bayramov": {AZ_PEACE, AZ_UN},
    "Hajizada AND Aykhan": {AZ_PRESS, EN_PRESS},
    "Xocalı OR Khojaly OR Ходжалы": {AZ_KHOJALY, EN_KHOJALY, EN_REMEMBRANCE, RU_KHOJALY},
    "Bayramov -Armenia -Ermənistan": {AZ_PEACE, AZ_UN, EN_UN, DE_PEACE},
    "title:Khojaly": {EN_KHOJALY},
    "body:Khojaly": {EN_KHOJALY, EN_REMEMBRANCE},
    "-title:Khojaly Khojaly": {EN_REMEMBRANCE},
    '"peace process"': {EN_PEACE, EN_TALLINN},
    'body:"peace process"': {EN_TALLINN},
    '"peace agreement"': {EN_PEACE},
    "Shush*": {EN_UN, EN_TALLINN},
    "Nagorno-Karabakh": {EN_REMEMBRANCE},
    "COVID-19": {EN_COURSE},
    "3.5": {EN_COURSE},
    "U.N. General Assembly": {EN_UN},
    "Tallinn": {EN_TALLINN},
    "Südkaukasus": {DE_PEACE},
    "sudkaukasus": {DE_PEACE},
    # release numbers with other terms
    "No:312/25 Bayramov": {AZ_PEACE, EN_PEACE, DE_PEACE},
    "Shusha OR No:312/25": {EN_UN} | RELEASE_312,
    "Shusha -312/25": {EN_UN},
    "438/20": {EN_REMEMBRANCE},
    "No.072/25 Armenia": {EN_KHOJALY},
    "title:312/25": set(),  # in a column, a release number is text: no title has it
    # Russian: the same stems on both
    "Азербайджанской": {RU_KHOJALY, RU_CONSULAR},
    "Азербайджан*": {RU_KHOJALY, RU_PEACE, RU_UN, RU_INDEPENDENCE, RU_CONSULAR},
    "Армения": {RU_KHOJALY, RU_PEACE},
    "Ходжалы": {RU_KHOJALY},
    "Байрамов": {RU_PEACE, RU_UN},
    '"мирного соглашения"': {RU_PEACE},
    "Азербайджан -независимости": {RU_UN},
}

# What the query language cannot mean: one line, the same on both backends.
ERRORS = {
    "*": "has no word to search for",
    "!!!": "has no word to search for",
    '"!!!"': "has no word to search for",
    "-Khojaly": "only excludes",
    "NOT Khojaly": "only excludes",
    "Khojaly OR -Armenia": "only excludes",
    '"unterminated': "unterminated phrase",
    "(Khojaly": "unbalanced (",
    "Khojaly)": "unbalanced )",
    "()": "nothing between ( and )",
    "foo:bar": "no such column: foo",
    "title:": "title: needs a word",
    "title:(body:x)": "a column filter inside another",
    "AND": "AND needs a term before it",
    "Khojaly OR": "OR needs a term after it",
    "Khojaly NOT": "NOT needs a term after it",
}


def build_archive(engine: Engine) -> None:
    """The one place that knows how the archive stores a document."""
    upgrade(engine)
    archive = Archive(engine)
    for n, (lang, number, published, title, body) in enumerate(DOCUMENTS):
        archive.store(record(
            url=f"https://mfa.gov.az/{lang}/news/{n}", lang=lang, doc_number=number,
            title=title, body=body, body_html=f"<p>{body}</p>", category="Statement",
            published_on=dt.date.fromisoformat(published),
            title_as_published=f"No:{number}, {title}" if number else title,
        ))  # fmt: skip
    archive.close()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """The archive, built once per backend for every query of this module."""
    if request.param == "sqlite":
        path = Path(tmp_path_factory.mktemp("search")) / "archive.db"
        engine = make_engine(f"sqlite:///{path}")
        build_archive(engine)
        yield engine
        engine.dispose()
        return
    with postgres_database(request.getfixturevalue("postgres_server")) as url:
        engine = make_engine(url)
        build_archive(engine)
        yield engine
        engine.dispose()


def titles(engine: Engine, query: str, **options: object) -> set[str]:
    hits = search(engine, query, limit=100, **options)  # type: ignore[arg-type]
    return {hit.title for hit in hits}


@pytest.mark.parametrize("query", SAME_ON_BOTH)
def test_a_query_finds_the_same_documents_on_both_backends(engine, query):
    assert titles(engine, query) == SAME_ON_BOTH[query]


@pytest.mark.parametrize("query", ERRORS)
def test_what_the_language_cannot_mean_is_a_one_line_error(engine, query):
    with pytest.raises(SearchQueryError, match=re.escape(ERRORS[query])) as error:
        search(engine, query)
    assert "\n" not in str(error.value)


def test_filters_apply_to_every_part_of_a_query(engine):
    assert titles(engine, "Азербайджан", languages=["ru"]) == {RU_UN, RU_INDEPENDENCE}
    assert titles(engine, "Азербайджан", languages=["en", "az"]) == set()
    assert titles(engine, "312/25", languages=["en"]) == {EN_PEACE, EN_TALLINN}
    assert titles(engine, "312/25", languages=["de", "ru"]) == {DE_PEACE, RU_PEACE}
    assert titles(engine, "Bayramov", languages=["de"]) == {DE_PEACE}
    assert titles(engine, "312/25", since=dt.date(2025, 9, 11)) == {EN_TALLINN, DE_PEACE}
    assert titles(engine, "312/25 OR Khojaly", until=dt.date(2025, 3, 1)) == {
        EN_KHOJALY, EN_REMEMBRANCE,
    }  # fmt: skip


def test_the_release_a_query_names_comes_first(engine):
    hits = search(engine, "No:312/25", limit=100)
    assert {hit.title for hit in hits[:4]} == {AZ_PEACE, EN_PEACE, RU_PEACE, DE_PEACE}
    assert hits[4].title == EN_TALLINN
    assert [hit.rank for hit in hits] == sorted(hit.rank for hit in hits)


@pytest.mark.parametrize(
    ("query", "title", "shown"),
    [
        ("Xocali", AZ_KHOJALY, r"\[Xocalı\]"),
        ("cenubi", AZ_PEACE, r"\[Cənubi\]"),
        ("isler", AZ_PEACE, r"\[işlər\]"),
        ("O'Brien", EN_PRESS, r"Mr\. (\[O'Brien\]|\[O\]'\[Brien\])"),  # a phrase, or its words
        ("Азербайджан", RU_UN, r"\[Азербайджана\]"),
        ("приём", RU_CONSULAR, r"\[Приём\]"),
        ("312/25", EN_TALLINN, r"No:(\[312/25\]|\[312\]/\[25\])"),
    ],
)
def test_snippets_show_the_original_text(engine, query, title, shown):
    (hit,) = [hit for hit in search(engine, query, limit=100) if hit.title == title]
    assert re.search(shown, hit.snippet), hit.snippet
    assert "\ue000" not in hit.snippet and "\ue001" not in hit.snippet


def test_a_release_found_by_its_number_alone_has_a_snippet(engine):
    (hit,) = [hit for hit in search(engine, "312/25", limit=100) if hit.title == RU_PEACE]
    assert hit.snippet.startswith("Министр Джейхун Байрамов")


def test_documented_differences_stemming_of_english(engine):
    """PostgreSQL stems English words (docs/schema.md); SQLite matches the form typed."""
    found = titles(engine, "commemorate")
    if engine.dialect.name == "postgresql":
        assert found == {EN_KHOJALY, EN_REMEMBRANCE}
    else:
        assert found == set()
    assert titles(engine, "commemorates") == {EN_KHOJALY, EN_REMEMBRANCE}


# --- nothing but hits or a SearchQueryError, whatever the string ---------------

HOSTILE = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=st.sampled_from('()"*-:^+~ \t\n\x00\x01ORANDNOTtitlebody' + string.punctuation),
            max_size=40),
    st.lists(st.sampled_from(["OR", "AND", "NOT", "-", "(", ")", '"', "*", "title:", "body:",
                              "x:", "No:312/25", "Xocalı", "Азербайджан", "\x00", "NEAR",
                              "^", "{title}", "'", "\\", ":*", "!", "&", "|", "<->"]),
             max_size=12).map(" ".join),
    st.text(min_size=1900, max_size=2100),
    st.just("a" * 5000),
    st.just("(" * 40 + "x" + ")" * 40),
    st.just(" ".join(["word"] * 80)),
)  # fmt: skip


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=HOSTILE)
def test_any_string_gives_hits_or_a_search_query_error(engine, query):
    try:
        hits = search(engine, query, limit=5)
    except SearchQueryError as error:
        assert "\n" not in str(error)
    else:
        assert isinstance(hits, list)


# --- the folding and the stemmer agree with the databases -----------------------


def test_the_python_stemmer_is_postgresqls(postgres_server):
    """storage.query.russian_stem against PostgreSQL's russian_stem dictionary."""
    words = sorted({w.lower() for doc in DOCUMENTS for w in re.findall(r"[а-яё]+", doc[4], re.I)})
    words += [stem + ending for stem in ("красн", "рабоч", "стро", "говор")
              for ending in ("ая", "ого", "ыми", "ующий", "ившись", "ость", "ейшая", "енный",
                             "ись", "ешь", "ите", "ям", "иями", "ь", "и")]  # fmt: skip
    with postgres_server.connect() as connection:
        stems = connection.execute(
            text("SELECT w, ts_lexize('russian_stem', w) FROM unnest(CAST(:words AS text[])) w"),
            {"words": words},
        ).all()
    assert [(w, lexemes[0]) for w, lexemes in stems if lexemes] == [
        (w, russian_stem(w)) for w, lexemes in stems if lexemes
    ]


def test_the_python_folding_is_the_indexes(engine):
    """The indexes fold what storage.query.fold folds for a query; PostgreSQL's
    mfa_search_text keeps every character's offset (snippets rely on it)."""
    sample = "Xocalı Cənubi ƏLİ İşlər IŞIQ Ёлка ёж No:312/25, u.n. C++ O'Brien"
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            folded = connection.execute(text("SELECT mfa_search_text(:t)"), {"t": sample})
            one_for_one = {"ə": "e", "Ə": "E", "ı": "i", "İ": "I"} | dict.fromkeys(
                string.punctuation, " "
            )
            assert folded.scalar_one() == sample.translate(str.maketrans(one_for_one))
        else:
            connection.exec_driver_sql(
                "CREATE VIRTUAL TABLE IF NOT EXISTS temp.fold_vocab "
                "USING fts5vocab(main, documents_fts, row)"
            )
            indexed = set(connection.execute(text("SELECT term FROM temp.fold_vocab")).scalars())
            assert {"xocali", "cenubi", "isler", "isiqli", "прием", "ведется"} <= indexed
            assert {"xocalı", "cənubi", "işlər", "приём", "ведётся"} & indexed == set()
