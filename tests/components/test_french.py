"""The English → French dictionary of Streamlit's chrome (components/french_ui.json) and its script."""

from __future__ import annotations

import re

from components import french


def test_every_translation_is_final():
    """A translated string never matches again (no loop between the observer and its own changes)."""
    data = french.dictionary()
    exact, patterns = data["exact"], [(re.compile(p[0]), p[1]) for p in data["patterns"]]
    for english, fr in exact.items():
        assert fr == english or fr not in exact, english
        assert not any(p.search(fr) for p, _ in patterns), fr
    for pattern, to in patterns:
        assert pattern.pattern.startswith("^") and pattern.pattern.endswith("$")  # whole strings only
        filled = re.sub(r"\$(\d)", lambda m: "K" if m.group(1) in "234" else "1", to)  # groups: digits, units
        assert not any(p.search(filled) for p, _ in patterns), to
        assert not any(p.search(to.replace("$1", "x")) for p, _ in patterns), to


def test_patterns_are_whole_strings_with_an_optional_css_scope():
    for entry in french.dictionary()["patterns"]:
        assert len(entry) in (2, 3) and all(isinstance(part, str) and part for part in entry), entry


def test_file_uploader_chrome():
    """Streamlit 1.67's file uploader (FileUploader / utils chunks): what a user sees, and where."""
    data = french.dictionary()
    exact = data["exact"]
    assert exact["Drag and drop a file here"] == "Glissez-déposez un fichier ici"

    def apply(text: str, inside: str | None = None) -> str | None:  # the script's rule, in Python
        if text in exact:
            return exact[text]
        for entry in data["patterns"]:
            scope = entry[2] if len(entry) == 3 else None
            if scope is not None and scope != inside:
                continue
            if scope is None and not (text[:1].isascii() and text[:1].isalnum()):
                continue
            if re.fullmatch(entry[0], text):
                js = re.sub(r"\$(\d)", r"\\\1", entry[1])
                return re.sub(entry[0], js, text)
        return None

    chip, delete = '[data-testid="stFileChip"]', '[data-testid="stFileChipDeleteBtn"]'
    button = '[data-testid="stFileUploaderDropzone"] button'  # its label is Markdown: only a scoped pattern
    assert apply("Upload", button) == "Parcourir les fichiers" and apply("Upload") is None
    assert apply("25MB per file") == "25\u202fMo maximum par fichier"
    assert apply("1.2KB", chip) == "1,2\u202fKo" and apply("1.2KB") is None  # only in the uploader
    assert apply("311.0B", chip) == "311\u202fo" and apply("ent.csv, 311.0B", chip) == "ent.csv, 311\u202fo"
    assert apply("ent.csv, 1.2KB", chip) == "ent.csv, 1,2\u202fKo"
    assert apply("Remove ent.csv", delete) == "Supprimer le fichier ent.csv"
    assert apply("Remove Moselle") == "Retirer Moselle"  # a multiselect tag
    assert apply("File must be 25.0MB or smaller.") == "Le fichier ne doit pas dépasser 25\u202fMo."
    assert (
        apply("application/pdf files are not allowed.") == "Ce type de fichier n'est pas accepté "
        "(application/pdf)."
    )
    assert apply("files are not allowed.") == "Ce type de fichier n'est pas accepté."


def test_the_script_embeds_the_dictionary_safely():
    script = french.script()
    assert "</script" not in script.lower()
    assert '"Main menu": "Menu principal"' in script
    assert "__DATA__" not in script
