// signpost.js: the JavaScript client for signpost, a plain ES module with
// no dependencies, for Node >= 18 (global fetch and AbortController) and
// browsers.
//
// It embodies the fail-open contract: a call on the event path resolves
// within a hard deadline (50 ms by default), never retries, never throws,
// and on any failure resolves to "show nothing" ({card: null}) with a
// short error string for the platform's logs. A circuit breaker stops
// calling a server that keeps failing.
//
// SECRETS: the platform secret must never reach a browser. In a browser,
// construct the client with no `secret` and a `baseURL` pointing at a
// route of the platform's own backend that adds the Authorization header
// and forwards /v1/events, /v1/events/batch, /v1/interactions and
// /v1/feedback to signpost; or render cards with signpost's /widget.js
// (docs/widget.md). Only server-side code (Node) passes `secret`.
//
// Usage (Node):
//
//   import { Signpost } from "./signpost.js";
//   const sp = new Signpost({ baseURL: "https://signpost.example", secret: process.env.PLATFORM_SECRET });
//   await sp.warmup();        // once at startup: Node's first fetch is slower than 50 ms
//   const { card, error } = await sp.event({ kind: "search", text: query, locale: "ar", subject: pseudonym });
//   if (card) render(card);   // on error, card is null: show the results as usual

/**
 * @typedef {{ kind: "search"|"view", text: string, locale?: string, subject?: string, country?: string }} SignpostEvent
 * @typedef {{ categories: string[], rules: string[], rules_version: string }} SignpostMatch
 * @typedef {{ id: string, label: string, url: string }} SignpostAction
 * @typedef {{ token: string, campaign: string, variant: string, locale: string, dir: "ltr"|"rtl",
 *             title: string, body: string, actions: SignpostAction[],
 *             dismiss: { label: string }, continue: { label: string } }} SignpostCard
 * @typedef {{ matched: boolean, match: SignpostMatch|null, card: SignpostCard|null, error: string|null }} SignpostResult
 * @typedef {{ type: "false_positive"|"missed", token?: string, rule?: string, category?: string, language?: string }} SignpostFeedback
 */

const MAX_BATCH = 500;
const MAX_TEXT = { search: 4 << 10, view: 64 << 10 };
const utf8 = new TextEncoder();

/** @param {string} error @returns {SignpostResult} */
function nothing(error) {
  return { matched: false, match: null, card: null, error };
}

/**
 * A consecutive-failure circuit breaker: closed, it opens after
 * `threshold` failures in a row; open, it refuses calls for `openForMs`;
 * then one trial call goes through (half-open), whose success closes it
 * and whose failure opens it again.
 */
class Breaker {
  /** @param {number} threshold @param {number} openForMs @param {() => number} now */
  constructor(threshold, openForMs, now) {
    this.threshold = threshold;
    this.openForMs = openForMs;
    this.now = now;
    this.st = "closed";
    this.failures = 0;
    this.openUntil = 0;
    this.trialBusy = false;
  }

  /** @returns {{ok: boolean, trial: boolean}} */
  allow() {
    if (this.st === "open") {
      if (this.now() < this.openUntil) return { ok: false, trial: false };
      this.st = "half-open";
    }
    if (this.st === "half-open") {
      if (this.trialBusy) return { ok: false, trial: false };
      this.trialBusy = true;
      return { ok: true, trial: true };
    }
    return { ok: true, trial: false };
  }

  /** @param {boolean} trial @param {"success"|"failure"|"neutral"} outcome */
  record(trial, outcome) {
    if (trial) {
      this.trialBusy = false;
      if (outcome === "success") { this.st = "closed"; this.failures = 0; }
      if (outcome === "failure") { this.st = "open"; this.openUntil = this.now() + this.openForMs; }
      return;
    }
    if (this.st !== "closed") return;
    if (outcome === "success") this.failures = 0;
    if (outcome === "failure" && ++this.failures >= this.threshold) {
      this.st = "open";
      this.openUntil = this.now() + this.openForMs;
    }
  }

  /** @returns {"closed"|"open"|"half-open"} */
  state() {
    if (this.st === "closed") return "closed";
    if (this.st === "open" && this.now() < this.openUntil) return "open";
    return "half-open";
  }
}

export class Signpost {
  /**
   * @param {object} options
   * @param {string} options.baseURL signpost's URL, or (in a browser) the platform's forwarding route
   * @param {string} [options.secret] the platform bearer secret: server-side only, never in a browser
   * @param {number} [options.timeoutMs=50] hard deadline of event() calls
   * @param {number} [options.failureThreshold=5] consecutive failures (timeouts, network, 5xx; not 4xx) that open the breaker
   * @param {number} [options.openForMs=5000] how long an open breaker refuses calls before a trial
   * @param {number} [options.batchSize=100] views per /v1/events/batch call (at most 500)
   * @param {number} [options.batchDelayMs=200] the longest a queued view waits for its batch to fill
   * @param {number} [options.batchTimeoutMs=500] deadline of one batch call
   * @param {number} [options.maxQueue=10000] views that may wait; beyond, queueView answers an error at once
   * @param {number} [options.reportTimeoutMs=2000] deadline of report() and feedback(), off the hot path
   * @param {typeof fetch} [options.fetch] the fetch to use (default: the global one)
   */
  constructor({ baseURL, secret, timeoutMs = 50, failureThreshold = 5, openForMs = 5000,
    batchSize = 100, batchDelayMs = 200, batchTimeoutMs = 500, maxQueue = 10000,
    reportTimeoutMs = 2000, fetch = globalThis.fetch } = {}) {
    if (typeof baseURL !== "string" || baseURL === "") throw new TypeError("signpost: baseURL is required");
    if (typeof fetch !== "function") throw new TypeError("signpost: no fetch available (Node >= 18, or pass options.fetch)");
    if (batchSize > MAX_BATCH) throw new RangeError(`signpost: batchSize ${batchSize} is over the server's limit of ${MAX_BATCH}`);
    this.base = baseURL.replace(/\/+$/, "");
    this.secret = secret;
    this.timeoutMs = timeoutMs;
    this.batchSize = batchSize;
    this.batchDelayMs = batchDelayMs;
    this.batchTimeoutMs = batchTimeoutMs;
    this.maxQueue = maxQueue;
    this.reportTimeoutMs = reportTimeoutMs;
    // Called as a plain function: a browser's fetch invoked as a method of
    // another object throws "Illegal invocation".
    this.fetch = (input, init) => fetch(input, init);
    this.breaker = new Breaker(failureThreshold, openForMs, () => Date.now());
    /** @type {{ev: object, resolve: (r: SignpostResult) => void}[]} */
    this.queue = [];
    this.timer = null;
    /** @type {Promise<void>} the chain of batch sends, one at a time */
    this.sending = Promise.resolve();
  }

  /**
   * Optional, once at startup: loads the fetch implementation and opens a
   * connection (GET /livez, public), so that the first event() fits its
   * deadline. Node loads and compiles its fetch on first use, which takes
   * 50-150 ms: without this, a fresh process's first call fails open.
   * Resolves true when the service answered; never throws. In a browser
   * with a forwarding baseURL there is nothing to warm: skip it.
   * @param {number} [timeoutMs=2000]
   * @returns {Promise<boolean>}
   */
  async warmup(timeoutMs = 2000) {
    const ctl = typeof AbortController === "function" ? new AbortController() : null;
    const timer = setTimeout(() => ctl?.abort(), timeoutMs);
    try {
      const res = await this.fetch(`${this.base}/livez`, { method: "GET", signal: ctl?.signal });
      await res.arrayBuffer();
      return res.ok;
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Asks whether to show a card for ev. Never throws; resolves within
   * timeoutMs to {matched, match, card, error}, with card null (show
   * nothing) and error a short reason on any failure. Never retries.
   * @param {SignpostEvent} ev
   * @returns {Promise<SignpostResult>}
   */
  async event(ev) {
    const { ok, data, error } = await this.call("/v1/events", wire(ev ?? {}), this.timeoutMs, 200);
    if (!ok) return nothing(error);
    return { matched: !!data.matched, match: data.match ?? null, card: data.card ?? null, error: null };
  }

  /**
   * Sends ev later, in a batch to /v1/events/batch (kind defaults to
   * "view"). Never throws; the promise resolves like event()'s once its
   * batch answers, fails, or cannot be queued.
   * @param {SignpostEvent} ev
   * @returns {Promise<SignpostResult>}
   */
  queueView(ev) {
    if (this.queue.length >= this.maxQueue) return Promise.resolve(nothing("queue full: view dropped"));
    const body = wire({ ...ev, kind: ev?.kind || "view" });
    // The server refuses a whole batch for one bad event: refuse it here.
    const bad = invalid(body);
    if (bad) return Promise.resolve(nothing(`invalid event: ${bad}`));
    return new Promise((resolve) => {
      this.queue.push({ ev: body, resolve });
      if (this.queue.length >= this.batchSize) this.sendNow();
      else if (this.timer === null) this.timer = setTimeout(() => this.sendNow(), this.batchDelayMs);
    });
  }

  /**
   * Sends every queued view now and resolves when all have their answers.
   * @returns {Promise<void>}
   */
  async flush() {
    this.sendNow();
    await this.sending;
  }

  /**
   * Records what the person did with a card: "impression" (it was shown),
   * "dismiss" or "continue". Each counts once per token and type. Resolves
   * true when the server counted it, false otherwise; never throws.
   * @param {string} token the card's token
   * @param {"impression"|"dismiss"|"continue"} type
   * @returns {Promise<boolean>}
   */
  async report(token, type) {
    const { ok } = await this.call("/v1/interactions", { token, type }, this.reportTimeoutMs, 204);
    return ok;
  }

  /**
   * Reports a wrong trigger to the editors: a "false_positive" for a card
   * token or a rule id, or "missed" content for a rule or a category.
   * Carries ids only, never user text. Resolves true when accepted.
   * @param {SignpostFeedback} f
   * @returns {Promise<boolean>}
   */
  async feedback({ type, token, rule, category, language } = {}) {
    const body = { type };
    if (token) body.token = token;
    if (rule) body.rule = rule;
    if (category) body.category = category;
    if (language) body.language = language;
    const { ok, data } = await this.call("/v1/feedback", body, this.reportTimeoutMs, 202);
    return ok && data?.accepted === true;
  }

  /** @returns {"closed"|"open"|"half-open"} for the platform's metrics */
  breakerState() {
    return this.breaker.state();
  }

  /** Takes the whole queue and chains its batches after those in flight. */
  sendNow() {
    if (this.timer !== null) { clearTimeout(this.timer); this.timer = null; }
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.batchSize);
      this.sending = this.sending.then(() => this.sendBatch(batch));
    }
  }

  /** @param {{ev: object, resolve: (r: SignpostResult) => void}[]} batch */
  async sendBatch(batch) {
    const { ok, data, error } = await this.call("/v1/events/batch", { events: batch.map((q) => q.ev) }, this.batchTimeoutMs, 200);
    const results = ok && Array.isArray(data.results) && data.results.length === batch.length ? data.results : null;
    batch.forEach((q, i) => {
      const r = results?.[i];
      q.resolve(r ? { matched: !!r.matched, match: r.match ?? null, card: r.card ?? null, error: null }
        : nothing(error ?? "batch answer malformed"));
    });
  }

  /**
   * One POST under the breaker within timeoutMs. Never throws.
   * @returns {Promise<{ok: boolean, data?: any, error?: string, status?: number}>}
   */
  async call(path, body, timeoutMs, want) {
    const { ok, trial } = this.breaker.allow();
    if (!ok) return { ok: false, error: "breaker open" };
    const ctl = typeof AbortController === "function" ? new AbortController() : null;
    let timer;
    const deadline = new Promise((resolve) => {
      timer = setTimeout(() => { ctl?.abort(); resolve({ outcome: "failure", error: `timeout after ${timeoutMs}ms` }); }, timeoutMs);
    });
    const headers = { "Content-Type": "application/json", Accept: "application/json" };
    if (this.secret) headers.Authorization = `Bearer ${this.secret}`;
    const attempt = (async () => {
      let res;
      try {
        res = await this.fetch(this.base + path, { method: "POST", headers, body: JSON.stringify(body), signal: ctl?.signal });
      } catch (e) {
        return { outcome: "failure", error: `network: ${e?.name === "AbortError" ? "aborted" : (e?.message ?? e)}` };
      }
      let data = null;
      try {
        const text = await res.text();
        data = text ? JSON.parse(text) : null;
      } catch {
        if (res.status === want) return { outcome: "failure", error: "unreadable answer" };
      }
      if (res.status === want) return { outcome: "success", ok: true, data };
      const code = data?.error?.code ?? `http_${res.status}`;
      // A 4xx is the server answering: a sign of life, not a failure.
      return { outcome: res.status >= 500 ? "failure" : "success", status: res.status, error: `${res.status} ${code}` };
    })();
    // The race bounds the call even if a custom fetch ignores the signal.
    const r = await Promise.race([attempt, deadline]);
    clearTimeout(timer);
    this.breaker.record(trial, r.outcome);
    return { ok: !!r.ok, data: r.data, error: r.error, status: r.status };
  }
}

/** @param {SignpostEvent} ev */
function wire({ kind, text, locale, subject, country }) {
  const ev = { kind, text };
  if (locale) ev.locale = locale;
  if (subject) ev.subject = subject;
  if (country) ev.country = country;
  return ev;
}

/**
 * Says why the server would refuse ev, or null.
 * @param {{kind: string, text: string, locale?: string, subject?: string, country?: string}} ev
 */
function invalid(ev) {
  if (!Object.hasOwn(MAX_TEXT, ev.kind)) return `kind must be "search" or "view"`;
  if (typeof ev.text !== "string" || ev.text === "") return "empty text";
  if (utf8.encode(ev.text).length > MAX_TEXT[ev.kind]) return `text over ${MAX_TEXT[ev.kind]} bytes`;
  if (utf8.encode(ev.locale ?? "").length > 256) return "locale over 256 bytes";
  if (utf8.encode(ev.subject ?? "").length > 256) return "subject over 256 bytes";
  if (ev.country && !/^[A-Z]{2}$/.test(ev.country)) return "country is not an ISO 3166-1 alpha-2 code";
  return null;
}
