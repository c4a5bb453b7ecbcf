"""Screens of the bftui app."""
