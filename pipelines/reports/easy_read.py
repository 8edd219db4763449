"""The easy-read summary, after the Department of Health's "Making written information easier
to understand": one idea per page with its picture on the left, sentences of at most 15 words,
no acronyms or year ranges, a hard word explained in the next sentence, who made it and when,
where to get help, no more than 12 pages. Every number is a published England figure."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from pipelines.reports import Provenance, charts, is_provisional, window_days

MAX_WORDS = 15
MAX_PAGES = 12
NBSP = "\u00a0"  # joins the parts of a phone number, so a line never breaks inside one
FRANK = NBSP.join(["0300", "123", "6600"])


def phone(number: str) -> str:
    """A phone number whose parts never break across lines."""
    return NBSP.join(number.split())


def footer(provenance: Provenance) -> str:
    """The footer in plain words: who made it, when, and from what (no acronyms)."""
    return (
        f"Made by the {provenance.publisher.name} on {provenance.produced}. The numbers come from records of drug "
        f"and alcohol treatment and of people leaving prison, up to {provenance.extract_date}."
    )


@dataclass
class Page:
    heading: str
    sentences: list[str]
    picture: bytes
    alt: str


def _span(start, end) -> str:
    """'from April 2025 to March 2026': a period in words, never '2025-26'."""
    return f"from {start:%B %Y} to {end:%B %Y}"


def _window_words() -> str:
    days = window_days()
    return f"{days // 7} weeks" if days % 7 == 0 else f"{days} days"


def _in_ten(pct: float) -> int:
    return round(pct / 10)


def _result_pages(data: dict) -> list[Page]:
    """Who was counted and how many got help, from England's latest year."""
    last = data["national"].row(-1, named=True)
    n, window = _in_ten(last["value_pct"]), _window_words()
    pages = [
        Page(
            "Who we counted",
            [
                f"We counted adults who left prison {_span(last['period_start'], last['period_end'])}.",
                f"We looked at who started treatment within {window} of leaving.",
                "Treatment means regular meetings with a drug and alcohol worker.",
            ],
            charts.pictogram("calendar", label=window.replace(" ", "\n")),
            f"A calendar showing {window}.",
        ),
        Page(
            "How many people got help",
            [
                f"About {n} in 10 people got help within {window} of leaving prison.",
                "We want more people to get help quickly.",
            ],  # fmt: skip
            charts.pictogram("people", n),
            f"{n} of 10 people coloured in.",
        ),
    ]
    if is_provisional(last["value_note"], data["rules"]):
        pages[-1].sentences += ["Some people left prison only a short time ago.", "So this number may change."]
    return pages


def _inreach_page(data: dict) -> list[Page]:
    """Contact before release, when the attrition table splits by it."""
    funnel = data.get("funnel")
    if funnel is None:
        return []
    rates = {
        r["split_value"]: r["engaged_pct"]
        for r in funnel.filter(pl.col("split_type") == "inreach").iter_rows(named=True)
    }
    if not {"inreach", "no_inreach"} <= rates.keys():
        return []
    met, not_met = _in_ten(rates["inreach"]), _in_ten(rates["no_inreach"])
    return [
        Page(
            "Meeting a worker before you leave",
            [
                f"About {met} in 10 people got help if a worker met them in prison.",
                f"About {not_met} in 10 people got help if nobody met them.",
            ],
            charts.pictogram("meeting"),
            "Two people meeting.",
        )
    ]


def _fixed_pages(provenance: Provenance) -> list[Page]:
    """Records, what to do, where to get help, who made it: pages with no number but dates."""
    org = provenance.publisher
    made = [
        f"The {org.name} made this report.",
        f"We made it on {provenance.produced}.",
        f"The numbers come from records up to {provenance.extract_date}.",
    ]
    if provenance.synthetic:
        made += ["The numbers in this report are made up for testing.", "They are not real."]
    return [
        Page(
            "Some records have mistakes",
            [
                "Some records have mistakes.",
                "Records are the notes services keep about the help they give.",
                "A mistake can mean someone who got help is not counted.",
            ],
            charts.pictogram("records"),
            "A page of notes with a warning mark.",
        ),
        Page(
            "What you can do",
            [
                "If you are leaving prison, ask to meet your worker before you leave.",
                "Go to your first appointment.",
                "If you miss it, ask again. You can still get help.",
            ],
            charts.pictogram("appointment"),
            "A calendar with a tick on it.",
        ),
        Page(
            "Where to get help",
            [
                "Ask the healthcare team in your prison.",
                "Or ask your probation officer.",
                "A probation officer is the person who supports you after prison.",
                f"You can also call FRANK free on {FRANK}.",
                "FRANK is a free helpline about drugs.",
            ],
            charts.pictogram("help"),
            "A phone.",
        ),
        Page("Who made this report", made, charts.pictogram("made"), "A page with a tick."),
        Page("Contact us", _contact(org), charts.pictogram("help"), "A phone."),
    ]


def _contact(org) -> list[str]:
    """How to reach the team, and the other formats it offers."""
    lines = [f"You can email us at {org.email}."] if org.email else []
    if org.phone:
        lines.append(f"You can call us on {phone(org.phone)}.")
    return lines + [
        "You can ask us for this report in another format.",
        "For example large print, audio, braille or another language.",
    ]


def easy_read_pages(data: dict, provenance: Provenance) -> list[Page]:
    """The pages, in reading order."""
    intro = Page(
        "About this report",
        [
            "This report is about people leaving prison.",
            "Some of them need help with drugs or alcohol.",
            "A service near their home can help them.",
        ],
        charts.pictogram("prison"),
        "A prison and a person walking out.",
    )
    if data["latest"] is None:
        return [intro, Page("No numbers yet", ["There are no numbers yet.", "Come back after the next update."],
                            charts.pictogram("calendar"), "A calendar.")]  # fmt: skip
    pages = [intro, *_result_pages(data), *_inreach_page(data), *_fixed_pages(provenance)]
    return pages[:MAX_PAGES]
