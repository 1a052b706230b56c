// Package editing is the campaign editing workflow: a campaign's working
// copy moves from draft through review to publication, published
// versions are immutable, and every change is checked against the
// two-person rule and recorded in the audit log.
//
// The state machine (this file) is pure; Service applies it to a store.
package editing

import (
	"errors"
	"fmt"
	"time"
)

// Workflow states of a campaign's working copy.
const (
	// WorkDraft: being edited; not yet submitted.
	WorkDraft = "draft"
	// WorkInReview: submitted; waiting for someone to publish or reject it.
	WorkInReview = "in_review"
	// WorkPublished: the working copy is the live version; nothing pending.
	WorkPublished = "published"
)

// Serving states: what the hot path does with the live version.
const (
	LiveNone     = "none"     // never published
	LiveServing  = "serving"  // the live version answers events
	LivePaused   = "paused"   // pulled off every platform; can resume
	LiveArchived = "archived" // retired for good: read-only
)

// Actions, as they appear in the audit log.
const (
	ActCreate        = "create"
	ActEditDef       = "edit_definition"
	ActPutContent    = "put_content"
	ActDeleteContent = "delete_content"
	ActSubmit        = "submit"
	ActReject        = "reject"
	ActPublish       = "publish"
	ActPause         = "pause"
	ActResume        = "resume"
	ActArchive       = "archive"
	ActRollback      = "rollback"
	ActImport        = "import"
)

// State is a campaign's workflow state, stored as JSON beside its draft.
type State struct {
	Work string `json:"work"`
	Live string `json:"live"`
	// LiveVersion is the version served while Live is serving (kept while
	// paused or archived, so resuming serves it again).
	LiveVersion int64 `json:"live_version"`
	// LatestVersion is the highest version number published so far.
	LatestVersion int64 `json:"latest_version"`
	// EditedBy is the actor who last changed the working copy: the one
	// person the two-person rule keeps from publishing it.
	EditedBy string    `json:"edited_by"`
	EditedAt time.Time `json:"edited_at"`
	// SubmittedBy is who sent the working copy to review.
	SubmittedBy string    `json:"submitted_by,omitempty"`
	CreatedBy   string    `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
}

// Status is the single word editors see: archived or paused when the
// campaign is off, else where its working copy stands.
func (s *State) Status() string {
	switch s.Live {
	case LiveArchived:
		return "archived"
	case LivePaused:
		return "paused"
	}
	return s.Work
}

// Serving reports whether the hot path should answer with LiveVersion.
func (s *State) Serving() bool { return s.Live == LiveServing && s.LiveVersion > 0 }

// ErrState is returned for an action the campaign's state does not allow.
var ErrState = errors.New("not allowed in this state")

// ErrTwoPerson is returned when the actor publishing a working copy is
// the one who last edited it.
var ErrTwoPerson = errors.New("two-person rule")

func stateErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrState, fmt.Sprintf(format, args...))
}

// NewState is the state of a campaign actor creates at now.
func NewState(actor string, now time.Time) State {
	return State{Work: WorkDraft, Live: LiveNone, EditedBy: actor, EditedAt: now, CreatedBy: actor, CreatedAt: now}
}

// Edit records a change to the working copy. Any edit sends it back to
// draft: a review approves exactly what was submitted.
func (s State) Edit(actor string, now time.Time) (State, error) {
	if s.Live == LiveArchived {
		return s, stateErr("it is archived and can no longer be edited")
	}
	s.Work, s.EditedBy, s.EditedAt, s.SubmittedBy = WorkDraft, actor, now, ""
	return s, nil
}

// Submit sends the working copy to review.
func (s State) Submit(actor string) (State, error) {
	switch {
	case s.Live == LiveArchived:
		return s, stateErr("it is archived")
	case s.Work == WorkInReview:
		return s, stateErr("it is already in review")
	case s.Work == WorkPublished:
		return s, stateErr("nothing to review: the working copy is the live version")
	}
	s.Work, s.SubmittedBy = WorkInReview, actor
	return s, nil
}

// Reject sends a working copy in review back to draft.
func (s State) Reject() (State, error) {
	if s.Work != WorkInReview {
		return s, stateErr("only a working copy in review can be rejected")
	}
	s.Work, s.SubmittedBy = WorkDraft, ""
	return s, nil
}

// Publish makes the working copy version LatestVersion+1 and serves it.
// With twoPerson set, the working copy must be in review and actor must
// not be its last editor; without it (single-editor deployments), a draft
// may be published directly. A paused campaign stays paused: publishing
// is not a way around the kill switch.
func (s State) Publish(actor string, twoPerson bool) (State, error) {
	switch {
	case s.Live == LiveArchived:
		return s, stateErr("it is archived")
	case s.Work == WorkPublished:
		return s, stateErr("nothing to publish: the working copy is already the live version")
	case twoPerson && s.Work != WorkInReview:
		return s, stateErr("submit it for review first")
	case twoPerson && actor == s.EditedBy:
		return s, fmt.Errorf("%w: you made the last change, so another editor must publish it", ErrTwoPerson)
	}
	s.LatestVersion++
	s.LiveVersion = s.LatestVersion
	s.Work, s.SubmittedBy = WorkPublished, ""
	if s.Live != LivePaused {
		s.Live = LiveServing
	}
	return s, nil
}

// Pause pulls the live version off every platform.
func (s State) Pause() (State, error) {
	if s.Live != LiveServing {
		return s, stateErr("only what is serving can be paused (this is %s)", s.Status())
	}
	s.Live = LivePaused
	return s, nil
}

// Resume serves the live version again after a pause.
func (s State) Resume() (State, error) {
	if s.Live != LivePaused {
		return s, stateErr("only what is paused can be resumed")
	}
	s.Live = LiveServing
	return s, nil
}

// Archive retires the campaign: it stops serving and becomes read-only.
func (s State) Archive() (State, error) {
	if s.Live == LiveArchived {
		return s, stateErr("it is already archived")
	}
	s.Live = LiveArchived
	return s, nil
}

// Rollback republishes version v's content as a new version, which
// becomes live and the working copy. It needs no second person: v was
// reviewed when it was published. Like Publish, it leaves a pause alone.
func (s State) Rollback(v int64) (State, error) {
	switch {
	case s.Live == LiveArchived:
		return s, stateErr("it is archived")
	case v < 1 || v > s.LatestVersion:
		return s, stateErr("version %d does not exist (the latest is %d)", v, s.LatestVersion)
	}
	s.LatestVersion++
	s.LiveVersion = s.LatestVersion
	s.Work, s.SubmittedBy = WorkPublished, ""
	if s.Live != LivePaused {
		s.Live = LiveServing
	}
	return s, nil
}
