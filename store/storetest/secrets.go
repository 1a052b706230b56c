package storetest

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

// constant returns a generator that always yields val.
func constant(val string) func() ([]byte, error) {
	return func() ([]byte, error) { return []byte(val), nil }
}

// mustNotGenerate returns a generator that fails t if called.
func mustNotGenerate(t *testing.T) func() ([]byte, error) {
	return func() ([]byte, error) {
		t.Error("generate called although the secret exists")
		return []byte("unwanted"), nil
	}
}

func runSecrets(t *testing.T, open Opener) {
	t.Run("GeneratedOnce", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		got, err := s.Secret(ctx, "session", constant("first"))
		if err != nil {
			t.Fatalf("Secret (first): %v", err)
		}
		diff(t, "first Secret", []byte("first"), got)
		got, err = s.Secret(ctx, "session", mustNotGenerate(t))
		if err != nil {
			t.Fatalf("Secret (second): %v", err)
		}
		diff(t, "second Secret", []byte("first"), got)
		// Names are independent.
		other, err := s.Secret(ctx, "csrf", constant("other"))
		if err != nil {
			t.Fatalf("Secret(csrf): %v", err)
		}
		diff(t, "Secret(csrf)", []byte("other"), other)
	})
	t.Run("GeneratorError", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		boom := errors.New("entropy exhausted")
		_, err := s.Secret(ctx, "session", func() ([]byte, error) { return nil, boom })
		if !errors.Is(err, boom) {
			t.Fatalf("Secret with failing generator: err = %v, want %v", err, boom)
		}
		// The failure stored nothing, so the next call generates.
		got, err := s.Secret(ctx, "session", constant("later"))
		if err != nil {
			t.Fatalf("Secret after failure: %v", err)
		}
		diff(t, "Secret after failure", []byte("later"), got)
	})
	t.Run("Concurrent", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		const n = 8
		var calls atomic.Int64
		generate := func() ([]byte, error) {
			return fmt.Appendf(nil, "value-%d", calls.Add(1)), nil
		}
		got := make([][]byte, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				v, err := s.Secret(ctx, "session", generate)
				if err != nil {
					t.Errorf("Secret #%d: %v", i, err)
				}
				got[i] = v
			})
		}
		wg.Wait()
		if calls.Load() < 1 {
			t.Fatalf("generate never called")
		}
		for i := range got {
			diff(t, fmt.Sprintf("Secret #%d vs #0", i), got[0], got[i])
		}
		after, err := s.Secret(ctx, "session", mustNotGenerate(t))
		if err != nil {
			t.Fatalf("Secret after concurrent calls: %v", err)
		}
		diff(t, "Secret after concurrent calls", got[0], after)
		// The kept value is one the generator produced.
		var valid bool
		for i := range calls.Load() {
			valid = valid || string(after) == fmt.Sprintf("value-%d", i+1)
		}
		if !valid {
			t.Errorf("stored secret %q was never generated", after)
		}
	})
}
