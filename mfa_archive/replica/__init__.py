"""The offline replica of the ministry's sites: rendering, serving, generating."""
