// Package catalog is what the hot path reads: the compiled matcher and the
// published campaigns, immutable once built and swapped in whole behind an
// atomic pointer, so that answering an event never waits on the store or
// on a lock.
package catalog

import (
	"cmp"
	"fmt"
	"slices"
	"sync/atomic"

	"signpost/match"
	"signpost/messages"
)

// Catalog is one immutable generation of matcher and campaigns.
type Catalog struct {
	Matcher *match.Matcher
	// Campaigns in the order they are tried: highest priority first, then id.
	Campaigns []*messages.Campaign
	byID      map[string]*messages.Campaign
	// paused are rule ids left out of every decision (see WithPaused).
	paused map[string]bool
}

// New returns a catalog of m and campaigns.
func New(m *match.Matcher, campaigns []*messages.Campaign) (*Catalog, error) {
	if m == nil {
		return nil, fmt.Errorf("catalog: no matcher")
	}
	c := &Catalog{Matcher: m, Campaigns: slices.Clone(campaigns), byID: map[string]*messages.Campaign{}}
	slices.SortFunc(c.Campaigns, func(a, b *messages.Campaign) int {
		if p := cmp.Compare(b.Def.Priority, a.Def.Priority); p != 0 {
			return p
		}
		return cmp.Compare(a.Def.ID, b.Def.ID)
	})
	for _, camp := range c.Campaigns {
		if _, dup := c.byID[camp.Def.ID]; dup {
			return nil, fmt.Errorf("catalog: campaign %q twice", camp.Def.ID)
		}
		c.byID[camp.Def.ID] = camp
	}
	return c, nil
}

// Campaign returns a campaign by id.
func (c *Catalog) Campaign(id string) (*messages.Campaign, bool) {
	camp, ok := c.byID[id]
	return camp, ok
}

// Holder holds the current catalog.
type Holder struct {
	p atomic.Pointer[Catalog]
}

// Load returns the current catalog, or nil before the first Store.
func (h *Holder) Load() *Catalog { return h.p.Load() }

// Store swaps in a new catalog.
func (h *Holder) Store(c *Catalog) { h.p.Store(c) }
