"""Form widgets shared by the workflow pages (marriage, divorce, adoption): a party's details, a
field with its error shown next to it, a photo picker, and keyboard flow (Enter = next field)."""
from ui.fields import IssueSlot
from ui.widgets.fields import DateField, parse_date_text
from ui.widgets.issue_panel import IssuePanel
from ui.widgets.keyboard import KeyboardFlow
from ui.widgets.party_form import PartyForm
from ui.widgets.photo import PhotoPicker

__all__ = ["DateField", "IssuePanel", "IssueSlot", "KeyboardFlow", "PartyForm", "PhotoPicker", "parse_date_text"]
