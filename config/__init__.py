"""Configuration: environment settings and policy profiles."""
from .policy import Policy, PolicyError, load_policy
from .settings import Settings, SettingsError, load_settings

__all__ = ["Policy", "PolicyError", "Settings", "SettingsError", "load_policy", "load_settings"]
