"""The partners workbook (SPEC.md section 7): the ``Partners`` sheet, one row per suggested
partnership of the council, and a ``Notes`` sheet saying what was ranked and how."""

from __future__ import annotations

from pathlib import Path

from optimizer.excel.book import NOTE, Book, Column, Rendered, print_setup, put, set_widths, write_table
from optimizer.excel.files import save_workbook
from optimizer.negotiate.partners import PARTNER_COLUMNS, Suggestions

PARTNERS = "Partners"
KINDS = {"partners": "int", "annual_saving": "money", "total_shortfall": "money", "total_impact": "impact",
         "net_benefit": "money", "extra_shortfall": "money", "extra_impact": "impact", "lost_net_benefit": "money"}
WIDE = {"service": 24, "councils": 50}
COLUMNS = tuple(Column(name, KINDS.get(name, "text"), width=WIDE.get(name), wrap=name in WIDE)
                for name in PARTNER_COLUMNS)


def notes(suggestions: Suggestions) -> list[str]:
    """What the table is, in words, below it."""
    best = suggestions.best
    against = (f"(net benefit £{best.net_benefit:,.0f}, status {best.status})" if best.has_plan
               else f"(the workbook has none: {best.status})")
    lines = [f"Each row is a partnership {suggestions.council} could join, with the best plan for everyone that "
             "includes it (the workbook re-solved with it required); extra_shortfall, extra_impact and "
             f"lost_net_benefit are against the optimal plan {against}."]
    if not suggestions.candidates:
        lines.append(f"{suggestions.council} has no candidate partnership in "
                     f"{', '.join(suggestions.services) if suggestions.services else 'any service'}: nothing to share.")
    else:
        lines.append(f"Re-solved exactly: {suggestions.solved_exactly} times for {suggestions.candidates} candidate "
                     f"partnerships ({suggestions.share_solved:.0%}): each re-solve ranks the best of those left, "
                     "and the last proves the rest out of the top.")
    if suggestions.unproven:
        lines.append(f"Not proven in {', '.join(suggestions.unproven)}: a re-solve stopped at the time limit short "
                     "of proof, so its rows are the best plans found, not proven best (their status says which), "
                     "and a partnership not listed could still belong in the top; a longer --time-limit proves more.")
    return lines


def render_partners(suggestions: Suggestions) -> bytes:
    book = Book()
    sheet = book.workbook.add_worksheet(PARTNERS)
    rows = [[s.row(suggestions.best)[c] for c in PARTNER_COLUMNS] for s in suggestions.rows]
    set_widths(sheet, write_table(book, sheet, 0, COLUMNS, rows, name="Partners"))
    for i, line in enumerate(notes(suggestions)):
        put(book, sheet, len(rows) + 2 + i, 0, line, **NOTE)
    sheet.freeze_panes(1, 2)
    print_setup(sheet, header_rows=0)
    sheet.activate()
    return book.finish()


def write_partners(suggestions: Suggestions, path: Path, *, force: bool, input_path: Path) -> Path:
    """Render, then save atomically (never over the input, never over a file without ``force``)."""
    return save_workbook(Rendered(render_partners(suggestions)), path, force=force, inputs=[input_path])
