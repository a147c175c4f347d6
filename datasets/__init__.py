"""Bundled benchmark datasets, shipped as package data (see README.md in this folder)."""
