import pytest

from crawler.exceptions import ConfigError
from crawler.sites import DEFAULT_SITES_FILE, load_sites, parse_languages


def test_packaged_sites_file_lists_the_live_main_site_and_missions():
    config = load_sites()
    assert config.path == DEFAULT_SITES_FILE
    main = next(site for site in config.sites if site.name == "main")
    assert (main.base_url, main.layout, main.languages) == ("https://mfa.gov.az", "main",
                                                            ("az", "en", "ru"))  # fmt: skip
    missions = [site for site in config.sites if site.layout == "mission"]
    assert len(missions) >= 3
    assert all(site.base_url.endswith(".mfa.gov.az") for site in missions)
    assert config.politeness.settings() == {}  # the live sites get settings.py's politeness


def test_select_sites_and_languages():
    config = load_sites().select(["main", "tallinn"], ["en"])
    assert [(s.name, s.languages) for s in config.sites] == [("main", ("en",)),
                                                             ("tallinn", ("en",))]  # fmt: skip


def test_crawl_table_overrides_politeness(tmp_path):
    path = tmp_path / "sites.toml"
    path.write_text('[crawl]\ndownload_delay = 0\nautothrottle = false\n\n[[site]]\nname = "a"\n'
                    'base_url = "http://127.0.0.1:8000/"\nlayout = "main"\nlanguages = ["en"]\n')  # fmt: skip
    config = load_sites(path)
    assert config.sites[0].base_url == "http://127.0.0.1:8000"
    assert config.politeness.settings() == {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "lists no [[site]] entries"),
        ('[[site]]\nname = "a"\n', "missing 'base_url'"),
        ('[[site]]\nname="a"\nbase_url="https://x/y"\nlayout="main"\nlanguages=["en"]\n',
         "base_url must be scheme://host[:port]"),
        ('[[site]]\nname="a"\nbase_url="https://x"\nlayout="blog"\nlanguages=["en"]\n',
         "layout must be one of main, mission, auto"),
        ('[[site]]\nname="a"\nbase_url="https://x"\nlayout="main"\nlanguages=["xx"]\n',
         "unknown language 'xx': languages are ISO 639-1 codes"),
        ('[[site]]\nname="a"\nbase_url="https://x"\nlayout="main"\nlanguages=["deu"]\n',
         "unknown language 'deu'"),
        ('[[site]]\nname="a"\nbase_url="https://x"\nlayout="main"\nlanguages=["De"]\n',
         "unknown language 'De'"),
        ('[[site]]\nname="a"\nbase_url="https://x"\nlayout="main"\nlanguages=[1]\n',
         "unknown language 1"),
        ('[[site]]\nname="a"\nbase_url="https://x"\nlayout="main"\nlanguages=["en"]\n'
         '[[site]]\nname="a"\nbase_url="https://y"\nlayout="main"\nlanguages=["en"]\n',
         "site name 'a' appears twice"),
        ('[crawl]\ndownload_delay = -1\n[[site]]\nname="a"\nbase_url="https://x"\nlayout="main"\n'
         'languages=["en"]\n', "download_delay must be a number >= 0"),
        ('[crawl]\ndelay = 1\n[[site]]\nname="a"\nbase_url="https://x"\nlayout="main"\n'
         'languages=["en"]\n', "unknown [crawl] key 'delay'"),
    ],
)  # fmt: skip
def test_bad_sites_files(tmp_path, text, message):
    path = tmp_path / "sites.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("(", r"\(")):
        load_sites(path)


def test_languages():
    assert parse_languages("az, en") == ("az", "en")
    assert parse_languages("bg,hr,de,es,it,ka,fa,ar,uk,pl,zh,ja,tr,fr") == tuple(
        "bg,hr,de,es,it,ka,fa,ar,uk,pl,zh,ja,tr,fr".split(",")
    )
    with pytest.raises(ConfigError, match="unknown language 'qq'"):
        parse_languages("en,qq")


def test_a_site_may_have_any_language_and_an_unstated_layout(tmp_path):
    path = tmp_path / "sites.toml"
    path.write_text('[[site]]\nname = "berlin"\nbase_url = "https://berlin.mfa.gov.az"\n'
                    'layout = "mission"\nlanguages = ["de", "en"]\n\n'
                    '[[site]]\nname = "natopfp"\nbase_url = "https://nato-pfp.mfa.gov.az"\n'
                    'layout = "auto"\nlanguages = ["en"]\n')  # fmt: skip
    config = load_sites(path)
    assert [(s.layout, s.languages, s.authoritative) for s in config.sites] == [
        ("mission", ("de", "en"), False),
        ("auto", ("en",), False),
    ]
    assert [s.languages for s in config.select(languages=["de"]).sites] == [("de",)]


def test_a_language_no_chosen_site_has_is_an_error():
    with pytest.raises(ConfigError, match="language 'de' is not among the sites' languages"):
        load_sites().select(["main"], ["de"])
    with pytest.raises(ConfigError, match=r"'ru' is not .* \(they have: az, en\)"):
        load_sites().select(["tallinn"], ["ru"])
