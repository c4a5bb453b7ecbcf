"""Textual widgets of the bftui app, one module per area."""
