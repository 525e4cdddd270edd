"""Scrapy settings of mfa-archive, for `mfa-archive crawl` and `scrapy crawl press` alike.

Each setting says Scrapy's default and why it differs. Politeness toward the
live sites is the default; a sites file's [crawl] table (see crawler/sites.toml)
loosens it for the offline replica, and nothing else changes between the two.
"""

from crawler import __version__

BOT_NAME = "mfa-archive"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# -- mfa-archive's own settings -------------------------------------------------

# The archive's SQLAlchemy URL. None: $MFA_ARCHIVE_DB, else sqlite:///data/archive.db.
MFA_ARCHIVE_DB = None
# The sites file. None: the packaged crawler/sites.toml.
MFA_SITES_FILE = None
# Incremental crawls request known articles published in the last N days
# again: that is when the ministry corrects its statements. 0: never.
MFA_RECHECK_DAYS = 7
# Where the ministry's webmasters can read who crawls them and how to reach us.
MFA_CONTACT_URL = "https://github.com/mfa-archive/mfa-archive"
# First wait before retrying a 5xx or a timeout, doubled each further retry
# (2 s, 4 s, 8 s); capped. 0 turns the waiting off.
MFA_RETRY_BACKOFF = 2.0
MFA_RETRY_BACKOFF_MAX = 60.0
# Worker processes that parse and normalize article pages (0: in the crawl's
# own process). Parsing is most of a crawl's CPU; one worker moves it off the
# core that Scrapy's event loop needs for downloading.
MFA_EXTRACT_PROCESSES = 1
# Documents written per transaction, and the longest a fetched document waits
# to be written. One transaction per document made writing cost more than
# downloading; 100 makes it a tenth of that.
MFA_WRITE_BATCH = 100
MFA_WRITE_INTERVAL = 2.0
# Allocations between two runs of the youngest-generation garbage collector
# during a crawl (Python's default: 700); 0 leaves Python's default.
MFA_GC_THRESHOLD = 20000
# `scrapy crawl press -O feed.jsonl` writes each page's document (crawler/feeds.py);
# rejects too when true.
MFA_FEED_REJECTS = False
# Seconds between two progress lines on stderr; 0 for none.
MFA_PROGRESS_INTERVAL = 10.0
# Captures: every response kept in WARC files (crawler.capture, crawler.warc).
# False (--no-warc): none. The directory: None is $MFA_WARC_DIR, else beside a
# SQLite archive (data/warc/ for data/archive.db, data/NAME.warc/ for
# data/NAME.db), else data/warc-DATABASE/ (crawler.warc.warc_dir_for).
MFA_WARC_ENABLED = True
MFA_WARC_DIR = None
# A new WARC file once one reaches this size (ISO 28500's annex: 1 GB).
MFA_WARC_MAX_BYTES = 1_000_000_000

# -- politeness -------------------------------------------------------------------

# Default: "Scrapy/VERSION (+https://scrapy.org)". Name the project and a contact.
USER_AGENT = f"mfa-archive/{__version__} (+{MFA_CONTACT_URL})"
# Default: False. The ministry's robots.txt is law here; a disallowed link is
# recorded among the rejects, never requested.
ROBOTSTXT_OBEY = True
# Default: 0. About one request a second to each host.
DOWNLOAD_DELAY = 1.0
# Default: 8. Two requests at a time to one host at most.
CONCURRENT_REQUESTS_PER_DOMAIN = 2
# Default: 16. Many sites (the ministry and ~90 missions) can be crawled side by side.
CONCURRENT_REQUESTS = 16
# Default: False. Slow down further when a host answers slowly.
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0  # default 5.0: start where DOWNLOAD_DELAY is
AUTOTHROTTLE_MAX_DELAY = 30.0  # default 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0  # default 1.0, kept: one request in flight per host

# Default: 180. A ministry page that takes 30 s is down; retry it later.
DOWNLOAD_TIMEOUT = 30
# Default: 1 GiB and 32 MiB. A press page is some 60 KB; 4 MB is 60 of them.
# A larger response (or one that would grow past it when decompressed: Scrapy
# stops a gzip bomb there) is cut off and recorded as a too_large reject,
# rather than parsed in memory.
DOWNLOAD_MAXSIZE = 4 * 1024 * 1024
DOWNLOAD_WARNSIZE = 1024 * 1024
# Default: 2. Three retries, spaced by MFA_RETRY_BACKOFF.
RETRY_TIMES = 3
# Default: [500, 502, 503, 504, 522, 524, 408, 429], kept.

DOWNLOADER_MIDDLEWARES = {
    # Redirects (HTTP and meta refresh) stay on the site's own host and never
    # loop (the page becomes a reject that says why), in Scrapy's middlewares' place.
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "crawler.middlewares.SiteRedirectMiddleware": 600,
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.middlewares.SiteMetaRefreshMiddleware": 580,
    # Next to the downloader, before decompression (590), redirects (600) and
    # retries (550): keeps every response as the server sent it (WARC).
    "crawler.capture.CaptureMiddleware": 890,
    # Just before the downloader: waits before sending a retried request.
    "crawler.middlewares.RetryBackoffMiddleware": 950,
}

# -- processing ---------------------------------------------------------------------

# Default: 100. Each response starts that many item tasks; with a few items
# per page, 4 keeps the CPU on downloading and parsing (a crawl ran 1.65x faster).
CONCURRENT_ITEMS = 4

ITEM_PIPELINES = {
    "crawler.pipelines.ExtractPipeline": 100,  # page object and normalizers
    "crawler.pipelines.ArchivePipeline": 900,
}

# Default: {}. `scrapy check press` sends each callback's contract to a site of
# the sites file: `@site main en` (crawler/contracts.py).
SPIDER_CONTRACTS = {"crawler.contracts.SiteContract": 10}

# Default: True. A crawl from cron needs no HTTP control server listening on a port.
REMOTE_CONTROL_ENABLED = False

EXTENSIONS = {
    # Default: on. No one attaches a telnet console to a cron job.
    "scrapy.extensions.telnet.TelnetConsole": None,
    # The crawl's run in the archive: lock, run record, crawl plan, final status.
    "crawler.run.ArchiveRun": 100,
    "crawler.extensions.ProgressLine": 500,
    "crawler.extensions.GarbageCollectorTuning": 0,
}

# Default: "DEBUG". Request-level detail is for debugging, not for cron mail.
LOG_LEVEL = "INFO"
# Default: scrapy.logformatter.LogFormatter, which logs a dropped item whole at
# WARNING. A rejected page is expected and recorded; one INFO line says which and why.
LOG_FORMATTER = "crawler.logformatter.ArchiveLogFormatter"
