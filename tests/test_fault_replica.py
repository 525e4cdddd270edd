"""The fault replica itself (mfa_archive/replica/faults.py), checked over real HTTP
with http.client, never Scrapy: each fault does what its docstring says, so that
the end-to-end tests which crawl it can trust it."""

from __future__ import annotations

import html
import http.client
import re
import socket
import threading
import time
import tomllib
import zlib
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from parsel import Selector

from mfa_archive.replica import faults
from mfa_archive.replica.faults import (
    CONTROL_CHARACTERS,
    EXPECTATIONS,
    FAULTS,
    HOSTILE_MARKERS,
    NORMAL,
    FaultServer,
    strip_controls,
)
from mfa_archive.replica.templates import MONTHS

MiB = 1 << 20
H1 = re.compile(r'<h1 class="section_articleInner_body--title">(.*?)</h1>', re.DOTALL)
BODY = re.compile(
    r'<div class="section_articleInner_body_content--description">\n(.*?)\n</div></div>', re.DOTALL
)


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes


def get(url: str, timeout: float = 5.0) -> Answer:
    """One request on a connection of its own: no redirect followed, nothing decoded."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        connection.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
        response = connection.getresponse()
        return Answer(response.status, response.headers, response.read())
    finally:
        connection.close()


@pytest.fixture(scope="module")
def shared() -> FaultServer:
    server = FaultServer()  # the default stall (5 s): the stall test times out long before
    server.start()
    yield server
    server.stop()


@pytest.fixture
def server(shared: FaultServer) -> FaultServer:
    shared.reset()  # every test starts with unspent faults and no requests
    return shared


def fault_url(server: FaultServer, name: str) -> str:
    return server.resolve(EXPECTATIONS[name].url)


def listing(server: FaultServer, lang: str, page: int) -> list[dict[str, str]]:
    """The items of a listing page, read with the selectors SITE_FACTS.md documents."""
    answer = get(server.url(f"/{lang}/news?page={page}"))
    assert answer.status == 200
    container = Selector(text=answer.body.decode("utf-8")).css("div.section_content")[1]
    return [
        {
            "href": item.attrib["href"],
            "title": item.css("div.section_newsIn_item_content--header::text").get(),
            "category": item.css("div.section_newsIn_item_content_information span::text")[0].get(),
            "date": item.css("div.section_newsIn_item_content_information span::text")[1].get(),
        }
        for item in container.css("a.section_newsIn_item")
    ]


# -- the registry ----------------------------------------------------------------


def test_every_fault_is_registered_documented_and_expected():
    assert [f.fault for f in FAULTS.values()] == list(range(1, 18))
    outcomes = {"stored", "retried then stored", "listing error until healed"}
    for name, fault in FAULTS.items():
        assert fault.expected in outcomes or fault.reject, name
        assert name in faults.__doc__ and fault.path in faults.__doc__, name
        stores = fault.expected in ("stored", "retried then stored")
        assert (fault.record is not None) == stores, name
        low, high = fault.requests
        assert 0 <= low <= high, name
    assert FAULTS["offsite-forgery"].requests == (0, 0)
    assert FAULTS["offsite-redirect"].reason_contains == FAULTS["offsite-redirect"].target
    assert FAULTS["wrong-charset-header"].also == ("reject bad_encoding",)
    assert all(e.record is not None and e.expected == "stored" for e in NORMAL.values())


def test_the_forgery_claims_a_genuine_release_number_earlier_with_other_text():
    forgery = faults.load_config().fault_page("offsite-forgery").article
    genuine = [e.record for e in NORMAL.values() if e.lang == forgery.lang]
    number = forgery.title.split(",")[0].removeprefix("No:")
    (claimed,) = [record for record in genuine if record["doc_number"] == number]
    assert claimed["url"].startswith("{{origin}}/")
    assert forgery.date.isoformat() < claimed["published_on"]
    assert not set(forgery.paragraphs) & set(claimed["body"].split("\n\n"))


def test_expected_documents_leave_out_the_broken_listing_page_until_healed():
    healed = faults.expected_documents()
    broken = faults.expected_documents(healed=False)
    page_two = {e.record["url"] for e in EXPECTATIONS.values() if e.listing_page == 2 and e.record}
    assert len(page_two) == 2
    assert {r["url"] for r in healed} - {r["url"] for r in broken} == page_two


# -- life cycle, ports, the sites file ------------------------------------------


def test_start_and_stop_are_fast_even_with_a_stalled_request_and_free_the_ports():
    server = FaultServer(stall_seconds=60)
    started = time.monotonic()
    server.start()
    assert time.monotonic() - started < 1
    ports = server.ports
    assert len(set(ports.values())) == 2 and all(ports.values())
    stalled: list[BaseException] = []

    def stall() -> None:
        try:
            get(fault_url(server, "stall"), timeout=30)
        except (OSError, http.client.HTTPException) as exc:
            stalled.append(exc)

    client = threading.Thread(target=stall)
    client.start()
    deadline = time.monotonic() + 2
    while server.count(FAULTS["stall"].path) == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.count(FAULTS["stall"].path) == 1
    stopping = time.monotonic()
    server.stop()
    assert time.monotonic() - stopping < 1
    client.join(timeout=2)
    assert not client.is_alive() and stalled  # no answer: the connection just closed
    for port in ports.values():
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
    again = FaultServer()
    again.start(ports)  # the same ports are free to serve again
    try:
        assert again.ports == ports
        assert get(again.url("/robots.txt")).status == 200
    finally:
        again.stop()


def test_sites_file_lists_the_main_site_only_without_politeness(server):
    text = server.sites_toml()
    sites = tomllib.loads(text)
    assert sites["crawl"] == {"download_delay": 0, "autothrottle": False, "retry_backoff": 0}
    assert sites["site"] == [
        {"name": "main", "base_url": server.origin("main"), "layout": "main",
         "languages": ["en", "az"]},
    ]  # fmt: skip
    assert server.origin("other") not in text


def test_robots_txt_allows_everything_on_both_origins(server):
    for site in ("main", "other"):
        answer = get(server.url("/robots.txt", site))
        assert answer.status == 200
        assert answer.headers["Content-Type"].startswith("text/plain")
        assert answer.body.decode().split("\n")[:2] == ["User-agent: *", "Allow: /"]


# -- request counting ----------------------------------------------------------------


def test_requests_are_counted_per_origin_and_path_and_reset(server):
    assert server.total() == 0 and server.requests() == {"main": [], "other": []}
    path = NORMAL["main-en-delegation-received"].path
    for _ in range(3):
        assert get(server.url(path)).status == 200
    assert get(server.url("/en/news?page=1")).status == 200
    assert get(server.url("/nowhere")).status == 404
    assert server.count(path) == 3
    assert server.counts() == {path: 3, "/en/news?page=1": 1, "/nowhere": 1}
    assert server.total("other") == 0  # nothing asked the other host
    times = server.times(path)
    assert times == sorted(times) and len(times) == 3
    assert server.requests()["main"] == [path] * 3 + ["/en/news?page=1", "/nowhere"]
    server.reset()
    assert server.total() == 0


# -- listings ---------------------------------------------------------------------------


def test_listings_link_every_article_newest_first(server):
    for lang, pages in (("en", 2), ("az", 1)):
        if lang == "en":
            server.heal("listing-until-healed")
        for page in range(1, pages + 1):
            items = listing(server, lang, page)
            listed = {
                server.resolve(e.url) if lang == "en" or e.site == "other" else e.path
                for e in EXPECTATIONS.values()
                if e.lang == lang and e.listing_page == page and "?" not in e.path
            }
            assert {item["href"] for item in items} == listed
            dates = [dt_key(item["date"], lang) for item in items]
            assert dates == sorted(dates, reverse=True)
        assert listing(server, lang, pages + 1) == []  # past the last: an empty listing
    assert get(server.url("/en/news")).body == get(server.url("/en/news?page=1")).body


def dt_key(text: str, lang: str) -> tuple[int, int, int]:
    day, month, year = text.split()
    return int(year), MONTHS[lang].index(month), int(day)


def test_the_forgery_is_linked_on_the_other_host(server):
    items = listing(server, "en", 1)
    forgery = server.resolve(FAULTS["offsite-forgery"].url)
    assert forgery.startswith(server.origin("other") + "/")
    (item,) = [item for item in items if item["href"] == forgery]
    assert item["title"].startswith("No:214/26, ") and item["date"] == "14 October 2026"
    answer = get(forgery)
    assert answer.status == 200
    assert H1.search(answer.body.decode()).group(1).startswith("No:214/26, ")
    genuine = get(server.resolve(NORMAL["main-en-no21426-transport-corridors"].url))
    assert H1.search(genuine.body.decode()).group(1).startswith("No:214/26, ")
    assert server.count(FAULTS["offsite-forgery"].path, "other") == 1


def test_listing_page_fails_until_healed(server):
    path = FAULTS["listing-until-healed"].path
    for _ in range(3):
        assert get(server.url(path)).status == 500
    server.heal("listing-until-healed")
    assert len(listing(server, "en", 2)) == 2
    assert server.count(path) == 4


def test_only_transient_faults_heal(server):
    with pytest.raises(ValueError, match="cannot heal 'redirect-loop'"):
        server.heal("redirect-loop")


# -- transient faults ---------------------------------------------------------------------


def article_h1(answer: Answer, encoding: str = "utf-8") -> str:
    return html.unescape(H1.search(answer.body.decode(encoding)).group(1))


def test_burst_of_503_then_the_article(server):
    url = fault_url(server, "burst-503")
    assert [get(url).status for _ in range(4)] == [503, 503, 200, 200]
    assert server.count(FAULTS["burst-503"].path) == 4


def test_429_with_retry_after_once_then_the_article(server):
    first, second = (
        get(fault_url(server, "retry-after-429")),
        get(fault_url(server, "retry-after-429")),
    )
    assert first.status == 429 and first.headers["Retry-After"] == "1"
    assert second.status == 200 and article_h1(second).startswith("No:239/26, ")


def test_connection_reset_on_the_first_request_then_the_article(server):
    url = fault_url(server, "connection-reset")
    with pytest.raises(ConnectionError):  # ECONNRESET: no status line at all
        get(url)
    assert get(url).status == 200
    assert server.count(FAULTS["connection-reset"].path) == 2


def test_truncated_body_every_time(server):
    url = fault_url(server, "truncated-body")
    for _ in range(2):
        parts = urlsplit(url)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
        connection.request("GET", parts.path)
        response = connection.getresponse()
        declared = int(response.headers["Content-Length"])
        with pytest.raises(http.client.IncompleteRead) as error:
            response.read()
        connection.close()
        partial = error.value.partial
        assert 0 < len(partial) < declared
        text = partial.decode()
        assert "Speaking at the ceremony" not in text and "mutual recognition" in text
    server.heal("truncated-body")
    whole = get(url)
    assert int(whole.headers["Content-Length"]) == len(whole.body) == declared


def test_stall_outlasts_a_short_timeout(server):
    url = fault_url(server, "stall")
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        get(url, timeout=0.3)
    assert time.monotonic() - started < 1
    server.heal("stall")
    assert get(url, timeout=1).status == 200


def test_stall_answers_after_its_delay():
    with faults.serving_faults(stall_seconds=0.3) as server:
        started = time.monotonic()
        answer = get(fault_url(server, "stall"))
        assert time.monotonic() - started >= 0.3
        assert answer.status == 200 and article_h1(answer).startswith("No:231/26, ")


# -- encodings ----------------------------------------------------------------------------


def test_windows_1251_page_names_its_charset_in_meta_only(server):
    answer = get(fault_url(server, "meta-charset-cp1251"))
    assert answer.headers["Content-Type"] == "text/html"
    with pytest.raises(UnicodeDecodeError):
        answer.body.decode("utf-8")
    text = answer.body.decode("cp1251")
    assert '<meta charset="windows-1251">' in text and '<meta charset="utf-8">' not in text
    record = FAULTS["meta-charset-cp1251"].record
    assert record["companion"]["lang"] == "ru"
    readable = " ".join(html.unescape(text).replace("\u200b", "").split())  # without CMS noise
    assert record["companion"]["title"] in readable and record["companion"]["body"][:60] in readable


def test_wrong_charset_header_over_utf8_azerbaijani(server):
    answer = get(fault_url(server, "wrong-charset-header"))
    assert answer.headers["Content-Type"] == "text/html; charset=iso-8859-1"
    text = answer.body.decode("utf-8")
    assert all(letter in text for letter in "əışçğöü")
    assert FAULTS["wrong-charset-header"].record["title"] in article_h1(answer)
    misread = answer.body.decode("cp1252", errors="replace")
    assert any(marker in misread for marker in FAULTS["wrong-charset-header"].forbidden)


# -- redirects -------------------------------------------------------------------------------


def test_redirect_loop(server):
    fault = FAULTS["redirect-loop"]
    first = get(fault_url(server, "redirect-loop"))
    assert first.status == 302 and first.headers["Location"] == server.resolve(fault.target)
    second = get(first.headers["Location"])
    assert second.status == 302 and second.headers["Location"] == server.url(fault.path)


def test_same_host_redirect_leads_to_the_article(server):
    fault = FAULTS["same-host-redirect"]
    moved = get(fault_url(server, "same-host-redirect"))
    assert moved.status == 301
    assert (
        moved.headers["Location"]
        == server.resolve(fault.target)
        == server.resolve(fault.record["url"])
    )
    assert moved.headers["Location"].startswith(server.origin("main") + "/")
    answer = get(moved.headers["Location"])
    assert answer.status == 200 and article_h1(answer).startswith("No:226/26, ")


def test_offsite_redirect_lands_on_the_other_host(server):
    fault = FAULTS["offsite-redirect"]
    moved = get(fault_url(server, "offsite-redirect"))
    assert moved.status == 302
    assert moved.headers["Location"] == server.resolve(fault.target)
    assert moved.headers["Location"].startswith(server.origin("other") + "/")
    assert server.total("other") == 0
    landing = get(moved.headers["Location"])
    assert landing.status == 200 and fault.forbidden[0] in landing.body.decode()


# -- size ---------------------------------------------------------------------------------------


def test_huge_page_is_a_valid_article_of_30_mib(server):
    answer = get(fault_url(server, "huge-page"), timeout=30)
    assert answer.status == 200
    assert int(answer.headers["Content-Length"]) == len(answer.body) >= 30 * MiB
    text = answer.body.decode()
    assert text.startswith("<!DOCTYPE html>") and text.endswith("</html>")
    assert text.count("<p>") > 100_000
    assert article_h1(answer).startswith("No:221/26, ")


def test_gzip_bomb_is_small_on_the_wire_and_a_gib_decompressed(server):
    answer = get(fault_url(server, "gzip-bomb"), timeout=30)
    assert answer.status == 200 and answer.headers["Content-Encoding"] == "gzip"
    assert int(answer.headers["Content-Length"]) == len(answer.body) < 3 * MiB
    # Streamed with a cap, a MiB at a time: the test never holds the page either.
    inflater, data, total, first, last = zlib.decompressobj(wbits=31), answer.body, 0, b"", b""
    while data and not inflater.eof:
        chunk = inflater.decompress(data, MiB)
        data = inflater.unconsumed_tail
        first, last, total = first or chunk, chunk or last, total + len(chunk)
        assert total <= 2048 * MiB
    assert inflater.eof  # and its CRC-32 and size checked out
    assert total >= 1024 * MiB
    assert first.startswith(b"<!DOCTYPE html>") and last.endswith(b"</html>")
    assert b"No:220/26, " in first


# -- content ---------------------------------------------------------------------------------------


def test_pdf_is_not_html(server):
    answer = get(fault_url(server, "not-html"))
    assert answer.status == 200 and answer.headers["Content-Type"] == "application/pdf"
    assert answer.body.startswith(b"%PDF-") and len(answer.body) < 1000


def test_hostile_markup_in_the_body_and_none_in_the_record(server):
    body = BODY.search(get(fault_url(server, "hostile-markup")).body.decode()).group(1)
    for marker in ("<script>", "<style>", "<iframe ", "onerror=", "onclick=", "<svg onload=",
                   'href="javascript:', 'href="JaVaScRiPt:'):  # fmt: skip
        assert marker in body, marker
    record = FAULTS["hostile-markup"].record
    assert "body_html" not in record  # checked for markers, not compared
    assert not [m for m in HOSTILE_MARKERS if m in record["body"] or m in record["title"]]
    assert FAULTS["hostile-markup"].forbidden == HOSTILE_MARKERS


def test_control_and_bidi_characters_in_title_and_body(server):
    answer = get(fault_url(server, "control-characters"))
    page = answer.body.decode()
    title = article_h1(answer)
    for char in ("\x1b[31m", "\x07", "\u202e", "\u200f"):
        assert char in title, repr(char)
    body = BODY.search(page).group(1)
    assert "\x1b[1m" in body and "\u202e" in body and "\u2067" in body
    record = FAULTS["control-characters"].record
    assert strip_controls(title) == "No:242/26, " + record["title"]
    for field in ("title", "body", "body_html"):
        assert not CONTROL_CHARACTERS.search(record[field]), field
    (item,) = [i for i in listing(server, "en", 1) if i["title"].startswith("No:242/26")]
    assert "\u202e" in item["title"]  # the listing shows the page's own title


# -- the normal articles -------------------------------------------------------------------------


def test_normal_articles_are_served_in_the_main_layout(server):
    server.heal("listing-until-healed")
    for name, expectation in NORMAL.items():
        answer = get(server.resolve(expectation.url))
        assert answer.status == 200, name
        assert answer.headers["Content-Type"] == "text/html; charset=utf-8"
        page = Selector(text=answer.body.decode())
        article = page.css("section.section_articleInner")
        assert article.css("h1::text").get().endswith(expectation.record["title"]), name
        assert article.css("div.section_articleInner_body_content--description p"), name
    assert server.total("other") == 0


def test_the_other_host_can_have_an_address_of_its_own():
    # Scrapy's offsite checks compare host names and ignore ports: an e2e test
    # may give the forger 127.0.0.2 (loopback on Linux) to tell it apart.
    server = FaultServer(other_host="127.0.0.2")
    try:
        server.start()
    except OSError as exc:
        pytest.skip(f"127.0.0.2 is not a local address here: {exc}")
    try:
        assert server.origin("other").startswith("http://127.0.0.2:")
        items = listing(server, "en", 1)
        assert server.resolve(FAULTS["offsite-forgery"].url) in {item["href"] for item in items}
        assert get(server.url(FAULTS["offsite-forgery"].path, "other")).status == 200
    finally:
        server.stop()
