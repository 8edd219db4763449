"""The slides of the slide pack, one function each, from the figures pipelines/reports/ (gather)
gathered from the open publication. Names, never bare codes; every number on a slide is in
its speaker notes and its `numbers`; labels and positions are the publication's columns."""

from __future__ import annotations

import polars as pl

from pipelines.reports import (
    BREAKDOWN_LABELS,
    OUTCOME_LABELS,
    TERMS,
    Slide,
    charts,
    is_provisional,
    issue_labels,
    window_days,
)

MAX_NAMED = 6  # outliers named on a funnel slide; the rest in its notes, so the text fits
TOP = 10  # bars on a ranked slide; every row ranked is in its speaker notes


def disclosure_sentence(rules) -> str:
    """How the figures below England were protected, from the rules as declared."""
    hidden = (
        f"Below England, counts of 1 to {rules.min_count - 1} and the figures that would reveal them are hidden ([c])"
    )
    if rules.rounding_base > 1:
        return f"{hidden}; other counts are rounded to the nearest {rules.rounding_base}."
    return f"{hidden}; every other count is exact."


def title_slide(data: dict) -> Slide:
    """What the indicator is and how the figures below England were protected."""
    return Slide(
        "Continuity of care for people leaving prison",
        f"Adults released from prison with a drug or alcohol treatment need who start structured community "
        f"treatment within {window_days()} days of release (PHOF C20). {disclosure_sentence(data['rules'])}",
        notes="The indicator, its window and the disclosure rules the publication applied.",
    )


def partner_title_slide(data: dict) -> Slide:
    """Who the partner pack is for, and what it holds that the open pack does not."""
    return Slide(
        "Continuity of care: partner slide pack",
        "For named partners under a data-sharing agreement: do not publish or pass on.\n"
        "Prison-to-area flows, where people are lost after release, recording problems by provider and Enhanced "
        f"RECONNECT by site, from the partner tables of the publication. {disclosure_sentence(data['rules'])}",
        notes="The partner tier: figures that name prisons, providers and sites.",
    )


def terms_slide() -> Slide:
    return Slide("Terms used in this pack", "\n".join(f"{k}: {v}" for k, v in TERMS.items()))


def hidden_words(note: str | None) -> str:
    """Why a value is not shown, in a few words for a chart label (from its value note)."""
    text = (note or "").lower()
    if "suppressed" in text:
        return "hidden (small numbers)"
    if "no releases" in text or "no one judged" in text:
        return "none judged"
    return "not published"


def national(data: dict) -> Slide:
    """England's rate over every financial year, provisional years marked."""
    rules, nat = data["rules"], data["national"]
    provisional = {r["period_label"] for r in nat.iter_rows(named=True) if is_provisional(r["value_note"], rules)}
    chart = charts.trend(
        nat["period_label"].to_list(),
        [
            charts.Series(
                "England",
                nat["value_pct"].to_list(),
                nat["lower_ci95_pct"].to_list(),
                nat["upper_ci95_pct"].to_list(),
                charts.PALETTE["england"],
                marker="D",
            )
        ],
        provisional,
    )
    last = nat.row(-1, named=True)
    text = (
        f"In {last['period_label']}, {last['value_pct']:.1f}% of {last['denominator']:,} adults released with a "
        f"treatment need started structured treatment within {window_days()} days (95% interval "
        f"{last['lower_ci95_pct']:.1f}% to {last['upper_ci95_pct']:.1f}%)."
        + (f" {last['pending']:,} releases are still inside their window." if last["pending"] else "")
        + (f" Recent trend: {last['recent_trend']}." if last["recent_trend"] else "")
    )
    series = "; ".join(f"{r['period_label']} {r['value_pct']:.1f}%" for r in nat.iter_rows(named=True))
    return Slide(
        "National continuity of care by financial year",
        text,
        chart,
        [f"{v:.1f}%" for v in nat["value_pct"]],
        alt=f"Line chart of England's rate by financial year with 95% intervals: {series}."
        + (f" Provisional: {', '.join(sorted(provisional))}." if provisional else ""),
        notes=f"{text}\nEvery year: {series}.",
    )


def _pct(row: dict) -> str:
    """A published share started, with its interval: '43.2% (41.0% to 45.4%)'; why when empty."""
    if row.get("started_pct") is None:
        return hidden_words(row.get("value_note"))
    if row.get("lower_ci95_pct") is None:
        return f"{row['started_pct']:.1f}%"
    return f"{row['started_pct']:.1f}% ({row['lower_ci95_pct']:.1f}% to {row['upper_ci95_pct']:.1f}%)"


def waits(data: dict) -> Slide | None:
    """How long people wait for treatment: the Kaplan-Meier share started by each published
    day of the latest closed financial year, England against each region, with 95% intervals."""
    table = data.get("waits")
    if table is None or not table.height:
        return None
    label, window = data["closed_label"], window_days()
    rows = list(table.iter_rows(named=True))
    days = sorted({r["day"] for r in rows})
    england = [r for r in rows if r["geography_type"] == "england"]
    regions: dict[str, list[dict]] = {}
    for r in rows:
        if r["geography_type"] == "region":
            regions.setdefault(r["geography_name"] or r["geography_code"], []).append(r)
    if not england:
        return None

    def series(name: str, part: list[dict], **style) -> charts.Series:
        by_day = {r["day"]: r for r in part}
        pick = lambda c: [by_day.get(d, {}).get(c) for d in days]  # noqa: E731
        return charts.Series(name, pick("started_pct"), pick("lower_ci95_pct"), pick("upper_ci95_pct"), **style)

    nat = series("England", england, colour=charts.PALETTE["england"], marker="D")
    panels = [series(n, part, colour=charts.PALETTE["region"], marker="s", dashed=True) for n, part in regions.items()]
    by_day = {r["day"]: r for r in england}
    last = max(days)
    shown_days = [d for d in dict.fromkeys((window, last)) if d in by_day]
    text = (
        f"Of people released in {label} (every release judged), an estimated {_pct(by_day[shown_days[0]])} had "
        f"started structured treatment by day {shown_days[0]}"
        + "".join(f", and {_pct(by_day[d])} by day {d}" for d in shown_days[1:])
        + "."
    )
    median = by_day[last].get("median_days_to_start")
    text += f" Half had started by day {median}." if median is not None else ""
    withheld = lambda r: r["started_pct"] is None and "suppressed" in (r["value_note"] or "").lower()  # noqa: E731
    hidden = [n for n, part in regions.items() if all(withheld(r) for r in part)]
    text += (
        " Kaplan-Meier estimate: each person counts for as long as the records follow them. "
        f"Day {window} is the indicator's own window. A panel per region, against England."
        + (f" Hidden to protect small numbers: {', '.join(hidden)}." if hidden else "")
    )
    listing = "; ".join(
        f"{name}: " + ", ".join(f"day {r['day']} {_pct(r)}" for r in part)
        for name, part in [("England", england), *regions.items()]
    )
    shown = [f"{r['started_pct']:.1f}%" for r in rows if r["started_pct"] is not None]
    return Slide(
        f"How long people wait for treatment, {label}",
        text,
        charts.waits(days, nat, panels, window),
        shown,
        alt=f"Line charts, one per region, of the estimated percentage of people released in {label} who had "
        f"started treatment by each day after release (days {', '.join(map(str, days))}), each region against "
        f"England, with 95% intervals. {listing}.",
        notes=f"{text}\nEvery value (95% interval): {listing}.",
    )


def funnel(data: dict) -> Slide | None:
    """Local authorities against England, outliers named from the funnel mart's positions."""
    las = data["las"]
    if not las.height:
        return None
    points = list(las.iter_rows(named=True))
    outliers = las.filter(pl.col("position_998") != "inside").sort("value_pct", descending=True)
    every = [f"{r['geography_name']} ({r['position_998']})" for r in outliers.iter_rows(named=True)]
    named = ", ".join(every[:MAX_NAMED]) + (
        f" and {len(every) - MAX_NAMED} more (speaker notes)" if len(every) > MAX_NAMED else ""
    )
    text = (
        f"Each dot is a local authority whose rate is published ({las.height} areas; the others have too few "
        "releases to show). "
        + (
            f"Outside the 99.8% limits, a difference from England beyond chance: {named}."
            if outliers.height
            else "None lies outside the 99.8% limits."
        )
    )
    label = data["latest_label"]
    return Slide(
        f"Local authorities against England, {label}",
        text,
        charts.funnel(points, las["england_value_pct"][0], named=MAX_NAMED),
        [str(las.height), *outliers["geography_name"].to_list()],
        alt=f"Funnel plot of {las.height} local authorities' rates against their number of releases in {label}, "
        f"with England's rate and 95% and 99.8% limits. "
        + (f"Outliers: {', '.join(every)}." if every else "No outliers."),
        notes=text + (f"\nEvery area outside the 99.8% limits: {', '.join(every)}." if every else ""),
    )


def flows(data: dict) -> Slide | None:
    """Every published prison-to-area flow of the latest year ranked by size (a flow whose rate
    is hidden too, its bar label saying so); the largest drawn, all of them in the notes."""
    table = data.get("flows")
    if table is None or not table.height:
        return None
    rows = list(table.iter_rows(named=True))
    labels = [f"{r['prison_name'] or r['estab_code']} to {r['la_name'] or r['exit_la_code']}" for r in rows]
    notes = [
        f"{r['releases']:,} released, "
        + (f"{r['value_pct']:.1f}% started" if r["value_pct"] is not None else f"rate {hidden_words(r['value_note'])}")
        for r in rows
    ]
    short = [  # the bar labels: the same, shorter
        f"{r['releases']:,} released, "
        + (f"{r['value_pct']:.1f}% started" if r["value_pct"] is not None else "rate hidden")
        for r in rows
    ]
    label = data["latest_label"]
    shown = min(TOP, len(rows))
    chart = charts.bars(labels[:shown], [r["releases"] for r in rows[:shown]], short[:shown], "Releases")
    listing = "; ".join(f"{i}. {a}: {b}" for i, (a, b) in enumerate(zip(labels, notes, strict=True), start=1))
    return Slide(
        f"Prison to local authority flows, {label}",
        f"The {shown} largest of the {len(rows)} published flows from a prison to the area people were released "
        "to, ranked by releases, with the share who started treatment (or why it is hidden). Every flow, ranked, "
        "is in the speaker notes and the partner exports.",
        chart,
        [str(r["releases"]) for r in rows[:shown]],
        alt=f"Bar chart of the {shown} largest published prison to area flows in {label}: "
        + "; ".join(f"{a}: {b}" for a, b in zip(labels[:shown], notes[:shown], strict=True))
        + ".",
        notes=f"Every published flow, largest first: {listing}.",
    )


def attrition(data: dict) -> Slide | None:
    """England's attrition funnel for the latest year, with contact before release."""
    funnel = data.get("funnel")
    if funnel is None:
        return None
    overall = funnel.filter(pl.col("split_type") == "all")
    if not overall.height:
        return None
    row = overall.row(0, named=True)
    steps = [("Released", row["transferred"]), ("Referral received", row["referral_received"]),
             ("Appointment offered", row["appointment_offered"]), ("Started treatment", row["engaged"])]  # fmt: skip
    if any(n is None for _, n in steps):
        return None
    numbers = [f"{n:,}" for _, n in steps]
    chart = charts.bars([s for s, _ in steps], [n for _, n in steps], numbers, "People (England)")
    label = data["latest_label"]
    text = (
        f"England, {label}: of {row['transferred']:,} released, {row['referral_received']:,} were referred to a "
        f"community service, {row['appointment_offered']:,} offered an appointment and {row['engaged']:,} started."
    )
    inreach = {
        r["split_value"]: r["engaged_pct"]
        for r in funnel.filter(pl.col("split_type") == "inreach").iter_rows(named=True)
        if r["engaged_pct"] is not None
    }
    if "inreach" in inreach and "no_inreach" in inreach:
        text += (
            f" With contact before release {inreach['inreach']:.1f}% started; without, {inreach['no_inreach']:.1f}%."
        )
        numbers += [f"{inreach['inreach']:.1f}%", f"{inreach['no_inreach']:.1f}%"]
    return Slide(
        f"Where people are lost: the attrition funnel, {label}",
        text,
        chart,
        numbers,
        alt=f"Bar chart of people at each step after release in England, {label}: "
        + ", ".join(f"{s} {n:,}" for s, n in steps)
        + ".",
        notes=text,
    )


def _issue(issue_type: str) -> str:
    return issue_labels()[issue_type]


def problems(data: dict) -> Slide | None:
    """England's recording problems that lower the rate, latest financial year, as published."""
    table = data.get("problems")
    if table is None or not table.height:
        return None
    rows = list(table.iter_rows(named=True))
    year = rows[0]["financial_year"]
    labels = [_issue(r["issue_type"]) for r in rows]
    counts = [r["issues"] or 0 for r in rows]
    notes = [f"{r['issues']:,}" if r["issues"] is not None else hidden_words(r["value_note"]) for r in rows]
    chart = charts.bars(labels, counts, notes, f"Records to check (England, {year})")
    text = (
        f"Records to check in England, {year}, by problem; the speaker notes give, for each, the releases that "
        "could move into the numerator once fixed. Mismatched attributors can also be different people with the "
        "same initials: check, do not correct blindly. Which providers' records to check is in the partner pack."
    )
    listing = "; ".join(
        f"{a}: {b} records"
        + (f", up to {r['releases_would_engage']:,} releases could be counted" if r["releases_would_engage"] else "")
        for a, b, r in zip(labels, notes, rows, strict=True)
    )
    return Slide(
        "Recording problems that lower the rate",
        text,
        chart,
        list(notes),
        alt=f"Bar chart of records to check in England in {year} by problem: {listing}.",
        notes=f"{text}\n{listing}.",
    )


def provider_problems(data: dict) -> Slide | None:
    """The providers' recording problems, latest financial year, largest first, as published."""
    table = data.get("providers")
    if table is None or not table.height:
        return None
    rows = list(table.iter_rows(named=True))
    shown = [r for r in rows if r["issues"] is not None][:TOP]
    if not shown:
        return None
    year = rows[0]["financial_year"]
    labels = [f"{r['provider']} ({r['provider_role']}): {_issue(r['issue_type'])}" for r in shown]
    counts = [r["issues"] for r in shown]
    chart = charts.bars(labels, counts, [f"{n:,}" for n in counts], f"Records to check ({year})")
    hidden = len(rows) - sum(r["issues"] is not None for r in rows)
    listing = "; ".join(
        f"{r['provider']} ({r['provider_role']}) {_issue(r['issue_type'])}: "
        + (f"{r['issues']:,}" if r["issues"] is not None else hidden_words(r["value_note"]))
        for r in rows
    )
    text = (
        f"The {len(shown)} largest counts of records to check by provider in {year}, of {len(rows)} published"
        + (f" ({hidden} hidden)" if hidden else "")
        + ". Ask each provider to check its own records; every row is in the speaker notes."
    )
    return Slide(
        f"Recording problems by provider, {year}",
        text,
        chart,
        [str(n) for n in counts],
        alt=f"Bar chart of the largest counts of records to check by provider and problem in {year}: "
        + "; ".join(f"{a} {n:,}" for a, n in zip(labels, counts, strict=True))
        + ".",
        notes=f"{text}\n{listing}.",
    )


def inequality(data: dict) -> Slide | None:
    """Unadjusted rates by age, sex, ethnic group and deprivation, England's line drawn."""
    table = data["inequality"]
    total = table.filter(pl.col("variable") == "total")
    parts = table.filter(pl.col("variable") != "total")
    if not parts.height:
        return None
    england = 100 * total["mean"][0] if total.height else None
    panels = {
        BREAKDOWN_LABELS.get(v, v): [
            (_category(v, r["category"]), 100 * r["mean"], 100 * r["lower_ci95"], 100 * r["upper_ci95"])
            for r in parts.filter(pl.col("variable") == v).iter_rows(named=True)
        ]
        for v in BREAKDOWN_LABELS
        if parts.filter(pl.col("variable") == v).height
    }
    rules = data["rules"]
    reference = f"England {england:.1f}%" if england is not None else ""
    text = (
        f"Unadjusted rates, all years pooled, with 95% intervals; the dashed line is {reference or 'England'}. "
        f"Groups of fewer than {rules.min_count} people are not shown. Age-sex adjusted rates are in the Excel tables."
    )
    listing = "; ".join(f"{p}: " + ", ".join(f"{c} {m:.1f}%" for c, m, *_ in rows) for p, rows in panels.items())
    return Slide(
        "Who starts treatment: breakdowns by group",
        text,
        charts.dot_intervals(panels, england, reference),
        [f"{m:.1f}%" for rows in panels.values() for _, m, *_ in rows],
        alt=f"Dot and interval charts of the rate by group: {listing}.",
        notes=f"{text}\n{listing}.",
    )


def _category(variable: str, category: str) -> str:
    if variable == "imd_quintile":
        return {"1": "1 most deprived", "5": "5 least deprived"}.get(category, category)
    return category


def er(data: dict) -> Slide | None:
    """Enhanced RECONNECT outcomes by pilot site, with intervals and n: a panel per outcome."""
    table = data.get("er")
    if table is None:
        return None
    table = table.filter(pl.col("outcome").is_in(list(OUTCOME_LABELS)) & pl.col("value_pct").is_not_null())
    if not table.height:
        return None
    panels = {}
    for outcome in OUTCOME_LABELS:
        part = table.filter(pl.col("outcome") == outcome)
        if part.height:
            panels[OUTCOME_LABELS[outcome]] = [
                (f"{r['site']} ({r['delivery_model']})", r["value_pct"], r["lower_ci95_pct"], r["upper_ci95_pct"])
                for r in part.iter_rows(named=True)
            ]
    success = table.filter(pl.col("outcome") == "successful_outcome")
    lines = [f"{r['site']}: {r['value_pct']:.1f}% successful ({r['lower_ci95_pct']:.1f}% to "
             f"{r['upper_ci95_pct']:.1f}%, n = {r['n']:,})." for r in success.iter_rows(named=True)]  # fmt: skip
    text = "Enhanced RECONNECT (ER) outcomes by pilot site. TAIM: Team Around the Individual Model. " + " ".join(lines)
    listing = "; ".join(
        f"{r['site']} {OUTCOME_LABELS[r['outcome']]} {r['value_pct']:.1f}% (n = {r['n']:,})"
        for r in table.iter_rows(named=True)
    )
    chart = charts.dot_intervals(panels, None, "", xlabel="% achieved (95% interval)")
    return Slide(
        "Enhanced RECONNECT: outcomes by site",
        text,
        chart,
        [f"{r['value_pct']:.1f}%" for r in success.iter_rows(named=True)],
        alt=f"Dot and interval charts of ER outcomes by site, a panel per outcome, with 95% intervals: {listing}.",
        notes=f"{text}\n{listing}.",
    )
