package app

import (
	"context"
	"fmt"
	"sync"

	"signpost/catalog"
	"signpost/editing"
	"signpost/messages"
)

// maxCachedVersions bounds the older campaign versions kept compiled for
// card links: tokens live a week, so a few versions per campaign at most.
const maxCachedVersions = 256

// versionSource finds the campaign version a card token names, for /r and
// /card. The live catalog answers for live versions; an older version
// (the campaign was published again since the card was shown) is read
// from the store once and kept compiled: versions never change.
type versionSource struct {
	holder *catalog.Holder
	svc    *editing.Service

	mu    sync.Mutex
	cache map[versionKey]*messages.Campaign
}

func (v *versionSource) CampaignVersion(ctx context.Context, id string, version int64) (*messages.Campaign, bool, error) {
	cat := v.holder.Load()
	if cat == nil {
		return nil, false, nil
	}
	live, ok := cat.Campaign(id)
	if !ok {
		return nil, false, nil // paused, archived or unknown: links stop
	}
	if live.Version == version {
		return live, true, nil
	}
	k := versionKey{id, version}
	v.mu.Lock()
	camp := v.cache[k]
	v.mu.Unlock()
	if camp != nil {
		return camp, true, nil
	}
	def, files, err := v.svc.Definition(ctx, id, version)
	if err != nil {
		return nil, true, fmt.Errorf("campaign %q version %d: %w", id, version, err)
	}
	if camp, err = messages.Compile(def, version, files); err != nil {
		return nil, true, fmt.Errorf("campaign %q version %d: %w", id, version, err)
	}
	v.mu.Lock()
	if len(v.cache) >= maxCachedVersions {
		clear(v.cache) // rare; a refill costs one store read per version
	}
	v.cache[k] = camp
	v.mu.Unlock()
	return camp, true, nil
}
