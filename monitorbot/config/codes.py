"""Code lists from the iStandaarden (iJw/iWmo 3.2) that configuration is checked against.

Kept as constants because they are part of the message standard, change only
with a new release, and configuration errors must be reported without access
to the reference folder.
"""

from __future__ import annotations

from typing import Literal

Wet = Literal["jw", "wmo"]

#: JZ020 product categories (iJw 3.2).
JW_PRODUCTCATEGORIEEN: dict[str, str] = {
    "31": "(2015) Zonder verblijf: uitgevoerd door wijk- of buurtteam",
    "32": "(2015) Zonder verblijf: ambulante jeugdhulp op locatie van de aanbieder",
    "33": "(2015) Zonder verblijf: daghulp op locatie van de aanbieder",
    "34": "(2015) Zonder verblijf: jeugdhulp in het netwerk van de jeugdige",
    "35": "(2015) Met verblijf: pleegzorg",
    "36": "(2015) Met verblijf: gezinsgericht",
    "37": "(2015) Met verblijf: gesloten plaatsing",
    "38": "(2015) Met verblijf: overig residentieel",
    "40": "Persoonlijke verzorging",
    "41": "Dagbehandeling",
    "42": "Vervoerdiensten",
    "43": "Jeugdhulp verblijf (incl. behandeling)",
    "44": "Jeugdhulp verblijf (excl. behandeling)",
    "45": "Jeugdhulp ambulant",
    "46": "Jeugdhulp crisis",
    "47": "Jeugdreclassering",
    "48": "Jeugdbescherming",
    "49": "Activiteiten in het preventief justitieel kader",
    "50": "Maatwerkarrangementen jeugd",
    "51": "Generalistische basis-ggz",
    "52": "Specialistische ggz",
    "53": "Kindergeneeskunde",
    "54": "Jeugd-ggz",
    "55": "Landelijk ingekochte zorg",
}

#: WMO020 product categories (iWmo 3.2).
WMO_PRODUCTCATEGORIEEN: dict[str, str] = {
    "01": "Hulp bij het huishouden",
    "02": "Begeleiding",
    "03": "Persoonlijke verzorging",
    "04": "Kortdurend verblijf",
    "05": "Woondiensten",
    "06": "Overige ondersteuning gericht op het individu of huishouden/gezin",
    "07": "Dagbesteding",
    "08": "Vervoerdiensten",
    "09": "Overige groepsgerichte ondersteuning",
    "10": "Overige maatwerk arrangementen",
    "11": "Rolstoelen",
    "12": "Vervoervoorzieningen",
    "13": "Woonvoorzieningen",
    "14": "Overige hulpmiddelen",
    "15": "Beschermd wonen",
    "16": "Opvang",
    "17": "Spoedopvang",
    "18": "Overige beschermd wonen en opvang",
}

PRODUCTCATEGORIEEN: dict[str, dict[str, str]] = {
    "jw": JW_PRODUCTCATEGORIEEN,
    "wmo": WMO_PRODUCTCATEGORIEEN,
}

#: WJ756 units (same list for iJw and iWmo).
EENHEDEN: dict[str, str] = {
    "01": "minuut",
    "04": "uur",
    "14": "etmaal",
    "16": "dagdeel (4 uur)",
    "82": "stuks (output)",
    "83": "euro's",
    "84": "stuks (inspanning)",
}

#: COD327 referrer types.
VERWIJZERS: dict[str, str] = {
    "01": "gemeente",
    "02": "huisarts",
    "03": "jeugdarts",
    "04": "gecertificeerde instelling",
    "05": "medisch specialist",
    "06": "zelfverwijzer / geen verwijzer",
    "08": "rechter, OvJ, functionaris JJI",
}

#: The two standards in namespaces: wet -> (standard, message prefix), e.g. ijw / jw323.
STANDAARDEN: dict[str, tuple[str, str]] = {"jw": ("ijw", "jw"), "wmo": ("iwmo", "wmo")}

#: BerichtCode per (wet, message type), as the 3.2 schemas fix them.
BERICHTCODES: dict[tuple[str, str], str] = {
    ("jw", "301"): "436",
    ("jw", "302"): "437",
    ("jw", "305"): "438",
    ("jw", "306"): "439",
    ("jw", "307"): "440",
    ("jw", "308"): "441",
    ("jw", "315"): "446",
    ("jw", "316"): "447",
    ("jw", "317"): "486",
    ("jw", "318"): "487",
    ("jw", "319"): "488",
    ("jw", "320"): "489",
    ("jw", "323"): "490",
    ("jw", "325"): "491",
    ("wmo", "301"): "414",
    ("wmo", "305"): "418",
    ("wmo", "307"): "420",
    ("wmo", "315"): "444",
    ("wmo", "317"): "480",
    ("wmo", "319"): "482",
    ("wmo", "323"): "484",
}  # the BerichtCode each official XSD fixes (the Wmo return messages have none here yet)


#: Retourcodes (LDT_RetourCode) that reject nothing: 0200 "geen opmerking over deze
#: berichtklasse", 0233 "berichtklasse is niet beoordeeld", 8001 "declaratie is volledig
#: toegewezen". Every other code (0001 "afgekeurd om technische redenen", ...) rejects.
RETOURCODES_ZONDER_AFKEURING = frozenset({"0200", "0233", "8001"})
#: Return messages on what a provider sent (305, 307, 315, 317): its messages bouncing.
RETOUR_OP_AANBIEDER = ("306", "308", "316", "318")


def message_namespace(wet: str, berichttype: str) -> str:
    """The namespace of a message's root element, e.g. .../ijw/3_2/jw323/schema."""
    standard, prefix = STANDAARDEN[wet]
    return f"http://www.istandaarden.nl/{standard}/3_2/{prefix}{berichttype}/schema"


def basis_namespace(wet: str) -> str:
    """The namespace of the shared types (basisschema) of a standard."""
    return f"http://www.istandaarden.nl/{STANDAARDEN[wet][0]}/3_2/basisschema/schema"


#: The system perceel for lines no mapping rule claims: visible, counted, never dropped.
NIET_INGEDEELD = "niet-ingedeeld"
