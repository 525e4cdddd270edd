"""The errors mfa-archive reports to its user, each in one line.

They live at the bottom of the layers (mfa_archive -> crawler -> storage) so
that every layer can raise and catch them; the crawler adds its own below
MfaArchiveError (crawler.exceptions).
"""


class MfaArchiveError(Exception):
    """Base class of every error mfa-archive reports to its user."""


class DatabaseError(MfaArchiveError):
    """Raised when the archive's database cannot be opened or migrated."""


class SearchQueryError(MfaArchiveError):
    """Raised when a search query is not valid search syntax."""


class ArchiveLockedError(MfaArchiveError):
    """Raised when another crawl holds the archive's lock."""
