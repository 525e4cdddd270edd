"""Pure functions from raw page text to archive fields; no Scrapy, no I/O."""
