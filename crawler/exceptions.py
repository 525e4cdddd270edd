"""The project's errors: each says what the user got wrong, in one line."""


class MfaArchiveError(Exception):
    """Base class of every error mfa-archive reports to its user."""


class ConfigError(MfaArchiveError):
    """Raised when a sites file, a setting or an argument cannot be used."""


class DatabaseError(MfaArchiveError):
    """Raised when the archive's database cannot be opened or migrated."""


class SearchQueryError(MfaArchiveError):
    """Raised when a search query is not valid full-text syntax."""


class ArchiveLockedError(MfaArchiveError):
    """Raised when another crawl holds the archive's lock."""
