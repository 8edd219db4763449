"""PHOF 2.16 / C20 written plainly with pandas (pyarrow CSV reader), as a user might:
the peer the pipeline should be no slower than. Same rules as baseline_duckdb.sql, the
row contract included: values trimmed of whitespace, empty = missing, codes and initials
upper-cased; a line breaking the contract (a missing required field, a bad date, an
implausible date of birth, a code outside its list, an initial that is not one letter) is
dropped, and so is every line of a key repeated within a file; then the latest valid
version per key across files."""

import re
import sys
from functools import cache
from pathlib import Path

import pandas as pd

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
# every Unicode White_Space character, as the loader trims them (contract.normalised)
BLANK = "\t\n\x0b\x0c\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000"
ISO_DATE = r"\d{4}-\d{2}-\d{2}"

# per extract: key, text columns, code columns, required columns, date columns, inline code lists
# and seed code lists ((seed file, code column)); everything else is optional text
SEX, YN = {"1", "2", "3", "9"}, {"Y", "N"}
ATTRIBUTOR_CODES = {"SEX": SEX, "GENDER": {"M", "W", "N", "O", "Z"}, "DISABLE": {"Y", "N", "Z"}}
ATTRIBUTOR_SEEDS = {"ETHNIC": ("ethnic_groups", "ethnic_code")}
DRUG_SEEDS = {d: ("substances", "substance_code") for d in ("DRUG1", "DRUG2", "DRUG3")}
DISCHARGE_SEED = {"DISRSN": ("discharge_reasons", "discharge_reason_code")}
RULES = {
    "ndtms_secure": {
        "key": "EPISODID",
        "upper": ["AGNCY", "FINITIAL", "SINITIAL", "EXITDEST", "LSOA"],
        "required": ["EPISODID", "AGNCY", "ESTAB", "CLIENT", "FINITIAL", "SINITIAL", "DOB", "SEX"]
        + ["RECEPDT", "TRIAGED", "DRUG1"],
        "dates": ["RECEPDT", "TRIAGED", "DISD", "PRISEXDT"],
        "codes": {
            **ATTRIBUTOR_CODES,
            "RORSTAT": {"1", "2", "3", "4"},
            "PRISEXRSN": {"REL", "TRN", "DTH", "OTH"},
            "INREACH": YN,
        },
        "seeds": {"ESTAB": ("prisons", "estab_code"), **ATTRIBUTOR_SEEDS, **DRUG_SEEDS, **DISCHARGE_SEED},
    },
    "ndtms_community": {
        "key": "EPISODID",
        "upper": ["AGNCY", "FINITIAL", "SINITIAL", "UTLA", "LSOA"],
        "required": ["EPISODID", "AGNCY", "CLIENT", "FINITIAL", "SINITIAL", "DOB", "SEX", "UTLA", "REFLD", "DRUG1"],
        "dates": ["REFLD", "TRIAGED", "DISD"],
        "codes": {**ATTRIBUTOR_CODES, "RFLS": {"PRI", "PRO", "SLF", "GP", "OTH"}},
        "seeds": {**ATTRIBUTOR_SEEDS, **DRUG_SEEDS, **DISCHARGE_SEED},
    },
    "ndtms_interventions": {
        "key": "MODID",
        "upper": [],
        "required": ["MODID", "EPISODID", "MODAL"],
        "dates": ["REFMODDT", "FAOMODDT", "MODST", "MODEND"],
        "codes": {"MODEXIT": {"A", "B", "C"}},
        "seeds": {"MODAL": ("modalities", "modality_code")},
    },
}


@cache
def seed_codes(stem: str, column: str) -> set[str]:
    return set(pd.read_csv(SEEDS / f"{stem}.csv", dtype=str, keep_default_na=False)[column].str.strip().str.upper())


def date_ok(v: pd.Series) -> pd.Series:
    parsed = pd.to_datetime(v, format="%Y-%m-%d", errors="coerce")
    return v.isna() | (v.str.fullmatch(ISO_DATE).fillna(False).astype(bool) & parsed.notna())


def valid_lines(df: pd.DataFrame, extract: str, extract_date: pd.Timestamp) -> pd.DataFrame:
    """One file's lines that keep the row contract, values normalised as the loader does."""
    rules = RULES[extract]
    upper = set(rules["upper"]) | set(rules["codes"]) | set(rules["seeds"])
    df.columns = [c.strip().upper() for c in df.columns]
    for column in {rules["key"], *rules["required"], *rules["dates"], *upper} - set(df.columns):
        df[column] = None  # an optional column the file leaves out is empty
    for column in df.columns:
        v = df[column].str.strip(BLANK)
        df[column] = (v.str.upper() if column in upper else v).replace("", None)
    ok = pd.Series(True, index=df.index)
    for column in rules["required"]:
        ok &= df[column].notna()
    for column in rules["dates"]:
        ok &= date_ok(df[column])
    for column in ("FINITIAL", "SINITIAL"):
        if column in df:
            ok &= df[column].str.fullmatch("[A-Z]").fillna(False).astype(bool)
    if "DOB" in rules["required"]:
        dob = pd.to_datetime(df.DOB, format="%Y-%m-%d", errors="coerce")
        earliest, latest = extract_date - pd.DateOffset(years=120), extract_date - pd.DateOffset(years=10)
        ok &= date_ok(df.DOB) & (dob >= earliest) & (dob <= latest)
    lists = {**rules["codes"], **{c: seed_codes(*s) for c, s in rules["seeds"].items()}}
    for column, codes in lists.items():
        ok &= df[column].isna() | df[column].isin(codes)
    key = df[rules["key"]]
    ok &= ~(key.notna() & key.duplicated(keep=False))
    return df[ok]


def read(landing: Path, extract: str) -> pd.DataFrame:
    frames = []
    for path in sorted((landing / extract).glob("*.csv")):
        m = re.fullmatch(rf"{extract}_(\d{{8}})\.csv", path.name)
        extract_date = pd.to_datetime(m.group(1), format="%Y%m%d", errors="coerce") if m else pd.NaT
        if pd.isna(extract_date):
            continue  # the pipeline rejects a file so named
        df = pd.read_csv(path, dtype=str, engine="pyarrow", keep_default_na=False)
        df = valid_lines(df, extract, extract_date)
        df["_file"] = path.name
        frames.append(df)
    df = pd.concat(frames, ignore_index=True)
    return df.sort_values("_file", kind="stable").drop_duplicates(RULES[extract]["key"], keep="last")


def attributor_key(df: pd.DataFrame) -> pd.Series:
    return df.FINITIAL + "|" + df.SINITIAL + "|" + df.DOB + "|" + df.SEX


def c20(landing: Path) -> pd.DataFrame:
    secure = read(landing, "ndtms_secure")
    community = read(landing, "ndtms_community")
    interventions = read(landing, "ndtms_interventions")
    latest = max(
        pd.Timestamp(p.stem[-8:])
        for e in ("ndtms_secure", "ndtms_community", "ndtms_interventions")
        for p in (landing / e).glob("*.csv")
        if re.fullmatch(rf"{e}_\d{{8}}\.csv", p.name)
    )
    s = secure[
        (secure.DISRSN == "83")
        & (secure.PRISEXRSN == "REL")
        & secure.PRISEXDT.notna()
        & secure.EXITDEST.str.startswith("E").fillna(False).astype(bool)
    ].copy()
    s["key"] = attributor_key(s)
    s["exit_date"] = pd.to_datetime(s.PRISEXDT)
    dob = pd.to_datetime(s.DOB)
    age = (
        s.exit_date.dt.year
        - dob.dt.year
        - ((s.exit_date.dt.month * 100 + s.exit_date.dt.day) < (dob.dt.month * 100 + dob.dt.day)).astype(int)
    )
    s = s[age >= 18]
    s["la"] = s.EXITDEST
    releases = (
        s.sort_values("EPISODID")
        .groupby(["key", "exit_date"], as_index=False)
        .agg(release_id=("EPISODID", "first"), la=("la", "first"))
    )
    i = interventions[interventions.MODAL.isin(["01", "02", "03", "04", "05"]) & interventions.MODST.notna()]
    c = community.assign(key=attributor_key(community))[["EPISODID", "key"]]
    starts = i.merge(c, on="EPISODID")
    starts["start_date"] = pd.to_datetime(starts.MODST)
    m = releases.merge(starts[["key", "start_date"]], on="key")
    days = (m.start_date - m.exit_date).dt.days
    engaged = set(m.loc[(days >= 0) & (days <= 21), "release_id"])
    releases["status"] = "not_engaged"
    releases.loc[releases.release_id.isin(engaged), "status"] = "engaged"
    releases.loc[releases.exit_date + pd.Timedelta(days=21) > latest, "status"] = "pending"
    releases["fy"] = (releases.exit_date - pd.DateOffset(months=3)).dt.year
    both = pd.concat([releases.assign(geography_code="E92000001"), releases.assign(geography_code=releases.la)])
    judged = both[both.status != "pending"]
    return (
        judged.groupby(["fy", "geography_code"])
        .agg(denominator=("status", "size"), numerator=("status", lambda x: int((x == "engaged").sum())))
        .reset_index()
    )


if __name__ == "__main__":
    print(c20(Path(sys.argv[1])).head())
