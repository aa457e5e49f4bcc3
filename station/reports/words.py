"""The reports' words in French and English: column titles, chart titles, calendar names.

A plain dictionary rather than Qt's translations: reports run on servers without Qt.
"""

from __future__ import annotations

import enum


class Lang(enum.StrEnum):
    FR = "fr"
    EN = "en"


# key -> (French, English)
WORDS: dict[str, tuple[str, str]] = {
    # measures
    "entries": ("Entrées", "Entries"),
    "people": ("Personnes", "People"),
    "first_time": ("Nouvelles personnes", "First-timers"),
    "members": ("Adhérents", "Members"),
    "visitors": ("Visiteurs", "Visitors"),
    "median_minutes": ("Durée médiane (min)", "Median duration (min)"),
    "sessions": ("Sessions", "Sessions"),
    "hours": ("Heures machine", "Machine hours"),
    "users": ("Utilisateurs", "Users"),
    "trainings": ("Formations validées", "Trainings granted"),
    "accompaniments": ("Accompagnements numériques", "Digital-help sessions"),
    "helped": ("Personnes accompagnées", "People helped"),
    "skills": ("Compétences acquises", "Skills gained"),
    "companies": ("Entreprises créées", "Companies created"),
    # dimensions
    "day": ("Jour", "Day"),
    "week": ("Semaine", "Week"),
    "month": ("Mois", "Month"),
    "quarter": ("Trimestre", "Quarter"),
    "year": ("Année", "Year"),
    "hour": ("Heure", "Hour"),
    "weekday": ("Jour de la semaine", "Weekday"),
    "space": ("Espace", "Space"),
    "purpose": ("Motif de venue", "Purpose"),
    "commune": ("Commune", "Commune"),
    "kind": ("Public", "Audience"),
    "plan": ("Formule", "Plan"),
    "age": ("Tranche d'âge", "Age band"),
    "machine": ("Machine", "Machine"),
    "training": ("Formation", "Training"),
    "skill": ("Compétence", "Skill"),
    "offer": ("Offre d'accueil", "Hosting offer"),
    "site": ("Site", "Site"),
    # reports (titles)
    "report.entries": ("Entrées", "Entries"),
    "report.usage": ("Usage des machines", "Machine use"),
    "report.skills": ("Compétences numériques", "Digital skills"),
    "report.companies": ("Entreprises créées", "Companies created"),
    # member kinds
    "kind.member": ("Adhérent", "Member"),
    "kind.visitor": ("Visiteur", "Visitor"),
    "kind.staff": ("Équipe", "Staff"),
    # age bands (station.ages)
    "age.-12": ("Moins de 12 ans", "Under 12"),
    "age.12-17": ("12-17 ans", "12-17"),
    "age.18-34": ("18-34 ans", "18-34"),
    "age.35-59": ("35-59 ans", "35-59"),
    "age.60+": ("60 ans et plus", "60 and over"),
    # values that are not codes
    "outside": ("Hors territoire", "Outside the territory"),
    "unknown": ("Non renseigné", "Not given"),
    "total": ("Total", "Total"),
    "all_sites": ("tous les sites", "all sites"),
    "by": ("par", "by"),
    "and": ("et", "and"),
    # station report summary
    "summary.title": ("Bilan d'activité", "Activity report"),
    "summary.span": ("du {first} au {last}", "from {first} to {last}"),
    "summary.key_figures": ("Chiffres clés", "Key figures"),
    "summary.median_visit": ("Durée médiane d'une visite", "Median visit"),
    "summary.minutes": ("{value} min", "{value} min"),
    "summary.hours": ("{value} h", "{value} h"),
    "summary.charts": ("Fréquentation", "Attendance"),
    "summary.communes": ("Communes de résidence", "Home communes"),
    "summary.outcomes": (
        "Compétences numériques et entreprises créées",
        "Digital skills and companies created",
    ),
    "summary.none": ("Aucune sur la période.", "None in the period."),
    "summary.insee": ("Code INSEE", "INSEE code"),
    "summary.method": ("Méthode", "Method"),
    "summary.no_data": ("Aucune donnée sur la période.", "No data for the period."),
    "summary.unavailable": ("non disponible", "unavailable"),
    "summary.top_communes": (
        "Les {count} communes les plus représentées ; toutes dans le tableau.",
        "The {count} communes most represented; all of them in the table.",
    ),
    "summary.published": (
        "Chiffres publiés : règle du secret statistique appliquée.",
        "Published figures: statistical confidentiality applied.",
    ),
    "summary.not_published": (
        "Chiffres internes : petites cases non masquées, à ne pas diffuser.",
        "Internal figures: small cells not hidden, not for publication.",
    ),
    # --publish
    "secret.small": ("< 5", "< 5"),
    "secret.complement": ("s", "s"),
    "secret.note": (
        "Secret statistique : « < 5 » moins de 5 personnes ; « s » masqué pour qu'aucune "
        "petite valeur ne se retrouve par soustraction.",
        "Statistical confidentiality: '< 5' fewer than 5 people; 's' hidden so that no small "
        "value can be found by subtraction.",
    ),
    # how distinct counts were obtained (ReportTable.method)
    "method.raw": (
        "Passages, sessions et durées : agrégats quotidiens. Personnes distinctes : comptées "
        "sur les passages et sessions de la période, conservés pendant la durée de rétention.",
        "Check-ins, sessions and durations: daily aggregates. Distinct people: counted from "
        "the check-ins and sessions of the range, kept for the retention period.",
    ),
    "method.skills_raw": (
        "Formations, compétences : enregistrements conservés. Accompagnements : agrégats "
        "quotidiens. Personnes accompagnées : comptées sur les passages de la période, "
        "conservés pendant la durée de rétention.",
        "Trainings and skills: the records kept. Digital-help sessions: daily aggregates. "
        "People helped: counted from the check-ins of the range, kept for the retention "
        "period.",
    ),
    "method.skills_unavailable": (
        "Formations, compétences : enregistrements conservés. Accompagnements : agrégats "
        "quotidiens. Personnes accompagnées : non disponibles, la période commence avant "
        "les passages conservés (rétention).",
        "Trainings and skills: the records kept. Digital-help sessions: daily aggregates. "
        "People helped: unavailable, the range starts before the check-ins kept (retention).",
    ),
    "method.records": (
        "Entreprises enregistrées par l'équipe (SIREN vérifié), comptées à leur date de "
        "création ; conservées quand la personne est effacée.",
        "Companies recorded by staff (SIREN checked), counted on their creation date; kept "
        "when the person is erased.",
    ),
    "method.unavailable": (
        "Passages, sessions et durées : agrégats quotidiens. Personnes distinctes : non "
        "disponibles, la période commence avant les passages conservés (rétention). Elles "
        "sont gardées pour chaque jour, semaine, mois, trimestre et année clos : demandez "
        "des périodes entières (par exemple --by month sur des mois entiers, ou une année).",
        "Check-ins, sessions and durations: daily aggregates. Distinct people: unavailable, "
        "the range starts before the check-ins kept (retention). They are kept for each "
        "closed day, week, month, quarter and year: ask for whole periods (e.g. --by month "
        "over whole months, or one year).",
    ),
    "method.frozen": (
        "Passages, sessions et durées : agrégats quotidiens. Personnes distinctes et "
        "nouvelles personnes : comptées à la clôture de chaque période (jour, semaine, mois, "
        "trimestre, année) sur ses passages, puis gardées comme chiffres ; les périodes "
        "récentes, sur les passages conservés. Le total de la plage n'est donné que si elle "
        "est une seule période close.",
        "Check-ins, sessions and durations: daily aggregates. Distinct people and "
        "first-timers: counted when each period (day, week, month, quarter, year) closed, "
        "from its check-ins, then kept as figures; the recent periods from the check-ins "
        "kept. The range's total is given only when the range is one closed period.",
    ),
}

WEEKDAYS = (
    ("lundi", "Monday"),
    ("mardi", "Tuesday"),
    ("mercredi", "Wednesday"),
    ("jeudi", "Thursday"),
    ("vendredi", "Friday"),
    ("samedi", "Saturday"),
    ("dimanche", "Sunday"),
)

MONTHS = (
    ("janvier", "January"),
    ("février", "February"),
    ("mars", "March"),
    ("avril", "April"),
    ("mai", "May"),
    ("juin", "June"),
    ("juillet", "July"),
    ("août", "August"),
    ("septembre", "September"),
    ("octobre", "October"),
    ("novembre", "November"),
    ("décembre", "December"),
)


def word(key: str, lang: Lang) -> str:
    """The word for `key`, or `key` itself when the dictionary has none."""
    pair = WORDS.get(key)
    if pair is None:
        return key
    return pair[0] if lang is Lang.FR else pair[1]


def pick(pair: tuple[str, str], lang: Lang) -> str:
    return pair[0] if lang is Lang.FR else pair[1]
