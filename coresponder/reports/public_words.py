"""The dashboard's words, in English and Spanish: the public dashboard reads in either.

As on the public help page, the words live here as one dictionary per language
rather than in gettext catalogues, so both languages read side by side. Every key
exists in every language (a test checks). Members' pages read the English words,
which are the dashboard's own; the public chooses with `?lang=es`.

Labels of codes (pathways, dispositions, sexes, funnel stages, figures, age bands)
come from `coresponder.domain.vocabulary`, not from here.
"""

from __future__ import annotations

import datetime as dt

from coresponder.reports.metrics import MONTHS, Period

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "other_language": "es",
        "other_language_name": "Español",
        "skip": "Skip to main content",
        "site_home": "Coresponder home",
        "footer": "Coresponder · open-source software for co-responder and deflection programs.",
        "crisis": "In a crisis call or text",
        "emergency": "in an emergency call",
        "dashboard_title": "Dashboard",
        "dashboard": "dashboard",
        "compared_with": "compared with",
        "suppression_notice": (
            "De-identified figures for one whole, finished quarter. Counts from 1 to 10 are "
            "suppressed, and so is whatever would let someone work them out from a total "
            "(complementary suppression); a suppressed cell may hold a larger count."
        ),
        "public_intro": (
            "The figures of the last full quarter, published by the program. No one can be "
            "identified from them."
        ),
        "headline_heading": "Headline figures",
        "before": "Before:",
        "better": "(better)",
        "worse": "(worse)",
        "avoided_note": (
            "Encounters ending without jail or the ER: every encounter whose disposition is "
            "neither “arrested” nor “transported to hospital”."
        ),
        "treatment_notice": (
            "Figures drawn from treatment providers' reports (“{figure}”, and the funnel "
            "from “Accepted treatment” on) are protected by federal law (42 CFR Part 2). "
            "Every reader gets them for one whole, finished quarter only, and not where they "
            "could tell of one person; elsewhere they read “Suppressed”."
        ),
        "treatment_quarter": "See them for {quarter}",
        "suppressed": "Suppressed",
        "not_available": "Not available",
        "suppressed_lower": "suppressed",
        "not_available_lower": "not available",
        "hours": "h",
        "no_comparison": "no comparison",
        "no_change": "no change",
        "points": "points",
        "up_from_none": "up from none",
        "loading": "Loading",
        "not_loaded": "Could not load",
        "show": "Show",
        "whole_dashboard": "The whole dashboard",
        "funnel_heading": "From notification to engagement",
        "funnel_what": "the funnel",
        "funnel_intro": (
            "People with a follow-up whose window opened in the period, and how far each got. "
            "Its “Accepted treatment” counts only these people, even when they accepted after "
            "the period ended; the headline's “People who accepted treatment” counts everyone "
            "who accepted in the period, followed up or not. So the two can differ."
        ),
        "funnel_caption": "People at each step of follow-up",
        "step": "Step",
        "people": "People",
        "sla_heading": "Follow-up service levels",
        "sla_caption": "Service levels, this period and the one before",
        "measure": "Measure",
        "this_period": "This period",
        "before_heading": "Before",
        "monthly_heading": "Month by month",
        "monthly_what": "the figures month by month",
        "figure": "Figure",
        "by_month": "{metric} by month",
        "monthly_caption": "{title}: this period and the period before",
        "month": "Month",
        "period_before": "Period before",
        "highest": "Highest:",
        "columns_caption": (
            "Dark columns: this period. Faint columns: the period before, month for month."
        ),
        "previous_period": "previous period",
        "dispositions_heading": "Dispositions",
        "dispositions_what": "the dispositions",
        "dispositions_intro": (
            "How encounters ended, as responders recorded them. Jail and the ER are counted "
            "as avoided when an encounter ended any way other than an arrest or a transport "
            "to hospital."
        ),
        "dispositions_chart": "Encounters by disposition",
        "disposition": "Disposition",
        "encounters": "Encounters",
        "avoided": "Jail and ER avoided",
        "all_encounters": "All encounters",
        "breakdown_what": "the breakdown and the map",
        "by_group": "By {group}",
        "break_down_by": "Break down by",
        "breakdown_chart": "{metric} by {group}",
        "and_more": " and more",
        "total": "Total",
        "not_recorded": "Not recorded",
        "no_district": "No district",
        "unknown": "Unknown",
        "breakdown_note": (
            "A person in more than one row counts once in the total, as in the figures"
            " above; referrals and overdoses add up the rows."
        ),
        "map_heading": "Referrals by district",
        "map_boundaries": "Districts drawn from their boundaries.",
        "map_squares": (
            "One square per district (no district boundaries are loaded for this program)."
        ),
        "map_darker": (
            "Darker means more referrals; the district table above has the same figures"
        ),
        "map_when_by_district": " when broken down by district",
    },
    "es": {
        "other_language": "en",
        "other_language_name": "English",
        "skip": "Saltar al contenido principal",
        "site_home": "Inicio de Coresponder",
        "footer": (
            "Coresponder · software de código abierto para programas de respuesta conjunta "
            "y de derivación."
        ),
        "crisis": "En una crisis, llame o envíe un mensaje de texto al",
        "emergency": "en una emergencia, llame al",
        "dashboard_title": "Panel de datos",
        "dashboard": "panel de datos",
        "compared_with": "en comparación con",
        "suppression_notice": (
            "Cifras sin datos personales de un trimestre completo y ya terminado. Los "
            "conteos de 1 a 10 se ocultan, al igual que cualquier dato que permitiría "
            "calcularlos a partir de un total (supresión complementaria); una celda oculta "
            "puede contener un número mayor."
        ),
        "public_intro": (
            "Las cifras del último trimestre completo, publicadas por el programa. Nadie "
            "puede ser identificado a partir de ellas."
        ),
        "headline_heading": "Cifras principales",
        "before": "Antes:",
        "better": "(mejor)",
        "worse": "(peor)",
        "avoided_note": (
            "Intervenciones que terminaron sin cárcel ni sala de emergencias: toda "
            "intervención cuyo resultado no fue “arrestado” ni “llevado al hospital”."
        ),
        "treatment_notice": (
            "Las cifras tomadas de los informes de los proveedores de tratamiento "
            "(“{figure}”, y el embudo desde “Aceptaron tratamiento”) están protegidas por la "
            "ley federal (42 CFR parte 2). Todo lector las recibe solo para un trimestre "
            "completo y terminado, y no donde podrían revelar algo de una persona; en otro "
            "caso se leen “Oculto”."
        ),
        "treatment_quarter": "Verlas para {quarter}",
        "suppressed": "Oculto",
        "not_available": "No disponible",
        "suppressed_lower": "oculto",
        "not_available_lower": "no disponible",
        "hours": "h",
        "no_comparison": "sin comparación",
        "no_change": "sin cambios",
        "points": "puntos",
        "up_from_none": "sube desde cero",
        "loading": "Cargando",
        "not_loaded": "Error al cargar",
        "show": "Mostrar",
        "whole_dashboard": "Todo el panel de datos",
        "funnel_heading": "De la notificación a la participación",
        "funnel_what": "el embudo",
        "funnel_intro": (
            "Personas con un seguimiento cuyo plazo se abrió en el período, y hasta dónde "
            "llegó cada una. Aquí, «Aceptaron tratamiento» cuenta solo a estas personas, "
            "aunque aceptaran después de terminado el período; la cifra principal «Personas "
            "que aceptaron tratamiento» cuenta a todas las que aceptaron en el período, con "
            "seguimiento o sin él. Por eso las dos pueden diferir."
        ),
        "funnel_caption": "Personas en cada paso del seguimiento",
        "step": "Paso",
        "people": "Personas",
        "sla_heading": "Niveles de servicio del seguimiento",
        "sla_caption": "Niveles de servicio, este período y el anterior",
        "measure": "Medida",
        "this_period": "Este período",
        "before_heading": "Antes",
        "monthly_heading": "Mes a mes",
        "monthly_what": "las cifras mes a mes",
        "figure": "Cifra",
        "by_month": "{metric} por mes",
        "monthly_caption": "{title}: este período y el anterior",
        "month": "Mes",
        "period_before": "Período anterior",
        "highest": "Máximo:",
        "columns_caption": (
            "Columnas oscuras: este período. Columnas claras: el período anterior, mes a mes."
        ),
        "previous_period": "período anterior",
        "dispositions_heading": "Cómo terminaron las intervenciones",
        "dispositions_what": "cómo terminaron las intervenciones",
        "dispositions_intro": (
            "Así terminaron las intervenciones, según lo registró el equipo de respuesta. "
            "Se considera que se evitaron la cárcel y la sala de emergencias cuando una "
            "intervención no terminó en un arresto ni en un traslado al hospital."
        ),
        "dispositions_chart": "Intervenciones según cómo terminaron",
        "disposition": "Cómo terminó",
        "encounters": "Intervenciones",
        "avoided": "Sin cárcel ni sala de emergencias",
        "all_encounters": "Todas las intervenciones",
        "breakdown_what": "el desglose y el mapa",
        "by_group": "Por {group}",
        "break_down_by": "Desglosar por",
        "breakdown_chart": "{metric} por {group}",
        "and_more": " y otras cifras",
        "total": "Total",
        "not_recorded": "No registrado",
        "no_district": "Sin distrito",
        "unknown": "Desconocido",
        "breakdown_note": (
            "Una persona en más de una fila cuenta una vez en el total, como en las cifras"
            " de arriba; las remisiones y las sobredosis suman las filas."
        ),
        "map_heading": "Remisiones por distrito",
        "map_boundaries": "Distritos dibujados según sus límites.",
        "map_squares": (
            "Un cuadrado por distrito (no hay límites de distritos cargados para este programa)."
        ),
        "map_darker": (
            "Un color más oscuro indica más remisiones; la tabla por distrito de arriba tiene "
            "las mismas cifras"
        ),
        "map_when_by_district": " cuando se desglosa por distrito",
    },
}

# Months as a period and the monthly chart name them: "1 Jul 2026", "1 jul 2026".
MONTH_NAMES: dict[str, tuple[str, ...]] = {
    "en": MONTHS,
    "es": ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"),
}


def words(lang: str) -> dict[str, str]:
    """The dashboard's words in `lang`; English for any language not kept."""
    return TEXT.get(lang, TEXT["en"])


def day_label(day: dt.date, lang: str) -> str:
    """ "1 Jul 2026" in English, "1 jul 2026" in Spanish."""
    return f"{day.day} {MONTH_NAMES.get(lang, MONTHS)[day.month - 1]} {day.year}"


def period_label(period: Period, lang: str) -> str:
    """ "1 Jul 2026 – 30 Sep 2026", in `lang`."""
    if lang not in MONTH_NAMES or lang == "en":
        return period.label
    return f"{day_label(period.start, lang)} – {day_label(period.end, lang)}"
