"""Demo events for the demo people, in the same messy style as their customer files.

Three exports a French company really has beside its customer files (docs/demo-data.md):

- `eshop/commandes.csv`: the e-shop's orders, ';'-separated, French amounts ("1 234,50 €"),
  dd/mm/yyyy HH:MM dates, referring to customers by the web-shop's customer id; a few orders of
  accounts the customer export does not hold (held) and impossible dates (quarantined);
- `service_client/appels.xlsx`: the call centre's sheet, phones stored as numbers (leading zero
  lost), French type words (Appel, Réclamation), Excel dates, a CRM code typed by some agents;
- `campagnes/emailing.csv`: the e-mailing tool's export, sends and replies by e-mail address only,
  addresses in upper case now and then, ISO timestamps with a time zone.

Deterministic: same seed, same rows (`np.random.default_rng([seed, 2])`); dates lie between each
record's creation and its last activity, never after the reference date.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

ESHOP_FILE = Path("eshop/commandes.csv")
CALLS_FILE = Path("service_client/appels.xlsx")
CAMPAIGN_FILE = Path("campagnes/emailing.csv")

CAMPAIGNS = ("Soldes d'hiver", "Nouvelle collection", "Fête des pères", "Black Friday")


def _moments(rng: np.random.Generator, start: pd.Series, end: pd.Series) -> pd.Series:
    """A random moment between each start and end (end when they are equal)."""
    start_ns = start.to_numpy(dtype="datetime64[ns]").astype(np.int64)
    end_ns = np.maximum(end.to_numpy(dtype="datetime64[ns]").astype(np.int64), start_ns)
    picked = start_ns + (rng.random(len(start_ns)) * (end_ns - start_ns)).astype(np.int64)
    return pd.Series(pd.to_datetime(picked).floor("min"), index=start.index)


def _french_amount(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """12,50 / 1 234,50 € / 1234,5: what a French back office exports."""
    text = np.array([f"{v:,.2f}".replace(",", "\u00a0").replace(".", ",") for v in values], dtype=object)
    euro = rng.random(len(values)) < 0.3
    return np.where(euro, text + " €", text)


def eshop_orders(records: pd.DataFrame, rng: np.random.Generator, reference: datetime) -> pd.DataFrame:
    shop = records[(records["source"] == "webshop") & (records["orders_count"] > 0)]
    rows = shop.loc[shop.index.repeat(shop["orders_count"].to_numpy())]
    when = _moments(rng, rows["created"], rows["last_activity"].clip(upper=reference))
    amounts = np.round(rng.lognormal(mean=4.0, sigma=0.7, size=len(rows)), 2)
    frame = pd.DataFrame({
        "N° commande": [f"CMD-{i:07d}" for i in range(1, len(rows) + 1)],
        "Réf client": rows["key"].to_numpy(),
        "Date": when.dt.strftime("%d/%m/%Y %H:%M").to_numpy(),
        "Montant TTC": _french_amount(amounts, rng),
        "Statut": np.where(rng.random(len(rows)) < 0.04, "Remboursée", "Livrée"),
    })
    # Accounts the customer export lacks (deleted on the shop), and impossible dates.
    unknown = rng.random(len(frame)) < 0.01
    frame.loc[unknown, "Réf client"] = [f"W9{i:05d}" for i in range(int(unknown.sum()))]
    bad = rng.choice(len(frame), size=min(3, len(frame)), replace=False)
    frame.loc[frame.index[bad], "Date"] = "31/02/2026 10:00"
    return frame.sort_values("Date", kind="stable").reset_index(drop=True)


def call_centre(records: pd.DataFrame, rng: np.random.Generator, reference: datetime) -> pd.DataFrame:
    crm = records[(records["source"] == "crm") & (records["phone"].fillna(0) > 0)]
    callers = crm[rng.random(len(crm)) < 0.2]
    when = _moments(rng, callers["created"], callers["last_activity"].clip(upper=reference))
    typed = rng.random(len(callers)) < 0.5
    return pd.DataFrame({
        "Date appel": when.to_numpy(),
        "Téléphone": callers["phone"].astype("int64").to_numpy(),  # a number: the leading zero is gone
        "Code client": np.where(typed, callers["key"].to_numpy(), None),
        "Motif": rng.choice(["Appel", "Réclamation", "Appel"], size=len(callers)),
        "Canal": "téléphone",
    }).sort_values("Date appel", kind="stable").reset_index(drop=True)


def campaigns(records: pd.DataFrame, rng: np.random.Generator, reference: datetime) -> pd.DataFrame:
    subscribers = records[(records["source"] == "newsletter") & records["email"].notna()]
    rows = []
    for number, name in enumerate(CAMPAIGNS):
        sent = reference - pd.DateOffset(months=3 * (len(CAMPAIGNS) - number) + 1)
        sent_at = pd.Timestamp(sent).replace(hour=9, minute=30)
        emails = subscribers["email"].to_numpy(dtype=object)
        shout = rng.random(len(emails)) < 0.1
        emails = np.where(shout, np.char.upper(emails.astype(str)).astype(object), emails)
        rows.append(pd.DataFrame({"email": emails, "campagne": name, "evenement": "envoi campagne",
                                  "horodatage": sent_at.strftime("%Y-%m-%dT%H:%M:%S+01:00")}))
        replied = rng.random(len(emails)) < 0.08
        reply_at = sent_at + pd.Timedelta(days=2)
        rows.append(pd.DataFrame({"email": emails[replied], "campagne": name, "evenement": "réponse campagne",
                                  "horodatage": reply_at.strftime("%Y-%m-%dT%H:%M:%S+01:00")}))
    return pd.concat(rows, ignore_index=True)


def write_demo_events(records: pd.DataFrame, inbox: Path, seed: int, reference_date: date) -> list[Path]:
    """Write the three event exports into `inbox`; returns their paths."""
    from mdm.demo.writers import write_sheet

    rng = np.random.default_rng([seed, 2])
    reference = datetime.combine(reference_date, datetime.min.time())
    paths = [inbox / ESHOP_FILE, inbox / CALLS_FILE, inbox / CAMPAIGN_FILE]
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
    eshop_orders(records, rng, reference).to_csv(paths[0], sep=";", index=False, encoding="utf-8",
                                                 lineterminator="\n")
    write_sheet(call_centre(records, rng, reference), paths[1], "Appels", reference)
    campaigns(records, rng, reference).to_csv(paths[2], index=False, encoding="utf-8", lineterminator="\n")
    return paths
