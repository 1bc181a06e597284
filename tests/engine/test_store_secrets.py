"""Passwords in storage URLs: masked whatever they hold, refused when ambiguous, never stored."""

from __future__ import annotations

import textwrap
from pathlib import Path
from urllib.parse import quote

import pytest

from engine.errors import StoreError
from engine.session import Session
from engine.spec import parse_spec
from engine.store import Store, mask_url


@pytest.mark.parametrize(
    ("url", "secrets", "shown"),
    [
        ("postgresql+psycopg://ann:s3cret@db:5432/hpo", ["s3cret"], "ann:***@db:5432/hpo"),
        ("postgresql://ann:p@ss@db/hpo", ["p@ss", "ss@"], "ann:***@db/hpo"),
        ("postgresql://ann:{}@:/%@db/hpo", ["{}", ":/%"], "ann:***@db/hpo"),
        ("postgresql://ann:a@b/c@db/hpo", ["a@b", "b/c"], "ann:***@db/hpo"),
        ("postgresql://ann:pa?ss#x@db/hpo", ["pa?ss", "ss#x"], "ann:***@db/hpo"),
        ("postgresql://me@corp:pw@db/hpo", ["pw"], "me@corp:***@db/hpo"),
        ("postgresql://ann@db/hpo?password=zz&sslmode=require", ["zz"], "password=***&ssl"),
        ("postgresql://ann:%40t%2F@db/hpo", ["%40t", "@t"], "ann:***@db/hpo"),
    ],
)
def test_a_password_is_masked_whatever_it_holds(url, secrets, shown):
    masked = mask_url(url)
    assert shown in masked
    for secret in secrets:
        assert secret not in masked


def test_urls_without_a_password_are_shown_as_given():
    for url in ("sqlite:////srv/a@b/x:y.db", "sqlite:///:memory:", "postgresql://ann@db/hpo"):
        assert mask_url(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://ann:p@ss@127.0.0.1:9/hpo",
        "postgresql+psycopg://ann:{}@:/%@127.0.0.1:9/hpo",
        "postgresql+psycopg://ann:a@b/c@127.0.0.1:9/hpo",
    ],
)
def test_a_raw_password_that_cannot_be_read_is_refused_with_how_to_encode_it(url):
    with pytest.raises(StoreError) as info:
        Store(url, create=True)
    message = str(info.value)
    assert "percent-encode" in message and "urllib.parse.quote(password, safe='')" in message
    assert "ann:***@" in message
    for piece in ("p@ss", "ss@", "{}", "a@b", "b/c"):
        assert piece not in message


def test_a_url_that_cannot_be_read_shows_nothing_that_may_be_a_password():
    with pytest.raises(StoreError, match="not a valid storage URL") as info:
        Store("postgresql://ann:s3cret/hpo", create=True)  # the host was forgotten
    assert "s3cret" not in str(info.value)


def test_a_percent_encoded_password_is_accepted():
    password = "p@ss{}:/%"
    url = f"postgresql+psycopg://ann:{quote(password, safe='')}@127.0.0.1:9/hpo"
    with pytest.raises(StoreError, match="cannot open storage") as info:
        Store(url, create=True)  # nothing listens on port 9: it got as far as connecting
    assert password not in str(info.value) and quote(password, safe="") not in str(info.value)


SPEC = """
[session]
name = "t"
direction = "minimize"
objective = "objs:quadratic"
storage = {storage}

[space.x]
type = "float"
low = 0.0
high = 1.0

[fidelity]
resource = "epochs"
max = 4

[[sprints]]
name = "scout"
trials = 2
"""


@pytest.mark.parametrize(
    ("written", "secrets"),
    [
        ('"postgresql+psycopg://ann:hunter2@db.example/hpo"', ["hunter2"]),
        ("'postgresql+psycopg://ann:hunter2@db.example/hpo'", ["hunter2"]),
        ('"postgresql+psycopg://ann:hun%40ter2@db.example/hpo"', ["hun%40ter2", "hun@ter2"]),
        ('"postgresql+psycopg://ann:hun\\u0074er2@db.example/hpo"', ["hunter2", "hun\\u0074er2"]),
        ('"postgresql+psycopg://ann@db.example/hpo?password=hunter2"', ["hunter2"]),
    ],
)
def test_a_password_in_the_spec_is_never_stored(tmp_path: Path, written, secrets):
    text = textwrap.dedent(SPEC).format(storage=written)
    spec = parse_spec(text)
    db = tmp_path / "s.db"
    # The CLI's --storage wins over the spec's: the session lives in SQLite here.
    opened = Session.create_or_resume(spec, text, f"sqlite:///{db}", [str(tmp_path)])
    record = opened.session.record
    stored = record.spec["session"]["storage"]
    assert stored == mask_url(spec.session.storage or "") and "***" in stored
    assert "db.example/hpo" in record.spec_text and "***" in record.spec_text
    parse_spec(record.spec_text)  # the snapshot still reads as a spec
    opened.session.store.close()
    raw = db.read_bytes()
    for secret in secrets:
        assert secret not in stored and secret not in record.spec_text
        assert secret.encode() not in raw


def test_a_spec_without_a_password_is_stored_as_written(tmp_path: Path):
    text = textwrap.dedent(SPEC).format(storage='"postgresql+psycopg://ann@db.example/hpo"')
    spec = parse_spec(text)
    opened = Session.create_or_resume(spec, text, f"sqlite:///{tmp_path / 's.db'}", [])
    assert opened.session.record.spec_text == text
    opened.session.store.close()
