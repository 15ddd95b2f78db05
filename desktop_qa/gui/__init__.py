"""The PySide6 desktop app: a view over ``desktop_qa.core``; nothing imports this package."""
