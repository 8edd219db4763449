"""PHOF 2.16 / C20 written plainly with pandas (pyarrow CSV reader), as a user might:
the peer the pipeline should be no slower than. Same rules as baseline_duckdb.sql."""

import sys
from pathlib import Path

import pandas as pd


def read(landing: Path, extract: str) -> pd.DataFrame:
    frames = []
    for path in sorted((landing / extract).glob("*.csv")):
        df = pd.read_csv(path, dtype=str, engine="pyarrow", keep_default_na=False)
        df["_file"] = path.name
        frames.append(df)
    df = pd.concat(frames, ignore_index=True)
    key = "MODID" if extract == "ndtms_interventions" else "EPISODID"
    df[key] = df[key].str.strip()
    return df.sort_values("_file").drop_duplicates(key, keep="last")


def attributor_key(df: pd.DataFrame) -> pd.Series:
    return (
        df.FINITIAL.str.strip().str.upper()
        + "|"
        + df.SINITIAL.str.strip().str.upper()
        + "|"
        + df.DOB.str.strip()
        + "|"
        + df.SEX.str.strip()
    )


def c20(landing: Path) -> pd.DataFrame:
    secure = read(landing, "ndtms_secure")
    community = read(landing, "ndtms_community")
    interventions = read(landing, "ndtms_interventions")
    latest = max(
        pd.Timestamp(p.stem[-8:])
        for e in ("ndtms_secure", "ndtms_community", "ndtms_interventions")
        for p in (landing / e).glob("*.csv")
    )
    s = secure[
        (secure.DISRSN.str.strip() == "83")
        & (secure.PRISEXRSN.str.strip().str.upper() == "REL")
        & (secure.PRISEXDT.str.strip() != "")
        & secure.EXITDEST.str.strip().str.upper().str.startswith("E")
    ].copy()
    s["key"] = attributor_key(s)
    s["exit_date"] = pd.to_datetime(s.PRISEXDT.str.strip())
    dob = pd.to_datetime(s.DOB.str.strip())
    age = (
        s.exit_date.dt.year
        - dob.dt.year
        - ((s.exit_date.dt.month * 100 + s.exit_date.dt.day) < (dob.dt.month * 100 + dob.dt.day)).astype(int)
    )
    s = s[age >= 18]
    s["la"] = s.EXITDEST.str.strip().str.upper()
    releases = (
        s.sort_values("EPISODID")
        .groupby(["key", "exit_date"], as_index=False)
        .agg(release_id=("EPISODID", "first"), la=("la", "first"))
    )
    i = interventions[
        interventions.MODAL.str.strip().isin(["01", "02", "03", "04", "05"]) & (interventions.MODST.str.strip() != "")
    ]
    c = community.assign(key=attributor_key(community))[["EPISODID", "key"]]
    starts = i.assign(EPISODID=i.EPISODID.str.strip()).merge(c, on="EPISODID")
    starts["start_date"] = pd.to_datetime(starts.MODST.str.strip())
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
