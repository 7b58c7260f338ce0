package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"reviewq/store"
	"reviewq/store/storetest"
)

// flagLead makes a lead with the given fields and flags it.
func flagLead(t *testing.T, st *store.Store, ext, name, company, campaign string, score int, typ, source string) *store.Review {
	t.Helper()
	ctx := context.Background()
	email := ext + "@example.com"
	lead, _, err := st.UpsertLead(ctx, store.LeadInput{ExternalID: ext, Name: &name, Company: &company, Email: &email, Campaign: &campaign, Score: &score})
	if err != nil {
		t.Fatal(err)
	}
	res, err := st.Flag(ctx, lead.ID, store.FlagInput{ReviewType: typ, Reason: "r", Source: source}, store.SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	return res.Review
}

func ids(items []store.QueueItem) []int64 {
	out := make([]int64, len(items))
	for i, it := range items {
		out[i] = it.ID
	}
	return out
}

func TestQueueSearchAndFilters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		a := flagLead(t, st, "s1", "Ada Lovelace", "Acme Corp", "spring", 40, store.TypeMessage, store.SourceQuality)
		b := flagLead(t, st, "s2", "acme Bob", "Zeta 100% Ltd", "spring", 95, store.TypeProposal, store.SourceScore)
		c := flagLead(t, st, "s3", "Cy", "zeta_co", "autumn", 70, store.TypeMessage, store.SourceAPI)
		// Make a 30 hours old (critical) and b 15 hours old (warning).
		st.DB.Model(&store.Review{}).Where("id = ?", a.ID).Update("flagged_at", store.Now().Add(-30*time.Hour))
		st.DB.Model(&store.Review{}).Where("id = ?", b.ID).Update("flagged_at", store.Now().Add(-15*time.Hour))

		for _, tc := range []struct {
			name string
			f    store.QueueFilter
			want []int64
		}{
			{"all, oldest first", store.QueueFilter{}, []int64{a.ID, b.ID, c.ID}},
			{"highest score first", store.QueueFilter{Sort: store.SortScore}, []int64{b.ID, c.ID, a.ID}},
			{"company prefix, any case", store.QueueFilter{Search: "acme"}, []int64{a.ID, b.ID}},
			{"name prefix", store.QueueFilter{Search: "ada l"}, []int64{a.ID}},
			{"email prefix", store.QueueFilter{Search: "S3@"}, []int64{c.ID}},
			{"% is literal", store.QueueFilter{Search: "Zeta 100%"}, []int64{b.ID}},
			{"_ is literal", store.QueueFilter{Search: "zeta_"}, []int64{c.ID}},
			{"_ matches no other char", store.QueueFilter{Search: "zeta_c"}, []int64{c.ID}},
			{"middle of a word does not match", store.QueueFilter{Search: "corp"}, nil},
			{"campaign", store.QueueFilter{Campaign: "spring"}, []int64{a.ID, b.ID}},
			{"source", store.QueueFilter{Source: store.SourceScore}, []int64{b.ID}},
			{"type and search", store.QueueFilter{ReviewType: store.TypeMessage, Search: "z"}, []int64{c.ID}},
			{"fresh", store.QueueFilter{AgeBand: store.AgeFresh}, []int64{c.ID}},
			{"warning", store.QueueFilter{AgeBand: store.AgeWarning}, []int64{b.ID}},
			{"critical", store.QueueFilter{AgeBand: store.AgeCritical}, []int64{a.ID}},
		} {
			items, _, err := st.ListPending(ctx, tc.f)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if fmt.Sprint(ids(items)) != fmt.Sprint(tc.want) && !(len(items) == 0 && len(tc.want) == 0) {
				t.Errorf("%s: got %v, want %v", tc.name, ids(items), tc.want)
			}
		}
		counts, err := st.CountPendingMatching(ctx, store.QueueFilter{ReviewType: store.TypeProposal, Campaign: "spring"})
		if err != nil || counts.Total != 2 || counts.ByType[store.TypeMessage] != 1 || counts.ByType[store.TypeProposal] != 1 {
			t.Fatalf("counts %+v %v", counts, err)
		}
		// Claimed by someone else: left out of the "next" flow of Ann, not of Bob.
		if _, err := st.Claim(ctx, a.ID, opActor(102, "Bob")); err != nil {
			t.Fatal(err)
		}
		ann, _, _ := st.ListPending(ctx, store.QueueFilter{SkipClaimedFor: 101})
		bob, _, _ := st.ListPending(ctx, store.QueueFilter{SkipClaimedFor: 102})
		if fmt.Sprint(ids(ann)) != fmt.Sprint([]int64{b.ID, c.ID}) || len(bob) != 3 {
			t.Fatalf("skip claimed: ann %v bob %v", ids(ann), ids(bob))
		}
		for _, bad := range []store.QueueFilter{{Sort: "newest"}, {AgeBand: "ancient"}, {Search: string(make([]byte, 101))},
			{Sort: store.SortScore, After: &store.Cursor{ID: 1}}} {
			if _, _, err := st.ListPending(ctx, bad); err == nil {
				t.Errorf("filter %+v accepted", bad)
			}
		}
	})
}

// TestQueuePagesWhileOthersDecide walks the queue page by page in both
// sorts while other operators decide rows on pages already seen and not yet
// seen: no row comes twice, and no row still pending is skipped.
func TestQueuePagesWhileOthersDecide(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		var all []int64
		for i := 0; i < 40; i++ {
			typ := store.ReviewTypes[i%2]
			r := flagLead(t, st, fmt.Sprintf("p%02d", i), fmt.Sprintf("Pat %02d", i), "Pagers Inc", "c", (i*37)%5*20, typ, store.SourceAPI)
			all = append(all, r.ID)
		}
		// Equal flag times for some rows, so ties are broken by id.
		st.DB.Model(&store.Review{}).Where("id IN ?", all[10:20]).Update("flagged_at", store.Now().Add(-time.Hour))
		for _, sort := range []string{store.SortOldest, store.SortScore} {
			t.Run(sort, func(t *testing.T) {
				decided := map[int64]bool{}
				var other store.Actor
				seen := map[int64]bool{}
				var cur *store.Cursor
				for page := 0; ; page++ {
					items, next, err := st.ListPending(ctx, store.QueueFilter{Sort: sort, Search: "pat", Limit: 7, After: cur})
					if err != nil {
						t.Fatal(err)
					}
					for _, it := range items {
						if seen[it.ID] {
							t.Fatalf("review %d on two pages", it.ID)
						}
						if decided[it.ID] {
							t.Fatalf("decided review %d listed", it.ID)
						}
						seen[it.ID] = true
					}
					// Between pages, someone decides one row already seen and
					// one not yet seen.
					other = opActor(int64(500+page), "Other")
					for _, id := range all {
						if !decided[id] && seen[id] {
							decideOrFail(t, st, id, other)
							decided[id] = true
							break
						}
					}
					for i := len(all) - 1; i >= 0; i-- {
						if id := all[i]; !decided[id] && !seen[id] {
							decideOrFail(t, st, id, other)
							decided[id] = true
							break
						}
					}
					if next == nil {
						break
					}
					cur = next
				}
				// Every review is either seen or was decided before its page came.
				for _, id := range all {
					if !seen[id] && !decided[id] {
						t.Fatalf("pending review %d never listed", id)
					}
				}
				// Put them back for the other sort.
				for id := range decided {
					if _, err := st.Reopen(ctx, id, opActor(1, "Lead"), ""); err != nil {
						t.Fatal(err)
					}
				}
			})
		}
	})
}

func decideOrFail(t *testing.T, st *store.Store, id int64, actor store.Actor) {
	t.Helper()
	if _, err := st.Decide(context.Background(), store.DecideInput{ReviewID: id, Outcome: store.OutcomeSkip, ReasonCode: "not_now", Actor: actor}); err != nil {
		t.Fatal(err)
	}
}

func TestListDecidedLatestFirstByKeyset(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		var want []int64
		for i := 0; i < 7; i++ {
			r := flagLead(t, st, fmt.Sprintf("d%d", i), "D", "D", "c", 10, store.TypeAction, store.SourceAPI)
			decideOrFail(t, st, r.ID, opActor(9, "Dee"))
			want = append([]int64{r.ID}, want...)
		}
		flagLead(t, st, "pending", "P", "P", "c", 10, store.TypeAction, store.SourceAPI)
		var got []int64
		var cur *store.Cursor
		for {
			items, next, err := st.ListDecided(ctx, cur, 3)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, ids(items)...)
			if next == nil {
				break
			}
			parsed, err := store.ParseCursor(next.Encode())
			if err != nil || !parsed.ByDecided {
				t.Fatalf("cursor round trip: %+v %v", parsed, err)
			}
			cur = parsed
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("decided list %v, want %v", got, want)
		}
		if _, _, err := st.ListPending(ctx, store.QueueFilter{After: cur}); err == nil && cur != nil {
			t.Fatal("a decided-list cursor was accepted by the queue")
		}
	})
}
