"""The slides of the slide pack, one function each, from the figures pipelines/reports/ (gather)
gathered from the open publication. Names, never bare codes; every number on a slide is in
its speaker notes and its `numbers`; labels and positions are the publication's columns."""

from __future__ import annotations

import polars as pl

from pipelines.reports import (
    BREAKDOWN_LABELS,
    ISSUE_LABELS,
    OUTCOME_LABELS,
    TERMS,
    Slide,
    charts,
    is_provisional,
    window_days,
)

MAX_NAMED = 6  # outliers named on a funnel slide; the rest in its notes, so the text fits


def title_slide(data: dict) -> Slide:
    """What the indicator is and how the figures below England were protected."""
    rules = data["rules"]
    return Slide(
        "Continuity of care for people leaving prison",
        f"Adults released from prison with a drug or alcohol treatment need who start structured community "
        f"treatment within {window_days()} days of release (PHOF C20). Below England, counts are rounded to "
        f"{rules.rounding_base} and rates on fewer than {rules.min_count} people are not shown.",
        notes="The indicator, its window and the disclosure rules the publication applied.",
    )


def terms_slide() -> Slide:
    return Slide("Terms used in this pack", "\n".join(f"{k}: {v}" for k, v in TERMS.items()))


def national(data: dict) -> Slide:
    """England's rate over every financial year, provisional years marked."""
    rules, nat = data["rules"], data["national"]
    provisional = {r["period_label"] for r in nat.iter_rows(named=True) if is_provisional(r["value_note"], rules)}
    chart = charts.trend(
        nat["period_label"].to_list(),
        [
            charts.Series(
                "England", nat["value_pct"].to_list(), nat["lower_ci95_pct"].to_list(), nat["upper_ci95_pct"].to_list()
            )
        ],  # fmt: skip
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
        charts.funnel(points, las["england_value_pct"][0]),
        [str(las.height), *outliers["geography_name"].to_list()],
        alt=f"Funnel plot of {las.height} local authorities' rates against their number of releases in {label}, "
        f"with England's rate and 95% and 99.8% limits. "
        + (f"Outliers: {', '.join(every)}." if every else "No outliers."),
        notes=text + (f"\nEvery area outside the 99.8% limits: {', '.join(every)}." if every else ""),
    )


def flows(data: dict) -> Slide | None:
    """The largest prison-to-area flows, named, with the share who started treatment."""
    rows = list(data["flows"].iter_rows(named=True))
    if not rows:
        return None
    names = data["names"]
    labels = [f"{names.get(r['estab_code'], r['estab_code'])} to {names.get(r['exit_la_code'], r['exit_la_code'])}"
              for r in rows]  # fmt: skip
    counts = [int(r["releases"]) for r in rows]  # rounded in the publication
    notes = [f"{n} released, {r['value_pct']:.0f}% started" for n, r in zip(counts, rows, strict=True)]
    rules, label = data["rules"], data["latest_label"]
    chart = charts.bars(labels, counts, notes, f"Releases (rounded to {rules.rounding_base})", charts.COLOURS["main"])
    listing = "; ".join(f"{a}: {b}" for a, b in zip(labels, notes, strict=True))
    return Slide(
        f"Largest prison to local authority flows, {label}",
        f"The {len(rows)} largest published flows from a prison to the area people were released to, and the "
        "share who started treatment: a prison's main receiving areas and an area's main referring prisons. "
        "Smaller flows are not shown to protect privacy.",
        chart,
        [str(n) for n in counts],
        alt=f"Bar chart of the {len(rows)} largest published prison to area flows in {label}: {listing}.",
        notes=listing,
    )


def attrition(data: dict) -> Slide | None:
    """England's attrition funnel for the latest year, with contact before release."""
    funnel = data["funnel"]
    overall = funnel.filter(pl.col("split_type") == "all")
    if not overall.height:
        return None
    row = overall.row(0, named=True)
    steps = [("Released", row["transferred"]), ("Referral received", row["referral_received"]),
             ("Appointment offered", row["appointment_offered"]), ("Started treatment", row["engaged"])]  # fmt: skip
    numbers = [f"{n:,}" for _, n in steps]
    chart = charts.bars(
        [s for s, _ in steps], [n for _, n in steps], numbers, "People (England)", charts.COLOURS["main"]
    )
    label = data["latest_label"]
    text = (
        f"England, {label}: of {row['transferred']:,} released, {row['referral_received']:,} were referred to a "
        f"community service, {row['appointment_offered']:,} offered an appointment and {row['engaged']:,} started."
    )
    inreach = {
        r["split_value"]: r["engaged_pct"]
        for r in funnel.filter(pl.col("split_type") == "inreach").iter_rows(named=True)
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


def problems(data: dict) -> Slide | None:
    """Recording problems in England that lower the rate (all years)."""
    table = data["problems"]
    if not table.height:
        return None
    labels = [ISSUE_LABELS.get(t, t) for t in table["issue_type"]]
    counts = [int(n) for n in table["n"]]
    total, fixable = sum(counts), int(table["would_engage"].sum())
    chart = charts.bars(labels, counts, [f"{n:,}" for n in counts], "Records to check (England, all years)",
                        charts.COLOURS["warn"])  # fmt: skip
    text = (
        f"{total:,} records to check in England. Fixing them could move up to {fixable:,} releases into the "
        "numerator. Mismatched attributors can also be different people with the same initials: check, do not "
        "correct blindly."
    )
    listing = ", ".join(f"{a} {n:,}" for a, n in zip(labels, counts, strict=True))
    return Slide(
        "Recording problems that lower the rate",
        text,
        chart,
        [f"{total:,}", f"{fixable:,}"],
        alt=f"Bar chart of records to check in England by problem: {listing}.",
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
    """Enhanced RECONNECT outcomes by pilot site, with intervals and n."""
    table = data["er"].filter(pl.col("outcome").is_in(list(OUTCOME_LABELS)))
    if not table.height:
        return None
    outcomes = [o for o in OUTCOME_LABELS if table.filter(pl.col("outcome") == o).height]
    series = {}
    for (site,), part in table.group_by(["site"], maintain_order=True):
        rows = {r["outcome"]: r for r in part.iter_rows(named=True)}
        name = f"{site} ({part['delivery_model'][0]})"
        series[name] = [(rows[o]["value_pct"], rows[o]["lower_ci95_pct"], rows[o]["upper_ci95_pct"]) if o in rows
                        else (None, None, None) for o in outcomes]  # fmt: skip
    success = table.filter(pl.col("outcome") == "successful_outcome")
    lines = [f"{r['site']}: {r['value_pct']:.1f}% successful ({r['lower_ci95_pct']:.1f}% to "
             f"{r['upper_ci95_pct']:.1f}%, n = {r['n']:,})." for r in success.iter_rows(named=True)]  # fmt: skip
    text = "Enhanced RECONNECT (ER) outcomes by pilot site. TAIM: Team Around the Individual Model. " + " ".join(lines)
    listing = "; ".join(
        f"{r['site']} {OUTCOME_LABELS[r['outcome']]} {r['value_pct']:.1f}% (n = {r['n']:,})"
        for r in table.iter_rows(named=True)
    )
    return Slide(
        "Enhanced RECONNECT: outcomes by site",
        text,
        charts.grouped_bars([OUTCOME_LABELS[o] for o in outcomes], series),
        [f"{r['value_pct']:.1f}%" for r in success.iter_rows(named=True)],
        alt=f"Grouped bar chart of ER outcomes by site with 95% intervals: {listing}.",
        notes=f"{text}\n{listing}.",
    )
