"""Onboarding: who may use the bot, phone numbers and their verification."""
