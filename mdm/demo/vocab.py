"""French vocabularies for the generated customers: names, places, streets, email domains, companies.

Frequencies matter more than variety: matching quality depends on how often a surname or a first
name is shared, so names come with real frequencies. The weighted lists are small data files next
to this module, each naming its public source and licence: `first_names.csv` (INSEE's fichier des
prénoms) and `surnames.csv` (INSEE's births by surname, 1891-1990). `surname_table` adds a long,
synthetic tail of plausible surnames below the listed ones, so that at a million records most
names are still rare, as they are in France (over a million surnames). Every string here is
encodable in Windows-1252 (the CRM export's encoding).
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

import numpy as np

_HERE = Path(__file__).resolve().parent

#: Births in France from 1891 to 1990, about 78 million: the denominator of `surnames.csv`'s counts,
#: so that the listed names carry their real share of people (Martin about 0.3 %, the list 13 %).
BIRTHS_1891_1990 = 78_000_000


def _data_rows(name: str) -> list[list[str]]:
    """Rows of one of the data files next to this module, without its comment lines and header."""
    lines = (_HERE / name).read_text(encoding="utf-8").splitlines()
    rows = list(csv.reader(line for line in lines if not line.startswith("#")))
    return rows[1:]


#: The listed surnames in rank order with their counts of births (see `surnames.csv`).
HEAD_SURNAMES: tuple[tuple[str, int], ...] = tuple((name, int(births)) for name, births in _data_rows("surnames.csv"))

#: (first name, sex, weight): weight is thousands of births over about 1900-2020 (see `first_names.csv`).
FIRST_NAMES: tuple[tuple[str, str, float], ...] = tuple(
    (name, sex, float(births)) for name, sex, births in _data_rows("first_names.csv")
)

#: Syllables for the synthetic long tail ("Bouchardet", "Laumonier", ...).
_TAIL_START = (
    "Bou", "Char", "Fau", "Gi", "Lam", "Ma", "Pel", "Ri", "Ver", "Cha", "Bri", "Dela", "Mon", "Sau", "Tour",
    "Bel", "Cour", "Fon", "Ga", "Jou", "Lan", "Mar", "Per", "Ros", "Ser", "Tes", "Vau", "Bar", "Ber", "Cal",
    "Cla", "Cor", "Dau", "Des", "Du", "Es", "Fer", "Gau", "Gros", "Gui", "Hu", "La", "Le", "Lau", "Mi",
    "Mou", "Pa", "Pi", "Pou", "Ra", "Re", "Ro", "Sa", "Ta", "Tho", "Va", "Vi", "Bu", "Cas", "Cou",
)
_TAIL_MIDDLE = (
    "", "b", "ch", "d", "g", "l", "n", "r", "t", "v", "ll", "ss", "m", "rg", "nd", "rt", "sn", "qu", "gn", "ch",
    "rb", "rc", "rl", "st", "nt", "mb", "tt", "ff", "p", "s",
)
_TAIL_END = (
    "ard", "aud", "eau", "et", "ier", "in", "on", "ot", "el", "elle", "enne", "ès", "oux", "ault", "ais",
    "ant", "ert", "is", "ey", "y", "ac", "at", "ard", "as", "ou", "eaux", "iaux", "onnet", "illon", "agne",
    "ette", "ereau", "elin", "aumont", "ichon", "ignac", "oulet", "uzier", "ardin", "esse",
)


def _tail_names(count: int, known: set[str]) -> list[str]:
    """Up to `count` plausible synthetic surnames, none of them in `known` (lower case), seeded."""
    rng = np.random.default_rng(20261101)
    tail: list[str] = []
    seen = set(known)
    starts2 = [s.lower() for s in _TAIL_START if len(s) > 1]
    combos = [(s, m, e) for s in _TAIL_START for m in _TAIL_MIDDLE for e in _TAIL_END]
    combos += [(s, s2, e) for s in _TAIL_START for s2 in starts2 for e in _TAIL_END]
    for i in rng.permutation(len(combos)):
        start, middle, end = combos[i]
        if start[-1] in "aeiou" and middle == "" and end[0] in "aeiouyè":
            continue  # "Maard": unpronounceable
        joint = middle or end
        if start[-1] not in "aeiou" and joint[0] not in "aeiouyè":
            continue  # "Charrgard": too many consonants
        if middle and middle[-1] in "aeiou" and end[0] in "aeiouyè":
            continue
        name = start + middle + end
        if name.lower() in seen:
            continue
        seen.add(name.lower())
        tail.append(name)
        if len(tail) >= count:
            break
    return tail


def _tail_weights(size: int, first_rank: int, mass: float, edge: float) -> np.ndarray:
    """Power-law weights over tail ranks that sum to `mass` and start close to `edge` (no jump).

    The exponent is found by bisection: steeper puts more of the mass on the first tail names.
    """
    rank = np.arange(first_rank, first_rank + size, dtype=np.float64)
    low, high = 0.01, 3.0
    for _ in range(50):
        exponent = (low + high) / 2
        weights = rank**-exponent
        weights *= mass / weights.sum()
        low, high = (exponent, high) if weights[0] < edge else (low, exponent)
    return weights


@cache
def surname_table(tail_size: int = 200_000) -> tuple[np.ndarray, np.ndarray]:
    """(names, probabilities): the listed surnames at their real shares, then a synthetic tail.

    The listed names carry their births over `BIRTHS_1891_1990`; the rest of the population is
    spread over the tail by a power law that continues the list's last weight.
    """
    head = list(dict.fromkeys(name for name, _ in HEAD_SURNAMES))
    head_p = np.array([births for _, births in HEAD_SURNAMES], dtype=np.float64)[: len(head)] / BIRTHS_1891_1990
    tail = _tail_names(tail_size, {n.lower() for n in head})
    tail_p = _tail_weights(len(tail), len(head) + 1, 1.0 - head_p.sum(), head_p[-1])
    probabilities = np.concatenate([head_p, tail_p])
    return np.array(head + tail, dtype=object), probabilities / probabilities.sum()


#: Diminutives people really write in a form instead of their given name.
NICKNAMES: dict[str, str] = {
    "Alexandre": "Alex", "Alexandra": "Alex", "Jean-Baptiste": "JB", "Catherine": "Cathy", "Christophe": "Chris",
    "Christian": "Chris", "Nicolas": "Nico", "Frédéric": "Fred", "Frédérique": "Fred", "Maximilien": "Max",
    "Maxime": "Max", "Stéphane": "Steph", "Stéphanie": "Steph", "Sébastien": "Seb", "Benjamin": "Ben",
    "Thomas": "Tom", "Matthieu": "Matt", "Philippe": "Phil", "Dominique": "Dom", "Élisabeth": "Babeth",
    "Isabelle": "Isa", "Valérie": "Val", "Florian": "Flo", "Florence": "Flo", "Emmanuel": "Manu",
    "Charlotte": "Charlie", "Caroline": "Caro", "Gabriel": "Gaby", "Gabrielle": "Gaby", "Raphaël": "Raph",
    "Anthony": "Tony", "Grégory": "Greg", "Mickaël": "Mika", "Patrick": "Pat", "Joseph": "Jo",
    "Johanna": "Jo", "Véronique": "Véro", "Jacques": "Jacky", "Margaux": "Margot", "Jean-Pierre": "JP",
    "Jean-François": "JF", "Anne-Sophie": "Anne-So", "Aurélien": "Aurel", "Valentin": "Val", "Sandrine": "Sandy",
}

#: (postcode, city, population in thousands). Includes departments 01-09 (leading zero) and Corsica.
CITIES: tuple[tuple[str, str, float], ...] = (
    ("75001", "Paris", 16), ("75005", "Paris", 58), ("75008", "Paris", 36), ("75011", "Paris", 145),
    ("75012", "Paris", 140), ("75013", "Paris", 180), ("75014", "Paris", 135), ("75015", "Paris", 230),
    ("75016", "Paris", 165), ("75017", "Paris", 165), ("75018", "Paris", 195), ("75019", "Paris", 185),
    ("75020", "Paris", 195), ("13001", "Marseille", 40), ("13004", "Marseille", 48), ("13008", "Marseille", 80),
    ("13012", "Marseille", 60), ("13013", "Marseille", 90), ("13015", "Marseille", 78), ("69001", "Lyon", 30),
    ("69003", "Lyon", 100), ("69006", "Lyon", 52), ("69007", "Lyon", 85), ("69008", "Lyon", 85),
    ("31000", "Toulouse", 250), ("31200", "Toulouse", 120), ("31400", "Toulouse", 100), ("06000", "Nice", 200),
    ("06100", "Nice", 140), ("06400", "Cannes", 74), ("06600", "Antibes", 73), ("06130", "Grasse", 50),
    ("44000", "Nantes", 160), ("44300", "Nantes", 150), ("67000", "Strasbourg", 170), ("67100", "Strasbourg", 110),
    ("34000", "Montpellier", 200), ("34070", "Montpellier", 90), ("33000", "Bordeaux", 160), ("33800", "Bordeaux", 95),
    ("59000", "Lille", 120), ("59800", "Lille", 70), ("35000", "Rennes", 220), ("51100", "Reims", 180),
    ("76600", "Le Havre", 165), ("42000", "Saint-Étienne", 170), ("83000", "Toulon", 170), ("38000", "Grenoble", 158),
    ("21000", "Dijon", 158), ("49000", "Angers", 155), ("30000", "Nîmes", 150), ("69100", "Villeurbanne", 150),
    ("63000", "Clermont-Ferrand", 147), ("72000", "Le Mans", 143), ("13100", "Aix-en-Provence", 145),
    ("29200", "Brest", 140), ("37000", "Tours", 136), ("80000", "Amiens", 133), ("87000", "Limoges", 130),
    ("74000", "Annecy", 130), ("66000", "Perpignan", 120), ("92100", "Boulogne-Billancourt", 121),
    ("57000", "Metz", 118), ("25000", "Besançon", 117), ("45000", "Orléans", 116), ("93200", "Saint-Denis", 113),
    ("95100", "Argenteuil", 110), ("68100", "Mulhouse", 108), ("76000", "Rouen", 111), ("14000", "Caen", 106),
    ("54000", "Nancy", 104), ("93100", "Montreuil", 110), ("94400", "Vitry-sur-Seine", 95), ("92000", "Nanterre", 96),
    ("94000", "Créteil", 92), ("92600", "Asnières-sur-Seine", 87), ("78000", "Versailles", 85), ("92200", "Neuilly-sur-Seine", 60),
    ("86000", "Poitiers", 90), ("64000", "Pau", 77), ("17000", "La Rochelle", 77), ("62100", "Calais", 72),
    ("59100", "Roubaix", 98), ("59200", "Tourcoing", 98), ("84000", "Avignon", 91), ("34500", "Béziers", 78),
    ("56100", "Lorient", 57), ("56000", "Vannes", 54), ("29000", "Quimper", 63), ("22000", "Saint-Brieuc", 44),
    ("35400", "Saint-Malo", 46), ("50100", "Cherbourg-en-Cotentin", 79), ("53000", "Laval", 50), ("85000", "La Roche-sur-Yon", 55),
    ("79000", "Niort", 59), ("16000", "Angoulême", 42), ("24000", "Périgueux", 30), ("40000", "Mont-de-Marsan", 30),
    ("64100", "Bayonne", 52), ("65000", "Tarbes", 42), ("11100", "Narbonne", 55), ("11000", "Carcassonne", 46),
    ("81000", "Albi", 49), ("82000", "Montauban", 61), ("12000", "Rodez", 25), ("46000", "Cahors", 20),
    ("19100", "Brive-la-Gaillarde", 47), ("15000", "Aurillac", 26), ("43000", "Le Puy-en-Velay", 19), ("26000", "Valence", 64),
    ("73000", "Chambéry", 60), ("74100", "Annemasse", 37), ("39000", "Lons-le-Saunier", 17), ("70000", "Vesoul", 15),
    ("90000", "Belfort", 47), ("88000", "Épinal", 32), ("55100", "Verdun", 17), ("52000", "Chaumont", 22),
    ("10000", "Troyes", 62), ("89000", "Auxerre", 35), ("58000", "Nevers", 33), ("71100", "Chalon-sur-Saône", 45),
    ("18000", "Bourges", 64), ("36000", "Châteauroux", 43), ("41000", "Blois", 46), ("28000", "Chartres", 39),
    ("27000", "Évreux", 47), ("61000", "Alençon", 26), ("60000", "Beauvais", 56), ("60200", "Compiègne", 40),
    ("77000", "Melun", 41), ("91000", "Évry-Courcouronnes", 67), ("95000", "Cergy", 66), ("78100", "Saint-Germain-en-Laye", 45),
    ("01000", "Bourg-en-Bresse", 41), ("01100", "Oyonnax", 22), ("01200", "Valserhône", 16), ("02100", "Saint-Quentin", 53),
    ("02000", "Laon", 25), ("02200", "Soissons", 28), ("03100", "Montluçon", 35), ("03000", "Moulins", 19),
    ("03200", "Vichy", 25), ("04000", "Digne-les-Bains", 16), ("04100", "Manosque", 22), ("05000", "Gap", 41),
    ("05100", "Briançon", 11), ("07000", "Privas", 8), ("07100", "Annonay", 16), ("07200", "Aubenas", 12),
    ("08000", "Charleville-Mézières", 46), ("08200", "Sedan", 16), ("09000", "Foix", 9), ("09100", "Pamiers", 16),
    ("20000", "Ajaccio", 71), ("20200", "Bastia", 48), ("97400", "Saint-Denis", 150), ("97410", "Saint-Pierre", 85),
    ("69400", "Villefranche-sur-Saône", 37), ("69500", "Bron", 42), ("69200", "Vénissieux", 66), ("38200", "Vienne", 30),
    ("13400", "Aubagne", 47), ("13500", "Martigues", 49), ("83400", "Hyères", 55), ("06800", "Cagnes-sur-Mer", 52),
)

STREET_NAMES: tuple[str, ...] = (
    "de la République", "Victor Hugo", "Jean Jaurès", "de la Gare", "du Général de Gaulle", "Pasteur", "de Paris",
    "des Écoles", "du Moulin", "de l'Église", "Gambetta", "Jules Ferry", "Voltaire", "de la Liberté", "du Château",
    "Nationale", "des Lilas", "des Acacias", "du Stade", "de Verdun", "Carnot", "Émile Zola", "Foch", "de la Paix",
    "du 8 Mai 1945", "des Tilleuls", "du Commerce", "de Strasbourg", "de Bretagne", "Saint-Martin", "des Rosiers",
    "du Lavoir", "de la Fontaine", "des Vignes", "du Port", "Louis Pasteur", "Anatole France", "Paul Bert",
    "Aristide Briand", "Georges Clemenceau", "de la Mairie", "des Prés", "du Bois", "de la Forêt", "des Champs",
    "du Maréchal Leclerc", "Albert Camus", "Pierre Curie", "Marie Curie", "Édouard Herriot", "Lamartine", "Molière",
    "Racine", "Mozart", "des Peupliers", "des Chênes", "des Jardins", "du Parc", "de la Poste", "des Ormes",
    "des Cerisiers", "de la Croix", "Saint-Jacques", "de Provence", "de Lyon", "de Bordeaux", "de Nantes",
    "de la Libération", "du Maréchal Foch", "Jean Moulin", "de la Résistance", "des Alpes", "de la Mer", "du Canal",
    "de la Source", "des Sables", "du Marché", "de la Halle", "du Four", "des Pins", "du Calvaire", "des Mimosas",
    "des Vergers", "de la Colline", "du Vieux Pont", "des Marronniers", "Sadi Carnot", "Henri Barbusse",
    "Jean Mermoz", "Antoine de Saint-Exupéry", "des Platanes", "du Presbytère", "de l'Abbaye", "des Bleuets",
    "des Coquelicots", "de la Chapelle", "du Docteur Roux", "Gustave Eiffel", "de Metz", "Thiers", "Danton",
)

#: (type, abbreviation, weight). Forms write the abbreviation now and then.
STREET_TYPES: tuple[tuple[str, str, float], ...] = (
    ("rue", "r.", 55), ("avenue", "av.", 15), ("boulevard", "bd", 8), ("impasse", "imp.", 6),
    ("chemin", "ch.", 6), ("allée", "all.", 5), ("place", "pl.", 3), ("route", "rte", 2),
)

ADDRESS_LINE2: tuple[str, ...] = (
    "Bât. A", "Bât. B", "Bâtiment C", "Appt 12", "Appt 3", "Résidence Les Pins", "Résidence du Parc", "Escalier 2",
    "2e étage", "Lieu-dit Les Granges", "BP 24", "Chez Mme Martin",
)

#: (domain, weight). The French consumer mailboxes, then a few foreign ones.
EMAIL_DOMAINS: tuple[tuple[str, float], ...] = (
    ("gmail.com", 36), ("orange.fr", 15), ("hotmail.fr", 10), ("free.fr", 9), ("yahoo.fr", 7), ("wanadoo.fr", 5),
    ("laposte.net", 5), ("sfr.fr", 4), ("outlook.fr", 3), ("hotmail.com", 2), ("icloud.com", 2), ("live.fr", 2),
)

#: Typing mistakes seen in real customer files, per domain.
DOMAIN_TYPOS: dict[str, tuple[str, ...]] = {
    "gmail.com": ("gmial.com", "gmail.fr", "gamil.com", "gmail.con", "gmai.com"),
    "orange.fr": ("oange.fr", "orange.fe", "ornage.fr"),
    "hotmail.fr": ("hotmal.fr", "hotmail.fe", "hotmial.fr"),
    "free.fr": ("fre.fr", "free.fe"),
    "yahoo.fr": ("yahooo.fr", "yaho.fr"),
    "wanadoo.fr": ("wanado.fr", "wanadoo.com"),
    "laposte.net": ("laposte.fr", "lapost.net"),
    "sfr.fr": ("sfr.com",),
    "outlook.fr": ("outlok.fr",),
    "hotmail.com": ("hotmal.com",),
    "icloud.com": ("iclould.com",),
    "live.fr": ("live.com",),
}

#: (company, email domain). Small firms that visit a home-and-garden fair, and a few employers.
COMPANIES: tuple[tuple[str, str], ...] = (
    ("Jardins du Rhône", "jardins-du-rhone.fr"), ("Paysages Martin", "paysages-martin.fr"),
    ("Menuiserie Durand", "menuiserie-durand.fr"), ("Atelier Vert", "ateliervert.fr"),
    ("Piscines Soleil", "piscines-soleil.com"), ("Bâti Concept", "baticoncept.fr"),
    ("Domotique Plus", "domotiqueplus.fr"), ("Éco Habitat", "eco-habitat.fr"),
    ("Véranda Confort", "veranda-confort.fr"), ("Terrasses & Bois", "terrasses-bois.fr"),
    ("Cuisines Lebrun", "cuisines-lebrun.fr"), ("Agence Immo Centre", "immo-centre.fr"),
    ("Mairie de Bron", "ville-bron.fr"), ("Crédit Mutuel", "creditmutuel.fr"), ("La Poste", "laposte.fr"),
    ("SNCF", "sncf.fr"), ("Orange Business", "orange.com"), ("Capgemini", "capgemini.com"),
)

ROLE_LOCALS: tuple[str, ...] = ("contact", "info", "accueil", "commercial", "direction")
