package app

import (
	"context"

	"signpost/catalog"
	"signpost/editing"
	"signpost/messages"
	"signpost/store"
	"signpost/track"
)

// reporter builds the stats API's reports from the store, taking the
// experiment's variants and weights from the live campaign (or, for one
// not serving now, from its working copy).
type reporter struct {
	store  store.Store
	holder *catalog.Holder
	svc    *editing.Service
}

func (r *reporter) Report(ctx context.Context, q track.ReportQuery) (*track.Report, error) {
	var def *messages.Definition
	if cat := r.holder.Load(); cat != nil {
		if camp, ok := cat.Campaign(q.Campaign); ok {
			def = camp.Def
		}
	}
	if def == nil {
		var err error
		if def, _, err = r.svc.Definition(ctx, q.Campaign, 0); err != nil {
			return nil, err
		}
	}
	for _, v := range def.Experiment.Variants {
		q.Variants = append(q.Variants, v.Key)
		q.Weights = append(q.Weights, v.Weight)
	}
	return track.BuildReport(ctx, r.store, q)
}
