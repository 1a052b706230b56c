package storetest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"signpost/store"
)

func pausedRule(rule string, rate float64) store.PausedRule {
	return store.PausedRule{Rule: rule, PausedAt: at(1), Rate: rate, Baseline: rate / 20, Count: int64(rate)}
}

func ruleAudit(action, rule string, n int) store.AuditEntry {
	return store.AuditEntry{Time: at(n), Campaign: "rules.en", Action: action, ActorID: "system", Detail: "rule " + rule}
}

func runPausedRules(t *testing.T, open Opener) {
	t.Run("PauseListKeepResume", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		list, err := s.PausedRules(ctx)
		if err != nil {
			t.Fatalf("PausedRules on an empty store: %v", err)
		}
		diff(t, "empty PausedRules", []store.PausedRule(nil), list)

		for i, rule := range []string{"en.b", "en.a"} {
			ok, err := s.PauseRule(ctx, pausedRule(rule, 200), ruleAudit("rule_auto_paused", rule, i+2))
			if err != nil || !ok {
				t.Fatalf("PauseRule(%s) = %v, %v; want stored", rule, ok, err)
			}
		}
		// A second pause of a paused rule changes nothing and is not audited.
		ok, err := s.PauseRule(ctx, pausedRule("en.a", 999), ruleAudit("rule_auto_paused", "en.a", 4))
		if err != nil || ok {
			t.Fatalf("PauseRule of a paused rule = %v, %v; want not stored", ok, err)
		}
		list, err = s.PausedRules(ctx)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "PausedRules", []store.PausedRule{pausedRule("en.a", 200), pausedRule("en.b", 200)}, list)

		kept, err := s.KeepRulePaused(ctx, "en.a", "tok_editor", at(5), ruleAudit("rule_kept_paused", "en.a", 5))
		if err != nil {
			t.Fatalf("KeepRulePaused: %v", err)
		}
		want := pausedRule("en.a", 200)
		want.KeptBy, want.KeptAt = "tok_editor", at(5)
		diff(t, "KeepRulePaused", want, kept)

		got, err := s.ResumeRule(ctx, "en.a", ruleAudit("rule_resumed", "en.a", 6))
		if err != nil {
			t.Fatalf("ResumeRule: %v", err)
		}
		diff(t, "ResumeRule", want, got)
		list, err = s.PausedRules(ctx)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "PausedRules after resume", []store.PausedRule{pausedRule("en.b", 200)}, list)

		_, err = s.ResumeRule(ctx, "en.a", ruleAudit("rule_resumed", "en.a", 7))
		wantNotFound(t, "ResumeRule of a rule not paused", err)
		_, err = s.KeepRulePaused(ctx, "en.zz", "tok_editor", at(7), ruleAudit("rule_kept_paused", "en.zz", 7))
		wantNotFound(t, "KeepRulePaused of a rule not paused", err)

		// Each change that happened is audited, in order, and nothing else.
		audit, err := s.Audit(ctx, "rules.en")
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range audit {
			actions = append(actions, e.Action+" "+e.Detail)
		}
		diff(t, "audit", []string{"rule_auto_paused rule en.b", "rule_auto_paused rule en.a", "rule_kept_paused rule en.a", "rule_resumed rule en.a"}, actions)
	})
	t.Run("ConcurrentPauseOnce", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		const n = 8
		var won atomic.Int64
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				ok, err := s.PauseRule(ctx, pausedRule("en.x", float64(100+i)), ruleAudit("rule_auto_paused", "en.x", 1))
				if err != nil {
					t.Errorf("PauseRule #%d: %v", i, err)
				}
				if ok {
					won.Add(1)
				}
			})
		}
		wg.Wait()
		if won.Load() != 1 {
			t.Errorf("%d concurrent pauses stored, want exactly 1", won.Load())
		}
		audit, err := s.Audit(ctx, "rules.en")
		if err != nil {
			t.Fatal(err)
		}
		if len(audit) != 1 {
			t.Errorf("%d audit entries for one pause, want 1", len(audit))
		}
	})
	t.Run("ConcurrentResumeOnce", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		if _, err := s.PauseRule(ctx, pausedRule("en.x", 100), ruleAudit("rule_auto_paused", "en.x", 1)); err != nil {
			t.Fatal(err)
		}
		var won atomic.Int64
		var wg sync.WaitGroup
		for i := range 4 {
			wg.Go(func() {
				_, err := s.ResumeRule(ctx, "en.x", ruleAudit("rule_resumed", fmt.Sprint("en.x #", i), 2))
				if err == nil {
					won.Add(1)
				}
			})
		}
		wg.Wait()
		if won.Load() != 1 {
			t.Errorf("%d concurrent resumes succeeded, want exactly 1", won.Load())
		}
	})
	t.Run("CancelledContext", func(t *testing.T) {
		s := open(t)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := s.PausedRules(ctx); err == nil {
			t.Error("PausedRules with a cancelled context succeeded")
		}
		if _, err := s.PauseRule(ctx, pausedRule("en.x", 1), ruleAudit("x", "en.x", 1)); err == nil {
			t.Error("PauseRule with a cancelled context succeeded")
		}
		if _, err := s.ResumeRule(ctx, "en.x", ruleAudit("x", "en.x", 1)); err == nil {
			t.Error("ResumeRule with a cancelled context succeeded")
		}
	})
}
