"""French vocabularies for the generated customers: names, places, streets, email domains, companies.

Frequencies matter more than variety: matching quality depends on how often a surname or a
first name is shared, so the head of each list carries real-looking weights (Martin is the most
common surname in France, at about 0.35 % of the population) and `surname_table` adds a long,
synthetic tail of plausible surnames so that at a million records most names are still rare.
Every string here is encodable in Windows-1252 (the CRM export's encoding).
"""

from __future__ import annotations

from functools import cache

import numpy as np

#: The most common French surnames, in rank order (INSEE-like), plus frequent names of immigrant
#: origin and a few particles. Weights come from `surname_table` (a power law over the rank).
HEAD_SURNAMES: tuple[str, ...] = (
    "Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau", "Laurent",
    "Simon", "Michel", "Lefebvre", "Leroy", "Roux", "David", "Bertrand", "Morel", "Fournier", "Girard",
    "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent", "Muller", "Lefèvre", "Faure", "André",
    "Mercier", "Blanc", "Guérin", "Boyer", "Garnier", "Chevalier", "François", "Legrand", "Gauthier", "Garcia",
    "Perrin", "Robin", "Clément", "Morin", "Nicolas", "Henry", "Roussel", "Mathieu", "Gautier", "Masson",
    "Marchand", "Duval", "Denis", "Dumont", "Marie", "Lemaire", "Noël", "Meyer", "Dufour", "Meunier",
    "Brun", "Blanchard", "Giraud", "Joly", "Rivière", "Lucas", "Brunet", "Gaillard", "Barbier", "Arnaud",
    "Martinez", "Gérard", "Roche", "Renard", "Schmitt", "Roy", "Leroux", "Colin", "Vidal", "Caron",
    "Picard", "Roger", "Fabre", "Aubert", "Lemoine", "Renaud", "Dumas", "Lacroix", "Olivier", "Philippe",
    "Bourgeois", "Pierre", "Benoît", "Rey", "Leclerc", "Payet", "Rolland", "Leclercq", "Guillaume", "Lecomte",
    "Lopez", "Jean", "Dupuy", "Guillot", "Hubert", "Berger", "Carpentier", "Sanchez", "Dupuis", "Moulin",
    "Louis", "Deschamps", "Huet", "Vasseur", "Perez", "Boucher", "Fleury", "Royer", "Klein", "Jacquet",
    "Adam", "Paris", "Poirier", "Marty", "Aubry", "Guyot", "Carré", "Charles", "Renault", "Charpentier",
    "Ménard", "Maillard", "Baron", "Bertin", "Bailly", "Hervé", "Schneider", "Fernandez", "Le Gall", "Collet",
    "Léger", "Bouvier", "Julien", "Prévost", "Millet", "Perrot", "Daniel", "Le Roux", "Cousin", "Germain",
    "Breton", "Besson", "Langlois", "Rémy", "Le Goff", "Pelletier", "Lévêque", "Perrier", "Leblanc", "Barré",
    "Lebrun", "Marchal", "Weber", "Mallet", "Hamon", "Boulanger", "Jacob", "Monnier", "Michaud", "Rodriguez",
    "Guichard", "Gillet", "Étienne", "Grondin", "Poulain", "Tessier", "Chevallier", "Collin", "Chauvin", "Da Silva",
    "Bouchet", "Gay", "Lemaître", "Bénard", "Maréchal", "Humbert", "Reynaud", "Antoine", "Hoarau", "Perret",
    "Barthélemy", "Cordier", "Pichon", "Lejeune", "Gilbert", "Lamy", "Delaunay", "Pasquier", "Carlier", "Laporte",
    "Nguyen", "Dos Santos", "Ferreira", "Pereira", "Diallo", "Traoré", "Benali", "Haddad", "Cohen", "Mendes",
    "Le Bihan", "Le Floch", "Kerouac", "Tanguy", "Riou", "Ollivier", "Coulibaly", "N'Diaye", "Bensaïd", "Lebon",
    "de La Fontaine", "d'Arc", "de Oliveira", "Du Pont", "Saint-Martin", "Le Guen", "Lefort", "Marin", "Vidal", "Aubin",
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


@cache
def surname_table(tail_size: int = 200_000) -> tuple[np.ndarray, np.ndarray]:
    """(names, probabilities): the head list then a synthetic tail, weighted by a power law over the rank.

    With the exponent and offset below, Martin carries about 0.25 % of people and the 200 head names
    about 14 %, close to the French figures; the tail is what makes a name rare at a million records.
    """
    head = list(dict.fromkeys(HEAD_SURNAMES))
    seen = {n.lower() for n in head}
    rng = np.random.default_rng(20261101)
    tail: list[str] = []
    starts2 = [s.lower() for s in _TAIL_START if len(s) > 1]
    combos = [(s, m, e) for s in _TAIL_START for m in _TAIL_MIDDLE for e in _TAIL_END]
    combos += [(s, s2, e) for s in _TAIL_START for s2 in starts2 for e in _TAIL_END]
    order = rng.permutation(len(combos))
    for i in order:
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
        if len(tail) >= tail_size:
            break
    names = np.array(head + tail, dtype=object)
    rank = np.arange(len(names), dtype=np.float64)
    weights = (rank + 60.0) ** -0.85
    weights[:10] *= 2.0  # the very top (Martin, Bernard, ...) stands out in the real figures
    return names, weights / weights.sum()


#: (first name, sex, weight). Weights are rough frequencies among adults living in France today.
FIRST_NAMES: tuple[tuple[str, str, float], ...] = (
    ("Jean", "M", 30), ("Pierre", "M", 18), ("Michel", "M", 20), ("Philippe", "M", 18), ("Alain", "M", 14),
    ("Nicolas", "M", 16), ("Christophe", "M", 14), ("Patrick", "M", 13), ("Daniel", "M", 11), ("Éric", "M", 12),
    ("Frédéric", "M", 11), ("Laurent", "M", 12), ("Stéphane", "M", 12), ("David", "M", 12), ("Julien", "M", 12),
    ("Sébastien", "M", 12), ("Thomas", "M", 12), ("Olivier", "M", 11), ("Jean-Pierre", "M", 12), ("Jean-Claude", "M", 9),
    ("Jean-Luc", "M", 6), ("Jean-Baptiste", "M", 5), ("Jean-François", "M", 6), ("Alexandre", "M", 10), ("Guillaume", "M", 9),
    ("Maxime", "M", 8), ("Antoine", "M", 8), ("Hugo", "M", 6), ("Lucas", "M", 7), ("Louis", "M", 7),
    ("Gabriel", "M", 5), ("Léo", "M", 5), ("Raphaël", "M", 5), ("Arthur", "M", 4), ("Jules", "M", 4),
    ("Nathan", "M", 5), ("Théo", "M", 5), ("Mathis", "M", 3), ("Enzo", "M", 4), ("Noé", "M", 2),
    ("Benoît", "M", 5), ("François", "M", 9), ("Jérôme", "M", 7), ("Cédric", "M", 6), ("Mickaël", "M", 5),
    ("Grégory", "M", 5), ("Anthony", "M", 6), ("Kévin", "M", 6), ("Romain", "M", 7), ("Florian", "M", 5),
    ("Quentin", "M", 5), ("Mehdi", "M", 3), ("Karim", "M", 3), ("Mohamed", "M", 5), ("Yannick", "M", 4),
    ("Gérard", "M", 9), ("Bernard", "M", 9), ("René", "M", 5), ("André", "M", 8), ("Jacques", "M", 10),
    ("Henri", "M", 4), ("Marcel", "M", 4), ("Roger", "M", 4), ("Claude", "M", 6), ("Dominique", "M", 4),
    ("Thierry", "M", 9), ("Pascal", "M", 9), ("Didier", "M", 7), ("Bruno", "M", 7), ("Vincent", "M", 8),
    ("Fabrice", "M", 6), ("Xavier", "M", 4), ("Loïc", "M", 4), ("Matthieu", "M", 5), ("Benjamin", "M", 6),
    ("Damien", "M", 5), ("Christian", "M", 9), ("Emmanuel", "M", 5), ("Maximilien", "M", 1), ("Joseph", "M", 4),
    ("Yves", "M", 5), ("Serge", "M", 5), ("Gilles", "M", 6), ("Hervé", "M", 5), ("Arnaud", "M", 5),
    ("Adrien", "M", 5), ("Baptiste", "M", 4), ("Clément", "M", 5), ("Valentin", "M", 4), ("Aurélien", "M", 4),
    ("Marie", "F", 22), ("Nathalie", "F", 16), ("Isabelle", "F", 15), ("Sylvie", "F", 14), ("Catherine", "F", 14),
    ("Françoise", "F", 12), ("Christine", "F", 12), ("Monique", "F", 9), ("Valérie", "F", 11), ("Sandrine", "F", 11),
    ("Véronique", "F", 10), ("Sophie", "F", 10), ("Céline", "F", 10), ("Stéphanie", "F", 10), ("Hélène", "F", 7),
    ("Anne", "F", 9), ("Julie", "F", 9), ("Aurélie", "F", 8), ("Émilie", "F", 8), ("Camille", "F", 7),
    ("Laura", "F", 6), ("Léa", "F", 6), ("Manon", "F", 6), ("Chloé", "F", 6), ("Emma", "F", 5),
    ("Jade", "F", 4), ("Louise", "F", 4), ("Alice", "F", 4), ("Zoé", "F", 3), ("Inès", "F", 4),
    ("Lina", "F", 2), ("Clémence", "F", 4), ("Océane", "F", 3), ("Anaïs", "F", 4), ("Marine", "F", 5),
    ("Pauline", "F", 5), ("Mélanie", "F", 6), ("Élodie", "F", 6), ("Virginie", "F", 7), ("Nadia", "F", 3),
    ("Fatima", "F", 3), ("Martine", "F", 10), ("Nicole", "F", 8), ("Jacqueline", "F", 7), ("Brigitte", "F", 8),
    ("Chantal", "F", 7), ("Danielle", "F", 5), ("Annie", "F", 5), ("Corinne", "F", 7), ("Laurence", "F", 7),
    ("Agnès", "F", 5), ("Béatrice", "F", 4), ("Marie-Claire", "F", 3), ("Marie-Christine", "F", 4), ("Anne-Sophie", "F", 3),
    ("Marie-Hélène", "F", 3), ("Marie-France", "F", 2), ("Geneviève", "F", 3), ("Thérèse", "F", 3), ("Noémie", "F", 3),
    ("Maëlle", "F", 2), ("Juliette", "F", 4), ("Margaux", "F", 3), ("Elsa", "F", 2), ("Alexandra", "F", 3),
    ("Florence", "F", 6), ("Caroline", "F", 6), ("Charlotte", "F", 5), ("Élisabeth", "F", 4), ("Dominique", "F", 4),
    ("Gabrielle", "F", 2), ("Johanna", "F", 2), ("Emmanuelle", "F", 3), ("Frédérique", "F", 2), ("Odile", "F", 3),
    ("Claire", "F", 6), ("Sarah", "F", 5), ("Audrey", "F", 5), ("Karine", "F", 6), ("Patricia", "F", 7),
)

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
