"""Both player-facing catalogues are complete, current with the source, and compiled."""

import gettext
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LANGS = ("ko", "en")
DOMAINS = ("django", "djangojs")  # the server's text; the page's own strings (terminal.js)

pytestmark = pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext is not installed")


def _statistics(po: Path) -> str:
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(po)], capture_output=True, text=True, check=True
    )
    return result.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("lang", LANGS)
def test_catalogue_is_complete_and_compiled(lang, domain, tmp_path):
    po = ROOT / "locale" / lang / "LC_MESSAGES" / f"{domain}.po"
    stats = _statistics(po)
    assert "untranslated" not in stats and "fuzzy" not in stats, stats
    fresh = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check-format", "-o", str(fresh), str(po)], check=True)
    assert _compiled(po) == gettext.GNUTranslations(open(fresh, "rb"))._catalog, "run bin/i18n"


def _compiled(po: Path) -> dict[str, str]:
    """The committed .mo next to `po`: msgid -> msgstr."""
    with open(po.with_suffix(".mo"), "rb") as mo:
        return gettext.GNUTranslations(mo)._catalog


def test_every_string_in_the_source_is_in_the_catalogues(tmp_path):
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for name in files:
        if name.endswith((".py", ".html", ".js", ".po")):
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(ROOT / name, tmp_path / name)
    for domain in DOMAINS:
        command = ["makemessages", "-d", domain, "-l", "ko", "-l", "en", "--no-location", "-i", "tests/*"]
        subprocess.run([sys.executable, "manage.py", *command], cwd=tmp_path, check=True, capture_output=True)
        for lang in LANGS:
            stats = _statistics(tmp_path / "locale" / lang / "LC_MESSAGES" / f"{domain}.po")
            assert "untranslated" not in stats, f"{lang} {domain}: {stats}; run bin/i18n and translate"


# 은(는), 이(가), 을(를), 와(과), (으)로, (이)라는 and the like: a particle left for the reader to choose.
UNRESOLVED_PARTICLE = re.compile(r"[은는이가을를과와]\([은는이가을를과와]\)|\((으|이)\)")


def test_no_korean_text_leaves_a_particle_unresolved():
    from village.content import NPC_LINES

    korean = ROOT / "locale" / "ko" / "LC_MESSAGES"
    texts = [text for domain in DOMAINS for text in _compiled(korean / f"{domain}.po").values()]
    texts += [ko for lines in NPC_LINES.values() for ko, _en in lines]
    assert len(texts) > 300
    assert [text for text in texts if UNRESOLVED_PARTICLE.search(text)] == []
