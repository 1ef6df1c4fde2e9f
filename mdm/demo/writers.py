"""Write keyed records in each demo source's own layout (see mdm/demo/mdm.yaml for the contract).

The layouts are the ones the bundled config expects, byte for byte in the headers. Presentation
habits of each source (a CRM that types surnames in capitals, a fair spreadsheet that stores
phones as numbers) are applied here; the errors themselves come from `mdm.demo.records`.
"""

from __future__ import annotations

import re
import zipfile
from datetime import date, datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from mdm.demo.render import date_parts_text, days_text, phone_text, timestamp_text
from mdm.demo.textops import cat, fold_accents, objects, per_distinct, where_obj
from warehouse.connection import sql_literal

CRM_HEADERS = [
    "Code client", "Civilité", "Nom", "Prénom", "Courriel", "Téléphone", "Adresse", "Code postal", "Ville",
    "Pays", "Date de naissance", "Date de création", "Dernier contact", "Statut",
]
SALON_HEADERS = ["N°", "Nom complet", "Société", "E-mail", "Portable", "CP", "Ville", "Date visite"]
NEWSLETTER_HEADERS = ["email", "prenom", "opt_in", "date_inscription"]


def _choice(rng: np.random.Generator, n: int, options: list[object], weights: list[float]) -> np.ndarray:
    p = np.asarray(weights, dtype=np.float64)
    return objects(np.asarray(options, dtype=object)[rng.choice(len(options), size=n, p=p / p.sum())])


def street_text(rows: pd.DataFrame, sep: str) -> np.ndarray:
    line1 = objects(rows["line1"].to_numpy())
    line2 = objects(rows["line2"].to_numpy())
    both = cat(objects(np.where(line1 == None, "", line1)), sep, objects(np.where(line2 == None, "", line2)))  # noqa: E711
    return objects(np.where(line2 == None, line1, both))  # noqa: E711


def crm_frame(rows: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """The CRM export's columns, with the CRM's habits (NOM in capitals, 'Monsieur', cities in capitals)."""
    n = len(rows)
    female = rows["female"].to_numpy()
    title = np.where(female, _choice(rng, n, ["Mme", "Madame", "Mlle", None], [80, 8, 4, 8]),
                     _choice(rng, n, ["M.", "Monsieur", "Mr", None], [82, 8, 2, 8]))
    last = objects(rows["last_name"].to_numpy())
    last = np.where(rng.random(n) < 0.4, per_distinct(last, str.upper), last)
    city = objects(rows["city"].to_numpy())
    city_style = rng.random(n)
    city = np.where(city_style < 0.3, per_distinct(city, str.upper),
                    np.where(city_style < 0.35, per_distinct(city, fold_accents), city))
    frame = pd.DataFrame({
        "Code client": rows["key"].to_numpy(),
        "Civilité": title,
        "Nom": last,
        "Prénom": rows["first_name"].to_numpy(),
        "Courriel": rows["email"].to_numpy(),
        "Téléphone": phone_text(rows["phone"].to_numpy(), rows["phone_style"].to_numpy()),
        "Adresse": street_text(rows, ", "),
        "Code postal": rows["postcode"].to_numpy(),
        "Ville": city,
        "Pays": _choice(rng, n, ["France", "FRANCE", "FR", None], [85, 5, 5, 5]),
        "Date de naissance": date_parts_text(rows["birth_y"], rows["birth_m"], rows["birth_d"], "dmy"),
        "Date de création": days_text(rows["created"].to_numpy(), "dmy"),
        "Dernier contact": days_text(rows["last_activity"].to_numpy(), "dmy"),
        "Statut": rows["status"].to_numpy(),
    })
    return frame[CRM_HEADERS]


def write_crm_csv(rows: pd.DataFrame, path: Path, rng: np.random.Generator) -> None:
    """Windows-1252, ';' delimited, CRLF line ends: what a French CRM's "export to Excel" gives."""
    path.parent.mkdir(parents=True, exist_ok=True)
    crm_frame(rows, rng).to_csv(path, sep=";", index=False, encoding="cp1252", lineterminator="\r\n")


def salon_rows(rows: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """The fair sheet's columns: one "Nom complet", phones and postcodes as numbers, visit as a date."""
    n = len(rows)
    first = objects(rows["first_name"].to_numpy())
    last = objects(rows["last_name"].to_numpy())
    upper_first = rng.random(n) < 0.15  # "DUPONT Jean", the way a badge scanner prints it
    f = objects(np.where(first == None, "", first))  # noqa: E711
    la = objects(np.where(last == None, "", last))  # noqa: E711
    full = np.where(upper_first, cat(per_distinct(la, str.upper), " ", f), cat(f, " ", la))
    full = per_distinct(objects(full), str.strip)
    full = where_obj(full == "", None, full)
    phone = rows["phone"].to_numpy()
    company = objects(rows["company"].to_numpy())
    company = where_obj(rng.random(n) < 0.7, company, None)
    return pd.DataFrame({
        "N°": rows["key"].to_numpy(),
        "Nom complet": full,
        "Société": company,
        "E-mail": rows["email"].to_numpy(),
        "Portable": np.where(phone > 0, phone, None),
        "CP": rows["postcode"].astype(int).to_numpy(),
        "Ville": rows["city"].to_numpy(),
        "Date visite": rows["created"].to_numpy().astype("datetime64[D]"),
    })


def write_salon_xlsx(rows: pd.DataFrame, path: Path, title: str, rng: np.random.Generator,
                     reference_date: date) -> pd.DataFrame:
    """A real .xlsx (openpyxl, write-only): a title row, a blank row, then the header and the data.
    Returns the cells written (the organisation truth reads which badges name a company)."""
    from openpyxl import Workbook

    frame = salon_rows(rows, rng)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = Workbook(write_only=True)
    stamp = datetime.combine(reference_date, datetime.min.time())
    workbook.properties.created = stamp
    workbook.properties.modified = stamp
    workbook.properties.creator = "customer-mdm demo generator"
    sheet = workbook.create_sheet("Contacts")
    sheet.append([title])
    sheet.append([])
    sheet.append(SALON_HEADERS)
    visits = [d.item() for d in frame["Date visite"].to_numpy()]
    columns = [frame[c].to_numpy(dtype=object).tolist() for c in SALON_HEADERS[:-1]]
    for values in zip(*columns, visits, strict=True):
        sheet.append([_cell(v) for v in values])
    workbook.save(path)
    _pin_zip_timestamps(path, stamp)
    return frame


def _pin_zip_timestamps(path: Path, when: datetime) -> None:
    """Rewrite the .xlsx zip with fixed entry times: the same seed then gives the same bytes.

    openpyxl stamps every zip entry with the current time, so without this a regenerated demo
    would look like a new file to a content-hash check even though no cell changed.
    """
    with zipfile.ZipFile(path) as source:
        entries = [(info, source.read(info)) for info in source.infolist()]
    stamp = (when.year, when.month, when.day, 0, 0, 0)
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for info, data in entries:
            if info.filename == "docProps/core.xml":  # openpyxl sets `modified` to now on save
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + when.strftime("%Y-%m-%dT%H:%M:%SZ").encode(), data)
            pinned = zipfile.ZipInfo(info.filename, date_time=stamp)
            pinned.compress_type = zipfile.ZIP_DEFLATED
            pinned.external_attr = info.external_attr
            target.writestr(pinned, data)
    tmp.replace(path)


def write_sheet(frame: pd.DataFrame, path: Path, sheet_name: str, stamp: datetime) -> None:
    """A plain .xlsx (header on the first row), numbers and dates as Excel cells, same bytes per seed."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    workbook.properties.created = stamp
    workbook.properties.modified = stamp
    workbook.properties.creator = "customer-mdm demo generator"
    sheet = workbook.create_sheet(sheet_name)
    sheet.append(list(frame.columns))
    columns = [frame[c].tolist() for c in frame.columns]  # Timestamps become datetimes, numbers stay numbers
    for values in zip(*columns, strict=True):
        sheet.append([_cell(v.to_pydatetime() if isinstance(v, pd.Timestamp) else v) for v in values])
    workbook.save(path)
    _pin_zip_timestamps(path, stamp)


def _cell(value: object) -> object:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.integer):
        return int(value)
    return value


def webshop_frame(rows: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    n = len(rows)
    return pd.DataFrame({
        "customer_id": rows["key"].to_numpy(),
        "first_name": rows["first_name"].to_numpy(),
        "last_name": rows["last_name"].to_numpy(),
        "email": rows["email"].to_numpy(),
        "phone": phone_text(rows["phone"].to_numpy(), rows["phone_style"].to_numpy()),
        "birthdate": date_parts_text(rows["birth_y"], rows["birth_m"], rows["birth_d"], "iso"),
        "line1": rows["line1"].to_numpy(),
        "line2": rows["line2"].to_numpy(),
        "postcode": rows["postcode"].to_numpy(),
        "city": rows["city"].to_numpy(),
        "country": _choice(rng, n, ["FR", "France"], [90, 10]),
        "created_at": timestamp_text(rows["created"].to_numpy()),
        "last_order_at": timestamp_text(rows["last_activity"].to_numpy()),
        "orders_count": rows["orders_count"].to_numpy().astype(np.int64),
    })


def write_webshop_ndjson(rows: pd.DataFrame, path: Path, rng: np.random.Generator) -> None:
    """UTF-8 NDJSON with a nested address object, written by DuckDB (fast and byte-stable)."""
    frame = webshop_frame(rows, rng)
    frame["i"] = np.arange(len(frame))
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    try:
        con.execute("SET threads = 1")  # one writer thread: the line order is the frame's order
        con.register("shop", frame)
        con.execute(
            "COPY (SELECT customer_id, first_name, last_name, email, phone, birthdate, "
            "{'line1': line1, 'line2': line2, 'postcode': postcode, 'city': city, 'country': country} AS address, "
            "created_at, last_order_at, orders_count FROM shop ORDER BY i) "
            f"TO {sql_literal(str(path))} (FORMAT json)"
        )
    finally:
        con.close()



def write_newsletter_csv(rows: pd.DataFrame, path: Path, rng: np.random.Generator) -> None:
    """UTF-8, ',' delimited; the opt-in flag as oui/non, or 1/0 in rows imported from an older tool."""
    n = len(rows)
    opt = rows["opt_in"].to_numpy()
    numeric = rng.random(n) < 0.3
    flag = np.where(numeric, np.where(opt, "1", "0"), np.where(opt, "oui", "non"))
    frame = pd.DataFrame({
        "email": rows["email"].to_numpy(),
        "prenom": rows["first_name"].to_numpy(),
        "opt_in": flag,
        "date_inscription": days_text(rows["created"].to_numpy(), "iso"),
    })
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
