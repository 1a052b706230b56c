// Package webhook sends signed POSTs to editors' tools and platforms'
// moderation queues when something they care about changes: a campaign or
// rule set published or paused, a rule auto-paused by the flood guard.
//
// Deliveries are durable: the instance where an action happens stores one
// pending delivery per matching subscription, and every instance runs a
// Dispatcher that claims due deliveries with a lease, so each is sent by
// one instance at a time and a restart loses nothing. A failed attempt is
// retried with backoff over about half an hour, then given up. Receivers
// check Signpost-Signature with Verify and dedupe on Signpost-Delivery.
// See docs/webhooks.md.
package webhook

import (
	"crypto/rand"
	"encoding/hex"
	"slices"
	"time"
)

// Event types. The set is small on purpose; subscribers list the ones
// they want and ping is always sent by POST /v1/webhooks/{id}/test.
const (
	CampaignPublished  = "campaign.published"
	CampaignPaused     = "campaign.paused"
	CampaignResumed    = "campaign.resumed"
	CampaignArchived   = "campaign.archived"
	RulesPublished     = "rules.published"
	RulesPaused        = "rules.paused"
	RulesResumed       = "rules.resumed"
	RulesArchived      = "rules.archived"
	RuleAutoPaused     = "rule.auto_paused"
	RulePauseConfirmed = "rule.pause_confirmed"
	RuleResumed        = "rule.resumed"
	Ping               = "ping"
)

// Types lists every event type a subscription may name, in the order the
// docs present them.
var Types = []string{CampaignPublished, CampaignPaused, CampaignResumed, CampaignArchived,
	RulesPublished, RulesPaused, RulesResumed, RulesArchived,
	RuleAutoPaused, RulePauseConfirmed, RuleResumed, Ping}

// ValidType reports whether t is one of Types.
func ValidType(t string) bool { return slices.Contains(Types, t) }

// Event is a webhook's JSON body. ID is also sent as Signpost-Delivery:
// it stays the same over every retry, so receivers dedupe on it.
type Event struct {
	ID      string    `json:"id"`
	Type    string    `json:"type"`
	Created time.Time `json:"created"`
	Data    Data      `json:"data"`
}

// Data is what an event is about: ids, versions, the actor's name and,
// for rules the flood guard paused, the rates that tripped it. It never
// holds text a user searched or posted, nor a secret.
type Data struct {
	// Campaign is set on campaign.* events.
	Campaign string `json:"campaign,omitempty"`
	// RuleSet is set on rules.* and rule.* events (a language, "en").
	RuleSet string `json:"rule_set,omitempty"`
	// Rule is set on rule.* events ("en.crossing.boat_uk").
	Rule string `json:"rule,omitempty"`
	// Action is the audit log's action ("publish", "rollback", ...).
	Action string `json:"action,omitempty"`
	// Version is the version served after the change (0: none);
	// PreviousVersion the one served before.
	Version         int64 `json:"version,omitempty"`
	PreviousVersion int64 `json:"previous_version,omitempty"`
	// Revision is the campaign's or rule set's revision after the change.
	Revision int64 `json:"revision,omitempty"`
	// Actor is the name of the token or person who acted ("flood guard"
	// for automatic pauses): a name, never a secret.
	Actor string `json:"actor,omitempty"`
	// RatePerMinute, BaselinePerMinute and Count describe the spike that
	// auto-paused a rule.
	RatePerMinute     float64   `json:"rate_per_minute,omitempty"`
	BaselinePerMinute float64   `json:"baseline_per_minute,omitempty"`
	Count             int64     `json:"count,omitempty"`
	PausedAt          time.Time `json:"paused_at,omitzero"`
	// Webhook is the subscription a ping was sent to.
	Webhook string `json:"webhook,omitempty"`
}

// newID returns a random id with prefix ("evt_", "wh_").
func newID(prefix string) string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}
