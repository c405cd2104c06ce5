"""Rapport's domain rules: plain classes and functions, testable without Flask."""
