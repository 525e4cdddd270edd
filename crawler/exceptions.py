"""The crawler's errors, below storage's MfaArchiveError (storage.errors)."""

from storage.errors import MfaArchiveError


class ConfigError(MfaArchiveError):
    """Raised when a sites file, a setting or an argument cannot be used."""
