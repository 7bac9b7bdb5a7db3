"""The floor for the cold-start figure: an interpreter that starts Qt and shows an empty dialog."""
import sys

from PySide6.QtWidgets import QApplication, QDialog

app = QApplication(sys.argv[:1])
dialog = QDialog()
dialog.show()
app.processEvents()
print("READY", flush=True)
