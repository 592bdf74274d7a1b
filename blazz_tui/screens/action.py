"""The actions on screen: a menu of what applies to the selection, then one screen per action
that shows its plan, asks (``No`` has the focus; a production target wants its name typed),
and follows it to its result.

The screen runs nothing itself: it is handed ``run``, which carries the plan out elsewhere
(the runtime's loop) and reports progress lines through ``ActionScreen.Progress``.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option

from blazz_tui.actions.menu import Offer, plan_for
from blazz_tui.actions.model import Outcome, Plan, Progress, Result
from blazz_tui.actions.run import ActionEnv, carry_out
from blazz_tui.fmt import visible
from blazz_tui.runtime import Runtime
from blazz_tui.settings import TargetConfig
from blazz_tui.snapshot import Snapshot
from blazz_tui.sources.logs import SyncRun
from blazz_tui.widgets.picker import MOVES, move

Run = Callable[[Progress], Awaitable[Result]]
"""Carries the plan out (on the runtime's loop), reporting progress."""
SHOWN_CHANGES = 200
SHOWN_LINES = 6
"""Progress lines on screen while an action runs (the result lists them all)."""


class ActionMenu(ModalScreen[Offer | None]):
    """The actions for the selected rows, each with a letter; those that do not apply are
    listed too, dimmed, and reachable: choosing one says why it does not apply."""

    BINDINGS = [Binding("escape,q,x", "dismiss(None)", "Close"),
                *MOVES]

    def __init__(self, offers: tuple[Offer, ...], heading: str) -> None:
        super().__init__()
        self.offers, self.heading = offers, heading
        self.letters = letters(offers)

    def compose(self) -> ComposeResult:
        with Vertical(id="action-menu"):
            yield Static(self.heading, id="action-menu-title", markup=False)
            yield OptionList(*(Option(self._label(i, o), id=str(i))
                               for i, o in enumerate(self.offers)))
            yield Static("", id="action-menu-why", markup=False)

    def _label(self, index: int, offer: Offer) -> Text:
        key = Text(f"{self.letters[index]}  ", style="bold")
        if offer.why_not:
            return key + Text(f"{offer.label} — {offer.why_not}", style="dim")
        return key + Text(offer.label)

    def action_move(self, where: str) -> None:
        move(self.query_one(OptionList), where)

    def on_key(self, event: events.Key) -> None:
        if event.character in self.letters:
            event.stop()
            self._choose(self.letters.index(event.character))

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self._choose(int(event.option.id or 0))

    def _choose(self, index: int) -> None:
        offer = self.offers[index]
        if offer.why_not:
            self.query_one(OptionList).highlighted = index
            self.query_one("#action-menu-why", Static).update(
                f"{offer.label}: {offer.why_not}")
            return
        self.dismiss(offer)


RESERVED = set("jkgGqx")
"""Keys the menu moves and closes with: never an action's letter."""
LETTERS = {"restart": "r", "start": "s", "stop": "o", "sync": "y", "rebalance": "b"}


def letters(offers: tuple[Offer, ...]) -> list[str]:
    """One key per offer: the verb's own (r restart, s start, o stop, y sync, b rebalance),
    else the first free letter of its label."""
    taken: list[str] = []
    for offer in offers:
        wanted = [LETTERS.get(offer.verb, ""), *offer.label.lower(), *"acdefhilmnptuvwz"]
        taken.append(next(c for c in wanted
                          if c.isalpha() and c not in RESERVED and c not in taken))
    return taken


class ActionScreen(ModalScreen[Result | None]):
    BINDINGS = [
        Binding("y", "confirm", "Yes", show=False),
        Binding("n,escape", "close", "No / close", show=False),
    ]

    class Progress(Message):
        def __init__(self, line: str) -> None:
            super().__init__()
            self.line = line

    def __init__(self, plan: Plan, run: Run, *, target: str, production: bool = False,
                 ask: bool = True, cancel: Callable[[], None] | None = None) -> None:
        super().__init__()
        self.plan, self.run, self.target = plan, run, target
        self.cancel = cancel
        """Stops the action after what is in flight (None: it cannot be stopped)."""
        self.production = production
        self.ask = ask or production
        self.state = "asking"
        """``asking``, ``running`` or ``done``."""
        self.result: Result | None = None
        self._lines: list[str] = []

    def compose(self) -> ComposeResult:
        plan = self.plan
        with Vertical(id="action"):
            yield Static(Text.assemble("on target ", (self.target, "bold"),
                                       ("  PRODUCTION" if self.production else "", "bold")),
                         id="action-target")
            yield Static(plan.title, id="action-title", markup=False)
            with VerticalScroll(id="action-plan"):
                yield Static(_safe(_plan_lines(plan)), markup=False)
            yield Static("", id="action-status", markup=False)
            if self.production and self._actionable:
                yield Input(placeholder=f"type {self.target} to go on", id="action-name")
            with Horizontal(id="action-buttons"):
                if self._actionable:
                    yield Button(f"{plan.action.capitalize()} (y)", id="yes", variant="error")
                yield Button("No (n)" if self._actionable else "Close (esc)", id="no",
                             variant="primary")

    @property
    def _actionable(self) -> bool:
        return self.plan.refused is None and bool(self.plan.changes)

    def on_mount(self) -> None:
        status = self.query_one("#action-status", Static)
        if self.plan.refused:
            status.update(f"refused: {self.plan.refused} — nothing will change")
            status.add_class("-refused")
        elif not self.plan.changes:
            status.update("nothing to do")
        elif self.production:
            status.update(f"production target: type its name ({self.target}) and press enter")
            self.query_one("#action-name", Input).focus()
            return
        elif not self.ask:
            self.action_confirm()
            return
        self.query_one("#no", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "yes":
            self.action_confirm()
        else:
            self.action_close()

    @on(Input.Submitted, "#action-name")
    def _typed(self, event: Input.Submitted) -> None:
        if event.value.strip() == self.target:
            self._start()
        else:
            self.query_one("#action-status", Static).update(
                f"{event.value.strip()!r} is not {self.target!r}: nothing done")

    def action_confirm(self) -> None:
        if self.state != "asking" or not self._actionable:
            return
        if self.production:
            name = self.query_one("#action-name", Input).value.strip()
            if name != self.target:
                self.query_one("#action-status", Static).update(
                    f"type the target's name ({self.target}) first")
                return
        self._start()

    def action_close(self) -> None:
        if self.state == "running":
            if self.cancel is None:
                self.notify("the action is running; it ends by itself", timeout=3)
            else:
                self.cancel()
                self.notify("cancelling: the moves in flight finish first", timeout=4)
            return
        self.dismiss(self.result)

    def _start(self) -> None:
        self.state = "running"
        for widget in self.query("#yes, #action-name"):
            widget.display = False
        self.query_one("#no", Button).label = "Close (esc)"
        self.query_one("#action-status", Static).update("running…")
        self._carry_out()

    @work(exclusive=True, exit_on_error=False)
    async def _carry_out(self) -> None:
        def progress(line: str) -> None:  # on the runtime's thread: by message
            self.post_message(ActionScreen.Progress(line))

        result = await self.run(progress)
        self.result = result
        self.state = "done"
        status = self.query_one("#action-status", Static)
        status.update(_safe(result.describe()))
        status.set_class(result.outcome is not Outcome.DONE, "-refused")
        self.query_one("#no", Button).focus()

    def on_action_screen_progress(self, message: ActionScreen.Progress) -> None:
        if self.state != "running":
            return
        self._lines = [*self._lines[1 - SHOWN_LINES:], visible(message.line)]
        self.query_one("#action-status", Static).update("\n".join(self._lines))


async def planned(offer: Offer, runtime: Runtime, env: ActionEnv, snapshot: Snapshot,
                  target: TargetConfig) -> ActionScreen:
    """The screen of ``offer``, planned by the runtime on ``snapshot`` (the frame the operator
    chose it on); carried out by the runtime when confirmed."""
    async def read(_needed: tuple[str, ...]) -> Snapshot:
        return snapshot

    cancel = threading.Event()
    env = replace(env, cancel=cancel)
    plan, execute = await asyncio.wrap_future(runtime.ask(plan_for, offer, env, read))

    async def run(progress: Progress) -> Result:
        result = await asyncio.wrap_future(runtime.ask(carry_out, plan, env, execute,
                                                        progress))
        if plan.action == "sync" and result.done:
            runtime.collector.own_sync = SyncRun(time.time(), len(result.done), None,
                                                 "blazz-tui")
        runtime.poll_now()  # show what it changed
        return result

    where = env.transport.name
    return ActionScreen(plan, run, target=target.name if where == "local"
                        else f"{target.name} via {where}", production=target.production,
                        ask=env.actions.confirm,
                        cancel=cancel.set if plan.action == "rebalance" else None)


def _safe(text: str) -> str:
    """Lines kept, control characters in them shown escaped."""
    return "\n".join(visible(line) for line in text.splitlines())


def _plan_lines(plan: Plan) -> str:
    lines = [f"{c.subject}: {c.detail}" for c in plan.changes[:SHOWN_CHANGES]]
    if len(plan.changes) > SHOWN_CHANGES:
        lines.append(f"… and {len(plan.changes) - SHOWN_CHANGES} more")
    lines += [f"({note})" for note in plan.notes]
    return "\n".join(lines) or "(no change)"
