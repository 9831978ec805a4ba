"""Telegram's side of a Mini App, for tests and the demo: signed ``initData`` and a stand-in
for ``telegram-web-app.js``.

A Telegram app opening a ``web_app`` button loads its URL with ``#tgWebAppData=<initData>``
(plus the version and platform) after it, and ``telegram-web-app.js`` reads ``initData`` from
there into ``Telegram.WebApp``. :func:`sign_init_data` signs the way Telegram does (the
``hash`` field: HMAC-SHA256 keyed with ``HMAC_SHA256("WebAppData", bot token)`` over the
sorted ``key=value`` lines), :func:`launch_url` builds the URL a Telegram app opens, and
:data:`WEB_APP_SCRIPT` serves in place of ``https://telegram.org/js/telegram-web-app.js``
(a browser test routes that URL to it). The stand-in records what the page asked of Telegram
in ``window.__webAppCalls`` (``ready``, ``expand``, ``enableClosingConfirmation``...).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any
from urllib.parse import quote, urlencode

__all__ = ["WEB_APP_SCRIPT", "launch_url", "sign_init_data"]


def sign_init_data(
    bot_token: str,
    user: dict[str, Any],
    *,
    auth_date: int,
    query_id: str = "AAHdF6IQAAAAAN0XohDhrOrc",
) -> str:
    """``initData`` for ``user`` (a Bot API ``User`` object) as Telegram signs it for the bot
    with ``bot_token`` at Unix time ``auth_date``."""
    fields = {
        "query_id": query_id,
        "user": json.dumps(user, ensure_ascii=False, separators=(",", ":")),
        "auth_date": str(auth_date),
    }
    check_string = "\n".join(f"{key}={value}" for key, value in sorted(fields.items()))
    secret = hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()
    fields["hash"] = hmac.new(secret, check_string.encode(), hashlib.sha256).hexdigest()
    return urlencode(fields, quote_via=quote)


def launch_url(url: str, init_data: str, *, platform: str = "tdesktop") -> str:
    """The URL a Telegram app opens for a ``web_app`` button of ``url``."""
    fragment = urlencode(
        {"tgWebAppData": init_data, "tgWebAppVersion": "8.0", "tgWebAppPlatform": platform},
        quote_via=quote,
    )
    return f"{url}#{fragment}"


#: Served in place of ``telegram-web-app.js``: the parts of ``Telegram.WebApp`` the join page
#: uses, filled from the launch URL's fragment as Telegram's own script fills them.
WEB_APP_SCRIPT = r"""
(function () {
  "use strict";
  var params = new URLSearchParams(window.location.hash.slice(1));
  var initData = params.get("tgWebAppData") || "";
  var unsafe = {};
  new URLSearchParams(initData).forEach(function (value, key) {
    unsafe[key] = key === "user" ? JSON.parse(value) : value;
  });
  var calls = [];
  window.__webAppCalls = calls;
  function record(name) {
    return function () { calls.push(name); };
  }
  var webApp = {
    initData: initData,
    initDataUnsafe: unsafe,
    version: params.get("tgWebAppVersion") || "6.0",
    platform: params.get("tgWebAppPlatform") || "unknown",
    colorScheme: "light",
    themeParams: {},
    isClosingConfirmationEnabled: false,
    ready: record("ready"),
    expand: record("expand"),
    close: record("close"),
    enableClosingConfirmation: function () {
      calls.push("enableClosingConfirmation");
      webApp.isClosingConfirmationEnabled = true;
    },
    disableClosingConfirmation: function () {
      calls.push("disableClosingConfirmation");
      webApp.isClosingConfirmationEnabled = false;
    },
    showAlert: function (message, callback) {
      calls.push("showAlert");
      if (callback) callback();
    },
  };
  window.Telegram = { WebApp: webApp };
})();
"""
