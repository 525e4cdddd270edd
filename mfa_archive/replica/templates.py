"""HTML of the replica's pages, in the main-site and the mission-site layouts.

The main-site markup follows ../shared/SITE_FACTS.md where it documents the
live site (listing classes, body container, boilerplate texts); everything
else (page chrome, the category-and-date line, the whole mission layout, and
a plainer mission markup without its classes) is invented and listed in
fixtures/README.md.  Bodies carry the noise a real CMS
leaves behind (nested spans, inline styles, ``&nbsp;``, zero-width spaces,
trailing ``<br>``, empty paragraphs), drawn from a seeded generator so that a
page renders the same bytes every time.
"""

from __future__ import annotations

import datetime as dt
import html
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

ORIGIN = "{{origin}}"  # replaced by the server with the site's own scheme://host:port

MONTHS = {
    "en": [
        "January", "February", "March", "April", "May", "June", "July",
        "August", "September", "October", "November", "December",
    ],
    "az": [
        "yanvar", "fevral", "mart", "aprel", "may", "iyun", "iyul",
        "avqust", "sentyabr", "oktyabr", "noyabr", "dekabr",
    ],
    "ru": [
        "января", "февраля", "марта", "апреля", "мая", "июня", "июля",
        "августа", "сентября", "октября", "ноября", "декабря",
    ],
}  # fmt: skip

SITE_NAME = {
    "en": "Ministry of Foreign Affairs of the Republic of Azerbaijan",
    "az": "Azərbaycan Respublikası Xarici İşlər Nazirliyi",
    "ru": "Министерство иностранных дел Азербайджанской Республики",
}
SHARE_LABEL = {"en": "Share this page", "az": "Paylaş", "ru": "Поделиться"}
FOOTER_RIGHTS = {
    "en": "All rights reserved. Contact us to use any licensed material.",
    "az": "Bütün hüquqlar qorunur. Hər hansı bir lisenziyalı materialdan istifadə etmək "
    "üçün əlaqə saxlayın.",
    "ru": "Все права защищены. Для использования любых лицензионных материалов свяжитесь с нами.",
}
PRIVACY = {"en": "Privacy Policy", "az": "Gizlilik Siyasəti", "ru": "Политика конфиденциальности"}
# The mission sites' archive link; de, bg and it are invented (crawler/pages/chrome.py).
SEARCH_IN_ARCHIVE = {
    "en": "Search in archive", "az": "Arxivdə axtar", "ru": "Поиск в архиве",
    "de": "Im Archiv suchen", "bg": "Търсене в архива", "it": "Cerca nell'archivio",
}  # fmt: skip
# Older mission pages end with their news navigation (SITE_FACTS.md).
NEWS_NAVIGATION = ("back news", "prev news")


def site_date(day: dt.date, lang: str) -> str:
    """A date as the main site writes it: "24 September 2019", "24 sentyabr 2019"."""
    return f"{day.day:02d} {MONTHS[lang][day.month - 1]} {day.year}"


@dataclass
class ReplicaArticle:
    """One article page of the replica, as authored (clean text, no noise)."""

    site: str
    lang: str
    path: str
    title: str  # as the page shows it, release number prefix included
    date: dt.date | None
    paragraphs: Sequence[str]  # inline HTML allowed: <strong>, <em>, <a href>
    category: str = ""
    listing_date: str | None = None  # None: the page's own date, as the site writes it
    show_title: bool = True
    noise_seed: int = 0
    # listing_href, aliases (other spellings of its URL), markup ("plain"), navigation
    extra: dict[str, Any] = field(default_factory=dict)


# -- body noise ----------------------------------------------------------------


def noisy_body(paragraphs: Sequence[str], seed: int) -> str:
    """The paragraphs as a CMS stores them: same text, messier markup."""
    rng = random.Random(seed)
    out: list[str] = []
    for text in paragraphs:
        if rng.random() < 0.25:
            out.append(rng.choice(["<p>&nbsp;</p>", "<p></p>", "<p><br></p>"]))
        if rng.random() < 0.4:
            text = _replace_one_space(text, "&nbsp;", rng)
        if rng.random() < 0.2:
            text = _replace_one_space(text, " &#8203;", rng)
        if rng.random() < 0.3:
            text = f"{text}<br>"
        style = rng.random()
        if style < 0.35:
            out.append(
                '<p style="text-align: justify;"><span style="font-size:12pt">'
                f'<span style="font-family:Arial,sans-serif">{text}</span></span></p>'
            )
        elif style < 0.5:
            out.append(f'<p class="MsoNormal"><span lang="EN-US">{text}</span></p>')
        else:
            out.append(f"<p>{text}</p>")
    if rng.random() < 0.5:
        out.append("<p>&nbsp;</p>")
    return "\n".join(out)


def _replace_one_space(text: str, replacement: str, rng: random.Random) -> str:
    # Only spaces outside tags, so inline markup stays well formed.
    spaces = [i for i, ch in enumerate(text) if ch == " " and "<" not in text[i:].split(">")[0]]
    if not spaces:
        return text
    i = rng.choice(spaces)
    return text[:i] + replacement + text[i + 1 :]


# -- main-site layout ----------------------------------------------------------

_MENU = [
    "Ministry", "Minister", "Deputy Ministers", "Structure", "History", "Foreign Policy",
    "Bilateral Relations", "International Organizations", "Multilateral Diplomacy",
    "Consular Services", "E-Visa", "Diplomatic Missions", "Honorary Consuls", "Press Service",
    "News", "Press releases", "Statements", "Interviews", "Articles", "Photo gallery",
    "Video gallery", "Legislation", "Treaties", "Diaspora", "Culture", "Economy",
    "Energy security", "Transport", "Humanitarian aid", "Contacts",
]  # fmt: skip


def _menu(lang: str) -> str:
    items = []
    for i, label in enumerate(_MENU):
        subs = "".join(
            f'<li class="header_nav_list_item_dropdown_list_item">'
            f'<a class="header_nav_list_item_dropdown_list_item_link" '
            f'href="/{lang}/content/{i * 10 + j}">{html.escape(label)} · {j + 1}</a></li>'
            for j in range(6)
        )
        items.append(
            f'<li class="header_nav_list_item"><a class="header_nav_list_item_link" '
            f'href="/{lang}/content/{i}">{html.escape(label)}</a>'
            f'<div class="header_nav_list_item_dropdown"><ul '
            f'class="header_nav_list_item_dropdown_list">{subs}</ul></div></li>'
        )
    return f'<nav class="header_nav"><ul class="header_nav_list">{"".join(items)}</ul></nav>'


def _script_blob(size: int) -> str:
    # Minified-looking analytics and UI code: real pages spend most of their bytes here.
    rng = random.Random(size)
    parts = []
    while sum(map(len, parts)) < size:
        name = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(6))
        parts.append(
            f"function {name}(e,t){{var n=document.querySelectorAll('.{name}');"
            f"for(var r=0;r<n.length;r++){{n[r].addEventListener('click',function(o)"
            f"{{o.preventDefault();t&&t(o,{rng.randint(0, 999)})}})}}return n}}"
        )
    return "".join(parts)


def _svg_sprite() -> str:
    icons = "".join(
        f'<symbol id="icon-{i}" viewBox="0 0 24 24"><path d="M{i} 2L{i + 3} 9H21L15.5 13.5L17.5 '
        f'21L{i} 16.5L6.5 21L8.5 13.5L3 9H{i + 9}Z" fill="currentColor"/></symbol>'
        for i in range(40)
    )
    return f'<svg xmlns="http://www.w3.org/2000/svg" style="display:none">{icons}</svg>'


def _main_head(title: str, og_title: str | None) -> str:
    og = f'<meta property="og:title" content="{html.escape(og_title)}">' if og_title else ""
    return (
        '<head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title>{og}"
        '<link rel="stylesheet" href="/assets/css/app.min.css?v=4.2.1">'
        '<link rel="icon" href="/assets/img/favicon.ico">'
        f"<script>{_script_blob(6000)}</script></head>"
    )


def _main_header(lang: str) -> str:
    return (
        '<header class="header"><div class="header_top">'
        f'<a class="header_logo" href="/{lang}"><img src="/assets/img/logo.svg" '
        f'alt="{html.escape(SITE_NAME[lang])}"></a>'
        '<ul class="header_langs"><li><a href="/az">AZ</a></li><li><a href="/en">EN</a></li>'
        '<li><a href="/ru">RU</a></li></ul>'
        '<form class="header_search" action="/search"><input name="q"></form></div>'
        f"{_menu(lang)}</header>"
    )


def _main_footer(lang: str) -> str:
    links = "".join(
        f'<li><a href="/{lang}/content/{i}">{html.escape(label)}</a></li>'
        for i, label in enumerate(_MENU)
    )
    return (
        f'<footer class="footer"><ul class="footer_links">{links}</ul>'
        f'<div class="footer_bottom"><p class="footer_bottom_copyright">'
        f"{html.escape(FOOTER_RIGHTS[lang])}</p>"
        f'<a class="footer_bottom_privacy" href="/{lang}/privacy">{PRIVACY[lang]}</a></div>'
        f"</footer>{_svg_sprite()}<script>{_script_blob(5000)}</script>"
    )


def render_main_article(article: ReplicaArticle) -> str:
    lang = article.lang
    date_text = site_date(article.date, lang) if article.date else ""
    info = (
        '<div class="section_articleInner_body_information">'
        f'<span class="section_articleInner_body_information--category">'
        f"{html.escape(article.category)}</span>"
        f'<span class="section_articleInner_body_information--date">{date_text}</span></div>'
    )
    h1 = (
        f'<h1 class="section_articleInner_body--title">{html.escape(article.title)}</h1>'
        if article.show_title
        else '<h1 class="section_articleInner_body--title"></h1>'
    )
    page_title = f"{article.title} | {SITE_NAME[lang]}" if article.show_title else SITE_NAME[lang]
    share = (
        '<div class="section_articleInner_share">'
        f'<span class="section_articleInner_share--label">{SHARE_LABEL[lang]}</span>'
        '<a href="https://www.facebook.com/sharer/sharer.php"><svg><use href="#icon-1"/></svg></a>'
        '<a href="https://twitter.com/intent/tweet"><svg><use href="#icon-2"/></svg></a></div>'
    )
    return (
        f'<!DOCTYPE html><html lang="{lang}">'
        f"{_main_head(page_title, article.title if article.show_title else None)}<body>"
        f"{_main_header(lang)}<main>"
        '<section class="section_articleInner"><div class="section_articleInner_banner">'
        '<img src="/uploads/banner-desktop.jpg" alt="news banner image Desktop">'
        '<img src="/uploads/banner-mobile.jpg" alt="news banner image Mobile"></div>'
        f'<div class="section_articleInner_body">{info}{h1}'
        '<div class="section_articleInner_body_content">'
        '<div class="section_articleInner_body_content--description">\n'
        f"{noisy_body(article.paragraphs, article.noise_seed)}\n</div></div>"
        f"{share}</div></section></main>{_main_footer(lang)}</body></html>"
    )


@dataclass
class ListingEntry:
    href: str
    title: str
    category: str
    date_text: str


def render_main_listing(entries: Sequence[ListingEntry], lang: str, page: int, pages: int) -> str:
    items = "".join(
        f'<a class="section_newsIn_item" href="{html.escape(e.href)}">'
        '<div class="section_newsIn_item_image"><img src="/uploads/thumb.jpg" alt=""></div>'
        '<div class="section_newsIn_item_content">'
        f'<div class="section_newsIn_item_content--header">{html.escape(e.title)}</div>'
        '<div class="section_newsIn_item_content_information">'
        f'<span class="section_newsIn_item_content_information--category">'
        f"{html.escape(e.category)}</span>"
        f'<span class="section_newsIn_item_content_information--date">'
        f"{html.escape(e.date_text)}</span></div></div></a>"
        for e in entries
    )
    pager = "".join(
        f'<a class="pagination_item{" active" if n == page else ""}" '
        f'href="/{lang}/news?page={n}">{n}</a>'
        for n in range(1, pages + 1)
    )
    return (
        f'<!DOCTYPE html><html lang="{lang}">{_main_head(SITE_NAME[lang], None)}<body>'
        f"{_main_header(lang)}<main>"
        '<div class="section_content"><h1 class="section_title">News</h1></div>'
        f'<div class="section_content">{items}</div>'
        f'<div class="pagination">{pager}</div></main>{_main_footer(lang)}</body></html>'
    )


# -- mission-site layout (invented: the live markup is not known) ---------------


def _mission_page(lang: str, city: str, main: str) -> str:
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>Embassy of the Republic of Azerbaijan in {city}</title>"
        f'<link rel="stylesheet" href="/css/site.css"></head><body>'
        f'<div class="top-bar"><a href="/{lang}">Embassy of the Republic of Azerbaijan '
        f'in {city}</a></div><div class="container">{main}</div>'
        f'<div class="bottom-bar">© Embassy of the Republic of Azerbaijan in {city}</div>'
        "</body></html>"
    )


def render_mission_article(article: ReplicaArticle, city: str) -> str:
    lang = article.lang
    title = html.escape(article.title) if article.show_title else ""
    day = article.date.isoformat() if article.date else ""
    body = noisy_body(article.paragraphs, article.noise_seed)
    back, prev = (
        f'<a href="/{lang}/news">{NEWS_NAVIGATION[0]}</a>',
        f'<a href="/{lang}/news?page=2">{NEWS_NAVIGATION[1]}</a>',
    )
    if article.extra.get("navigation"):  # an older page: navigation after the body
        body += f'\n<p class="news-nav">{back} {prev}</p>'
    archive = html.escape(SEARCH_IN_ARCHIVE[lang], quote=False)
    if article.extra.get("markup") == "plain":
        # None of the invented classes: what a real mission page may look like.
        main = (
            '<div class="page-content"><div class="item-page">'
            f'<p class="created"><time>{day}</time></p><h1>{title}</h1>'
            '<div class="share-tools"><a href="https://www.facebook.com/sharer/sharer.php">'
            "f</a></div>"
            f'<div itemprop="articleBody">\n{body}\n</div>'
            f'<p class="archive"><a href="/{lang}/news">{archive}</a></p></div>'
            '<aside class="sidebar"><h3>Useful links</h3><ul>'
            f'<li><a href="/{lang}/consular">Consular services</a></li></ul></aside></div>'
        )
        return _mission_page(lang, city, main)
    main = (
        '<div class="news-single">'
        f'<div class="news-single__date">{day}</div>'
        f'<h1 class="news-single__title">{title}</h1>'
        f'<div class="news-single__text">\n{body}'
        f'\n</div><a class="news-single__archive" href="/{lang}/news">'
        f"{archive}</a></div>"
    )
    return _mission_page(lang, city, main)


def render_mission_listing(entries: Sequence[ListingEntry], lang: str, city: str) -> str:
    items = "".join(
        f'<a class="news-list__item" href="{html.escape(e.href)}">'
        f'<span class="news-list__date">{html.escape(e.date_text)}</span>'
        f'<span class="news-list__title">{html.escape(e.title)}</span></a>'
        for e in entries
    )
    return _mission_page(lang, city, f'<div class="news-list">{items}</div>')
