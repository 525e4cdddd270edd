"""Spiders of mfa-archive. ``press`` is the one that crawls; see base.py for its switches."""
