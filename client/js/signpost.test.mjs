// Tests of signpost.js against the real service. client/js_test.go starts
// it (and a frozen proxy in front of it) and runs
//   node --test client/js/signpost.test.mjs
// with these in the environment:
//   SIGNPOST_URL     the live server
//   FROZEN_URL       a proxy to it that delays every byte by seconds
//   DEAD_URL         a loopback address that refuses connections
//   PLATFORM_SECRET  a platform token's secret
//   REPORTER_SECRET  another platform's secret, whose stats only this test touches
//   EDITOR_SECRET    an editor's secret, to read feedback counts
import { test } from "node:test";
import assert from "node:assert/strict";
import { Signpost } from "./signpost.js";

const env = (name) => {
  const v = process.env[name];
  assert.ok(v, `${name} is not set: run through go test ./client/ -run JS`);
  return v;
};
const live = env("SIGNPOST_URL");
const frozen = env("FROZEN_URL");
const dead = env("DEAD_URL");
const secret = env("PLATFORM_SECRET");

const matchingSearch = "small boat to uk price";
const benignSearch = "dover to calais ferry price";
const matchingView = "boat from france to uk cost";
// What a loaded 2-core CI machine may add to a deadline.
const slackMs = 300;

/** A fetch that sends to whichever server `target` names and counts calls per path. */
function routedFetch() {
  const r = {
    target: live,
    calls: {},
    total: 0,
    fetch: (url, init) => {
      const u = new URL(url);
      r.calls[u.pathname] = (r.calls[u.pathname] ?? 0) + 1;
      r.total++;
      return fetch(r.target + u.pathname, init);
    },
  };
  return r;
}

const sleep = (ms) => new Promise((res) => setTimeout(res, ms));

test("a matching search gets a card", async () => {
  const sp = new Signpost({ baseURL: live, secret, timeoutMs: 2000 });
  const r = await sp.event({ kind: "search", text: matchingSearch, locale: "ar-IQ,ar;q=0.9,en;q=0.5", subject: "js-1", country: "FR" });
  assert.equal(r.error, null);
  assert.equal(r.matched, true);
  assert.ok(r.match.rules.includes("en.crossing.boat_uk"), JSON.stringify(r.match));
  assert.ok(r.card, "no card");
  assert.equal(r.card.campaign, "small-boats");
  assert.equal(r.card.locale, "ar");
  assert.equal(r.card.dir, "rtl");
  assert.ok(r.card.token && r.card.title && r.card.body && r.card.actions.length > 0);
  assert.ok(r.card.dismiss.label && r.card.continue.label);
  assert.equal(sp.breakerState(), "closed");
});

test("a benign search gets none", async () => {
  const sp = new Signpost({ baseURL: live, secret, timeoutMs: 2000 });
  const r = await sp.event({ kind: "search", text: benignSearch, locale: "en" });
  assert.deepEqual(r, { matched: false, match: null, card: null, error: null });
});

test("4xx: no card, an error, the breaker stays closed", async () => {
  const sp = new Signpost({ baseURL: live, secret, timeoutMs: 2000, failureThreshold: 2 });
  for (let i = 0; i < 4; i++) {
    const r = await sp.event({ kind: "bogus", text: matchingSearch });
    assert.equal(r.card, null);
    assert.equal(r.error, "400 invalid_kind");
  }
  assert.equal(sp.breakerState(), "closed");
  const bad = new Signpost({ baseURL: live, secret: "sp_not-a-token", timeoutMs: 2000 });
  const r = await bad.event({ kind: "search", text: matchingSearch });
  assert.equal(r.card, null);
  assert.match(r.error, /^401 /);
});

test("queueView batches views and answers each in order", async () => {
  const rf = routedFetch();
  const sp = new Signpost({ baseURL: "http://signpost.invalid", secret, fetch: rf.fetch, batchSize: 10, batchDelayMs: 3_600_000, batchTimeoutMs: 10_000 });
  const n = 25;
  const pending = [];
  for (let i = 0; i < n; i++) {
    pending.push(sp.queueView({ text: i % 3 === 0 ? matchingView : benignSearch, locale: "en", subject: `viewer-${i}` }));
  }
  // Two full batches go at once; the last five wait for a flush.
  await sp.flush();
  const results = await Promise.all(pending);
  assert.equal(rf.calls["/v1/events/batch"], 3, JSON.stringify(rf.calls));
  assert.equal(rf.calls["/v1/events"], undefined);
  results.forEach((r, i) => {
    assert.equal(r.error, null, `view ${i}`);
    assert.equal(r.matched, i % 3 === 0, `view ${i} out of order?`);
    assert.equal(r.card !== null, i % 3 === 0, `view ${i}`);
  });
});

test("a partial batch goes after batchDelayMs", async () => {
  const rf = routedFetch();
  const sp = new Signpost({ baseURL: "http://signpost.invalid", secret, fetch: rf.fetch, batchDelayMs: 50, batchTimeoutMs: 10_000 });
  const start = Date.now();
  const results = await Promise.all([1, 2, 3].map(() => sp.queueView({ text: matchingView, locale: "fr" })));
  assert.ok(Date.now() - start >= 45, "the batch went before batchDelayMs");
  assert.equal(rf.calls["/v1/events/batch"], 1);
  for (const r of results) assert.ok(r.card, JSON.stringify(r));
});

test("queueView refuses what the server would", async () => {
  const rf = routedFetch();
  const sp = new Signpost({ baseURL: "http://signpost.invalid", secret, fetch: rf.fetch, maxQueue: 1, batchDelayMs: 3_600_000 });
  assert.match((await sp.queueView({ text: "" })).error, /invalid event/);
  assert.match((await sp.queueView({ text: "x", country: "France" })).error, /invalid event/);
  const first = sp.queueView({ text: benignSearch });
  assert.match((await sp.queueView({ text: benignSearch })).error, /queue full/);
  await sp.flush();
  assert.equal((await first).error, null);
  assert.equal(rf.total, 1);
});

test("report reaches the platform's stats", async () => {
  const reporter = env("REPORTER_SECRET");
  const sp = new Signpost({ baseURL: live, secret: reporter, timeoutMs: 2000 });
  const people = 12; // over 10, so that the total is not suppressed
  for (let i = 0; i < people; i++) {
    const r = await sp.event({ kind: "search", text: matchingSearch, locale: "en", subject: `js-reporter-${i}` });
    assert.ok(r.card, r.error);
    assert.equal(await sp.report(r.card.token, "impression"), true);
    assert.equal(await sp.report(r.card.token, "impression"), true); // counted once
  }
  assert.equal(await sp.report("not-a-card-token", "dismiss"), false);
  let impressions = null;
  for (const until = Date.now() + 15_000; Date.now() < until; await sleep(50)) {
    const res = await fetch(`${live}/v1/stats/campaigns/small-boats`, { headers: { Authorization: `Bearer ${reporter}` } });
    assert.equal(res.status, 200);
    impressions = (await res.json()).total.impressions;
    if (impressions >= people) break;
  }
  assert.equal(impressions, people);
});

test("feedback reaches the editors' counts", async () => {
  const sp = new Signpost({ baseURL: live, secret, timeoutMs: 2000 });
  const r = await sp.event({ kind: "search", text: matchingSearch, locale: "en" });
  assert.ok(r.card, r.error);
  assert.equal(await sp.feedback({ type: "false_positive", token: r.card.token, rule: "en.crossing.boat_uk" }), true);
  assert.equal(await sp.feedback({ type: "missed", category: "crossing", language: "en" }), true);
  assert.equal(await sp.feedback({ type: "bogus", rule: "en.crossing.boat_uk" }), false);
  let fp = 0;
  for (const until = Date.now() + 15_000; Date.now() < until && fp === 0; await sleep(100)) {
    const res = await fetch(`${live}/v1/rules/en/activity`, { headers: { Authorization: `Bearer ${env("EDITOR_SECRET")}` } });
    assert.equal(res.status, 200);
    fp = (await res.json()).rules.find((r) => r.rule === "en.crossing.boat_uk")?.false_positives ?? 0;
  }
  assert.ok(fp > 0, "the activity route never counted the false positive");
});

test("a frozen server: no card within the deadline, then the breaker", async () => {
  const rf = routedFetch();
  const openForMs = 300;
  // The deadline leaves the live server room to answer on a busy CI
  // machine (the race-detector build, other packages' tests beside it):
  // at 50ms the warm-up call itself timed out there.
  const timeoutMs = 250;
  const sp = new Signpost({ baseURL: "http://signpost.invalid", secret, fetch: rf.fetch, timeoutMs, failureThreshold: 3, openForMs });
  const search = { kind: "search", text: matchingSearch, locale: "en" };
  assert.ok((await sp.event(search)).card, "warm-up through the live server");

  rf.target = frozen;
  for (let i = 0; i < 3; i++) {
    const start = Date.now();
    const r = await sp.event(search);
    const took = Date.now() - start;
    assert.equal(r.card, null);
    assert.match(r.error, new RegExp(`timeout after ${timeoutMs}ms`));
    assert.ok(took < timeoutMs + slackMs, `frozen call ${i} took ${took}ms`);
  }
  assert.equal(sp.breakerState(), "open");

  const before = rf.total;
  const start = performance.now();
  const fast = 200;
  for (let i = 0; i < fast; i++) {
    const r = await sp.event(search);
    assert.equal(r.card, null);
    assert.equal(r.error, "breaker open");
  }
  const per = (performance.now() - start) / fast;
  assert.ok(per < 0.1, `an open breaker took ${per}ms per call`);
  assert.equal(rf.total, before, "an open breaker touched the network");
  assert.equal(await sp.report("tok", "impression"), false);

  // Past the open window, not at its edge: the breaker reads Date.now(),
  // whose whole milliseconds can fall a millisecond short of a timer's
  // wait, and CI saw the breaker still open right at the edge.
  const pastWindow = openForMs + 25;
  await sleep(pastWindow);
  assert.equal(sp.breakerState(), "half-open");
  const trial = await sp.event(search); // still frozen: the trial fails
  assert.equal(trial.card, null);
  assert.equal(sp.breakerState(), "open");

  rf.target = live; // the server answers again
  await sleep(pastWindow);
  const r = await sp.event(search);
  assert.ok(r.card, r.error);
  assert.equal(sp.breakerState(), "closed");
});

test("a frozen server: queued views fail open within the batch deadline", async () => {
  const sp = new Signpost({ baseURL: frozen, secret, batchDelayMs: 1, batchTimeoutMs: 100 });
  const start = Date.now();
  const r = await sp.queueView({ text: matchingView });
  assert.equal(r.card, null);
  assert.match(r.error, /timeout/);
  assert.ok(Date.now() - start < 100 + slackMs, `took ${Date.now() - start}ms`);
});

test("a killed server (connection refused) fails open", async () => {
  const sp = new Signpost({ baseURL: dead, secret, failureThreshold: 2 });
  for (let i = 0; i < 2; i++) {
    const start = Date.now();
    const r = await sp.event({ kind: "search", text: matchingSearch });
    assert.equal(r.card, null);
    assert.ok(r.error);
    assert.ok(Date.now() - start < 50 + slackMs);
  }
  assert.equal(sp.breakerState(), "open");
});

test("construction errors are loud; calls never throw", async () => {
  assert.throws(() => new Signpost({}), TypeError);
  assert.throws(() => new Signpost({ baseURL: live, batchSize: 501 }), RangeError);
  const sp = new Signpost({ baseURL: live, secret, fetch: () => { throw new Error("boom"); } });
  const r = await sp.event({ kind: "search", text: matchingSearch });
  assert.equal(r.card, null);
  assert.match(r.error, /boom/);
  const noEvent = await new Signpost({ baseURL: live, secret, timeoutMs: 2000 }).event(undefined);
  assert.equal(noEvent.card, null);
  assert.match(noEvent.error, /^400 /);
});
