/*
 * signpost widget: renders a card from a POST /v1/events answer inside a
 * platform's own page or webview. No dependencies; see docs/widget.md.
 *
 *   Signpost.render(container, response.card, {base: "https://signpost.example"})
 *
 * Styles live in a shadow root's constructable stylesheet (no <style>
 * element, no style attribute), so a strict host CSP needs only
 * script-src and connect-src for the signpost origin. Text is set with
 * textContent only: card text never becomes markup.
 */
(function (global) {
  "use strict";

  // Quick Exit labels: the same table as web/card.go (exitLabels).
  var EXIT = {
    "en": "Exit",
    "fr": "Quitter",
    "ar": "خروج",
    "fa": "خروج",
    "prs": "خروج",
    "ckb": "دەرچوون",
    "ku": "Derkeve",
    "kmr": "Derkeve",
    "ps": "وتل",
    "sq": "Dil",
    "vi": "Thoát",
    "ti": "ውጻእ",
    "tr": "Çıkış",
    "so": "Ka bax",
    "ur": "باہر نکلیں",
    "am": "ውጣ",
    "es": "Salir",
    "de": "Verlassen",
    "it": "Esci",
    "ru": "Выйти",
    "uk": "Вийти"
  };

  var CSS = [
    ":host{display:block;margin-block-end:1rem}",
    "*{box-sizing:border-box}",
    ".card{font:1.125rem/1.55 system-ui,\"Noto Sans\",\"Noto Sans Arabic\",\"Noto Sans Ethiopic\",sans-serif;color:#1a1a1a;background:#fff;",
    "border:1px solid #8a8a86;border-radius:.75rem;padding:1rem 1.25rem 1.25rem;max-inline-size:34rem;overflow-wrap:anywhere;text-align:start}",
    ".bar{display:flex;justify-content:flex-end;margin:0 0 .5rem}",
    ".exit{display:inline-flex;align-items:center;justify-content:center;min-block-size:2.75rem;min-inline-size:6rem;padding:.5rem 1.25rem;",
    "border:2px solid #a4161a;border-radius:.5rem;background:#a4161a;color:#fff;font:inherit;font-weight:700;cursor:pointer}",
    "h2{font-size:1.375rem;line-height:1.3;margin:0 0 .75rem}",
    "p{margin:0 0 1.25rem;white-space:pre-line}",
    "ul{list-style:none;margin:0 0 1rem;padding:0}",
    "li{margin:0 0 .75rem}",
    ".action,.choice{display:block;inline-size:100%;min-block-size:3rem;padding:.75rem 1rem;border-radius:.5rem;font:inherit;",
    "text-align:center;text-decoration:none;cursor:pointer;transition:background-color .15s}",
    ".action{background:#0b5394;color:#fff;border:2px solid #0b5394}",
    ".action:hover{background:#083d6d}",
    ".choice{background:#fff;color:#1a1a1a;border:2px solid #555;margin:.75rem 0 0}",
    ".choice:hover{background:#e8e8e6}",
    "a:focus-visible,button:focus-visible,.card:focus-visible{outline:3px solid #1a1a1a;outline-offset:3px;box-shadow:0 0 0 3px #ffbf47}",
    ".card:focus{outline-offset:3px}",
    "@media (prefers-reduced-motion:reduce){*{transition:none!important;animation:none!important}}"
  ].join("");

  var sheet = null;
  var reported = {};
  var LANG = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/;

  function exitLabel(locale) {
    var l = String(locale || "").toLowerCase();
    return EXIT[l] || EXIT[l.split("-")[0]] || EXIT.en;
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text) e.textContent = text;
    return e;
  }

  // baseOf is the signpost address: opts.base, else what precedes /r/ in
  // the card's first action URL.
  function baseOf(card, opts) {
    var b = opts.base;
    if (!b && card.actions && card.actions.length) {
      var u = String(card.actions[0].url || ""), i = u.indexOf("/r/");
      if (i > 0) b = u.slice(0, i);
    }
    return String(b || "").replace(/\/+$/, "");
  }

  // report counts an interaction: a form-urlencoded POST (a simple
  // request: no preflight) without credentials that outlives the page.
  function report(base, token, type) {
    if (!base || !token) return;
    var url = base + "/card/" + encodeURIComponent(token);
    var body = new URLSearchParams({ type: type });
    try {
      if (global.fetch) {
        global.fetch(url, { method: "POST", body: body, mode: "no-cors", credentials: "omit", keepalive: true,
          referrerPolicy: "no-referrer", cache: "no-store" }).catch(function () {});
      } else if (navigator.sendBeacon) {
        navigator.sendBeacon(url, body);
      }
    } catch (e) { /* reporting never breaks the page */ }
  }

  function safeURL(href, base) {
    try {
      var u = new URL(String(href), base || global.location.href);
      return u.protocol === "https:" || u.protocol === "http:" ? u.href : "";
    } catch (e) {
      return "";
    }
  }

  // render shows card (an event response's "card", or the response
  // itself) in container and returns {remove}, or null when there is no
  // card: the platform then shows its page as if signpost were not there.
  function render(container, card, opts) {
    opts = opts || {};
    if (card && typeof card === "object" && "card" in card && "matched" in card) card = card.card;
    if (!container || !card || typeof card !== "object" || !card.token || !card.title) return null;
    var base = baseOf(card, opts);
    var exitURL = opts.exitURL || (base ? base + "/exit" : "about:blank");
    var before = document.activeElement;
    var host = el("div", "signpost-card");
    var root = host;
    if (host.attachShadow) {
      root = host.attachShadow({ mode: "open" });
      try {
        if (!sheet) {
          sheet = new CSSStyleSheet();
          sheet.replaceSync(CSS);
        }
        root.adoptedStyleSheets = [sheet];
      } catch (e) { /* no constructable stylesheets: plain, still usable */ }
    }

    var box = el("section", "card");
    box.setAttribute("aria-labelledby", "signpost-title");
    box.setAttribute("dir", card.dir === "rtl" ? "rtl" : "ltr");
    if (LANG.test(String(card.locale || ""))) box.setAttribute("lang", card.locale);
    box.tabIndex = -1;

    var bar = el("div", "bar");
    var exit = el("button", "exit", opts.exitLabel || exitLabel(card.locale));
    exit.type = "button";
    bar.appendChild(exit);
    box.appendChild(bar);

    var h = el("h2", "", card.title);
    h.id = "signpost-title";
    box.appendChild(h);
    if (card.body) box.appendChild(el("p", "", card.body));

    var list = el("ul");
    (card.actions || []).forEach(function (a) {
      var href = safeURL(a && a.url, base);
      if (!href || !a.label) return;
      var link = el("a", "action", a.label);
      link.href = href;
      link.target = opts.target || "_blank";
      link.rel = "noopener noreferrer";
      link.referrerPolicy = "no-referrer";
      var li = el("li");
      li.appendChild(link);
      list.appendChild(li);
    });
    if (list.firstChild) box.appendChild(list);

    var shown = true;
    function onKey(e) {
      if (e.key === "Escape" || e.key === "Esc") quickExit(e);
    }
    function remove() {
      if (!shown) return;
      shown = false;
      document.removeEventListener("keydown", onKey, true);
      if (host.parentNode) host.parentNode.removeChild(host);
    }
    function restoreFocus() {
      if (before && before.focus && before !== document.body && document.contains(before)) before.focus();
    }
    function quickExit(e) {
      if (e && e.preventDefault) e.preventDefault();
      remove();
      if (typeof opts.onExit === "function") {
        opts.onExit();
      } else {
        global.location.replace(exitURL);
      }
    }
    function choice(type, label, cb) {
      if (!label) return;
      var b = el("button", "choice", label);
      b.type = "button";
      b.addEventListener("click", function () {
        report(base, card.token, type);
        remove();
        restoreFocus();
        if (typeof cb === "function") cb();
      });
      box.appendChild(b);
    }
    choice("continue", card["continue"] && card["continue"].label, opts.onContinue);
    choice("dismiss", card.dismiss && card.dismiss.label, opts.onDismiss);

    exit.addEventListener("click", quickExit);
    if (opts.escape !== false) document.addEventListener("keydown", onKey, true);

    root.appendChild(box);
    if (opts.replace !== false) {
      while (container.firstChild) container.removeChild(container.firstChild);
    }
    container.appendChild(host);
    if (opts.focus !== false) {
      try { box.focus({ preventScroll: false }); } catch (e) { box.focus(); }
    }
    if (opts.report !== false && !reported[card.token]) {
      reported[card.token] = true;
      report(base, card.token, "impression");
    }
    return { remove: remove, element: host };
  }

  global.Signpost = { render: render, exitLabel: exitLabel, version: 1 };
})(window);
