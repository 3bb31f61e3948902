"""Small French word lists the synthetic hospital draws from: names, streets, communes.

The lists are short on purpose (a few hundred entries): enough variety for the notes and the
de-identification tests, small enough to ship inside the package.
"""

from __future__ import annotations

import unicodedata

# fmt: off
SURNAMES: tuple[str, ...] = (
    "Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau",
    "Laurent", "Simon", "Michel", "Lefebvre", "Leroy", "Roux", "David", "Bertrand", "Morel",
    "Fournier", "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent",
    "Muller", "Lefèvre", "Faure", "André", "Mercier", "Blanc", "Guérin", "Boyer", "Garnier",
    "Chevalier", "François", "Legrand", "Gauthier", "Garcia", "Perrin", "Robin", "Clément",
    "Morin", "Nicolas", "Henry", "Roussel", "Mathieu", "Masson", "Marchand", "Duval", "Denis",
    "Dumont", "Lemaire", "Noël", "Meyer", "Dufour", "Meunier", "Brun", "Blanchard", "Giraud",
    "Joly", "Rivière", "Lucas", "Brunet", "Gaillard", "Barbier", "Arnaud", "Martinez", "Gérard",
    "Roche", "Renard", "Schmitt", "Roy", "Leroux", "Colin", "Vidal", "Caron", "Picard", "Roger",
    "Fabre", "Aubert", "Lemoine", "Renaud", "Dumas", "Lacroix", "Olivier", "Bourgeois",
    "Benoît", "Leclerc", "Rolland", "Guillaume", "Lecomte", "Lopez", "Dupuy", "Guillot",
    "Hubert", "Berger", "Carpentier", "Sanchez", "Dupuis", "Moulin", "Deschamps", "Huet",
    "Vasseur", "Perez", "Boucher", "Fleury", "Royer", "Klein", "Jacquet", "Adam", "Poirier",
    "Marty", "Aubry", "Guyot", "Carré", "Renault", "Charpentier", "Ménard", "Maillard", "Baron",
    "Bertin", "Bailly", "Hervé", "Schneider", "Fernandez", "Collet", "Léger", "Bouvier",
    "Julien", "Prévost", "Millet", "Perrot", "Cousin", "Germain", "Breton", "Besson",
    "Langlois", "Rémy", "Pelletier", "Lévêque", "Perrier", "Leblanc", "Barré", "Lebrun",
    "Marchal", "Weber", "Mallet", "Hamon", "Boulanger", "Jacob", "Monnier", "Michaud",
    "Rodriguez", "Guichard", "Gillet", "Étienne", "Poulain", "Tessier", "Collin", "Chauvin",
    "Bouchet", "Humbert", "Reynaud", "Antoine", "Perret", "Barthélemy", "Cordier", "Pichon",
    "Lejeune", "Gilbert", "Lamy", "Delaunay", "Pasquier", "Carlier", "Laporte", "Hoffmann",
    "Wagner", "Becker", "Zimmermann", "Schwartz", "Koch", "Bauer", "Fischer", "Keller", "Roth",
    "Walter", "Schmidt", "Kieffer", "Jung", "Haas", "Frey", "Lorentz", "Thiriet", "Vautrin",
    "Colnot", "Mangin", "Didier", "Georges", "Jacquot", "Grandjean", "Claude", "Rollin",
    "Thiébaut", "Marchetti", "Ferry", "Mougenot", "Parisot", "Humbertclaude", "Laurençon",
)
# fmt: on
"""Family names, with the Lorraine and Alsace names a CHRU of the Grand Est sees often."""
# fmt: off
FIRST_NAMES_F: tuple[str, ...] = (
    "Marie", "Jeanne", "Françoise", "Monique", "Catherine", "Nathalie", "Isabelle", "Sylvie",
    "Anne", "Martine", "Christine", "Sophie", "Valérie", "Sandrine", "Céline", "Julie",
    "Aurélie", "Émilie", "Camille", "Léa", "Manon", "Chloé", "Emma", "Inès", "Jade", "Louise",
    "Alice", "Lina", "Léna", "Rose", "Anna", "Ambre", "Juliette", "Zoé", "Lucie", "Sarah",
    "Laura", "Pauline", "Marion", "Hélène", "Claire", "Élise", "Agnès", "Brigitte", "Danielle",
    "Nicole", "Odile", "Colette", "Simone", "Germaine", "Yvette", "Denise", "Suzanne",
    "Madeleine", "Paulette", "Josiane", "Mireille", "Chantal", "Patricia", "Véronique",
    "Laurence", "Stéphanie", "Virginie", "Caroline", "Audrey", "Mélanie", "Élodie", "Charlotte",
    "Margaux", "Clémence", "Lola", "Mila", "Océane",
)
# fmt: on
# fmt: off
FIRST_NAMES_M: tuple[str, ...] = (
    "Jean", "Pierre", "Michel", "André", "Philippe", "René", "Louis", "Alain", "Jacques",
    "Bernard", "Marcel", "Daniel", "Roger", "Robert", "Paul", "Claude", "Christian", "Henri",
    "Georges", "Nicolas", "François", "Patrick", "Gérard", "Christophe", "Joseph", "Thierry",
    "Éric", "Frédéric", "Laurent", "Stéphane", "David", "Pascal", "Olivier", "Sébastien",
    "Julien", "Thomas", "Alexandre", "Antoine", "Maxime", "Guillaume", "Vincent", "Jérôme",
    "Romain", "Mathieu", "Kevin", "Lucas", "Hugo", "Léo", "Gabriel", "Raphaël", "Arthur",
    "Louis", "Jules", "Adam", "Nathan", "Tom", "Théo", "Noah", "Ethan", "Paul", "Sacha",
    "Mathis", "Gilbert", "Raymond", "Lucien", "Maurice", "Fernand", "Roland", "Gaston", "Émile",
    "Hubert", "Yves", "Didier", "Bruno",
)
# fmt: on

STREETS: tuple[str, ...] = (
    "rue de la République", "avenue Foch", "rue Saint-Dizier", "rue des Jardiniers",
    "boulevard Lobau", "rue Jeanne d'Arc", "rue Victor Hugo", "rue Pasteur",
    "rue du Général Leclerc", "avenue de Strasbourg", "rue des Écoles", "chemin des Vignes",
    "rue Gambetta", "rue Jean Jaurès", "allée des Tilleuls", "rue de la Gare",
    "impasse des Lilas", "rue du Moulin", "rue de l'Église", "avenue de la Libération",
    "rue des Tanneurs", "quai de la Moselle", "rue Mazelle", "grande rue", "rue du Lavoir",
    "rue des Vosges", "place du Marché", "rue de Metz", "boulevard d'Austrasie",
    "rue Charles III", "rue des Carmes", "avenue du Rhin", "rue de Verdun", "rue des Prés",
)  # fmt: skip
"""Street names (the house number is drawn separately)."""

COMMUNES: tuple[tuple[str, str, str, float], ...] = (
    # commune, postcode, département (INSEE), weight (catchment of a CHRU in Nancy)
    ("Nancy", "54000", "54", 18.0),
    ("Vandœuvre-lès-Nancy", "54500", "54", 8.0),
    ("Villers-lès-Nancy", "54600", "54", 4.0),
    ("Laxou", "54520", "54", 4.0),
    ("Maxéville", "54320", "54", 2.5),
    ("Essey-lès-Nancy", "54270", "54", 2.5),
    ("Tomblaine", "54510", "54", 2.0),
    ("Saint-Max", "54130", "54", 2.0),
    ("Malzéville", "54220", "54", 2.0),
    ("Jarville-la-Malgrange", "54140", "54", 2.0),
    ("Pont-à-Mousson", "54700", "54", 3.0),
    ("Lunéville", "54300", "54", 4.0),
    ("Toul", "54200", "54", 4.0),
    ("Briey", "54150", "54", 1.5),
    ("Longwy", "54400", "54", 1.5),
    ("Metz", "57000", "57", 5.0),
    ("Thionville", "57100", "57", 2.0),
    ("Sarreguemines", "57200", "57", 1.0),
    ("Forbach", "57600", "57", 1.0),
    ("Sarrebourg", "57400", "57", 1.0),
    ("Épinal", "88000", "88", 3.0),
    ("Saint-Dié-des-Vosges", "88100", "88", 2.0),
    ("Remiremont", "88200", "88", 1.0),
    ("Neufchâteau", "88300", "88", 1.0),
    ("Verdun", "55100", "55", 1.5),
    ("Bar-le-Duc", "55000", "55", 1.5),
    ("Commercy", "55200", "55", 1.0),
    ("Strasbourg", "67000", "67", 2.0),
    ("Haguenau", "67500", "67", 0.5),
    ("Colmar", "68000", "68", 0.7),
    ("Mulhouse", "68100", "68", 0.7),
    ("Reims", "51100", "51", 0.8),
    ("Châlons-en-Champagne", "51000", "51", 0.5),
    ("Troyes", "10000", "10", 0.5),
    ("Charleville-Mézières", "08000", "08", 0.5),
    ("Chaumont", "52000", "52", 0.5),
)
"""Communes of the Grand Est with their postcode and département, weighted by catchment."""

MAIL_DOMAINS: tuple[str, ...] = ("orange.fr", "gmail.com", "free.fr", "laposte.net", "sfr.fr", "yahoo.fr", "wanadoo.fr")  # fmt: skip

BIRTH_DEPARTMENTS: tuple[tuple[str, float], ...] = (
    ("54", 30.0), ("57", 14.0), ("88", 8.0), ("55", 5.0), ("67", 5.0), ("68", 3.0), ("51", 3.0),
    ("10", 1.0), ("08", 1.0), ("52", 1.0), ("75", 4.0), ("69", 2.0), ("13", 2.0), ("59", 3.0),
    ("2A", 1.0), ("2B", 1.0), ("99", 6.0),
)  # fmt: skip
"""Birth départements for the NIR (``99`` = born abroad; ``2A``/``2B`` = Corsica)."""

MONTHS_FR: tuple[str, ...] = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip

EPONYM_SENTENCES: tuple[str, ...] = (
    "Pas d'antécédent de maladie de Parkinson.",
    "Signe de Babinski absent des deux côtés.",
    "Manœuvre de Barré et de Mingazzini sans déviation.",
    "Signe de Murphy négatif.",
    "Pas de signe de Lasègue.",
    "Antécédent familial de maladie d'Alzheimer chez la mère.",
    "Score de Glasgow à 15.",
    "Classification de Killip I.",
    "Pas de syndrome de Cushing clinique.",
    "Test de Romberg normal.",
    "Échelle de Braden à 18.",
    "Manœuvre de Valsalva sans effet.",
    "Pas de purpura de Henoch-Schönlein.",
    "Signe de Homans négatif.",
)  # fmt: skip
"""Sentences with eponyms (names of diseases or signs): text that is NOT identifying."""


def ascii_lower(word: str) -> str:
    """``'Hélène'`` → ``'helene'`` (for e-mail addresses)."""
    flat = unicodedata.normalize("NFKD", word.replace("œ", "oe")).encode("ascii", "ignore").decode()
    return flat.lower().replace(" ", "").replace("'", "")
