"""Cues that introduce a person's name, the tokens of a name, and the words that are not names.

Eponyms (maladie de Parkinson, signe de Babinski) and drug names (Lasilix) never follow a
name cue, and they are listed here so that a name seen once is not spread onto them.
"""

from __future__ import annotations

import re

UPPER = "A-ZÀ-ÖØ-ÞŒ"
LOWER = "a-zà-öø-ÿœ"
TITLE_WORD = rf"[{UPPER}][{LOWER}]+(?:['’][{UPPER}]?[{LOWER}]+)?(?:-[{UPPER}][{LOWER}]+)*"
CAPS_WORD = rf"[{UPPER}]{{2,}}(?:[-'’][{UPPER}]{{2,}})*"
INITIAL = rf"[{UPPER}]\.(?:-?[{UPPER}]\.)?"
PARTICLE = r"(?:de\s+la|de|du|des|d['’]|le|la|van\s+der|van\s+den|van|von|der|di|da|del|dos|De|Du|Le|La|Van|Von|Di|Da|Del)"
# A token is a whole word and never a form label ("Prénom :").
NAME_TOKEN = rf"(?:{PARTICLE}[ \t]+)?(?:{CAPS_WORD}|{TITLE_WORD}|{INITIAL})(?![\w'’])(?![ \t]*:)"
NAME_SEQUENCE = rf"(?P<name>{NAME_TOKEN}(?:[ \t]+{NAME_TOKEN}){{0,3}})"
TOKEN = re.compile(rf"{CAPS_WORD}|{TITLE_WORD}|{INITIAL}")

_TITLE_WORDS = (
    "madame", "monsieur", "mademoiselle", "messieurs", "docteur", "docteurs", "professeur",
    "maître", "maitre", "interne", "externe", "infirmier", "infirmière", "infirmiere",
    "kinésithérapeute", "sage-femme", "cadre de santé",
)  # fmt: skip
_TITLE_VARIANTS = sorted(
    {v for w in _TITLE_WORDS for v in (w.capitalize(), w.upper())}, key=len, reverse=True
)
TITLE = (
    r"(?:M\.|MM\.|Mr\.?|Mrs\.?|Mme\.?|Mmes|Mlle\.?|Mlles|Me|Dr\.?|Drs\.?|Pr\.?|Prof\.?|IDE|"
    + "|".join(re.escape(v) for v in _TITLE_VARIANTS)
    + r")(?![\w])"
)
TITLE_CHAIN = rf"{TITLE}(?:[ \t]*(?:,|et|le|la|&)?[ \t]*{TITLE})*"
# Finders start with literals (fast); the component checks the character before a match.
AFTER_TITLE = re.compile(rf"{TITLE_CHAIN}[ \t]+{NAME_SEQUENCE}")
# "le docteur Martin", "chez madame Dupont": titles in lower case, a separate literal scan.
AFTER_LOWER_TITLE = re.compile(
    rf"(?:docteur|professeur|madame|monsieur|mademoiselle)[ \t]+{NAME_SEQUENCE}"
)
NAME_AT = re.compile(rf"[ \t]*:?[ \t]*(?:{TITLE_CHAIN}[ \t]+)?{NAME_SEQUENCE}")

# Cue words, matched on the lower-cased text; the name is then matched with NAME_AT.
FORM_CUE = re.compile(
    r"(?P<field>nom(?:\s+(?:de\s+naissance|d['’]usage|de\s+jeune\s+fille|marital|patronymique|"
    r"et\s+pr[ée]noms?|,\s*pr[ée]noms?))?|pr[ée]noms?(?:\s+usuel)?|identit[ée]|patiente?|"
    r"m[ée]decin(?:\s+traitant|\s+adresseur|\s+r[ée]f[ée]rent)?|r[ée]dig[ée]\s+par|dict[ée]\s+par|"
    r"valid[ée]\s+par|sign[ée](?:\s+[ée]lectroniquement)?(?:\s+par)?|adress[ée]e?\s+par|"
    r"praticien|chef\s+de\s+service|interne|externe|destinataires?|copie\s+[àa]|"
    r"personne\s+de\s+confiance|personne\s+[àa]\s+pr[ée]venir|contact|responsable|auteur|"
    r"op[ée]r[ée](?:\(e\)|e)?|op[ée]rateur|anesth[ée]siste|chirurgien)(?![\w])"
)
BORN_AS_CUE = re.compile(r"(?:n[ée]e|épouse|ép\.)[ \t]+(?!le\b|la\b|à\b|en\b|au\b|vers\b)")
RELATIVE_CUE = re.compile(
    r"(?:son|sa|ses|notre|leur)\s+(?:[ée]pouse|[ée]poux|mari|femme|conjointe?|compagne|compagnon|"
    r"concubine?|fils|filles?|p[èe]re|m[èe]re|fr[èe]res?|s(?:œ|oe)urs?|petite?-(?:fils|fille)|"
    r"neveu|ni[èe]ce|beau-fils|belle-fille|belle-m[èe]re|beau-p[èe]re|tante|oncle|cousine?|amie?|"
    r"voisine?|aidante?|tut(?:eur|rice)|curat(?:eur|rice)|gendre|belle-s(?:œ|oe)ur|beau-fr[èe]re)(?![\w])"
    r"[ \t]*,?"
)
SIGNATURE_CUE = re.compile(
    r"(?:cordialement|confraternellement|amicalement|bien\s+[àa]\s+(?:toi|vous)|"
    r"salutations[^\n]*|sinc[èe]rement)[ \t,.!]*\n+"
)
# A name that a birth cue or an age follows: "Dupont né le …", "Meyer Patrick, 81 ans".
BORN_CUE = re.compile(r"n[ée]e?(?:\(e\))?[ \t]+le(?![\w])|,[ \t]*\d{1,3}[ \t]+ans(?![\w])")
NAME_BEFORE = re.compile(rf"{NAME_SEQUENCE}[ \t]*,?[ \t]*$")
CAPS_FIND = re.compile(rf"{CAPS_WORD}(?![\w])")
FIRST_BEFORE = re.compile(rf"(?P<first>{TITLE_WORD})[ \t]+$")
FIRST_AFTER = re.compile(rf"[ \t]+(?P<first>{TITLE_WORD})(?![\w])")

_FIRST_NAMES_TEXT = """
    Marie Jeanne Françoise Monique Catherine Nathalie Isabelle Sylvie Anne Martine Christine
    Sophie Valérie Sandrine Céline Julie Aurélie Émilie Emilie Camille Léa Manon Chloé Emma Inès
    Jade Louise Alice Lina Léna Rose Anna Ambre Juliette Zoé Lucie Sarah Laura Pauline Marion
    Hélène Claire Élise Elise Agnès Brigitte Danielle Nicole Odile Colette Simone Germaine
    Yvette Denise Suzanne Madeleine Paulette Josiane Mireille Chantal Patricia Véronique
    Laurence Stéphanie Virginie Caroline Audrey Mélanie Élodie Elodie Charlotte Margaux Clémence
    Lola Mila Océane Jacqueline Michèle Michelle Annie Christiane Bernadette Ginette Huguette
    Marcelle Renée Raymonde Lucienne Andrée Georgette Gisèle Marguerite Thérèse Yvonne Odette
    Solange Évelyne Evelyne Dominique Corinne Florence Karine Emmanuelle Delphine Anaïs Mathilde
    Clara Eva Maëlys Romane Jeanine Janine Arlette Claudine Joëlle Danièle Fabienne Pascale
    Béatrice Muriel Anne-Marie Marie-Claire Marie-Thérèse Marie-Christine Marie-France Nadia
    Fatima Samia Leïla Yasmine Amélie Justine Morgane Marine Noémie Elsa Jessica Vanessa Cécile
    Jean Pierre Michel André Philippe René Louis Alain Jacques Bernard Marcel Daniel Roger
    Robert Paul Claude Christian Henri Georges Nicolas François Patrick Gérard Christophe Joseph
    Thierry Éric Eric Frédéric Laurent Stéphane David Pascal Olivier Sébastien Julien Thomas
    Alexandre Antoine Maxime Guillaume Vincent Jérôme Romain Mathieu Kevin Kévin Lucas Hugo Léo
    Gabriel Raphaël Arthur Jules Adam Nathan Tom Théo Noah Ethan Sacha Mathis Gilbert Raymond
    Lucien Maurice Fernand Roland Gaston Émile Emile Hubert Yves Didier Bruno Serge Francis Guy
    Jean-Pierre Jean-Claude Jean-Marie Jean-Luc Jean-François Jean-Paul Jean-Jacques Jean-Louis
    Jean-Michel Jean-Marc Marc Luc Denis Gilles Franck Fabrice Cédric Ludovic Jérémy Anthony
    Benjamin Quentin Florian Adrien Damien Alexis Clément Victor Martin Simon Bastien Benoît
    Xavier Hervé Joël Jacky Lionel Régis Rémi Rémy Yannick Mohamed Ahmed Karim Mehdi Youssef Ali
    Samuel Baptiste Valentin Dylan Enzo Loïc Gaëtan Aurélien Charles Albert Edmond Léon Marius
    Armand Roméo Axel Timothée Étienne Etienne Germain Noël
"""
FIRST_NAMES: frozenset[str] = frozenset(_FIRST_NAMES_TEXT.split())

# Capitalised words that follow a title or cue but are not names; and eponyms, drugs, units.
_NOT_NAMES_TEXT = """
    Le La Les L De Du Des Un Une Et Ou En Au Aux Pour Par Avec Sans Sur Sous Dans Chez Ce Cette
    Ces Son Sa Ses Mon Ma Mes Votre Vos Notre Nos Leur Il Elle Ils Elles On Je Nous Vous Service
    Chef Unité Pôle Pole Centre Hôpital Clinique Urgences Réanimation Cardiologie Neurologie
    Pneumologie Gériatrie Médecine Chirurgie Docteur Professeur Madame Monsieur Interne Externe
    Patient Patiente Traitement Conclusion Examen Motif Histoire Antécédents Allergie Allergies
    Mode Vie Mots Bilan Synthèse Diagnostic Evolution Évolution Sortie Entrée Prise Charge
    Compte Rendu Hospitalisation Consultation Objet Date Nom Prénom Né Née Tél Tel Mail Adresse
    Signé Cordialement Confraternellement Bonjour Cher Chère Chers Confrère Consœur Merci
    Absence Présence Pas Non Oui Selon Après Avant Depuis Puis Lors Suite Vu Parkinson
    Huntington Babinski Glasgow Alzheimer Crohn Hodgkin Basedow Hashimoto Guillain Barré Wilson
    Cushing Addison Raynaud Kaposi Lasègue Murphy Korsakoff Wernicke Broca Charcot Creutzfeldt
    Jakob Willebrand Waldenström Horton Takayasu Kawasaki Sjögren Gougerot Biermer Bouveret
    Child Pugh Killip Apgar Leriche Tinel Phalen Romberg Mingazzini Lhermitte Kernig Brudzinski
    Homans Mallory Weiss Fallot Marfan Down Turner Klinefelter Duchenne Dupuytren Paget
    Hirschsprung Meckel Whipple Zollinger Ellison Heberden Osler Epstein Barr Tourette Asperger
    Rett Wolff White Graves Burkitt Ewing Wilms Kahler Valsalva Braden Henoch Schönlein Norton
    Folstein Katz Lawton Karnofsky Charlson Fine Wells Ranson Rankin Lasilix Doliprane Kardégic
    Kardegic Levothyrox Xarelto Eliquis Previscan Augmentin Ventoline Seretide Spiriva Lovenox
    Inexium Tahor Crestor Coversyl Amlor Bisoce Dafalgan Efferalgan Skenan Actiskenan Oxynorm
    Durogesic Imovane Stilnox Lexomil Xanax Seresta Temesta Deroxat Seroplex Loxapac Haldol
    Risperdal Zyprexa Depakine Keppra Lamictal Tegretol Modopar Sinemet Stalevo Mantadix
    Glucophage Januvia Lantus Novorapid Humalog Solupred Cortancyl Medrol Ogast Mopral Spasfon
    Vogalène Primpéran Imodium Smecta Forlax Movicol Duphalac Diffu-K Kaleorid Uvedose
    Tardyferon Speciafoldine Aldactone Burinex Cordarone Plavix Brilique Efient Calciparine
    Fragmine Innohep Arixtra Coumadine Sintrom Pradaxa Atarax Nozinan Tercian Théralène
    Rocéphine Tazocilline Flagyl Oflocet Ciflox Bactrim Zithromax Orbénine Vancomycine Perfalgan
    Acupan Topalgic Contramal Lyrica Neurontin Laroxyl Anafranil Effexor Zoloft Prozac Atrovent
    Bricanyl Pulmicort Symbicort Nexium Lanzor Ogastoran Gaviscon Maalox Kayexalate Eupantol
    Cacit Orocal Dose Scanner IRM TDM ECG EEG EMG Echo Écho Radio Biologie Kiné Rééducation
"""
NOT_NAMES: frozenset[str] = frozenset(_NOT_NAMES_TEXT.split())
_CAPS_NOT_NAMES_TEXT = """
    CHU CHRU CHR CH HTA AVC AIT IDM SCA BPCO IRM TDM ECG EEG EMG ETT ETO NFS CRP VS TP INR TCA
    BNP PCT HBA HBA1C DFG IMC TA FC FR SAT SPO EVA EN PA PAS PAD IV IM SC PO VVP VVC PICC SAMU
    SMUR SAU USIC USC UHCD UHTCD SSR EHPAD HAD MCO CMP CMU ALD AME CPAM MDPH APA AS IDE ASH ARS
    HAS OMS ANSM DMP SNDS PMSI RUM RSS GHM CIM CCAM ATC LOINC NB RAS ATCD TTT TRT CAT ECBU PL
    LCR VIH VHB VHC HIV HBV HCV COVID SARS ARN ADN PCR RT BK TB IU UI MG ML KG DL MMOL OK NON
    OUI DR PR MME MR MLLE CR CRH CRO HDJ HC HDS ZA ZI BP CS CEDEX FAX TEL TÉL NIR IPP NDA SS PS
    PSA OAP EP TVP EI SDRA IRA IRC IRCT DT DT1 DT2 DNID DID FA FEVG HVG IEC ARA AINS AVK AOD
    HBPM PPC OMI MI MS ORL ORL. OPH MPR SOS RDV JO NR CONCLUSION TRAITEMENT EXAMEN MOTIF
    HISTOIRE ANTÉCÉDENTS ANTECEDENTS ALLERGIES SYNTHÈSE SYNTHESE DIAGNOSTIC EVOLUTION ÉVOLUTION
    SORTIE ENTRÉE ENTREE MODE VIE CLINIQUE BIOLOGIE IMAGERIE DEVENIR OBJET COMPTE RENDU
    HOSPITALISATION CONSULTATION URGENCES SERVICE DE DU DES LA LE LES ET AU AUX POUR PAR SUR
    SANS AVEC PATIENT PATIENTE NOM PRÉNOM PRENOM DATE NÉ NÉE NE NEE ADRESSE MÉDECIN MEDECIN
    TRAITANT SIGNÉ SIGNE IMPORTANT URGENT COURRIER LETTRE ORDONNANCE PRESCRIPTION BILAN EXAMENS
    RÉSULTATS RESULTATS COMMENTAIRE COMMENTAIRES AP HP APHP HCL
"""
CAPS_NOT_NAMES: frozenset[str] = frozenset(_CAPS_NOT_NAMES_TEXT.split())
