"""The release models partitioned by financial year (macros/year_partitions.sql), quarter by
quarter: a quarter that changes nothing an old year reads leaves that year's rows as they were
built (their build time is kept), a year that changed is rebuilt, a year left without releases
is emptied, and after every quarter the tables equal a full rebuild from the same raw rows.
Each quarter is loaded by the loader and the release models built by dbt in a subprocess, as
tests/e2e/test_incremental.py does for staging (the whole run is tested in test_run.py)."""

import duckdb
import pytest

from tests.helpers import community_row, intervention_row, load_and_build, secure_row, write_extract

PARTITIONED = [
    "intermediate.int_release_engagement",
    "intermediate.int_release_time_to_start",
    "intermediate.int_release_profiles",
    "intermediate.int_release_outcomes",
    "intermediate.int_release_community_matches",
    "intermediate.int_release_funnel_steps",
    "marts.continuity_releases",
]
# the person released in 2023/24 (the helpers' default person is released in 2022/23)
PERSON_B = {"FINITIAL": "Q", "SINITIAL": "R", "DOB": "1980-02-03", "SEX": "2"}


def build(landing, warehouse, *flags: str) -> None:
    """Load the landing's new NDTMS files, then build the partitioned models and what they read."""
    select = ["+continuity_releases", "+int_release_funnel_steps", "+int_release_time_to_start"]
    load_and_build(landing, warehouse, ["ndtms_secure", "ndtms_community", "ndtms_interventions"], select, *flags)


def query(warehouse, sql: str) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def built_at(warehouse) -> dict[tuple[str, str], object]:
    rows = query(warehouse, "select model_name, financial_year, built_at from raw.year_partition_builds")
    return {(model, year): at for model, year, at in rows}


def tables(warehouse) -> dict[str, list[tuple]]:
    return {t: sorted(query(warehouse, f"select * from {t}"), key=repr) for t in PARTITIONED}


def quarter(landing, day: str, old_exit: str = "2022-06-01", b_engages: bool = False) -> None:
    """Every record sent again at `day`, as an extract re-sends what is open: A's release
    (2022/23 unless corrected), A's referral and start 7 days after it, B's release on
    2023-11-01; B's referral and structured start on day 9 once `b_engages`."""
    a_start = "2022-06-08"
    write_extract(landing, "ndtms_secure", day, [
        secure_row(EPISODID="S_A", RECEPDT="2022-01-10", TRIAGED="2022-01-12", DISD=old_exit, PRISEXDT=old_exit),
        secure_row(EPISODID="S_B", **PERSON_B, RECEPDT="2023-06-01", TRIAGED="2023-06-02", DISD="2023-11-01",
                   PRISEXDT="2023-11-01"),
    ])  # fmt: skip
    community = [community_row(EPISODID="C_A", REFLD="2022-05-30", TRIAGED="2022-06-05")]
    interventions = [intervention_row(MODID="M_A", EPISODID="C_A", REFMODDT="2022-06-05", FAOMODDT="2022-06-06",
                                      MODST=a_start)]  # fmt: skip
    if b_engages:
        community.append(community_row(EPISODID="C_B", **PERSON_B, REFLD="2023-11-03", TRIAGED="2023-11-05"))
        interventions.append(intervention_row(MODID="M_B", EPISODID="C_B", REFMODDT="2023-11-05",
                                              FAOMODDT="2023-11-06", MODST="2023-11-10"))  # fmt: skip
    write_extract(landing, "ndtms_community", day, community)
    write_extract(landing, "ndtms_interventions", day, interventions)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("year_partitions")
    return root / "landing", root / "wh" / "c.duckdb"


def test_a_quarter_rebuilds_the_years_it_touches_keeps_the_others_and_empties_a_year_gone(world):
    landing, warehouse = world
    quarter(landing, "2023-12-31")
    build(landing, warehouse)
    first = built_at(warehouse)
    assert {year for _, year in first} == {"2022/23", "2023/24"}
    assert {model for model, _ in first} == {t.split(".")[1] for t in PARTITIONED}
    assert query(warehouse, "select release_id, status from intermediate.int_release_engagement order by 1") == [
        ("S_A", "engaged"),
        ("S_B", "not_engaged"),
    ]

    # the next quarter sends A's records again unchanged (new lineage only) and B's start on
    # day 9: 2022/23 reads nothing new (its latest windows closed long before either extract
    # date), so its rows stay as built; 2023/24 is rebuilt and B is engaged
    quarter(landing, "2024-03-31", b_engages=True)
    build(landing, warehouse)
    second = built_at(warehouse)
    for model in {m for m, _ in first}:
        assert second[(model, "2022/23")] == first[(model, "2022/23")], model
        assert second[(model, "2023/24")] > first[(model, "2023/24")], model
    assert query(warehouse, "select release_id, status from intermediate.int_release_engagement order by 1") == [
        ("S_A", "engaged"),
        ("S_B", "engaged"),
    ]
    assert query(warehouse, "select release_id, referral_received from intermediate.int_release_funnel_steps "
                 "order by 1") == [("S_A", True), ("S_B", True)]  # fmt: skip
    incremental = tables(warehouse)

    # a full rebuild from the same raw rows gives the same tables, and records every year afresh
    build(landing, warehouse, "--full-refresh")
    assert tables(warehouse) == incremental
    assert all(at > second[key] for key, at in built_at(warehouse).items())

    # a year left without releases is emptied: A's exit date is corrected into 2023/24: 2022/23 has no release any more; A's start, 11
    # months before the corrected exit, no longer engages
    quarter(landing, "2024-06-30", old_exit="2023-05-01", b_engages=True)
    build(landing, warehouse)
    assert {year for _, year in built_at(warehouse)} == {"2023/24"}
    for table in PARTITIONED:
        years = query(warehouse, f"select distinct extract(year from prison_exit_date) from {table}")
        assert years == [(2023,)], table
    assert query(warehouse, "select release_id, status from marts.continuity_releases order by 1") == [
        ("S_A", "not_engaged"),
        ("S_B", "engaged"),
    ]
    incremental = tables(warehouse)
    build(landing, warehouse, "--full-refresh")
    assert tables(warehouse) == incremental
