"""Widgets: each renders what its attributes hold and posts messages up to its screen."""
