"""Phone numbers: checking what a Telegram contact says, and the Kavenegar username made of one.

A number is kept in E.164 (``+989120822930``), normalised by Google's ``phonenumbers`` (the
port of libphonenumber), and only once it is a valid number. Telegram sends a shared contact's
number with or without the ``+``; a contact is only ever the person's own (see
:func:`own_contact_problem`), so the country code is always there.

With ``KAVENEGAR_USERNAME_SOURCE=phone`` a person is known to Kavenegar by their verified number,
written the way the operator's app registers its users (:class:`PhoneNaming`):

- ``national``: ``09120822930`` for a number of ``PHONE_REGION``, as in Kavenegar's examples;
  a number of another region falls back to the international form, since its national form
  would be ambiguous;
- ``international``: ``989120822930``, the E.164 digits without the ``+``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import phonenumbers

__all__ = [
    "PhoneFormat",
    "PhoneNaming",
    "UsernameSource",
    "normalise",
    "own_contact_problem",
    "readable",
    "supported_region",
]

UsernameSource = Literal["telegram", "phone"]
PhoneFormat = Literal["national", "international"]
#: E.164 allows 15 digits; with the "+" that is 16 characters.
E164_MAX = 16


def normalise(raw: str) -> str | None:
    """``raw`` as E.164 (``+989120822930``), or None when it is not a valid phone number."""
    digits = raw.strip()
    if not digits:
        return None
    if not digits.startswith("+"):
        digits = "+" + digits.lstrip("0")  # Telegram leaves out the "+", never the country code
    try:
        number = phonenumbers.parse(digits, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return e164 if len(e164) <= E164_MAX else None


def readable(e164: str) -> str:
    """The number as people write it internationally (``+98 912 082 2930``), for admins."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def supported_region(region: str) -> bool:
    return region.upper() in phonenumbers.SUPPORTED_REGIONS


def own_contact_problem(sender_id: int, contact_user_id: int | None, forwarded: bool) -> bool:
    """True when a shared contact does not prove the sender's own number.

    Telegram sets a contact's ``user_id`` to the account the number belongs to. Only the
    "share my number" button sends the sender's own card; a card typed in, picked from the
    address book or forwarded from someone else either has no ``user_id``, another one, or is
    a forward (which proves nothing about who sent it first).
    """
    return forwarded or contact_user_id != sender_id


@dataclass(frozen=True)
class PhoneNaming:
    """How a verified number becomes a Kavenegar username (``KAVENEGAR_USERNAME_SOURCE=phone``)."""

    format: PhoneFormat = "national"
    region: str = "IR"

    def username(self, e164: str) -> str:
        number = phonenumbers.parse(e164, None)
        if (
            self.format == "national"
            and phonenumbers.region_code_for_number(number) == self.region.upper()
        ):
            national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
            digits = "".join(c for c in national if c.isdigit())
            if digits:
                return digits
        return e164.removeprefix("+")
