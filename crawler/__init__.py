"""The Scrapy project: sites, page objects, normalizers, pipelines, spiders."""

__version__ = "0.1.0"
