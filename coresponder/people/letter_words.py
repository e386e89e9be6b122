"""The words of the letters to a person about their rights (an amendment denied, a records
request denied in whole or in part, the review of a denial), in English and Spanish.

As on the public help page, the words live here as one dictionary per language, side by
side, so both can be read together; every key exists in every language (a test checks).
The legal citations stay as the rule writes them. Names a program gives itself (its name
and its addresses) are printed as the preset gives them; its privacy contact's title and
office in the letter's language where the preset gives them so (`title_es`, `office_es`),
and otherwise in English, set apart in quotation marks as a proper name in a Spanish
letter. Spanish is formal (usted) and plain.
"""

from __future__ import annotations

LANGUAGES = ("en", "es")
DEFAULT_LANGUAGE = "en"

# Where the Secretary of HHS takes complaints (hhs.gov/ocr/complaints): the office's own
# names and address, as mail must read.
OCR_ADDRESS = (
    "Centralized Case Management Operations, U.S. Department of Health and Human Services, "
    "200 Independence Avenue, S.W., Room 509F HHH Bldg., Washington, D.C. 20201"
)

WORDS: dict[str, dict[str, str]] = {
    "en": {
        # A letter to a person whose name the reader is not shown.
        "person": "Person {pk}",
        # A program whose preset names no privacy contact: the letter names the role, under
        # the program's name, for whoever sends it to fill in or attach.
        "privacy_contact": "the program's privacy contact",
        "attention": "{program}, attention: {whom}",
        # A name the preset gives only in English (its privacy contact's title or office):
        # as given here, and as a proper name in quotation marks in Spanish.
        "named_in_english": "{name}",
        "by_phone": "by phone at {phone}",
        "by_email": "by email to {email}",
        "by_mail": "by mail to {address}",
        "or": "or",
        "list_comma": ",",
        "ocr_complaints": (
            "online at https://www.hhs.gov/ocr/complaints; by mail to " + OCR_ADDRESS + "; by "
            "email to OCRComplaint@hhs.gov; or by phone at 1-800-368-1019 (TDD 1-800-537-7697)"
        ),
        "complain_heading": "How to complain",
        "complain_program": (
            "You may complain about this decision to {program}: write to or call {whom}{ways}."
        ),
        "complain_titled": "its {title}",
        "complain_hhs": (
            "You may also complain to the Secretary of the U.S. Department of Health and Human "
            "Services, through its Office for Civil Rights: {ocr}. A complaint to the Office "
            "for Civil Rights is filed within 180 days of when you learned of what you "
            "complain about."
        ),
        "no_retaliation": "No one may retaliate against you for complaining.",
        "why_heading": "Why we denied your request",
        # An amendment denied (45 CFR 164.526(d)(1)).
        "amendment_title": "Your request to amend your record is denied",
        "amendment_opening": (
            "On {received} you asked us to change {what} in your record to “{value}”. On "
            "{decided} we denied your request. This letter says why, and what you may do."
        ),
        "none": "(none)",
        "not_recorded": "Not recorded",
        "amendment_basis": "Basis for the denial: {grounds}.",
        "disagree_heading": "If you disagree",
        "disagree": (
            "You may write a statement disagreeing with this denial and saying why. To file "
            "it, send or give it to {contact}{ways}. We keep it with your record, and it goes "
            "with any future disclosure of the information. We may write a reply to it; if we "
            "do, we send you a copy."
        ),
        "disagreement_kept": (
            "We have your statement of disagreement; it is kept with your record."
        ),
        "include_heading": "If you do not write a statement",
        "include": (
            "If you do not write a statement of disagreement, you may ask that we include your "
            "request for amendment and this denial with any future disclosures of the "
            "information. To ask, write to or call {contact}{ways}."
        ),
        "include_asked": (
            "You have asked that we include your request for amendment and this denial with "
            "any future disclosures of the information; we will."
        ),
        # The fields a person may ask to amend, as the opening names them.
        "field_given_name": "the given name",
        "field_family_name": "the family name",
        "field_aliases": "the other names",
        "field_birth_date": "the birth date",
        "field_birth_year": "the birth year",
        "field_sex": "the sex",
        "field_race": "the race",
        "field_ethnicity": "the ethnicity",
        "field_phone": "the phone",
        "field_address": "the address",
        "field_clinical_note": "the clinical note",
        # A records request denied, in whole or in part (45 CFR 164.524(d)(2)).
        "made_by": " (made by: {who})",
        "request_title": "Your request for your records is denied",
        "request_opening": (
            "On {received} we received a request for a copy of your records{made_by}. On "
            "{denied} we denied the request in whole. This letter says why, and what you may "
            "do."
        ),
        "request_grounds": "We denied access to your records on these grounds:",
        "in_part_title": "Your request for your records is fulfilled in part",
        "in_part_opening": (
            "On {received} we received a request for a copy of your records{made_by}. On "
            "{denied} we gave you your records, except the parts named below: access to them "
            "is denied. Everything else we hold about you was given to you. This letter says "
            "why those parts were withheld, and what you may do."
        ),
        "in_part_heading": "What we withheld, and why",
        "withheld_part": "{group}: withheld on these grounds: {grounds} {reason}",
        "review_heading": "Having the denial reviewed",
        "review_may": (
            "You may ask that the denial be reviewed by a licensed health care professional "
            "who did not take part in the original decision, chosen by {program} to review it. "
            "To ask, write to {contact}{ways}. We send your request to the reviewer promptly; "
            "the reviewer decides within a reasonable time, we tell you the decision in "
            "writing, and we do as the reviewer decides."
        ),
        "review_covers_some": (
            "A review covers only the grounds above that a licensed health care professional "
            "judged. The denial on the other grounds cannot be reviewed (45 CFR "
            "164.524(a)(2)), so a review cannot by itself give you these records."
        ),
        "review_none": (
            "This denial cannot be reviewed: the rule allows no review of a denial on these "
            "grounds (45 CFR 164.524(a)(2))."
        ),
        # The review of a denial of access (45 CFR 164.524(d)(4)).
        "reviewed_title": "The review of the denial of your request for your records",
        "reviewed_opening": (
            "On {asked} you asked that our decision of {denied} to deny your request for a "
            "copy of your records{in_part} be reviewed. A licensed health care professional "
            "chosen by {program} to review it, who did not take part in the denial, reviewed "
            "it and decided on {decided}. This letter tells you the decision, which we follow."
        ),
        "in_part": " in part",
        "decision_heading": "The reviewer's decision",
        "overturned": "The reviewer overturned the denial. The reviewer's reasons:",
        "give_parts": "We will give you the parts of your records we withheld, by {due}.",
        "give_all": "We will give you access to your records as you asked, by {due}.",
        "others_stand": (
            "The denial also rested on grounds the rule allows no review of (45 CFR "
            "164.524(a)(2)); the records it withheld on them stay withheld: {grounds}"
        ),
        "upheld_parts": (
            "The reviewer upheld the denial: you will not be given the parts of your records "
            "we withheld. The reviewer's reasons:"
        ),
        "upheld_all": (
            "The reviewer upheld the denial: you will not be given these records. The "
            "reviewer's reasons:"
        ),
    },
    "es": {
        "person": "Persona {pk}",
        "privacy_contact": "la persona encargada de la privacidad en el programa",
        "attention": "{program}, a la atención de {whom}",
        "named_in_english": "“{name}”",
        "by_phone": "por teléfono al {phone}",
        "by_email": "por correo electrónico a {email}",
        "by_mail": "por correo postal a {address}",
        "or": "o",
        # Spanish puts no comma before the "o" that ends a list.
        "list_comma": "",
        "ocr_complaints": (
            "en línea en https://www.hhs.gov/ocr/complaints; por correo postal a "
            + OCR_ADDRESS
            + "; por correo electrónico a OCRComplaint@hhs.gov; o por teléfono al "
            "1-800-368-1019 (TDD 1-800-537-7697)"
        ),
        "complain_heading": "Cómo presentar una queja",
        "complain_program": (
            "Usted puede presentar una queja sobre esta decisión ante {program}: escriba o "
            "llame a {whom}{ways}."
        ),
        "complain_titled": "quien ocupe el cargo de {title}",
        "complain_hhs": (
            "También puede presentar una queja ante el Secretario del Departamento de Salud y "
            "Servicios Humanos de los Estados Unidos, a través de su Oficina de Derechos "
            "Civiles (Office for Civil Rights): {ocr}. La queja ante la Oficina de Derechos "
            "Civiles se presenta dentro de los 180 días siguientes a la fecha en que usted se "
            "enteró de lo que motiva su queja."
        ),
        "no_retaliation": "Nadie puede tomar represalias contra usted por presentar una queja.",
        "why_heading": "Por qué denegamos su solicitud",
        "amendment_title": "Se deniega su solicitud de enmienda de su expediente",
        "amendment_opening": (
            "El {received}, usted nos pidió cambiar {what} de su expediente por “{value}”. El "
            "{decided}, denegamos su solicitud. En esta carta le explicamos por qué y lo que "
            "usted puede hacer."
        ),
        "none": "(ninguno)",
        "not_recorded": "No consta",
        "amendment_basis": "Motivo de la denegación: {grounds}.",
        "disagree_heading": "Si usted no está de acuerdo",
        "disagree": (
            "Usted puede escribir una declaración en la que exprese su desacuerdo con esta "
            "denegación y explique por qué. Para presentarla, envíela o entréguela a "
            "{contact}{ways}. La guardamos con su expediente y acompañará toda divulgación "
            "futura de la información. Podemos escribir una respuesta a su declaración; si lo "
            "hacemos, le enviaremos una copia."
        ),
        "disagreement_kept": (
            "Hemos recibido su declaración de desacuerdo; se guarda con su expediente."
        ),
        "include_heading": "Si usted no escribe una declaración",
        "include": (
            "Si usted no escribe una declaración de desacuerdo, puede pedirnos que incluyamos "
            "su solicitud de enmienda y esta denegación en toda divulgación futura de la "
            "información. Para pedirlo, escriba o llame a {contact}{ways}."
        ),
        "include_asked": (
            "Usted nos pidió que incluyamos su solicitud de enmienda y esta denegación en toda "
            "divulgación futura de la información; así lo haremos."
        ),
        "field_given_name": "el nombre",
        "field_family_name": "el apellido",
        "field_aliases": "los otros nombres",
        "field_birth_date": "la fecha de nacimiento",
        "field_birth_year": "el año de nacimiento",
        "field_sex": "el sexo",
        "field_race": "la raza",
        "field_ethnicity": "el origen étnico",
        "field_phone": "el teléfono",
        "field_address": "la dirección",
        "field_clinical_note": "la nota clínica",
        "made_by": " (hecha por: {who})",
        "request_title": "Se deniega su solicitud de sus registros",
        "request_opening": (
            "El {received}, recibimos una solicitud de copia de sus registros{made_by}. El "
            "{denied}, denegamos la solicitud en su totalidad. En esta carta le explicamos "
            "por qué y lo que usted puede hacer."
        ),
        "request_grounds": "Le denegamos el acceso a sus registros por estos motivos:",
        "in_part_title": "Su solicitud de sus registros se cumplió en parte",
        "in_part_opening": (
            "El {received}, recibimos una solicitud de copia de sus registros{made_by}. El "
            "{denied}, le entregamos sus registros, salvo las partes que se indican más abajo: "
            "se le deniega el acceso a ellas. Se le entregó todo lo demás que tenemos sobre "
            "usted. En esta carta le explicamos por qué retuvimos esas partes y lo que usted "
            "puede hacer."
        ),
        "in_part_heading": "Qué retuvimos y por qué",
        "withheld_part": "{group}: retuvimos esta parte por estos motivos: {grounds} {reason}",
        "review_heading": "Cómo pedir que se revise la denegación",
        "review_may": (
            "Usted puede pedir que revise la denegación un profesional de la salud con "
            "licencia que no participó en la decisión original, elegido por {program} para "
            "revisarla. Para pedirlo, escriba a {contact}{ways}. Enviaremos su solicitud sin "
            "demora a quien vaya a revisarla; esa persona decidirá en un plazo razonable, le "
            "comunicaremos la decisión por escrito y haremos lo que decida."
        ),
        "review_covers_some": (
            "La revisión abarca solo los motivos anteriores que evaluó un profesional de la "
            "salud con licencia. La denegación por los demás motivos no se puede revisar "
            "(45 CFR 164.524(a)(2)); por eso, una revisión no puede por sí sola darle estos "
            "registros."
        ),
        "review_none": (
            "Esta denegación no se puede revisar: la norma no permite revisar una denegación "
            "por estos motivos (45 CFR 164.524(a)(2))."
        ),
        "reviewed_title": "La revisión de la denegación de su solicitud de sus registros",
        "reviewed_opening": (
            "El {asked}, usted pidió que se revisara nuestra decisión del {denied} de "
            "denegar{in_part} su solicitud de copia de sus registros. Un profesional de la "
            "salud con licencia, elegido por {program} para revisarla y que no participó en la "
            "denegación, la revisó y decidió el {decided}. En esta carta le comunicamos esa "
            "decisión, que nosotros cumplimos."
        ),
        "in_part": " en parte",
        "decision_heading": "La decisión de la revisión",
        "overturned": (
            "La persona que hizo la revisión revocó la denegación. Estas son sus razones:"
        ),
        "give_parts": (
            "Le entregaremos las partes de sus registros que retuvimos a más tardar el {due}."
        ),
        "give_all": "Le daremos acceso a sus registros, como lo pidió, a más tardar el {due}.",
        "others_stand": (
            "La denegación también se basó en motivos que la norma no permite revisar (45 CFR "
            "164.524(a)(2)); los registros retenidos por esos motivos siguen retenidos: "
            "{grounds}"
        ),
        "upheld_parts": (
            "La persona que hizo la revisión confirmó la denegación: no se le entregarán las "
            "partes de sus registros que retuvimos. Estas son sus razones:"
        ),
        "upheld_all": (
            "La persona que hizo la revisión confirmó la denegación: no se le entregarán estos "
            "registros. Estas son sus razones:"
        ),
    },
}


def language_of(value: object) -> str:
    """A language a letter is written in, from a code such as "es" or "es-MX"; English for
    any other (a language the letters are not written in, or nothing)."""
    if not isinstance(value, str):
        return DEFAULT_LANGUAGE
    primary = value.strip().lower().split("-")[0]
    return primary if primary in LANGUAGES else DEFAULT_LANGUAGE


def words(lang: str) -> dict[str, str]:
    """The letters' words in `lang`, English for a language they are not written in."""
    return WORDS[language_of(lang)]


# Each language by its own name, as the choice on a letter's page offers it.
LANGUAGE_NAMES = {"en": "English", "es": "Español"}


def language_choices(here: str, lang: str) -> list[dict[str, object]]:
    """The languages a letter's page offers, each with its address and whether it is the
    one shown."""
    return [
        {"code": code, "name": name, "url": f"{here}?lang={code}", "current": code == lang}
        for code, name in LANGUAGE_NAMES.items()
    ]
