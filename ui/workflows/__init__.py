"""Workflow pages; each module calls ui.main_window.register_page on import."""
