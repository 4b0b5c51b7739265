"""A count as others read it: the JSON of `count-stv --json` and the printed count sheet."""

from __future__ import annotations

from confapp.elections.model import CountResult, Stage, to_units

ACTIONS = {"first": "First preferences", "surplus": "Surplus of", "exclusion": "Exclusion of"}


def result_json(result: CountResult) -> dict:
    """The issue's JSON shape; non-transferable includes rounding losses (as Glasgow 2017)."""
    figure = result.figure
    return {
        "rule": result.rule,
        "seats": result.seats,
        "valid": figure(to_units(result.valid, result.decimals)),
        "quota": figure(to_units(result.quota, result.decimals)),
        "candidates": list(result.candidates),
        "stages": [
            {
                "stage": stage.number,
                "action": stage.action,
                "subject": stage.subject,
                "votes": {str(c): figure(v) for c, v in sorted(stage.votes.items())},
                "non_transferable": figure(_lost(stage)),
                "elected": list(stage.elected),
                "excluded": list(stage.excluded),
            }
            for stage in result.stages
        ],
        "elected": list(result.elected),
    }


def stored_result(result: CountResult) -> dict:
    """What an election keeps of its count: the JSON above and all a recount needs besides.

    Adds the seed, invalid papers, withdrawn candidates, the quota categories, and for each
    stage its rounding loss (cumulative, also inside non_transferable), tie-breaks and notes.
    """
    figure = result.figure
    stored = result_json(result)
    stored.update(
        seed=result.seed,
        decimals=result.decimals,
        invalid=figure(to_units(result.invalid, result.decimals)),
        withdrawn=list(result.withdrawn),
        categories=[
            {
                "name": category.name,
                "minimum": category.minimum,
                "maximum": category.maximum,
                "members": sorted(category.members),
            }
            for category in result.categories
        ],
    )
    for kept, stage in zip(stored["stages"], result.stages, strict=True):
        kept["rounding"] = figure(int(stage.rounding // 1))
        kept["notes"] = list(stage.notes)
        kept["ties"] = [
            {"reason": t.reason, "tied": t.tied, "chosen": t.chosen, "method": t.method}
            for t in stage.ties
        ]
    return stored


def _lost(stage: Stage) -> int:
    """Non-transferable and rounding together, truncated to the rule's unit."""
    return int((stage.non_transferable + stage.rounding) // 1)


def count_sheet(result: CountResult) -> str:
    """The stage-by-stage count sheet as plain text, one column per stage."""
    figure = result.figure
    rule = {"scottish": "Scottish STV (SSI 2007/42 as amended)", "meek": "Meek STV"}[result.rule]
    lines = [
        f"Rule: {rule}",
        f"Seats: {result.seats}    Valid votes: {figure(to_units(result.valid, result.decimals))}"
        f"    Quota: {figure(to_units(result.quota, result.decimals))}",
        f"Seed of the draw for ties: {result.seed!r}",
    ]
    if result.invalid:
        lines.append(f"Ballots with no valid preference (not counted): {result.invalid}")
    if result.withdrawn:
        lines.append("Withdrawn: " + ", ".join(_name(result, c) for c in result.withdrawn))
    for category in result.categories:
        top = "no maximum" if category.maximum is None else f"at most {category.maximum}"
        members = ", ".join(_name(result, c) for c in sorted(category.members))
        lines.append(f"Quota {category.name}: at least {category.minimum}, {top} ({members})")
    lines.append("")
    standing = sorted(result.stages[0].votes) if result.stages else []
    width = max([len(_name(result, c)) for c in standing] + [len("Non-transferable")])
    columns = [[figure(s.votes[c]) for c in standing] for s in result.stages]
    sizes = [
        max(len(f"Stage {s.number}"), *(len(v) for v in col), len(figure(_lost(s))))
        for s, col in zip(result.stages, columns, strict=True)
    ]
    header = " " * width + "".join(
        f"  {f'Stage {s.number}':>{n}}" for s, n in zip(result.stages, sizes, strict=True)
    )
    lines.append(header)
    for row, candidate in enumerate(standing):
        cells = "".join(f"  {col[row]:>{n}}" for col, n in zip(columns, sizes, strict=True))
        lines.append(f"{_name(result, candidate):<{width}}{cells}")
    for label, value in (
        ("Non-transferable", lambda s: s.non_transferable),
        ("Rounding", lambda s: s.rounding),
    ):
        cells = "".join(
            f"  {figure(int(value(s) // 1)):>{n}}"
            for s, n in zip(result.stages, sizes, strict=True)
        )
        lines.append(f"{label:<{width}}{cells}")
    lines.append("")
    for stage in result.stages:
        if stage.subject:
            what = f"{ACTIONS[stage.action]} {_name(result, stage.subject)}"
        else:  # Meek: every elected candidate's surplus at once
            what = "First preferences" if stage.action == "first" else "Surpluses (Meek iteration)"
        lines.append(f"Stage {stage.number}: {what}")
        for candidate in stage.elected:
            lines.append(f"  elected: {_name(result, candidate)}")
        for tie in stage.ties:
            tied = ", ".join(_name(result, c) for c in tie.tied)
            lines.append(
                f"  tie ({tie.reason}) among {tied}: {_name(result, tie.chosen)} by {tie.method}"
            )
            for candidate, digest in tie.draw:
                lines.append(f"    sha256({result.seed}:{candidate}) = {digest}")
        lines.extend(f"  {note}" for note in stage.notes)
    lines.append("")
    lines.append("Elected: " + ", ".join(_name(result, c) for c in result.elected))
    return "\n".join(lines)


def _name(result: CountResult, candidate: int) -> str:
    return f"{candidate}. {result.candidates[candidate - 1]}"
