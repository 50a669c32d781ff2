"""Typed settings for Auskunft: ``load_settings()`` is the only entry point."""

from config.settings import Settings, load_settings

__all__ = ["Settings", "load_settings"]
