"""Local-area profiles, to the standard of a Fingertips area profile: one per local authority
with releases, from the open tier alone. Each says what the indicator is (numerator,
denominator, source, why it matters); shows every financial year in a table with the area,
its region and England side by side, each with its 95% interval, and the published
comparisons in colour, shape and words; draws the trend (the line broken at a hidden year)
with the recent trend in words; marks the area once on the funnel plot; and says in plain
words which providers to ask about recording problems. Every figure is a cell of the open
tables; a hidden one is `[c]` with its value note."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pipelines.disclosure import Rules
from pipelines.reports import Provenance, charts, is_provisional, issue_labels, window_days
from pipelines.reports.tiers import HIDDEN_MARK, MISSING_MARK, Tier, is_hidden


@dataclass
class Profile:
    code: str
    name: str
    region: str
    periods: list[str]  # every financial year the publication covers, oldest first (England's)
    years: dict[str, dict]  # the area's phof_c20 rows by period label
    region_years: dict[str, dict]
    england: dict[str, dict]
    point: dict | None  # its funnel point, latest year (None when its rate is not shown)
    problems: list[dict]  # England's recording problems, latest financial year (open tier)
    closed: str | None = None  # the latest closed financial year (no release still pending), its label
    # by role ("area", "region", "england"), the latest closed year: time_to_treatment rows by day, and
    # the c20_recording_adjusted row
    waits: dict[str, list[dict]] = field(default_factory=dict)
    adjusted: dict[str, dict] = field(default_factory=dict)
    charts: dict[str, charts.Drawing] = field(default_factory=dict)

    @property
    def latest(self) -> dict:
        return self.years.get(self.periods[-1]) or {"period_label": self.periods[-1]}

    def rows(self) -> list[tuple[str, dict, dict, dict]]:
        """(period, area row, region row, England row) for every period, oldest first."""
        return [(p, self.years.get(p, {}), self.region_years.get(p, {}), self.england.get(p, {})) for p in self.periods]


def gather_profiles(tier: Tier, rules: Rules) -> dict:
    """Every local authority with releases, and the England, region and funnel rows it is
    compared with, and England's recording problems, all from the open tier."""
    c20 = tier.query(
        "select * from marts.phof_c20 where period_type = 'financial_year' "
        "and geography_type in ('england', 'region', 'local_authority') order by period_start",
    )
    with_releases = (
        c20.filter(
            (pl.col("geography_type") == "local_authority")
            & ~pl.col("value_note").fill_null("").str.contains(rules.note("no_releases"), literal=True)
        )["geography_code"]
        .unique()
        .sort()
        .to_list()
    )
    latest = c20["period_start"].max()
    funnel = tier.query(
        "select * from marts.phof_c20_funnel where geography_type = 'local_authority' "
        "and period_type = 'financial_year' and period_start = ? and value_pct is not null",
        latest,
    )
    problems = tier.query(
        "select financial_year, issue_type, issues, value_note from marts.recording_issues_summary "
        "where provider_role = 'england' and financial_year = (select max(financial_year) "
        "from marts.recording_issues_summary where provider_role = 'england') order by issues desc nulls last",
    )
    by_area: dict[str, list[dict]] = {}
    for row in c20.sort("geography_code", "period_start", maintain_order=True).iter_rows(named=True):
        by_area.setdefault(row["geography_code"], []).append(row)
    england = c20.filter(pl.col("geography_type") == "england").sort("period_start").to_dicts()
    closed = latest_closed(england, rules)
    waits, adjusted = _closed_year(tier, closed)
    return {
        "codes": with_releases,
        "funnel": funnel,
        "rules": rules,
        "by_area": by_area,
        "england": england,
        "points": {row["geography_code"]: row for row in funnel.iter_rows(named=True)},
        "problems": problems.to_dicts(),
        "closed": closed,
        "waits": waits,
        "adjusted": adjusted,
    }


def _closed_year(tier: Tier, closed: dict | None) -> tuple[dict, dict]:
    """Time to treatment (rows by area, in day order) and C20 if the records were right (the
    all-providers row by area) of the latest closed year, as the open tier publishes them."""
    waits: dict[str, list[dict]] = {}
    adjusted: dict[str, dict] = {}
    if closed is not None and tier.has("time_to_treatment"):
        for row in tier.query(
            "select * from marts.time_to_treatment where period_type = 'financial_year' and period_start = ? "
            "and geography_type in ('england', 'region', 'local_authority') order by geography_code, day",
            closed["period_start"],
        ).iter_rows(named=True):
            waits.setdefault(row["geography_code"], []).append(row)
    if closed is not None and tier.has("c20_recording_adjusted"):
        adjusted = {
            row["geography_code"]: row
            for row in tier.query(
                "select * from marts.c20_recording_adjusted where period_type = 'financial_year' "
                "and period_start = ? and provider_role = 'all' "
                "and geography_type in ('england', 'region', 'local_authority')",
                closed["period_start"],
            ).iter_rows(named=True)
        }
    return waits, adjusted


def latest_closed(england: list[dict], rules: Rules) -> dict | None:
    """England's phof_c20 row of the latest financial year the publication does not mark
    provisional (every release judged, the period whole), or None."""
    closed = [r for r in england if (r.get("denominator") or 0) > 0 and not is_provisional(r["value_note"], rules)]
    return closed[-1] if closed else None


def build_profile(gathered: dict, code: str, canvases: Canvases) -> Profile:
    """One area's profile: its rows, its region's and England's, its funnel point, and its
    charts as marks on the canvases every profile shares."""
    years = gathered["by_area"][code]
    region_code = years[-1]["parent_region_code"]
    region_rows = gathered["by_area"].get(region_code, []) if region_code else []
    keyed = lambda rows: {r["period_label"]: r for r in rows}  # noqa: E731
    profile = Profile(
        code,
        years[-1]["geography_name"],
        region_rows[-1]["geography_name"] if region_rows else "",
        [r["period_label"] for r in gathered["england"]],
        keyed(years),
        keyed(region_rows),
        keyed(gathered["england"]),
        gathered["points"].get(code),
        gathered["problems"],
    )
    closed = gathered.get("closed")
    if closed is not None:
        profile.closed = closed["period_label"]
        england_code = closed["geography_code"]
        for role, key in (("area", code), ("region", region_code), ("england", england_code)):
            if key in gathered["waits"]:
                profile.waits[role] = gathered["waits"][key]
            if key in gathered["adjusted"]:
                profile.adjusted[role] = gathered["adjusted"][key]
    profile.charts["trend"] = canvases.trend.draw(_trend_series(profile))
    if canvases.wait is not None and profile.waits.get("area"):
        profile.charts["wait"] = canvases.wait.draw(_wait_series(profile))
    if profile.point is not None and canvases.funnel is not None:
        profile.charts["funnel"] = canvases.funnel.ringed(profile.name)
    return profile


@dataclass
class Canvases:
    """The charts every profile shares, each drawn once: the trend's axis and the funnel plot
    (its outliers not named, so the ringed area is the only name on it)."""

    trend: charts.TrendCanvas
    funnel: charts.FunnelCanvas | None
    wait: charts.WaitCanvas | None = None

    @classmethod
    def of(cls, gathered: dict) -> Canvases:
        england, funnel = gathered["england"], gathered["funnel"]
        provisional = {r["period_label"] for r in england if is_provisional(r["value_note"], gathered["rules"])}
        trend = charts.TrendCanvas([r["period_label"] for r in england], provisional, size=(9, 4.8))
        days = sorted({r["day"] for rows in gathered.get("waits", {}).values() for r in rows})
        wait = charts.WaitCanvas(days, window_days(), size=(9, 4.4)) if days else None
        if not funnel.height:
            return cls(trend, None, wait)
        return cls(trend, charts.FunnelCanvas(funnel.to_dicts(), funnel["england_value_pct"][0], size=(9, 5.2)), wait)


def _trend_series(p: Profile) -> list[charts.Series]:
    """The area (its points shaped and coloured by the published comparison with England),
    its region (dashed, squares) and England (diamonds); intervals for the area only."""

    def pick(rows: dict[str, dict], column: str) -> list:
        return [rows.get(period, {}).get(column) for period in p.periods]

    lines = [
        charts.Series(
            p.name,
            pick(p.years, "value_pct"),
            pick(p.years, "lower_ci95_pct"),
            pick(p.years, "upper_ci95_pct"),
            charts.PALETTE["subject"],
            comparisons=pick(p.years, "compared_with_england_95"),
        ),  # fmt: skip
    ]
    if p.region_years:
        lines.append(charts.Series(p.region, pick(p.region_years, "value_pct"), colour=charts.PALETTE["region"],
                                   marker="s", dashed=True))  # fmt: skip
    lines.append(charts.Series("England", pick(p.england, "value_pct"), colour=charts.PALETTE["england"], marker="D"))
    return lines


def wait_days(p: Profile) -> list[int]:
    """The days the time-to-treatment table publishes, from the area's rows."""
    return [r["day"] for r in p.waits.get("area", [])]


def _wait_series(p: Profile) -> list[charts.Series]:
    """The area (solid, circles), its region (dashed, squares) and England (diamonds): each the
    published share started by each day with its 95% interval, None where it is not shown."""
    days = wait_days(p)

    def pick(role: str, column: str) -> list:
        by_day = {r["day"]: r for r in p.waits.get(role, [])}
        return [by_day.get(d, {}).get(column) for d in days]

    def series(role: str, name: str, **style) -> charts.Series:
        return charts.Series(name, pick(role, "started_pct"), pick(role, "lower_ci95_pct"),
                             pick(role, "upper_ci95_pct"), **style)  # fmt: skip

    lines = [series("area", p.name, colour=charts.PALETTE["subject"])]
    if p.waits.get("region"):
        lines.append(series("region", p.region, colour=charts.PALETTE["region"], marker="s", dashed=True))
    if p.waits.get("england"):
        lines.append(series("england", "England", colour=charts.PALETTE["england"], marker="D"))
    return lines


def withheld(row: dict, column: str) -> bool:
    """Whether a value the table leaves empty is hidden by disclosure control: its row's note
    says a count of the row is suppressed (a share or interval is shown only where every
    count it comes from is)."""
    return row.get(column) is None and "suppressed" in (row.get("value_note") or "").lower()


def shown_pct(row: dict | None, column: str, interval_of: str | None = None) -> str:
    """A published percentage (with its 95% interval when `interval_of` names the value's
    prefix: 'started' -> lower_ci95_pct/upper_ci95_pct), `[c]` when hidden, `[x]` when there
    is none for another reason (the value note says why)."""
    row = row or {}
    value = row.get(column)
    if value is None:
        return HIDDEN_MARK if withheld(row, column) else MISSING_MARK
    text = f"{value:.1f}"
    if interval_of and row.get("lower_ci95_pct") is not None and row.get("upper_ci95_pct") is not None:
        text += f" ({row['lower_ci95_pct']:.1f}–{row['upper_ci95_pct']:.1f})"
    return text


def wait_rows(p: Profile) -> list[tuple[int, dict, dict, dict]]:
    """(day, area row, region row, England row) for every published day."""
    by_role = {role: {r["day"]: r for r in rows} for role, rows in p.waits.items()}
    return [(d, by_role.get("area", {}).get(d, {}), by_role.get("region", {}).get(d, {}),
             by_role.get("england", {}).get(d, {})) for d in wait_days(p)]  # fmt: skip


def _why_not(row: dict, column: str, what: str) -> str:
    """Why `what` (the row's `column`, empty) is not given, from the row's value note."""
    if withheld(row, column):
        return f"{what} is not shown, to protect small numbers"
    note = row.get("value_note")
    return f"{what} is not available" + (f" ({note})" if note else "")


def wait_sentence(p: Profile) -> str:
    """The area's wait in words: the share started by the indicator's window and by the last
    published day, each with its interval, and the median when the table gives it."""
    rows = {r["day"]: r for r in p.waits.get("area", [])}
    if not rows:
        return "Time to treatment: not published for this area."
    window, last = window_days(), max(rows)
    if all(r.get("started_pct") is None for r in rows.values()):
        first = next(iter(rows.values()))
        hidden = withheld(first, "started_pct")
        parts = ["the shares started by each day are " + ("not shown, to protect small numbers" if hidden else
                 "not available" + (f" ({first['value_note']})" if first.get("value_note") else ""))]  # fmt: skip
    else:
        parts = []
        for day in dict.fromkeys(d for d in (window, last) if d in rows):
            r = rows[day]
            if r.get("started_pct") is None:
                parts.append(_why_not(r, "started_pct", f"the share started by day {day}"))
            elif r.get("lower_ci95_pct") is not None:
                parts.append(f"an estimated {r['started_pct']:.1f}% had started treatment by day {day} (95% interval "
                             f"{r['lower_ci95_pct']:.1f}% to {r['upper_ci95_pct']:.1f}%)")  # fmt: skip
            else:
                parts.append(f"an estimated {r['started_pct']:.1f}% had started treatment by day {day}")
    text = f"Of people released to {p.name} in {p.closed}, " + "; ".join(parts) + "."
    median = rows[last].get("median_days_to_start")
    if median is not None:
        text += f" Half had started by day {median}."
    elif (
        rows[last].get("started_pct") is not None
        and rows[last]["started_pct"] < 50
        and not any(r.get("started_pct") is None for r in rows.values())
    ):
        text += f" Fewer than half had started by day {last}."
    return text + (
        " The estimate (Kaplan–Meier) counts each person only for as long as the records can follow them, "
        "so people released recently are not counted as not starting."
    )


def day_notes(p: Profile) -> list[str]:
    """The area's value notes by day, neighbouring days with the same note together
    ("days 14 to 182: Suppressed: small numbers")."""
    runs: list[tuple[list[int], str]] = []
    for day, row, _, _ in wait_rows(p):
        note = row.get("value_note")
        if note and runs and runs[-1][1] == note:
            runs[-1][0].append(day)
        elif note:
            runs.append(([day], note))
        else:
            runs.append(([day], ""))
    return [(f"day {d[0]}" if len(d) == 1 else f"days {d[0]} to {d[-1]}") + f": {note}" for d, note in runs if note]


def wait_caption(p: Profile) -> str:
    """How the time-to-treatment chart is drawn, naming only the lines it draws, and which
    are left out because every value is hidden."""
    styles = {"area": "solid blue line, circles", "region": "dashed purple line, squares",
              "england": "black line, diamonds"}  # fmt: skip
    names = {"area": p.name, "region": p.region, "england": "England"}
    drawn, left = [], []
    for role in ("area", "region", "england"):
        rows = p.waits.get(role)
        if not rows:
            continue
        if any(r.get("started_pct") is not None for r in rows):
            drawn.append(f"{names[role]}: {styles[role]}.")
        else:
            left.append(names[role])
    if left:
        drawn.append(f"Not drawn, every value hidden to protect small numbers: {' and '.join(left)}.")
    return " ".join(drawn)


def wait_alt(p: Profile) -> str:
    """The time-to-treatment chart in words: every value drawn, or why one is not."""
    names = {"area": p.name, "region": p.region, "england": "England"}
    listing = "; ".join(
        f"{names[role]}: " + ", ".join(f"day {r['day']} {shown_pct(r, 'started_pct')}" for r in rows)
        for role, rows in p.waits.items()
        if role in names
    )
    return (
        f"Line chart of the estimated percentage of people released in {p.closed} who had started treatment by each "
        f"day after release, for {p.name}, {p.region} and England, with 95% intervals. {listing} "
        f"({HIDDEN_MARK}: not shown to protect small numbers). Every value is in the table below."
    )


def in_ten(pct: float) -> int:
    """A published percentage as 'about N in 10' (half up: 45% is about 5 in 10)."""
    return int(pct / 10 + 0.5)


def adjusted_sentence(p: Profile) -> str:
    """The rate if recording were complete, in plain words: the published rate, the rate if
    every recording problem a fix would count were fixed, and the difference in points, as
    the open table gives them; when hidden, that it is not shown to protect small numbers."""
    r = p.adjusted.get("area")
    if p.closed is None or r is None:
        return "The rate if recording were complete is not published for this area."
    year = p.closed
    if r.get("value_pct") is None:
        return _why_not(r, "value_pct", f"In {year}, the rate") + "; so is the rate if recording were complete."
    published = (
        f"In {year}, {r['value_pct']:.1f}% of people released to {p.name} started treatment within "
        f"{window_days()} days (the published rate)."
    )
    if r.get("adjusted_value_pct") is None:
        return f"{published} {_why_not(r, 'adjusted_value_pct', 'The rate if recording were complete')}."
    adjusted, points = r["adjusted_value_pct"], r["difference_pct_points"]
    n = in_ten(adjusted)
    about = "fewer than 1 in 10" if n == 0 else f"about {n} in 10"
    if not points:
        return (f"{published} If recording were complete, it would still be {about} ({adjusted:.1f}%, a difference "
                f"of {points:.1f} points): no release was found that fixing its records would count.")  # fmt: skip
    return (
        f"{published} If recording were complete, {about} would have started: {adjusted:.1f}%, "
        f"{points:.1f} points higher. Some people did start treatment, but their records do not match "
        "their release or were entered late; this counts those a fix would count. It is an upper estimate, "
        "and it says which records to check, not what care was given."
    )


def adjusted_rows(p: Profile) -> list[tuple[str, dict]]:
    """(name, c20_recording_adjusted row) of the area, its region and England."""
    names = {"area": p.name, "region": p.region or "Region", "england": "England"}
    return [(names[role], p.adjusted[role]) for role in ("area", "region", "england") if role in p.adjusted]


def cell(row: dict, column: str, decimals: int = 1) -> str:
    """A published value as text: the number, `[c]` when hidden, `[x]` when there is none
    for another reason (its value note says which)."""
    value = row.get(column)
    if value is not None:
        return f"{value:,.{decimals}f}" if isinstance(value, float) else f"{value:,}"
    return HIDDEN_MARK if is_hidden(value, row.get("value_note"), column) else MISSING_MARK


def rate(row: dict, interval: bool = False) -> str:
    """A published rate, with its 95% interval when asked ("40.1 (38.0–42.2)")."""
    text = cell(row, "value_pct")
    if interval and row.get("value_pct") is not None and row.get("lower_ci95_pct") is not None:
        text += f" ({row['lower_ci95_pct']:.1f}–{row['upper_ci95_pct']:.1f})"
    return text


def interval(row: dict) -> str:
    if row.get("lower_ci95_pct") is None:
        return cell(row, "lower_ci95_pct")
    return f"{row['lower_ci95_pct']:.1f}–{row['upper_ci95_pct']:.1f}"


def compared(row: dict, column: str) -> charts.Comparison:
    return charts.comparison(row.get(column))


def definition() -> list[tuple[str, str]]:
    """What the indicator is, as a Fingertips profile defines one."""
    days = window_days()
    return [
        ("Indicator", f"PHOF C20 (formerly 2.16), continuity of care: adults with a drug or alcohol treatment need "
                      f"who start structured treatment in the community within {days} days of leaving prison."),
        ("Numerator", f"Releases after which the person started a structured community treatment intervention, with "
                      f"any provider in England, on the day of release or within {days} days after it."),
        ("Denominator", f"Releases of adults (18 or over) from prison to the area, with a treatment need recorded by "
                        f"the prison's treatment service, whose {days}-day window has closed. A person released "
                        "twice counts twice. Releases still inside their window are pending and counted later."),
        ("Value", "Numerator divided by denominator, as a percentage, with a 95% confidence interval (Wilson). "
                  "Compared with England and the region at 95%: better, similar or worse."),
        ("Source", "National Drug Treatment Monitoring System records of treatment in prison and in the "
                   "community, with probation release records; the area is where the person was released to."),
        ("Why it matters", "The weeks after release carry a high risk of drug-related death, relapse and "
                           "reoffending. Starting treatment quickly lowers these risks."),
    ]  # fmt: skip


def headline(p: Profile) -> str:
    """The latest year in one sentence, with the publication's own comparisons."""
    r = p.latest
    label = r["period_label"]
    if r.get("value_pct") is None:
        why = "hidden to protect confidentiality" if is_hidden(None, r.get("value_note")) else "not available"
        return f"{label}: the rate is {why}" + (f" ({r['value_note']})." if r.get("value_note") else ".")
    return (
        f"{label}: {r['value_pct']:.1f}% (95% interval {r['lower_ci95_pct']:.1f}% to {r['upper_ci95_pct']:.1f}%) "
        f"of {cell(r, 'denominator')} releases judged. Compared with England: "
        f"{compared(r, 'compared_with_england_95').words.lower()}; with {p.region or 'the region'}: "
        f"{compared(r, 'compared_with_region_95').words.lower()}."
    )


def trend_sentence(p: Profile) -> str:
    """The published recent trend in words, with the years it covers."""
    r = p.latest
    label = r.get("recent_trend")
    if not label:
        return "Recent trend: not published for this area."
    if label.lower().startswith("cannot"):
        return (
            "Recent trend: cannot be calculated. It needs five financial years in a row with a published count "
            "and denominator, none of them 0% or 100%."
        )
    labels = {row["period_start"]: period for period, row in p.years.items()}
    span = ""
    if r.get("trend_period_start") in labels and r.get("trend_period_end") is not None:
        end = next((period for period, row in p.years.items() if row["period_end"] == r["trend_period_end"]), None)
        span = f", {labels[r['trend_period_start']]} to {end}" if end else ""
    return f"Recent trend (the last five financial years{span}, tested for a significant change): {label.lower()}."


def funnel_sentence(p: Profile) -> str:
    """The area's published funnel positions (position_95, position_998) in words."""
    if p.point is None:
        return "Not on the funnel plot: the area's rate for the latest year is not published."
    words = {"above": "above", "inside": "inside", "below": "below"}
    return (
        f"In {p.point['period_label']}, {p.name} is {words.get(p.point['position_95'], p.point['position_95'])} the "
        f"95% limits and {words.get(p.point['position_998'], p.point['position_998'])} the 99.8% limits around "
        "England's rate for an area of its size. Outside the 99.8% limits, a difference from England is very "
        "unlikely to be chance."
    )


ADVICE = {  # what to ask of whom, per recording problem, in plain words
    "missing_exit_data": "prison treatment services: record the date and reason of every release.",
    "no_structured_intervention": "community treatment services: record the start of structured treatment, "
    "not only the referral or first assessment.",
    "attributor_mismatch": "prison and community services: check that initials, date of birth and sex match in "
    "both records. When they differ, a person who did start treatment is not counted.",
    "unclosed_community_episode": "community treatment services: close old treatment episodes, so a new start "
    "after release is recorded as new.",
    "exit_date_after_triage": "prison treatment services: check release dates that fall after the community "
    "service's first assessment.",
}


def recording_lines(p: Profile) -> list[str]:
    """Recording problems in plain words: what the open publication counts (England's), and
    which providers to ask, and what to ask them."""
    lines = [
        "Some people who did start treatment are not counted because their records do not match or are "
        f"incomplete. The providers to ask are the community drug and alcohol services in {p.name} and the "
        "treatment teams of the prisons that release people to it. Ask:"
    ]
    known = [r for r in p.problems if r["issue_type"] in ADVICE]
    for r in known:
        count = f"{r['issues']:,}" if r["issues"] is not None else HIDDEN_MARK
        lines.append(f"- {ADVICE[r['issue_type']]} ({issue_labels().get(r['issue_type'], '')}: {count} records in "
                     f"England in {r['financial_year'].replace('-', '/')}.)")  # fmt: skip
    if not known:
        lines += [f"- {text}" for text in ADVICE.values()]
    lines.append("The counts for each provider go to named partners under a data-sharing agreement.")
    return lines


def write_profiles(gathered: dict, folder: Path, building: dict[str, Path], provenance: Provenance) -> list[Profile]:
    """An HTML page per area (swapped in as one folder), an index page and one PDF of all."""
    from pipelines.reports import render

    canvases = Canvases.of(gathered)
    profiles = [build_profile(gathered, code, canvases) for code in gathered["codes"]]
    if canvases.funnel is not None:
        canvases.funnel.dispose()
    staging = folder.parent / f".{folder.name}.building"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    helpers = {"cell": cell, "rate": rate, "interval": interval, "compared": compared, "headline": headline,
               "trend_sentence": trend_sentence, "funnel_sentence": funnel_sentence, "definition": definition(),
               "recording_lines": recording_lines, "comparisons": list(charts.COMPARISONS.values()),
               "wait_sentence": wait_sentence, "wait_rows": wait_rows, "shown_pct": shown_pct,
               "adjusted_sentence": adjusted_sentence, "adjusted_rows": adjusted_rows, "wait_alt": wait_alt,
               "wait_caption": wait_caption,
               "window": window_days(),
               "hidden_mark": HIDDEN_MARK, "missing_mark": MISSING_MARK}  # fmt: skip
    for profile in profiles:
        render.render("profile.html.j2", staging / f"{profile.code}.html", p=profile, provenance=provenance,
                      title=f"{profile.name}: continuity of care profile", **helpers)  # fmt: skip
    if folder.exists():
        shutil.rmtree(folder)
    staging.rename(folder)
    render.render("profiles_index.html.j2", building["profiles_index"], profiles=profiles, provenance=provenance,
                  folder=folder.name, title="Local-area profiles: continuity of care", **helpers)  # fmt: skip
    write_profiles_pdf(profiles, building["profiles_pdf"], provenance)
    return profiles


A4 = (8.27 * 72, 11.69 * 72)  # points
MARGIN = 0.06  # of the page's width, each side
# the table's columns on the PDF page: (header lines, width in points)
PDF_COLUMNS = [
    (["Period"], 44),
    (["Count"], 34),
    (["Denom-", "inator"], 44),
    (["Value", "%"], 33),
    (["95%", "interval"], 55),
    (["Compared", "with England"], 80),  # "○ Not compared" with room before the next column
    (["Compared", "with region"], 80),
    (["Region %", "(95% interval)"], 76),
    (["England %", "(95% interval)"], 76),
]


def write_profiles_pdf(profiles: list[Profile], path: Path, provenance: Provenance) -> None:
    """Two A4 pages per area, the same content as its HTML page, a bookmark per area; the
    charts' backdrops stored once, each area's marks drawn over them."""
    from pipelines.reports import pdf, render

    title = f"Local-area profiles: {provenance.publisher.title}"
    document = pdf.Document(path, render.pdf_metadata(title, provenance), language="en-GB")
    per_area = [_pdf_first_page, _pdf_second_page] + ([_pdf_third_page] if any(p.closed for p in profiles) else [])
    total, number = len(per_area) * len(profiles), 0
    for p in profiles:
        for i, draw in enumerate(per_area):
            page = document.page(*A4)
            if i == 0:
                document.bookmark(p.name, page)
            draw(document, page, p)
            number += 1
            render.pdf_page_footer(page, provenance, f"Page {number} of {total}")
    document.close()


def _pdf_first_page(document, page, p: Profile) -> None:
    """Name, headline, trend chart with its key, the table of every year, its notes, trend."""
    w, h = page.width, page.height
    x = MARGIN * w
    page.text(x, 0.925 * h, p.name, 22, colour=charts.TEXT["heading"], bold=True)
    page.text(x, 0.9 * h, f"{p.region} | area code {p.code} | continuity of care profile", 11,
              colour=charts.TEXT["muted"])  # fmt: skip
    y = page.paragraph(x, 0.885 * h, headline(p), 11.5, width=w * (1 - 2 * MARGIN), spacing=1.3)
    y = _pdf_chart(document, page, p.charts["trend"], x, y - 6, w * (1 - 2 * MARGIN))
    y = _pdf_table(page, p, x, y - 10)
    y = page.paragraph(x, y - 6, trend_sentence(p), 10, width=w * (1 - 2 * MARGIN), spacing=1.3)


def _pdf_second_page(document, page, p: Profile) -> None:
    """The funnel plot with the area marked once, the definition, recording problems."""
    w, h = page.width, page.height
    x, width = MARGIN * w, w * (1 - 2 * MARGIN)
    page.text(x, 0.935 * h, f"{p.name}: place among areas, definition, recording", 14,
              colour=charts.TEXT["heading"], bold=True)  # fmt: skip
    y = 0.92 * h
    if "funnel" in p.charts:
        y = _pdf_chart(document, page, p.charts["funnel"], x, y - 4, width)
    y = page.paragraph(x, y - 4, funnel_sentence(p), 10, width=width, spacing=1.3)
    y = page.heading(x, y - 10, "Definition", 12)
    for name, text in definition():
        y = page.paragraph(x, y, text, 9.5, width=width, spacing=1.25, lead=f"{name}: ")
    y = page.heading(x, y - 8, "Recording problems", 12)
    for line in recording_lines(p):
        bullet = line.startswith("- ")
        y = page.paragraph(x, y, line[2:] if bullet else line, 9.5, width=width, spacing=1.25, bullet=bullet)


def _pdf_third_page(document, page, p: Profile) -> None:
    """How long people wait (the chart and the table of days) and the rate if recording were
    complete, for the latest closed financial year."""
    w, h = page.width, page.height
    x, width = MARGIN * w, w * (1 - 2 * MARGIN)
    page.text(x, 0.935 * h, f"{p.name}: time to treatment and recording, {p.closed or 'no closed year'}", 14,
              colour=charts.TEXT["heading"], bold=True)  # fmt: skip
    y = 0.92 * h
    if not p.closed:
        page.paragraph(x, y - 4, "No financial year is closed yet: every year still has releases pending.", 10,
                       width=width)  # fmt: skip
        return
    y = page.heading(x, y - 4, f"How long people wait for treatment, {p.closed}", 12)
    y = page.paragraph(x, y, wait_sentence(p), 10, width=width, spacing=1.3)
    if "wait" in p.charts:
        y = _pdf_chart(document, page, p.charts["wait"], x, y - 4, width)
        y = page.paragraph(x, y - 2, f"{wait_caption(p)} Dotted line: day {window_days()}, the indicator's window. "
                           "A line breaks where a value is not shown.", 8.5, width=width,
                           colour=charts.TEXT["muted"])  # fmt: skip
        interval = "% (95% interval)"
        columns = [(["Day"], 40), ([p.name, interval], 150), ([p.region or "Region", interval], 150),
                   (["England", interval], 150)]  # fmt: skip
        rows = [[str(day), *(shown_pct(r, "started_pct", "started") for r in (a, reg, e))]
                for day, a, reg, e in wait_rows(p)]  # fmt: skip
        notes = day_notes(p)
        y = _pdf_grid(page, columns, rows, x, y - 8)
        if notes:
            y = page.paragraph(x, y - 4, f"Notes, {p.name}: " + "; ".join(notes) + ".", 8.5, width=width,
                               spacing=1.25, colour=charts.TEXT["muted"])  # fmt: skip
    y = page.heading(x, y - 12, f"If recording were complete, {p.closed}", 12)
    y = page.paragraph(x, y, adjusted_sentence(p), 10, width=width, spacing=1.3)
    adjusted = adjusted_rows(p)
    if adjusted:
        columns = [(["Area"], 180), (["Published", "%"], 70), (["If recording", "complete %"], 80),
                   (["Difference", "(points)"], 70), (["Releases a fix", "would count"], 90)]  # fmt: skip
        rows = [[name, shown_pct(r, "value_pct"), shown_pct(r, "adjusted_value_pct"),
                 shown_pct(r, "difference_pct_points"), cell(r, "releases_fix_would_engage")]
                for name, r in adjusted]  # fmt: skip
        notes = [f"{name}: {r['value_note']}" for name, r in adjusted if r.get("value_note")]
        y = _pdf_grid(page, columns, rows, x, y - 6)
        page.paragraph(x, y - 4, f"{HIDDEN_MARK} hidden to protect confidentiality; {MISSING_MARK} no value. "
                       + ("Notes: " + "; ".join(notes) + "." if notes else ""), 8.5, width=width, spacing=1.25,
                       colour=charts.TEXT["muted"])  # fmt: skip


def _pdf_grid(page, columns: list[tuple[list[str], float]], rows: list[list[str]], left: float, top: float) -> float:
    """A plain table: bold headers (one or two lines), a row per list of texts; returns the bottom."""
    from pipelines.reports import pdf

    size, step = 8.5, 12.5
    x, deepest = left, 2
    for lines, width in columns:
        wrapped = [part for line in lines for part in pdf.wrap(line, size, width - 4, bold=True)]
        for i, line in enumerate(wrapped):
            page.text(x + 2, top - (i + 1) * 10, line, size, bold=True)
        x, deepest = x + width, max(deepest, len(wrapped))
    table_width = x - left
    y = top - 10 * deepest - 4
    page.rule(left, y, left + table_width, y, 0.8)
    for values in rows:
        y -= step
        x = left
        for value, (_, width) in zip(values, columns, strict=True):
            page.text(x + 2, y + 3, value, size)
            x += width
        page.rule(left, y - 1.5, left + table_width, y - 1.5, 0.3, colour="#B0B7BC")
    return y - 2


def _pdf_chart(document, page, drawing: charts.Drawing, left: float, top: float, width: float) -> float:
    """A chart drawn `width` wide with its top at `top`; returns its bottom."""
    backdrop = drawing.backdrop
    name = document.picture(f"C{id(backdrop)}", backdrop.rgb, backdrop.pixels)
    scale = width / backdrop.size[0]
    height = backdrop.size[1] * scale
    page.picture(name, (left, top - height, width, height))
    page.marks(drawing.marks, left, top - height, scale)
    return top - height


def _pdf_table(page, p: Profile, left: float, top: float) -> float:
    """The table of every year: the area's count, denominator, value and interval, its
    comparisons (shape, colour and word), its region's and England's values with intervals;
    the value notes underneath. Returns the bottom."""
    size, step = 8.5, 12.5
    x = left
    for lines, width in PDF_COLUMNS:
        for i, line in enumerate(lines):
            page.text(x + 2, top - (i + 1) * 10, line, size, bold=True)
        x += width
    table_width = x - left
    y = top - 24
    page.rule(left, y, left + table_width, y, 0.8)
    for period, row, region, england in p.rows():
        y -= step
        values = [period, cell(row, "numerator"), cell(row, "denominator"), cell(row, "value_pct"), interval(row)]
        x = left
        for value, (_, width) in zip(values, PDF_COLUMNS, strict=False):
            page.text(x + 2, y + 3, value, size)
            x += width
        for column in ("compared_with_england_95", "compared_with_region_95"):
            c = compared(row, column)
            page.marks([charts.shape(c.marker, 5, 3.2, c.colour, charts.WHITE if c.hollow else c.colour, r=3.4,
                                     width=1)], x + 2, y + 3, 1)  # fmt: skip
            page.text(x + 13, y + 3, c.words, size)
            x += PDF_COLUMNS[5][1]
        for other in (region, england):
            page.text(x + 2, y + 3, rate(other, interval=True), size)
            x += PDF_COLUMNS[7][1]
        page.rule(left, y - 1.5, left + table_width, y - 1.5, 0.3, colour="#B0B7BC")
    notes = [f"{period}: {row['value_note']}" for period, row, _, _ in p.rows() if row.get("value_note")]
    england_notes = [f"{period}: {e['value_note']}" for period, _, _, e in p.rows() if e.get("value_note")]
    text = (
        f"{HIDDEN_MARK} hidden to protect confidentiality; {MISSING_MARK} no value (the note says why). "
        + (f"Notes, {p.name}: " + "; ".join(notes) + ". " if notes else "")
        + ("England: " + "; ".join(england_notes) + "." if england_notes else "")
    )
    return page.paragraph(left, y - 6, text, 8.5, width=table_width, spacing=1.25, colour=charts.TEXT["muted"])
