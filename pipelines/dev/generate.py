"""Synthetic NDTMS-like and nDelius-like extracts: the demo's, the tests' and the benchmarks'
input. Real extracts are personal data and never enter the repository.

Vectorised (NumPy + Polars, no per-row Python loops) and deterministic: the same
(seed, scale, years, faults) writes byte-identical files. Written in blocks of people of at
most BLOCK_SCALE, each appended to the files before the next is drawn, so memory does not
grow with the scale. Scale 1.0 is about one year of
England per year generated (~30,000 qualifying releases, ~45,000 secure episodes, ~280,000
community episodes, ~150,000 nDelius cases in all, a few hundred accepted Enhanced RECONNECT
referrals at two sites).

The calendar is fixed (`years` financial years ending 31 March 2026, five by default so every
area has the five years a recent trend needs; quarterly extract files) so
output never depends on today's date. Each record is written in the quarterly file after its
last event (fields later than the final extract date are blank), and ~2% of releases are
first sent with a wrong prison exit date and corrected in the next quarter's file.

Clean output breaks no contract rule, and has no recording problem of types 2 and 7 of
indicators.md s.2; type 6 only for releases to Wales (listed in MANIFEST.json as natural);
types 1, 3, 4 and 5 arise by chance between different people with similar attributors, or
from repeat custody, as in real data. `faults > 0` injects contract violations and every
recording problem type, and lists each injected one in MANIFEST.json.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from pipelines.contract import EXTRACTS_BY_NAME, SEEDS_DIR
from pipelines.synthetic import write_marker  # noqa: E402

LAST_DAY = np.datetime64("2026-03-31")
LETTERS = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
# rough frequency of English first-name / surname initials (weights, not exact)
INITIAL_WEIGHTS = np.array([6, 5, 6, 6, 3, 2, 4, 5, 1, 8, 3, 5, 7, 2, 1, 5, 0.3, 5, 8, 4, 0.3, 1, 4, 0.1, 1, 0.3])
REGION_BASE = {  # engagement within 21 days before adjustments; London lowest (indicators.md)
    "E12000001": 0.52,
    "E12000002": 0.47,
    "E12000003": 0.49,
    "E12000004": 0.45,
    "E12000005": 0.44,
    "E12000006": 0.42,
    "E12000007": 0.30,
    "E12000008": 0.40,
    "E12000009": 0.46,
}
WELSH_LAS = np.array(["W06000015", "W06000011", "W06000022"])


@dataclass(frozen=True)
class GeneratorConfig:
    seed: int = 2016
    scale: float = 1.0
    # five financial years by default, so every area can carry a recent trend (indicators.md s.1)
    years: int = 5
    faults: float = 0.0


def _seed(name: str) -> pl.DataFrame:
    return pl.read_csv(SEEDS_DIR / f"{name}.csv", infer_schema=False)


def _days(rng: np.random.Generator, low: int, high: int, n: int) -> np.ndarray:
    return rng.integers(low, high + 1, n).astype("timedelta64[D]")


def _choice(rng, values, n, p=None):
    values = np.asarray(values)
    if p is not None:
        p = np.asarray(p, dtype=float)
        p = p / p.sum()
    return values[rng.choice(len(values), size=n, p=p)]


class _People:
    """Attributors and protected characteristics for n people."""

    def __init__(self, rng: np.random.Generator, n: int, women: float = 0.08):
        self.finitial = _choice(rng, LETTERS, n, INITIAL_WEIGHTS)
        self.sinitial = _choice(rng, LETTERS, n, INITIAL_WEIGHTS)
        self.sex = _choice(rng, ["1", "2", "3", "9"], n, [1 - women - 0.01, women, 0.002, 0.008])
        gender = np.where(self.sex == "2", "W", "M")
        other = rng.random(n)
        self.gender = np.where(other < 0.01, "N", np.where(other < 0.02, "O", np.where(other < 0.10, "Z", gender)))
        self.ethnic = _choice(
            rng,
            list("ABCDEFGHJKLMNPRSZ"),
            n,
            [60, 1, 6, 2, 0.7, 0.6, 1.2, 1.5, 2, 1, 1.5, 5, 4, 2.5, 0.3, 2.5, 8],
        )
        self.disable = _choice(rng, ["Y", "N", "Z"], n, [0.22, 0.63, 0.15])
        # age at a reference date: adults 18-70, mean ~36; 0.6% under 18
        # capped at 90: the gamma's tail would give a few people over 120 (implausible DOBs)
        age_days = (18 * 365.25 + np.minimum(rng.gamma(2.2, 8.0, n), 72.0) * 365.25).astype(int)
        young = rng.random(n) < 0.006
        age_days = np.where(young, rng.integers(16 * 365, 18 * 365 - 30, n), age_days)
        self.age_days = age_days

    def frame(self, idx: np.ndarray, on: np.ndarray) -> dict[str, np.ndarray]:
        dob = on - self.age_days[idx].astype("timedelta64[D]")
        return {
            "FINITIAL": self.finitial[idx],
            "SINITIAL": self.sinitial[idx],
            "DOB": dob,
            "SEX": self.sex[idx],
            "GENDER": self.gender[idx],
            "ETHNIC": self.ethnic[idx],
            "DISABLE": self.disable[idx],
        }


def _date_or_null(values: np.ndarray, visible_to: np.datetime64 = LAST_DAY) -> list:
    """Dates later than the final extract date are not yet known: blank."""
    out = values.astype("datetime64[D]").astype(object)
    mask = values > visible_to
    out[mask] = None
    return list(out)


# Blocks of at most this scale are generated and written one after another, so memory stays
# that of one block (about 1.5 GB) whatever the scale. A landing of scale <= BLOCK_SCALE is one
# block, drawn exactly as before blocks existed; each further block has its own random stream.
BLOCK_SCALE = 0.5
CRN_NUMBERS = 26 * 10**6  # a letter and six digits


@dataclass(frozen=True)
class Calendar:
    """The fixed calendar: `years` financial years ending 31 March 2026, quarterly extracts."""

    first_day: np.datetime64
    extract_dates: np.ndarray
    span_days: int

    @classmethod
    def of(cls, years: int) -> Calendar:
        first_day = np.datetime64(f"{2026 - years}-04-01")
        dates = np.array([np.datetime64(d) for d in _quarter_ends(first_day, LAST_DAY)], dtype="datetime64[D]")
        return cls(first_day, dates, int((LAST_DAY - first_day).astype(int)) + 1)


@dataclass(frozen=True)
class Reference:
    """The seeds the generator draws codes from."""

    prisons: pl.DataFrame
    la_codes: np.ndarray
    la_region: np.ndarray
    lsoas: np.ndarray
    lsoa_weight: np.ndarray
    substance_codes: np.ndarray
    substance_groups: np.ndarray

    @classmethod
    def load(cls) -> Reference:
        las, imd, subs = _seed("local_authorities"), _seed("imd"), _seed("substances")
        return cls(
            prisons=_seed("prisons"),
            la_codes=las["la_code"].to_numpy().astype(str),
            la_region=las["region_code"].to_numpy().astype(str),
            lsoas=imd["lsoa_code"].to_numpy().astype(str),
            lsoa_weight=11 - imd["imd_decile"].cast(pl.Int32).to_numpy(),  # leavers skew deprived
            substance_codes=subs["substance_code"].to_numpy().astype(str),
            substance_groups=subs["substance_group"].to_numpy().astype(str),
        )


class IdCounter:
    """Record ids that go on from one block to the next, so no two blocks share an id."""

    def __init__(self) -> None:
        self.next: dict[str, int] = {}

    def take(self, prefix: str, n: int, width: int = 8, first: int = 1) -> np.ndarray:
        start = self.next.get(prefix, first)
        self.next[prefix] = start + n
        return np.char.add(prefix, np.char.zfill(np.arange(start, start + n).astype(str), width))


@dataclass
class Block:
    """One block of people: its share of the scale, its random stream and where ids go on."""

    rng: np.random.Generator
    scale: float
    years: int
    index: int
    count: int
    calendar: Calendar
    ref: Reference
    ids: IdCounter


@dataclass
class Table:
    """One extract's records, with the date each becomes complete (its file) and the date it
    was first known (no file before it); `corrections` marks records first sent wrong."""

    columns: dict
    visible: np.ndarray
    created: np.ndarray
    corrections: np.ndarray | None = None


@dataclass
class Releases:
    """Secure episodes and what the rest of the records hang on them."""

    people: _People
    person: np.ndarray
    exit_dt: np.ndarray
    estab: np.ndarray
    exitdest: np.ndarray
    exit_region: np.ndarray
    custody_days: np.ndarray
    triaged: np.ndarray
    pattern: np.ndarray
    drug1: np.ndarray
    drug2: np.ndarray
    inreach: np.ndarray
    kind: np.ndarray
    lsoa: np.ndarray
    qualifying: np.ndarray
    secure: dict
    secure_visible: np.ndarray

    @property
    def n(self) -> int:
        return len(self.person)


@dataclass
class Engagement:
    """Who starts structured treatment after release, and when (rows of `Releases`)."""

    engaged: np.ndarray
    late: np.ndarray
    outcome: np.ndarray
    p_engage: np.ndarray
    comm_rows: np.ndarray
    is_late: np.ndarray
    e_exit: np.ndarray
    modst: np.ndarray
    refld: np.ndarray
    triage_c: np.ndarray
    c_utla: np.ndarray
    rfls: np.ndarray


@dataclass
class Treatment:
    """Community episodes and interventions; `n_c` community episodes come before the
    referred-only and ER ones appended later."""

    community: Table
    interventions: Table
    n_c: int


def generate(out: Path, config: GeneratorConfig = GeneratorConfig()) -> dict:
    """Write a landing folder under `out`; return the manifest (also written as JSON).

    Block after block: each block's records are appended to the quarterly files before the
    next block is drawn, so memory does not grow with the scale."""
    out = Path(out)
    blocks = _block_scales(config.scale)
    if config.faults > 0 and len(blocks) > 1:
        raise ValueError(f"--faults needs --scale {BLOCK_SCALE} or less (faults are placed in one block)")
    manifest = _new_manifest(config)
    calendar, ref, ids = Calendar.of(config.years), Reference.load(), IdCounter()
    _clear_landing(out)
    for index, scale in enumerate(blocks):
        rng = np.random.default_rng(config.seed if len(blocks) == 1 else [config.seed, index])
        block = Block(rng, scale, config.years, index, len(blocks), calendar, ref, ids)
        frames = _block_files(block, manifest, config.faults)
        _append_files(out, frames, manifest)
    (out / "MANIFEST.json").write_text(json.dumps(manifest, indent=1, default=str) + "\n")
    write_marker(out, {"generator": "continuity generate", **asdict(config)})
    return manifest


def _block_scales(scale: float) -> list[float]:
    """The scale split into equal blocks of at most BLOCK_SCALE."""
    count = max(1, math.ceil(scale / BLOCK_SCALE - 1e-9))
    return [scale / count] * count


def _new_manifest(config: GeneratorConfig) -> dict:
    return {
        "config": asdict(config),
        "rows": {},
        "quarantine": [],
        "consequential_recording_problems": [],
        "rejected_files": [],
        "recording_problems": [],
        "natural_recording_problems": [],
    }


def _clear_landing(out: Path) -> None:
    """Files are appended block by block: start from no extract file of an earlier run."""
    out.mkdir(parents=True, exist_ok=True)
    for name in EXTRACTS_BY_NAME:
        for old in (out / name).glob(f"{name}_*.csv"):
            old.unlink()


def _block_files(block: Block, manifest: dict, faults: float) -> dict[str, dict]:
    """Every extract's quarterly files for one block of people (data frames by extract date)."""
    releases = _releases(block)
    engagement = _engagement(block, releases)
    treatment = _treatment(block, releases, engagement)
    community, interventions = treatment.community, treatment.interventions
    _referred_not_started(block, releases, engagement, community, interventions)
    ndelius, oasys, contacts, er_extra = _probation(block, releases)
    if er_extra is not None:
        _er_treatment(block, er_extra, community, interventions)
    # releases to Wales are recording problem 6 as the spec reads it
    manifest["natural_recording_problems"] += [
        {"issue_type": "missing_exit_data", "record_id": str(releases.secure["EPISODID"][i])}
        for i in np.flatnonzero(releases.kind == "wales")
    ]
    corrections = releases.qualifying & (block.rng.random(releases.n) < 0.02)
    secure = Table(releases.secure, releases.secure_visible, releases.triaged, corrections)
    if faults > 0:
        secure = _with_recording_problems(block, faults, manifest, releases, engagement, secure, treatment)
    tables = {"ndtms_secure": secure, "ndtms_community": community, "ndtms_interventions": interventions}
    tables |= {"ndelius_cases": ndelius, "ndelius_oasys": oasys, "er_contacts": contacts}
    frames = {name: _to_files(name, table, block.calendar.extract_dates, block.rng) for name, table in tables.items()}
    if faults > 0:
        from pipelines.dev.faults import inject_contract_violations

        inject_contract_violations(frames, manifest, block.rng, faults, block.calendar.extract_dates)
    return frames


def _append_files(out: Path, frames: dict[str, dict], manifest: dict) -> None:
    """Append one block's files to the landing folder (the header only in a new file)."""
    for name, files in frames.items():
        folder = out / name
        folder.mkdir(exist_ok=True)
        rows = sum(df.height for df in files.values() if not isinstance(df, bytes))
        manifest["rows"][name] = manifest["rows"].get(name, 0) + rows
        for extract_date, df in files.items():
            path = folder / f"{name}_{str(extract_date).replace('-', '')}.csv"
            if isinstance(df, bytes):
                path.write_bytes(df)
                continue
            exists = path.exists()
            with open(path, "ab") as handle:
                df.write_csv(handle, include_header=not exists, date_format="%Y-%m-%d", null_value="")


def _releases(block: Block) -> Releases:
    """Releases and their secure episodes: who, when, from where, to where, using what."""
    rng, cal, ref = block.rng, block.calendar, block.ref
    n_rel = max(20, round(45000 * block.scale * block.years))
    n_people = max(10, round(n_rel * 0.9))
    people = _People(rng, n_people)
    person = np.concatenate([np.arange(n_people), rng.integers(0, n_people, n_rel - n_people)])
    exit_dt = cal.first_day + _days(rng, 0, cal.span_days - 1, n_rel)
    repeat = np.arange(n_rel) >= n_people  # a second release of the same person
    exit_dt = np.where(repeat, exit_dt[person] + _days(rng, 120, 500, n_rel), exit_dt)
    keep = exit_dt <= LAST_DAY + np.timedelta64(60, "D")
    person, exit_dt = person[keep], exit_dt[keep]
    n_rel = len(person)
    estab, exitdest, exit_region = _prisons_and_destinations(rng, ref, n_rel)
    custody_days = np.clip(rng.lognormal(4.7, 0.9, n_rel), 14, 3000).astype(int)
    recep = exit_dt - custody_days.astype("timedelta64[D]")
    triaged = np.minimum(recep + _days(rng, 0, 10, n_rel), exit_dt)
    pattern, drug1, drug2, drug3 = _substances(rng, ref, n_rel)
    inreach = rng.random(n_rel) < 0.28
    # what happens at the end of the secure episode: ~2/3 are qualifying releases
    kind = _choice(rng, ["release", "trn", "other_reason", "wales", "custody"], n_rel, [0.68, 0.06, 0.15, 0.03, 0.08])
    disrsn = np.where(
        np.isin(kind, ["release", "trn", "wales"]),
        "83",
        _choice(
            rng,
            ["80", "81", "82", "84", "85", "86", "87", "88", "89", "90", "91"],
            n_rel,
            [3, 1, 1, 5, 4, 1, 2, 2, 0.3, 1, 0.5],
        ),
    )
    prisexrsn = np.where(kind == "trn", "TRN", np.where(kind == "custody", "", "REL"))
    exitdest = np.where(kind == "wales", _choice(rng, WELSH_LAS, n_rel), exitdest)
    age_at_exit = people.age_days[person] / 365.25
    lsoa = _choice(rng, ref.lsoas, n_rel, ref.lsoa_weight)
    rorstat = np.where(
        disrsn == "83",
        _choice(rng, ["1", "2"], n_rel, [0.6, 0.4]),
        _choice(rng, ["", "3", "4"], n_rel, [0.5, 0.2, 0.3]),
    )
    # still in custody at the final extract: no discharge or exit recorded yet
    in_custody = (kind == "custody") | (exit_dt > LAST_DAY)
    secure = _secure_columns(
        block,
        people.frame(person, exit_dt),
        in_custody,
        {"ESTAB": estab, "RECEPDT": recep, "TRIAGED": triaged, "DRUG1": drug1, "DRUG2": drug2, "DRUG3": drug3},
        {"EXIT": exit_dt, "DISRSN": disrsn, "RORSTAT": rorstat, "PRISEXRSN": prisexrsn, "EXITDEST": exitdest},
        {"LSOA": lsoa, "INREACH": np.where(inreach, "Y", "N")},
    )
    return Releases(
        people=people,
        person=person,
        exit_dt=exit_dt,
        estab=estab,
        exitdest=exitdest,
        exit_region=exit_region,
        custody_days=custody_days,
        triaged=triaged,
        pattern=pattern,
        drug1=drug1,
        drug2=drug2,
        inreach=inreach,
        kind=kind,
        lsoa=lsoa,
        qualifying=(kind == "release") & (age_at_exit >= 18),
        secure=secure,
        secure_visible=np.where(in_custody, triaged, exit_dt),
    )


def _secure_columns(block: Block, person: dict, in_custody, known: dict, at_exit: dict, after: dict) -> dict:
    """The secure episodes' columns: what is known at reception (`known`), and what only a
    discharge records (`at_exit`, `after`), blank for people still in custody."""
    n = len(in_custody)
    nat = np.datetime64("NaT")
    exit_dt = at_exit["EXIT"]
    estab = known["ESTAB"]
    return {
        "EPISODID": block.ids.take("S", n),
        "AGNCY": np.char.add("P", estab),
        "ESTAB": estab,
        "CLIENT": np.char.add("PC", np.char.zfill(block.rng.integers(1, 10**7, n).astype(str), 7)),
        **person,
        "RECEPDT": known["RECEPDT"],
        "TRIAGED": known["TRIAGED"],
        "DRUG1": known["DRUG1"],
        "DRUG2": known["DRUG2"],
        "DRUG3": known["DRUG3"],
        "DISD": np.where(in_custody, nat, exit_dt),
        "DISRSN": np.where(in_custody, "", at_exit["DISRSN"]),
        "RORSTAT": np.where(in_custody, "", at_exit["RORSTAT"]),
        "PRISEXDT": np.where(in_custody, nat, exit_dt),
        "PRISEXRSN": np.where(in_custody, "", at_exit["PRISEXRSN"]),
        "EXITDEST": np.where(in_custody, "", at_exit["EXITDEST"]),
        "LSOA": np.where(in_custody, "", after["LSOA"]),
        "INREACH": np.where(in_custody, "", after["INREACH"]),
    }


def _prisons_and_destinations(rng, ref: Reference, n_rel: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The prison of each release (sizes vary), and the LA released to: most go to an LA in
    the prison's region. Returns establishment, destination LA and its region."""
    prisons = ref.prisons
    prison_size = rng.gamma(2.0, 1.0, prisons.height)
    estab_idx = rng.choice(prisons.height, n_rel, p=prison_size / prison_size.sum())
    estab = prisons["estab_code"].to_numpy().astype(str)[estab_idx]
    prison_region = prisons["region_code"].to_numpy().astype(str)[estab_idx]
    same_region = rng.random(n_rel) < 0.75
    la_pick = rng.integers(0, len(ref.la_codes), n_rel)
    exitdest = ref.la_codes[la_pick]
    for region in np.unique(prison_region):
        rows = np.flatnonzero((prison_region == region) & same_region)
        candidates = np.flatnonzero(ref.la_region == region)
        exitdest[rows] = ref.la_codes[rng.choice(candidates, len(rows))]
    return estab, exitdest, ref.la_region[np.searchsorted(ref.la_codes, exitdest)]


def _substances(rng, ref: Reference, n_rel: int) -> tuple[np.ndarray, ...]:
    """The pattern of use and the three substance codes of each release."""
    codes, groups = ref.substance_codes, ref.substance_groups
    opiates, non_opiates = codes[groups == "opiate"], codes[groups == "non_opiate"]
    pattern = _choice(rng, ["opiate", "mixed", "non_opiate", "alcohol"], n_rel, [0.55, 0.15, 0.18, 0.12])
    drug1 = np.where(
        pattern == "opiate",
        _choice(rng, opiates, n_rel, [1, 8, 1]),
        np.where(pattern == "alcohol", "7000", _choice(rng, non_opiates, n_rel)),
    )
    drug1 = np.where(pattern == "mixed", _choice(rng, non_opiates, n_rel), drug1)
    drug2 = np.where(
        pattern == "mixed", "7000", np.where((pattern == "opiate") & (rng.random(n_rel) < 0.6), "3201", "")
    )
    drug3 = np.where((pattern == "opiate") & (rng.random(n_rel) < 0.2), "7000", "")
    return pattern, drug1, drug2, drug3


def _engagement(block: Block, r: Releases) -> Engagement:
    """Who starts structured treatment, and when: within the window or later."""
    rng = block.rng
    base = np.vectorize(REGION_BASE.get)(r.exit_region)
    mult = (
        np.where(r.inreach, 1.55, 0.85)
        * np.select([r.pattern == "opiate", r.pattern == "mixed", r.pattern == "non_opiate"], [1.12, 0.9, 0.82], 0.78)
        * np.where(r.custody_days < 90, 0.92, np.where(r.custody_days > 365, 1.05, 1.0))
    )
    p_engage = np.clip(base * mult, 0.02, 0.95)
    outcome = rng.random(r.n)
    engaged = r.qualifying & (outcome < p_engage)
    late = r.qualifying & ~engaged & (outcome < p_engage + 0.18)  # starts after the window
    comm_rows = np.flatnonzero(engaged | late)
    m = len(comm_rows)
    e_exit = r.exit_dt[comm_rows]
    is_late = late[comm_rows]
    start_offset = np.where(is_late, rng.integers(30, 120, m), np.minimum(rng.geometric(0.15, m) - 1, 21))
    modst = e_exit + start_offset.astype("timedelta64[D]")
    refld = np.where(
        is_late, e_exit + (start_offset - rng.integers(3, 8, m)).astype("timedelta64[D]"), e_exit - _days(rng, 0, 14, m)
    )
    triage_c = np.maximum(np.maximum(refld, e_exit), modst - _days(rng, 0, 3, m))
    triage_c = np.minimum(triage_c, modst)
    other_la = rng.random(m) < 0.05
    c_utla = np.where(other_la, _choice(rng, block.ref.la_codes, m), r.exitdest[comm_rows])
    rfls = np.where(
        is_late,
        _choice(rng, ["PRO", "SLF", "GP"], m),
        _choice(rng, ["PRI", "PRO", "SLF", "OTH"], m, [0.7, 0.15, 0.1, 0.05]),
    )
    return Engagement(
        engaged, late, outcome, p_engage, comm_rows, is_late, e_exit, modst, refld, triage_c, c_utla, rfls
    )


def _treatment(block: Block, r: Releases, e: Engagement) -> Treatment:
    """Community episodes (the released people's, and background ones of people who were not
    in these prisons) with their interventions; and how many episodes there are."""
    rng, cal, ref = block.rng, block.calendar, block.ref
    m = len(e.comm_rows)
    n_bg = max(10, round(280000 * block.scale * block.years) - m)
    bg_people = _People(rng, max(10, n_bg * 2 // 3), women=0.3)
    bg_person = rng.integers(0, len(bg_people.age_days), n_bg)
    bg_refld = cal.first_day - np.timedelta64(180, "D") + _days(rng, 0, cal.span_days + 150, n_bg)
    bg_triage = bg_refld + _days(rng, 0, 20, n_bg)
    bg_utla = _choice(rng, ref.la_codes, n_bg)
    comm_ids = block.ids.take("C", m + n_bg)
    cp = r.people.frame(r.person[e.comm_rows], e.e_exit)
    bp = bg_people.frame(bg_person, bg_refld)
    c_triage = np.concatenate([e.triage_c, bg_triage])
    c_disd = c_triage + _days(rng, 60, 500, m + n_bg)
    community = {
        "EPISODID": comm_ids,
        "AGNCY": np.char.add("A", np.char.replace(np.concatenate([e.c_utla, bg_utla]), "E0", "")),
        "CLIENT": np.char.add("CC", np.char.zfill(rng.integers(1, 10**8, m + n_bg).astype(str), 8)),
        **{k: np.concatenate([cp[k], bp[k]]) for k in cp},
        "UTLA": np.concatenate([e.c_utla, bg_utla]),
        "LSOA": _choice(rng, ref.lsoas, m + n_bg),
        "REFLD": np.concatenate([e.refld, bg_refld]),
        "RFLS": np.concatenate([e.rfls, _choice(rng, ["PRO", "SLF", "GP", "OTH"], n_bg, [0.15, 0.5, 0.25, 0.1])]),
        "TRIAGED": c_triage,
        "DRUG1": np.concatenate([r.drug1[e.comm_rows], _choice(rng, ref.substance_codes, n_bg)]),
        "DRUG2": np.concatenate([r.drug2[e.comm_rows], np.full(n_bg, "")]),
        "DRUG3": np.full(m + n_bg, ""),
        "DISD": c_disd,
        "DISRSN": _choice(rng, ["80", "81", "82", "85", "86"], m + n_bg, [4, 2, 1, 3, 1]),
    }
    c_start = np.concatenate([e.modst, bg_triage + _days(rng, 0, 14, n_bg)])
    interventions = _interventions(block, comm_ids, c_start, c_triage, c_disd)
    return Treatment(Table(community, np.minimum(c_disd, LAST_DAY), community["REFLD"]), interventions, m + n_bg)


def _interventions(block: Block, comm_ids, c_start, c_triage, c_disd) -> Table:
    """One structured start per community episode, and recovery support for some."""
    rng = block.rng
    n_c = len(comm_ids)
    structured = _choice(rng, ["01", "02", "03", "04", "05"], n_c, [45, 8, 40, 4, 3])
    extra = rng.random(n_c) < 0.35
    i_ep = np.concatenate([comm_ids, comm_ids[extra]])
    i_modal = np.concatenate([structured, _choice(rng, ["06", "07"], int(extra.sum()), [0.7, 0.3])])
    i_start = np.concatenate([c_start, c_start[extra] + _days(rng, 0, 30, int(extra.sum()))])
    i_ref = np.concatenate([c_triage, c_triage[extra]])
    i_offer = np.maximum(i_start - _days(rng, 0, 5, len(i_start)), i_ref)
    i_end = i_start + _days(rng, 30, 300, len(i_start))
    i_end = np.minimum(i_end, np.concatenate([c_disd, c_disd[extra]]))
    exits = _choice(rng, ["A", "B", "C"], len(i_ep), [5, 4, 1])
    columns = {
        "MODID": block.ids.take("M", len(i_ep)),
        "EPISODID": i_ep,
        "MODAL": i_modal,
        "REFMODDT": i_ref,
        "FAOMODDT": i_offer,
        "MODST": i_start,
        "MODEND": i_end,
        "MODEXIT": np.where(i_end <= LAST_DAY, exits, ""),
    }
    # an intervention is written no earlier than the file of its episode's referral
    return Table(columns, np.minimum(np.maximum(i_ref, i_start), LAST_DAY), i_ref)


def _referred_not_started(block: Block, r: Releases, e: Engagement, community: Table, interventions: Table) -> None:
    """The audit funnel's attrition points: ~12% of judged releases are referred and offered
    an appointment they never attend, ~8% are referred and never offered one; neither is
    triaged, so neither is a recording problem. Appended to the community and interventions."""
    rng = block.rng
    rest = r.qualifying & ~e.engaged & ~e.late
    offered = rest & (e.outcome < e.p_engage + 0.30)
    referred = rest & ~offered & (e.outcome < e.p_engage + 0.38)
    ref_rows = np.flatnonzero(offered | referred)
    k = len(ref_rows)
    r_refld = r.exit_dt[ref_rows] + _days(rng, -10, 10, k)
    nat = np.datetime64("NaT")
    ref_ids = block.ids.take("CR", k)
    _extend(
        community,
        {
            "EPISODID": ref_ids,
            "AGNCY": np.char.add("A", np.char.replace(r.exitdest[ref_rows], "E0", "")),
            "CLIENT": np.char.add("CC", np.char.zfill(rng.integers(1, 10**8, k).astype(str), 8)),
            **r.people.frame(r.person[ref_rows], r.exit_dt[ref_rows]),
            "UTLA": r.exitdest[ref_rows],
            "LSOA": r.lsoa[ref_rows],
            "REFLD": r_refld,
            "RFLS": _choice(rng, ["PRI", "PRO"], k, [0.8, 0.2]),
            "TRIAGED": np.full(k, nat),
            "DRUG1": r.drug1[ref_rows],
            "DRUG2": r.drug2[ref_rows],
            "DRUG3": np.full(k, ""),
            "DISD": np.full(k, nat),
            "DISRSN": np.full(k, ""),
        },
        np.minimum(r_refld, LAST_DAY),
        r_refld,
    )
    o_idx = np.flatnonzero(offered[ref_rows])
    o = len(o_idx)
    o_offer = r_refld[o_idx] + _days(rng, 1, 10, o)
    _extend(
        interventions,
        {
            "MODID": block.ids.take("MR", o),
            "EPISODID": ref_ids[o_idx],
            "MODAL": _choice(rng, ["01", "03"], o),
            "REFMODDT": r_refld[o_idx],
            "FAOMODDT": o_offer,
            "MODST": np.full(o, nat),
            "MODEND": np.full(o, nat),
            "MODEXIT": np.full(o, ""),
        },
        np.minimum(o_offer, LAST_DAY),
        r_refld[o_idx],
    )


def _er_treatment(block: Block, er_extra: dict, community: Table, interventions: Table) -> None:
    """ER people with a substance misuse need: a share start structured treatment."""
    n_er = len(er_extra["REFLD"])
    nat = np.datetime64("NaT")
    er_ids = block.ids.take("C", n_er)
    columns = {k: er_extra.get(k) for k in community.columns}
    columns.update(
        {
            "EPISODID": er_ids,
            "AGNCY": np.full(n_er, "AER"),
            "CLIENT": block.ids.take("CE", n_er, width=7, first=0),
            "LSOA": np.full(n_er, ""),
            "RFLS": np.full(n_er, "PRO"),
            "DRUG1": np.full(n_er, "1011"),
            "DRUG2": np.full(n_er, ""),
            "DRUG3": np.full(n_er, ""),
            "DISD": np.full(n_er, nat),
            "DISRSN": np.full(n_er, ""),
        }
    )
    started = np.minimum(er_extra["MODST"], LAST_DAY)
    _extend(community, columns, started, er_extra["REFLD"])
    _extend(
        interventions,
        {
            "MODID": block.ids.take("M", n_er),
            "EPISODID": er_ids,
            "MODAL": np.full(n_er, "01"),
            "REFMODDT": er_extra["TRIAGED"],
            "FAOMODDT": er_extra["MODST"],
            "MODST": er_extra["MODST"],
            "MODEND": np.full(n_er, nat),
            "MODEXIT": np.full(n_er, ""),
        },
        started,
        er_extra["TRIAGED"],
    )


def _extend(table: Table, columns: dict, visible: np.ndarray, created: np.ndarray) -> None:
    """Append records (the same columns) to a table."""
    table.columns = {k: np.concatenate([table.columns[k], np.asarray(columns[k])]) for k in table.columns}
    table.visible = np.concatenate([table.visible, visible])
    table.created = np.concatenate([table.created, created])


def _with_recording_problems(
    block: Block, rate: float, manifest: dict, r: Releases, e: Engagement, secure: Table, treatment: Treatment
) -> Table:
    """Every recording problem type injected (pipelines/dev/faults.py); the secure table
    returned (type 4 adds secure episodes)."""
    from pipelines.dev.faults import Records, inject_recording_problems

    records = Records(
        secure=secure.columns,
        community=treatment.community.columns,
        interventions=treatment.interventions.columns,
        secure_visible=secure.visible,
        comm_visible=treatment.community.visible,
        triaged=secure.created,
        corrections=secure.corrections,
        judged=r.qualifying & (r.exit_dt <= LAST_DAY - np.timedelta64(60, "D")),
        comm_rows=e.comm_rows,
        engaged_js=np.flatnonzero(~e.is_late & (e.e_exit <= LAST_DAY - np.timedelta64(60, "D"))),
        triage_c=e.triage_c,
        n_c=treatment.n_c,
    )
    inject_recording_problems(block.rng, rate, manifest, records)
    return Table(records.secure, records.secure_visible, records.triaged, records.corrections)


def _quarter_ends(first: np.datetime64, last: np.datetime64) -> list[str]:
    out, d = [], date.fromisoformat(str(first))
    year, month = d.year, d.month
    while True:
        month += 3
        if month > 12:
            month -= 12
            year += 1
        end = np.datetime64(f"{year:04d}-{month:02d}-01") - np.timedelta64(1, "D")
        if end > last:
            return out
        out.append(str(end))


def _to_files(name: str, table: Table, extract_dates: np.ndarray, rng) -> dict:
    """Split one table's records into quarterly files by the date each becomes complete."""
    extract = EXTRACTS_BY_NAME[name]
    columns, visible, created, corrections = table.columns, table.visible, table.created, table.corrections
    visible = np.minimum(visible, LAST_DAY)
    keep = created <= LAST_DAY
    file_idx = np.searchsorted(extract_dates, visible)
    data = {}
    for col in extract.column_names:
        values = np.asarray(columns[col])[keep]
        if values.dtype.kind == "M":
            data[col] = pl.Series(col, _date_or_null(values), dtype=pl.Date)
        else:
            data[col] = pl.Series(col, values.astype(str)).replace("", None)
    df = pl.DataFrame(data).with_columns(_file=pl.Series(file_idx[keep]))
    if corrections is not None:
        wrong = df.filter(pl.Series(corrections[keep]) & (pl.col("_file") < len(extract_dates) - 1))
        shift = pl.Series(rng.integers(3, 11, wrong.height)).cast(pl.Int32)
        # the wrong date is a few days late, but never after the extract it is sent in
        sent = pl.Series(extract_dates[wrong["_file"].to_numpy()]).cast(pl.Date)
        first = wrong.with_columns(
            PRISEXDT=pl.min_horizontal(pl.col("PRISEXDT") + pl.duration(days=shift), sent),
            DISD=pl.min_horizontal(pl.col("DISD") + pl.duration(days=shift), sent),
        )
        later = wrong.with_columns(_file=pl.col("_file") + 1)
        df = pl.concat([df.join(wrong.select(extract.key), on=extract.key, how="anti"), first, later])
    df = df.sort(["_file", extract.key])
    return {
        extract_dates[i]: part.drop("_file") for (i,), part in sorted(df.partition_by("_file", as_dict=True).items())
    }


@dataclass
class ErReferrals:
    """Enhanced RECONNECT referrals: the people, their dates, and who was accepted."""

    people: _People
    ref: np.ndarray
    rel: np.ndarray
    acc: np.ndarray
    accepted: np.ndarray
    smneed: np.ndarray
    site: np.ndarray
    pg: np.ndarray

    @property
    def n(self) -> int:
        return len(self.ref)


def _probation(block: Block, r: Releases):
    """nDelius cases (some are the released people), OASys, and ER contacts; and the ER
    people who start structured treatment."""
    cases, er, n_link, n_bg = _cases(block, r)
    crn = cases.columns["CRN"]
    er_crn = crn[n_link + n_bg :]
    er_extra = _er_starts(block, er, cases.columns["UTLA"][n_link + n_bg :])
    oasys = _oasys(block, er, er_crn, crn[n_link : n_link + n_bg])
    contacts = _contacts(block, er, er_crn)
    return cases, oasys, contacts, er_extra


def _linked_releases(rng, r: Releases, n_cases: int) -> pl.DataFrame:
    """A third of the cases are released people: each one's latest release (p, d, e, la)."""
    released_people = np.unique(r.person[r.qualifying])
    n_linked = min(len(released_people), n_cases // 3)
    linked = rng.choice(released_people, n_linked, replace=False)
    return (
        pl.DataFrame({"p": r.person, "d": r.exit_dt, "e": r.estab, "la": r.exitdest})
        .filter(pl.col("p").is_in(linked))
        .sort("d")
        .group_by("p", maintain_order=True)
        .last()
        .sort("p")
    )


def _er_referrals(block: Block) -> ErReferrals:
    """ER: a few hundred referrals at scale 1 (at least 40), most accepted."""
    rng, cal = block.rng, block.calendar
    n_er = max(40, round(400 * block.scale))
    people = _People(rng, n_er)
    ref = cal.first_day + _days(rng, 0, cal.span_days - 60, n_er)
    rel = ref + _days(rng, 0, 180, n_er)
    acc = ref + _days(rng, 3, 30, n_er)
    accepted = rng.random(n_er) < 0.8
    smneed = _choice(rng, ["Y", "N", ""], n_er, [0.45, 0.45, 0.1])
    site = _choice(rng, ["ERA", "ERB"], n_er, [0.55, 0.45])
    pg = _choice(rng, ["1", "2", "3"], n_er, [0.05, 0.10, 0.85])
    return ErReferrals(people, ref, rel, acc, accepted, smneed, site, pg)


def _crns(block: Block, total: int) -> np.ndarray:
    """Distinct CRNs (a letter and six digits); blocks share out the numbers: block i of n
    takes i, i + n, i + 2n, ..."""
    numbers = block.index + block.count * block.rng.choice(CRN_NUMBERS // block.count, total, replace=False)
    return np.char.add(LETTERS[numbers // 10**6], np.char.zfill((numbers % 10**6).astype(str), 6))


def _cases(block: Block, r: Releases) -> tuple[Table, ErReferrals, int, int]:
    """nDelius cases: released people (linked), other people on probation (background) and ER
    referrals, in that order; with the referrals and how many are linked and background."""
    rng, first_day, span_days = block.rng, block.calendar.first_day, block.calendar.span_days
    n_cases = max(20, round(150000 * block.scale))
    df = _linked_releases(rng, r, n_cases)
    n_bg = n_cases - df.height
    bg = _People(rng, n_bg)
    bg_rel = first_day + _days(rng, -365, span_days, n_bg)
    bg_released = rng.random(n_bg) < 0.7
    er = _er_referrals(block)
    n_link, n_er = df.height, er.n
    linked_rel = df["d"].to_numpy().astype("datetime64[D]")
    lp = r.people.frame(df["p"].to_numpy(), linked_rel)
    bp = bg.frame(np.arange(n_bg), bg_rel)
    ep = er.people.frame(np.arange(n_er), er.rel)
    total = n_link + n_bg + n_er
    crn = _crns(block, total)
    nat = np.datetime64("NaT")
    reldt = np.concatenate([linked_rel, np.where(bg_released, bg_rel, nat), er.rel])
    none = np.full(n_link + n_bg, "")
    cases = {
        "CRN": crn,
        **{k: np.concatenate([lp[k], bp[k], ep[k]]) for k in lp},
        "PROBREG": _choice(rng, ["N07", "N50", "N51", "N52", "N53", "N54", "N55", "N56", "N57", "N58", "N59"], total),
        "MAPPACAT": np.where(rng.random(total) < 0.05, _choice(rng, ["M1", "M2", "M3"], total), ""),
        "MAPPALVL": "",
        "ROSH": _choice(rng, ["L", "M", "H", "VH"], total, [0.3, 0.45, 0.22, 0.03]),
        "ESTAB": np.concatenate([df["e"].to_numpy().astype(str), np.full(n_bg, ""), _choice(rng, r.estab, n_er)]),
        "RELDT": reldt,
        "UTLA": np.concatenate([df["la"].to_numpy().astype(str), np.full(n_bg, ""), _choice(rng, r.exitdest, n_er)]),
        "LSOA": _choice(rng, block.ref.lsoas, total),
        "ERPG": np.concatenate([none, er.pg]),
        "ERSITE": np.concatenate([none, er.site]),
        "ERREFDT": np.concatenate([np.full(n_link + n_bg, nat), er.ref]),
        "ERACCDT": np.concatenate([np.full(n_link + n_bg, nat), np.where(er.accepted, er.acc, nat)]),
        "SMNEED": np.concatenate([np.where(rng.random(n_link) < 0.8, "Y", ""), np.full(n_bg, ""), er.smneed]),
    }
    cases["MAPPALVL"] = np.where(
        cases["MAPPACAT"] != "", _choice(rng, ["M1", "M2", "M3"], total, [0.8, 0.15, 0.05]), ""
    )
    created = np.concatenate([linked_rel, np.where(bg_released, bg_rel, first_day), er.ref])
    return Table(cases, _case_visible(created, cases["ERACCDT"], reldt), created), er, n_link, n_bg


def _case_visible(created: np.ndarray, accepted: np.ndarray, released: np.ndarray) -> np.ndarray:
    """A case is complete at the latest of its creation, ER acceptance and release."""
    return np.nanmax(
        np.stack(
            [
                created.astype("datetime64[D]"),
                np.where(np.isnat(accepted), created, accepted),
                np.where(np.isnat(released), created, released),
            ]
        ),
        axis=0,
    )


def _er_starts(block: Block, er: ErReferrals, er_utla: np.ndarray) -> dict:
    """ER people with a need who start structured treatment within ~3 weeks of release."""
    rng = block.rng
    starts = er.accepted & (er.smneed == "Y") & (rng.random(er.n) < 0.55)
    s_idx = np.flatnonzero(starts)
    er_modst = er.rel[s_idx] + _days(rng, 0, 35, len(s_idx))
    ep = er.people.frame(np.arange(er.n), er.rel)
    er_extra = {
        "REFLD": er.rel[s_idx] - _days(rng, 0, 7, len(s_idx)),
        "TRIAGED": er.rel[s_idx] + _days(rng, 0, 3, len(s_idx)),
        "MODST": er_modst,
        **{k: ep[k][s_idx] for k in ep},
        "UTLA": er_utla[s_idx],
    }
    er_extra["TRIAGED"] = np.minimum(er_extra["TRIAGED"], er_modst)
    return er_extra


def _oasys(block: Block, er: ErReferrals, er_crn: np.ndarray, bg_crn: np.ndarray) -> Table:
    """OASys: accepted ER people before and (mostly) after release; a share of other cases."""
    rng, first_day, span_days = block.rng, block.calendar.first_day, block.calendar.span_days
    accepted, er_rel, n_bg = er.accepted, er.rel, len(bg_crn)
    acc_idx = np.flatnonzero(accepted)
    a = len(acc_idx)
    o_before = er_rel[acc_idx] - _days(rng, 20, 300, a)
    has_after = rng.random(a) < 0.75
    o_after = er_rel[acc_idx] + _days(rng, 60, 330, a)
    ogrs = rng.uniform(10, 90, a).round(1)
    change = rng.normal(-4, 6, a)
    bg_o = rng.random(n_bg) < 0.3
    nb = int(bg_o.sum())
    o_crn = np.concatenate([er_crn[acc_idx], er_crn[acc_idx][has_after], bg_crn[bg_o]])
    o_dt = np.concatenate([o_before, o_after[has_after], first_day + _days(rng, 0, span_days - 1, nb)])
    o_ogrs = np.concatenate(
        [ogrs, np.clip(ogrs[has_after] + change[has_after], 0, 100).round(1), rng.uniform(5, 95, nb).round(1)]
    )
    n_o = len(o_crn)
    oasys = {
        "ASSID": block.ids.take("OA", n_o),
        "CRN": o_crn,
        "ASSDT": o_dt,
        "OGRS3": o_ogrs.astype(str),
        "OVP": np.clip(o_ogrs * 0.6 + rng.normal(0, 5, n_o), 0, 100).round(1).astype(str),
        "RSR": np.clip(o_ogrs * 0.05 + rng.normal(0, 1, n_o), 0, 100).round(2).astype(str),
        "ROSH": np.where(o_ogrs > 70, "H", np.where(o_ogrs > 35, "M", "L")),
    }
    return Table(oasys, oasys["ASSDT"], oasys["ASSDT"])


def _contacts(block: Block, er: ErReferrals, er_crn: np.ndarray) -> Table:
    """ER contacts for accepted people: TAIM meetings, ER worker contacts, appointments."""
    rng, er_acc, er_rel = block.rng, er.acc, er.rel
    acc_idx = np.flatnonzero(er.accepted)
    a = len(acc_idx)
    per = 14
    c_person = np.repeat(acc_idx, per)
    slot = np.tile(np.arange(per), a)
    acc = er_acc[c_person]
    rel = er_rel[c_person]
    ctype = np.select(
        [slot < 2, slot < 9],
        ["TAIM", "ERC"],
        default=_choice(rng, ["HLTH", "MH", "SMT", "HOUS", "OTH"], len(slot), [4, 2, 2, 1, 1]),
    )
    # contact thins out with time, as engagement does: ER worker contacts from acceptance and
    # health appointments from release are exponentially spread, so fewer people are still in
    # touch 9-12 months after release than in the first weeks
    n_slots = len(slot)
    worker_days = np.minimum(rng.exponential(150, n_slots), 500).astype(int).astype("timedelta64[D]")
    health_days = (np.minimum(rng.exponential(100, n_slots), 400).astype(int) - 20).astype("timedelta64[D]")
    when = np.where(
        slot < 2,
        acc + _days(rng, 0, 40, n_slots),
        np.where(slot < 9, acc + worker_days, rel + health_days),
    )
    exists = rng.random(len(slot)) < np.where(slot < 2, 0.9, 0.75)
    attended = rng.random(len(slot)) < 0.78
    health = np.isin(ctype, ["HLTH", "MH", "SMT"])
    wemwbs = np.where(
        (ctype == "ERC") & (rng.random(len(slot)) < 0.5),
        np.clip(rng.normal(40, 8, len(slot)) + (when - acc).astype(int) / 60, 14, 70).round(0).astype(int).astype(str),
        "",
    )
    sel = np.flatnonzero(exists)
    contacts = {
        "CONTID": block.ids.take("K", len(sel)),
        "CRN": er_crn[c_person][sel],
        "CONTDT": when[sel],
        "CONTTYPE": ctype[sel],
        "ATTENDED": np.where(attended, "Y", "N")[sel],
        "NEEDMET": np.where(health & attended, _choice(rng, ["Y", "N", ""], len(slot), [0.6, 0.3, 0.1]), "")[sel],
        "WEMWBS": np.where(attended, wemwbs, "")[sel],
    }
    return Table(contacts, contacts["CONTDT"], contacts["CONTDT"])
