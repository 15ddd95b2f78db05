"""The headless core of desktop-qa: no Qt here, ever."""
