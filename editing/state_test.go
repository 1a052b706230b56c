package editing

import (
	"errors"
	"testing"
	"time"
)

func TestTransitions(t *testing.T) {
	now := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	draft := NewState("ann", now)
	inReview, _ := draft.Submit("ann")
	live, _ := inReview.Publish("bob", true)
	paused, _ := live.Pause()
	archived, _ := live.Archive()
	editedLive, _ := live.Edit("ann", now)

	tests := []struct {
		name    string
		do      func() (State, error)
		want    State
		wantErr error
	}{
		{"submit a draft", func() (State, error) { return draft.Submit("ann") },
			State{Work: WorkInReview, Live: LiveNone, EditedBy: "ann", EditedAt: now, SubmittedBy: "ann", CreatedBy: "ann", CreatedAt: now}, nil},
		{"submit twice", func() (State, error) { return inReview.Submit("ann") }, State{}, ErrState},
		{"publish by the last editor", func() (State, error) { return inReview.Publish("ann", true) }, State{}, ErrTwoPerson},
		{"publish a draft with the two-person rule", func() (State, error) { return draft.Publish("bob", true) }, State{}, ErrState},
		{"publish a draft without the two-person rule", func() (State, error) { return draft.Publish("ann", false) },
			State{Work: WorkPublished, Live: LiveServing, LiveVersion: 1, LatestVersion: 1, EditedBy: "ann", EditedAt: now, CreatedBy: "ann", CreatedAt: now}, nil},
		{"publish by a second person", func() (State, error) { return inReview.Publish("bob", true) },
			State{Work: WorkPublished, Live: LiveServing, LiveVersion: 1, LatestVersion: 1, EditedBy: "ann", EditedAt: now, CreatedBy: "ann", CreatedAt: now}, nil},
		{"publish with nothing pending", func() (State, error) { return live.Publish("bob", true) }, State{}, ErrState},
		{"edit a live campaign keeps serving", func() (State, error) { return live.Edit("cat", now) },
			State{Work: WorkDraft, Live: LiveServing, LiveVersion: 1, LatestVersion: 1, EditedBy: "cat", EditedAt: now, CreatedBy: "ann", CreatedAt: now}, nil},
		{"reject a review", func() (State, error) { return inReview.Reject() },
			State{Work: WorkDraft, Live: LiveNone, EditedBy: "ann", EditedAt: now, CreatedBy: "ann", CreatedAt: now}, nil},
		{"reject a draft", func() (State, error) { return draft.Reject() }, State{}, ErrState},
		{"pause", func() (State, error) { return live.Pause() },
			State{Work: WorkPublished, Live: LivePaused, LiveVersion: 1, LatestVersion: 1, EditedBy: "ann", EditedAt: now, CreatedBy: "ann", CreatedAt: now}, nil},
		{"pause a draft", func() (State, error) { return draft.Pause() }, State{}, ErrState},
		{"resume", func() (State, error) { return paused.Resume() }, live, nil},
		{"resume a serving campaign", func() (State, error) { return live.Resume() }, State{}, ErrState},
		{"edit an archived campaign", func() (State, error) { return archived.Edit("ann", now) }, State{}, ErrState},
		{"archive twice", func() (State, error) { return archived.Archive() }, State{}, ErrState},
		{"roll back to version 1", func() (State, error) { return live.Rollback(1) },
			State{Work: WorkPublished, Live: LiveServing, LiveVersion: 2, LatestVersion: 2, EditedBy: "ann", EditedAt: now, CreatedBy: "ann", CreatedAt: now}, nil},
		{"roll back a paused campaign stays paused", func() (State, error) { return paused.Rollback(1) },
			State{Work: WorkPublished, Live: LivePaused, LiveVersion: 2, LatestVersion: 2, EditedBy: "ann", EditedAt: now, CreatedBy: "ann", CreatedAt: now}, nil},
		{"roll back discards a pending draft", func() (State, error) { return editedLive.Rollback(1) },
			State{Work: WorkPublished, Live: LiveServing, LiveVersion: 2, LatestVersion: 2, EditedBy: "ann", EditedAt: now, CreatedBy: "ann", CreatedAt: now}, nil},
		{"roll back to a version that does not exist", func() (State, error) { return live.Rollback(2) }, State{}, ErrState},
		{"roll back a never-published campaign", func() (State, error) { return draft.Rollback(1) }, State{}, ErrState},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.do()
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			if got != tt.want {
				t.Errorf("state = %+v\nwant    %+v", got, tt.want)
			}
		})
	}
}

func TestStatus(t *testing.T) {
	tests := []struct {
		s    State
		want string
	}{
		{State{Work: WorkDraft, Live: LiveNone}, "draft"},
		{State{Work: WorkInReview, Live: LiveServing}, "in_review"},
		{State{Work: WorkPublished, Live: LiveServing}, "published"},
		{State{Work: WorkDraft, Live: LivePaused}, "paused"},
		{State{Work: WorkPublished, Live: LiveArchived}, "archived"},
	}
	for _, tt := range tests {
		if got := tt.s.Status(); got != tt.want {
			t.Errorf("%+v.Status() = %q, want %q", tt.s, got, tt.want)
		}
	}
}
