"""The crawler's errors, below storage's MfaArchiveError (storage.errors)."""

from storage.errors import MfaArchiveError
from storage.records import REJECT_INVALID


class ConfigError(MfaArchiveError):
    """Raised when a sites file, a setting or an argument cannot be used."""


class PageRejected(Exception):  # noqa: N818: it says what happened to the page
    """Raised by extraction when a fetched page cannot become a document; the
    message is the exact reason recorded among the rejects (crawler.extract),
    ``kind`` the reject's kind (storage.records REJECT_*). The extraction
    pipeline turns it into Scrapy's DropItem."""

    def __init__(self, reason: str, kind: str = REJECT_INVALID) -> None:
        super().__init__(reason)
        self.kind = kind

    def __reduce__(self) -> tuple[type, tuple[str, str]]:  # pickled to and from workers
        return (type(self), (str(self), self.kind))
