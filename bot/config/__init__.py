"""Configuration: config.yaml plus the environment, as frozen dataclasses checked once.

- settings.py: the sections, loading, environment overrides and validation (ConfigError names the key)
- jobs.py: the nested `jobs` section: reminder schedules, caps, quiet hours and the filing calendar's settings
"""
