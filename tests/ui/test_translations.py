"""The UI speaks Simplified Chinese; the shipped Qt translation file switches it to English."""
from PySide6.QtCore import QCoreApplication, QTranslator

from registry_app.resources import resources_dir
from ui.login import UnlockDialog


def test_english_translation_loads_and_applies(qtbot, tmp_path):
    chinese = UnlockDialog(tmp_path / "x.db")
    qtbot.addWidget(chinese)
    assert chinese.windowTitle() == "打开登记数据库"
    translator = QTranslator()
    assert translator.load(str(resources_dir() / "translations" / "registry_en.qm"))
    QCoreApplication.installTranslator(translator)
    try:
        english = UnlockDialog(tmp_path / "x.db")
        qtbot.addWidget(english)
        assert english.windowTitle() == "Open the registry database"
    finally:
        QCoreApplication.removeTranslator(translator)
