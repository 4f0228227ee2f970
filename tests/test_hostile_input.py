"""Hostile or careless input: refused with where and why, never a crash or a blow-up."""

from __future__ import annotations

from datetime import date

import pytest

from monitorbot.config import ConfigError
from monitorbot.config.yaml_source import load_yaml
from monitorbot.ingest.errors import RejectedInput
from monitorbot.ingest.xml_messages import parse_message
from tests.messages import declaration_323

BOMB = """\
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
regels: [*i, *i, *i, *i, *i, *i, *i, *i, *i]
"""


def test_a_yaml_alias_bomb_is_refused_at_its_line(tmp_path):
    file = tmp_path / "bom.yaml"
    file.write_text(BOMB, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_yaml(file)
    (problem,) = info.value.problems
    assert problem.line == 1  # where the anchor that is reused stands
    assert "YAML-verwijzingen" in problem.message


def _parse(content: bytes) -> None:
    with parse_message(content, filename="323.xml", pseudonymize=lambda bsn: "x" * 32) as message:
        list(message.records)


@pytest.mark.parametrize(
    ("begin", "end", "reason"),
    [
        (date(2024, 2, 10), date(2024, 2, 1), "einddatum ligt voor de begindatum 10-02-2024"),
        (date(2001, 1, 1), date(2099, 12, 31), "een prestatie beslaat hoogstens 366 dagen"),
    ],
)
def test_an_impossible_product_period_is_refused_with_its_line(begin, end, reason):
    content = declaration_323(prestaties=[dict(bsn="999999990", ref="R1", begin=begin, end=end)])
    with pytest.raises(RejectedInput) as info:
        _parse(content)
    (problem,) = info.value.problems
    assert problem.element == "Einddatum" and problem.value == end.isoformat()
    assert reason in problem.reason and problem.line is not None


@pytest.mark.parametrize(
    ("broken", "leak"),
    [
        (b"<Achternaam>Jansen</Achternaam>", b"<Achternaam>Jansen</Jansen>"),  # surname as tag
        (b"<Bsn>999999990</Bsn>", b"<Bsn><999999990/></Bsn>"),  # a BSN where a name goes
    ],
)
def test_a_malformed_message_never_echoes_personal_data(broken, leak):
    """The parser quotes what it choked on; a surname or BSN must not reach the report."""
    content = declaration_323(prestaties=[dict(bsn="999999990", ref="R1")])
    content = (
        content.replace(broken, leak, 1)
        if broken in content
        else content.replace(b"</Bericht>", leak + b"</Bericht>", 1)
    )
    with pytest.raises(RejectedInput) as info:
        _parse(content)
    text = " ".join(str(p) for p in info.value.problems)
    assert "Jansen" not in text and "999999990" not in text
    assert "niet goed gevormd" in text
