from __future__ import annotations

import httpx
from jinja2 import Environment

from app.i18n import (
    current_language,
    gettext,
    negotiate,
    reset_language,
    set_language,
    translations_for,
)
from app.web import build_environment
from tests.i18n_extract import extracted_messages


def test_every_interface_message_has_a_hindi_translation() -> None:
    catalog = translations_for("hi")
    missing = {
        msgid: where
        for msgid, where in extracted_messages().items()
        if catalog.gettext(msgid) == msgid
    }
    assert missing == {}, "add these to app/locale/hi/LC_MESSAGES/<domain>.po"


def test_hindi_translations_keep_their_placeholders() -> None:
    catalog = translations_for("hi")
    for msgid in extracted_messages():
        translated = catalog.gettext(msgid)
        for placeholder in ("%(n)s", "%(name)s", "%(id)s", "%(district)s", "%(total)s"):
            assert (placeholder in msgid) == (placeholder in translated), (msgid, translated)


def test_language_negotiation_prefers_the_saved_choice() -> None:
    assert negotiate("hi", "en-GB,en;q=0.9") == "hi"
    assert negotiate(None, "hi-IN,hi;q=0.9,en;q=0.8") == "hi"
    assert negotiate(None, "fr-FR,de;q=0.5") == "en"
    assert negotiate("xx", None) == "en"


def test_python_gettext_follows_the_current_language() -> None:
    token = set_language("hi")
    try:
        assert gettext("Page %(n)s of %(total)s", n=2, total=5) == "पृष्ठ 2 / 5"
    finally:
        reset_language(token)
    assert gettext("Home") == "Home"


async def test_language_switch_persists_and_sets_lang_attribute(client: httpx.AsyncClient) -> None:
    response = await client.get("/preferences/language?lang=hi&next=/states/bihar")
    assert response.status_code == 303
    assert response.headers["location"] == "/states/bihar"
    page = await client.get("/states/bihar")
    assert '<html lang="hi">' in page.text
    assert "मुखपृष्ठ" in page.text
    home = await client.get("/")
    assert "उत्तर प्रदेश" not in home.text or '<html lang="hi">' in home.text


async def test_preference_redirects_never_leave_the_site(client: httpx.AsyncClient) -> None:
    for target in ("//evil.example/x", "https://evil.example", "/\\evil.example"):
        response = await client.get("/preferences/language", params={"lang": "hi", "next": target})
        assert response.headers["location"] == "/"


async def test_currency_choice_is_limited_to_configured_currencies(
    client: httpx.AsyncClient,
) -> None:
    chosen = await client.get("/preferences/currency?code=usd&next=/")
    assert "odop_currency=USD" in chosen.headers["set-cookie"]
    unknown = await client.get("/preferences/currency?code=XYZ&next=/")
    assert "odop_currency=INR" in unknown.headers["set-cookie"]


def test_templates_translate_as_jinjas_i18n_extension_does() -> None:
    """Templates' ``_()`` is one call instead of the extension's three, with the same output:
    translated, escaped where the template autoescapes (pages, not text mails), always
    %-formatted."""
    ours = build_environment()
    reference = Environment(autoescape=True, extensions=["jinja2.ext.i18n"])
    reference.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda m: translations_for(current_language()).gettext(m),
        ngettext=lambda s, p, n: translations_for(current_language()).ngettext(s, p, n),
        newstyle=True,
    )
    source = '{{ _("Min. order %(n)s", n=value) }}|{{ _("Home") }}|{{ _("100%% %(n)s", n=value) }}'
    outputs = set()
    for language in ("en", "hi"):
        token = set_language(language)
        try:
            for autoescape in (True, False):
                ours.autoescape = reference.autoescape = autoescape
                for value in ("<b>5</b>", 5):
                    got = ours.from_string(source).render(value=value)
                    assert got == reference.from_string(source).render(value=value)
                    outputs.add(got)
        finally:
            reset_language(token)
    assert "Min. order &lt;b&gt;5&lt;/b&gt;|Home|100% &lt;b&gt;5&lt;/b&gt;" in outputs
    assert "Min. order <b>5</b>|Home|100% <b>5</b>" in outputs
    assert f"|{translations_for('hi').gettext('Home')}|" in " ".join(outputs)
    assert translations_for("hi").gettext("Home") != "Home"
