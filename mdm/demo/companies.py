"""The demo's B2B side: companies with their establishments, and an ERP export of them and their contacts.

The company sells to businesses too: an invoicing ERP exports its accounts (`erp/tiers.csv`, one
account per establishment invoiced) and the named contacts of those accounts (`erp/contacts.csv`).
The companies get real identifiers, made valid the way INSEE and the tax offices make them
(SIREN and SIRET with their Luhn key, the French VAT key computed from the SIREN, Belgian, German
and Italian VAT numbers with theirs), and every check is verified with python-stdnum, so a
"valid" number in the demo is valid for the product too.

What makes it realistic, each on purpose and with its truth exact:

- the fair's small companies (`vocab.COMPANIES`) are ERP accounts too, so their badges meet them;
- some companies have several establishments (one SIRET each) in other towns;
- some are sole traders: the business is named after its owner (legal form EI), and the owner is
  also a private customer of the B2C files (their contact row carries their own mobile);
- some people are the contact of two companies (an accountant, a manager of two firms);
- legal forms written in several ways ("SARL", "S.A.R.L.", "Sarl", in the name or in their own
  column, or not at all), websites with and without scheme and `www.`;
- dirt: a SIRET whose check digit is wrong, a SIREN that Excel stripped of its leading zero, VAT
  numbers with spaces or in lower case, an account typed twice (capitals, no identifiers).

Small (a few hundred rows), so it is plain Python over companies; all randomness comes from the
generator given (a stream of its own: adding the B2B files leaves the B2C files byte-identical).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from stdnum import luhn
from stdnum.be import vat as be_vat
from stdnum.de import vat as de_vat
from stdnum.fr import siren as fr_siren
from stdnum.fr import siret as fr_siret
from stdnum.fr import tva as fr_tva
from stdnum.iso7064 import mod_11_10
from stdnum.it import iva as it_iva

from mdm.demo import people as P
from mdm.demo import vocab
from mdm.demo.render import phone_text
from mdm.demo.textops import email_part, fold_accents

#: One company per this many people (at least `MIN_COMPANIES`), besides the fair's companies.
PEOPLE_PER_COMPANY = 40
MIN_COMPANIES = 20
#: Shares among the companies.
SEVERAL_ESTABLISHMENTS = 0.15  # 2 to 4 establishments in other towns
SOLE_TRADER_SHARE = 0.08  # named after the owner, legal form EI
FOREIGN_SHARE = 0.05  # Belgian, German or Italian: a VAT number, no SIRET
WITH_CONTACT = 0.65  # at least one named contact
TWO_COMPANY_CONTACT = 0.06  # share of contacts who are also the contact of a second company
#: Dirt, per account row.
BAD_SIRET_KEY = 0.02
VAT_WITH_SPACES = 0.15
DOUBLE_ENTRY = 0.06

TRADES = (
    "Boulangerie", "Menuiserie", "Plomberie", "Jardinerie", "Paysages", "Garage", "Pharmacie", "Restaurant",
    "Électricité", "Maçonnerie", "Toitures", "Carrelages", "Piscines", "Vérandas", "Cuisines", "Ébénisterie",
    "Serrurerie", "Peintures", "Clôtures", "Arrosage", "Pépinières", "Fleurs", "Bois", "Chauffage",
)
QUALIFIERS = (
    "du Centre", "des Alpes", "de la Gare", "du Rhône", "Concept", "Services", "Pro", "et Fils", "& Associés",
    "de Provence", "Habitat", "Création", "de l'Ouest", "Design", "Nature", "Confort",
)
#: Legal form -> how people write it (the first is the code the ERP's column holds).
LEGAL_FORMS: dict[str, tuple[str, ...]] = {
    "SARL": ("SARL", "S.A.R.L.", "Sarl", "société à responsabilité limitée"),
    "SAS": ("SAS", "S.A.S.", "Sas"),
    "SASU": ("SASU", "S.A.S.U."),
    "EURL": ("EURL", "E.U.R.L."),
    "SA": ("SA", "S.A.", "Société Anonyme"),
    "SCI": ("SCI",),
}
LEGAL_FORM_WEIGHTS = (40, 30, 12, 10, 5, 3)
#: Foreign companies: country, VAT prefix, legal forms, (postcode, city).
FOREIGN = (
    ("BE", "BE", ("SPRL", "SA", "BV"), ("1000", "Bruxelles")),
    ("DE", "DE", ("GmbH", "AG", "GmbH & Co. KG"), ("50667", "Köln")),
    ("IT", "IT", ("Srl", "SpA"), ("10121", "Torino")),
)

TIERS_HEADERS = [
    "Code tiers", "Raison sociale", "Forme juridique", "SIREN", "SIRET", "N° TVA intracommunautaire", "Adresse",
    "Code postal", "Ville", "Pays", "Téléphone", "Site web", "Date création", "Dernière facture",
]
CONTACT_HEADERS = [
    "Code contact", "Code tiers", "Raison sociale", "SIRET", "Civilité", "Nom", "Prénom", "Fonction", "E-mail",
    "Téléphone",
]
ROLES = ("Direction", "Achats", "Comptabilité", "Responsable travaux", "Secrétariat", "Responsable magasin")


# ------------------------------------------------------------------------------------------------
# identifiers (each verified with python-stdnum)
# ------------------------------------------------------------------------------------------------


def make_siren(rng: np.random.Generator, leading_zero: bool = False) -> str:
    body = ("0" if leading_zero else str(rng.integers(1, 10))) + "".join(str(d) for d in rng.integers(0, 10, 7))
    number = body + luhn.calc_check_digit(body)
    assert fr_siren.is_valid(number)
    return number


def make_siret(siren: str, establishment: int) -> str:
    body = siren + f"{establishment:04d}"
    number = body + luhn.calc_check_digit(body)
    assert fr_siret.is_valid(number)
    return number


def french_vat(siren: str) -> str:
    number = f"FR{(12 + 3 * (int(siren) % 97)) % 97:02d}{siren}"
    assert fr_tva.is_valid(number)
    return number


def foreign_vat(country: str, rng: np.random.Generator) -> str:
    digits = "".join(str(d) for d in rng.integers(0, 10, 8))
    if country == "BE":
        body = "0" + str(rng.integers(2, 10)) + digits[:6]
        number = "BE" + body + f"{97 - int(body) % 97:02d}"
        valid = be_vat.is_valid(number)
    elif country == "DE":
        body = str(rng.integers(1, 10)) + digits[:7]
        number = "DE" + body + mod_11_10.calc_check_digit(body)
        valid = de_vat.is_valid(number)
    else:
        body = digits[:7] + "001"
        number = "IT" + body + luhn.calc_check_digit(body)
        valid = it_iva.is_valid(number[2:])
    assert valid, number
    return number


def spaced_vat(vat: str) -> str:
    """"FR 44 732 829 320": how a VAT number is copied from a letterhead."""
    rest = vat[4:]
    return f"{vat[:2]} {vat[2:4]} " + " ".join(rest[i:i + 3] for i in range(0, len(rest), 3))


# ------------------------------------------------------------------------------------------------
# companies
# ------------------------------------------------------------------------------------------------


@dataclass
class Establishment:
    number: int  # the NIC's first four digits
    street: str
    postcode: str
    city: str
    phone: int  # national number without the leading 0


@dataclass
class Company:
    org_id: str  # truth: O0001
    name: str  # without legal form
    form: str  # legal form code ("" for none)
    country: str
    siren: str | None
    vat: str | None
    domain: str | None
    establishments: list[Establishment] = field(default_factory=list)
    owner: int = -1  # population index of a sole trader's owner
    contacts: list[tuple[int, str]] = field(default_factory=list)  # (population index, role)


def _slug(name: str) -> str:
    return "-".join(email_part(fold_accents(name)).replace(".", "-").split("-")).strip("-")


def _address(rng: np.random.Generator) -> tuple[str, str, str]:
    addr = P.make_addresses(rng, 1)
    street = f"{addr.number[0]} {P.STREET_TYPES[addr.street_type[0]]} {P.STREET_NAMES[addr.street[0]]}"
    return street, str(P.CITY_POSTCODES[addr.city[0]]), str(P.CITY_NAMES[addr.city[0]])


def _name(rng: np.random.Generator, pop: P.Population) -> str:
    trade = TRADES[rng.integers(len(TRADES))]
    if rng.random() < 0.5:
        return f"{trade} {pop.surnames[pop.last[rng.integers(pop.n)]]}"
    return f"{trade} {QUALIFIERS[rng.integers(len(QUALIFIERS))]}"


def make_companies(pop: P.Population, rng: np.random.Generator, count: int | None = None) -> list[Company]:
    """The fair's trade companies (the first twelve of `vocab.COMPANIES`), then generated ones:
    one per `PEOPLE_PER_COMPANY` people, or `count` in all (the organisation benchmark's scale)."""
    fair = [(n, d) for n, d in vocab.COMPANIES[:12]]
    total = count if count is not None else len(fair) + max(MIN_COMPANIES, pop.n // PEOPLE_PER_COMPANY)
    companies: list[Company] = []
    names: set[str] = set()
    # landlines 01-05, never two alike (drawn without replacement, O(n) for an integer range)
    phones = iter((100_000_000 + rng.choice(500_000_000, size=total * 5, replace=False)).tolist())
    for i in range(3 * total):  # a name drawn twice is drawn again (one name, one company)
        if len(companies) == total:
            break
        owner = -1
        if i < len(fair):
            name, domain = fair[i]
        elif rng.random() < SOLE_TRADER_SHARE:
            owner = int(rng.integers(pop.n))
            name = f"{P.FIRST_NAMES[pop.first[owner]]} {pop.surnames[pop.last[owner]]}"
            domain = None
        else:
            name = _name(rng, pop)
            domain = f"{_slug(name)}.{'fr' if rng.random() < 0.8 else 'com'}" if rng.random() < 0.7 else None
        if name in names:
            continue
        names.add(name)
        foreign = owner < 0 and i >= len(fair) and rng.random() < FOREIGN_SHARE
        companies.append(_company(rng, f"O{len(companies) + 1:04d}", name, domain, owner, foreign, phones))
    return companies


def _company(rng: np.random.Generator, org_id: str, name: str, domain: str | None, owner: int, foreign: bool,
             phones: Iterator[int]) -> Company:
    if foreign:
        country, _, forms, (postcode, city) = FOREIGN[rng.integers(len(FOREIGN))]
        street, _, _ = _address(rng)
        company = Company(org_id, name, forms[rng.integers(len(forms))], country, None, foreign_vat(country, rng),
                          domain)
        company.establishments.append(Establishment(1, street, postcode, city, int(next(phones))))
        return company
    form = "EI" if owner >= 0 else list(LEGAL_FORMS)[rng.choice(len(LEGAL_FORMS), p=_p(LEGAL_FORM_WEIGHTS))]
    siren = make_siren(rng, leading_zero=rng.random() < 0.06)
    vat = french_vat(siren) if owner < 0 or rng.random() < 0.3 else None
    company = Company(org_id, name, form, "FR", siren, vat, domain, owner=owner)
    count = 1 if rng.random() >= SEVERAL_ESTABLISHMENTS else int(rng.integers(2, 5))
    for k in range(count):
        street, postcode, city = _address(rng)
        company.establishments.append(Establishment(k + 1, street, postcode, city, int(next(phones))))
    return company


def _p(weights: tuple[float, ...]) -> np.ndarray:
    w = np.asarray(weights, dtype=np.float64)
    return w / w.sum()


def assign_contacts(companies: list[Company], pop: P.Population, rng: np.random.Generator) -> None:
    """Named contacts: a sole trader's owner, the fair visitors who work there, then other people;
    some of them the contact of a second company too."""
    for index, company in enumerate(companies):
        if company.owner >= 0:
            company.contacts.append((company.owner, "Gérante" if pop.female[company.owner] else "Gérant"))
            continue
        if rng.random() >= WITH_CONTACT:
            continue
        staff = np.flatnonzero(pop.company == index) if index < 12 else np.empty(0, dtype=np.int64)
        people = staff[:2] if len(staff) else rng.integers(0, pop.n, size=int(rng.integers(1, 3)))
        for person in people:
            company.contacts.append((int(person), ROLES[rng.integers(len(ROLES))]))
    everyone = [(c, p, r) for c in companies for p, r in c.contacts if c.owner < 0]
    for company, person, _role in everyone:
        if rng.random() < TWO_COMPANY_CONTACT:
            other = companies[int(rng.integers(len(companies)))]
            if other is not company and all(p != person for p, _ in other.contacts):
                other.contacts.append((person, "Comptabilité"))


# ------------------------------------------------------------------------------------------------
# the ERP rows
# ------------------------------------------------------------------------------------------------


def _written_name(company: Company, rng: np.random.Generator) -> tuple[str, str | None]:
    """(Raison sociale, Forme juridique) as the ERP holds them: the form in its own column, in the
    name (before or after), or nowhere."""
    if not company.form:
        return company.name, None
    variants = LEGAL_FORMS.get(company.form, (company.form,))
    written = variants[rng.integers(len(variants))]
    draw = rng.random()
    if draw < 0.45:
        return company.name, company.form if rng.random() < 0.8 else written
    if draw < 0.75:
        return f"{company.name} {written}", None
    if draw < 0.85 and len(written) > 2:
        return f"{written} {company.name}", None
    return company.name, None


def _website(domain: str | None, rng: np.random.Generator) -> str | None:
    if domain is None or rng.random() < 0.25:
        return None
    return (("https://www.", "www.", "http://", "")[rng.integers(4)]) + domain + ("/" if rng.random() < 0.3 else "")


def tiers_rows(companies: list[Company], rng: np.random.Generator, reference_date: date) -> pd.DataFrame:
    """One ERP account per establishment invoiced, some typed twice; with truth columns."""
    rows = []
    for company in companies:
        for est in company.establishments:
            rows.append(_tiers_row(company, est, rng, reference_date))
            if rng.random() < DOUBLE_ENTRY:  # the same shop entered again by another clerk
                twin = _tiers_row(company, est, rng, reference_date)
                twin.update({"Raison sociale": company.name.upper(), "Forme juridique": None, "SIREN": None,
                             "SIRET": None, "N° TVA intracommunautaire": None, "Site web": None})
                rows.append(twin)
    frame = pd.DataFrame(rows)
    frame = frame.sort_values(["Date création", "org_id"], kind="stable").reset_index(drop=True)
    frame.insert(0, "Code tiers", [f"T{i + 1:05d}" for i in range(len(frame))])
    return frame


def _tiers_row(company: Company, est: Establishment, rng: np.random.Generator, reference_date: date) -> dict:
    name, form = _written_name(company, rng)
    siret = make_siret(company.siren, est.number) if company.siren else None
    if siret and rng.random() < BAD_SIRET_KEY:
        siret = siret[:-1] + str((int(siret[-1]) + 1) % 10)  # a digit mistyped: the Luhn key fails
    siren = company.siren if company.siren and rng.random() < 0.5 else None
    if siren and siren.startswith("0"):
        siren = siren.lstrip("0")  # Excel read the column as a number
    vat = company.vat
    if vat and rng.random() < VAT_WITH_SPACES:
        vat = spaced_vat(vat) if rng.random() < 0.7 else vat.lower()
    created = reference_date - timedelta(days=int(rng.integers(200, 3000)))
    last = created + timedelta(days=int(rng.integers(0, (reference_date - created).days)))
    return {
        "Raison sociale": name, "Forme juridique": form, "SIREN": siren, "SIRET": siret,
        "N° TVA intracommunautaire": vat, "Adresse": est.street, "Code postal": est.postcode, "Ville": est.city,
        "Pays": "France" if company.country == "FR" else company.country,
        "Téléphone": _phone(est.phone) if company.country == "FR" else None,
        "Site web": _website(company.domain, rng), "Date création": created.strftime("%d/%m/%Y"),
        "Dernière facture": last.strftime("%d/%m/%Y"), "org_id": company.org_id,
    }


def _phone(number: int, style: int = 0) -> str:
    """06 12 34 56 78 (style 0), 06.12.34.56.78 (1), 0612345678 (2)."""
    return str(phone_text(np.array([number]), np.array([style]))[0])


def contact_rows(companies: list[Company], pop: P.Population, tiers: pd.DataFrame,
                 rng: np.random.Generator) -> pd.DataFrame:
    """One row per (company, contact person): their account, name, role, e-mail, mobile."""
    first_account = tiers.drop_duplicates("org_id").set_index("org_id")
    rows = []
    for company in companies:
        account = first_account.loc[company.org_id]
        for person, role in company.contacts:
            first, last = str(P.FIRST_NAMES[pop.first[person]]), str(pop.surnames[pop.last[person]])
            email = None
            if company.domain and company.owner < 0 and rng.random() < 0.8:
                email = f"{email_part(fold_accents(first))[:1]}.{email_part(fold_accents(last))}@{company.domain}"
            elif rng.random() < 0.7:  # a small firm's contact gives their own mailbox
                email = f"{pop.email_local[person]}@{P.DOMAINS[pop.email_domain[person]]}"
            mobile = int(pop.mobile[person])
            rows.append({
                "Code tiers": account["Code tiers"], "Raison sociale": account["Raison sociale"],
                "SIRET": account["SIRET"], "Civilité": "Mme" if pop.female[person] else "M.",
                "Nom": last.upper() if rng.random() < 0.5 else last, "Prénom": first, "Fonction": role,
                "E-mail": email,
                "Téléphone": _phone(mobile, int(rng.integers(3))) if rng.random() < 0.85 else None,
                "org_id": company.org_id, "person": person,
            })
    frame = pd.DataFrame(rows, columns=[c for c in CONTACT_HEADERS if c != "Code contact"] + ["org_id", "person"])
    frame.insert(0, "Code contact", [f"K{i + 1:05d}" for i in range(len(frame))])
    return frame


# ------------------------------------------------------------------------------------------------
# files and truth
# ------------------------------------------------------------------------------------------------

TIERS_FILE = "erp/tiers.csv"
CONTACTS_FILE = "erp/contacts.csv"


@dataclass
class B2B:
    """The ERP rows as written (with `org_id`, and `person` for contacts), and the companies."""

    companies: list[Company]
    tiers: pd.DataFrame
    contacts: pd.DataFrame

    def organisation_of(self, name: str) -> str | None:
        """The truth id of the company with this name (as the generator made it)."""
        return next((c.org_id for c in self.companies if c.name == name), None)


def make_b2b(pop: P.Population, seed: int, reference_date: date) -> B2B:
    """Companies, their accounts and contacts, from a random stream of their own."""
    rng = np.random.default_rng([seed, 2])
    companies = make_companies(pop, rng)
    assign_contacts(companies, pop, rng)
    tiers = tiers_rows(companies, rng, reference_date)
    return B2B(companies, tiers, contact_rows(companies, pop, tiers, rng))


def write_erp(b2b: B2B, inbox: Path) -> list[Path]:
    """`;`-separated, Windows-1252, CRLF: an ERP's "export to Excel"."""
    out = []
    for name, frame, headers in ((TIERS_FILE, b2b.tiers, TIERS_HEADERS), (CONTACTS_FILE, b2b.contacts, CONTACT_HEADERS)):
        path = inbox / name
        path.parent.mkdir(parents=True, exist_ok=True)
        frame[headers].to_csv(path, sep=";", index=False, encoding="cp1252", lineterminator="\r\n")
        out.append(path)
    return out
