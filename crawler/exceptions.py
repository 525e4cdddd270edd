"""The crawler's errors, below storage's MfaArchiveError (storage.errors)."""

from storage.errors import MfaArchiveError


class ConfigError(MfaArchiveError):
    """Raised when a sites file, a setting or an argument cannot be used."""


class PageRejected(Exception):  # noqa: N818: it says what happened to the page
    """Raised by extraction when a fetched page cannot become a document; the
    message is the exact reason recorded among the rejects (crawler.extract).
    The extraction pipeline turns it into Scrapy's DropItem."""
