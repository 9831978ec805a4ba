// The join page: opened from a Join button inside Telegram, it fetches this person's access
// token (the bot checks Telegram's signed initData), asks for the microphone on a tap, and
// joins the call with Kavenegar's browser SDK. When the microphone is refused or the SDK does
// not load, it shows the call ID and token for the app instead.
(function () {
  "use strict";

  var TEXT = {
    en: {
      title: "Kavenegar call",
      loading: "Getting your call…",
      ready: "Tap Join: I will ask for your microphone once.",
      join: "Join the call",
      hangup: "Hang up",
      mic: "Allow the microphone to talk…",
      joining: "Joining…",
      ringing: "Ringing… waiting for the other person.",
      connected: "Connected.",
      ended: "The call has ended.",
      endedTalk: "The call has ended. Talk time: {talk}.",
      notTelegram: "Open this page with the Join button in your private chat with the bot.",
      unauthorized: "Telegram could not confirm who you are. Open the page again from the Join button.",
      notYours: "This call is not yours: only its two participants can join it.",
      unknown: "This join link is not valid.",
      gone: "This call has ended; it can no longer be joined.",
      unavailable: "The bot cannot answer right now. Try again in a moment.",
      micRefused: "The microphone was not allowed, so the call cannot be joined here.",
      sdkFailed: "Kavenegar's calling library could not be loaded, so the call cannot be joined here.",
      joinFailed: "Kavenegar did not let this page join the call ({reason}).",
      fallbackHow: "Join from an app built on Kavenegar's SDK instead, within a minute of the call's start, with:",
      callId: "Call ID",
      token: "Access token (yours alone: do not share it)",
      copy: "Copy the token",
      copied: "Copied.",
    },
    fa: {
      title: "تماس کاوه‌نگار",
      loading: "در حال گرفتن تماس شما…",
      ready: "«ورود به تماس» را بزنید: یک بار اجازهٔ میکروفون را می‌خواهم.",
      join: "ورود به تماس",
      hangup: "قطع تماس",
      mic: "برای صحبت، اجازهٔ میکروفون را بدهید…",
      joining: "در حال ورود…",
      ringing: "در حال زنگ خوردن… منتظر طرف دیگر.",
      connected: "وصل شد.",
      ended: "تماس تمام شد.",
      endedTalk: "تماس تمام شد. مدت گفت‌وگو: {talk}.",
      notTelegram: "این صفحه را با دکمهٔ ورود در گفت‌وگوی خصوصی با ربات باز کنید.",
      unauthorized: "تلگرام نتوانست هویت شما را تأیید کند. صفحه را دوباره از دکمهٔ ورود باز کنید.",
      notYours: "این تماس مال شما نیست: فقط دو طرف تماس می‌توانند وارد شوند.",
      unknown: "این پیوند ورود معتبر نیست.",
      gone: "این تماس تمام شده است و دیگر نمی‌شود وارد آن شد.",
      unavailable: "ربات الان نمی‌تواند پاسخ دهد. کمی بعد دوباره امتحان کنید.",
      micRefused: "اجازهٔ میکروفون داده نشد، پس اینجا نمی‌شود وارد تماس شد.",
      sdkFailed: "کتابخانهٔ تماس کاوه‌نگار بارگذاری نشد، پس اینجا نمی‌شود وارد تماس شد.",
      joinFailed: "کاوه‌نگار اجازهٔ ورود این صفحه به تماس را نداد ({reason}).",
      fallbackHow: "به‌جای آن، ظرف یک دقیقه از شروع تماس، از برنامه‌ای بر پایهٔ SDK کاوه‌نگار با این‌ها وارد شوید:",
      callId: "شناسهٔ تماس",
      token: "توکن دسترسی (فقط مال شما: به کسی ندهید)",
      copy: "کپی توکن",
      copied: "کپی شد.",
    },
  };
  var PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹";
  var RETRIES = 3;
  var SDK_WAIT_MS = 10000;
  var JOIN_WAIT_MS = 20000;

  var body = document.body;
  var tg = window.Telegram && window.Telegram.WebApp;
  var user = tg && tg.initDataUnsafe && tg.initDataUnsafe.user;
  var lang = user && /^fa/i.test(user.language_code || "") ? "fa" : "en";
  var text = TEXT[lang];
  var handle = new URLSearchParams(window.location.search).get("call") || "";
  var grant = null;
  var call = null;
  var stream = null;
  var startedAt = null;
  var ticking = null;
  var over = false;

  function el(id) {
    return document.getElementById(id);
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) {
      return values[key];
    });
  }

  function digits(value) {
    if (lang !== "fa") return value;
    return value.replace(/[0-9]/g, function (d) {
      return PERSIAN_DIGITS[Number(d)];
    });
  }

  function talkTime() {
    var seconds = startedAt ? Math.max(0, Math.floor((Date.now() - startedAt) / 1000)) : 0;
    var minutes = Math.floor(seconds / 60);
    var rest = seconds % 60;
    return digits((minutes < 10 ? "0" : "") + minutes + ":" + (rest < 10 ? "0" : "") + rest);
  }

  // One state at a time: the status line and which controls show.
  function show(state, message) {
    body.dataset.state = state;
    el("status").textContent = message;
    el("join").hidden = state !== "ready";
    el("hangup").hidden = state !== "ringing" && state !== "connected";
    el("timer").hidden = state !== "connected" && !(state === "ended" && startedAt);
    el("fallback").hidden = state !== "fallback";
  }

  function setUp() {
    document.documentElement.lang = lang;
    document.documentElement.dir = lang === "fa" ? "rtl" : "ltr";
    document.title = text.title;
    el("title").textContent = text.title;
    el("join").textContent = text.join;
    el("hangup").textContent = text.hangup;
    el("fallback-how").textContent = text.fallbackHow;
    el("fallback-call-label").textContent = text.callId;
    el("fallback-token-label").textContent = text.token;
    el("copy").textContent = text.copy;
    el("join").addEventListener("click", join);
    el("hangup").addEventListener("click", hangUp);
    el("copy").addEventListener("click", copyToken);
    if (tg) {
      tg.ready();
      tg.expand();
    }
  }

  function loadSdk() {
    return new Promise(function (resolve) {
      var script = document.createElement("script");
      script.src = body.dataset.sdk;
      script.onload = function () {
        resolve(typeof window.KavenegarCall === "function");
      };
      script.onerror = function () {
        resolve(false);
      };
      document.head.appendChild(script);
      window.setTimeout(function () {
        resolve(false);
      }, SDK_WAIT_MS);
    });
  }

  function fetchToken(attempt) {
    return window
      .fetch(body.dataset.base + "/token", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ initData: tg.initData, call: handle }),
        cache: "no-store",
        credentials: "omit",
      })
      .then(function (response) {
        if (response.status === 503 && attempt < RETRIES) {
          return new Promise(function (resolve) {
            window.setTimeout(resolve, 1000 * (attempt + 1));
          }).then(function () {
            return fetchToken(attempt + 1);
          });
        }
        return response.json().then(function (data) {
          return { status: response.status, data: data };
        });
      });
  }

  function start() {
    setUp();
    if (!tg || !tg.initData || !handle) {
      show("refused", text.notTelegram);
      return;
    }
    show("loading", text.loading);
    var sdk = loadSdk();
    fetchToken(0)
      .then(function (answer) {
        var refusals = { 401: text.unauthorized, 403: text.notYours, 404: text.unknown, 410: text.gone };
        if (answer.status === 200) {
          grant = answer.data;
          grant.sdk = sdk;
          show("ready", text.ready);
        } else if (answer.status === 410) {
          show("ended", text.gone);
        } else {
          show("refused", refusals[answer.status] || text.unavailable);
        }
      })
      .catch(function () {
        show("refused", text.unavailable);
      });
  }

  function stopMicrophone() {
    if (stream) {
      stream.getTracks().forEach(function (track) {
        track.stop();
      });
      stream = null;
    }
  }

  function fallback(message) {
    stopMicrophone();
    if (tg) tg.disableClosingConfirmation();
    el("fallback-call").textContent = grant.callId;
    el("fallback-token").textContent = grant.accessToken;
    show("fallback", message);
  }

  function join() {
    el("join").disabled = true;
    show("joining", text.mic);
    var media = navigator.mediaDevices && navigator.mediaDevices.getUserMedia;
    if (!media) {
      fallback(text.micRefused);
      return;
    }
    navigator.mediaDevices
      .getUserMedia({ audio: true, video: false })
      .then(function (local) {
        stream = local;
        show("joining", text.joining);
        return grant.sdk.then(function (loaded) {
          if (!loaded) {
            fallback(text.sdkFailed);
            return;
          }
          initCall();
        });
      })
      .catch(function () {
        fallback(text.micRefused);
      });
  }

  function initCall() {
    var Environment = window.Environment;
    var client = new window.KavenegarCall(Environment ? Environment.PRODUCTION : undefined);
    tg.enableClosingConfirmation();
    var answered = false;
    window.setTimeout(function () {
      if (!answered) fallback(fill(text.joinFailed, { reason: "timeout" }));
    }, JOIN_WAIT_MS);
    // no logger: the SDK's RemoteLogger puts the access token in a WebSocket URL
    client.initCall(
      {
        callId: grant.callId,
        accessToken: grant.accessToken,
        localStream: stream,
        remoteElement: el("remote"),
      },
      function (result, joined) {
        if (answered || over) return;
        answered = true;
        if (result !== "success") {
          if (result === "call_session_finished") {
            finished();
            return;
          }
          fallback(fill(text.joinFailed, { reason: String(result) }));
          return;
        }
        call = joined;
        joined.onStatusChanged = onStatus;
        joined.onFinished = finished;
        if (joined.direction === "INBOUND" && typeof joined.accept === "function") {
          joined.accept(); // tapping Join was the answer
        }
        show("ringing", text.ringing);
      }
    );
  }

  function onStatus(status) {
    if (over) return;
    if (status === "accepted" || status === "conversation") {
      if (!startedAt) {
        startedAt = Date.now();
        ticking = window.setInterval(function () {
          el("timer").textContent = talkTime();
        }, 500);
      }
      el("timer").textContent = talkTime();
      show("connected", text.connected);
    } else if (status === "finished" || status === "flushed") {
      finished();
    } else if (!startedAt) {
      show("ringing", text.ringing);
    }
  }

  function finished() {
    if (over) return;
    over = true;
    if (ticking) window.clearInterval(ticking);
    stopMicrophone();
    if (tg) tg.disableClosingConfirmation();
    if (call && typeof call.dispose === "function") call.dispose();
    el("timer").textContent = talkTime();
    show("ended", startedAt ? fill(text.endedTalk, { talk: talkTime() }) : text.ended);
  }

  function hangUp() {
    el("hangup").disabled = true;
    if (call) call.hangup();
  }

  function copyToken() {
    if (!grant || !navigator.clipboard) return;
    navigator.clipboard.writeText(grant.accessToken).then(function () {
      el("copy").textContent = text.copied;
    });
  }

  start();
})();
