"""/start, /help, /whoami, /platform, the command menu and the registry behind them."""

from __future__ import annotations

from ..helpers import GROUP, visible
from .conftest import Bot

ALICE = 3001


async def test_start_registers_and_explains(bot: Bot) -> None:
    await bot.onboard(ALICE, "Alice", "alice_k")
    welcome = bot.last(ALICE)
    assert visible(welcome.text).startswith("👋 Hi Alice!")
    assert "<code>tg3001</code>" in welcome.raw_text
    assert "/call @username" in visible(welcome.text)
    record = await bot.services.store.get_user(ALICE)
    assert record is not None
    assert (record.kavenegar_username, record.username, record.dm_open) == (
        "tg3001",
        "alice_k",
        True,
    )


async def test_deep_link_payload_is_accepted(bot: Bot) -> None:
    bot.tg.add_user(ALICE, "Alice")
    await bot.say(ALICE, "/start call")
    assert bot.last_text(ALICE).startswith("👋 Hi Alice!")


async def test_start_in_a_group_points_to_the_private_chat(bot: Bot) -> None:
    bot.tg.add_user(ALICE, "Alice")
    await bot.say(ALICE, "/start", chat_id=GROUP)
    answer = bot.last(GROUP)
    assert visible(answer.text) == "To sign up, open a private chat with me and press Start."
    assert answer.buttons[0]["url"] == "https://t.me/KavenegarCallBot?start=group"
    record = await bot.services.store.get_user(ALICE)
    assert record is not None and not record.dm_open


async def test_persian_speakers_get_persian(bot: Bot) -> None:
    await bot.onboard(ALICE, "علی", "ali_k", language_code="fa-IR")
    assert bot.last_text(ALICE).startswith("👋 سلام علی!")
    await bot.say(ALICE, "/whoami")
    assert "نام کاربری کاوه‌نگار شما: tg3001" in bot.last_text(ALICE)


async def test_whoami_and_platform(bot: Bot) -> None:
    await bot.onboard(ALICE, "Alice", "alice_k")
    await bot.say(ALICE, "/whoami")
    assert bot.last_text(ALICE) == (
        "Your Kavenegar username: tg3001\nPlatform: not set\nPrivate messages from me: yes\n"
        "Calls: taking calls"
    )
    await bot.say(ALICE, "/platform IOS")
    assert bot.last_text(ALICE) == "Done: calls will say your phone is ios."
    await bot.say(ALICE, "/platform")
    assert bot.last_text(ALICE).endswith("Now: ios.")
    await bot.say(ALICE, "/platform windows")
    assert bot.last_text(ALICE).startswith("Use /platform ios, /platform android or /platform none")
    await bot.say(ALICE, "/platform none")
    record = await bot.services.store.get_user(ALICE)
    assert record is not None and record.platform is None


async def test_help_names_every_command_and_the_limits(bot: Bot) -> None:
    await bot.onboard(ALICE, "Alice")
    await bot.say(ALICE, "/help", chat_id=GROUP)
    text = bot.last_text(GROUP)
    for command in ("/call", "/whoami", "/platform", "/start"):
        assert command in text
    assert "at most 60 minutes; default 10" in text


async def test_command_menu_is_published_per_scope_and_language(bot: Bot) -> None:
    menus = bot.tg.state.commands
    private = [c["command"] for c in menus[("all_private_chats", "")]]
    group = [c["command"] for c in menus[("all_group_chats", "")]]
    assert private == [
        "call", "help", "start", "whoami", "platform", "phone", "dnd", "forget", "history",
        "oncall", "swap", "queue",
    ]  # fmt: skip
    assert group == [
        "call", "help", "team", "rotation", "oncall", "cover", "swap", "page", "invite",
        "invites", "line", "queue",
    ]  # fmt: skip
    assert menus[("all_private_chats", "fa")][0]["description"].startswith("تماس")


async def test_every_update_refreshes_the_sender(bot: Bot) -> None:
    await bot.onboard(ALICE, "Alice", "alice_k")
    user = bot.tg.state.users[ALICE]
    user.username, user.first_name = "alice_new", "Alicia"
    await bot.say(ALICE, "morning", chat_id=GROUP)
    store = bot.services.store
    assert await store.find_by_username("alice_k") is None
    record = await store.find_by_username("alice_new")
    assert record is not None and record.profile.first_name == "Alicia" and record.dm_open


async def test_a_private_chat_never_meets_silence_a_group_is_left_alone(bot: Bot) -> None:
    """Issue 19 item 15: an unknown command or plain text in private gets one short pointer;
    in a group, what is not addressed to the bot gets nothing."""
    await bot.onboard(ALICE, "Alice", "alice_k")
    before = len(bot.tg.sent_to(ALICE))
    await bot.say(ALICE, "hello")
    assert len(bot.tg.sent_to(ALICE)) == before + 1
    pointer = bot.last_text(ALICE)
    assert "/call @username" in pointer and "/help" in pointer
    await bot.say(ALICE, "/frobnicate")
    assert bot.last_text(ALICE) == pointer and len(bot.tg.sent_to(ALICE)) == before + 2
    await bot.say(ALICE, "/whoami")  # a known command gets its own answer only
    assert bot.last_text(ALICE).startswith("Your Kavenegar username")
    assert len(bot.tg.sent_to(ALICE)) == before + 3
    in_group = len(bot.tg.sent_to(GROUP))
    await bot.say(ALICE, "hello", chat_id=GROUP)
    await bot.say(ALICE, "/frobnicate", chat_id=GROUP)
    assert len(bot.tg.sent_to(GROUP)) == in_group


async def test_a_persian_speaker_is_pointed_the_way_in_persian(bot: Bot) -> None:
    await bot.onboard(ALICE, "علی", "ali_k", language_code="fa-IR")
    await bot.say(ALICE, "سلام")
    assert bot.last_text(ALICE).startswith("متوجه نشدم")
