"""Every text the bot sends, keyed, in each language it speaks.

Texts are HTML (Telegram's HTML parse mode). Values passed to :func:`t` are escaped, so a name
like ``<b>Boss</b> & Co.`` is shown as typed and never breaks the message. To add a language, add
a dictionary with the same keys to ``TEXTS``; a test checks that every language has every key
and the same placeholders.
"""

from __future__ import annotations

import html
import math
import re

__all__ = [
    "DEFAULT_LANGUAGE",
    "MESSAGE_MAX",
    "TEXTS",
    "fit",
    "format_talk",
    "format_wait",
    "pick_language",
    "plain",
    "t",
    "utf16_length",
]

DEFAULT_LANGUAGE = "en"
#: Telegram's limit for a message's text, after entities are parsed.
MESSAGE_MAX = 4096
#: The longest value inserted into a text; longer ones are cut with "…".
VALUE_MAX = 300
_WHOLE = frozenset({"access_token", "call_id"})

EN: dict[str, str] = {
    "welcome": (
        "👋 Hi {name}! I place <b>Kavenegar voice calls</b> from Telegram chats.\n\n"
        "Your Kavenegar username is <code>{kv_username}</code>.\n\n"
        "To call someone, type <code>/call @username</code> in a group or here, or reply to "
        "their message with /call. You can add a length: <code>/call @bob 10m</code>.\n"
        "{how_to_join}\n\n"
        "Tell me your phone with /platform ios or /platform android."
    ),
    "how_to_join_token": (
        "Each of you gets a private message from me with your own access token: join from the "
        "app within one minute."
    ),
    "how_to_join_webapp": (
        "Each of you gets a private message from me with a Join in Telegram button: tap it "
        "within one minute to talk right here."
    ),
    "how_to_join_both": (
        "Each of you gets a private message from me with a Join in Telegram button and your own "
        "access token: within one minute, tap Join to talk right here, or join from the app."
    ),
    "welcome_username_later": (
        "👋 Hi {name}! I place <b>Kavenegar voice calls</b> from Telegram chats.\n\n"
        "Your Kavenegar username will be your phone number, once you share it.\n\n"
        "To call someone, type <code>/call @username</code> in a group or here, or reply to "
        "their message with /call. You can add a length: <code>/call @bob 10m</code>.\n"
        "{how_to_join}\n\n"
        "Tell me your phone with /platform ios or /platform android."
    ),
    "help_title": "<b>Commands</b>",
    "help_admin_title": "<b>Admin commands</b>",
    "help_footer": (
        "A length is like 90s, 10m or 1h (at most {max_minutes} minutes; default "
        "{default_minutes}). A call waits one minute for both of you to join."
    ),
    "cmd_call": "call someone (or reply to their message with /call)",
    "cmd_help": "how to use this bot",
    "cmd_start": "sign up, so people can call you",
    "cmd_whoami": "your Kavenegar username and platform",
    "cmd_platform": "the phone you join calls from",
    "cmd_dnd": "stop or resume receiving calls",
    "cmd_forget": "delete what I know about you",
    "cmd_allow": "allow this group, or a person or chat by id",
    "cmd_deny": "deny this group, or a person or chat by id",
    "cmd_access": "who may use the bot",
    "cmd_uncallable": "mark a person uncallable (reply, id or @username)",
    "cmd_callable": "make a person callable again",
    "store_unavailable": (
        "I can't reach my records right now, so I can't do that. Please try again in a minute."
    ),
    "internal_error": "Something went wrong on my side. Please try again in a minute.",
    "whoami_unknown": "I don't know you yet: press /start in a private chat with me.",
    "start_in_group": "To sign up, open a private chat with me and press Start.",
    "fallback_private": (
        "I didn't understand that. To call someone: <code>/call @username</code>. "
        "All commands: /help"
    ),
    "whoami": (
        "Your Kavenegar username: <code>{kv_username}</code>\n"
        "Platform: {platform}\n"
        "Private messages from me: {reachable}\n"
        "Calls: {taking}"
    ),
    "whoami_username_hidden": (
        "Your Kavenegar username: your phone number (shown in our private chat only)\n"
        "Platform: {platform}\n"
        "Private messages from me: {reachable}\n"
        "Calls: {taking}"
    ),
    "platform_not_set": "not set",
    "reachable_yes": "yes",
    "reachable_no": "no: press Start in a private chat with me",
    "platform_set": "Done: calls will say your phone is {platform}.",
    "platform_cleared": "Done: your platform is no longer set.",
    "platform_usage": "Use /platform ios, /platform android or /platform none. Now: {platform}.",
    "button_start": "Open a private chat with me",
    "button_join": "Join the call",
    "call_no_callee": (
        "Whom should I call? Type <code>/call @username</code>, or reply to their message "
        "with /call."
    ),
    "call_too_many": "I can call one person at a time. Name just one.",
    "call_self": "You can't call yourself.",
    "call_bot": "Bots can't take calls.",
    "call_unknown_callee": (
        "I don't know {name} yet. They need to open a private chat with me and press Start; "
        "then call again."
    ),
    "call_callee_not_started": (
        "{name} hasn't pressed Start in a private chat with me, so I can't send them the call. "
        "Ask them to, then call again."
    ),
    "call_caller_not_started": (
        "Before you can call, open a private chat with me and press Start, then try again."
    ),
    "call_bad_argument": (
        "I didn't understand “{arg}”. Try <code>/call @username</code> or "
        "<code>/call @username 10m</code>."
    ),
    "call_duration_too_long": "The longest call I can place is {max_minutes} minutes.",
    "kv_credentials": (
        "Kavenegar rejected this bot's credentials, so I can't place calls. "
        "Please tell the bot's admin."
    ),
    "kv_busy": "Kavenegar is busy or down right now. Please try again in {wait}.",
    "kv_server_error": (
        "Kavenegar had a problem while placing the call, so it may or may not exist. "
        "Please wait a minute before you try again."
    ),
    "kv_no_token": (
        "Kavenegar created the call but sent no access token for {names}, so it can't be "
        "joined. Please wait a minute before you try again."
    ),
    "wait_a_minute": "a minute",
    "kv_refused": "Kavenegar refused the call ({reason}). Please check and try again.",
    "kv_no_answer": (
        "Kavenegar didn't answer in time, so I don't know whether the call was placed. "
        "Please wait a minute before you try again."
    ),
    "kv_unreachable": "I couldn't reach Kavenegar. Please try again in a minute.",
    "kv_bad_answer": (
        "Kavenegar sent an answer I couldn't read, so the call may or may not exist. "
        "Please wait a minute before you try again."
    ),
    "token_caller": "📞 <b>You are calling {other}</b>",
    "token_callee": "📞 <b>{other} is calling you</b>",
    "token_body": (
        "Call ID: <code>{call_id}</code>\n"
        "Your access token: <code>{access_token}</code>\n\n"
        "Join within one minute, after that the call expires. This token is yours alone: "
        "don't share it."
    ),
    "token_how_to_join": "Open the app, choose to join a call, and paste the call ID and token.",
    "token_tap_to_join": "Tap the button to join from the app.",
    "button_join_webapp": "📞 Join in Telegram",
    "token_webapp_how": (
        "Tap <b>Join in Telegram</b> within one minute to talk right here; after that the call "
        "expires."
    ),
    "token_webapp_or_app": (
        "Tap <b>Join in Telegram</b> to talk right here, or join from the app with the call ID "
        "and token above."
    ),
    "token_webapp_unavailable": (
        "I couldn't prepare the join page for this call. Please try the call again in a minute."
    ),
    "chat_notice": "📞 {caller} is calling {callee}: check your private chat with me.",
    "unreachable": "⚠️ I couldn't reach {name}: {reason}.",
    "reason_not_started": "they haven't pressed Start in a private chat with me",
    "reason_blocked": "they blocked me",
    "reason_deactivated": "their Telegram account is deleted",
    "reason_failed": "Telegram didn't take the message",
    "call_not_taking_calls": "{name} isn't taking calls right now.",
    "quota_minute": (
        "You have reached your limit of calls ({limit} per minute). You can call again in {wait}."
    ),
    "quota_day": (
        "You have reached your limit of calls ({limit} per 24 hours). You can call again in {wait}."
    ),
    "wait_seconds": "{n} seconds",
    "wait_minutes": "{n} minutes",
    "wait_hours": "{n} hours",
    "access_user": (
        "Sorry, this bot is only for its team. Ask the bot's admin to allow you "
        "(your id: <code>{user_id}</code>)."
    ),
    "access_chat": (
        "Sorry, this bot isn't enabled in this chat. Ask the bot's admin to allow it "
        "(chat id: <code>{chat_id}</code>)."
    ),
    "admin_only": "Only the bot's admins can do that.",
    "access_usage": (
        "Use /allow or /deny in a group to change that group, or give an id: "
        "<code>/allow 123456</code> (a person) or <code>/allow -100123</code> (a chat)."
    ),
    "access_allowed": "Allowed: {kind} <code>{subject_id}</code>.",
    "access_denied": "Denied: {kind} <code>{subject_id}</code>.",
    "kind_user": "person",
    "kind_chat": "chat",
    "access_list": (
        "<b>Who may use the bot</b>\n"
        "People: {users}\n"
        "Chats: {chats}\n"
        "Denied: {denied}\n"
        "Admins: {admins}"
    ),
    "access_open": "everyone",
    "access_none": "none",
    "dnd_on": "Done: you won't receive calls. Send /dnd off to take calls again.",
    "dnd_off": "Done: you take calls again.",
    "dnd_usage": "Use /dnd on to stop receiving calls, /dnd off to take them again. Now: {state}.",
    "dnd_state_on": "not taking calls",
    "dnd_state_off": "taking calls",
    "callable_usage": (
        "Reply to the person's message with the command, or give their id or @username."
    ),
    "uncallable_done": "{name} can no longer be called.",
    "callable_done": "{name} can be called again.",
    "unknown_person": "I don't know {name}.",
    "outcome_answered": "✅ {caller} called {callee}: talked for {talk}.",
    "outcome_missed": "📵 {caller} called {callee}: missed.",
    "outcome_declined": "🚫 {caller} called {callee}: declined.",
    "outcome_unreachable": "⚠️ {caller} called {callee}: unreachable.",
    "outcome_ended": "☎️ {caller} called {callee}: ended ({reason}).",
    "outcome_unknown": (
        "❔ {caller} called {callee}: Kavenegar no longer knows this call, so I can't tell "
        "how it went."
    ),
    "outcome_expired": (
        "⌛ {caller} called {callee}: the call never reported an end, so I stopped following it."
    ),
    "outcome_maybe": (
        "❔ {caller} called {callee}: I lost track of the call while placing it, so it may or "
        "may not exist. If your app rings, join it."
    ),
    "call_resumed_late": (
        "📞 {caller} called {callee}, but I lost track of the call while placing it and could "
        "not send the tokens in time. I'll say here how it ends."
    ),
    "ring_over_missed": "📵 {caller} rang {callee}: missed.",
    "ring_over_declined": "🚫 {caller} rang {callee}: declined.",
    "ring_over_unreachable": "⚠️ {caller} rang {callee}: unreachable.",
    "token_withdrawn": (
        "The call is over, so I removed the access token from this message. Copies of it (a "
        "notification, a forward) may remain: never share it."
    ),
    "button_call_again": "Call again",
    "button_answer": "Answer",
    "button_decline": "Decline",
    "ring_callee": "📞 <b>{caller} is calling you</b>\n\nAnswer within {seconds} seconds.",
    "ring_notice": "📞 {caller} is ringing {callee}…",
    "ring_answered": "📞 You answered {caller}: your access token follows.",
    "ring_declined": "🚫 You declined {caller}'s call.",
    "ring_missed": "📵 Missed call from {caller}.",
    "callback_not_yours": "This button isn't for you.",
    "callback_unknown": "I don't know this button any more.",
    "callback_ring_over": "This call is no longer ringing.",
    "callback_calling": "Calling {name}…",
    "callback_already": "Already done.",
    "callback_see_chat": "See my message in our chat.",
    "history_title": "<b>Your last calls</b>",
    "history_empty": "You have no calls yet.",
    "history_line": "{when} {arrow} {other}: {outcome}",
    "history_private_only": "Your call history is private: send /history in our private chat.",
    "word_answered": "answered, {talk}",
    "word_missed": "missed",
    "word_declined": "declined",
    "word_unreachable": "unreachable",
    "word_ended": "ended ({reason})",
    "word_unknown": "unknown",
    "word_expired": "no end reported",
    "word_ringing": "ringing",
    "word_live": "in progress",
    "word_failed": "not placed",
    "word_maybe": "may have been placed",
    "stats": (
        "<b>Calls in the last {days} days</b>\n"
        "Placed: {placed}\n"
        "Answered: {answered} ({share})\n"
        "Talk time: {minutes} minutes\n"
        "Per day: {per_day}\n"
        "Failures: {failures}"
    ),
    "stats_none": "none",
    "stats_usage": "Use /stats or /stats 30 (days, 1 to 365).",
    "cmd_history": "your last 10 calls",
    "cmd_stats": "call statistics: /stats [days]",
    "team_usage": (
        "Teams: <code>/team new NAME</code> (in the team's group), "
        "<code>/team add NAME @a @b</code>, <code>/team remove NAME @a</code>, "
        "<code>/team move NAME @a 2</code>, <code>/team NAME</code>, "
        "<code>/team zone NAME Asia/Tehran</code>, <code>/team delete NAME</code>."
    ),
    "team_bad_name": (
        "“{name}” can't be a team name: use 2 to 32 of a-z, 0-9, _ and -, like <code>ops</code>."
    ),
    "team_group_only": "Create teams in the group their notices should go to.",
    "team_exists": "There is already a team called {name}.",
    "team_created": (
        "Team {name} created; its notices come here. Add people with "
        "<code>/team add {name} @someone</code>."
    ),
    "team_unknown": "I don't know a team called {name}.",
    "team_other_chat": "Team {name} belongs to another group; manage it there.",
    "team_owner_only": "Only {name}'s owner or the bot's admins can do that.",
    "team_added": "Added to {name}: {people}.",
    "team_not_added": "Not added: {people}.",
    "team_nobody": "Name people with @username, or reply to one of their messages.",
    "team_why_bot": "{name} (a bot)",
    "team_why_unknown": "{name} (I don't know them yet: they must press Start)",
    "team_removed": "{person} left {name}.",
    "team_not_member": "{person} is not in {name}.",
    "team_moved": "{person} is now number {position} in {name}.",
    "team_deleted": "Team {name} deleted.",
    "team_none_here": "No teams here yet: <code>/team new NAME</code> creates one.",
    "team_list": "<b>Teams here</b>\n{teams}",
    "team_show": "<b>{name}</b> ({rotation})\n{members}\n\nOn call: {oncall}",
    "team_empty": "{name} has no members yet: <code>/team add {name} @someone</code>.",
    "team_no_rotation": "no rotation: the first member is on call",
    "team_rotation": "{kind} hand-over at {time} {zone}",
    "ready_ok": "✅",
    "ready_not_started": "⏳ never pressed Start",
    "ready_dnd": "🔕 do not disturb",
    "ready_blocked": "⛔ blocked the bot",
    "ready_uncallable": "🚫 can't be called",
    "rotation_usage": "Use <code>/rotation NAME daily|weekly HH:MM [time zone]</code>.",
    "rotation_bad_time": "“{time}” is not a time: use HH:MM, like 09:00.",
    "rotation_bad_zone": "“{zone}” is not a time zone I know: use a name like Asia/Tehran.",
    "rotation_set": "{name} hands over {kind} at {time} ({zone}). {oncall}",
    "kind_daily": "daily",
    "kind_weekly": "weekly",
    "oncall_line": "{name}: {member}, until {until}; next: {next}",
    "oncall_line_open": "{name}: {member}",
    "oncall_nobody": "{name}: nobody (the team has no members)",
    "cover_usage": (
        "Use <code>/cover NAME @someone 4h</code> (or 2d), or <code>/cover NAME off</code>."
    ),
    "cover_bad_span": "“{span}” is not a length: use something like 30m, 4h or 2d.",
    "cover_not_member": "Only members of {name} can cover for it.",
    "cover_set": "{person} is on call for {name} until {until}.",
    "cover_off": "The cover for {name} has ended.",
    "cover_none": "{name} has no cover to end.",
    "cover_you_are_replaced": "{person} covers for you on {name} until {until}.",
    "handover_group": "📟 On call for {name}: {person} until {until}.",
    "handover_group_open": "📟 On call for {name}: {person}.",
    "handover_heads_up": "📟 Heads-up: you are on call for {name} from {start} until {until}.",
    "page_usage": "Use <code>/page NAME [reason]</code>.",
    "page_empty": "{name} has nobody to page.",
    "page_title": "📟 {pager} paged {name}",
    "page_reason": "Reason: {reason}",
    "page_ringing": "Ringing {person} (attempt {attempt})…",
    "page_no_answer": "{person} didn't answer ({how}).",
    "page_skipped": "{person} skipped: {why}.",
    "page_left": "{person} left the team.",
    "page_not_placed": "Couldn't ring {person}: Kavenegar failed.",
    "page_answered": "✅ Answered by {person} after {attempts} attempts.",
    "page_nobody": "❌ Nobody answered.",
    "page_nobody_private": "📟 Nobody answered your page of {name}.",
    "page_note": "📟 <b>Page for {name}</b> from {pager}: {reason}",
    "page_no_reason": "no reason given",
    "page_joined": (
        "📟 {name} is already being paged by {pager}, {since}; your reason was added to it."
    ),
    "page_joined_no_reason": "📟 {name} is already being paged by {pager}, {since}.",
    "page_since": "{ago} ago",
    "page_since_now": "just now",
    "page_also": "Also paged by {person}: {reason}",
    "page_also_no_reason": "Also paged by {person}.",
    "page_lost": "{person}'s call can no longer be followed ({how}): taken as not answered.",
    "page_busy": "⏳ Kavenegar is busy: retrying to ring {person} in {wait} ({n} of {most})…",
    "page_stopped": "❌ Stopped: {why}",
    "page_stopped_private": "📟 Your page of {name} stopped: {why}",
    "page_why_busy": "Kavenegar stayed busy after {tries} tries.",
    "page_why_deleted": "the team was deleted.",
    "page_acknowledged": "✅ {person} is on it (acknowledged after {attempts} attempts).",
    "page_ack_done": "Thanks: {name} knows you're on it.",
    "page_over": "This page is over.",
    "page_in_topic": "📟 Paging {name}: follow it in the team's topic.",
    # issue 19: plurals (English only: Persian nouns do not change after a number)
    "page_answered_one": "✅ Answered by {person} after {attempts} attempt.",
    "page_acknowledged_one": "✅ {person} is on it (acknowledged after {attempts} attempt).",
    "invite_created_one": (
        "Invite to {name}: {link}\nWhoever opens it and presses Start joins {name} "
        "({uses} use, until {until})."
    ),
    "invites_line_one": "by {by}: {uses} use left, until {until}",
    "invites_revoked_one": "Revoked {count} invite link of {name}.",
    "invite_out_of_range": (
        "An invite link takes {low_uses} to {max_uses} uses and lasts {low_hours} to "
        "{max_hours} hours: <code>/invite NAME [uses] [hours]</code>."
    ),
    "callback_declined": "Declined.",
    "team_already": "Already in {name}: {people}.",
    "team_zone_set": "{name}'s time zone is now {zone}. {oncall}",
    "team_member_left": "{person} left {name}: they asked me to forget them.",
    "person_gone": "someone who left",
    "oncall_no_teams": "You are not in any team yet.",
    "oncall_members_only": "Only members of {name}, its owner and the admins see who is on call.",
    "rotation_you_are_on": "📟 {name}'s rotation changed: you are on call now, until {until}.",
    "rotation_you_are_off": (
        "📟 {name}'s rotation changed: {person} is on call now, until {until}, instead of you."
    ),
    "line_hours_zone": "{hours} ({zone})",
    "button_on_it": "🙋 I'm on it",
    "cmd_team": "teams: /team new|add|remove|move|delete|zone NAME",
    "cmd_rotation": "hand-over time: /rotation NAME daily|weekly HH:MM [TZ]",
    "cmd_oncall": "who is on call: /oncall [NAME]",
    "cmd_swap": "ask for your shift to be taken: /swap NAME [now|next|DATE|@someone]",
    "cmd_cover": "cover for a team: /cover NAME @someone 4h",
    "cmd_page": "page a team until someone answers: /page NAME [reason]",
    "invite_usage": (
        "Use <code>/invite NAME [uses] [hours]</code> (default 1 use, 72 hours), "
        "<code>/invites NAME</code> or <code>/invite NAME revoke</code>."
    ),
    "invite_created": (
        "Invite to {name}: {link}\nWhoever opens it and presses Start joins {name} "
        "({uses} uses, until {until})."
    ),
    "invites_none": "{name} has no live invite links.",
    "invites_title": "<b>Live invite links of {name}</b>",
    "invites_line": "by {by}: {uses} uses left, until {until}",
    "invites_revoked": "Revoked {count} invite links of {name}.",
    "invite_unknown": "I don't know this invite link. Ask for a new one.",
    "invite_revoked": "This invite to {name} was revoked. Ask for a new one.",
    "invite_expired": "This invite to {name} has expired. Ask for a new one.",
    "invite_used_up": "This invite to {name} has been used up. Ask for a new one.",
    "invite_already": "You are already in {name}.",
    "invite_joined": "Welcome: you joined {name}, number {position} in its rotation.",
    "cmd_invite": "invite link to a team: /invite NAME [uses] [hours]",
    "cmd_invites": "live invite links of a team",
    "forget_done": "Done: I have forgotten you. Press /start if you want to come back.",
    "button_share_phone": "📱 Share my number",
    "phone_ask": (
        "Before calls, please share your phone number with the button below. It must be your "
        "own: I use it as the number your app knows you by, and only the bot's admins see it."
    ),
    "phone_not_own": (
        "That is not your own number. Please share your own with the button below "
        "(a forwarded or typed contact cannot prove it is yours)."
    ),
    "phone_invalid": "That doesn't look like a phone number. Please share yours with the button.",
    "phone_taken": (
        "This number is already used by another account here, so I can't add it to yours. "
        "The admins have been told."
    ),
    "phone_taken_admin": (
        "⚠️ {person} (id {person_id}) shared the number {phone}, which {holder} "
        "(id {holder_id}) already verified. I refused it. If it is theirs now, free it with "
        "<code>/phone release {phone}</code> in our private chat, then ask them to share it "
        "again."
    ),
    "phone_release_usage": (
        "Use <code>/phone release NUMBER</code>, e.g. /phone release +989120822930."
    ),
    "phone_release_nobody": "Nobody here holds {phone}.",
    "phone_released": (
        "{phone} is free again: {holder} (id {holder_id}) no longer holds it and was told. "
        "Whoever it belongs to can share it now."
    ),
    "phone_released_holder": (
        "An admin freed the number {phone} from your account here. If it is still yours, share "
        "it again with /phone."
    ),
    "phone_verified": (
        "✅ Thanks: {phone} is verified. Your Kavenegar username is <code>{kv_username}</code>."
    ),
    "phone_in_group": "Share your number in a private chat with me: open it and send /phone.",
    "phone_admin_only": "Numbers are shown to the bot's admins only.",
    "phone_of": "{name}: {phone}",
    "phone_none": "{name} has not verified a number.",
    "phone_unknown": "I don't know {name}.",
    "whoami_phone": "Phone: {phone}",
    "whoami_no_phone": "Phone: not verified (send /phone)",
    "call_caller_no_phone": (
        "Please verify your phone number first: send /phone to me in private and share it."
    ),
    "call_callee_no_phone": "{name} has not verified a phone number yet, so I can't call them.",
    "ready_no_phone": "📵 has not verified a number",
    "cmd_phone": "share your number (admins: /phone @someone shows theirs)",
    "cmd_line": "open a team to newcomers as a support line: /line NAME on [HOURS] [TZ] | off",
    "cmd_queue": "who is waiting on a team's support line",
    "line_usage": (
        "Use <code>/line NAME on [HOURS] [TZ]</code> (HOURS like <code>sat-wed 09:00-17:00</code>; "
        "default: always open; TZ like Europe/Berlin sets the team's time zone), "
        "<code>/line NAME off</code> or <code>/line NAME</code>."
    ),
    "line_bad_hours": (
        "I don't understand those hours. Write them like <code>sat-wed 09:00-17:00</code>, "
        "<code>mon,thu 10:00-12:00</code> or <code>09:00-17:00</code> (every day)."
    ),
    "line_on": (
        "📞 {name} is a support line, open {hours}.\nNewcomers reach whoever is free here: {link}"
    ),
    "line_always": "at all times",
    "hours_days": "{first}-{last}",
    "hours_window": "{start}-{end}",
    "line_off": "{name} is no longer a support line.",
    "line_is_off": "{name} is not a support line. Open it with <code>/line {name} on</code>.",
    "line_members_only": "Only members of {name} see its queue.",
    "queue_empty": "Nobody is waiting on {name}.",
    "queue_title": "<b>Waiting on {name}</b>",
    "queue_line": "{place}. {person}, waiting {wait} ({state})",
    "queue_waiting": "in the queue",
    "queue_offering": "offered to a member",
    "queue_callback": "asked to be called back",
    "line_needs_phone": "📞 I'll connect you with {name} as soon as you share your number.",
    "line_connecting": "📞 Connecting you with {name}… You are number {position} in the queue.",
    "line_already_waiting": "You are already waiting for {name}: number {position} in the queue.",
    "line_callback_already": "You are already waiting for {name}. I'll write when it's your turn.",
    "line_in_call": "Your call with {name} is under way: see my messages above.",
    "line_quota": (
        "You have had {limit} calls from support lines in the last hour. "
        "Please try again in {wait}."
    ),
    "line_closed": "{name} is closed now. It opens {opens}. Want me to call you back then?",
    "line_nobody": (
        "Nobody in {name} could take your call just now. Press the button and I'll connect "
        "you as soon as someone is free."
    ),
    "line_failed": "Sorry, I couldn't place the call with {name}. Press the button to try again.",
    "line_missed": "Your call with {name} didn't connect. Press the button to try again.",
    "line_gone": "{name} is no longer a support line, so I can't connect you. Sorry!",
    "line_gone_short": "This support line is closed.",
    "button_call_me_back": "🔁 Call me back",
    "line_call_back_set": "OK: I'll connect you with {name} as soon as I can.",
    "offer": (
        "📞 {person} asks {name} for a call (waiting {wait}). Press Accept within {seconds} s "
        "to take it."
    ),
    "button_accept": "✅ Accept",
    "offer_expired": "This request went to the next person (not accepted in time).",
    "offer_taken": "{member} took this call.",
    "offer_yours": "You took this call: your token is in my next message.",
    "offer_accepted": "It's yours: the call is being placed.",
    "offer_over": "Too late: this request was taken or has expired.",
    "line_note": "📞 Support line {name}",
    "line_rate": "How was your call with {person}? Tap 1 to 5 stars.",
    "line_rated": "Thanks for rating the call {stars}",
    "stats_line": (
        "Line {name}: {requests} requests, {calls} calls, {answered} answered, "
        "median wait {wait}, rating {rating}"
    ),
    "stats_lines_title": "<b>Support lines</b>",
    "offer_already_yours": "You already took this call.",
    "offer_newcomer_gone": "They can no longer be reached, so no call was placed.",
    "offer_not_waiting": "They are no longer waiting, so no call was placed.",
    "offer_withdrawn": "This request was withdrawn: they left.",
    "offer_line_off": "This line has been turned off, so no call was placed.",
    "offer_line_closed": "This line is outside its hours now, so no call was placed.",
    "offer_failed": "I couldn't place the call; they were offered to try again.",
    "line_unsure": (
        "Kavenegar didn't say clearly whether the call with {name} was placed. If your app "
        "rings within a minute, join it; otherwise it was not placed."
    ),
    "phone_private_only": "I show numbers only in a private chat with me.",
    # -- issue 22: on call ----------------------------------------------------------------------
    "button_call_now": "📞 Call {person} now",
    "button_call_now_team": "📞 Call {person} ({name})",
    "call_now_team_gone": "This team no longer exists.",
    "call_now_nobody": "Nobody is on call for {name} now.",
    "call_now_yourself": "You are on call for {name} yourself.",
    "call_now_already": "Already called from this button. For another call: /oncall {name}",
    "call_now_moved": (
        "{person} is on call for {name} now, not {named}: /oncall {name} for a new button."
    ),
    "page_taken_answered": "📟 {person} answered the page of {name}. Nothing more to do.",
    "page_taken_on_it": "📟 {person} is on the page of {name}. Nothing more to do.",
    "team_quiet_usage": (
        "Use <code>/team quiet NAME 22:00-08:00</code> (add <code>weekend</code> to keep the "
        "weekend quiet all day, <code>urgent-only</code> to let urgent pages call), or "
        "<code>/team quiet NAME off</code>."
    ),
    "team_quiet_bad": "“{text}” is not a span of hours: use HH:MM-HH:MM, like 22:00-08:00.",
    "team_quiet_set": "🌙 {name} is quiet {span} ({zone}) every day.",
    "team_quiet_weekend": "The weekend ({days}) is quiet all day.",
    "team_show_quiet": "🌙 Quiet {span} ({zone}): a page calls nobody.",
    "team_show_quiet_urgent": "🌙 Quiet {span} ({zone}): only urgent pages call.",
    "team_show_after_hours": "After hours, pages go to {other}.",
    "team_quiet_no_call": "A page then calls nobody; the person on call is told privately.",
    "team_quiet_urgent": (
        "A page then calls only when its reason starts with “urgent”; otherwise the person on "
        "call is told privately."
    ),
    "team_quiet_off": "{name} has no quiet hours now: a page calls at any hour.",
    "team_after_hours_set": "In its quiet hours, a page of {name} goes to {other} instead.",
    "team_after_hours_off": "In its quiet hours, a page of {name} goes to no other team now.",
    "team_after_hours_self": "A team can't be its own after-hours team.",
    "team_after_hours_elsewhere": (
        "{other} is another group's team with another owner: its people never agreed to be "
        "paged for {name}. Only a team of this group, or one with the same owner, can be its "
        "after-hours team."
    ),
    "team_after_hours_usage": (
        "Use <code>/team after-hours NAME OTHER</code>, or <code>/team after-hours NAME off</code>."
    ),
    "page_quiet": "🌙 {name} is in its quiet hours ({span}, {zone}): no call was placed.",
    "page_quiet_told": "{person} was told privately.",
    "page_quiet_nobody_told": "Nobody could be told privately.",
    "page_quiet_urgent": "Start the reason with “urgent” to call anyway.",
    "page_quiet_private": (
        "🌙 {pager} paged {name} in its quiet hours: {reason}\nNo call was placed; it's up to you."
    ),
    "page_after_hours": "after hours of {name}",
    "page_after_hours_void": (
        "Its after-hours team {other} is no longer of this group nor of the same owner, so it "
        "was not paged."
    ),
    "oncall_week_title": "📅 {name}, the next 7 days ({zone}):",
    "oncall_week_line": "{start} – {end}: {person}",
    "oncall_week_open": "from {start}: {person}",
    "oncall_week_cover": "{person} (cover)",
    "calendar_cover": "cover",
    "swap_usage": (
        "Use <code>/swap NAME</code> (your shift now, or your next one), "
        "<code>/swap NAME next</code>, <code>/swap NAME 2026-12-03</code> (or 1405-09-12) for "
        "the one on that day, or <code>/swap NAME @someone</code> to ask one teammate privately "
        "(with a day too: <code>/swap NAME 2026-12-03 @someone</code>)."
    ),
    "swap_not_member": "Only members of {name} can swap its shifts.",
    "swap_not_on_call": "You have no shift of {name} to swap (now or in the next 8 weeks).",
    "swap_already": "You already asked for that shift of {name} to be taken.",
    "swap_asked_not_member": "{person} can't take it: only your teammates in it can.",
    "swap_asked_unreachable": "I can't write to {person} privately: they must press Start first.",
    "swap_notice": (
        "🔁 {person} asks for someone to take their shift of {name}: {start} until {end}. "
        "The first to press Take gets it (open until {until})."
    ),
    "swap_posted": "Asked in {name}'s group.",
    "swap_asked_private": (
        "🔁 {person} asks you to take their shift of {name}: {start} until {end}. "
        "Press Take to take it (open until {until})."
    ),
    "swap_asked_done": "Asked {person} privately; open until {until}.",
    "button_swap_take": "🙋 Take",
    "swap_take_done": "You're on call for {name} for that shift.",
    "swap_gone": "{person} took it already.",
    "swap_over": "This request is over.",
    "swap_asked_not_delivered": (
        "I couldn't reach {person} privately (they may have blocked me): nothing was asked."
    ),
    "swap_notice_not_posted": "I couldn't post the request in {name}'s group: nothing was asked.",
    "shift_left_out": "{person} can't take shifts: no call would reach them here.",
    "swap_cancelled": "This request is over: that shift is no longer theirs.",
    "swap_cancelled_notice": (
        "✖️ {person}'s request for their shift of {name} ({start} until {end}) is over: "
        "the shift is no longer theirs."
    ),
    "swap_cancelled_asker": (
        "✖️ Your request for your shift of {name} ({start} until {end}) is over: "
        "the shift is no longer yours (the team or its rotation changed)."
    ),
    "swap_gone_notice": "⌛ This request is over: its team was deleted.",
    "swap_gone_asker": "⌛ Your request for a shift to be taken is over: its team was deleted.",
    "swap_own": "It's your own shift.",
    "swap_members_only": "Only members of {name} can take its shifts.",
    "swap_blocked": "{name} has another cover that isn't over yet; try again after it ends.",
    "swap_taken_notice": "✅ {taker} takes {person}'s shift of {name}: {start} until {end}.",
    "swap_taken_asker": "🔁 {taker} takes your shift of {name}: {start} until {end}.",
    "swap_taken_taker": (
        "🔁 You're on call for {name} from {start} until {end}, instead of {person}."
    ),
    "swap_expired_notice": "⌛ Nobody took {person}'s shift of {name} ({start} until {end}).",
    "swap_expired_asker": (
        "⌛ Nobody took your shift of {name} ({start} until {end}): it's still yours."
    ),
    "rotation_calendar": (
        "📅 {name}'s shifts for the next 8 weeks ({zone}). Open the file to add them to your "
        "calendar; a newer file updates them."
    ),
}

FA: dict[str, str] = {
    "welcome": (
        "👋 سلام {name}! من از گفت‌وگوهای تلگرام <b>تماس صوتی کاوه‌نگار</b> برقرار می‌کنم.\n\n"
        "نام کاربری کاوه‌نگار شما <code>{kv_username}</code> است.\n\n"
        "برای تماس با کسی، در گروه یا همین‌جا بنویسید <code>/call @username</code> یا روی پیام او "
        "با /call پاسخ دهید. می‌توانید مدت را هم بگویید: <code>/call @bob 10m</code>.\n"
        "{how_to_join}\n\n"
        "گوشی‌تان را با /platform ios یا /platform android به من بگویید."
    ),
    "how_to_join_token": (
        "هر کدام از شما پیامی خصوصی با توکن دسترسی خودش می‌گیرد: ظرف یک دقیقه از برنامه وارد "
        "تماس شوید."
    ),
    "how_to_join_webapp": (
        "هر کدام از شما پیامی خصوصی با دکمهٔ «ورود در تلگرام» می‌گیرد: ظرف یک دقیقه آن را بزنید "
        "تا همین‌جا صحبت کنید."
    ),
    "how_to_join_both": (
        "هر کدام از شما پیامی خصوصی با دکمهٔ «ورود در تلگرام» و توکن دسترسی خودش می‌گیرد: ظرف "
        "یک دقیقه آن دکمه را بزنید تا همین‌جا صحبت کنید، یا از برنامه وارد تماس شوید."
    ),
    "welcome_username_later": (
        "👋 سلام {name}! من از گفت‌وگوهای تلگرام <b>تماس صوتی کاوه‌نگار</b> برقرار می‌کنم.\n\n"
        "نام کاربری کاوه‌نگار شما، پس از آن‌که شماره‌تان را بفرستید، همان شماره خواهد بود.\n\n"
        "برای تماس با کسی، در گروه یا همین‌جا بنویسید <code>/call @username</code> یا روی پیام او "
        "با /call پاسخ دهید. می‌توانید مدت را هم بگویید: <code>/call @bob 10m</code>.\n"
        "{how_to_join}\n\n"
        "گوشی‌تان را با /platform ios یا /platform android به من بگویید."
    ),
    "help_title": "<b>دستورها</b>",
    "help_admin_title": "<b>دستورهای مدیر</b>",
    "help_footer": (
        "مدت مثل 90s، 10m یا 1h است (حداکثر {max_minutes} دقیقه؛ پیش‌فرض {default_minutes}). "
        "هر تماس یک دقیقه منتظر ورود هر دو نفر می‌ماند."
    ),
    "cmd_call": "تماس با یک نفر (یا پاسخ با /call روی پیام او)",
    "cmd_help": "راهنمای ربات",
    "cmd_start": "ثبت‌نام، تا دیگران بتوانند با شما تماس بگیرند",
    "cmd_whoami": "نام کاربری کاوه‌نگار و پلتفرم شما",
    "cmd_platform": "گوشی‌ای که با آن وارد تماس می‌شوید",
    "cmd_dnd": "توقف یا ادامهٔ دریافت تماس",
    "cmd_forget": "حذف آنچه از شما می‌دانم",
    "cmd_allow": "مجاز کردن این گروه، یا شخص یا گفت‌وگویی با شناسه",
    "cmd_deny": "ممنوع کردن این گروه، یا شخص یا گفت‌وگویی با شناسه",
    "cmd_access": "چه کسانی می‌توانند از ربات استفاده کنند",
    "cmd_uncallable": "غیرقابل تماس کردن یک شخص (پاسخ، شناسه یا @username)",
    "cmd_callable": "قابل تماس کردن دوبارهٔ یک شخص",
    "store_unavailable": (
        "الان به سوابقم دسترسی ندارم، پس نمی‌توانم این کار را انجام دهم. "
        "لطفاً یک دقیقهٔ دیگر دوباره امتحان کنید."
    ),
    "internal_error": "مشکلی در سمت من پیش آمد. لطفاً یک دقیقهٔ دیگر دوباره امتحان کنید.",
    "whoami_unknown": "هنوز شما را نمی‌شناسم: در گفت‌وگوی خصوصی با من /start را بزنید.",
    "start_in_group": "برای ثبت‌نام، گفت‌وگوی خصوصی با من را باز کنید و Start را بزنید.",
    "fallback_private": (
        "متوجه نشدم. برای تماس با کسی: <code>/call @username</code>. همهٔ دستورها: /help"
    ),
    "whoami": (
        "نام کاربری کاوه‌نگار شما: <code>{kv_username}</code>\n"
        "پلتفرم: {platform}\n"
        "پیام خصوصی از من: {reachable}\n"
        "تماس‌ها: {taking}"
    ),
    "whoami_username_hidden": (
        "نام کاربری کاوه‌نگار شما: شمارهٔ تلفن‌تان (فقط در گفت‌وگوی خصوصی ما نشان داده می‌شود)\n"
        "پلتفرم: {platform}\n"
        "پیام خصوصی از من: {reachable}\n"
        "تماس‌ها: {taking}"
    ),
    "platform_not_set": "تعیین نشده",
    "reachable_yes": "بله",
    "reachable_no": "خیر: در گفت‌وگوی خصوصی با من Start را بزنید",
    "platform_set": "انجام شد: در تماس‌ها گوشی شما {platform} اعلام می‌شود.",
    "platform_cleared": "انجام شد: پلتفرم شما دیگر تعیین نشده است.",
    "platform_usage": (
        "از /platform ios، /platform android یا /platform none استفاده کنید. اکنون: {platform}."
    ),
    "button_start": "باز کردن گفت‌وگوی خصوصی با من",
    "button_join": "ورود به تماس",
    "call_no_callee": (
        "با چه کسی تماس بگیرم؟ بنویسید <code>/call @username</code> یا روی پیام او با /call "
        "پاسخ دهید."
    ),
    "call_too_many": "هر بار فقط با یک نفر می‌توانم تماس بگیرم. فقط یک نفر را نام ببرید.",
    "call_self": "نمی‌توانید با خودتان تماس بگیرید.",
    "call_bot": "ربات‌ها نمی‌توانند تماس بگیرند.",
    "call_unknown_callee": (
        "هنوز {name} را نمی‌شناسم. او باید گفت‌وگوی خصوصی با من را باز کند و Start را بزند؛ "
        "بعد دوباره تماس بگیرید."
    ),
    "call_callee_not_started": (
        "{name} هنوز در گفت‌وگوی خصوصی با من Start را نزده، پس نمی‌توانم تماس را برایش بفرستم. "
        "از او بخواهید این کار را بکند و دوباره تماس بگیرید."
    ),
    "call_caller_not_started": (
        "پیش از تماس، گفت‌وگوی خصوصی با من را باز کنید و Start را بزنید، سپس دوباره امتحان کنید."
    ),
    "call_bad_argument": (
        "«{arg}» را نفهمیدم. امتحان کنید <code>/call @username</code> یا "
        "<code>/call @username 10m</code>."
    ),
    "call_duration_too_long": "طولانی‌ترین تماسی که می‌توانم برقرار کنم {max_minutes} دقیقه است.",
    "kv_credentials": (
        "کاوه‌نگار اعتبارنامهٔ این ربات را نپذیرفت، پس نمی‌توانم تماس برقرار کنم. "
        "لطفاً به مدیر ربات خبر دهید."
    ),
    "kv_busy": "کاوه‌نگار الان شلوغ است یا در دسترس نیست. لطفاً {wait} دیگر دوباره امتحان کنید.",
    "kv_server_error": (
        "کاوه‌نگار هنگام برقراری تماس دچار مشکل شد، پس شاید تماس ساخته شده باشد. "
        "لطفاً پیش از تلاش دوباره یک دقیقه صبر کنید."
    ),
    "kv_no_token": (
        "کاوه‌نگار تماس را ساخت اما برای {names} توکن دسترسی نفرستاد، پس نمی‌توان وارد آن شد. "
        "لطفاً پیش از تلاش دوباره یک دقیقه صبر کنید."
    ),
    "wait_a_minute": "یک دقیقه",
    "kv_refused": "کاوه‌نگار تماس را نپذیرفت ({reason}). لطفاً بررسی کنید و دوباره امتحان کنید.",
    "kv_no_answer": (
        "کاوه‌نگار به‌موقع پاسخ نداد، پس نمی‌دانم تماس برقرار شد یا نه. "
        "لطفاً پیش از تلاش دوباره یک دقیقه صبر کنید."
    ),
    "kv_unreachable": "به کاوه‌نگار دسترسی پیدا نکردم. لطفاً یک دقیقهٔ دیگر دوباره امتحان کنید.",
    "kv_bad_answer": (
        "کاوه‌نگار پاسخی فرستاد که نتوانستم بخوانم، پس شاید تماس ساخته شده باشد. "
        "لطفاً پیش از تلاش دوباره یک دقیقه صبر کنید."
    ),
    "token_caller": "📞 <b>در حال تماس با {other}</b>",
    "token_callee": "📞 <b>{other} با شما تماس می‌گیرد</b>",
    "token_body": (
        "شناسهٔ تماس: <code>{call_id}</code>\n"
        "توکن دسترسی شما: <code>{access_token}</code>\n\n"
        "ظرف یک دقیقه وارد شوید؛ پس از آن تماس منقضی می‌شود. این توکن فقط مال شماست: "
        "آن را به کسی ندهید."
    ),
    "token_how_to_join": (
        "برنامه را باز کنید، ورود به تماس را بزنید و شناسهٔ تماس و توکن را بچسبانید."
    ),
    "token_tap_to_join": "برای ورود از برنامه، دکمه را بزنید.",
    "button_join_webapp": "📞 ورود در تلگرام",
    "token_webapp_how": (
        "ظرف یک دقیقه <b>ورود در تلگرام</b> را بزنید تا همین‌جا صحبت کنید؛ پس از آن تماس منقضی "
        "می‌شود."
    ),
    "token_webapp_or_app": (
        "<b>ورود در تلگرام</b> را بزنید تا همین‌جا صحبت کنید، یا با شناسهٔ تماس و توکن بالا از "
        "برنامه وارد شوید."
    ),
    "token_webapp_unavailable": (
        "نتوانستم صفحهٔ ورود این تماس را آماده کنم. لطفاً یک دقیقهٔ دیگر دوباره تماس بگیرید."
    ),
    "chat_notice": "📞 {caller} با {callee} تماس می‌گیرد: گفت‌وگوی خصوصی‌تان با من را ببینید.",
    "unreachable": "⚠️ به {name} دسترسی پیدا نکردم: {reason}.",
    "reason_not_started": "هنوز در گفت‌وگوی خصوصی با من Start را نزده است",
    "reason_blocked": "مرا مسدود کرده است",
    "reason_deactivated": "حساب تلگرامش حذف شده است",
    "reason_failed": "تلگرام پیام را نپذیرفت",
    "call_not_taking_calls": "{name} در حال حاضر تماس نمی‌پذیرد.",
    "quota_minute": (
        "به سقف تماس‌هایتان رسیده‌اید ({limit} در دقیقه). {wait} دیگر می‌توانید دوباره تماس بگیرید."
    ),
    "quota_day": (
        "به سقف تماس‌هایتان رسیده‌اید ({limit} در ۲۴ ساعت). {wait} دیگر می‌توانید دوباره تماس بگیرید."
    ),
    "wait_seconds": "{n} ثانیه",
    "wait_minutes": "{n} دقیقه",
    "wait_hours": "{n} ساعت",
    "access_user": (
        "متأسفم، این ربات فقط برای اعضای تیم است. از مدیر ربات بخواهید به شما اجازه دهد "
        "(شناسهٔ شما: <code>{user_id}</code>)."
    ),
    "access_chat": (
        "متأسفم، این ربات در این گفت‌وگو فعال نیست. از مدیر ربات بخواهید آن را مجاز کند "
        "(شناسهٔ گفت‌وگو: <code>{chat_id}</code>)."
    ),
    "admin_only": "فقط مدیران ربات می‌توانند این کار را بکنند.",
    "access_usage": (
        "در گروه /allow یا /deny را بزنید تا همان گروه تغییر کند، یا شناسه بدهید: "
        "<code>/allow 123456</code> (یک نفر) یا <code>/allow -100123</code> (یک گفت‌وگو)."
    ),
    "access_allowed": "مجاز شد: {kind} <code>{subject_id}</code>.",
    "access_denied": "ممنوع شد: {kind} <code>{subject_id}</code>.",
    "kind_user": "شخص",
    "kind_chat": "گفت‌وگو",
    "access_list": (
        "<b>چه کسانی می‌توانند از ربات استفاده کنند</b>\n"
        "افراد: {users}\n"
        "گفت‌وگوها: {chats}\n"
        "ممنوع: {denied}\n"
        "مدیران: {admins}"
    ),
    "access_open": "همه",
    "access_none": "هیچ",
    "dnd_on": ("انجام شد: دیگر تماسی دریافت نمی‌کنید. برای پذیرفتن دوبارهٔ تماس‌ها /dnd off بفرستید."),
    "dnd_off": "انجام شد: دوباره تماس می‌پذیرید.",
    "dnd_usage": (
        "با /dnd on دریافت تماس را متوقف کنید و با /dnd off دوباره تماس بپذیرید. اکنون: {state}."
    ),
    "dnd_state_on": "تماس نمی‌پذیرد",
    "dnd_state_off": "تماس می‌پذیرد",
    "callable_usage": "روی پیام آن شخص با این دستور پاسخ دهید، یا شناسه یا @username او را بدهید.",
    "uncallable_done": "دیگر نمی‌توان با {name} تماس گرفت.",
    "callable_done": "دوباره می‌توان با {name} تماس گرفت.",
    "unknown_person": "{name} را نمی‌شناسم.",
    "outcome_answered": "✅ {caller} با {callee} تماس گرفت: {talk} صحبت کردند.",
    "outcome_missed": "📵 {caller} با {callee} تماس گرفت: بی‌پاسخ.",
    "outcome_declined": "🚫 {caller} با {callee} تماس گرفت: رد شد.",
    "outcome_unreachable": "⚠️ {caller} با {callee} تماس گرفت: در دسترس نبود.",
    "outcome_ended": "☎️ {caller} با {callee} تماس گرفت: پایان یافت ({reason}).",
    "outcome_unknown": (
        "❔ {caller} با {callee} تماس گرفت: کاوه‌نگار دیگر این تماس را نمی‌شناسد، پس نمی‌دانم "
        "چطور تمام شد."
    ),
    "outcome_expired": (
        "⌛ {caller} با {callee} تماس گرفت: پایان تماس هرگز اعلام نشد، پس دیگر آن را دنبال نمی‌کنم."
    ),
    "outcome_maybe": (
        "❔ {caller} با {callee} تماس گرفت: هنگام برقراری، ردِ تماس را گم کردم، پس ممکن است "
        "ساخته شده باشد یا نه. اگر برنامه‌تان زنگ خورد، وارد آن شوید."
    ),
    "call_resumed_late": (
        "📞 {caller} با {callee} تماس گرفت، اما هنگام برقراری ردِ تماس را گم کردم و نتوانستم "
        "توکن‌ها را به‌موقع بفرستم. همین‌جا می‌گویم چگونه تمام شد."
    ),
    "ring_over_missed": "📵 {caller} برای {callee} زنگ زد: بی‌پاسخ.",
    "ring_over_declined": "🚫 {caller} برای {callee} زنگ زد: رد شد.",
    "ring_over_unreachable": "⚠️ {caller} برای {callee} زنگ زد: در دسترس نبود.",
    "token_withdrawn": (
        "تماس تمام شد، پس توکن دسترسی را از این پیام حذف کردم. ممکن است نسخه‌هایی از آن (در "
        "اعلان‌ها یا پیام‌های بازارسال‌شده) مانده باشد: هرگز آن را به کسی ندهید."
    ),
    "button_call_again": "تماس دوباره",
    "button_answer": "پاسخ",
    "button_decline": "رد",
    "ring_callee": "📞 <b>{caller} با شما تماس می‌گیرد</b>\n\nظرف {seconds} ثانیه پاسخ دهید.",
    "ring_notice": "📞 {caller} در حال زنگ زدن به {callee}…",
    "ring_answered": "📞 به {caller} پاسخ دادید: توکن دسترسی شما در پیام بعد است.",
    "ring_declined": "🚫 تماس {caller} را رد کردید.",
    "ring_missed": "📵 تماس بی‌پاسخ از {caller}.",
    "callback_not_yours": "این دکمه برای شما نیست.",
    "callback_unknown": "این دکمه را دیگر نمی‌شناسم.",
    "callback_ring_over": "این تماس دیگر زنگ نمی‌خورد.",
    "callback_calling": "در حال تماس با {name}…",
    "callback_already": "انجام شده است.",
    "callback_see_chat": "پیام مرا در گفت‌وگویمان ببینید.",
    "history_title": "<b>آخرین تماس‌های شما</b>",
    "history_empty": "هنوز تماسی ندارید.",
    "history_line": "{when} {arrow} {other}: {outcome}",
    "history_private_only": (
        "سابقهٔ تماس‌های شما خصوصی است: /history را در گفت‌وگوی خصوصی‌مان بفرستید."
    ),
    "word_answered": "پاسخ داده شد، {talk}",
    "word_missed": "بی‌پاسخ",
    "word_declined": "رد شد",
    "word_unreachable": "در دسترس نبود",
    "word_ended": "پایان یافت ({reason})",
    "word_unknown": "نامعلوم",
    "word_expired": "پایانی اعلام نشد",
    "word_ringing": "در حال زنگ",
    "word_live": "در جریان",
    "word_failed": "برقرار نشد",
    "word_maybe": "شاید برقرار شده باشد",
    "stats": (
        "<b>تماس‌های {days} روز گذشته</b>\n"
        "برقرار شده: {placed}\n"
        "پاسخ داده شده: {answered} ({share})\n"
        "زمان گفت‌وگو: {minutes} دقیقه\n"
        "در هر روز: {per_day}\n"
        "خطاها: {failures}"
    ),
    "stats_none": "هیچ",
    "stats_usage": "از /stats یا /stats 30 استفاده کنید (روز، ۱ تا ۳۶۵).",
    "cmd_history": "۱۰ تماس آخر شما",
    "cmd_stats": "آمار تماس‌ها: /stats [روز]",
    "team_usage": (
        "تیم‌ها: <code>/team new NAME</code> (در گروه تیم)، "
        "<code>/team add NAME @a @b</code>، <code>/team remove NAME @a</code>، "
        "<code>/team move NAME @a 2</code>، <code>/team NAME</code>، "
        "<code>/team zone NAME Asia/Tehran</code>، <code>/team delete NAME</code>."
    ),
    "team_bad_name": (
        "«{name}» نمی‌تواند نام تیم باشد: ۲ تا ۳۲ نویسه از a-z، 0-9، _ و - مثل <code>ops</code>."
    ),
    "team_group_only": "تیم‌ها را در گروهی بسازید که اعلان‌هایشان باید به آن برود.",
    "team_exists": "تیمی به نام {name} از قبل هست.",
    "team_created": (
        "تیم {name} ساخته شد؛ اعلان‌هایش به همین‌جا می‌آید. افراد را با "
        "<code>/team add {name} @someone</code> اضافه کنید."
    ),
    "team_unknown": "تیمی به نام {name} نمی‌شناسم.",
    "team_other_chat": "تیم {name} مال گروه دیگری است؛ آن را همان‌جا مدیریت کنید.",
    "team_owner_only": "فقط مالک {name} یا مدیران ربات می‌توانند این کار را بکنند.",
    "team_added": "به {name} اضافه شدند: {people}.",
    "team_not_added": "اضافه نشدند: {people}.",
    "team_nobody": "افراد را با @username نام ببرید، یا روی یکی از پیام‌هایشان پاسخ دهید.",
    "team_why_bot": "{name} (ربات است)",
    "team_why_unknown": "{name} (هنوز او را نمی‌شناسم: باید Start را بزند)",
    "team_removed": "{person} از {name} خارج شد.",
    "team_not_member": "{person} عضو {name} نیست.",
    "team_moved": "{person} اکنون نفر {position} در {name} است.",
    "team_deleted": "تیم {name} حذف شد.",
    "team_none_here": "هنوز تیمی این‌جا نیست: <code>/team new NAME</code> یکی می‌سازد.",
    "team_list": "<b>تیم‌های این‌جا</b>\n{teams}",
    "team_show": "<b>{name}</b> ({rotation})\n{members}\n\nکشیک: {oncall}",
    "team_empty": "{name} هنوز عضوی ندارد: <code>/team add {name} @someone</code>.",
    "team_no_rotation": "بدون چرخش: نفر اول کشیک است",
    "team_rotation": "تحویل {kind} در {time} {zone}",
    "ready_ok": "✅",
    "ready_not_started": "⏳ هنوز Start را نزده",
    "ready_dnd": "🔕 مزاحم نشوید",
    "ready_blocked": "⛔ ربات را مسدود کرده",
    "ready_uncallable": "🚫 نمی‌توان با او تماس گرفت",
    "rotation_usage": (
        "از <code>/rotation NAME daily|weekly HH:MM [منطقهٔ زمانی]</code> استفاده کنید."
    ),
    "rotation_bad_time": "«{time}» زمان نیست: به شکل HH:MM بنویسید، مثل 09:00.",
    "rotation_bad_zone": "«{zone}» منطقهٔ زمانی شناخته‌شده‌ای نیست: نامی مثل Asia/Tehran بدهید.",
    "rotation_set": "{name} به‌صورت {kind} در {time} ({zone}) تحویل می‌دهد. {oncall}",
    "kind_daily": "روزانه",
    "kind_weekly": "هفتگی",
    "oncall_line": "{name}: {member}، تا {until}؛ بعدی: {next}",
    "oncall_line_open": "{name}: {member}",
    "oncall_nobody": "{name}: هیچ‌کس (تیم عضوی ندارد)",
    "cover_usage": (
        "از <code>/cover NAME @someone 4h</code> (یا 2d) یا "
        "<code>/cover NAME off</code> استفاده کنید."
    ),
    "cover_bad_span": "«{span}» مدت نیست: چیزی مثل 30m، 4h یا 2d بنویسید.",
    "cover_not_member": "فقط اعضای {name} می‌توانند به‌جای آن کشیک بدهند.",
    "cover_set": "{person} تا {until} کشیک {name} است.",
    "cover_off": "جایگزینی {name} تمام شد.",
    "cover_none": "{name} جایگزینی برای پایان دادن ندارد.",
    "cover_you_are_replaced": "{person} تا {until} به‌جای شما کشیک {name} است.",
    "handover_group": "📟 کشیک {name}: {person} تا {until}.",
    "handover_group_open": "📟 کشیک {name}: {person}.",
    "handover_heads_up": "📟 یادآوری: از {start} تا {until} کشیک {name} هستید.",
    "page_usage": "از <code>/page NAME [دلیل]</code> استفاده کنید.",
    "page_empty": "{name} کسی برای فراخوان ندارد.",
    "page_title": "📟 {pager} تیم {name} را فراخواند",
    "page_reason": "دلیل: {reason}",
    "page_ringing": "در حال زنگ زدن به {person} (تلاش {attempt})…",
    "page_no_answer": "{person} پاسخ نداد ({how}).",
    "page_skipped": "{person} رد شد: {why}.",
    "page_left": "{person} از تیم خارج شده است.",
    "page_not_placed": "نتوانستم به {person} زنگ بزنم: کاوه‌نگار خطا داد.",
    "page_answered": "✅ {person} پس از {attempts} تلاش پاسخ داد.",
    "page_nobody": "❌ هیچ‌کس پاسخ نداد.",
    "page_nobody_private": "📟 هیچ‌کس به فراخوان شما برای {name} پاسخ نداد.",
    "page_note": "📟 <b>فراخوان {name}</b> از {pager}: {reason}",
    "page_no_reason": "بدون دلیل",
    "page_joined": (
        "📟 {name} از {since} به دست {pager} فراخوانده می‌شود؛ دلیل شما به آن افزوده شد."
    ),
    "page_joined_no_reason": "📟 {name} از {since} به دست {pager} فراخوانده می‌شود.",
    "page_since": "{ago} پیش",
    "page_since_now": "همین حالا",
    "page_also": "{person} هم فراخواند: {reason}",
    "page_also_no_reason": "{person} هم فراخواند.",
    "page_lost": "تماس {person} دیگر قابل پیگیری نیست ({how})؛ بی‌پاسخ به حساب آمد.",
    "page_busy": "⏳ کاوه‌نگار شلوغ است: {wait} دیگر دوباره به {person} زنگ می‌زنم ({n} از {most})…",
    "page_stopped": "❌ متوقف شد: {why}",
    "page_stopped_private": "📟 فراخوان شما برای {name} متوقف شد: {why}",
    "page_why_busy": "کاوه‌نگار پس از {tries} تلاش همچنان شلوغ بود.",
    "page_why_deleted": "تیم حذف شد.",
    "page_acknowledged": "✅ {person} پیگیری می‌کند (پس از {attempts} تلاش تأیید کرد).",
    "page_ack_done": "سپاس: {name} می‌داند که شما پیگیری می‌کنید.",
    "page_over": "این فراخوان تمام شده است.",
    "page_in_topic": "📟 {name} فراخوانده شد: آن را در تاپیک تیم دنبال کنید.",
    "page_answered_one": "✅ {person} پس از {attempts} تلاش پاسخ داد.",
    "page_acknowledged_one": "✅ {person} پیگیری می‌کند (پس از {attempts} تلاش تأیید کرد).",
    "invite_created_one": (
        "دعوت به {name}: {link}\nهر کس آن را باز کند و Start را بزند به {name} می‌پیوندد "
        "({uses} بار، تا {until})."
    ),
    "invites_line_one": "از {by}: {uses} بار باقی‌مانده، تا {until}",
    "invites_revoked_one": "{count} پیوند دعوت {name} باطل شد.",
    "invite_out_of_range": (
        "پیوند دعوت از {low_uses} تا {max_uses} بار به کار می‌رود و از {low_hours} تا "
        "{max_hours} ساعت می‌ماند: <code>/invite NAME [دفعات] [ساعت]</code>."
    ),
    "callback_declined": "رد شد.",
    "team_already": "از قبل عضو {name} هستند: {people}.",
    "team_zone_set": "منطقهٔ زمانی {name} اکنون {zone} است. {oncall}",
    "team_member_left": "{person} از {name} رفت: خواست که او را فراموش کنم.",
    "person_gone": "کسی که رفته است",
    "oncall_no_teams": "هنوز عضو هیچ تیمی نیستید.",
    "oncall_members_only": "فقط اعضای {name}، مالک آن و مدیران ربات کشیک آن را می‌بینند.",
    "rotation_you_are_on": "📟 چرخش {name} تغییر کرد: اکنون تا {until} شما کشیک هستید.",
    "rotation_you_are_off": (
        "📟 چرخش {name} تغییر کرد: اکنون {person} به‌جای شما تا {until} کشیک است."
    ),
    "line_hours_zone": "{hours} ({zone})",
    "button_on_it": "🙋 پیگیری می‌کنم",
    "cmd_team": "تیم‌ها: /team new|add|remove|move|delete|zone NAME",
    "cmd_rotation": "زمان تحویل: /rotation NAME daily|weekly HH:MM [TZ]",
    "cmd_oncall": "چه کسی کشیک است: /oncall [NAME]",
    "cmd_swap": "درخواست گرفتن نوبتتان: /swap NAME [now|next|DATE|@someone]",
    "cmd_cover": "کشیک به‌جای دیگری: /cover NAME @someone 4h",
    "cmd_page": "فراخوان تیم تا کسی پاسخ دهد: /page NAME [دلیل]",
    "invite_usage": (
        "از <code>/invite NAME [دفعات] [ساعت]</code> (پیش‌فرض ۱ بار، ۷۲ ساعت)، "
        "<code>/invites NAME</code> یا <code>/invite NAME revoke</code> استفاده کنید."
    ),
    "invite_created": (
        "دعوت به {name}: {link}\nهر کس آن را باز کند و Start را بزند به {name} می‌پیوندد "
        "({uses} بار، تا {until})."
    ),
    "invites_none": "{name} پیوند دعوت فعالی ندارد.",
    "invites_title": "<b>پیوندهای دعوت فعال {name}</b>",
    "invites_line": "از {by}: {uses} بار باقی‌مانده، تا {until}",
    "invites_revoked": "{count} پیوند دعوت {name} باطل شد.",
    "invite_unknown": "این پیوند دعوت را نمی‌شناسم. پیوند تازه‌ای بخواهید.",
    "invite_revoked": "این دعوت به {name} باطل شده است. پیوند تازه‌ای بخواهید.",
    "invite_expired": "این دعوت به {name} منقضی شده است. پیوند تازه‌ای بخواهید.",
    "invite_used_up": "این دعوت به {name} تمام شده است. پیوند تازه‌ای بخواهید.",
    "invite_already": "شما از قبل عضو {name} هستید.",
    "invite_joined": "خوش آمدید: به {name} پیوستید، نفر {position} در چرخش آن.",
    "cmd_invite": "پیوند دعوت به تیم: /invite NAME [دفعات] [ساعت]",
    "cmd_invites": "پیوندهای دعوت فعال یک تیم",
    "forget_done": "انجام شد: شما را فراموش کردم. اگر خواستید برگردید، /start را بزنید.",
    "button_share_phone": "📱 ارسال شماره من",
    "phone_ask": (
        "پیش از تماس، لطفاً شماره تلفن خود را با دکمهٔ زیر بفرستید. باید شمارهٔ خودتان باشد: "
        "برنامه شما را با آن می‌شناسد و فقط مدیران ربات آن را می‌بینند."
    ),
    "phone_not_own": (
        "این شمارهٔ خودتان نیست. لطفاً شمارهٔ خودتان را با دکمهٔ زیر بفرستید "
        "(مخاطب هدایت‌شده یا تایپ‌شده نشان نمی‌دهد که شماره مال شماست)."
    ),
    "phone_invalid": "این شمارهٔ تلفن به نظر درست نیست. لطفاً شماره‌تان را با دکمه بفرستید.",
    "phone_taken": (
        "این شماره را حساب دیگری در اینجا تأیید کرده است، پس نمی‌توانم آن را به حساب شما "
        "بدهم. به مدیران خبر داده شد."
    ),
    "phone_taken_admin": (
        "⚠️ {person} (شناسه {person_id}) شمارهٔ {phone} را فرستاد که {holder} "
        "(شناسه {holder_id}) پیش‌تر تأیید کرده است. آن را نپذیرفتم. اگر اکنون مال اوست، با "
        "<code>/phone release {phone}</code> در گفت‌وگوی خصوصی ما آزادش کنید و از او بخواهید "
        "دوباره بفرستدش."
    ),
    "phone_release_usage": (
        "بنویسید <code>/phone release NUMBER</code>، مثلاً /phone release +989120822930."
    ),
    "phone_release_nobody": "کسی در اینجا {phone} را ندارد.",
    "phone_released": (
        "{phone} دوباره آزاد است: {holder} (شناسه {holder_id}) دیگر آن را ندارد و به او خبر "
        "داده شد. صاحب آن اکنون می‌تواند بفرستدش."
    ),
    "phone_released_holder": (
        "یکی از مدیران شمارهٔ {phone} را از حساب شما در اینجا آزاد کرد. اگر هنوز مال شماست، "
        "دوباره با /phone بفرستیدش."
    ),
    "phone_verified": (
        "✅ سپاس: {phone} تأیید شد. نام کاربری کاوه‌نگار شما <code>{kv_username}</code> است."
    ),
    "phone_in_group": (
        "شماره‌تان را در گفت‌وگوی خصوصی با من بفرستید: آن را باز کنید و /phone را بزنید."
    ),
    "phone_admin_only": "شماره‌ها فقط به مدیران ربات نشان داده می‌شوند.",
    "phone_of": "{name}: {phone}",
    "phone_none": "{name} شماره‌ای تأیید نکرده است.",
    "phone_unknown": "{name} را نمی‌شناسم.",
    "whoami_phone": "تلفن: {phone}",
    "whoami_no_phone": "تلفن: تأیید نشده (/phone را بزنید)",
    "call_caller_no_phone": (
        "لطفاً اول شمارهٔ تلفن خود را تأیید کنید: در گفت‌وگوی خصوصی /phone را بزنید و آن را بفرستید."
    ),
    "call_callee_no_phone": (
        "{name} هنوز شمارهٔ تلفنی تأیید نکرده است، پس نمی‌توانم با او تماس بگیرم."
    ),
    "ready_no_phone": "📵 شماره‌ای تأیید نکرده",
    "cmd_phone": "فرستادن شمارهٔ شما (مدیران: /phone @someone شمارهٔ او را نشان می‌دهد)",
    "cmd_line": (
        "باز کردن تیم برای تازه‌واردان به‌عنوان خط پشتیبانی: /line NAME on [ساعت‌ها] [TZ] | off"
    ),
    "cmd_queue": "چه کسانی پشت خط پشتیبانی یک تیم منتظرند",
    "line_usage": (
        "از <code>/line NAME on [ساعت‌ها] [TZ]</code> (مثل <code>sat-wed 09:00-17:00</code>؛ "
        "پیش‌فرض: همیشه باز؛ TZ مثل Europe/Berlin منطقهٔ زمانی تیم را تعیین می‌کند)، "
        "<code>/line NAME off</code> یا <code>/line NAME</code> استفاده کنید."
    ),
    "line_bad_hours": (
        "این ساعت‌ها را نمی‌فهمم. مثل <code>sat-wed 09:00-17:00</code>، "
        "<code>mon,thu 10:00-12:00</code> یا <code>09:00-17:00</code> (هر روز) بنویسید."
    ),
    "line_on": (
        "📞 {name} خط پشتیبانی است، باز {hours}.\nتازه‌واردان از این پیوند به هر کس آزاد است "
        "وصل می‌شوند: {link}"
    ),
    "line_always": "در همهٔ ساعت‌ها",
    "hours_days": "{first} تا {last}",
    "hours_window": "ساعت {start} تا {end}",
    "line_off": "{name} دیگر خط پشتیبانی نیست.",
    "line_is_off": "{name} خط پشتیبانی نیست. با <code>/line {name} on</code> آن را باز کنید.",
    "line_members_only": "فقط اعضای {name} صف آن را می‌بینند.",
    "queue_empty": "کسی پشت {name} منتظر نیست.",
    "queue_title": "<b>منتظران {name}</b>",
    "queue_line": "{place}. {person}، {wait} منتظر ({state})",
    "queue_waiting": "در صف",
    "queue_offering": "به یک عضو پیشنهاد شده",
    "queue_callback": "درخواست تماس بعدی",
    "line_needs_phone": "📞 به‌محض اینکه شماره‌تان را بفرستید شما را به {name} وصل می‌کنم.",
    "line_connecting": "📞 در حال وصل کردن شما به {name}… شما نفر {position} صف هستید.",
    "line_already_waiting": "شما از قبل منتظر {name} هستید: نفر {position} صف.",
    "line_callback_already": "شما از قبل منتظر {name} هستید. نوبتتان که شد خبر می‌دهم.",
    "line_in_call": "تماس شما با {name} در جریان است: پیام‌های بالا را ببینید.",
    "line_quota": (
        "در یک ساعت گذشته {limit} تماس از خط‌های پشتیبانی داشته‌اید. "
        "لطفاً {wait} دیگر دوباره امتحان کنید."
    ),
    "line_closed": "{name} الان بسته است و {opens} باز می‌شود. آن موقع با شما تماس بگیرم؟",
    "line_nobody": (
        "الان کسی در {name} نتوانست تماس شما را بپذیرد. دکمه را بزنید تا به‌محض آزاد شدن "
        "کسی شما را وصل کنم."
    ),
    "line_failed": "متأسفم، نتوانستم تماس با {name} را برقرار کنم. برای تلاش دوباره دکمه را بزنید.",
    "line_missed": "تماس شما با {name} برقرار نشد. برای تلاش دوباره دکمه را بزنید.",
    "line_gone": "{name} دیگر خط پشتیبانی نیست، پس نمی‌توانم شما را وصل کنم. متأسفم!",
    "line_gone_short": "این خط پشتیبانی بسته است.",
    "button_call_me_back": "🔁 با من تماس بگیر",
    "line_call_back_set": "باشد: هر چه زودتر شما را به {name} وصل می‌کنم.",
    "offer": (
        "📞 {person} از {name} تماس می‌خواهد ({wait} منتظر). برای پذیرفتن، ظرف {seconds} ثانیه "
        "«پذیرفتن» را بزنید."
    ),
    "button_accept": "✅ پذیرفتن",
    "offer_expired": "این درخواست به نفر بعدی رفت (به‌موقع پذیرفته نشد).",
    "offer_taken": "{member} این تماس را پذیرفت.",
    "offer_yours": "این تماس با شماست: توکن شما در پیام بعدی من است.",
    "offer_accepted": "مال شما شد: تماس در حال برقراری است.",
    "offer_over": "دیر شد: این درخواست را کس دیگری پذیرفته یا منقضی شده است.",
    "line_note": "📞 خط پشتیبانی {name}",
    "line_rate": "تماس شما با {person} چطور بود؟ از ۱ تا ۵ ستاره بدهید.",
    "line_rated": "سپاس از امتیاز شما به تماس {stars}",
    "stats_line": (
        "خط {name}: {requests} درخواست، {calls} تماس، {answered} پاسخ‌داده، "
        "میانهٔ انتظار {wait}، امتیاز {rating}"
    ),
    "stats_lines_title": "<b>خط‌های پشتیبانی</b>",
    "offer_already_yours": "این تماس را از قبل پذیرفته‌اید.",
    "offer_newcomer_gone": "دیگر به او دسترسی نیست، پس تماسی برقرار نشد.",
    "offer_not_waiting": "او دیگر منتظر نیست، پس تماسی برقرار نشد.",
    "offer_withdrawn": "این درخواست پس گرفته شد: او رفت.",
    "offer_line_off": "این خط خاموش شده است، پس تماسی برقرار نشد.",
    "offer_line_closed": "این خط اکنون خارج از ساعت کاری است، پس تماسی برقرار نشد.",
    "offer_failed": "نتوانستم تماس را برقرار کنم؛ به او پیشنهاد شد دوباره امتحان کند.",
    "line_unsure": (
        "کاوه‌نگار به‌روشنی نگفت که تماس با {name} برقرار شد یا نه. اگر برنامه‌تان تا یک "
        "دقیقه زنگ زد، وارد شوید؛ وگرنه تماس برقرار نشده است."
    ),
    "phone_private_only": "شماره‌ها را فقط در گفت‌وگوی خصوصی با من نشان می‌دهم.",
    # -- issue 22: on call ----------------------------------------------------------------------
    "button_call_now": "📞 همین حالا با {person} تماس بگیر",
    "button_call_now_team": "📞 تماس با {person} ({name})",
    "call_now_team_gone": "این تیم دیگر وجود ندارد.",
    "call_now_nobody": "اکنون کسی کشیک {name} نیست.",
    "call_now_yourself": "خودتان کشیک {name} هستید.",
    "call_now_already": "از این دکمه قبلاً تماس گرفته شده. برای تماسی دیگر: /oncall {name}",
    "call_now_moved": "اکنون {person} کشیک {name} است، نه {named}: برای دکمه‌ای تازه /oncall {name}",
    "page_taken_answered": "📟 {person} به فراخوان {name} پاسخ داد. کار دیگری لازم نیست.",
    "page_taken_on_it": "📟 {person} فراخوان {name} را پیگیری می‌کند. کار دیگری لازم نیست.",
    "team_quiet_usage": (
        "از <code>/team quiet NAME 22:00-08:00</code> استفاده کنید (با <code>weekend</code> "
        "آخر هفته تمام روز آرام است، با <code>urgent-only</code> فراخوان‌های فوری تماس "
        "می‌گیرند)، یا <code>/team quiet NAME off</code>."
    ),
    "team_quiet_bad": "«{text}» بازهٔ ساعت نیست: HH:MM-HH:MM، مثل ۲۲:۰۰-۰۸:۰۰.",
    "team_quiet_set": "🌙 {name} هر روز {span} ({zone}) در ساعت آرام است.",
    "team_quiet_weekend": "آخر هفته ({days}) تمام روز آرام است.",
    "team_show_quiet": "🌙 ساعت آرام {span} ({zone}): فراخوان با کسی تماس نمی‌گیرد.",
    "team_show_quiet_urgent": "🌙 ساعت آرام {span} ({zone}): فقط فراخوان‌های فوری تماس می‌گیرند.",
    "team_show_after_hours": "پس از ساعت کاری، فراخوان‌ها به {other} می‌روند.",
    "team_quiet_no_call": (
        "فراخوان در این ساعت با کسی تماس نمی‌گیرد و به کشیک خصوصی خبر داده می‌شود."
    ),
    "team_quiet_urgent": (
        "فراخوان فقط وقتی تماس می‌گیرد که دلیلش با «urgent» یا «فوری» شروع شود؛ وگرنه به کشیک "
        "خصوصی خبر داده می‌شود."
    ),
    "team_quiet_off": "{name} دیگر ساعت آرام ندارد: فراخوان در هر ساعتی تماس می‌گیرد.",
    "team_after_hours_set": "در ساعت آرام، فراخوان {name} به‌جای آن به {other} می‌رود.",
    "team_after_hours_off": "در ساعت آرام، فراخوان {name} دیگر به تیم دیگری نمی‌رود.",
    "team_after_hours_self": "یک تیم نمی‌تواند تیم پس از ساعت کاری خودش باشد.",
    "team_after_hours_elsewhere": (
        "{other} تیم گروهی دیگر با مالکی دیگر است: اعضایش نپذیرفته‌اند برای {name} فراخوانده "
        "شوند. فقط تیمی از همین گروه، یا با همان مالک، می‌تواند تیم پس از ساعت کاری آن باشد."
    ),
    "team_after_hours_usage": (
        "از <code>/team after-hours NAME OTHER</code> یا "
        "<code>/team after-hours NAME off</code> استفاده کنید."
    ),
    "page_quiet": "🌙 {name} در ساعت آرام است ({span}، {zone}): تماسی گرفته نشد.",
    "page_quiet_told": "به {person} به‌طور خصوصی خبر داده شد.",
    "page_quiet_nobody_told": "به کسی نشد خصوصی خبر داد.",
    "page_quiet_urgent": "برای تماس در هر حال، دلیل را با «فوری» شروع کنید.",
    "page_quiet_private": (
        "🌙 {pager} تیم {name} را در ساعت آرام فراخواند: {reason}\nتماسی گرفته نشد؛ تصمیم با شماست."
    ),
    "page_after_hours": "پس از ساعت کاری {name}",
    "page_after_hours_void": (
        "تیم پس از ساعت کاری آن، {other}، دیگر از این گروه یا با همان مالک نیست، پس فراخوانده نشد."
    ),
    "oncall_week_title": "📅 {name}، ۷ روز آینده ({zone}):",
    "oncall_week_line": "{start} تا {end}: {person}",
    "oncall_week_open": "از {start}: {person}",
    "oncall_week_cover": "{person} (جانشین)",
    "calendar_cover": "جانشین",
    "swap_usage": (
        "از <code>/swap NAME</code> (نوبت فعلی یا بعدی‌تان)، <code>/swap NAME next</code>، "
        "<code>/swap NAME ۱۴۰۵-۰۹-۱۲</code> برای نوبت آن روز، یا "
        "<code>/swap NAME @someone</code> برای درخواست خصوصی از یک هم‌تیمی استفاده کنید "
        "(با روز هم: <code>/swap NAME ۱۴۰۵-۰۹-۱۲ @someone</code>)."
    ),
    "swap_not_member": "فقط اعضای {name} می‌توانند نوبت‌هایش را جابه‌جا کنند.",
    "swap_not_on_call": "نوبتی از {name} ندارید که جابه‌جا کنید (اکنون یا در ۸ هفتهٔ آینده).",
    "swap_already": "از قبل خواسته‌اید که آن نوبت {name} را کسی بگیرد.",
    "swap_asked_not_member": "{person} نمی‌تواند آن را بگیرد: فقط هم‌تیمی‌هایتان می‌توانند.",
    "swap_asked_unreachable": "نمی‌توانم به {person} پیام خصوصی بدهم: اول باید Start را بزند.",
    "swap_notice": (
        "🔁 {person} می‌خواهد کسی نوبت کشیکش در {name} را بگیرد: از {start} تا {end}. "
        "اولین کسی که «می‌گیرم» را بزند آن را می‌گیرد (تا {until})."
    ),
    "swap_posted": "در گروه {name} درخواست شد.",
    "swap_asked_private": (
        "🔁 {person} از شما می‌خواهد نوبت کشیکش در {name} را بگیرید: از {start} تا {end}. "
        "برای گرفتن «می‌گیرم» را بزنید (تا {until})."
    ),
    "swap_asked_done": "به‌طور خصوصی از {person} خواسته شد؛ تا {until} باز است.",
    "button_swap_take": "🙋 می‌گیرم",
    "swap_take_done": "آن نوبت {name} با شماست.",
    "swap_gone": "{person} آن را زودتر گرفت.",
    "swap_over": "این درخواست تمام شده است.",
    "swap_asked_not_delivered": (
        "نتوانستم به {person} پیام خصوصی بدهم (شاید مرا مسدود کرده): چیزی خواسته نشد."
    ),
    "swap_notice_not_posted": "نتوانستم درخواست را در گروه {name} بفرستم: چیزی خواسته نشد.",
    "shift_left_out": "{person} نمی‌تواند نوبت بگیرد: هیچ تماسی اینجا به او نمی‌رسد.",
    "swap_cancelled": "این درخواست تمام شده است: آن نوبت دیگر مال او نیست.",
    "swap_cancelled_notice": (
        "✖️ درخواست {person} برای نوبتش در {name} (از {start} تا {end}) تمام شد: "
        "آن نوبت دیگر مال او نیست."
    ),
    "swap_cancelled_asker": (
        "✖️ درخواست شما برای نوبتتان در {name} (از {start} تا {end}) تمام شد: "
        "آن نوبت دیگر مال شما نیست (تیم یا چرخشش تغییر کرد)."
    ),
    "swap_gone_notice": "⌛ این درخواست تمام شده است: تیمش حذف شد.",
    "swap_gone_asker": "⌛ درخواست شما برای گرفتن نوبتتان تمام شد: تیمش حذف شد.",
    "swap_own": "این نوبت خودتان است.",
    "swap_members_only": "فقط اعضای {name} می‌توانند نوبت‌هایش را بگیرند.",
    "swap_blocked": "{name} جانشین دیگری دارد که هنوز تمام نشده؛ پس از آن دوباره امتحان کنید.",
    "swap_taken_notice": "✅ {taker} نوبت {person} در {name} را گرفت: از {start} تا {end}.",
    "swap_taken_asker": "🔁 {taker} نوبت شما در {name} را گرفت: از {start} تا {end}.",
    "swap_taken_taker": "🔁 از {start} تا {end} به‌جای {person} کشیک {name} هستید.",
    "swap_expired_notice": "⌛ کسی نوبت {person} در {name} را نگرفت (از {start} تا {end}).",
    "swap_expired_asker": (
        "⌛ کسی نوبت شما در {name} را نگرفت (از {start} تا {end}): هنوز با شماست."
    ),
    "rotation_calendar": (
        "📅 نوبت‌های کشیک {name} در ۸ هفتهٔ آینده ({zone}). پرونده را باز کنید تا به تقویمتان "
        "افزوده شوند؛ پروندهٔ تازه‌تر آن‌ها را به‌روز می‌کند."
    ),
}

TEXTS: dict[str, dict[str, str]] = {"en": EN, "fa": FA}

_TAGS = re.compile(r"<[^>]+>")


def pick_language(language_code: str | None) -> str:
    """The language we speak to a user: theirs if we have it (``fa-IR`` -> ``fa``), else English."""
    if language_code:
        short = language_code.split("-")[0].lower()
        if short in TEXTS:
            return short
    return DEFAULT_LANGUAGE


def t(lang: str, key: str, **params: object) -> str:
    """The text ``key`` in ``lang`` (English if missing), with every value HTML-escaped.

    Inserted values are cut to :data:`VALUE_MAX` characters (a 5,000-character reason from
    Kavenegar must not push the message over Telegram's limit), except the call id and access
    token, which are only useful whole.
    """
    template = TEXTS.get(lang, EN).get(key) or EN[key]
    return template.format(
        **{k: html.escape(_cut(k, str(v)), quote=False) for k, v in params.items()}
    )


def _cut(key: str, value: str) -> str:
    if key in _WHOLE or len(value) <= VALUE_MAX:
        return value
    return value[: VALUE_MAX - 1] + "…"


def utf16_length(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def fit(html_text: str, limit: int = MESSAGE_MAX) -> tuple[str, bool]:
    """``(text, is_html)`` that Telegram accepts: the HTML itself when its visible text is within
    ``limit``; otherwise the plain text, cut to the limit (a message is cut, never dropped)."""
    visible = plain(html_text)
    if utf16_length(visible) <= limit:
        return html_text, True
    cut = visible
    while utf16_length(cut) > limit - 1:
        cut = cut[: -max(1, (utf16_length(cut) - limit + 1) // 2)]
    return cut + "…", False


#: An answer to a button press (``answerCallbackQuery``'s ``text``): 0-200 characters, no markup.
CALLBACK_ANSWER_MAX = 200


def callback_text(html_text: str) -> str:
    """A text for a press's toast or alert: Telegram shows it without markup, at most 200
    characters, so the markup goes and a longer text is cut (never refused)."""
    cut = plain(html_text)
    if utf16_length(cut) <= CALLBACK_ANSWER_MAX:
        return cut
    while utf16_length(cut) > CALLBACK_ANSWER_MAX - 1:  # (not fit(): its text is HTML)
        cut = cut[: -max(1, (utf16_length(cut) - CALLBACK_ANSWER_MAX + 1) // 2)]
    return cut + "…"


def format_wait(seconds: float, lang: str) -> str:
    """A wait, rounded up to a unit people use: "40 seconds", "3 minutes", "5 hours"."""
    whole = max(2, math.ceil(seconds))  # never "1 seconds"
    if whole < 100:
        return t(lang, "wait_seconds", n=whole)
    if whole < 100 * 60:
        return t(lang, "wait_minutes", n=math.ceil(whole / 60))
    return t(lang, "wait_hours", n=math.ceil(whole / 3600))


def format_talk(milliseconds: int) -> str:
    """Talk time as people read it: ``3:12``, or ``1:02:03`` past an hour."""
    seconds = round(milliseconds / 1000)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def plain(text: str) -> str:
    """What an HTML text reads as without markup: the fallback when Telegram refuses the HTML."""
    return html.unescape(_TAGS.sub("", text))
