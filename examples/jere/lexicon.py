"""Word lists for the synthetic dataset: names, organisations, a location tree, other things."""

from __future__ import annotations

FIRST_NAMES: tuple[str, ...] = tuple(
    """
James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard
Susan Joseph Jessica Thomas Sarah Charles Karen Christopher Lisa Daniel Nancy Matthew Betty
Anthony Margaret Mark Sandra Donald Ashley Steven Kimberly Paul Emily Andrew Donna Joshua
Michelle Kenneth Carol Kevin Amanda Brian Dorothy George Melissa Timothy Deborah Ronald Stephanie
Edward Rebecca Jason Sharon Jeffrey Laura Ryan Cynthia Jacob Kathleen Gary Amy Nicholas Angela
Eric Shirley Jonathan Anna Stephen Brenda Larry Pamela Justin Emma Scott Nicole Brandon Helen
Benjamin Samantha Samuel Katherine Gregory Christine Alexander Debra Frank Rachel Patrick
Carolyn Raymond Janet Jack Catherine Dennis Maria Jerry Heather Tyler Diane Aaron Ruth Jose
Julie Adam Olivia Nathan Joyce Henry Virginia Douglas Victoria Zachary Kelly Peter Lauren
Kyle Christina Ethan Joan Walter Evelyn Noah Judith Jeremy Megan Christian Andrea Keith
Cheryl Roger Hannah Terry Jacqueline Gerald Martha Harold Gloria Sean Teresa Austin Ann Carl
Sara Arthur Madison Lawrence Frances Dylan Kathryn Jesse Janice Jordan Jean Bryan Abigail Billy
Alice Joe Judy Bruce Sophia Gabriel Grace Logan Denise Albert Amber Willie Doris Alan Marilyn
Juan Danielle Wayne Beverly Elijah Isabella Randy Theresa Roy Diana Vincent Natalie Ralph
Brittany Eugene Charlotte Russell Marie Bobby Kayla Mason Alexis Philip Lori Louis Paris
""".split()
)

SURNAMES: tuple[str, ...] = tuple(
    """
Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez
Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris
Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill
Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips
Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers
Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson
Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders
Patel Myers Long Ross Foster Jimenez Powell Jenkins Perry Russell Sullivan Bell Coleman Butler
Henderson Barnes Gonzales Fisher Vasquez Simmons Romero Jordan Patterson Alexander Hamilton
Graham Reynolds Griffin Wallace Moreno West Cole Hayes Bryant Herrera Gibson Ellis Tran
Medina Aguilar Stevens Murray Ford Castro Marshall Owens Harrison Fernandez Mcdonald Woods
Washington Kennedy Wells Vargas Henry Chen Freeman Webb Tucker Guzman Burns Crawford Olson
Simpson Porter Hunter Gordon Mendez Silva Shaw Snyder Mason Dixon Munoz Hunt Hicks Holmes
Palmer Wagner Black Robertson Boyd Rose Stone Salazar Fox Warren Mills Meyer Rice Schmidt
Garza Daniels Ferguson Nichols Stephens Soto Weaver Ryan Gardner Payne Grant Dunn Kelley
Spencer Hawkins Arnold Pierce Vazquez Hansen Peters Santos Hart Bradley Knight Elliott Lincoln
""".split()
)

#: Strings that are a person in one sentence and a place or an organisation in another.
AMBIGUOUS_PEOPLE: tuple[str, ...] = (
    "Jordan Washington",
    "Paris Lincoln",
    "Henry Ford",
    "George Washington",
    "Paris Jordan",
    "Jordan Lincoln",
)

#: country -> state or region -> cities; ``Located_In`` facts come only from this tree.
LOCATIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "United States": {
        "Massachusetts": ("Boston", "Springfield", "Worcester"),
        "Texas": ("Houston", "Dallas", "Austin"),
        "California": ("Los Angeles", "San Diego", "Oakland"),
        "Nebraska": ("Lincoln", "Omaha"),
        "Washington": ("Seattle", "Spokane"),
        "Illinois": ("Chicago", "Peoria"),
        "Georgia": ("Atlanta", "Savannah"),
        "Ohio": ("Cleveland", "Columbus", "Dayton"),
    },
    "Canada": {
        "Ontario": ("Toronto", "Ottawa"),
        "Quebec": ("Montreal",),
        "Alberta": ("Calgary", "Edmonton"),
    },
    "France": {"Ile de France": ("Paris",), "Provence": ("Marseille", "Nice")},
    "Germany": {"Bavaria": ("Munich", "Nuremberg"), "Saxony": ("Dresden", "Leipzig")},
    "Jordan": {"Amman Governorate": ("Amman",)},
    "Japan": {"Kanto": ("Tokyo", "Yokohama"), "Kansai": ("Osaka", "Kyoto")},
    "Brazil": {"Sao Paulo State": ("Sao Paulo", "Campinas"), "Bahia": ("Salvador",)},
    "India": {"Maharashtra": ("Mumbai", "Pune"), "Karnataka": ("Bangalore",)},
    "Kenya": {"Nairobi County": ("Nairobi",), "Coast Province": ("Mombasa",)},
}

ORG_NOUNS: tuple[str, ...] = tuple(
    """
Steel Energy Airlines Motors Bank Insurance Chemical Broadcasting Mining Textile Shipping
Computer Software Pharmaceutical Foods Railroad Press Electric Oil Gas Publishing Aerospace
Farmers Teachers Nurses Pilots Writers Engineers Growers
""".split()
)

#: Organisation patterns; ``{S}`` is a surname, ``{N}`` a noun, ``{C}`` a city or state.
#: Patterns with a city nest a location inside the organisation: a hard negative span.
ORG_PATTERNS: tuple[str, ...] = (
    "{S} Corp.",
    "{S} Inc.",
    "{S} and {S2}",
    "{S} {N} Co.",
    "{N} Group of {C}",
    "National {N} Association",
    "University of {C}",
    "{C} Times",
    "Bank of {C}",
    "{C} {N} Union",
    "{S} Foundation",
    "{N} Workers Union",
    "{C} Police Department",
    "{S} Institute",
    "First {N} Bank",
    "{C} City Council",
)

#: Organisation names every split shares (they include the ambiguous "Ford").
FIXED_ORGS: tuple[str, ...] = (
    "Ford",
    "United Nations",
    "Red Cross",
    "Associated Press",
    "NASA",
    "World Bank",
    "Lincoln Electric",
)

OTHER_THINGS: tuple[str, ...] = (
    "Nobel Prize",
    "Olympic Games",
    "World Series",
    "Super Bowl",
    "Pulitzer Prize",
    "Christmas",
    "Easter",
    "Medicare",
    "Bible",
    "Koran",
    "Democrats",
    "Republicans",
    "Catholic",
    "Muslim",
    "Apollo 11",
    "Challenger",
    "Titanic",
    "Social Security",
    "Academy Award",
    "World War II",
    "Vietnam War",
    "Gulf War",
    "Marxist",
    "American",
)

JOBS: tuple[str, ...] = (
    "spokesman",
    "chairman",
    "director",
    "lawyer",
    "economist",
    "analyst",
    "manager",
    "reporter",
    "president",
    "engineer",
    "consultant",
    "editor",
)

#: A long title (more than ten words) annotated as one ``Other`` entity: unreachable recall
#: for a model whose spans stop at ten words.
LONG_OTHER: tuple[str, ...] = (
    "International Conference on the Future of Farming and Rural Life in the Developing World",
    "Annual Meeting of the Society for the Study of Social Problems and Public Policy Reform",
)
