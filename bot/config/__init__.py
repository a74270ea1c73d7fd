"""Configuration: config.yaml plus the environment, as frozen dataclasses checked once.

- settings.py: the sections, loading, environment overrides and validation (ConfigError names the key)
- jobs.py: the nested `jobs` section: reminder schedules, caps and quiet hours
- filings.py: the `filings` section: the filing calendar's rule for years not shipped, and the agency's overrides
"""
