"""The demo municipality: valid messages, exact determinism, realistic figures, planted stories.

Every figure is measured from the generated files themselves (XML, CSV), the way
an ingest would see them, never from the generator's internals; the manifest is
then checked against those measurements.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from fnmatch import fnmatchcase
from functools import cache, cached_property
from pathlib import Path

import pytest
import yaml
from lxml import etree

from monitorbot.config import load_config
from monitorbot.demo import months
from monitorbot.demo.budget import demo_budget
from monitorbot.demo.catalog import (
    BUDGET_PERCELEN,
    DEMO_GEMEENTE,
    INDEXATIE,
    PRODUCTS,
    PROVIDERS,
    ROLLED_UP,
    VERWACHTE_GROEI,
    tariff_cents,
)
from monitorbot.demo.dirty import DIRTY_PLANS
from monitorbot.demo.generate import generate_demo
from monitorbot.demo.manifest import DemoManifest
from monitorbot.demo.scenarios import SCENARIOS, scenario_named
from monitorbot.demo.timeline import calendar_for
from tests.conftest import DEMO_VANDAAG

REPO = Path(__file__).resolve().parents[1]
ISTANDAARDEN = REPO.parent / "shared" / "istandaarden"
CONFIG = REPO / "config"
AS_OF = DEMO_VANDAAG
YOUTH_LEAF_PERCELEN = (
    "jeugd-ambulant",
    "jeugd-verblijf",
    "jeugd-pleegzorg",
    "jeugd-ggz",
    "jeugd-crisis",
    "jeugd-bescherming",
    "jeugd-landelijk",
)
BSN_WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2, -1)


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class Line:
    """One declaration line as an ingest sees it (XML Prestatie or CSV row), amounts signed."""

    file: str
    agb: str
    wet: str
    dagtekening: date
    bsn: str
    referentie: str
    vorig: str | None
    toewijzing: str
    categorie: str
    code: str
    begin: str
    volume: int
    eenheid: str
    tarief: int
    cents: int

    @property
    def care_month(self) -> str:
        return self.begin[:7]

    @property
    def care_year(self) -> str:
        return self.begin[:4]

    @property
    def lag(self) -> int:
        year, month = int(self.begin[:4]), int(self.begin[5:7])
        return (self.dagtekening.year - year) * 12 + self.dagtekening.month - month


def _leaves(element: etree._Element) -> dict[str, str]:
    """Text of every leaf below `element` by local name (names are unique per message part)."""
    return {e.tag.rpartition("}")[2]: e.text or "" for e in element.iter() if len(e) == 0}


def read_declaration(path: Path, root_folder: Path) -> tuple[dict[str, str], list[Line]]:
    """Header/Declaratie fields and all Prestaties of one 323."""
    root = etree.parse(str(path)).getroot()
    wet = "jw" if "/ijw/" in etree.QName(root).namespace else "wmo"
    header = _leaves(root.find("{*}Header"))
    declaratie = root.find("{*}Declaratie")
    fields = {
        "ontvanger": header["Ontvanger"],
        "dagtekening": declaratie.findtext("{*}DeclaratieDagtekening"),
        "totaal": declaratie.find("{*}TotaalIngediendBedrag/{*}TotaalBedrag").text,
        "totaal_dc": declaratie.find("{*}TotaalIngediendBedrag/{*}DebetCredit").text,
    }
    dagtekening = date.fromisoformat(fields["dagtekening"])
    lines = []
    for client in declaratie.iterfind("{*}Clienten/{*}Client"):
        bsn = client.findtext("{*}Bsn")
        for prestatie in client.iterfind("{*}Prestaties/{*}Prestatie"):
            v = _leaves(prestatie)
            sign = -1 if v["DebetCredit"] == "C" else 1
            lines.append(
                Line(
                    file=path.relative_to(root_folder).as_posix(),
                    agb=header["Afzender"],
                    wet=wet,
                    dagtekening=dagtekening,
                    bsn=bsn,
                    referentie=v["ReferentieNummer"],
                    vorig=v.get("VorigReferentieNummer"),
                    toewijzing=v["ToewijzingNummer"],
                    categorie=v["ProductCategorie"],
                    code=v["ProductCode"],
                    begin=v["Begindatum"],
                    volume=int(v["GeleverdVolume"]),
                    eenheid=v["Eenheid"],
                    tarief=int(v["ProductTarief"]),
                    cents=sign * int(v["Bedrag"]),
                )
            )
    return fields, lines


def dutch_cents(text: str) -> int:
    """``-1.234,56`` → -123456."""
    negative = text.startswith("-")
    euros, cents = text.lstrip("-").replace(".", "").split(",")
    value = int(euros) * 100 + int(cents)
    return -value if negative else value


def dutch_date(text: str) -> str:
    day, month, year = text.split("-")
    return f"{year}-{month}-{day}"


def read_export(path: Path, root_folder: Path) -> list[Line]:
    with path.open(encoding="cp1252", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    eenheden = {"uur": "04", "minuut": "01"}
    return [
        Line(
            file=path.relative_to(root_folder).as_posix(),
            agb=path.name.split("_")[0],
            wet="wmo",
            dagtekening=date.fromisoformat(dutch_date(r["Declaratiedatum"])),
            bsn=r["Clientnummer BSN"],
            referentie=r["Referentie"],
            vorig=None,
            toewijzing=r["Toewijzingnummer"],
            categorie=r["Productcategorie"],
            code=r["Productcode"],
            begin=dutch_date(r["Begindatum"]),
            volume=int(r["Volume"]),
            eenheid=eenheden[r["Eenheid"]],
            tarief=dutch_cents(r["Tarief"]),
            cents=dutch_cents(r["Bedrag"]),
        )
        for r in rows
    ]


def read_totals(path: Path) -> list[tuple[str, str, int]]:
    with path.open(encoding="cp1252", newline="") as handle:
        return [
            (r["maand"], r["perceel"], dutch_cents(r["bedrag"]))
            for r in csv.DictReader(handle, delimiter=";")
        ]


@cache
def percelen_config() -> dict:
    return yaml.safe_load((CONFIG / "percelen.yaml").read_text(encoding="utf-8"))


@cache
def perceel_of(wet: str, categorie: str, code: str) -> str:
    """The perceel config/percelen.yaml assigns: the most specific matching rule (a product
    code pattern beats a category alone), the first of equals."""
    best: tuple[int, str] | None = None
    for perceel in percelen_config()["percelen"]:
        for rule in perceel.get("regels", []):
            if rule["wet"] != wet or categorie not in rule["productcategorie"]:
                continue
            pattern = rule.get("productcode")
            if pattern and not fnmatchcase(code, pattern):
                continue
            specificity = 2 if pattern else 0
            if best is None or specificity > best[0]:
                best = (specificity, perceel["id"])
    return best[1] if best else "niet-ingedeeld"


@dataclass
class Demo:
    """One generated scenario and what can be read from its files."""

    path: Path
    manifest: DemoManifest

    @cached_property
    def dirty_files(self) -> set[str]:
        return {d.file for d in self.manifest.dirty}

    @cached_property
    def not_kept_files(self) -> set[str]:
        """Defective files whose lines do not count for Demodorp: rejected or foreign."""
        return {
            d.file
            for d in self.manifest.dirty
            if d.detail["verwacht"] == "afkeuren" or d.kind == "onbekende_ontvanger"
        }

    @cached_property
    def xml_files(self) -> list[Path]:
        return sorted((self.path / "berichten").rglob("*.xml"))

    def files_of(self, prefix: str) -> Iterator[Path]:
        return (f for f in self.xml_files if f.name.startswith(prefix + "_"))

    @cached_property
    def youth_declarations(self) -> list[tuple[Path, dict[str, str], list[Line]]]:
        return [(f, *read_declaration(f, self.path)) for f in self.files_of("JW323")]

    @cached_property
    def declarations(self) -> list[tuple[Path, dict[str, str], list[Line]]]:
        wmo = [(f, *read_declaration(f, self.path)) for f in self.files_of("WMO323")]
        return self.youth_declarations + wmo

    def _clean(self, declarations: list[tuple[Path, dict[str, str], list[Line]]]) -> list[Line]:
        """The lines an ingest keeps for Demodorp (defects with only a finding included)."""
        return [
            line
            for f, _, lines in declarations
            for line in lines
            if f.relative_to(self.path).as_posix() not in self.not_kept_files
        ]

    @cached_property
    def youth_lines(self) -> list[Line]:
        """Clean youth declaration lines (reading only the JW323s is twice as fast)."""
        return self._clean(self.youth_declarations)

    @cached_property
    def lines(self) -> list[Line]:
        """All clean declaration lines: XML 323s (not the planted dirty ones) and the export."""
        export = [
            line
            for f in sorted((self.path / "exports").glob("*.csv"))
            for line in read_export(f, self.path)
        ]
        return self._clean(self.declarations) + export

    def youth(self, year: str) -> list[Line]:
        return [line for line in self.youth_lines if line.care_year == year]

    def cost_per_perceel(self, year: str) -> dict[str, int]:
        totals: dict[str, int] = defaultdict(int)
        for line in self.lines:
            if line.care_year == year:
                totals[perceel_of(line.wet, line.categorie, line.code)] += line.cents
        return totals

    @cached_property
    def bsns(self) -> list[str]:
        found = [
            m.decode()
            for f in self.xml_files
            for m in re.findall(rb"<Bsn>([^<]*)</Bsn>", f.read_bytes())
        ]
        return found + [line.bsn for line in self.lines if line.file.startswith("exports/")]


RUNS: dict[str, tuple[int, str]] = {
    **{scenario: (2026, scenario) for scenario in SCENARIOS},
    "standaard-opnieuw": (2026, "standaard"),  # into a folder that already holds files
    "seed-7": (7, "standaard"),
}


def _prepare_used_folder(path: Path) -> None:
    """A user's own file and stale generator output, as after an earlier demo run."""
    (path / "notities.txt").write_text("van de gebruiker", encoding="utf-8")
    stale = path / "berichten" / "1999-01" / "oud.xml"
    stale.parent.mkdir(parents=True)
    stale.write_text("<oud/>", encoding="utf-8")


def _generate(job: tuple[Path, int, str]) -> DemoManifest:
    path, seed, scenario = job
    return generate_demo(path, seed=seed, scenario=scenario, vandaag=AS_OF)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Demo]:
    """Every tree this module needs, generated once and in parallel worker processes.

    Generation is mostly writing ~20.000 small files; doing the six runs side by
    side keeps this module well under a minute.
    """
    paths = {name: tmp_path_factory.mktemp(f"demo-{name}") for name in RUNS}
    _prepare_used_folder(paths["standaard-opnieuw"])
    workers = max(1, min(len(RUNS), os.cpu_count() or 1))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        manifests = list(pool.map(_generate, [(paths[n], *RUNS[n]) for n in RUNS]))
    return {
        name: Demo(paths[name], manifest) for name, manifest in zip(RUNS, manifests, strict=True)
    }


@pytest.fixture(scope="module")
def demo(runs: dict[str, Demo]) -> Callable[[str], Demo]:
    """The generated tree of a scenario (seed 2026)."""
    return runs.__getitem__


def tree_hashes(folder: Path) -> dict[str, str]:
    return {
        f.relative_to(folder).as_posix(): hashlib.sha256(f.read_bytes()).hexdigest()
        for f in sorted(folder.rglob("*"))
        if f.is_file()
    }


def passes_elfproef(bsn: str) -> bool:
    if not re.fullmatch(r"[0-9]{9}", bsn) or bsn.startswith("00000"):
        return False
    return sum(int(d) * w for d, w in zip(bsn, BSN_WEIGHTS, strict=True)) % 11 == 0


# --------------------------------------------------------------------------- validity


@pytest.fixture(scope="module")
def schemas() -> dict[str, etree.XMLSchema]:
    """The official XSDs by target namespace (each resolves its own basisschema)."""
    loaded = {}
    for xsd in sorted(ISTANDAARDEN.glob("xsd/*/*3[0-9][0-9].xsd")):
        document = etree.parse(str(xsd))
        loaded[document.getroot().get("targetNamespace")] = etree.XMLSchema(document)
    assert loaded, f"geen officiële XSD's in {ISTANDAARDEN} (de repository hoort naast shared/)"
    return loaded


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_message_validates_except_the_planted_impossible_date(
    demo: Callable[[str], Demo], schemas: dict[str, etree.XMLSchema], scenario: str
) -> None:
    current = demo(scenario)
    invalid_on_purpose = {
        d.file: d.detail["datum"] for d in current.manifest.dirty if d.kind == "onmogelijke_datum"
    }
    assert len(invalid_on_purpose) == 1
    problems = []
    for path in current.xml_files:
        relative = path.relative_to(current.path).as_posix()
        document = etree.parse(str(path))
        schema = schemas[etree.QName(document.getroot()).namespace]
        valid = schema.validate(document)
        if relative in invalid_on_purpose:
            errors = " ".join(str(e) for e in schema.error_log)
            if valid or invalid_on_purpose[relative] not in errors:
                problems.append(f"{relative}: verwacht ongeldig door de datum, kreeg {errors!r}")
        elif not valid:
            problems.append(f"{relative}: {schema.error_log.last_error}")
    assert not problems, "\n".join(problems[:10])
    assert len(current.xml_files) > 10_000


def test_message_kinds_and_folders_follow_the_dagtekening(demo: Callable[[str], Demo]) -> None:
    current = demo("standaard")
    kinds = Counter(f.name.split("_")[0] for f in current.xml_files)
    care_flow = ("301", "305", "307", "315", "319", "323")
    assert set(kinds) == {f"{p}{c}" for p in ("JW", "WMO") for c in care_flow} | {
        "JW306",  # a few start messages bounce
        "JW325",  # youth declarations are answered (the Wmo 325 has no schema yet)
    }
    for path in current.xml_files[::25]:
        dagtekening = re.search(rb"Dagtekening>([0-9-]+)<", path.read_bytes()).group(1).decode()
        assert path.parent.name == dagtekening[:7]
        assert date.fromisoformat(dagtekening) <= AS_OF
    assert kinds == Counter(current.manifest.counts["berichten"])


def _amount(element: etree._Element) -> int:
    cents = int(element[0].text)
    return -cents if element[1].text == "C" else cents


def test_answers_reject_a_few_lines_most_of_which_come_back_and_one_provider_many(
    demo: Callable[[str], Demo],
) -> None:
    current = demo("standaard")
    totals: Counter[str] = Counter()
    per_provider: dict[str, Counter[str]] = defaultdict(Counter)
    rejected_refs: dict[str, str] = {}
    for path in current.files_of("JW325"):
        root = etree.parse(str(path)).getroot()
        agb = root.find(".//{*}Ontvanger").text
        ingediend = _amount(root.find(".//{*}TotaalIngediendBedrag"))
        toegekend = _amount(root.find(".//{*}TotaalToegekendBedrag"))
        totals.update(
            berichten=1,
            ingediend_cents=ingediend,
            toegekend_cents=toegekend,
            afgewezen_cents=ingediend - toegekend,
        )
        per_provider[agb].update(ingediend=ingediend, afgewezen=ingediend - toegekend)
        for prestatie in root.iter("{*}Prestatie"):
            code = prestatie.find("{*}RetourCodes/{*}RetourCode").text
            rejected_refs[prestatie.find(".//{*}ReferentieNummer").text] = code
    totals["afgewezen_regels"] = len(rejected_refs)
    assert dict(totals) == current.manifest.antwoorden
    share = totals["afgewezen_cents"] / totals["ingediend_cents"]
    assert 0.01 < share < 0.06
    shares = {agb: c["afgewezen"] / c["ingediend"] for agb, c in per_provider.items()}
    assert max(shares, key=shares.__getitem__) == "98990103" and shares["98990103"] > 0.08
    declared = {line.referentie for _, _, lines in current.youth_declarations for line in lines}
    tariff = [ref for ref, code in rejected_refs.items() if code == "0611"]
    resent = [ref for ref in tariff if f"{ref}H" in declared]
    assert len(resent) > 0.7 * len(tariff)
    assert not any(f"{ref}H" in declared for ref, code in rejected_refs.items() if code == "8187")


def test_no_declaration_is_dated_after_the_as_of_date_or_before_its_care(
    demo: Callable[[str], Demo],
) -> None:
    current = demo("standaard")
    assert max(line.dagtekening for line in current.lines) <= AS_OF
    assert min(line.care_month for line in current.lines) == "2023-01"
    assert max(line.care_month for line in current.lines) == "2026-10"
    ahead = [line for line in current.lines if line.begin > line.dagtekening.isoformat()]
    planted = {d.file for d in current.manifest.dirty if d.kind == "periode_na_dagtekening"}
    assert {line.file for line in ahead} == planted  # only the planted defect


# --------------------------------------------------------------------------- determinism


def test_same_seed_gives_identical_bytes_and_another_seed_differs(
    runs: dict[str, Demo],
) -> None:
    first = tree_hashes(runs["standaard"].path)
    again = tree_hashes(runs["standaard-opnieuw"].path)
    assert again.pop("notities.txt")  # not the generator's: left alone
    assert again == first  # identical bytes, and the stale output of an earlier run is gone
    assert runs["standaard-opnieuw"].manifest == runs["standaard"].manifest
    other = tree_hashes(runs["seed-7"].path)
    assert other != first
    assert other["manifest.json"] != first["manifest.json"]


def test_scenarios_change_youth_care_only(demo: Callable[[str], Demo]) -> None:
    """Wmo messages, the export and PGB files are the same bytes in every scenario."""

    def wmo_side(current: Demo) -> dict[str, str]:
        return {
            name: digest
            for name, digest in tree_hashes(current.path).items()
            if "/WMO" in name or (not name.startswith("berichten/") and name != "manifest.json")
        }

    baseline = wmo_side(demo("standaard"))
    assert len(baseline) > 10_000
    for scenario in ("krimp", "trendbreuk", "jaarwissel"):
        assert wmo_side(demo(scenario)) == baseline


def test_unknown_scenario_is_refused_with_the_known_names(tmp_path: Path) -> None:
    known = "standaard, trendbreuk, jaarwissel, late-aanbieder, krimp"
    with pytest.raises(ValueError, match=known):
        generate_demo(tmp_path, scenario="paniek", vandaag=AS_OF)


# --------------------------------------------------------------------------- manifest


def test_manifest_file_round_trips_and_is_plain_json(demo: Callable[[str], Demo]) -> None:
    current = demo("standaard")
    data = json.loads((current.path / "manifest.json").read_text(encoding="utf-8"))
    assert data == current.manifest.to_dict()
    assert DemoManifest.read(current.path / "manifest.json") == current.manifest
    assert data["gemeente"] == DEMO_GEMEENTE == "9999"
    assert data["period"] == ["2023-01", "2026-10"]
    assert data["as_of"] == "2026-11-10"
    assert {p["agb"] for p in data["providers"]} == {p.agb for p in PROVIDERS}
    assert [p["channel"] for p in data["providers"]].count("csv") == 1


def test_manifest_totals_are_exactly_what_the_files_contain(demo: Callable[[str], Demo]) -> None:
    """The lead's ingest tests can assert these figures to the cent."""
    current = demo("standaard")
    measured: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    rejected = {
        element.text
        for path in current.files_of("JW325")
        for element in etree.parse(str(path)).getroot().iter("{*}ReferentieNummer")
    }
    for line in current.lines:
        if line.referentie in rejected:  # answered: granted cost leaves it out
            continue
        measured[line.care_year][perceel_of(line.wet, line.categorie, line.code)] += line.cents
    for name in ("pgb-maandtotalen.csv", "eigen-bijdrage.csv"):
        for maand, perceel, cents in read_totals(current.path / "pgb" / name):
            measured[maand[:4]][perceel] += cents
    expected = current.manifest.yearly_totals_cents
    assert {y: dict(p) for y, p in measured.items()} == expected
    assert "niet-ingedeeld" not in expected["2024"]


def test_truth_totals_cover_the_undeclared_rest_of_2026(demo: Callable[[str], Demo]) -> None:
    manifest = demo("standaard").manifest
    double = next(d for d in manifest.dirty if d.kind == "dubbele_productreferentie")
    for year in ("2023", "2024"):  # long since fully declared
        expected = dict(manifest.truth_totals_cents[year])
        if double.detail["zorgmaand"].startswith(year):
            # The planted double claim is kept (with a finding), so it counts twice.
            expected["wmo-begeleiding-zin"] += double.detail["dubbel_bedrag_cents"]
        assert manifest.yearly_totals_cents[year] == expected
    known = sum(
        manifest.yearly_totals_cents["2026"][p]
        for p in YOUTH_LEAF_PERCELEN
        if p in manifest.yearly_totals_cents["2026"]
    )
    truth = sum(manifest.truth_totals_cents["2026"].get(p, 0) for p in YOUTH_LEAF_PERCELEN)
    assert 1.15 < truth / known < 1.45  # two months to come plus declarations still in transit


# --------------------------------------------------------------------------- calibration


def youth_cost(current: Demo, year: str) -> int:
    return sum(line.cents for line in current.youth(year))


def test_youth_care_costs_five_to_six_million_growing_ten_to_thirty_percent(
    demo: Callable[[str], Demo],
) -> None:
    current = demo("standaard")
    costs = {year: youth_cost(current, year) for year in ("2023", "2024", "2025")}
    assert 500_000_000 <= costs["2024"] <= 600_000_000
    for earlier, later in (("2023", "2024"), ("2024", "2025")):
        assert 1.10 <= costs[later] / costs[earlier] <= 1.30


def test_youth_clients_mix_and_concentration(demo: Callable[[str], Demo]) -> None:
    lines = demo("standaard").youth("2024")
    per_client: Counter[str] = Counter()
    for line in lines:
        per_client[line.bsn] += line.cents
    ambulant = {line.bsn for line in lines if line.categorie in ("45", "54")}
    stay = {line.bsn for line in lines if line.categorie in ("43", "44")}
    assert 450 <= len(per_client) <= 560
    assert 420 <= len(ambulant) <= 520
    assert 18 <= len(stay) <= 35
    top10 = sum(cents for _, cents in per_client.most_common(10)) / sum(per_client.values())
    assert 0.25 <= top10 <= 0.30
    assert sum(1 for cents in per_client.values() if cents > 25_000_000) >= 2


def test_exceptional_cases_above_250k_become_more_frequent(demo: Callable[[str], Demo]) -> None:
    current = demo("standaard")
    counts = []
    for year in ("2023", "2024", "2025"):
        per_client: Counter[str] = Counter()
        for line in current.youth(year):
            per_client[line.bsn] += line.cents
        counts.append(sum(1 for cents in per_client.values() if cents > 25_000_000))
    assert counts[0] >= 1
    assert counts[-1] > counts[0]


def test_wmo_percelen_are_calibrated(demo: Callable[[str], Demo]) -> None:
    current = demo("standaard")
    costs = current.cost_per_perceel("2024")
    assert 160_000_000 <= costs["wmo-begeleiding-zin"] <= 180_000_000
    assert 165_000_000 <= costs["wmo-hh-zin"] <= 195_000_000
    assert 50_000_000 <= costs["wmo-hulpmiddelen"] <= 70_000_000
    assert 20_000_000 <= costs["wmo-regiotaxi"] <= 30_000_000
    assert current.cost_per_perceel("2025")["wmo-begeleiding-zin"] < costs["wmo-begeleiding-zin"]
    household = [
        line
        for line in current.lines
        if line.categorie == "01" and line.wet == "wmo" and line.care_year == "2024"
    ]
    clients = {line.bsn for line in household}
    assert 1_000 <= len(clients) <= 1_250
    debit = [line for line in household if line.cents > 0 and line.vorig is None]
    hours_per_week = sum(line.volume for line in debit) / len(debit) / (52 / 12)
    assert 1.9 <= hours_per_week <= 2.5
    assert {line.tarief for line in household} == {2640}


def test_tariffs_follow_the_configured_indexation(demo: Callable[[str], Demo]) -> None:
    tariffs: dict[tuple[str, str], set[int]] = defaultdict(set)
    for line in demo("standaard").lines:
        tariffs[line.code, line.care_year].add(line.tarief)
    assert all(len(found) == 1 for found in tariffs.values())
    for code, factor_2024, factor_2025 in (
        ("45A01", 1.05, 1.045),
        ("01H01", 1.09, 1.045),
        ("02B01", 1.064, 1.045),
        ("08T01", 1.05, 1.15),
    ):
        (t2023,), (t2024,), (t2025,) = (tariffs[code, y] for y in ("2023", "2024", "2025"))
        assert t2024 == pytest.approx(t2023 * factor_2024, abs=1)
        assert t2025 == pytest.approx(t2024 * factor_2025, abs=1)
    assert tariffs["45A01", "2024"] == {8900}


def test_help_requests_and_referrers(demo: Callable[[str], Demo]) -> None:
    current = demo("standaard")
    allocations_2024 = sum(1 for f in current.files_of("JW301") if f.parent.name[:4] == "2024")
    allocations_2024 += sum(1 for f in current.files_of("WMO301") if f.parent.name[:4] == "2024")
    assert 120 <= allocations_2024 / 12 <= 130
    referrers = Counter(
        re.search(rb"<ijw:Type>(\d\d)</ijw:Type>", f.read_bytes()).group(1).decode()
        for f in current.files_of("JW315")
        if not f.stem.endswith("A")  # an earlier request that was refused (319)
    )
    youth_allocations = sum(1 for _ in current.files_of("JW301"))
    via_gemeente = youth_allocations - sum(referrers.values())
    assert 0.28 <= via_gemeente / youth_allocations <= 0.40
    assert set(referrers) <= {"02", "03", "04", "05", "08"}
    assert referrers.most_common(1)[0][0] == "02"


def test_lines_are_tariff_times_volume_and_credit_corrections_are_linked(
    demo: Callable[[str], Demo],
) -> None:
    lines = demo("standaard").lines
    assert all(
        abs(line.cents) == line.volume * line.tarief
        for line in lines
        if not line.file.startswith("exports/")
    )
    assert all(
        abs(line.cents) == abs(line.volume) * line.tarief
        for line in lines
        if line.file.startswith("exports/")
    )
    debits = {line.referentie: line for line in lines if line.cents > 0}
    credits = [line for line in lines if line.cents < 0]
    assert 0.01 <= len(credits) / len(debits) <= 0.02
    for credit in credits:
        original = debits[credit.referentie]
        assert (original.toewijzing, original.cents) == (credit.toewijzing, -credit.cents)
        assert original.dagtekening < credit.dagtekening
    credited = {credit.referentie for credit in credits}
    corrected = [line for line in lines if line.vorig]
    assert corrected
    assert all(line.vorig in credited for line in corrected)
    assert len(corrected) < len(credits)


def test_most_care_months_are_declared_within_two_months_with_a_tail(
    demo: Callable[[str], Demo],
) -> None:
    current = demo("standaard")
    planted = {d.file for d in current.manifest.dirty if d.kind == "periode_na_dagtekening"}
    originals = [
        line
        for line in current.lines  # XML: corrections are recognisable
        if line.cents > 0
        and not line.vorig
        and not line.referentie.endswith(("H", "F"))  # resent after a 325, or rejected
        and not line.file.startswith("exports/")
        and line.file not in planted
    ]
    lags = Counter(line.lag for line in originals)
    within_two = (lags[1] + lags[2]) / len(originals)
    assert 0.85 <= within_two <= 0.97
    assert max(lags) == 6
    assert min(lags) == 1


def test_waiting_times_one_provider_breaks_the_norm_and_some_clients_wait(
    demo: Callable[[str], Demo],
) -> None:
    current = demo("standaard")
    allocated: dict[str, tuple[str, date]] = {}
    for path in [*current.files_of("JW301"), *current.files_of("WMO301")]:
        v = _leaves(etree.parse(str(path)).getroot())
        toegewezen = date.fromisoformat(v["Toewijzingsdatum"])
        allocated[v["ToewijzingNummer"]] = (v["Ontvanger"], toegewezen)
    waits: dict[str, list[int]] = defaultdict(list)
    started = set()
    for path in [*current.files_of("JW305"), *current.files_of("WMO305")]:
        v = _leaves(etree.parse(str(path)).getroot())
        started.add(v["ToewijzingNummer"])
        if v["ToewijzingNummer"] in allocated:
            agb, toegewezen = allocated[v["ToewijzingNummer"]]
            waits[agb].append((date.fromisoformat(v["Begindatum"]) - toegewezen).days)
    medians = {agb: statistics.median(days) for agb, days in waits.items()}
    breaker = current.manifest.waiting_norm_breaker
    assert 80 <= medians.pop(breaker) <= 100
    assert all(median <= 40 for median in medians.values())
    waiting_list = set(allocated) - started
    assert 20 <= len(waiting_list) <= 300


# --------------------------------------------------------------------------- scenarios


def test_late_provider_declares_three_to_four_months_late(demo: Callable[[str], Demo]) -> None:
    late = demo("late-aanbieder")
    agb = late.manifest.late_provider
    assert agb == "98990101"
    assert demo("standaard").manifest.late_provider is None
    recent = [
        line
        for line in late.youth_lines
        if line.agb == agb
        and line.care_month >= "2026-04"
        and not line.vorig
        and not line.referentie.endswith(("H", "F"))  # resent after a 325, or rejected
        and line.cents > 0
    ]
    assert recent
    assert {line.lag for line in recent} <= {3, 4}
    assert max(line.care_month for line in recent) <= "2026-08"
    on_time = [
        line
        for line in demo("standaard").youth_lines
        if line.agb == agb and line.care_month == "2026-09"
    ]
    assert on_time


def test_krimp_loses_clients_while_each_costs_more(demo: Callable[[str], Demo]) -> None:
    current = demo("krimp")
    clients = {y: len({line.bsn for line in current.youth(y)}) for y in ("2024", "2025")}
    assert clients["2025"] / clients["2024"] <= 0.93
    per_client = {y: youth_cost(current, y) / clients[y] for y in clients}
    assert per_client["2025"] > per_client["2024"] * 1.10


def ambulant_cost(current: Demo, first: str, last: str) -> int:
    """Jeugd-ambulant cost of the care months `first` through `last` (YYYY-MM)."""
    return sum(
        line.cents
        for line in current.youth_lines
        if first <= line.care_month <= last
        and perceel_of(line.wet, line.categorie, line.code) == "jeugd-ambulant"
    )


def test_trendbreuk_jumps_growth_of_one_youth_perceel_from_july_2025(
    demo: Callable[[str], Demo],
) -> None:
    breuk = demo("trendbreuk").manifest.trendbreuk
    assert breuk is not None
    assert breuk["perceel"] == "jeugd-ambulant" and breuk["vanaf"] == "2025-07"
    assert demo("standaard").manifest.trendbreuk is None

    def year_on_year(current: Demo) -> float:
        after = ambulant_cost(current, "2025-07", "2026-06")
        return after / ambulant_cost(current, "2024-07", "2025-06") - 1

    assert year_on_year(demo("trendbreuk")) >= 0.35
    assert year_on_year(demo("standaard")) <= 0.30


def test_jaarwissel_steps_up_one_youth_perceel_from_january_2025(
    demo: Callable[[str], Demo],
) -> None:
    breuk = demo("jaarwissel").manifest.trendbreuk
    assert breuk is not None
    assert breuk["perceel"] == "jeugd-ambulant" and breuk["vanaf"] == "2025-01"

    def first_half_growth(current: Demo) -> float:
        """January–June 2025 against January–June 2024: what a February prognosis misses."""
        after = ambulant_cost(current, "2025-01", "2025-06")
        return after / ambulant_cost(current, "2024-01", "2024-06")

    # Every other stream draws the same numbers, so the step is the scenario's own.
    assert first_half_growth(demo("jaarwissel")) >= first_half_growth(demo("standaard")) * 1.10


# --------------------------------------------------------------------------- dirty data


def test_planted_dirty_messages_are_what_the_manifest_says(demo: Callable[[str], Demo]) -> None:
    current = demo("standaard")
    by_kind = {d.kind: d for d in current.manifest.dirty}
    assert set(by_kind) == {
        "totaal_mismatch",
        "dubbele_productreferentie",
        "onmogelijke_datum",
        "bsn_11proef",
        "onbekende_ontvanger",
        "periode_na_dagtekening",
    }
    parsed = {
        f.relative_to(current.path).as_posix(): (fields, lines)
        for f, fields, lines in current.declarations
    }

    fields, lines = parsed[by_kind["totaal_mismatch"].file]
    assert int(fields["totaal"]) != sum(line.cents for line in lines)
    fields, lines = parsed[by_kind["dubbele_productreferentie"].file]
    assert Counter(line.referentie for line in lines).most_common(1)[0][1] == 2
    fields, lines = parsed[by_kind["onbekende_ontvanger"].file]
    assert fields["ontvanger"] != "9999"
    fields, lines = parsed[by_kind["periode_na_dagtekening"].file]
    assert all(line.begin > fields["dagtekening"] for line in lines)
    fields, lines = parsed[by_kind["onmogelijke_datum"].file]
    assert b"2026-06-31" in (current.path / by_kind["onmogelijke_datum"].file).read_bytes()
    for defect in current.manifest.dirty:
        fields, lines = parsed[defect.file]
        assert defect.detail["bedrag_cents"] == sum(line.cents for line in lines)


def test_every_bsn_passes_the_elfproef_except_the_planted_one(
    demo: Callable[[str], Demo],
) -> None:
    current = demo("standaard")
    failing = {bsn for bsn in current.bsns if not passes_elfproef(bsn)}
    planted = next(d for d in current.manifest.dirty if d.kind == "bsn_11proef")
    assert failing == {planted.detail["bsn"]}
    assert len(set(current.bsns)) > 3_000


# --------------------------------------------------------------------------- CSV files


def test_backoffice_export_is_dutch_csv_from_one_household_help_provider(
    demo: Callable[[str], Demo],
) -> None:
    current = demo("standaard")
    exports = sorted((current.path / "exports").glob("*.csv"))
    agb = next(p.agb for p in current.manifest.providers if p.channel == "csv")
    assert len(exports) == 46  # one per month, 2023-02 … 2026-11
    raw = exports[10].read_bytes()
    assert "Naam cliënt".encode("cp1252") in raw and b"\r\n" in raw
    header = raw.decode("cp1252").splitlines()[0].split(";")
    assert header[:4] == ["Clientnummer BSN", "Naam cliënt", "Toewijzingnummer", "Productcategorie"]
    assert re.search(rb";-?[0-9]{1,3}(\.[0-9]{3})*,[0-9]{2};[0-9]{2}-[0-9]{2}-20[0-9]{2};", raw)
    export_lines = [line for line in current.lines if line.file.startswith("exports/")]
    assert {line.agb for line in export_lines} == {agb}
    assert any(line.cents < 0 for line in export_lines)
    assert not any(agb in f.name for f in current.files_of("WMO323"))


def test_pgb_and_eigen_bijdrage_totals(demo: Callable[[str], Demo]) -> None:
    folder = demo("standaard").path / "pgb"
    pgb = read_totals(folder / "pgb-maandtotalen.csv")
    assert {perceel for _, perceel, _ in pgb} == {"jeugd-pgb", "wmo-begeleiding-pgb", "wmo-hh-pgb"}
    assert len(pgb) == 46 * 3
    header = b"maand;gemeente;perceel;bedrag\r\n"
    assert (folder / "pgb-maandtotalen.csv").read_bytes().startswith(header)
    eigen = read_totals(folder / "eigen-bijdrage.csv")
    per_year = sum(cents for maand, _, cents in eigen if maand.startswith("2024"))
    assert all(cents < 0 for _, _, cents in eigen)
    assert -12_000_000 <= per_year <= -8_000_000


# --------------------------------------------------------------------------- config


def load_yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_products_map_to_the_percelen_the_config_assigns() -> None:
    assert all(perceel_of(p.wet, p.categorie, p.code) == p.perceel for p in PRODUCTS)


def test_demodorp_config_uses_known_percelen_and_the_generated_providers() -> None:
    ids = {p["id"] for p in percelen_config()["percelen"]}
    gemeente = load_yaml(CONFIG / "gemeenten" / "9999-demodorp.yaml")
    assert gemeente["code"] == "9999"
    # Demodorp buys from the region's contracts: it knows every generated provider by name.
    assert "aanbieders" not in gemeente
    loaded = load_config(CONFIG).gemeente("9999")
    assert {a.agb: a.naam for a in loaded.aanbieders} == {p.agb: p.naam for p in PROVIDERS}
    used = [n["perceel"] for n in gemeente["wachttijdnormen"]]
    used += [k["perceel"] for k in gemeente["kpi_doelen"] if "perceel" in k]
    used += [p for per_year in gemeente["indexatie"].values() for p in per_year if p != "standaard"]
    assert set(used) <= ids
    for jaar, per_perceel in INDEXATIE.items():
        for perceel, (begroot, werkelijk) in per_perceel.items():
            assert gemeente["indexatie"][jaar][perceel] == {
                "begroot": begroot,
                "werkelijk": werkelijk,
            }
    big = {b["aanbieder"] for b in gemeente["budgetindicaties"]}
    assert 4 <= len(big) <= 5 and big <= {p.agb for p in PROVIDERS}


@pytest.mark.parametrize("jaar", [2024, 2025, 2026])
def test_budgets_use_known_top_level_percelen(jaar: int) -> None:
    percelen = percelen_config()["percelen"]
    top_level = {p["id"] for p in percelen if not p.get("onderdeel_van")}
    begroting = load_yaml(CONFIG / "begroting" / f"9999-{jaar}.yaml")
    assert (begroting["gemeente"], begroting["jaar"]) == ("9999", jaar)
    assert set(begroting["versies"][-1]["bedragen"]) <= top_level
    assert begroting["versies"][-1]["bedragen"]["wmo-eigen-bijdrage"] < 0
    for correctie in begroting.get("prognose_correcties") or []:
        assert correctie["perceel"] in {p["id"] for p in percelen}


def test_budget_2026_tells_the_intended_story(demo: Callable[[str], Demo]) -> None:
    """Youth care about 20 % over budget (N), Wmo begeleiding a little under (V)."""
    truth = demo("standaard").manifest.truth_totals_cents["2026"]
    bedragen = load_yaml(CONFIG / "begroting" / "9999-2026.yaml")["versies"][-1]["bedragen"]

    def afwijking(perceel: str, actual_cents: int) -> float:
        budget = bedragen[perceel] * 100
        return (budget - actual_cents) / abs(budget)

    youth = sum(truth.get(p, 0) for p in YOUTH_LEAF_PERCELEN)
    assert -0.25 <= afwijking("jeugd-zin", youth) <= -0.15
    assert 0.03 <= afwijking("wmo-begeleiding-zin", truth["wmo-begeleiding-zin"]) <= 0.12
    for perceel in (
        "wmo-hh-zin",
        "wmo-hulpmiddelen",
        "wmo-regiotaxi",
        "wmo-hh-pgb",
        "wmo-begeleiding-pgb",
        "wmo-eigen-bijdrage",
    ):
        assert abs(afwijking(perceel, truth[perceel])) <= 0.05, perceel


# --------------------------------------------------------------------------- calendar


def test_vandaag_is_required(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="vandaag"):
        generate_demo(tmp_path)  # type: ignore[call-arg]
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("vandaag", "period", "simulation"),
    [
        (date(2026, 11, 10), ("2023-01", "2026-10"), ("2014-01", "2026-12")),
        (date(2027, 1, 1), ("2023-01", "2026-12"), ("2014-01", "2026-12")),
        (date(2027, 2, 15), ("2024-01", "2027-01"), ("2015-01", "2027-12")),
        (date(2026, 1, 20), ("2022-01", "2025-12"), ("2013-01", "2025-12")),
    ],
)
def test_the_calendar_follows_from_vandaag(
    vandaag: date, period: tuple[str, str], simulation: tuple[str, str]
) -> None:
    calendar = calendar_for(vandaag)
    assert calendar.as_of == vandaag
    assert (months.label(calendar.period_first), months.label(calendar.period_last)) == period
    assert (
        months.label(calendar.simulation_first),
        months.label(calendar.simulation_last),
    ) == simulation


def test_stories_start_where_they_always_did_on_the_old_date_and_move_along() -> None:
    """On 2026-11-10 every planted month is what it was when the calendar was fixed."""

    def planted(vandaag: date) -> tuple[str, str, str, list[str]]:
        calendar = calendar_for(vandaag)
        trendbreuk = scenario_named("trendbreuk", calendar).trendbreuk
        late = scenario_named("late-aanbieder", calendar).late
        krimp = scenario_named("krimp", calendar).krimp
        assert trendbreuk and late and krimp
        dirty = [months.label(plan.care_month(calendar)) for plan in DIRTY_PLANS]
        return (
            months.label(trendbreuk.vanaf),
            months.label(late.vanaf),
            months.label(krimp.vanaf),
            dirty,
        )

    assert planted(AS_OF) == (
        "2025-07",
        "2026-04",
        "2023-01",
        ["2025-05", "2024-11", "2026-06", "2025-02", "2025-09", "2026-03"],
    )
    assert planted(date(2027, 2, 15)) == (
        "2026-07",
        "2026-07",
        "2024-01",
        ["2025-08", "2025-02", "2026-09", "2025-05", "2025-12", "2026-06"],
    )


def test_a_year_without_configured_indexation_keeps_its_prices() -> None:
    assert max(INDEXATIE) == 2026  # the years config/gemeenten/9999-demodorp.yaml covers
    for product in PRODUCTS:
        assert tariff_cents(product, 2028) == tariff_cents(product, 2027)
        assert tariff_cents(product, 2027) == tariff_cents(product, 2026)


# --------------------------------------------------------------------------- budget


def test_budget_catalogue_matches_the_config() -> None:
    begroting = load_yaml(CONFIG / "begroting" / "9999-2026.yaml")
    assert tuple(begroting["versies"][-1]["bedragen"]) == BUDGET_PERCELEN
    rolled_up = {
        p["id"]: p["onderdeel_van"]
        for p in percelen_config()["percelen"]
        if p.get("onderdeel_van") in BUDGET_PERCELEN
    }
    assert rolled_up == ROLLED_UP
    assert set(VERWACHTE_GROEI) <= set(BUDGET_PERCELEN)


def test_demo_budget_2026_reproduces_what_the_controller_wrote(
    demo: Callable[[str], Demo],
) -> None:
    """Jaarrekening 2024 + indexation 2025/2026 + two years of expected growth."""
    manifest = demo("standaard").manifest
    budget = demo_budget(2026, manifest.truth_totals_cents["2024"])
    written = load_yaml(CONFIG / "begroting" / "9999-2026.yaml")["versies"][-1]["bedragen"]
    for perceel in ("jeugd-zin", "wmo-hh-zin", "wmo-begeleiding-zin"):
        assert budget[perceel] == pytest.approx(written[perceel] * 100, rel=0.10), perceel
    assert all(cents % 100_000 == 0 for cents in budget.values())  # whole thousands of euros
    assert budget["wmo-eigen-bijdrage"] < 0
    assert manifest.begrotingen_cents["2026"] == budget
    assert list(manifest.begrotingen_cents) == ["2023", "2024", "2025", "2026"]


# --------------------------------------------------------------------------- any date

OTHER_DAYS: dict[str, date] = {
    "2027-02-15": date(2027, 2, 15),
    "2026-01-20": date(2026, 1, 20),
    "2027-02-15-opnieuw": date(2027, 2, 15),  # the same day again: identical files?
}


def _generate_on(job: tuple[Path, date]) -> DemoManifest:
    path, vandaag = job
    return generate_demo(path, seed=2026, scenario="standaard", vandaag=vandaag)


@pytest.fixture(scope="module")
def other_days(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Demo]:
    """The standard scenario on days other than the one config/ is written for.

    One generation per day, plus the first day once more to prove determinism,
    side by side in worker processes.
    """
    paths = {name: tmp_path_factory.mktemp(f"demo-{name}") for name in OTHER_DAYS}
    workers = max(1, min(len(OTHER_DAYS), os.cpu_count() or 1))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        jobs = [(paths[name], vandaag) for name, vandaag in OTHER_DAYS.items()]
        manifests = list(pool.map(_generate_on, jobs))
    return {
        name: Demo(paths[name], manifest)
        for name, manifest in zip(OTHER_DAYS, manifests, strict=True)
    }


def _dagtekeningen(path: Path) -> list[date]:
    """Every Dagtekening in a message: the header's and, in a 323, DeclaratieDagtekening."""
    return [
        date.fromisoformat(d.decode())
        for d in re.findall(rb"Dagtekening>([0-9-]+)<", path.read_bytes())
    ]


@pytest.mark.parametrize("day", ["2027-02-15", "2026-01-20"])
def test_the_period_ends_in_the_month_before_vandaag(other_days: dict[str, Demo], day: str) -> None:
    current, vandaag = other_days[day], OTHER_DAYS[day]
    last = months.month_of(vandaag) - 1
    first = months.month_at(months.year_of(last) - 3)
    data = json.loads((current.path / "manifest.json").read_text(encoding="utf-8"))
    assert data["as_of"] == vandaag.isoformat()
    assert data["period"] == [months.label(first), months.label(last)]
    assert list(data["begrotingen_cents"]) == [
        str(y) for y in range(months.year_of(first), months.year_of(last) + 1)
    ]
    assert max(data["yearly_totals_cents"]) == str(months.year_of(last))
    pgb = read_totals(current.path / "pgb" / "pgb-maandtotalen.csv")
    assert [min(m for m, _, _ in pgb), max(m for m, _, _ in pgb)] == data["period"]
    folders = sorted(p.name for p in (current.path / "berichten").iterdir())
    assert folders[0] == months.label(first) and folders[-1] == months.label(last + 1)


@pytest.mark.parametrize("day", ["2027-02-15", "2026-01-20"])
def test_nothing_is_dated_after_vandaag(other_days: dict[str, Demo], day: str) -> None:
    current, vandaag = other_days[day], OTHER_DAYS[day]
    start = date.fromisoformat(f"{current.manifest.period[0]}-01")
    kinds: Counter[str] = Counter()
    for path in current.xml_files:
        dagtekeningen = _dagtekeningen(path)
        assert dagtekeningen and max(dagtekeningen) <= vandaag, path
        assert path.parent.name == dagtekeningen[0].isoformat()[:7]
        if not path.name.split("_")[0].endswith("323"):
            assert min(dagtekeningen) >= start, path  # care flow: within the period
        kinds[path.name.split("_")[0]] += 1
    assert kinds == Counter(current.manifest.counts["berichten"])
    care_flow = ("301", "305", "307", "315", "323")
    assert {f"{p}{c}" for p in ("JW", "WMO") for c in care_flow} | {"JW325"} <= set(kinds)
    exported = [
        date.fromisoformat(dutch_date(d.decode()))
        for f in (current.path / "exports").glob("*.csv")
        for d in re.findall(rb";([0-9]{2}-[0-9]{2}-[0-9]{4});[^;]*\r\n", f.read_bytes())
    ]
    assert exported and max(exported) <= vandaag


@pytest.mark.parametrize("day", ["2027-02-15", "2026-01-20"])
def test_a_sample_of_messages_is_schema_valid_on_another_day(
    other_days: dict[str, Demo], schemas: dict[str, etree.XMLSchema], day: str
) -> None:
    current = other_days[day]
    impossible = {d.file for d in current.manifest.dirty if d.kind == "onmogelijke_datum"}
    dirty = {current.path / d.file for d in current.manifest.dirty}
    problems = []
    for path in sorted({*current.xml_files[::20], *dirty}):
        document = etree.parse(str(path))
        schema = schemas[etree.QName(document.getroot()).namespace]
        expected = path.relative_to(current.path).as_posix() not in impossible
        if schema.validate(document) != expected:
            problems.append(f"{path.name}: {schema.error_log.last_error}")
    assert not problems, "\n".join(problems[:10])


@pytest.mark.parametrize("day", ["2027-02-15", "2026-01-20"])
def test_dirty_messages_and_budgets_on_another_day(other_days: dict[str, Demo], day: str) -> None:
    manifest = other_days[day].manifest
    first, last = manifest.period
    assert len({d.kind for d in manifest.dirty}) == len(DIRTY_PLANS)
    assert all(first <= d.detail["zorgmaand"] <= last for d in manifest.dirty)
    assert all(d.detail["dagtekening"] <= manifest.as_of for d in manifest.dirty)
    for year, budget in manifest.begrotingen_cents.items():
        assert set(budget) == set(BUDGET_PERCELEN), year
        assert budget["jeugd-zin"] > 0 > budget["wmo-eigen-bijdrage"], year


def test_the_same_day_twice_gives_identical_files(other_days: dict[str, Demo]) -> None:
    first = tree_hashes(other_days["2027-02-15"].path)
    assert tree_hashes(other_days["2027-02-15-opnieuw"].path) == first
    assert other_days["2027-02-15-opnieuw"].manifest == other_days["2027-02-15"].manifest
    assert tree_hashes(other_days["2026-01-20"].path) != first


def test_january_care_keeps_december_prices_without_configured_indexation(
    other_days: dict[str, Demo],
) -> None:
    """2027 has no indexation in config/, so its tariffs are those of 2026."""
    current = other_days["2027-02-15"]
    tariffs: dict[tuple[str, str], set[int]] = defaultdict(set)
    for path in current.files_of("JW323"):
        if path.parent.name >= "2027-01":
            for line in read_declaration(path, current.path)[1]:
                tariffs[line.code, line.care_year].add(line.tarief)
    compared = [code for code, year in tariffs if year == "2027" and (code, "2026") in tariffs]
    assert compared
    assert all(tariffs[code, "2027"] == tariffs[code, "2026"] for code in compared)
