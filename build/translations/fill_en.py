"""Fill English translations into resources/translations/registry_en.ts from en.json (source → English).
Run by build/scripts/update-translations.sh after lupdate; entries without a translation stay unfinished."""
import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

root = Path(__file__).resolve().parents[2]
ts_path = root / "resources/translations/registry_en.ts"
table = json.loads((Path(__file__).with_name("en.json")).read_text(encoding="utf-8"))
tree = ET.parse(ts_path)
filled = 0
for message in tree.getroot().iter("message"):
    source = message.findtext("source")
    translation = message.find("translation")
    if source in table and translation is not None:
        translation.text = table[source]
        translation.attrib.pop("type", None)
        filled += 1
tree.write(ts_path, encoding="utf-8", xml_declaration=True)
print(f"filled {filled} translations", file=sys.stderr)
