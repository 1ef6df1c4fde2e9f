"""A company generator independent of ours, to check that the organisation matcher generalises.

`mdm.demo.companies` makes the demo's ERP accounts, and the organisation matcher was tuned on
them, on the restaurants and on STOXX 50. This generator shares none of their code or tables:
names come from Faker (French, German, British and Spanish company names, founders' surnames
with a trade in front, generic shop names), identifiers are drawn here, and the errors follow the
GeCo-like model of `benchmarks.independent_gen` (its typo, OCR and phone helpers) plus what company
files add: legal forms dropped, moved or spelt another way, abbreviations, Excel-damaged SIRETs,
switchboards and direct lines, websites and contact addresses written several ways.

The world holds what makes companies hard, on purpose:

- **namesakes**: "Boulangerie Martin" and "Pharmacie du Centre" in many towns, and founders'
  surnames alone ("Lacroix") as Faker's French names often are: different legal units;
- **establishments**: a third of the companies have two to four sites (their own address and
  direct line, one SIREN; SIRET = SIREN + the site's number): one legal unit, the truth's unit;
- **co-located companies**: business centres where two to six companies share an address, and
  often the switchboard: different legal units;
- **groups**: subsidiaries sharing the group's web domain and the head of its name ("Durand
  Immobilier", "Durand Services"), each with its own SIREN: different legal units.

It writes a canonical CSV (`mdm evaluate`'s input; `../shared/benchmarks/splink_baseline.py`
reads its phone and address columns) with the truth, the legal unit, in `organisation_id`.
Faker is not a dependency of the product: run it from the repository root with the venv of
`benchmarks.independent_gen`::

    benchmarks/.venv-faker/bin/python -m benchmarks.independent_org_gen --companies 50000 --seed 3 \\
        --out benchmarks/data/independent-orgs-50000-s3.csv
    .venv/bin/mdm evaluate benchmarks/data/independent-orgs-50000-s3.csv --truth-column organisation_id

Figures are in docs/organisations.md ("An independent generator").
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from benchmarks.independent_gen import Generator, fold, write_shuffled

#: Trades written before a founder's surname or a place ("Boulangerie Martin", "Hôtel de la Gare").
TRADES = ("Boulangerie", "Garage", "Pharmacie", "Restaurant", "Hôtel", "Cabinet", "Plomberie", "Menuiserie",
          "Boucherie", "Transports", "Auto-école", "Coiffure", "Librairie", "Fleurs", "Électricité",
          "Immobilier", "Optique", "Assurances", "Bâtiment", "Informatique")
#: Where a shop is, for names shared by many towns' shops.
PLACES = ("du Centre", "de la Gare", "de la Mairie", "du Marché", "de la Poste", "du Port", "des Halles",
          "de l'Église", "du Château", "de la Place")
#: A subsidiary's name after the group's head.
BRANCHES = ("Holding", "Services", "Immobilier", "Distribution", "Logistique", "Conseil", "Industrie")
#: The legal forms and the ways files write them.
FORMS = {"SARL": ("SARL", "S.A.R.L.", "Sarl", "sarl"), "SAS": ("SAS", "S.A.S.", "Sas"),
         "SA": ("SA", "S.A.", "Société Anonyme"), "EURL": ("EURL", "E.U.R.L."), "SASU": ("SASU", "S.A.S.U."),
         "SNC": ("SNC", "S.N.C.")}
#: Abbreviations files use (written form, abbreviated form).
ABBREVIATIONS = (("Établissements", "Ets"), ("Saint", "St"), ("Compagnie", "Cie"), (" et ", " & "),
                 ("Avenue", "Av."), ("avenue", "av."), ("Boulevard", "Bd"), ("boulevard", "bd"))
SOURCES = ("erp", "crm", "salon", "compta", "achats")
WEBMAIL = ("orange.fr", "gmail.com", "wanadoo.fr", "free.fr", "sfr.fr")
#: Records per company (1 to 6) and their weights.
RECORDS_PER_COMPANY = ((1, 2, 3, 4, 5, 6), (40, 26, 14, 10, 6, 4))
COLUMNS = ("record_id", "source", "company", "siret", "vat_number", "website", "email", "phone", "street",
           "postcode", "city", "country", "organisation_id")


@dataclass
class Site:
    """One establishment: its SIRET, address and direct line."""

    siret: str
    street: str
    postcode: str
    city: str
    phone: str


@dataclass
class Company:
    oid: int
    name: str
    form: str                       # a key of FORMS, or "" (no legal form in its name)
    siren: str
    domain: str                     # "" when it has no website
    webmail: bool                   # writes from a provider's address, not its own domain
    sites: list[Site] = field(default_factory=list)


def luhn_complete(digits: str) -> str:
    """`digits` and the check digit that makes the whole number pass Luhn's test (SIREN, SIRET)."""
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return digits + str(-total % 10)


class OrgGenerator(Generator):
    """Companies, their sites and their records, from one seed."""

    def siren(self) -> str:
        return luhn_complete(self.rng.choice("123456789") + self.digits(7))

    def site(self, siren: str, number: int, place: tuple[str, str, str] | None = None) -> Site:
        street, postcode, city = place or self.address()
        return Site(luhn_complete(siren + f"{number:04d}"), street, postcode, city,
                    "0" + self.rng.choice("12345") + self.digits(8))

    def name(self) -> tuple[str, str]:
        """A company name and its legal form's key ("" when the name carries none)."""
        x = self.rng.random()
        fr = self.fakers["fr_FR"]
        if x < 0.35:
            faker = self.fakers[self.rng.choice(("fr_FR",) * 5 + ("de_DE", "en_GB", "es_ES"))]
            name = faker.company()
            for form, spellings in FORMS.items():       # a French form Faker wrote: ours to respell
                for spelling in spellings:
                    if name.endswith(" " + spelling):
                        return name[: -len(spelling) - 1], form
            return name, ""                             # a foreign suffix, if any, stays as Faker writes it
        if x < 0.70:
            name = f"{self.rng.choice(TRADES)} {fr.last_name()}"
        elif x < 0.85:
            name = f"{self.rng.choice(TRADES)} {self.rng.choice(PLACES)}"
        else:
            name = fr.last_name() + self.rng.choice(("tec", "ia", "is", "o", "ex", " Conseil", " Industrie"))
        form = self.rng.choice(("", "", *FORMS))
        return name, form

    def domain(self, name: str, taken: set[str]) -> str:
        """A web domain of its own, from the name (a number appended when another company has it)."""
        slug = "".join(c if c.isalnum() else "-" for c in fold(name).lower()).strip("-")
        domain = slug + self.rng.choice((".fr", ".com", ".eu"))
        while domain in taken:
            domain = f"{slug}{self.rng.randint(2, 999)}.fr"
        taken.add(domain)
        return domain

    def companies(self, count: int) -> list[Company]:
        out: list[Company] = []
        centres: list[tuple[str, str, str, str]] = []     # a business centre's address and switchboard
        taken: set[str] = set()
        while len(out) < count:
            name, form = self.name()
            domain = self.domain(name, taken)
            company = Company(len(out), name, form, self.siren(), domain if self.rng.random() < 0.6 else "",
                              webmail=self.rng.random() < 0.3)
            if self.rng.random() < 0.12:                  # in a business centre
                if not centres or self.rng.random() < 0.3:
                    centres.append((*self.address(), "0" + self.rng.choice("12345") + self.digits(8)))
                street, postcode, city, board = self.rng.choice(centres[-20:])
                site = self.site(company.siren, 10, (street, postcode, city))
                if self.rng.random() < 0.5:
                    site.phone = board
                company.sites.append(site)
            else:
                company.sites.append(self.site(company.siren, 10))
            if self.rng.random() < 0.3:                   # more establishments
                for k in range(self.rng.choice((1, 1, 2, 3))):
                    company.sites.append(self.site(company.siren, 20 + 10 * k))
            out.append(company)
            if self.rng.random() < 0.03 and not any(place in name for place in PLACES):
                head = name.split()[-1] if name.split()[0] in TRADES else name.split()[0]   # the founder's name
                for branch in self.rng.sample(BRANCHES, self.rng.choice((1, 2))):
                    sub = replace(company, oid=len(out), name=f"{head} {branch}", siren=self.siren(), sites=[])
                    sub.sites.append(self.site(sub.siren, 10))
                    out.append(sub)
        return out

    def org_record(self, c: Company, first: bool, source: str) -> dict[str, Any]:
        """A record of `c` at one of its sites: the first as it is, the others with errors per field."""
        site = c.sites[0] if first or self.rng.random() < 0.5 else self.rng.choice(c.sites)
        form = self.rng.choice(FORMS[c.form]) if c.form else ""
        r = {"company": f"{c.name} {form}".strip() if form else c.name, "siret": site.siret,
             "vat_number": "", "website": f"www.{c.domain}" if c.domain else "",
             "email": self.email(c), "phone": site.phone, "street": site.street, "postcode": site.postcode,
             "city": site.city}
        if not first:
            self.company_name(r, c, form)
            self.identifiers(r, c, held=0.8 if source == "erp" else 0.25)
            self.channels(r, c)
            self.place(r)
        r["phone"] = self.phone_format(r["phone"]) if r["phone"] else ""
        return r

    def email(self, c: Company) -> str:
        user = self.rng.choice(("contact", "info", "compta", "direction", "commercial"))
        if c.webmail or not c.domain:
            user = "".join(ch for ch in fold(c.name.split()[-1]).lower() if ch.isalnum())
            return f"{user}{self.rng.randint(1, 99)}@{self.rng.choice(WEBMAIL)}"
        return f"{user}@{c.domain}"

    def company_name(self, r: dict[str, Any], c: Company, form: str) -> None:
        name = c.name
        x = self.rng.random()
        if x < 0.25 and c.form:
            r["company"] = name                                               # form dropped
        elif x < 0.35 and c.form:
            r["company"] = f"{self.rng.choice(FORMS[c.form])} {name}"         # form in front, another spelling
        elif x < 0.42 and not c.form:
            r["company"] = f"{name} {self.rng.choice(list(FORMS))}"           # a form the others do not write
        y = self.rng.random()
        if y < 0.08:
            r["company"] = self.typo(r["company"])
        elif y < 0.10:
            r["company"] = self.ocr(r["company"])
        elif y < 0.20:
            r["company"] = r["company"].upper()
        elif y < 0.26:
            r["company"] = fold(r["company"])
        elif y < 0.31:
            for written, short in ABBREVIATIONS:
                r["company"] = r["company"].replace(written, short)
        elif y < 0.35 and len(words := r["company"].split()) >= 3:
            del words[self.rng.randrange(1, len(words))]                      # a word left out
            r["company"] = " ".join(words)

    def identifiers(self, r: dict[str, Any], c: Company, held: float) -> None:
        x = self.rng.random()
        if x > held:
            r["siret"] = ""
        elif x < 0.05:
            r["siret"] = f"{int(r['siret'])}.0"                                # Excel's float
        elif x < 0.08:
            i = self.rng.randrange(0, 14)
            r["siret"] = r["siret"][:i] + str((int(r["siret"][i]) + 1) % 10) + r["siret"][i + 1:]  # invalid
        elif x < 0.18:
            r["siret"] = c.siren                                             # the SIREN in the SIRET column
        if self.rng.random() < 0.12:
            key = (12 + 3 * (int(c.siren) % 97)) % 97
            r["vat_number"] = f"FR{key:02d}{c.siren}"

    def channels(self, r: dict[str, Any], c: Company) -> None:
        x = self.rng.random()
        if x < 0.2:
            r["phone"] = ""
        elif x < 0.25:
            i = self.rng.randrange(2, 10)
            r["phone"] = r["phone"][:i] + self.rng.choice("0123456789") + r["phone"][i + 1:]
        elif x < 0.32:
            r["phone"] = "0" + self.rng.choice("67") + self.digits(8)       # someone's mobile
        x = self.rng.random()
        if x < 0.35:
            r["website"] = ""
        elif x < 0.5 and r["website"]:
            r["website"] = self.rng.choice((f"http://{r['website']}/", f"https://{c.domain}", c.domain))
        x = self.rng.random()
        if x < 0.35:
            r["email"] = ""
        elif x < 0.55:
            r["email"] = self.email(c)

    def place(self, r: dict[str, Any]) -> None:
        super().place(r)
        x = self.rng.random()
        if x < 0.1:
            for written, short in ABBREVIATIONS[4:]:
                r["street"] = r["street"].replace(written, short)
        elif x < 0.2:
            r["city"] = r["city"].upper() + (" CEDEX" if self.rng.random() < 0.3 else "")


def write(companies: list[Company], gen: OrgGenerator, out: Path) -> int:
    rows = []
    for c in companies:
        count = gen.rng.choices(*RECORDS_PER_COMPANY)[0]
        for k in range(count):
            source = "erp" if k == 0 else gen.rng.choice(SOURCES)
            rows.append(gen.org_record(c, k == 0, source) | {"organisation_id": c.oid, "source": source,
                                                              "country": "FR"})
    return write_shuffled(rows, gen, out, COLUMNS, "o")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--companies", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    gen = OrgGenerator(args.seed)
    companies = gen.companies(args.companies)
    print(f"{write(companies, gen, args.out)} records of {len(companies)} companies -> {args.out}")


if __name__ == "__main__":
    main()
