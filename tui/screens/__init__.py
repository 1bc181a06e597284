"""Screens: each polls or calls the engine through the app's source in thread workers."""
