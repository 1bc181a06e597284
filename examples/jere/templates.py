"""Sentence templates of the synthetic dataset, grouped by the relation they express.

A slot ``{P1}`` is a person, ``{O1}`` an organisation, ``{L1}`` a location, ``{X1}`` some other
entity; ``{J}`` is a job word (not an entity). Filler clauses use ``*`` for a fresh slot number.
Relations are (type, head slot, tail slot). "hedged" templates put two entities next to a cue of
a relation that does not hold (negated, planned, denied): they are labelled with no relation.
"""

from __future__ import annotations

Template = tuple[str, tuple[tuple[str, str, str], ...]]

TEMPLATES: dict[str, tuple[Template, ...]] = {
    "Work_For": (
        ("{P1} , a {J} for {O1} , said the plan would fail .", (("Work_For", "P1", "O1"),)),
        ("{P1} works for {O1} .", (("Work_For", "P1", "O1"),)),
        ("{O1} {J} {P1} announced the deal on Monday .", (("Work_For", "P1", "O1"),)),
        ("{O1} 's {J} , {P1} , declined to comment .", (("Work_For", "P1", "O1"),)),
        ("{P1} , who joined {O1} last year , will lead the team .", (("Work_For", "P1", "O1"),)),
        ("{P1} was hired by {O1} as its new {J} .", (("Work_For", "P1", "O1"),)),
        ("The {J} of {O1} , {P1} , resigned on Friday .", (("Work_For", "P1", "O1"),)),
        ("{O1} named {P1} as {J} .", (("Work_For", "P1", "O1"),)),
        ("{P1} has been employed by {O1} since 1987 .", (("Work_For", "P1", "O1"),)),
        ("According to {P1} , a {J} at {O1} , sales rose .", (("Work_For", "P1", "O1"),)),
        ("{P1} is the {J} of {O1} .", (("Work_For", "P1", "O1"),)),
        ("{O1} said {P1} , its {J} , would retire .", (("Work_For", "P1", "O1"),)),
    ),
    "Kill": (
        ("{P1} shot and killed {P2} .", (("Kill", "P1", "P2"),)),
        ("{P2} was killed by {P1} .", (("Kill", "P1", "P2"),)),
        ("{P1} murdered {P2} in 1968 .", (("Kill", "P1", "P2"),)),
        ("{P1} was convicted of killing {P2} .", (("Kill", "P1", "P2"),)),
        ("The assassination of {P2} by {P1} shocked the nation .", (("Kill", "P1", "P2"),)),
        ("{P1} , who assassinated {P2} , died in prison .", (("Kill", "P1", "P2"),)),
        ("{P2} 's killer , {P1} , was sentenced to life .", (("Kill", "P1", "P2"),)),
        ("Police said {P1} stabbed {P2} to death .", (("Kill", "P1", "P2"),)),
    ),
    "OrgBased_In": (
        ("{O1} , based in {L1} , reported higher profits .", (("OrgBased_In", "O1", "L1"),)),
        ("{O1} is headquartered in {L1} .", (("OrgBased_In", "O1", "L1"),)),
        ("{L1} 's {O1} said it would cut jobs .", (("OrgBased_In", "O1", "L1"),)),
        ("{O1} , a {L1} company , was sold .", (("OrgBased_In", "O1", "L1"),)),
        ("{O1} moved its headquarters to {L1} .", (("OrgBased_In", "O1", "L1"),)),
        ("{O1} has its main office in {L1} .", (("OrgBased_In", "O1", "L1"),)),
        ("In {L1} , {O1} opened its head office in 1990 .", (("OrgBased_In", "O1", "L1"),)),
        ("The {L1} - based {O1} denied the report .", (("OrgBased_In", "O1", "L1"),)),
    ),
    "Live_In": (
        ("{P1} lives in {L1} .", (("Live_In", "P1", "L1"),)),
        ("{P1} , of {L1} , was arrested on Sunday .", (("Live_In", "P1", "L1"),)),
        ("{P1} , a resident of {L1} , won the race .", (("Live_In", "P1", "L1"),)),
        ("{L1} resident {P1} said the water was rising .", (("Live_In", "P1", "L1"),)),
        ("{P1} has lived in {L1} for ten years .", (("Live_In", "P1", "L1"),)),
        ("{P1} returned to his home in {L1} .", (("Live_In", "P1", "L1"),)),
        ("{P1} , who lives in {L1} , wrote the letter .", (("Live_In", "P1", "L1"),)),
        ("{P1} was born and raised in {L1} .", (("Live_In", "P1", "L1"),)),
    ),
    "Located_In": (
        ("The storm hit {L1} , {L2} , on Tuesday .", (("Located_In", "L1", "L2"),)),
        ("{L1} is a city in {L2} .", (("Located_In", "L1", "L2"),)),
        ("{L1} , in {L2} , has a large port .", (("Located_In", "L1", "L2"),)),
        ("Officials in {L1} , {L2} , closed the schools .", (("Located_In", "L1", "L2"),)),
        ("{L1} lies in the north of {L2} .", (("Located_In", "L1", "L2"),)),
        ("Prices fell in the {L2} city of {L1} .", (("Located_In", "L1", "L2"),)),
    ),
    "multi": (
        (
            "{P1} , a {J} for {O1} , lives in {L1} .",
            (("Work_For", "P1", "O1"), ("Live_In", "P1", "L1")),
        ),
        (
            "{P1} of {L1} , {L2} , was killed by {P2} .",
            (("Live_In", "P1", "L1"), ("Located_In", "L1", "L2"), ("Kill", "P2", "P1")),
        ),
        (
            "{O1} , based in {L1} , hired {P1} as {J} .",
            (("OrgBased_In", "O1", "L1"), ("Work_For", "P1", "O1")),
        ),
        (
            "{P1} works for {O1} , which is based in {L1} .",
            (("Work_For", "P1", "O1"), ("OrgBased_In", "O1", "L1")),
        ),
        (
            "In {L1} , {L2} , {O1} {J} {P1} said the talks failed .",
            (("Located_In", "L1", "L2"), ("Work_For", "P1", "O1")),
        ),
        (
            "{P1} , who lives in {L1} , works for {O1} .",
            (("Live_In", "P1", "L1"), ("Work_For", "P1", "O1")),
        ),
    ),
    "hedged": (
        ("{P1} denied working for {O1} .", ()),
        ("{P1} never worked for {O1} , a {J} said .", ()),
        ("{P2} was not killed by {P1} , the court found .", ()),
        ("{P1} plans to move to {L1} next year .", ()),
        ("{O1} may move its headquarters to {L1} .", ()),
        ("{P1} met {P2} in {L1} .", ()),
        ("{P1} visited {L1} last week .", ()),
        ("{P1} criticized {O1} for its decision .", ()),
        ("{O1} sued {O2} in {L1} .", ()),
        ("{P1} and {P2} spoke about the {X1} .", ()),
        ("{P1} applied for a job at {O1} but was turned down .", ()),
        ("{O1} denied that it would open an office in {L1} .", ()),
    ),
}

#: Clauses put before the main template (they end with a comma).
PREFIXES: tuple[str, ...] = (
    "On Tuesday ,",
    "Earlier this year ,",
    "In a statement released late yesterday ,",
    "According to officials ,",
    "During the {X*} ,",
    "After a long meeting with {P*} ,",
    "As the {O*} reported ,",
    "Despite the protests ,",
)

#: Clauses put before the final full stop (they start with a comma or a preposition).
SUFFIXES: tuple[str, ...] = (
    ", officials said",
    ", according to a report in the {O*}",
    ", {P*} said",
    "after the {X*}",
    "last week",
    ", the {O*} reported on Friday",
    ", although the details were not made public until much later in the year",
    ", and {P*} of the {O*} said the matter was closed",
    "during a visit to {L*}",
)

#: Main-template groups and their weights: Kill is rare, as it stresses macro-F1.
GROUP_WEIGHTS: dict[str, float] = {
    "Work_For": 0.28,
    "Live_In": 0.22,
    "OrgBased_In": 0.2,
    "Located_In": 0.17,
    "Kill": 0.05,
    "multi": 0.08,
}
