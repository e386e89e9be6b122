"""The program dashboard: headline figures, funnel, service levels, breakdowns, map.

Every figure comes from `coresponder.reports.metrics`, so the dashboard, the API
and the exports agree. Who sees what follows the access policy: roles whose
scope is the whole program (coordinators, field staff) see exact figures for any
dates; any other member (an analyst sees no person at all) sees the
de-identified version of one whole, finished quarter, suppressed by
`coresponder.reports.disclosure` as every other surface suppresses it. The
public view shows the last full quarter, de-identified.

The page itself computes only its first screen (the dates, the headline tiles and
the service levels). The funnel, the monthly chart, the dispositions and the
breakdown with its map each come from their own address under the dashboard,
which htmx loads into the page; each goes through the same gate and period rules
(`member_reading`, `public_reading`) and records its own audited read.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_safe

from coresponder.core.audit import Actor, record_event
from coresponder.core.http import actor_for, client_address
from coresponder.domain.clock import date_problem
from coresponder.domain.metrics import NONE, UNKNOWN, change_is_good
from coresponder.domain.suppression import quarter_name
from coresponder.domain.vocabulary import label, labels_of
from coresponder.intake.public_forms import language_of
from coresponder.privacy.access import program_for, role_in
from coresponder.programs.district_map import lay_out_districts, shade_of
from coresponder.programs.models import Program
from coresponder.reports import charts, disclosure
from coresponder.reports import metrics as m
from coresponder.reports.actions import figures_overdue
from coresponder.reports.dispositions import disposition_rows
from coresponder.reports.evaluation import default_start_for
from coresponder.reports.exports import BREAKDOWN_LABELS, HEADLINE_LABELS
from coresponder.reports.periods import date_range
from coresponder.reports.public_words import MONTH_NAMES, period_label, words

# Default wording; a preset's [headline] table overrides it for its own program.
# The figures' names, as the files and the quarterly report give them too.
METRIC_LABELS = {
    **HEADLINE_LABELS,
    "jail_er_avoided": "Encounters ending without jail or the ER",
}
SHARES = frozenset({"new_person_share", "follow_up_within_window_rate"})
HOURS = frozenset({"median_hours_to_first_contact"})
# A preset metric, as the columns of a breakdown row.
BREAKDOWN_COLUMNS = {
    "referrals": ("referrals",),
    "people_referred_to_services": ("people_referred_to_services",),
    "people_engaged": ("people_engaged",),
    "people_contacted": ("people_contacted",),
    "people_accepted_treatment": ("people_accepted_treatment",),
    "overdoses": ("overdoses_fatal", "overdoses_nonfatal"),
}
QUICK_RANGES = (
    ("last_30", "Last 30 days"),
    ("this_quarter", "This quarter"),
    ("last_quarter", "Last quarter"),
    ("year_to_date", "Year to date"),
)


def quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def quick_range(name: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """The dates of a named range, ending today (or the last quarter's last day)."""
    if name == "this_quarter":
        return quarter_start(today), today
    if name == "last_quarter":
        end = quarter_start(today) - dt.timedelta(days=1)
        return quarter_start(end), end
    if name == "year_to_date":
        return dt.date(today.year, 1, 1), today
    return today - dt.timedelta(days=29), today


def program_today(program: Program) -> dt.date:
    return disclosure.program_today(program)


def metric_label(key: str, lang: str = "en", headline: Mapping[str, str] | None = None) -> str:
    """A figure's name: the preset's own wording in English, the vocabulary's in Spanish."""
    if lang == "es":
        return label("metric", key, lang)
    named = {**METRIC_LABELS, **(headline or {})}
    return named.get(key, key.replace("_", " ").capitalize())


def breakdown_label(by: str, lang: str = "en") -> str:
    """What a breakdown groups by: "District", "Distrito"."""
    return label("breakdown", by, lang) if lang == "es" else BREAKDOWN_LABELS[by]


def chart_words(lang: str) -> charts.ChartWords:
    said = words(lang)
    return charts.ChartWords(
        suppressed=said["suppressed_lower"],
        not_available=said["not_available_lower"],
        previous_period=said["previous_period"],
        months=MONTH_NAMES.get(lang, charts.MONTHS),
    )


def as_shown(key: str, value: Any) -> Any:
    """A figure as the page writes it: a share to whole points, hours to a tenth."""
    if value is None:
        return None
    if key in SHARES:
        return round(value * 100)
    if key in HOURS:
        return round(value, 1)
    return value


def change_text(key: str, value: Any, previous: Any, lang: str = "en") -> str:
    """How a figure moved, in words that fit it: percent, points, hours, or why there is none.

    A move too small to show (82.4% to 82.1%) is no change, as the figures read."""
    said = words(lang)
    if value is None or previous is None:
        return said["no_comparison"]
    if as_shown(key, value) == as_shown(key, previous):
        return said["no_change"]
    if key in SHARES:
        return f"{(value - previous) * 100:+.0f} {said['points']}"
    if key in HOURS:
        return f"{value - previous:+.1f} {said['hours']}"
    change = m.percent_change(value, previous)
    return said["up_from_none"] if change is None else f"{change:+.0f}%"


def figure_text(key: str, value: Any, lang: str = "en", hidden: bool = False) -> str:
    """A figure in words; a missing share or median is "not available" (nothing to
    measure) unless suppression `hidden` it."""
    said = words(lang)
    if value is None:
        measured = hidden or key not in SHARES | HOURS
        return said["suppressed"] if measured else said["not_available"]
    if key in SHARES:
        return f"{value * 100:.0f}%"
    if key in HOURS:
        return f"{value:.1f} {said['hours']}"
    return f"{int(value):,}"


def dispositions_with_total(
    dispositions: Mapping[str, int],
    suppress: bool,
    lang: str = "en",
    *,
    treatment: bool = False,
    clinical: bool = False,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Dispositions with the jail-and-ER-avoided split; de-identified, as one table; for a
    reader who does not read `clinical` detail, where people were taken for treatment only
    for a whole, finished quarter (`treatment`: `disclosure.dispositions_for`)."""
    rows, split = disposition_rows(
        dispositions, suppress=suppress, treatment=treatment, clinical=clinical, lang=lang
    )
    total = {
        "code": "",
        "label": words(lang)["all_encounters"],
        "avoided": split.inside,
        "not_avoided": split.outside,
        "encounters": split.total,
    }
    return rows, total


def hidden_figures(exact: Mapping[str, Any], shown: Mapping[str, Any]) -> frozenset[str]:
    """The shares and medians suppression hid: measured, but not given to this reader."""
    return frozenset(
        key for key in SHARES | HOURS if exact.get(key) is not None and shown.get(key) is None
    )


def headline_tiles(
    program: Program,
    now: Mapping[str, Any],
    before: Mapping[str, Any],
    avoided: tuple[Any, Any],
    lang: str = "en",
    hidden: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset()),
) -> list[dict[str, Any]]:
    """One tile per figure the preset's `metrics` names, in its order; `hidden` names the
    shares and medians suppressed now and before."""
    rules = program.rules
    keys: list[str] = []
    for metric in rules.metrics:
        if metric == "overdoses":
            keys += ["overdoses_fatal", "overdoses_nonfatal"]
        elif metric == "dispositions":
            keys.append("jail_er_avoided")
        else:
            keys.append(metric)
    flat_now, flat_before = m.flatten_metrics(now), m.flatten_metrics(before)
    flat_now["jail_er_avoided"], flat_before["jail_er_avoided"] = avoided
    tiles = []
    for key in keys:
        value, previous = flat_now.get(key), flat_before.get(key)
        tiles.append(
            {
                "key": key,
                "label": metric_label(key, lang, rules.headline),
                "value": value,
                "text": figure_text(key, value, lang, key in hidden[0]),
                "previous_text": figure_text(key, previous, lang, key in hidden[1]),
                "good": change_is_good(key, as_shown(key, value), as_shown(key, previous)),
                "change_text": change_text(key, value, previous, lang),
            }
        )
    return tiles


def breakdown_columns(program: Program) -> list[str]:
    wanted = [
        column for metric in program.rules.metrics for column in BREAKDOWN_COLUMNS.get(metric, ())
    ]
    return wanted or ["referrals"]


def breakdown(
    program: Program, period: Any, by: str, suppress: bool, lang: str = "en"
) -> tuple[list[dict[str, Any]], dict[str, Any], list[str]]:
    columns = breakdown_columns(program)
    found, computed = m.breakdown_with_headline(program, period, by)
    rows = [dict(row) for row in found]
    named = {}
    if by == "district" and lang != "en":
        named = {d.code: d.name_in(lang) for d in program.districts.all()}
    for row in rows:
        key = str(row["key"])
        row["label"] = named.get(key) or _group_label(by, key, str(row["label"]), lang)
    treatment = disclosure.gives_treatment(program, period)
    rows, totals = disclosure.breakdown_for(rows, columns, suppress, treatment, computed)
    total = {"key": "", "label": words(lang)["total"], **totals}
    for row in [*rows, total]:
        row["cells"] = [(c, row[c]) for c in columns]  # in column order, for the table
    return rows, total, columns


# Breakdowns whose groups are codes of a vocabulary; a public page reads them in its language.
GROUP_VOCABULARIES = {
    "pathway": ("pathway",),
    "source": ("source", "organization_kind"),
    "sex": ("sex",),
    "race": ("race",),
    "ethnicity": ("ethnicity",),
    "age_band": ("age_band",),
}


def _group_label(by: str, key: str, given: str, lang: str = "en") -> str:
    """A breakdown group's label from the vocabulary, in the page's language; groups no
    vocabulary names (districts, what was not recorded) read as given, or in its words."""
    for vocabulary in GROUP_VOCABULARIES.get(by, ()):
        if key in labels_of(vocabulary, lang):
            return label(vocabulary, key, lang)
    if lang == "en":
        return given
    said = words(lang)
    if key == NONE:
        return said["no_district"] if by == "district" else said["not_recorded"]
    return said["unknown"] if key == UNKNOWN else given


def district_map(
    program: Program, by_district: Sequence[Mapping[str, Any]], lang: str = "en"
) -> dict[str, Any] | None:
    """Districts shaded by referrals; hidden counts are drawn unshaded and say so."""
    districts = list(program.districts.filter(active=True).order_by("name"))
    if not districts:
        return None
    counts = {str(row["key"]): row.get("referrals") for row in by_district}
    most = max((int(v) for v in counts.values() if v is not None), default=0)
    layout = lay_out_districts(districts, lang)
    shapes = []
    for shape in layout.shapes:
        value = counts.get(shape.code, 0)
        shapes.append(
            {
                "shape": shape,
                "text": figure_text("referrals", value, lang),
                "shade": shade_of(value, most),
            }
        )
    return {"layout": layout, "shapes": shapes}


def monthly_metric(program: Program, asked: str, suppress: bool) -> tuple[str, list[str]]:
    """The preset's figures a monthly chart can show; counts only, where suppressed.

    A month's share may rest on a handful of cases, which suppression cannot see; a
    treatment count's month sits beside people a program's own reader knows, so it is
    theirs to read by quarter only (`disclosure.monthly_for`).
    """
    choices = [
        key
        for key in program.rules.metrics
        if key in METRIC_LABELS
        and not (suppress and key in SHARES | HOURS)
        and (suppress or key not in disclosure.TREATMENT_FIGURES)
    ] or ["referrals"]
    return (asked if asked in choices else choices[0]), choices


def monthly(
    program: Program, period: Any, metric: str, suppress: bool, lang: str = "en"
) -> charts.ColumnChart:
    before = disclosure.previous_period(period, suppress)
    series = _series_shown(program, period, metric, suppress)
    previous = _series_shown(program, before, metric, suppress)
    return charts.column_chart(
        words(lang)["by_month"].format(metric=metric_label(metric, lang)),
        series,
        previous,
        percent=metric in SHARES,
        words=chart_words(lang),
    )


def _series_shown(
    program: Program, period: Any, metric: str, suppress: bool
) -> list[tuple[dt.date, Any]]:
    """The months as the reader is given them: a quarter's months add up to its figure, so
    where suppressed each month is a cell of one table, a treatment count's read against
    the people beside it."""
    counts = metric not in SHARES | HOURS
    series = list(m.monthly_series(program, period, metric))
    values = [value for _, value in series]
    beside = None
    if suppress and metric in disclosure.TREATMENT_FIGURES:
        months = [figures for _, figures in m.monthly_figures(program, period)]
        quarter = m.compute_metrics(program, period).as_api()
        beside = disclosure.beside_months(months, quarter, metric)
    shown = disclosure.monthly_for(metric, values, counts, suppress, beside)
    return [(month, value) for (month, _), value in zip(series, shown, strict=True)]


def build_headline(
    program: Program, period: Any, suppress: bool, lang: str = "en", *, clinical: bool = False
) -> dict[str, Any]:
    """The first screen: the headline tiles with their comparisons, and the service levels.

    `clinical`: whether the reader reads clinical detail (where people were taken for
    treatment), which jail and the ER avoided may tell (`disclosure.dispositions_for`)."""
    previous = disclosure.previous_period(period, suppress)
    computed_now = m.compute_metrics(program, period)
    computed_before = m.compute_metrics(program, previous)
    now, before = computed_now.as_api(), computed_before.as_api()
    treatment_now = disclosure.gives_treatment(program, period)
    treatment_before = disclosure.gives_treatment(program, previous)
    _, disp_total = dispositions_with_total(
        now.get("dispositions") or {}, suppress, treatment=treatment_now, clinical=clinical
    )
    _, disp_total_before = dispositions_with_total(
        before.get("dispositions") or {}, suppress, treatment=treatment_before, clinical=clinical
    )
    now = disclosure.headline_for(computed_now, suppress, treatment_now, clinical=clinical)
    before = disclosure.headline_for(computed_before, suppress, treatment_before, clinical=clinical)
    hidden = (
        hidden_figures(computed_now.as_api(), now),
        hidden_figures(computed_before.as_api(), before),
    )
    tiles = headline_tiles(
        program, now, before, (disp_total["avoided"], disp_total_before["avoided"]), lang, hidden
    )
    as_of = m.figures_as_of(program, period)
    return {
        "tiles": tiles,
        "as_of": as_of,
        "overdue": as_of is not None and figures_overdue(program, timezone.now()),
        "sla": [
            {
                "label": metric_label(key, lang),
                "text": figure_text(key, now.get(key), lang, key in hidden[0]),
                "previous_text": figure_text(key, before.get(key), lang, key in hidden[1]),
            }
            for key in ("follow_up_within_window_rate", "median_hours_to_first_contact")
        ],
    }


def _say(lang: str) -> Any:
    """How a chart writes a value, hidden ones in the page's words."""
    return partial(charts.format_value, words=chart_words(lang))


def build_funnel(program: Program, period: Any, suppress: bool, lang: str = "en") -> dict[str, Any]:
    funnel = [
        (key, label("funnel_stage", key, lang) if lang == "es" else said, n)
        for key, said, n in m.funnel(program, period)
    ]
    treatment = disclosure.gives_treatment(program, period)
    funnel_values = disclosure.funnel_for([(key, n) for key, _, n in funnel], suppress, treatment)
    return {
        "funnel": [
            {
                "key": key,
                "label": stage,
                "value": value,
                "text": figure_text("referrals", value, lang),
            }
            for (key, stage, _), value in zip(funnel, funnel_values, strict=True)
        ],
        "funnel_chart": charts.bar_chart(
            words(lang)["funnel_heading"],
            [(stage, value) for (_, stage, _), value in zip(funnel, funnel_values, strict=True)],
            kind="funnel",
            say=_say(lang),
        ),
    }


def build_breakdown(
    program: Program, period: Any, by: str, suppress: bool, lang: str = "en"
) -> dict[str, Any]:
    """The table and chart by the chosen group, and the map, which reads the by-district rows."""
    rows, total, columns = breakdown(program, period, by, suppress, lang)
    chart_column = columns[0]
    by_district = (
        rows if by == "district" else breakdown(program, period, "district", suppress, lang)[0]
    )
    title = words(lang)["breakdown_chart"].format(
        metric=metric_label(chart_column, lang), group=breakdown_label(by, lang).lower()
    )
    return {
        "breakdown_rows": rows,
        "breakdown_total": total,
        "breakdown_columns": [{"key": c, "label": metric_label(c, lang)} for c in columns],
        "breakdown_chart": charts.bar_chart(
            title, [(str(row["label"]), row[chart_column]) for row in rows], say=_say(lang)
        ),
        "map": district_map(program, by_district, lang),
    }


def build_dispositions(
    program: Program, period: Any, suppress: bool, lang: str = "en", *, clinical: bool = False
) -> dict[str, Any]:
    now = m.compute_metrics(program, period).as_api()
    rows, total = dispositions_with_total(
        now.get("dispositions") or {},
        suppress,
        lang,
        treatment=disclosure.gives_treatment(program, period),
        clinical=clinical,
    )
    hidden = not suppress and any(row["encounters"] is None for row in rows)
    return {
        "dispositions": rows,
        "dispositions_total": total,
        # Why an exact reader is not given some of them.
        "dispositions_notice": disclosure.CLINICAL_NOTE if hidden else "",
        "dispositions_chart": charts.bar_chart(
            words(lang)["dispositions_chart"],
            [(row["label"], row["encounters"]) for row in rows],
            say=_say(lang),
        ),
    }


@dataclasses.dataclass(frozen=True)
class Reading:
    """One request for the dashboard or a section of it: whose program, which period, how shown."""

    program: Program
    period: m.Period
    suppress: bool
    public: bool
    errors: tuple[str, ...]
    by: str
    monthly_key: str
    monthly_choices: tuple[str, ...]
    lang: str = "en"
    # Whether the reader reads clinical detail (where people were taken for treatment).
    clinical: bool = False

    @property
    def shows_dispositions(self) -> bool:
        return "dispositions" in self.program.rules.metrics


# The sections that load after the first screen; their headings and what their links
# show are `<name>_heading` and `<name>_what` in the page's words.
SECTIONS = ("funnel", "monthly", "dispositions", "breakdown")


def build_section(name: str, reading: Reading) -> dict[str, Any]:
    program, period, suppress, lang = (
        reading.program,
        reading.period,
        reading.suppress,
        reading.lang,
    )
    with m.shared_facts():
        if name == "funnel":
            return build_funnel(program, period, suppress, lang)
        if name == "breakdown":
            return build_breakdown(program, period, reading.by, suppress, lang)
        if name == "monthly":
            chart = monthly(program, period, reading.monthly_key, suppress, lang)
            caption = words(lang)["monthly_caption"].format(title=chart.title)
            return {"monthly_chart": chart, "monthly_caption": caption}
        return build_dispositions(program, period, suppress, lang, clinical=reading.clinical)


def _read_request(
    request: HttpRequest, program: Program, period: m.Period, errors: list[str], **how: Any
) -> Reading:
    """The breakdown and the monthly figure asked for, kept to those this reader may see."""
    suppress = bool(how["suppress"])
    by = str(request.GET.get("by", "district"))
    if by not in m.BREAKDOWNS:
        by = "district"
    monthly_key, monthly_choices = monthly_metric(
        program, str(request.GET.get("monthly", "")), suppress
    )
    return Reading(
        program=program,
        period=period,
        errors=tuple(errors),
        by=by,
        monthly_key=monthly_key,
        monthly_choices=tuple(monthly_choices),
        **how,
    )


def member_reading(request: HttpRequest, slug: str) -> Reading:
    """What a member's dashboard request shows: 404 for non-members; exact figures for any
    dates up to five years for roles that may see everyone the program has met, else one
    whole, finished quarter, de-identified."""
    program = program_for(request.user, slug)
    role = role_in(request.user, program)
    if role is None:
        raise Http404("No such program")
    suppress = disclosure.suppresses(role)
    if suppress:
        period, errors = _quarter_period(request, program)
    else:
        period, errors = _exact_period(request, program_today(program))
    return _read_request(
        request,
        program,
        period,
        errors,
        suppress=suppress,
        public=False,
        clinical=disclosure.reads_clinical(role),
    )


def public_reading(request: HttpRequest, slug: str) -> Reading:
    """No sign-in: the suppressed figures of the last full quarter, where the preset publishes."""
    program = get_object_or_404(Program, slug=slug)
    # Publishing is the program's decision, in its preset; it shows only its `metrics`.
    rules = program.rules
    if not (rules.public_dashboard and rules.metrics):
        raise Http404("No public dashboard")
    period = disclosure.default_period(program, None, None)
    # English or Spanish, switched as on the public help page.
    lang = language_of(request.GET.get("lang"))
    return _read_request(request, program, period, [], suppress=True, public=True, lang=lang)


def _page_url(reading: Reading) -> str:
    name = "public-dashboard" if reading.public else "program-dashboard"
    return reverse(name, args=[reading.program.slug])


def _section_urls(reading: Reading) -> dict[str, str]:
    """Each section's address, carrying the period (or language), breakdown and monthly figure."""
    query: dict[str, str] = {}
    if reading.public:
        query["lang"] = reading.lang
    else:
        query.update(start=reading.period.start.isoformat(), end=reading.period.end.isoformat())
    query.update(by=reading.by, monthly=reading.monthly_key)
    name = "public-dashboard-section" if reading.public else "program-dashboard-section"
    return {
        section: f"{reverse(name, args=[reading.program.slug, section])}?{urlencode(query)}"
        for section in SECTIONS
    }


def _context(reading: Reading) -> dict[str, Any]:
    """What every dashboard template reads, whichever part of it is shown; its words are
    `t`, in the page's language (a member's page is in English)."""
    lang = reading.lang
    said = words(lang)
    previous = disclosure.previous_period(reading.period, reading.suppress)
    by_label = breakdown_label(reading.by, lang)
    return {
        "t": said,
        "base_template": "reports/public_base.html" if reading.public else "base.html",
        "program": reading.program,
        "period": reading.period,
        "previous": previous,
        "period_label": period_label(reading.period, lang),
        "previous_label": period_label(previous, lang),
        "suppress": reading.suppress,
        "public": reading.public,
        "errors": list(reading.errors),
        "lang": lang,
        "by": reading.by,
        "by_label": by_label,
        "breakdown_heading": said["by_group"].format(group=by_label.lower()),
        "breakdowns": [(key, breakdown_label(key, lang)) for key in m.BREAKDOWNS],
        "monthly_key": reading.monthly_key,
        "monthly_choices": [(key, metric_label(key, lang)) for key in reading.monthly_choices],
        "show_dispositions": reading.shows_dispositions,
        "page_url": _page_url(reading),
        "section_urls": _section_urls(reading),
        "treatment_quarter": _treatment_quarter(reading),
        "treatment_notice": said["treatment_notice"].format(
            figure=metric_label("people_accepted_treatment", lang, reading.program.rules.headline)
        ),
        # An exact reader who does not read where people were taken for treatment.
        "clinical_notice": disclosure.CLINICAL_NOTE
        if reading.shows_dispositions and not (reading.suppress or reading.clinical)
        else "",
    }


def _treatment_quarter(reading: Reading) -> dict[str, str] | None:
    """For an exact reader whose dates give no treatment figures: the last quarter's link."""
    quarter = disclosure.treatment_quarter(reading.program, reading.period, reading.suppress)
    if quarter is None:
        return None
    query = {"start": quarter.start.isoformat(), "end": quarter.end.isoformat()}
    query.update(by=reading.by, monthly=reading.monthly_key)
    return {
        "text": words(reading.lang)["treatment_quarter"].format(
            quarter=quarter_name(quarter.start)
        ),
        "url": f"{_page_url(reading)}?{urlencode(query)}",
    }


def _audit(actor: Actor, reading: Reading, section: str | None = None) -> None:
    detail: dict[str, Any] = {
        "start": reading.period.start.isoformat(),
        "end": reading.period.end.isoformat(),
        "suppressed": reading.suppress,
    }
    if section is not None:
        detail["section"] = section
    record_event(
        actor,
        "read",
        object_type="reports.dashboard",
        program_slug=reading.program.slug,
        fields=["aggregate"],
        detail=detail,
    )


def _exact_period(request: HttpRequest, today: dt.date) -> tuple[m.Period, list[str]]:
    """Any dates up to five years; the last 30 days by default or after a mistake."""
    start, end, errors = date_range(request.GET, today)
    if errors:
        start, end, _ = date_range({}, today)
    return m.Period(start=start, end=end), errors


def _quarter_period(request: HttpRequest, program: Program) -> tuple[m.Period, list[str]]:
    """One whole, finished quarter; the last one by default or after a mistake."""
    dates: dict[str, dt.date | None] = {}
    errors: list[str] = []
    for name in ("start", "end"):
        raw = str(request.GET.get(name) or "").strip()
        try:
            dates[name] = dt.date.fromisoformat(raw) if raw else None
        except ValueError:
            errors.append(f"The {name} date must be a date like 2026-07-01.")
            continue
        if (day := dates[name]) is not None and (problem := date_problem(day)):
            errors.append(f"The {name} date: {problem}.")
    if not errors:
        period = disclosure.default_period(program, dates.get("start"), dates.get("end"))
        problems = disclosure.period_problems(program, period)
        errors = [f"{FIELD_LABELS[k]}: {text}" for k, texts in problems.items() for text in texts]
        if not errors:
            return period, []
    return disclosure.default_period(program, None, None), errors


FIELD_LABELS = {"start": "Start date", "end": "End date"}


def _quick_ranges(program: Program, today: dt.date, suppress: bool) -> list[tuple[str, str]]:
    base = reverse("program-dashboard", args=[program.slug])
    if suppress:
        spans = [
            (quarter_name(q.start), q.start, q.end) for q in disclosure.recent_quarters(program)
        ]
    else:
        spans = [(label, *quick_range(name, today)) for name, label in QUICK_RANGES]
    return [(label, f"{base}?start={s.isoformat()}&end={e.isoformat()}") for label, s, e in spans]


def _public_actor(request: HttpRequest) -> Actor:
    return Actor(label="public dashboard", where=client_address(request))


@login_required
@require_GET
def dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    """The first screen: dates, headline tiles and service levels; the sections load after."""
    reading = member_reading(request, slug)
    _audit(actor_for(request), reading)
    context = _context(reading)
    with m.shared_facts():
        context.update(
            build_headline(
                reading.program, reading.period, reading.suppress, clinical=reading.clinical
            )
        )
    today = program_today(reading.program)
    context.update(
        {
            "form_start": request.GET.get("start", reading.period.start.isoformat()),
            "form_end": request.GET.get("end", reading.period.end.isoformat()),
            "quick_ranges": _quick_ranges(reading.program, today, reading.suppress),
            "evaluation_start": default_start_for(reading.program),
        }
    )
    status = 422 if reading.errors else 200
    return render(request, "reports/dashboard.html", context, status=status)


@require_safe
def public_dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    """No sign-in: the suppressed figures of the last full quarter, where the preset publishes."""
    reading = public_reading(request, slug)
    _audit(_public_actor(request), reading)
    other = "en" if reading.lang == "es" else "es"
    with translation.override(reading.lang):
        context = _context(reading)
        with m.shared_facts():
            context.update(build_headline(reading.program, reading.period, True, reading.lang))
        context.update(
            other_language=other,
            other_language_name=words(reading.lang)["other_language_name"],
            switch_url=f"{request.path}?{urlencode({'lang': other})}",
        )
        return render(request, "reports/dashboard.html", context)


def _section(request: HttpRequest, reading: Reading, name: str, actor: Actor) -> HttpResponse:
    """One section: a fragment for htmx to put in its place, else a page of its own."""
    if name not in SECTIONS or (name == "dispositions" and not reading.shows_dispositions):
        raise Http404("No such section")
    _audit(actor, reading, section=name)
    with translation.override(reading.lang):
        context = _context(reading)
        context.update(build_section(name, reading))
        said = context["t"]
        heading = context["breakdown_heading"] if name == "breakdown" else said[f"{name}_heading"]
        context.update(
            section=name,
            section_template=f"reports/_section_{name}.html",
            section_title=heading,
        )
        fragment = request.headers.get("HX-Request") == "true"
        template = context["section_template"] if fragment else "reports/dashboard_section.html"
        status = 422 if reading.errors else 200
        response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_GET
def dashboard_section(request: HttpRequest, slug: str, name: str) -> HttpResponse:
    return _section(request, member_reading(request, slug), name, actor_for(request))


@require_safe
def public_dashboard_section(request: HttpRequest, slug: str, name: str) -> HttpResponse:
    return _section(request, public_reading(request, slug), name, _public_actor(request))
