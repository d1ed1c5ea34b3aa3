"""One progress display for the long commands (`pull`, `transform`, `close-month`).

On a terminal it is a rich bar (label, bar, done/total, the last item, elapsed time). Rich draws
nothing when output goes to a pipe or a log file, so there a plain line is printed instead, at most
every `every` seconds, and always when a step starts and when its last item is done: the operator
tailing a log still sees it move and how far it got.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn


class Bar:
    def __init__(
        self,
        console: Console,
        progress: Progress,
        label: str,
        total: int | None,
        every: float,
        announce: bool,
    ):
        self.console, self.progress, self.every = console, progress, every
        self.label, self.done, self.total = label, 0, total
        self.started = self.last_line = time.monotonic()
        self.task: TaskID = progress.add_task(label, total=total, last="", label=label)
        if announce:
            self._plain(force=True)

    def advance(self, last: str = "", n: int = 1) -> None:
        """One (or `n`) more item done; `last` names it (device, dbt node)."""
        self.done += n
        self.progress.update(self.task, advance=n, last=escape(last))
        self._plain(last)

    def set_total(self, total: int) -> None:
        """The number of items, once known (dbt says how many nodes it selected before the first)."""
        self.total = total
        self.progress.update(self.task, total=total)

    def step(self, label: str, total: int | None = None) -> None:
        """Start the next phase: the bar restarts under a new label."""
        self.label, self.done, self.total = label, 0, total
        self.progress.reset(self.task, total=total, last="", label=label)
        self._plain(force=True)

    def note(self, line: str) -> None:
        """A line that stays above the bar (a failure, a warning)."""
        self.progress.console.print(line, highlight=False, soft_wrap=True)

    def _plain(self, last: str = "", *, force: bool = False) -> None:
        if self.console.is_terminal:
            return
        now = time.monotonic()
        last_item = self.total is not None and self.done == self.total
        if not force and not last_item and now - self.last_line < self.every:
            return
        self.last_line = now
        elapsed = time.strftime("%M:%S", time.gmtime(now - self.started))
        if not self.done:  # a step starts
            self.console.print(f"{self.label} … ({elapsed})", highlight=False, markup=False, soft_wrap=True)
            return
        count = f"{self.done}/{self.total}" if self.total is not None else f"{self.done}"
        tail = f" — {last}" if last else ""
        line = f"{self.label}: {count} selesai ({elapsed}){tail}"
        self.console.print(line, highlight=False, markup=False, soft_wrap=True)  # one line in a log


@contextmanager
def progress_bar(
    console: Console,
    label: str,
    total: int | None = None,
    *,
    transient: bool = False,
    every: float = 10.0,
    announce: bool = True,
) -> Iterator[Bar]:
    """The bar for `label` (`total` items, or unknown); `announce=False` when the caller starts
    with `Bar.step`."""
    with Progress(
        TextColumn("[bold]{task.fields[label]}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[last]}"),
        TimeElapsedColumn(),
        console=console,
        transient=transient,
    ) as progress:
        yield Bar(console, progress, label, total, every, announce)
