"""``make demo``: the real bot against local Telegram and Kavenegar simulators, no network.

Two people sign up with /start, one calls the other from a group, both join from "the app"
(the Kavenegar sandbox's controls), talk for 42 seconds and hang up. The bot follows the call:
the group's notice turns into the outcome and both tokens are withdrawn from the private chats.
Then a team is made in the group's forum topic "On call", where its notices go, and paged: Bob,
on call, misses it, and the page escalates to Carol, who answers. Last, the team becomes a
support line: Dana, a newcomer nobody knows, opens its link, and Bob,
on call, accepts her call from the offer he gets. Then Alice asks /oncall and presses its
"Call now" twice (one call to Bob), and Bob asks for his shift to be swapped, which Carol takes.
Finally Alice calls Bob once more and Bob joins inside Telegram: his Join button opens the
bot's join page (a Mini App) in headless Chromium where one is installed, which joins with a
stand-in for Kavenegar's browser SDK; without a browser, the page's own request is made over
HTTP instead.
The transcript shows what each chat received (edits marked), and the checks at the end prove
each access token reached only its owner's private chat and is gone from it now. The bot and
the sandbox share one clock that the demo moves, so the 42 seconds take no time.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import tempfile
import textwrap
from collections.abc import Callable
from functools import partial
from pathlib import Path

from bot.app import CallBot, build_bot
from bot.config import Settings
from bot.core.clock import ManualClock, unix_time
from bot.core.people import FSI, PDI
from bot.runtime import running
from bot.simulator import SentMessage, TelegramSimulator
from bot.simulator.browser import chromium, missing_browser
from kavenegar import KavenegarClient
from kavenegar.sandbox import KavenegarSandbox, SandboxClock, SimCall

BOT_TOKEN = "424242:DEMO-bot-token-not-a-real-secret-000"
KV_TOKEN = "demo-kavenegar-api-token"
GROUP, ALICE, BOB, CAROL, DANA = -1001, 1111, 2222, 3333, 4444
DEADLINE = 30.0


def show(tg: TelegramSimulator, chat_id: int, title: str) -> None:
    print(f"\n── {title} " + "─" * max(0, 60 - len(title)))
    chat = tg.state.chats.get(chat_id)
    for entry in tg.transcript(chat_id):
        who = "🤖 bot" if entry.author == tg.state.bot.first_name else f"👤 {entry.author}"
        if entry.edited:
            who = "✏️ edit"
        text = entry.text.replace(FSI, "").replace(PDI, "")  # invisible name isolates
        if chat is not None and chat.is_forum:  # which topic of the forum it is in
            topic = chat.topics.get(entry.thread_id) if entry.thread_id else None
            text = f"[# {topic.name if topic else 'General'}] {text}"
        body = textwrap.indent(text, " " * 11).lstrip()
        print(f"{who:<10} {body}")
        for url in entry.buttons:
            print(f"{'':<10} [button] {url}")


async def demo(workdir: Path) -> bool:
    clock = ManualClock()
    async with (
        TelegramSimulator(token=BOT_TOKEN, bot_username="KavenegarCallBot") as tg,
        KavenegarSandbox(api_token=KV_TOKEN, clock=SandboxClock(now=clock.now)) as kv,
    ):
        tg.add_group(GROUP, "Ops team", forum=True)  # a supergroup with topics
        tg.add_user(ALICE, "Alice", username="alice_m", language_code="en")
        tg.add_user(BOB, "Bob", username="bob_r", language_code="en")
        port = _free_port()
        settings = Settings(
            _env_file=None,
            telegram_bot_token=BOT_TOKEN,
            kavenegar_api_token=KV_TOKEN,
            telegram_base_url=tg.base_url,
            kavenegar_base_url=kv.base_url,
            database_url=f"sqlite+aiosqlite:///{workdir / 'demo.db'}",
            join_url_template="https://app.example.com/call/{call_id}/{access_token}",
            page_retries=0,
            webapp_url=f"http://127.0.0.1:{port}/join",  # http: loopback only
            webapp_listen="127.0.0.1",
            webapp_port=port,
            kavenegar_web_sdk_url=kv.web_sdk_url,  # a stand-in for Kavenegar's browser SDK
        )
        call_bot = build_bot(settings, clock=clock)
        async with running(call_bot, poll_timeout=1.0):
            for user in (ALICE, BOB):
                await tg.user_sends(user, "/start")
                await tg.wait_until(_has_message(tg, user), what="a welcome")
            await tg.user_sends(BOB, "/platform ios")
            await tg.wait_until(lambda: len(tg.sent_to(BOB)) == 2, what="/platform")
            await tg.user_sends(ALICE, "/call @bob_r 10m", chat_id=GROUP)
            await tg.wait_until(lambda: bool(tg.sent_to(GROUP)), what="the group notice")
            await tg.wait_until(lambda: len(tg.sent_to(BOB)) == 3, what="Bob's token")

            (call,) = kv.state.calls.values()
            for side in ("caller", "receptor"):  # both apps join, talk for 42 s, hang up
                kv.state.join(call.id, side)
            clock.advance(42)
            kv.state.hangup(call.id)
            async with KavenegarClient(api_token=KV_TOKEN, base_url=kv.base_url) as client:
                detail = await client.calls.get(call.id)
            store = call_bot.services.store
            while not (await store.list_calls())[0].outcome:  # the bot polls on its clock
                clock.advance(2)
                await asyncio.sleep(0.05)
            notice = tg.sent_to(GROUP)[0].message_id
            await tg.wait_until(lambda: tg.current(GROUP, notice).edited, what="the outcome")
            await tg.wait_until(
                lambda: all(_token_gone(tg, chat) for chat in (ALICE, BOB)), what="withdrawal"
            )
            (first,) = kv.state.calls.values()
            tokens = (first.caller.access_token, first.receptor.access_token)
            withdrawn = all(
                token not in m.raw_text
                for chat in (ALICE, BOB)
                for m in tg.current_in(chat)
                for token in tokens
            )
            one_call = len(kv.state.calls) == 1
            topic = await tg.create_topic(GROUP, "On call", by=ALICE)
            page_text, page_topic = await _page(tg, kv, clock, topic)
            line_call = await _line(tg, kv, clock, topic)
            call_now_calls, swap_text = await _call_now_and_swap(tg, kv, clock, topic)
            join_link, joined, how_joined = await _join_in_telegram(tg, kv, clock, call_bot)
            registry = call_bot.services.metrics.registry
            metrics = [
                f"{sample.name}{{{','.join(f'{k}={v!r}' for k, v in sample.labels.items())}}}"
                f" {sample.value:g}"
                for family in registry.collect()
                if family.name in ("kcb_calls_placed", "kcb_pages_ended", "kcb_calls_finished")
                for sample in family.samples
                if sample.name.endswith("_total")
            ]

        print("Kavenegar call bot: the real bot, a local Telegram and a local Kavenegar.")
        show(tg, GROUP, "Group “Ops team”")
        show(tg, ALICE, "Alice's private chat with the bot")
        show(tg, BOB, "Bob's private chat with the bot")
        show(tg, CAROL, "Carol's private chat with the bot")
        show(tg, DANA, "Dana's private chat with the bot (a newcomer)")
        print(f"\n── Kavenegar {'─' * 50}")
        print(f"call {detail.id}: {detail.finish_reason} after {detail.duration} ms")
        print(f"\n── Join inside Telegram {'─' * 39}")
        print(f"Bob's Join button opens {join_link}")
        print(how_joined)
        print(f"\n── /metrics (a few of them) {'─' * 35}")
        for line in metrics:
            print(line)

        alice_token = call.caller.access_token
        bob_token = call.receptor.access_token
        checks = {
            "Alice's token is only in Alice's chat": _only_in(tg, alice_token, ALICE),
            "Bob's token is only in Bob's chat": _only_in(tg, bob_token, BOB),
            "the group saw no token": all(
                alice_token not in e.text and bob_token not in e.text for e in tg.transcript(GROUP)
            ),
            "/call placed exactly one call": one_call,
            "the group notice now tells how the call went": "talked for 0:42"
            in tg.current(GROUP, tg.sent_to(GROUP)[0].message_id).text,
            "the page escalated: Bob missed it, Carol answered": page_text.endswith(
                "Answered by Carol after 2 attempts."
            ),
            "the team lives in its forum topic: the page's notice went there": page_topic == topic,
            "/metrics counted the calls placed": any("kcb_calls_placed" in m for m in metrics),
            "when it ended, both tokens were withdrawn from the private chats": withdrawn,
            "Call now, pressed twice, placed exactly one call to whoever is on call": (
                call_now_calls == 1
            ),
            "Bob's shift swap was taken by Carol, and the group's request says so": (
                swap_text.startswith("✅ Carol takes Bob's shift of ops")
            ),
            "a newcomer reached Bob through the line link, each with their own token": (
                _only_in(tg, line_call.caller.access_token, DANA)
                and _only_in(tg, line_call.receptor.access_token, BOB)
            ),
            "Bob joined inside Telegram with his own token, and the chat told the outcome": joined,
        }
        print()
        for name, ok in checks.items():
            print(f"{'✔' if ok else '✘'} {name}")
        return all(checks.values())


def _has_message(tg: TelegramSimulator, chat_id: int) -> Callable[[], bool]:
    return lambda: bool(tg.sent_to(chat_id))


async def _page(
    tg: TelegramSimulator, kv: KavenegarSandbox, clock: ManualClock, topic: int
) -> tuple[str, int | None]:
    """Team "ops" (Bob, then Carol), made in forum topic ``topic``, is paged: Bob misses the
    call, Carol answers. The notice's last text, and the topic it is in."""
    tg.add_user(CAROL, "Carol", username="carol_s", language_code="en")
    await tg.user_sends(CAROL, "/start")
    await tg.wait_until(_has_message(tg, CAROL), what="Carol's welcome")
    for command in ("/team new ops", "/team add ops @bob_r @carol_s", "/page ops disk full"):
        before = len(tg.sent_to(GROUP))
        await tg.user_sends(ALICE, command, chat_id=GROUP, thread_id=topic)
        await tg.wait_until(partial(_more_than, tg, GROUP, before), what=command)
    await tg.wait_until(lambda: any("paged" in m.text for m in tg.sent_to(GROUP)), what="/page")
    notice = next(m for m in tg.sent_to(GROUP) if "paged" in m.text).message_id
    while len(kv.state.calls) < 3:  # Bob is rung; nobody joins for a minute; then Carol
        clock.advance(5)
        await asyncio.sleep(0.05)
    carol_call = list(kv.state.calls.values())[-1]
    kv.state.answer(carol_call.id)
    while "Answered" not in tg.current(GROUP, notice).text:
        clock.advance(2)
        await asyncio.sleep(0.05)
    shown = tg.current(GROUP, notice)
    return shown.text.replace(FSI, "").replace(PDI, ""), shown.message_thread_id


async def _line(
    tg: TelegramSimulator, kv: KavenegarSandbox, clock: ManualClock, topic: int
) -> SimCall:
    """Team "ops" becomes a support line; Dana opens its link; Bob, on call, accepts."""
    before = len(tg.sent_to(GROUP))
    await tg.user_sends(ALICE, "/line ops on", chat_id=GROUP, thread_id=topic)
    await tg.wait_until(partial(_more_than, tg, GROUP, before), what="/line")
    tg.add_user(DANA, "Dana", language_code="en")
    await tg.user_sends(DANA, "/start line-ops")
    await tg.wait_until(_has_message(tg, DANA), what="Dana's welcome")
    calls = len(kv.state.calls)

    def offered() -> list[SentMessage]:
        return [m for m in tg.sent_to(BOB) if m.callback_buttons and "Dana" in m.text]

    clock.advance(1)  # the scheduler wakes on the bot's clock and offers the call
    await tg.wait_until(lambda: bool(offered()), what="Bob's offer")
    await tg.press_button(BOB, BOB, offered()[-1].message_id, text="✅ Accept")
    await tg.wait_until(lambda: len(kv.state.calls) > calls, what="the line's call")
    await tg.wait_until(lambda: len(tg.sent_to(DANA)) >= 2, what="Dana's token")
    return list(kv.state.calls.values())[-1]


async def _join_in_telegram(
    tg: TelegramSimulator, kv: KavenegarSandbox, clock: ManualClock, call_bot: CallBot
) -> tuple[str, bool, str]:
    """Alice calls Bob; Bob taps his Join button. The button's link, whether Bob joined with
    exactly his own token and the call's outcome reached the group, and how it was done."""
    calls = len(kv.state.calls)
    await tg.user_sends(ALICE, "/call @bob_r", chat_id=GROUP)
    await tg.wait_until(lambda: len(kv.state.calls) > calls, what="the call")
    call = list(kv.state.calls.values())[-1]

    def about_it() -> list[SentMessage]:
        return [m for m in tg.sent_to(BOB) if call.id in m.text]

    await tg.wait_until(lambda: bool(about_it()), what="Bob's Join button")
    message = about_it()[-1]
    (link,) = [b["web_app"]["url"] for b in message.keyboard if "web_app" in b]
    opened = tg.open_web_app(BOB, message.message_id, auth_date=int(unix_time(clock.now())))
    why = missing_browser()
    if why is not None:
        grant = await call_bot.services.joins.lookup(link.rpartition("=")[2], BOB)
        kv.state.answer(call.id)
        how = f"(no browser here: {why}; the page's lookup gave Bob his token)"
        joined_right = grant.access_token == call.receptor.access_token
    else:
        async with chromium() as browser:
            page = await browser.new_page()
            await page.goto(opened)
            await page.wait_for_selector('body[data-state="ready"]')
            await page.click("#join")  # the microphone (a fake one), then the SDK's join
            await page.wait_for_selector('body[data-state="ringing"]')
            kv.state.join(call.id, "caller")  # Alice's app joins
            await page.wait_for_selector('body[data-state="connected"]')
            clock.advance(20)
            await asyncio.sleep(1.1)  # the page's talk time runs on its own clock
            shown = await page.inner_text("#status")
            await page.click("#hangup")
            await page.wait_for_selector('body[data-state="ended"]')
            ended = await page.inner_text("#status")
        how = f"headless Chromium: the page said {shown!r}, then {ended!r}"
        expected = {"callId": call.id, "accessToken": call.receptor.access_token}
        joined_right = kv.web_sdk_joins == [{**expected, "side": "receptor"}]
    kv.state.hangup(call.id)
    store = call_bot.services.store
    while not (record := (await store.list_calls())[-1]).outcome:
        clock.advance(2)
        await asyncio.sleep(0.05)
    notice = record.notice_message_id
    assert notice is not None
    await tg.wait_until(lambda: tg.current(GROUP, notice).edited, what="the outcome")
    told = "talked for" in tg.current(GROUP, notice).text
    return link, joined_right and told, how


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _call_now_and_swap(
    tg: TelegramSimulator, kv: KavenegarSandbox, clock: ManualClock, topic: int
) -> tuple[int, str]:
    """Alice presses "Call now" under /oncall twice; then ops gets a daily rotation and Bob
    asks for his shift to be swapped, which Carol takes. The calls Call now placed, and what the
    swap's request in the group reads in the end."""
    for _ in range(50):  # the calls nobody joined end within a minute
        clock.advance(2)
        await asyncio.sleep(0.01)
    calls = len(kv.state.calls)
    before = len(tg.sent_to(GROUP))
    await tg.user_sends(ALICE, "/oncall ops", chat_id=GROUP, thread_id=topic)
    await tg.wait_until(partial(_more_than, tg, GROUP, before), what="/oncall")
    answer = tg.sent_to(GROUP)[-1]
    ((_, data),) = answer.callback_buttons
    presses = [await tg.press_button(ALICE, GROUP, answer.message_id, data) for _ in range(2)]
    await tg.wait_until(
        lambda: all(tg.answer_to(p["id"]) is not None for p in presses), what="Call now"
    )
    await tg.wait_until(lambda: len(kv.state.calls) > calls, what="the Call now call")
    for command in ("/rotation ops daily 09:00", "/swap ops"):
        before = len(tg.sent_to(GROUP))
        who = BOB if command.startswith("/swap") else ALICE
        await tg.user_sends(who, command, chat_id=GROUP, thread_id=topic)
        await tg.wait_until(partial(_more_than, tg, GROUP, before), what=command)
    request = tg.sent_to(GROUP)[-1]
    ((_, take),) = request.callback_buttons
    pressed = await tg.press_button(CAROL, GROUP, request.message_id, take)
    await tg.wait_until(lambda: tg.answer_to(pressed["id"]) is not None, what="Take")
    await tg.wait_until(lambda: tg.current(GROUP, request.message_id).edited, what="the swap")
    shown = tg.current(GROUP, request.message_id).text
    return len(kv.state.calls) - calls, shown.replace(FSI, "").replace(PDI, "")


def _more_than(tg: TelegramSimulator, chat_id: int, count: int) -> bool:
    return len(tg.sent_to(chat_id)) > count


def _token_gone(tg: TelegramSimulator, chat_id: int) -> bool:
    return all("Your access token" not in m.text for m in tg.current_in(chat_id))


def _only_in(tg: TelegramSimulator, token: str, owner: int) -> bool:
    chats = {
        e.chat_id
        for e in tg.state.timeline
        if token in e.text or any(token in b for b in e.buttons)
    }
    return chats == {owner}


def main() -> int:
    os.environ.setdefault("PTB_TIMEDELTA", "true")  # see the bot package's docstring
    with tempfile.TemporaryDirectory(prefix="kavenegar-bot-demo-") as workdir:
        try:
            ok = asyncio.run(asyncio.wait_for(demo(Path(workdir)), DEADLINE))
        except TimeoutError:
            print(f"demo: did not finish within {DEADLINE:.0f} s", file=sys.stderr)
            return 1
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
