"""Sandbox: a fake WeCom server API and helpers for the demo and the tests."""
