package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"signpost/store"
)

// campaign returns campaign id with a definition naming rev and one message
// file per locale, each distinct so a mixed-up locale shows in a diff.
func campaign(id, rev string, locales ...string) store.Campaign {
	c := store.Campaign{
		ID:         id,
		Definition: fmt.Appendf(nil, `{"id":%q,"rev":%q}`, id, rev),
		Content:    map[string]store.LocaleContent{},
	}
	for _, l := range locales {
		c.Content[l] = store.LocaleContent{Format: "toml", Data: fmt.Appendf(nil, "title = %q\n", id+"/"+rev+"/"+l)}
	}
	return c
}

// withVersion returns c as a store should return it after save number v.
func withVersion(c store.Campaign, v int64) store.Campaign {
	c.Version = v
	return c
}

func runCampaigns(t *testing.T, open Opener) {
	t.Run("SaveReplacesAndVersions", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		saves := []store.Campaign{
			campaign("spring", "r1", "ar", "ckb", "en"),
			// The second save drops ar and ckb: they must be gone, not merged.
			campaign("spring", "r2", "en", "fa"),
			// An empty save leaves an empty campaign, not the previous one.
			{ID: "spring"},
		}
		for i, c := range saves {
			want := int64(i + 1)
			v, err := s.SaveCampaign(ctx, c)
			if err != nil {
				t.Fatalf("SaveCampaign #%d: %v", want, err)
			}
			if v != want {
				t.Errorf("SaveCampaign #%d returned version %d, want %d", want, v, want)
			}
			got, err := s.Campaign(ctx, "spring")
			if err != nil {
				t.Fatalf("Campaign after save #%d: %v", want, err)
			}
			diff(t, fmt.Sprintf("Campaign after save #%d", want), withVersion(c, want), got)
		}
	})
	t.Run("NotFound", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		if _, err := s.SaveCampaign(ctx, campaign("spring", "r1", "en")); err != nil {
			t.Fatalf("SaveCampaign: %v", err)
		}
		_, err := s.Campaign(ctx, "summer")
		wantNotFound(t, "Campaign(unknown)", err)
	})
	t.Run("List", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		if got, err := s.ListCampaigns(ctx); err != nil || len(got) != 0 {
			t.Fatalf("ListCampaigns on empty store = %v, %v; want none", got, err)
		}
		// Saved out of order, b twice: versions are per campaign.
		saves := []store.Campaign{
			campaign("c", "r1", "en"),
			campaign("a", "r1", "ar", "en"),
			campaign("b", "r1", "prs"),
			campaign("b", "r2", "uk"),
		}
		for _, c := range saves {
			if _, err := s.SaveCampaign(ctx, c); err != nil {
				t.Fatalf("SaveCampaign(%q): %v", c.ID, err)
			}
		}
		want := []store.Campaign{withVersion(saves[1], 1), withVersion(saves[3], 2), withVersion(saves[0], 1)}
		got, err := s.ListCampaigns(ctx)
		if err != nil {
			t.Fatalf("ListCampaigns: %v", err)
		}
		diff(t, "ListCampaigns", want, got)
	})
	t.Run("ConcurrentSaves", func(t *testing.T) {
		// Every save must get its own version: no lost increments.
		s, ctx := open(t), t.Context()
		const n = 8
		versions := make([]int64, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				v, err := s.SaveCampaign(ctx, campaign("spring", fmt.Sprint(i), "en"))
				if err != nil {
					t.Errorf("SaveCampaign #%d: %v", i, err)
				}
				versions[i] = v
			})
		}
		wg.Wait()
		slices.Sort(versions)
		diff(t, "versions", []int64{1, 2, 3, 4, 5, 6, 7, 8}, versions)
		got, err := s.Campaign(ctx, "spring")
		if err != nil {
			t.Fatalf("Campaign: %v", err)
		}
		if got.Version != n {
			t.Errorf("final version = %d, want %d", got.Version, n)
		}
	})
}
