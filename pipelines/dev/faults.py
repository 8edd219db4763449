"""Fault injection for the synthetic generator (`continuity generate --faults RATE`).

Two kinds, each listed exactly in MANIFEST.json so tests can compare what the pipeline
finds with what was put there:
- recording problems of indicators.md s.2, every type, injected into the generated records
  before they are written (`recording_problems`: issue_type, record_id, related_record_id);
- contract violations of extracts.md, injected into the written files (`quarantine`: file,
  line, column; `rejected_files`: one malformed file).
A row given a contract violation is never one that carries an injected recording problem.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from pipelines.contract import EXTRACTS_BY_NAME

NAT = np.datetime64("NaT")
LAST_DAY = np.datetime64("2026-03-31")


def _count(rate: float, pool: int, share: int = 8) -> int:
    return int(min(max(1, round(rate * pool)), pool // share))


@dataclass
class Records:
    """The generated records recording problems are injected into, with what the generator
    knows about them: which releases are judged, which community episode (row) follows which
    release (`comm_rows`), which of those engaged in time (`engaged_js`), their triage dates,
    and how many community episodes there are before the referred-only ones (`n_c`)."""

    secure: dict
    community: dict
    interventions: dict
    secure_visible: np.ndarray
    comm_visible: np.ndarray
    triaged: np.ndarray
    corrections: np.ndarray
    judged: np.ndarray
    comm_rows: np.ndarray
    engaged_js: np.ndarray
    triage_c: np.ndarray
    n_c: int


def inject_recording_problems(rng, rate: float, manifest: dict, records: Records) -> None:
    """Inject every recording problem type into `records` (type 4 adds secure episodes), each
    listed in the manifest's `recording_problems`."""
    manifest.setdefault("consequential_recording_problems", [])
    record = _Recorder(manifest["recording_problems"])
    secure_id, comm_id = records.secure["EPISODID"], records.community["EPISODID"]
    engaged_js = rng.permutation(records.engaged_js)
    # problem 1 is looked for only between an episode and a release of the same area (the
    # episode's UTLA is the release's EXITDEST, indicators.md s.2): planted only there
    same_area = records.community["UTLA"][engaged_js] == records.secure["EXITDEST"][records.comm_rows[engaged_js]]
    pri = engaged_js[(records.community["RFLS"][engaged_js] == "PRI") & same_area]
    k = _count(rate, len(engaged_js))
    type1, used = pri[:k], set(pri[:k].tolist())
    rest = np.array([j for j in engaged_js if j not in used], dtype=int)
    type3, type5 = rest[:k], rest[k : 2 * k]
    type4 = rest[2 * k :][records.triage_c[rest[2 * k :]] + np.timedelta64(90, "D") <= LAST_DAY][:k]
    # 1: the community provider mistypes the first initial of a prison-referred client of the
    # area the client was released to
    for j in type1:
        records.community["FINITIAL"][j] = chr((ord(records.community["FINITIAL"][j]) - 65 + 1) % 26 + 65)
        record("attributor_mismatch", comm_id[j], secure_id[records.comm_rows[j]])
    _exit_after_triage(rng, records, type3, record)
    # 5: the only structured intervention is recorded as recovery support
    for j in type5:
        records.interventions["MODAL"][j] = "06"
        record("no_structured_intervention", comm_id[j], secure_id[records.comm_rows[j]])
    _unclosed_community_episodes(rng, records, type4, record)
    busy = set(records.comm_rows[np.concatenate([type1, type3, type4, type5])].tolist())
    _no_need_or_no_exit_data(rng, rate, records, secure_id, busy, record)
    _orphan_interventions(rng, rate, records, len(engaged_js), record)


class _Recorder:
    """Appends one injected problem to the manifest's list."""

    def __init__(self, found: list) -> None:
        self.found = found

    def __call__(self, issue: str, rid, related=None) -> None:
        self.found.append(
            {"issue_type": issue, "record_id": str(rid), "related_record_id": None if related is None else str(related)}
        )


def _exit_after_triage(rng, records: Records, rows: np.ndarray, record: _Recorder) -> None:
    """3: the prison records the exit 1-10 days after the community triage. Its structured
    start may now precede the exit: that is this problem (3), not problem 5, which
    indicators.md s.2 leaves a structured start before release out of."""
    secure = records.secure
    for j in rows:
        i = records.comm_rows[j]
        new_exit = records.triage_c[j] + np.timedelta64(int(rng.integers(1, 11)), "D")
        secure["PRISEXDT"][i] = secure["DISD"][i] = new_exit
        records.secure_visible[i] = new_exit
        records.corrections[i] = False
        record("exit_date_after_triage", secure["EPISODID"][i], records.community["EPISODID"][j])


def _unclosed_community_episodes(rng, records: Records, rows: np.ndarray, record: _Recorder) -> None:
    """4: a community episode left open when its client goes back into custody (a new secure
    episode of the same person, appended to the secure records)."""
    new_rows = []
    for n, j in enumerate(rows):
        i = records.comm_rows[j]
        records.community["DISD"][j] = NAT
        records.comm_visible[j] = min(records.triage_c[j], LAST_DAY)
        reception = records.triage_c[j] + np.timedelta64(int(rng.integers(30, 90)), "D")
        new_id = f"SF{n + 1:08d}"
        new_rows.append((i, new_id, reception))
        record("unclosed_community_episode", records.community["EPISODID"][j], new_id)
    if not new_rows:
        return
    secure = records.secure
    idx = np.array([i for i, _, _ in new_rows])
    extra = {c: v[idx].copy() for c, v in secure.items()}
    extra["EPISODID"] = np.array([n for _, n, _ in new_rows])
    extra["RECEPDT"] = np.array([r for _, _, r in new_rows], dtype="datetime64[D]")
    extra["TRIAGED"] = extra["RECEPDT"] + np.timedelta64(1, "D")
    for c in ("DISD", "PRISEXDT"):
        extra[c] = np.full(len(idx), NAT, dtype="datetime64[D]")
    for c in ("DISRSN", "RORSTAT", "PRISEXRSN", "EXITDEST", "LSOA"):
        extra[c] = np.full(len(idx), "")
    records.secure = {c: np.concatenate([secure[c], extra[c]]) for c in secure}
    records.secure_visible = np.concatenate([records.secure_visible, extra["TRIAGED"]])
    records.triaged = np.concatenate([records.triaged, extra["TRIAGED"]])
    records.corrections = np.concatenate([records.corrections, np.zeros(len(idx), dtype=bool)])


def _no_need_or_no_exit_data(rng, rate, records: Records, secure_id, busy: set, record: _Recorder) -> None:
    """2 and 6: releases with no structured treatment arranged, or without exit data."""
    secure = records.secure
    candidates = rng.permutation([i for i in np.flatnonzero(records.judged) if i not in busy])
    k2 = _count(rate, len(candidates))
    for i in candidates[:k2]:
        secure["RORSTAT"][i] = rng.choice(["3", "4"])
        record("transferred_without_structured_need", secure_id[i])
    for n, i in enumerate(candidates[k2 : 2 * k2]):
        if n % 2:
            secure["EXITDEST"][i] = ""
        else:
            secure["PRISEXDT"][i] = NAT
        records.corrections[i] = False
        record("missing_exit_data", secure_id[i])


def _orphan_interventions(rng, rate, records: Records, n_engaged: int, record: _Recorder) -> None:
    """7: interventions pointing at no community episode (background episodes only)."""
    interventions, n_c = records.interventions, records.n_c
    orphans = rng.choice(np.arange(n_engaged, n_c), _count(rate, n_c - n_engaged), replace=False)
    for x in orphans:
        interventions["EPISODID"][x] = "CX" + interventions["MODID"][x][1:]
        record("orphan_intervention", interventions["MODID"][x], interventions["EPISODID"][x])


def _as_text(df: pl.DataFrame) -> pl.DataFrame:
    return df.with_columns(pl.col(pl.Date).dt.strftime("%Y-%m-%d"))


def inject_contract_violations(frames: dict, manifest: dict, rng, rate: float, extract_dates) -> None:
    """Break rows of the written files in every way the contract forbids; one malformed file."""
    protected = {r["record_id"] for r in manifest["recording_problems"]}
    protected |= {r["related_record_id"] for r in manifest["recording_problems"] if r["related_record_id"]}
    faults = [
        ("ndtms_secure", "RECEPDT", "2023-02-30", "bad_date"),
        ("ndtms_secure", "AGNCY", None, "missing_required_field"),
        ("ndtms_community", "DRUG1", "9999", "unknown_code"),
        ("ndtms_community", "REFLD", "30/05/2023", "bad_date"),
        ("ndtms_interventions", "MODAL", "99", "unknown_code"),
        ("ndelius_cases", "CRN", "12345", "bad_crn"),
        ("er_contacts", "WEMWBS", "99", "out_of_range"),
        ("ndtms_interventions", None, None, "duplicate_key"),
    ]
    for name, column, value, kind in faults:
        files = frames[name]
        key = EXTRACTS_BY_NAME[name].key
        dates = [d for d in sorted(files) if files[d].height > 2]
        for _ in range(max(1, round(rate * sum(files[d].height for d in dates) / 4))):
            d = dates[int(rng.integers(len(dates)))]
            df = _as_text(files[d])
            ok = [i for i in rng.permutation(df.height)[:50] if df[key][int(i)] not in protected]
            if not ok:
                continue
            row = int(ok[0])
            protected.add(df[key][row])
            source_file = f"{name}/{name}_{str(d).replace('-', '')}.csv"
            if kind == "duplicate_key":
                df = pl.concat([df, df[row]])
                for line in (row + 2, df.height + 1):
                    manifest["quarantine"].append(
                        {"source_file": source_file, "line_number": line, "column_name": key, "fault": kind}
                    )
            else:
                df = df.with_columns(
                    pl.when(pl.int_range(pl.len()) == row)
                    .then(pl.lit(value, dtype=pl.String))
                    .otherwise(pl.col(column))
                    .alias(column)
                )
                manifest["quarantine"].append(
                    {"source_file": source_file, "line_number": row + 2, "column_name": column, "fault": kind}
                )
            files[d] = df
    _consequential_orphans(frames, manifest)
    _malformed_file(frames, manifest, extract_dates)


def _consequential_orphans(frames: dict, manifest: dict) -> None:
    """Interventions of a quarantined community episode belong to no valid episode: orphans,
    listed as consequential recording problems."""
    lost = {(q["source_file"], q["line_number"]) for q in manifest["quarantine"]}
    lost_episodes = set()
    for d, df in frames["ndtms_community"].items():
        name = f"ndtms_community/ndtms_community_{str(d).replace('-', '')}.csv"
        rows = [line - 2 for f, line in lost if f == name]
        lost_episodes |= set(df["EPISODID"].gather(rows).to_list()) if rows else set()
    for d, df in frames["ndtms_interventions"].items():
        name = f"ndtms_interventions/ndtms_interventions_{str(d).replace('-', '')}.csv"
        keys = df.with_row_index("_i").filter(pl.col("EPISODID").is_in(list(lost_episodes)))
        for i, mod, ep in keys.select("_i", "MODID", "EPISODID").iter_rows():
            if (name, i + 2) not in lost:
                manifest["consequential_recording_problems"].append(
                    {
                        "issue_type": "orphan_intervention",
                        "record_id": mod,
                        "related_record_id": ep,
                        "because": "its community episode was quarantined",
                    }
                )


def _malformed_file(frames: dict, manifest: dict, extract_dates) -> None:
    """One malformed file, dated the day after the last extract: semicolons, not this
    contract's CSV."""
    day_after = extract_dates[-1] + np.timedelta64(1, "D")
    frames["ndelius_oasys"][day_after] = b"ASSID;CRN;ASSDT;OGRS3\nOA1;X000001;2026-01-01;50\n"
    manifest["rejected_files"].append(
        {
            "source_file": f"ndelius_oasys/ndelius_oasys_{str(day_after).replace('-', '')}.csv",
            "reason": "header lacks required column(s) ASSID, CRN, ASSDT",
        }
    )
