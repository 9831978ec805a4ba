"""Telegram handlers: thin adapters from updates to the domain. The table in
:mod:`bot.telegram.commands` lists and registers them."""
