"""The extract contract (``docs/contract.md``), declared once.

The loader validates against these declarations and the synthetic generator writes from
them, so the two can never disagree about a column, its type or its code list.
Code lists that are reference data (substances, discharge reasons, ...) are named by seed
file and read from ``seeds/`` at run time: a user who swaps a seed swaps the code list.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import polars as pl

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_WAREHOUSE = PROJECT_DIR / "warehouse" / "continuity.duckdb"  # CONTINUITY_WAREHOUSE unset
SEEDS_DIR = PROJECT_DIR / "seeds"


class Kind(StrEnum):
    TEXT = "text"
    DATE = "date"
    CODE = "code"
    NUMBER = "number"


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind = Kind.TEXT
    required: bool = False
    codes: tuple[str, ...] | None = None  # inline code list (upper-case)
    seed: tuple[str, str] | None = None  # (seed file stem, code column) for reference codes
    pattern: str | None = None  # regular expression a trimmed text value must match
    minimum: float | None = None
    maximum: float | None = None
    integer: bool = False
    upper: bool = False  # a case-insensitive text value (a code-like reference), upper-cased on load
    age_range: tuple[int, int] | None = None  # a date of birth: plausible ages on the extract date

    @property
    def case_insensitive(self) -> bool:
        """Codes, initials, CRNs and code-like references compare without case (docs/contract.md:
        "Codes are case-insensitive and trimmed on load"); ids such as EPISODID keep theirs."""
        return self.kind is Kind.CODE or self.pattern is not None or self.upper

    def describe_pattern(self) -> str:
        return {r"^[A-Z]$": "a single letter A-Z", r"^[A-Z][0-9]{6}$": "a letter and 6 digits"}.get(
            self.pattern or "", self.pattern or ""
        )


@dataclass(frozen=True)
class Extract:
    name: str  # landing sub-folder, file prefix and raw table name
    source: str  # dbt source name: ndtms, ndelius or er
    key: str
    columns: tuple[Column, ...]
    description: str = ""

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


YN = ("Y", "N")
SEX = ("1", "2", "3", "9")
GENDER = ("M", "W", "N", "O", "Z")
DISABLE = ("Y", "N", "Z")
ROSH = ("L", "M", "H", "VH")
INITIAL = r"^[A-Z]$"
CRN = r"^[A-Z][0-9]{6}$"
# Fields that identify a person (docs/methodology.md section 11): they stay in the raw and staging layers,
# and their values are never written to a log, the terminal or a report (a quarantine reason
# names the field, not its value; raw.quarantine.raw_line keeps the line in the warehouse).
IDENTIFYING_FIELDS = frozenset({"CRN", "CLIENT", "FINITIAL", "SINITIAL", "DOB"})
# Fields whose values are never shown either, though they name no one alone: record ids (an
# episode, an intervention, an assessment, a contact) and home areas, which point at one
# person's record, and every date (a person-level date: admission, exit, referral, ...).
RECORD_FIELDS = frozenset({"EPISODID", "MODID", "ASSID", "CONTID", "LSOA"})


def value_withheld(column: Column) -> bool:
    """Whether a value of this column may never appear in a log, the terminal, a quarantine
    reason or a report (docs/disclosure.md): identifying and record fields, and every date."""
    return column.name in IDENTIFYING_FIELDS or column.name in RECORD_FIELDS or column.kind is Kind.DATE


# A date of birth is plausible when the person is aged 10 to 120 on the file's extract date:
# 10 is the age of criminal responsibility in England, and 120 is beyond the oldest person
# recorded; the extract date, not the event date, because a file holds records of past
# years. DOB 0001-01-01 or a DOB after the extract is quarantined with this reason.
PLAUSIBLE_AGE = (10, 120)
PRISONS = ("prisons", "estab_code")


def _attributors(required: bool = True) -> tuple[Column, ...]:
    return (
        Column("FINITIAL", Kind.TEXT, required, pattern=INITIAL),
        Column("SINITIAL", Kind.TEXT, required, pattern=INITIAL),
        Column("DOB", Kind.DATE, required, age_range=PLAUSIBLE_AGE),
        Column("SEX", Kind.CODE, required, codes=SEX),
        Column("GENDER", Kind.CODE, codes=GENDER),
        Column("ETHNIC", Kind.CODE, seed=("ethnic_groups", "ethnic_code")),
        Column("DISABLE", Kind.CODE, codes=DISABLE),
    )


def _drugs() -> tuple[Column, ...]:
    substances = ("substances", "substance_code")
    return (
        Column("DRUG1", Kind.CODE, True, seed=substances),
        Column("DRUG2", Kind.CODE, seed=substances),
        Column("DRUG3", Kind.CODE, seed=substances),
    )


DISCHARGE = ("discharge_reasons", "discharge_reason_code")

NDTMS_SECURE = Extract(
    name="ndtms_secure",
    source="ndtms",
    key="EPISODID",
    description="prison (secure setting) treatment episodes",
    columns=(
        Column("EPISODID", required=True),
        Column("AGNCY", required=True, upper=True),
        Column("ESTAB", Kind.CODE, True, seed=PRISONS),
        Column("CLIENT", required=True),
        *_attributors(),
        Column("RECEPDT", Kind.DATE, True),
        Column("TRIAGED", Kind.DATE, True),
        *_drugs(),
        Column("DISD", Kind.DATE),
        Column("DISRSN", Kind.CODE, seed=DISCHARGE),
        Column("RORSTAT", Kind.CODE, codes=("1", "2", "3", "4")),
        Column("PRISEXDT", Kind.DATE),
        Column("PRISEXRSN", Kind.CODE, codes=("REL", "TRN", "DTH", "OTH")),
        Column("EXITDEST", upper=True),
        Column("LSOA", upper=True),
        Column("INREACH", Kind.CODE, codes=YN),
    ),
)

NDTMS_COMMUNITY = Extract(
    name="ndtms_community",
    source="ndtms",
    key="EPISODID",
    description="community treatment episodes",
    columns=(
        Column("EPISODID", required=True),
        Column("AGNCY", required=True, upper=True),
        Column("CLIENT", required=True),
        *_attributors(),
        Column("UTLA", required=True, upper=True),
        Column("LSOA", upper=True),
        Column("REFLD", Kind.DATE, True),
        Column("RFLS", Kind.CODE, codes=("PRI", "PRO", "SLF", "GP", "OTH")),
        Column("TRIAGED", Kind.DATE),
        *_drugs(),
        Column("DISD", Kind.DATE),
        Column("DISRSN", Kind.CODE, seed=DISCHARGE),
    ),
)

NDTMS_INTERVENTIONS = Extract(
    name="ndtms_interventions",
    source="ndtms",
    key="MODID",
    description="community interventions (modalities)",
    columns=(
        Column("MODID", required=True),
        Column("EPISODID", required=True),
        Column("MODAL", Kind.CODE, True, seed=("modalities", "modality_code")),
        Column("REFMODDT", Kind.DATE),
        Column("FAOMODDT", Kind.DATE),
        Column("MODST", Kind.DATE),
        Column("MODEND", Kind.DATE),
        Column("MODEXIT", Kind.CODE, codes=("A", "B", "C")),
    ),
)

NDELIUS_CASES = Extract(
    name="ndelius_cases",
    source="ndelius",
    key="CRN",
    description="people on probation, with the Enhanced RECONNECT cohort flags",
    columns=(
        Column("CRN", required=True, pattern=CRN),
        *_attributors(),
        Column("PROBREG", Kind.CODE, True, seed=("probation_regions", "probation_region_code")),
        Column("MAPPACAT", Kind.CODE, codes=("M1", "M2", "M3", "M4")),
        Column("MAPPALVL", Kind.CODE, codes=("M1", "M2", "M3")),
        Column("ROSH", Kind.CODE, codes=ROSH),
        Column("ESTAB", Kind.CODE, seed=PRISONS),
        Column("RELDT", Kind.DATE),
        Column("UTLA", upper=True),
        Column("LSOA", upper=True),
        Column("ERPG", Kind.CODE, codes=("1", "2", "3")),
        Column("ERSITE", Kind.CODE, seed=("er_sites", "er_site_code")),
        Column("ERREFDT", Kind.DATE),
        Column("ERACCDT", Kind.DATE),
        Column("SMNEED", Kind.CODE, codes=YN),
    ),
)

NDELIUS_OASYS = Extract(
    name="ndelius_oasys",
    source="ndelius",
    key="ASSID",
    description="OASys assessments",
    columns=(
        Column("ASSID", required=True),
        Column("CRN", required=True, pattern=CRN),
        Column("ASSDT", Kind.DATE, True),
        Column("OGRS3", Kind.NUMBER, minimum=0, maximum=100),
        Column("OVP", Kind.NUMBER, minimum=0, maximum=100),
        Column("RSR", Kind.NUMBER, minimum=0, maximum=100),
        Column("ROSH", Kind.CODE, codes=ROSH),
    ),
)

ER_CONTACTS = Extract(
    name="er_contacts",
    source="er",
    key="CONTID",
    description="Enhanced RECONNECT service contacts",
    columns=(
        Column("CONTID", required=True),
        Column("CRN", required=True, pattern=CRN),
        Column("CONTDT", Kind.DATE, True),
        Column("CONTTYPE", Kind.CODE, True, codes=("TAIM", "ERC", "HLTH", "MH", "SMT", "HOUS", "OTH")),
        Column("ATTENDED", Kind.CODE, True, codes=YN),
        Column("NEEDMET", Kind.CODE, codes=YN),
        Column("WEMWBS", Kind.NUMBER, minimum=14, maximum=70, integer=True),
    ),
)

EXTRACTS: tuple[Extract, ...] = (
    NDTMS_SECURE,
    NDTMS_COMMUNITY,
    NDTMS_INTERVENTIONS,
    NDELIUS_CASES,
    NDELIUS_OASYS,
    ER_CONTACTS,
)
EXTRACTS_BY_NAME = {e.name: e for e in EXTRACTS}


def normalised(column: Column) -> pl.Expr:
    """The one normalisation of a contract field (docs/contract.md), declared here only: every
    whitespace character (space, tab, no-break space, line breaks: Unicode White_Space) trimmed
    from both ends, empty = missing, and upper case where the column is case-insensitive.
    The loader writes raw values through it, so raw holds clean values and staging, the
    indicators and the Spark build read them as they are and never trim or upper-case again."""
    value = pl.col(column.name).str.strip_chars()
    if column.case_insensitive:
        value = value.str.to_uppercase()
    # replace, not when/then: the trimmed value is computed once (when/then computed it twice)
    return value.replace("", None).alias(column.name)


def load_code_lists(seeds_dir: Path = SEEDS_DIR) -> dict[tuple[str, str], frozenset[str]]:
    """Read every seed-backed code list the contract names, upper-cased and trimmed."""
    import csv

    wanted = {c.seed for e in EXTRACTS for c in e.columns if c.seed}
    lists: dict[tuple[str, str], frozenset[str]] = {}
    for stem, column in wanted:
        with open(seeds_dir / f"{stem}.csv", newline="", encoding="utf-8") as f:
            lists[(stem, column)] = frozenset(row[column].strip().upper() for row in csv.DictReader(f))
    return lists


def codes_for(column: Column, code_lists: dict[tuple[str, str], frozenset[str]]) -> list[str]:
    if column.codes is not None:
        return list(column.codes)
    if column.seed is not None:
        return sorted(code_lists[column.seed])
    return []
