"""Name lists for synthetic people: our own, so demo data needs no third-party faker.

Given names carry the nicknames people give at intake ("Bill" for William), the
commonest reason one human ends up as several records.
"""

from __future__ import annotations

# Formal given name → nicknames the same person may give.
MALE_GIVEN: dict[str, tuple[str, ...]] = {
    "William": ("Bill", "Billy", "Will", "Liam"),
    "Robert": ("Bob", "Bobby", "Rob"),
    "James": ("Jim", "Jimmy", "Jamie"),
    "John": ("Jack", "Johnny"),
    "Michael": ("Mike", "Mikey"),
    "Richard": ("Rick", "Richie", "Dick"),
    "Joseph": ("Joe", "Joey"),
    "Thomas": ("Tom", "Tommy"),
    "Christopher": ("Chris", "Topher"),
    "Daniel": ("Dan", "Danny"),
    "Matthew": ("Matt",),
    "Anthony": ("Tony",),
    "Steven": ("Steve",),
    "Andrew": ("Andy", "Drew"),
    "Joshua": ("Josh",),
    "Kenneth": ("Ken", "Kenny"),
    "Kevin": (),
    "Brian": (),
    "George": (),
    "Edward": ("Ed", "Eddie", "Ted"),
    "Ronald": ("Ron", "Ronnie"),
    "Timothy": ("Tim", "Timmy"),
    "Jason": (),
    "Jeffrey": ("Jeff",),
    "Ryan": (),
    "Jacob": ("Jake",),
    "Gary": (),
    "Nicholas": ("Nick", "Nicky"),
    "Eric": (),
    "Jonathan": ("Jon",),
    "Larry": (),
    "Justin": (),
    "Scott": (),
    "Brandon": (),
    "Benjamin": ("Ben", "Benny"),
    "Samuel": ("Sam", "Sammy"),
    "Gregory": ("Greg",),
    "Alexander": ("Alex",),
    "Patrick": ("Pat", "Paddy"),
    "Francis": ("Frank", "Frankie"),
    "Raymond": ("Ray",),
    "Dennis": (),
    "Gerald": ("Jerry",),
    "Tyler": (),
    "Aaron": (),
    "José": ("Jose", "Pepe"),
    "Adam": (),
    "Nathan": ("Nate",),
    "Henry": ("Hank",),
    "Douglas": ("Doug",),
    "Zachary": ("Zach", "Zack"),
    "Peter": ("Pete",),
    "Kyle": (),
    "Luis": (),
    "Carlos": (),
    "Juan": (),
    "Miguel": (),
    "Ángel": ("Angel",),
    "DeShawn": ("Shawn",),
    "Malik": (),
    "Terrell": (),
    "Andre": ("Dre",),
    "Marcus": (),
    "Darnell": (),
    "Jamal": (),
    "Dustin": (),
    "Cody": (),
    "Travis": (),
    "Shane": (),
    "Wesley": ("Wes",),
    "Dale": (),
}

FEMALE_GIVEN: dict[str, tuple[str, ...]] = {
    "Elizabeth": ("Liz", "Beth", "Betsy", "Lizzie"),
    "Jennifer": ("Jen", "Jenny"),
    "Patricia": ("Pat", "Patty", "Trish"),
    "Margaret": ("Maggie", "Peggy", "Meg"),
    "Katherine": ("Kate", "Katie", "Kathy"),
    "Susan": ("Sue", "Susie"),
    "Jessica": ("Jess", "Jessie"),
    "Sarah": (),
    "Karen": (),
    "Nancy": (),
    "Lisa": (),
    "Dorothy": ("Dot", "Dottie"),
    "Sandra": ("Sandy",),
    "Ashley": (),
    "Kimberly": ("Kim",),
    "Donna": (),
    "Emily": ("Em",),
    "Michelle": ("Shelly",),
    "Carol": (),
    "Amanda": ("Mandy",),
    "Melissa": ("Missy", "Mel"),
    "Deborah": ("Deb", "Debbie"),
    "Stephanie": ("Steph",),
    "Rebecca": ("Becky", "Becca"),
    "Laura": (),
    "Sharon": (),
    "Cynthia": ("Cindy",),
    "Kathleen": ("Kathy", "Katie"),
    "Amy": (),
    "Angela": ("Angie",),
    "Helen": (),
    "Anna": (),
    "Brenda": (),
    "Pamela": ("Pam",),
    "Nicole": ("Nikki",),
    "Samantha": ("Sam", "Sammy"),
    "Christine": ("Chris", "Chrissy"),
    "Victoria": ("Vicky", "Tori"),
    "Alexandra": ("Alex", "Lexi"),
    "María": ("Maria",),
    "Rosa": (),
    "Carmen": (),
    "Ana": (),
    "Yolanda": (),
    "Tanisha": (),
    "Keisha": (),
    "Aaliyah": (),
    "Destiny": (),
    "Brittany": ("Britt",),
    "Crystal": (),
    "Tiffany": (),
    "Heather": (),
    "Amber": (),
    "Danielle": ("Dani",),
    "Megan": ("Meg",),
    "Rachel": (),
    "Courtney": (),
    "Kayla": (),
    "Jasmine": ("Jazz",),
    "Tammy": (),
    "Kristen": (),
}

SURNAMES: tuple[str, ...] = tuple(
    """
    Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Thomas Taylor Moore
    Jackson Martin Lee Thompson White Harris Clark Lewis Robinson Walker Young Allen
    King Wright Scott Nguyen Hill Green Adams Nelson Baker Hall Campbell Mitchell Carter
    Roberts Murphy Sullivan O'Brien Kelly McCarthy Walsh Doherty Ryan Fitzgerald
    Connolly Burke Lynch Murray Quinn Gallagher Silva Pereira Medeiros Souza Costa Rossi
    Russo Ferreira Cook Morgan Bell Cooper Richardson Cox Howard Ward Peterson Gray
    James Watson Brooks Kennedy Wood Barnes Ross Henderson Coleman Jenkins Perry Powell
    Long Patterson Hughes Price Myers Ford Hamilton Graham Sanders Wallace Woods Cole
    West Jordan Owens Reynolds Fisher Ellis Harrison Gibson McDonald Marshall Hunt
    Freeman Wells Webb Simpson Stevens Tucker Porter Hunter Hicks Crawford Henry Boyd
    Mason Kowalski Nowak Novak Schmidt Weber Fischer Becker Hoffman Dunn Pierce Arnold
    Black Stone Spencer Carroll Riley Adkins Blankenship Hatfield McCoy Napier Stanley
    Workman
    """.split()
)

HISPANIC_SURNAMES: tuple[str, ...] = tuple(
    """
    Garcia Rodriguez Martinez Hernandez Lopez Gonzalez Perez Sanchez Ramirez Torres
    Flores Rivera Gomez Diaz Cruz Reyes Morales Ortiz Gutierrez Ramos Ruiz Alvarez
    Castillo Jimenez Vasquez Romero Herrera Medina Aguilar Vargas Colón Santiago
    Figueroa Rosario Velázquez Serrano Delgado Mendoza Soto Pagán
    """.split()
)

STREETS: tuple[str, ...] = (
    "Main St",
    "Oak St",
    "Maple Ave",
    "Elm St",
    "Pine St",
    "Cedar St",
    "Washington St",
    "Church St",
    "High St",
    "School St",
    "Park Ave",
    "Pleasant St",
    "Union St",
    "Center St",
    "North St",
    "South St",
    "Spring St",
    "Summer St",
    "Winter St",
    "Water St",
    "Mill St",
    "Highland Ave",
    "Prospect St",
    "Forest Ave",
    "Walnut St",
    "Chestnut St",
    "Grove St",
    "Franklin St",
    "Lincoln Ave",
    "Jefferson St",
    "Adams St",
    "Madison Ave",
    "Front St",
    "River Rd",
    "Lake St",
    "Hillside Ave",
    "Cherry St",
    "Birch Rd",
    "Willow St",
    "Locust St",
    "Market St",
    "Railroad Ave",
    "Green St",
    "Court St",
    "Bridge St",
    "Central Ave",
    "Broad St",
    "Fairview Ave",
    "Sunset Dr",
    "Meadow Ln",
    "Orchard St",
    "Academy St",
    "Howard St",
    "Liberty St",
)

APARTMENTS: tuple[str, ...] = ("Apt 1", "Apt 2", "Apt 3B", "Unit 4", "Apt 2R", "#5", "Fl 2")

# Who is asked about, or asks for help, around a participant, and their usual sex.
FAMILY_RELATIONSHIPS: tuple[tuple[str, str, str], ...] = (
    # (relationship, collateral kind, sex: "female" / "male" / "any")
    ("mother", "family", "female"),
    ("father", "family", "male"),
    ("sister", "family", "female"),
    ("brother", "family", "male"),
    ("partner", "family", "any"),
    ("spouse", "family", "any"),
    ("daughter", "family", "female"),
    ("son", "family", "male"),
    ("aunt", "family", "female"),
    ("grandmother", "family", "female"),
    ("cousin", "family", "any"),
    ("friend", "friend", "any"),
    ("roommate", "friend", "any"),
    ("neighbor", "other", "any"),
)

# How the record keeps each relationship above: its code in the closed list people choose
# from (`domain.vocabulary.Relationship`); the words above pick names and sexes.
RELATIONSHIP_CODES: dict[str, str] = {
    "sister": "sibling",
    "brother": "sibling",
    "daughter": "child",
    "son": "child",
    "aunt": "other_relative",
    "grandmother": "grandparent",
    "cousin": "other_relative",
}


def relationship_code(word: str) -> str:
    return RELATIONSHIP_CODES.get(word, word)


# Relationships that usually share the participant's family name.
SHARES_SURNAME: frozenset[str] = frozenset(
    {"mother", "father", "sister", "brother", "daughter", "son", "grandmother", "spouse"}
)
