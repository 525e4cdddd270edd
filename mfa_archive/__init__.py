"""mfa-archive: an archive of the Azerbaijani Ministry of Foreign Affairs' public statements.

The Scrapy project lives in :mod:`crawler`, the database in :mod:`storage`;
this package holds the command line and the offline replica of the sites.
"""
