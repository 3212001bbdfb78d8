"""The Flask edge: app factory, WeChat callback, Mini Program API, pages, outbound channels, CLI."""
from .app import create_app

__all__ = ["create_app"]
