"""The public help form, in English and Spanish.

The words live here as one dictionary per language rather than in gettext
catalogues: the page is the only public one, and a reviewer can read both
languages side by side. Every key must exist in every language (a test checks).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from django import forms
from django.forms.utils import ErrorDict

from coresponder.core.forms import PlainTextForm
from coresponder.domain.intake import phone_problem
from coresponder.domain.outreach import referral_follow_up_hours
from coresponder.domain.text import plain_text as text_kept_plain
from coresponder.domain.vocabulary import Pathway
from coresponder.intake.inputs import PersonInput, ReferralInput, ReferrerInput
from coresponder.programs.models import Program

LANGUAGES = ("en", "es")
DEFAULT_LANGUAGE = "en"

# A phone number has 7 (a local number) to 15 (E.164's longest) digits.

WHO_CHOICES = ("me", "someone")
RELATIONSHIPS = ("parent", "partner", "child", "sibling", "other_family", "friend", "other")
HELP_KINDS = ("treatment", "mental_health", "naloxone", "family_support", "other")
CONTACT_PREFERENCES = ("call", "text", "visit")

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "other_language": "es",
        "other_language_name": "Español",
        "skip": "Skip to main content",
        "site": "Coresponder",
        "title": "Ask for help",
        "intro": (
            "Tell a local co-responder program that you, or someone you care about, would "
            "like help with drug or alcohol use or with mental health. It takes about two "
            "minutes."
        ),
        "crisis_heading": "In a crisis? Don't wait for this form.",
        "crisis_heading_after": "In a crisis? Don't wait to hear back.",
        "crisis_988": "Call or text 988, the Suicide & Crisis Lifeline, at any hour.",
        "call_988": "Call 988",
        "text_988": "Text 988",
        "crisis_911": "In an emergency (an overdose, or someone in danger) call 911.",
        "call_911": "Call 911",
        "not_watched": "Nobody watches this form around the clock.",
        "optional": "optional",
        "errors_heading": "Please check your answers",
        "errors_intro": "Some answers need a second look. They are marked below.",
        "program_legend": "Where are you?",
        "program": "Program for your area",
        "program_hint": (
            "Choose the program that serves the place where the person who needs help "
            "lives or stays."
        ),
        "choose": "- Choose -",
        "who_legend": "Who needs help?",
        "who_me": "Me",
        "who_someone": "Someone I care about",
        "someone_legend": "If you are asking for someone else",
        "relationship": "You are their",
        "rel_parent": "Parent",
        "rel_partner": "Partner or spouse",
        "rel_child": "Son or daughter",
        "rel_sibling": "Brother or sister",
        "rel_other_family": "Other family",
        "rel_friend": "Friend",
        "rel_other": "Something else",
        "referrer_name": "Your name",
        "referrer_phone": "Your phone number",
        "person_legend": "The person who needs help",
        "given_name": "First name",
        "family_name": "Last name",
        "reach_legend": "How can the team reach the person who needs help?",
        "reach_hint": "Give at least one.",
        "phone": "Phone number",
        "phone_hint": "For example 555-123-4567.",
        "address": "Address, or where they can be found",
        "help_legend": "What help would be welcome?",
        "help_hint": "Choose all that apply.",
        "help_treatment": "Treatment for drug or alcohol use",
        "help_mental_health": "Mental-health support",
        "help_naloxone": "Naloxone (Narcan), to reverse an overdose",
        "help_family_support": "Support for family and friends",
        "help_other": "Something else",
        "help_text": "Anything else the team should know",
        "note_limit": "Up to 1,000 characters.",
        "contact_legend": "How should the team get in touch?",
        "contact_call": "Phone call",
        "contact_text": "Text message",
        "contact_visit": "Visit in person",
        "consent_legend": "Permission to contact",
        "consent": (
            "I agree that the program's outreach team may contact the person who needs "
            "help, the way chosen above, to offer help. The team may include a police "
            "officer working with a clinician or a recovery coach. Accepting help is "
            "voluntary: anyone can say no at any time."
        ),
        "honeypot": "Leave this field empty",
        "submit": "Send my request",
        "thanks_title": "Thank you. Your request was sent.",
        "already_sent": "This request was already sent; it was not sent twice.",
        "sent_notice": "You sent this form already: sending it again does not send it twice.",
        "start_again": "Ask for help again",
        "next_heading": "What happens next",
        "next_read": "A coordinator of the program you chose reads each request.",
        "next_contact": (
            "Someone from the team will try to reach the person who needs help, the way "
            "you chose. The call or text may come from a number you do not know."
        ),
        "next_contact_within": (
            "Someone from the team will try to reach the person who needs help within "
            "%(within)s, the way you chose. The call or text may come from a number you do "
            "not know."
        ),
        "hours_one": "%(count)d hour",
        "hours": "%(count)d hours",
        "next_voluntary": (
            "Help is voluntary. Anyone can say no, or ask the team to stop getting in touch."
        ),
        "another": "Send another request",
        "nothing_sent_title": "No request was sent from this device",
        "nothing_sent": "To ask a program for help, fill in the form.",
        "to_form": "Ask for help",
        "expired_title": "Your request was not sent",
        "expired": (
            "Nothing was sent: the page was open a long time, or this browser lost what it "
            "needs to send the form. Open the form again and send your request again."
        ),
        "expired_again": "Open the form again",
        "no_program_title": "There is no such program here",
        "no_program": "The address may be mistyped. Choose the program on the form.",
        "limit_title": "Too many requests from this connection",
        "limit_body": (
            "Nothing was sent: this connection has sent as many requests as it may in an hour "
            "(many people may share one, at a shelter, a clinic or on a phone network). What "
            "you typed is kept below."
        ),
        "limit_when": "You can send it in %(minutes)d minutes.",
        "limit_when_one": "You can send it in 1 minute.",
        "limit_call": "If someone needs help now, call or text 988, or call 911 in an emergency.",
        "footer": "Coresponder: open-source software for co-responder and deflection programs.",
        "err_program": "Choose a program.",
        "err_who": "Choose who needs help.",
        "err_relationship": "Tell us how you know the person who needs help.",
        "err_given_name": "Enter a first name.",
        "err_family_name": "Enter a last name.",
        "err_reach": "Give a phone number or an address: at least one.",
        "err_phone": "Enter a phone number with 7 to 15 digits.",
        "err_help": "Choose at least one kind of help, or describe it.",
        "err_contact": "Choose how the team should get in touch.",
        "err_call_needs_phone": "A call or a text needs a phone number.",
        "err_visit_needs_address": "A visit needs an address or a place.",
        "err_consent": "Tick this box so the team may get in touch.",
        "err_too_long": "This answer is too long: at most %(limit_value)d characters (it has "
        "%(show_value)d).",
        "err_not_sent": "Your request could not be sent. Please check it and try again.",
    },
    "es": {
        "other_language": "en",
        "other_language_name": "English",
        "skip": "Saltar al contenido principal",
        "site": "Coresponder",
        "title": "Pedir ayuda",
        "intro": (
            "Avise a un programa local de respuesta conjunta que usted, o alguien que le "
            "importa, quiere ayuda con el consumo de drogas o alcohol o con la salud mental. "
            "Toma unos dos minutos."
        ),
        "crisis_heading": "¿Está en crisis? No espere a este formulario.",
        "crisis_heading_after": "¿Está en crisis? No espere a que le respondan.",
        "crisis_988": (
            "Llame o envíe un mensaje de texto al 988, la Línea de Prevención del Suicidio "
            "y Crisis, a cualquier hora."
        ),
        "call_988": "Llamar al 988",
        "text_988": "Enviar un texto al 988",
        "crisis_911": "En una emergencia (una sobredosis o alguien en peligro), llame al 911.",
        "call_911": "Llamar al 911",
        "not_watched": "Nadie revisa este formulario las 24 horas.",
        "optional": "opcional",
        "errors_heading": "Revise sus respuestas",
        "errors_intro": "Algunas respuestas necesitan otra mirada. Están señaladas abajo.",
        "program_legend": "¿Dónde está usted?",
        "program": "Programa de su zona",
        "program_hint": (
            "Elija el programa que atiende el lugar donde vive o se queda la persona que "
            "necesita ayuda."
        ),
        "choose": "- Elija -",
        "who_legend": "¿Quién necesita ayuda?",
        "who_me": "Yo",
        "who_someone": "Alguien que me importa",
        "someone_legend": "Si pide ayuda para otra persona",
        "relationship": "Usted es su",
        "rel_parent": "Madre o padre",
        "rel_partner": "Pareja o cónyuge",
        "rel_child": "Hijo o hija",
        "rel_sibling": "Hermano o hermana",
        "rel_other_family": "Otro familiar",
        "rel_friend": "Amigo o amiga",
        "rel_other": "Otra relación",
        "referrer_name": "Su nombre",
        "referrer_phone": "Su número de teléfono",
        "person_legend": "La persona que necesita ayuda",
        "given_name": "Nombre",
        "family_name": "Apellido",
        "reach_legend": "¿Cómo puede el equipo comunicarse con la persona que necesita ayuda?",
        "reach_hint": "Indique al menos una forma.",
        "phone": "Número de teléfono",
        "phone_hint": "Por ejemplo, 555-123-4567.",
        "address": "Dirección, o dónde se le puede encontrar",
        "help_legend": "¿Qué ayuda le vendría bien?",
        "help_hint": "Elija todas las que correspondan.",
        "help_treatment": "Tratamiento por consumo de drogas o alcohol",
        "help_mental_health": "Apoyo de salud mental",
        "help_naloxone": "Naloxona (Narcan), para revertir una sobredosis",
        "help_family_support": "Apoyo para familiares y amigos",
        "help_other": "Otra cosa",
        "help_text": "¿Algo más que el equipo deba saber?",
        "note_limit": "Hasta 1000 caracteres.",
        "contact_legend": "¿Cómo prefiere que el equipo se comunique?",
        "contact_call": "Llamada",
        "contact_text": "Mensaje de texto",
        "contact_visit": "Visita en persona",
        "consent_legend": "Permiso para comunicarse",
        "consent": (
            "Acepto que el equipo de alcance del programa se comunique con la persona que "
            "necesita ayuda, de la forma elegida arriba, para ofrecerle ayuda. El equipo "
            "puede incluir a un agente de policía que trabaja junto a un profesional clínico "
            "o un consejero de recuperación. Aceptar la ayuda es voluntario: cualquier "
            "persona puede decir que no en cualquier momento."
        ),
        "honeypot": "Deje este campo vacío",
        "submit": "Enviar mi solicitud",
        "thanks_title": "Gracias. Su solicitud fue enviada.",
        "already_sent": "Esta solicitud ya había sido enviada; no se envió dos veces.",
        "sent_notice": "Ya envió este formulario: enviarlo otra vez no lo envía dos veces.",
        "start_again": "Pedir ayuda otra vez",
        "next_heading": "Qué pasa ahora",
        "next_read": "Una persona coordinadora del programa que eligió lee cada solicitud.",
        "next_contact": (
            "Alguien del equipo intentará comunicarse con la persona que necesita ayuda, de "
            "la forma que usted eligió. La llamada o el mensaje puede venir de un número que "
            "usted no conoce."
        ),
        "next_contact_within": (
            "Alguien del equipo intentará comunicarse con la persona que necesita ayuda "
            "dentro de %(within)s, de la forma que usted eligió. La llamada o el mensaje puede "
            "venir de un número que usted no conoce."
        ),
        "hours_one": "%(count)d hora",
        "hours": "%(count)d horas",
        "next_voluntary": (
            "La ayuda es voluntaria. Cualquier persona puede decir que no, o pedir al equipo "
            "que deje de comunicarse."
        ),
        "another": "Enviar otra solicitud",
        "nothing_sent_title": "No se envió ninguna solicitud desde este dispositivo",
        "nothing_sent": "Para pedir ayuda a un programa, llene el formulario.",
        "to_form": "Pedir ayuda",
        "expired_title": "Su solicitud no se envió",
        "expired": (
            "No se envió nada: la página estuvo abierta mucho tiempo, o este navegador perdió "
            "lo que necesita para enviar el formulario. Abra el formulario otra vez y envíe "
            "su solicitud de nuevo."
        ),
        "expired_again": "Abrir el formulario otra vez",
        "no_program_title": "Ese programa no existe aquí",
        "no_program": "Puede que la dirección tenga un error. Elija el programa en el formulario.",
        "limit_title": "Demasiadas solicitudes desde esta conexión",
        "limit_body": (
            "No se envió nada: desde esta conexión ya se enviaron todas las solicitudes "
            "posibles en una hora (muchas personas pueden compartirla, en un albergue, una "
            "clínica o una red de telefonía). Lo que escribió se conserva abajo."
        ),
        "limit_when": "Podrá enviarla dentro de %(minutes)d minutos.",
        "limit_when_one": "Podrá enviarla dentro de 1 minuto.",
        "limit_call": (
            "Si alguien necesita ayuda ahora, llame o envíe un texto al 988, o llame al 911 en "
            "una emergencia."
        ),
        "footer": (
            "Coresponder: software de código abierto para programas de respuesta conjunta "
            "y de derivación."
        ),
        "err_program": "Elija un programa.",
        "err_who": "Indique quién necesita ayuda.",
        "err_relationship": "Indique qué relación tiene con la persona que necesita ayuda.",
        "err_given_name": "Escriba un nombre.",
        "err_family_name": "Escriba un apellido.",
        "err_reach": "Indique un número de teléfono o una dirección: al menos uno.",
        "err_phone": "Escriba un número de teléfono de 7 a 15 dígitos.",
        "err_help": "Elija al menos un tipo de ayuda, o descríbala.",
        "err_contact": "Elija cómo debe comunicarse el equipo.",
        "err_call_needs_phone": "Para llamar o enviar un texto hace falta un número de teléfono.",
        "err_visit_needs_address": "Para una visita hace falta una dirección o un lugar.",
        "err_consent": "Marque esta casilla para que el equipo pueda comunicarse.",
        "err_too_long": "Esta respuesta es demasiado larga: como máximo %(limit_value)d "
        "caracteres (tiene %(show_value)d).",
        "err_not_sent": "No se pudo enviar su solicitud. Revísela y vuelva a intentarlo.",
    },
}

# The referral's `help_requested` is read by staff, so it is written in English.
STAFF_LANGUAGE = "en"


def language_of(value: object) -> str:
    """A supported language code, or English."""
    return value if isinstance(value, str) and value in LANGUAGES else DEFAULT_LANGUAGE


def preferred_language(header: str) -> str | None:
    """The supported language an Accept-Language header prefers, by its weights (RFC 9110
    12.5.4): a phone set to "es-US,es;q=0.9,en;q=0.8" is given Spanish. None when it names
    none of ours (or none at all)."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, parameters = part.partition(";")
        quality = 1.0
        name, _, value = parameters.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                quality = float(value)
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and quality > 0:
            ranked.append((-quality, position, primary))
    return min(ranked)[2] if ranked else None


def public_programs() -> list[Program]:
    """Programs that take self and family referrals, by their presets."""
    return [
        program
        for program in Program.objects.order_by("name")
        if Pathway.SELF_REFERRAL in program.rules.pathways
    ]


def next_contact(program: Program | None, lang: str) -> str:
    """When the team will try to reach the person, as the thank-you page says it: within
    the hours the program's follow-up for a help request gives, counted as the rule that
    opens it counts them. Where the rules may open none (no follow-up on the pathway, or
    eligibility that might refuse it), nothing is said of time."""
    text = TEXT[language_of(lang)]
    if program is None:
        return text["next_contact"]
    rules = program.rules
    pathway = Pathway.SELF_REFERRAL
    hours = referral_follow_up_hours(rules.follow_up, pathway)
    if hours is None or any(pathway in rule.pathways for rule in rules.eligibility):
        return text["next_contact"]
    count = math.ceil(hours)  # a part of an hour said as a whole one: never sooner than true
    within = (text["hours_one"] if count == 1 else text["hours"]) % {"count": count}
    return text["next_contact_within"] % {"within": within}


def program_label(program: Program) -> str:
    return f"{program.name} ({program.rules.area.name})"


RADIO = {"class": "usa-radio__input usa-radio__input--tile"}
CHECKBOX = {"class": "usa-checkbox__input usa-checkbox__input--tile"}
SELECT = {"class": "usa-select"}
# Fields with a hint under their label (help.html).
HINTED = frozenset({"program", "phone", "help", "help_text"})
# Fields whose label is their group's legend.
LABELS = {
    "who": "who_legend",
    "help": "help_legend",
    "contact_preference": "contact_legend",
    "website": "honeypot",
}


class PhoneInput(forms.TextInput):
    """A phone keypad on phones; the number is still checked on the server."""

    input_type = "tel"


def plain_text(value: str, *, lines: bool = False) -> str:
    """What was typed, without control or direction characters (a pasted escape code, a
    bell, a null, a right-to-left override): kept, they would be invisible on the team's
    pages and stop a search finding a name. A tab reads as a space; a note keeps its line
    breaks. Nothing visible is nothing."""
    return text_kept_plain(value.replace("\t", " "), lines=lines).strip()


class PlainTextField(forms.CharField):
    """A line of text, kept without control characters (`plain_text`)."""

    lines = False

    def to_python(self, value: Any) -> str:
        return plain_text(super().to_python(value) or "", lines=self.lines)


class NoteField(PlainTextField):
    """Free text in lines. Browsers count a line break as one character against the box's
    `maxlength` but send it as two (CR LF): counted as sent, a note the box took whole
    would be refused as too long."""

    lines = True


def _text(
    max_length: int,
    *,
    required: bool = False,
    widget: type[forms.TextInput] = forms.TextInput,
    **attrs: str,
) -> forms.CharField:
    return PlainTextField(
        max_length=max_length,
        required=required,
        widget=widget(attrs={"class": "usa-input", **attrs}),
    )


def _choices(text: dict[str, str], prefix: str, values: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(value, text[f"{prefix}_{value}"]) for value in values]


class HelpForm(PlainTextForm):
    """What a person, or someone who cares about them, tells the program."""

    program = forms.ChoiceField(widget=forms.Select(attrs=SELECT))
    who = forms.ChoiceField(widget=forms.RadioSelect(attrs=RADIO))
    relationship = forms.ChoiceField(required=False, widget=forms.Select(attrs=SELECT))
    # Needed when someone asks for another person, so it never reads as optional.
    relationship.needed = True  # type: ignore[attr-defined]
    referrer_name = _text(200, autocomplete="name")
    referrer_phone = _text(32, widget=PhoneInput, autocomplete="tel")
    given_name = _text(100, required=True, autocomplete="off")
    family_name = _text(100, autocomplete="off")
    phone = _text(32, widget=PhoneInput, autocomplete="off")
    address = _text(300, autocomplete="off")
    help = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple(attrs=CHECKBOX)
    )
    help_text = NoteField(
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"class": "usa-textarea", "rows": 3}),
    )
    contact_preference = forms.ChoiceField(widget=forms.RadioSelect(attrs=RADIO))
    consent = forms.BooleanField(widget=forms.CheckboxInput(attrs={"class": "usa-checkbox__input"}))
    # Never shown to people, so they leave it empty; automated senders fill it in.
    website = _text(200, tabindex="-1", autocomplete="off")

    def __init__(self, *args: Any, lang: str = DEFAULT_LANGUAGE, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lang = language_of(lang)
        self.text = TEXT[self.lang]
        self.programs = {program.slug: program for program in public_programs()}
        self._set_choices()
        self._set_words()

    def _set_choices(self) -> None:
        t, fields = self.text, self.fields
        choose = [("", t["choose"])]
        programs = [(slug, program_label(p)) for slug, p in self.programs.items()]
        fields["program"].choices = choose + programs  # type: ignore[attr-defined]
        fields["who"].choices = _choices(t, "who", WHO_CHOICES)  # type: ignore[attr-defined]
        relationships = _choices(t, "rel", RELATIONSHIPS)
        fields["relationship"].choices = choose + relationships  # type: ignore[attr-defined]
        fields["help"].choices = _choices(t, "help", HELP_KINDS)  # type: ignore[attr-defined]
        preferences = _choices(t, "contact", CONTACT_PREFERENCES)
        fields["contact_preference"].choices = preferences  # type: ignore[attr-defined]

    def describe_fields(self) -> None:
        """Tie each input to its hint and error message, for screen readers."""
        for name, field in self.fields.items():
            ids = [f"id_{name}-hint"] if name in HINTED else []
            if name in self.errors:
                ids.append(f"id_{name}_error")
                field.widget.attrs["aria-invalid"] = "true"
            if ids:
                field.widget.attrs["aria-describedby"] = " ".join(ids)

    def _set_words(self) -> None:
        """Labels and error messages in the page's language."""
        t = self.text
        for name, field in self.fields.items():
            field.label = t.get(LABELS.get(name, name), name)
            field.error_messages.update(
                invalid_choice=t["err_not_sent"], max_length=t["err_too_long"]
            )
        own_errors = {
            "program": "err_program",
            "who": "err_who",
            "relationship": "err_relationship",
            "given_name": "err_given_name",
            "contact_preference": "err_contact",
            "consent": "err_consent",
        }
        for name, key in own_errors.items():
            self.fields[name].error_messages.update(required=t[key], invalid_choice=t[key])

    def as_typed(self) -> HelpForm:
        """The posted form shown as typed, without checking it: no answer is marked as an
        error (it was not sent for another reason)."""
        self._errors = ErrorDict()
        self.cleaned_data = {}
        return self

    @property
    def honeypot_filled(self) -> bool:
        return bool(str(self.data.get("website", "")).strip())

    @property
    def chosen_program(self) -> Program:
        return self.programs[self.cleaned_data["program"]]

    def _check_phone(self, name: str) -> str:
        phone = self.cleaned_data.get(name, "").strip()
        if phone_problem(phone) is not None:
            raise forms.ValidationError(self.text["err_phone"], code="phone")
        return phone

    def clean_phone(self) -> str:
        return self._check_phone("phone")

    def clean_referrer_phone(self) -> str:
        # Typed before choosing "Me" (a parent who then hands over the phone): the request
        # does not keep it, so it cannot stop the request being sent.
        if self.cleaned_data.get("who") != "someone":
            return ""
        return self._check_phone("referrer_phone")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        t = self.text
        if data.get("who") == "someone" and not data.get("relationship"):
            self.add_error("relationship", t["err_relationship"])
        self._check_reach(data)
        # A kind or note refused already (a note too long) has its own error: the help may
        # well be described in it.
        named = "help" in data and "help_text" in data
        if named and not data["help"] and not str(data["help_text"]).strip():
            self.add_error("help", t["err_help"])
        return data

    def _check_reach(self, data: dict[str, Any]) -> None:
        t = self.text
        if "phone" not in data:
            return  # the phone number is wrong already; that error says enough
        phone, address = data["phone"], str(data.get("address", "")).strip()
        preference = data.get("contact_preference")
        if not phone and not address:
            self.add_error("phone", t["err_reach"])
        elif preference in ("call", "text") and not phone:
            self.add_error("phone", t["err_call_needs_phone"])
        elif preference == "visit" and not address:
            self.add_error("address", t["err_visit_needs_address"])

    def referral(self, received_at: dt.datetime) -> ReferralInput:
        """The referral `record_public_referral` takes."""
        data = self.cleaned_data
        person = PersonInput(
            given_name=data["given_name"].strip(),
            family_name=data["family_name"].strip(),
            phone=data["phone"].strip() or None,
            address=data["address"].strip() or None,
        )
        referrer = ReferrerInput(relationship="self", name="", phone="")
        if data["who"] == "someone":
            referrer = ReferrerInput(
                relationship=data["relationship"],
                name=data["referrer_name"].strip(),
                phone=data["referrer_phone"].strip(),
            )
        return ReferralInput(
            received_at=received_at,
            person=person,
            referrer=referrer,
            help_requested=help_summary(data["help"], data["help_text"]),
            consent_to_contact=data["consent"],
            contact_preference=data["contact_preference"],
            language=self.lang,
        )


def help_summary(kinds: list[str], note: str) -> str:
    """What help was asked for, in words staff read: the chosen kinds, then the note."""
    staff = TEXT[STAFF_LANGUAGE]
    summary = "; ".join(staff[f"help_{kind}"] for kind in HELP_KINDS if kind in kinds)
    note = note.strip()
    if note:
        summary = f"{summary} — {note}" if summary else note
    return summary
