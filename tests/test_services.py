"""A test whose service is missing skips here, saying how to run it, and fails on CI."""

from __future__ import annotations

import pytest

from tests import services


def test_a_missing_service_skips_with_how_to_run_it(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    mark = services.needs(None, "tmux", "install it")
    assert mark.args == (False, "needs tmux: install it")
    with pytest.raises(pytest.skip.Exception, match="needs tmux: install it"):
        services.missing(mark.args[1])


@pytest.mark.parametrize("ci", ["true", "1", "TRUE"])
def test_on_ci_a_missing_service_fails_the_test(monkeypatch, ci):
    monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.fail.Exception, match="CI must run this test, but it needs tmux"):
        services.missing("needs tmux: install it")


def test_a_present_service_runs_the_test(monkeypatch, request):
    monkeypatch.setenv("CI", "true")
    assert services.needs("/usr/bin/tmux", "tmux", "install it").args[0] is True
    services.check(request.node)  # this test has no such mark: nothing happens


class _Item:
    """What serialise reads and writes of a collected test."""

    def __init__(self, *marks: pytest.MarkDecorator) -> None:
        self.marks = [m.mark for m in marks]

    def iter_markers(self, name: str):
        return (m for m in self.marks if m.name == name)

    def add_marker(self, mark: pytest.MarkDecorator) -> None:
        self.marks.append(mark.mark)


def test_tests_of_one_shared_server_run_in_one_xdist_group():
    items = {
        "pg": _Item(services.needs_postgres("postgresql://x")),
        "restarts": _Item(services.needs(True, "a server", "how", shared="postgresql")),
        "tmux": _Item(services.needs(True, "tmux", "how")),
        "plain": _Item(),
    }
    services.serialise(list(items.values()))
    groups = {
        k: [m.kwargs["name"] for m in i.iter_markers("xdist_group")] for k, i in items.items()
    }
    assert groups == {"pg": ["postgresql"], "restarts": ["postgresql"], "tmux": [], "plain": []}
