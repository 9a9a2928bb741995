"""The Simplified Chinese catalogue: complete, faithful to its placeholders, compiled, and used.

zh-Hans is the default language, so an untranslated string shows English to a village doctor and a
translation that drops ``%(name)s`` raises ``KeyError`` at the moment a message is shown. These
tests read the committed ``.po`` and ``.mo`` with a small parser of their own, so they need neither
gettext's tools nor an extra dependency.
"""

from __future__ import annotations

import ast
import io
import re
import struct
import tokenize
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse
from django.utils.translation.template import templatize

from lianxin.referrals.actions.referrals import do_create_referral
from lianxin.referrals.rules import Direction

LOCALE = Path(settings.LOCALE_PATHS[0]) / "zh_Hans" / "LC_MESSAGES"
PO = LOCALE / "django.po"
MO = LOCALE / "django.mo"
SOURCE = Path(settings.BASE_DIR)


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)

    @property
    def key(self) -> str:
        # The key gettext uses in a .mo file: context and id joined by EOT.
        return self.msgid if self.msgctxt is None else f"{self.msgctxt}\x04{self.msgid}"


def _unquote(text: str) -> str:
    return ast.literal_eval(text)


def read_po(path: Path) -> tuple[Entry, list[Entry]]:
    """The header and the live entries of a .po file (obsolete ``#~`` entries are skipped).

    gettext's tools write one entry per paragraph, so a blank line ends an entry.
    """
    entries: list[Entry] = []
    text = path.read_text(encoding="utf-8")
    for block in re.split(r"\n[ \t]*\n", text):
        lines = [line.strip() for line in block.strip().splitlines()]
        if not lines or all(line.startswith("#") for line in lines):
            continue  # obsolete (#~) or a lone comment
        entry = Entry()
        target: tuple[str, int] | None = None
        for line in lines:
            if line.startswith("#,"):
                entry.flags |= {flag.strip() for flag in line[2:].split(",")}
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                assert target is not None, f"{path}: a string outside a keyword in {block!r}"
                name, index = target
                if name == "msgstr":
                    entry.msgstr[index] += _unquote(line)
                else:
                    setattr(entry, name, getattr(entry, name) + _unquote(line))
            else:
                keyword, _, rest = line.partition(" ")
                match = re.fullmatch(r"msgstr(?:\[(\d+)\])?|msgid|msgid_plural|msgctxt", keyword)
                assert match, f"{path}: unexpected line {line!r}"
                if keyword.startswith("msgstr"):
                    target = ("msgstr", int(match.group(1) or 0))
                    entry.msgstr[target[1]] = _unquote(rest)
                else:
                    target = (keyword, 0)
                    setattr(entry, keyword, _unquote(rest))
        entries.append(entry)
    header, *rest = entries
    assert header.msgid == "", "the first entry of a .po file is its header"
    return header, rest


def read_mo(path: Path) -> dict[str, list[str]]:
    """A .mo file's catalogue: key (context EOT id) to its translations (one per plural form)."""
    data = path.read_bytes()
    magic = struct.unpack("<I", data[:4])[0]
    order = "<" if magic == 0x950412DE else ">"
    _, count, ids_at, strs_at = struct.unpack(order + "4I", data[4:20])
    catalogue: dict[str, list[str]] = {}
    for n in range(count):
        id_len, id_off = struct.unpack(order + "2I", data[ids_at + 8 * n : ids_at + 8 * n + 8])
        st_len, st_off = struct.unpack(order + "2I", data[strs_at + 8 * n : strs_at + 8 * n + 8])
        msgid = data[id_off : id_off + id_len].decode("utf-8").split("\x00")[0]
        catalogue[msgid] = data[st_off : st_off + st_len].decode("utf-8").split("\x00")
    return catalogue


@pytest.fixture(scope="module")
def catalogue() -> tuple[Entry, list[Entry]]:
    return read_po(PO)


# Python's %-format directives, as gettext checks them for ``python-format`` entries.
PERCENT = re.compile(r"%(?:\((\w+)\))?[#0 +-]*(?:\d+|\*)?(?:\.\d+)?[diouxXeEfFgGcrsa%]")
BRACES = re.compile(r"\{(\w*)(?:![rsa])?(?::[^{}]*)?\}")


def _placeholders(text: str, flags: set[str]) -> Counter[str]:
    """The format directives a translation must keep: all of them in a python-format entry, the
    named ones and the brace fields anywhere (a stray ``%`` in plain text is not a directive)."""
    found: Counter[str] = Counter()
    if "python-format" in flags:
        found.update(m.group(0) for m in PERCENT.finditer(text) if m.group(0) != "%%")
    else:
        found.update(re.findall(r"%\(\w+\)[a-z]", text))
    found.update(m.group(0) for m in BRACES.finditer(text))
    return found


def test_the_po_file_has_no_untranslated_and_no_fuzzy_entry(catalogue):
    _, entries = catalogue
    untranslated = [e.msgid for e in entries if not all(e.msgstr.values()) or not e.msgstr]
    fuzzy = [e.msgid for e in entries if "fuzzy" in e.flags]
    assert entries, "the catalogue is empty"
    assert not untranslated, f"{len(untranslated)} untranslated: {untranslated[:20]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy: {fuzzy[:20]}"


def test_the_header_declares_utf8_and_the_single_plural_form_of_chinese(catalogue):
    header, entries = catalogue
    text = header.msgstr[0]
    assert "Content-Type: text/plain; charset=UTF-8" in text
    assert "Plural-Forms: nplurals=1; plural=0;" in text
    assert "fuzzy" not in header.flags, "a fuzzy header makes msgfmt ignore the plural forms"
    for entry in entries:
        if entry.msgid_plural is not None:
            assert list(entry.msgstr) == [0], f"{entry.msgid!r} needs exactly msgstr[0]"


def test_every_translation_keeps_the_placeholders_of_its_source(catalogue):
    _, entries = catalogue
    wrong = []
    for entry in entries:
        expected = _placeholders(entry.msgid, entry.flags)
        if entry.msgid_plural is not None:
            # Chinese has one form for every count: it must name all the plural's placeholders.
            expected |= _placeholders(entry.msgid_plural, entry.flags)
        for translation in entry.msgstr.values():
            if _placeholders(translation, entry.flags) != expected:
                wrong.append((entry.msgid, translation))
    assert not wrong, wrong


def test_the_placeholder_check_notices_a_dropped_or_renamed_placeholder():
    flags = {"python-format"}
    source = _placeholders("Registered %(name)s at %(n)d.", flags)
    assert _placeholders("已登记 %(name)s，%(n)d。", flags) == source
    assert _placeholders("已登记。", flags) != source
    assert _placeholders("已登记 %(nom)s，%(n)d。", flags) != source
    assert _placeholders("已登记 %(name)s，%(n)s。", flags) != source


def test_the_compiled_mo_file_is_in_step_with_the_po_file(catalogue):
    _, entries = catalogue
    compiled = read_mo(MO)
    expected = {
        e.key: [e.msgstr[i] for i in sorted(e.msgstr)]
        for e in entries
        if e.msgstr and all(e.msgstr.values())  # msgfmt leaves untranslated entries out
    }
    stale = {
        key: (compiled.get(key), value)
        for key, value in expected.items()
        if compiled.get(key) != value
    }
    extra = set(compiled) - set(expected) - {""}
    assert not stale, f"recompile the .mo ({len(stale)} differ): {list(stale.items())[:5]}"
    assert not extra, f"recompile the .mo (it has entries the .po lost): {sorted(extra)[:5]}"
    assert "nplurals=1; plural=0;" in compiled[""][0]


# The calls makemessages extracts (its xgettext keywords for Python, and templatize's output).
SINGULAR = {"_", "gettext", "gettext_lazy", "gettext_noop", "ugettext", "ugettext_lazy"}
PLURAL = {"ngettext", "ngettext_lazy", "ungettext", "ungettext_lazy"}
CONTEXT = {"pgettext", "pgettext_lazy"}
CONTEXT_PLURAL = {"npgettext", "npgettext_lazy"}


def _strings_in_calls(code: str) -> set[str]:
    """Keys of the literal strings passed to translation calls in Python-like code."""
    tokens = [
        t
        for t in tokenize.generate_tokens(io.StringIO(code).readline)
        if t.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT)
    ]
    found: set[str] = set()
    for i, token in enumerate(tokens[:-1]):
        if token.type != tokenize.NAME or tokens[i + 1].string != "(":
            continue
        name = token.string
        if name not in SINGULAR | PLURAL | CONTEXT | CONTEXT_PLURAL:
            continue
        args: list[str | None] = []
        parts: list[str] = []
        j = i + 2
        while j < len(tokens) and tokens[j].string not in (")",):
            t = tokens[j]
            if t.type == tokenize.STRING and not re.match(r"(?i)^[rbu]*f", t.string):
                parts.append(ast.literal_eval(t.string))
            elif t.string == ",":
                args.append("".join(parts) if parts else None)
                parts = []
            else:
                break  # not a plain literal: xgettext does not extract it either
            j += 1
        args.append("".join(parts) if parts else None)
        if name in CONTEXT | CONTEXT_PLURAL:
            if len(args) >= 2 and args[0] is not None and args[1] is not None:
                found.add(f"{args[0]}\x04{args[1]}")
        elif args and args[0] is not None:
            found.add(args[0])
    return found


def _template_code(text: str, origin: str | None = None) -> str:
    """A template as the Python-like code makemessages hands to xgettext.

    templatize keeps the layout of the HTML, whose indentation means nothing to Python.
    """
    code = templatize(text, origin=origin)
    return "\n".join(line.lstrip() for line in code.splitlines())


def source_strings() -> dict[str, str]:
    """Every translatable string in the code, as makemessages would extract it, with its file."""
    found: dict[str, str] = {}
    for path in sorted(SOURCE.rglob("*")):
        parts = path.relative_to(SOURCE).parts
        if "tests" in parts or "migrations" in parts or path.suffix not in (".py", ".html", ".txt"):
            continue
        if not path.is_file() or "locale" in parts or "static" in parts:
            continue
        text = path.read_text(encoding="utf-8")
        if path.suffix != ".py":
            text = _template_code(text, origin=str(path))
        for key in _strings_in_calls(text):
            found.setdefault(key, str(path.relative_to(SOURCE)))
    return found


def test_the_extractor_finds_the_calls_makemessages_finds():
    code = (
        'x = _("One") + gettext_lazy("Two" " halves")\n'
        'y = ngettext("%(n)s item", "%(n)s items", n) + pgettext("verb", "Open")\n'
        'z = _(f"not {this}") + _(variable) + other("Nope")\n'
    )
    assert _strings_in_calls(code) == {"One", "Two halves", "%(n)s item", "verb\x04Open"}
    template = (
        '{% load i18n %}<p>{% translate "Three" %}\n'
        "  {% blocktranslate %}Four {{ n }}{% endblocktranslate %}</p>"
    )
    assert _strings_in_calls(_template_code(template)) == {"Three", "Four %(n)s"}


def test_every_string_in_the_code_has_a_translation(catalogue):
    _, entries = catalogue
    translated = {e.key for e in entries if e.msgstr and all(e.msgstr.values())}
    missing = {key: where for key, where in source_strings().items() if key not in translated}
    assert not missing, (
        f"{len(missing)} strings are not in the zh-Hans catalogue; run makemessages and translate "
        f"them (docs/translations.md): {sorted(missing.items(), key=lambda kv: kv[1])[:20]}"
    )


# Pages. The production default is Chinese; the test settings may run the rest of the suite in
# English, so these tests pin the production value.
def test_the_production_default_language_is_simplified_chinese():
    from lianxin import settings as production

    assert production.LANGUAGE_CODE == "zh-hans"
    assert [code for code, _ in production.LANGUAGES] == ["zh-hans", "en"]


def _text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


@override_settings(LANGUAGE_CODE="zh-hans")
def test_the_login_page_is_in_chinese_until_the_user_chooses_english(client):
    page = _text(client.get(reverse("login")))
    assert '<html lang="zh-hans">' in page
    assert "登录" in page and "用户名" in page and "密码" in page
    assert "Sign in" not in page and "Password" not in page

    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("login")})
    assert response.status_code == 302
    page = _text(client.get(reverse("login")))
    assert '<html lang="en">' in page
    assert "Sign in" in page and "User name" in page
    assert "登录" not in page


@override_settings(LANGUAGE_CODE="zh-hans")
def test_the_home_page_greets_a_doctor_in_chinese_and_switches_to_english(personas):
    client = personas.client("doctor")
    page = _text(client.get(reverse("home")))
    for chinese in ("首页", "患者", "欢迎您", "查找患者", "登记患者", "我的角色", "退出登录"):
        assert chinese in page, chinese
    assert "Find a patient" not in page

    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = _text(client.get(reverse("home")))
    assert "Find a patient" in page and "Sign out" in page
    assert "查找患者" not in page


@override_settings(LANGUAGE_CODE="zh-hans")
def test_the_incoming_referral_worklist_has_chinese_headers_and_statuses(personas):
    do_create_referral(
        actor=personas.doctor,
        patient=personas.patient,
        direction=Direction.UP,
        performer_institution=personas.county_a,
        reason="胸痛待查",
        diagnosis_text="胸痛",
    )
    page = _text(personas.client("specialist").get(reverse("referrals:incoming")))
    for header in ("发出时间", "患者", "方向", "诊断", "来源", "状态", "截止时间"):
        assert f"<th>{header}</th>" in page, header
    assert "<h1>转入</h1>" in page
    assert personas.patient.name in page and "上转" in page and "待接收" in page
    assert "<th>Patient</th>" not in page and "Requested" not in page


# Words a template may show untranslated: the product's Latin name and the language's own name.
UNTRANSLATED_WORDS = {"Lianxin", "English"}


def _visible_text(template: str) -> list[str]:
    """The text of a template a user can read when template tags are left out: text between HTML
    tags and the attributes a browser shows (placeholder, title, aria-label, alt, button value)."""
    text = re.sub(r"\{#.*?#\}", " ", template, flags=re.S)
    text = re.sub(r"\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}", " ", text, flags=re.S)
    text = re.sub(r"\{%\s*(blocktranslate|blocktrans)\b.*?\{%\s*end\1\s*%\}", " ", text, flags=re.S)
    text = re.sub(r"\{%.*?%\}|\{\{.*?\}\}|<!--.*?-->", " ", text, flags=re.S)
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S | re.I)
    shown = re.findall(r"\b(?:placeholder|title|aria-label|alt)\s*=\s*\"([^\"]*)\"", text)
    shown += re.findall(r"<input\b[^>]*type=\"(?:submit|button)\"[^>]*value=\"([^\"]*)\"", text)
    return shown + re.split(r"<[^>]*>", text)


def _english_words(chunk: str) -> set[str]:
    if re.search(r"[\u4e00-\u9fff]", chunk):
        return set()  # written bilingual on purpose, e.g. the import columns 姓名 name
    if re.fullmatch(r"\s*[a-z_]+\.[a-z_.]*\s*", chunk):
        return set()  # a code to type, e.g. the audit log's action prefix "patient."
    return set(re.findall(r"[A-Za-z][A-Za-z'-]+", chunk)) - UNTRANSLATED_WORDS


def test_the_visible_text_check_catches_english_outside_translate_tags():
    template = (
        '{% load i18n %}<h1>{% translate "Home" %}</h1><p title="Open it">Nothing here</p>'
        '<input placeholder="{% translate "Name" %}">{# a comment #}<p>{{ user.name }} 连心 '
        "Lianxin</p>"
    )
    found = set().union(*(_english_words(chunk) for chunk in _visible_text(template)))
    assert found == {"Open", "it", "Nothing", "here"}


def test_no_template_shows_english_text_outside_translate_tags():
    leaks = []
    for path in sorted(SOURCE.rglob("*.html")):
        if "tests" in path.relative_to(SOURCE).parts:
            continue
        for chunk in _visible_text(path.read_text(encoding="utf-8")):
            if words := _english_words(chunk):
                leaks.append((str(path.relative_to(SOURCE)), chunk.strip()[:60], sorted(words)))
    assert not leaks, leaks
