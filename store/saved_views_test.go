package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"reviewq/store"
	"reviewq/store/storetest"
)

func viewNames(t *testing.T, st *store.Store, op *store.Operator) []string {
	t.Helper()
	items, err := st.ListViews(context.Background(), op.ID)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, it := range items {
		out = append(out, it.Name)
	}
	return out
}

// TestSavedViews: an operator saves personal views (the query normalised
// by the queue's parser, bad ones refused), a lead shares one; each sees
// their own and the shared ones, never another's personal view; deleting
// follows ownership (leads delete shared views too).
func TestSavedViews(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ann := storetest.Operator(t, st, "ann@example.com", store.RoleOperator)
		bob := storetest.Operator(t, st, "bob@example.com", store.RoleOperator)
		lead := storetest.Operator(t, st, "lead@example.com", store.RoleLead)
		lead2 := storetest.Operator(t, st, "lead2@example.com", store.RoleLead)

		// The query is stored normalised: order fixed, empties and the
		// default sort dropped, the search trimmed.
		v, err := st.CreateView(ctx, store.ViewInput{Actor: teamActor(ann), Name: "  My pricing  ",
			Query: "?sort=oldest&q=+acme+&campaign=&type=PRICING&assignee=me"})
		if err != nil {
			t.Fatal(err)
		}
		if v.Name != "My pricing" || v.Query != "type=PRICING&assignee=me&q=acme" || v.Shared {
			t.Fatalf("saved %+v", v)
		}
		// Bad queries are refused: unknown or repeated parameters, values
		// the queue refuses, a cursor.
		for _, bad := range []string{"type=NOPE", "state=decided", "assignee=bob", "sort=newest", "cursor=abc",
			"redirect=https://evil.example", "type=PRICING&type=MESSAGE", "q=" + strings.Repeat("x", 101), "%zz"} {
			var ve *store.ValidationError
			if _, err := st.CreateView(ctx, store.ViewInput{Actor: teamActor(ann), Name: "bad " + bad, Query: bad}); !errors.As(err, &ve) {
				t.Errorf("query %q: %v, want a validation error", bad, err)
			}
		}
		// Names: required, bounded, unique per owner (another may reuse it).
		for _, name := range []string{"", "   ", strings.Repeat("n", store.MaxViewNameLen+1), "My pricing", "tab\tname"} {
			var ve *store.ValidationError
			if _, err := st.CreateView(ctx, store.ViewInput{Actor: teamActor(ann), Name: name, Query: "type=MESSAGE"}); !errors.As(err, &ve) {
				t.Errorf("name %q: %v, want a validation error", name, err)
			}
		}
		if _, err := st.CreateView(ctx, store.ViewInput{Actor: teamActor(bob), Name: "My pricing", Query: "type=PRICING"}); err != nil {
			t.Fatalf("another operator reusing a name: %v", err)
		}
		// Only leads share.
		var fe *store.ForbiddenError
		if _, err := st.CreateView(ctx, store.ViewInput{Actor: teamActor(ann), Name: "team", Query: "state=escalated", Shared: true}); !errors.As(err, &fe) {
			t.Fatalf("operator sharing: %v, want ForbiddenError", err)
		}
		shared, err := st.CreateView(ctx, store.ViewInput{Actor: teamActor(lead), Name: "Escalated", Query: "state=escalated", Shared: true, IP: "192.0.2.1"})
		if err != nil {
			t.Fatal(err)
		}
		leadOwn, err := st.CreateView(ctx, store.ViewInput{Actor: teamActor(lead), Name: "Lead only", Query: "sort=score"})
		if err != nil {
			t.Fatal(err)
		}
		if leadOwn.Query != "sort=score" {
			t.Errorf("score sort saved as %q", leadOwn.Query)
		}

		// Visibility: own first, then shared; never another's personal one.
		for _, c := range []struct {
			op   *store.Operator
			want string
		}{{ann, "My pricing,Escalated"}, {bob, "My pricing,Escalated"}, {lead, "Lead only,Escalated"}, {lead2, "Escalated"}} {
			if got := strings.Join(viewNames(t, st, c.op), ","); got != c.want {
				t.Errorf("%s sees %q, want %q", c.op.Email, got, c.want)
			}
		}
		items, _ := st.ListViews(ctx, ann.ID)
		if it := items[1]; it.Mine || it.OwnerName != lead.Name || !it.Shared {
			t.Errorf("shared view as ann sees it: %+v", it)
		}
		if _, err := st.GetView(ctx, ann.ID, leadOwn.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("reading another's personal view: %v", err)
		}
		if got, err := st.GetView(ctx, ann.ID, shared.ID); err != nil || got.Query != "state=escalated" {
			t.Errorf("reading a shared view: %v %v", got, err)
		}

		// Deleting: not another's personal view (not found), not a shared
		// one as an operator; a lead deletes a shared view of another lead.
		if err := st.DeleteView(ctx, teamActor(ann), "", leadOwn.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("operator deleting a lead's personal view: %v", err)
		}
		if err := st.DeleteView(ctx, teamActor(lead2), "", v.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("lead deleting an operator's personal view: %v", err)
		}
		if err := st.DeleteView(ctx, teamActor(ann), "", shared.ID); !errors.As(err, &fe) {
			t.Errorf("operator deleting a shared view: %v, want ForbiddenError", err)
		}
		if err := st.DeleteView(ctx, teamActor(ann), "", v.ID); err != nil {
			t.Errorf("deleting one's own view: %v", err)
		}
		if err := st.DeleteView(ctx, teamActor(lead2), "192.0.2.2", shared.ID); err != nil {
			t.Errorf("lead deleting a shared view: %v", err)
		}
		if got := strings.Join(viewNames(t, st, ann), ","); got != "" {
			t.Errorf("after deleting, ann sees %q", got)
		}
		// Sharing and deleting a shared view are audited.
		entries, _, err := st.ListAudit(ctx, store.AuditFilter{Action: "view.*"})
		if err != nil {
			t.Fatal(err)
		}
		var acts []string
		for _, e := range entries {
			acts = append(acts, e.Action+" by "+e.ActorName)
		}
		if got := strings.Join(acts, ";"); !strings.Contains(got, "view.share by "+lead.Name) || !strings.Contains(got, "view.delete by "+lead2.Name) {
			t.Errorf("audit: %q", got)
		}
	})
}

// TestSavedViewsLimit: an operator keeps at most MaxViewsPerOperator views.
func TestSavedViewsLimit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ann := storetest.Operator(t, st, "ann@example.com", store.RoleOperator)
		for i := range store.MaxViewsPerOperator {
			if _, err := st.CreateView(ctx, store.ViewInput{Actor: teamActor(ann), Name: fmt.Sprintf("view %d", i), Query: "type=MESSAGE"}); err != nil {
				t.Fatalf("view %d: %v", i, err)
			}
		}
		var ve *store.ValidationError
		if _, err := st.CreateView(ctx, store.ViewInput{Actor: teamActor(ann), Name: "one too many", Query: ""}); !errors.As(err, &ve) {
			t.Fatalf("view over the limit: %v, want a validation error", err)
		}
		if n := len(viewNames(t, st, ann)); n != store.MaxViewsPerOperator {
			t.Errorf("%d views kept, want %d", n, store.MaxViewsPerOperator)
		}
	})
}

// TestOperatorTimeZone: an operator's zone is an IANA name that loads (or
// "" for the default), read back with the session; the settings' default
// is checked the same way.
func TestOperatorTimeZone(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ann := storetest.Operator(t, st, "ann@example.com", store.RoleOperator)
		for _, bad := range []string{"Mars/Olympus", "Local", "../etc/passwd", "America/New York"} {
			var ve *store.ValidationError
			if err := st.SetTimeZone(ctx, ann.ID, bad); !errors.As(err, &ve) {
				t.Errorf("zone %q: %v, want a validation error", bad, err)
			}
		}
		if err := st.SetTimeZone(ctx, ann.ID, "America/New_York"); err != nil {
			t.Fatal(err)
		}
		op, err := st.GetOperator(ctx, ann.ID)
		if err != nil || op.TimeZone != "America/New_York" {
			t.Fatalf("zone read back: %v %v", op, err)
		}
		token, err := st.CreateSession(ctx, op, "127.0.0.1", "test")
		if err != nil {
			t.Fatal(err)
		}
		info, err := st.LookupSession(ctx, token)
		if err != nil || info.Operator.TimeZone != "America/New_York" {
			t.Fatalf("zone with the session: %+v %v", info, err)
		}
		if err := st.SetTimeZone(ctx, ann.ID, ""); err != nil {
			t.Fatal(err)
		}
		// An admin sets it too, audited.
		admin := storetest.Operator(t, st, "admin@example.com", store.RoleAdmin)
		if _, err := st.SetOperatorTimeZone(ctx, teamActor(admin), "192.0.2.9", ann.ID, "Nowhere"); err == nil {
			t.Error("an admin set an unknown zone")
		}
		if got, err := st.SetOperatorTimeZone(ctx, teamActor(admin), "192.0.2.9", ann.ID, "Europe/Berlin"); err != nil || got.TimeZone != "Europe/Berlin" {
			t.Fatalf("admin setting the zone: %+v %v", got, err)
		}
		if op, _ := st.GetOperator(ctx, ann.ID); op.TimeZone != "Europe/Berlin" {
			t.Errorf("zone after the admin set it: %q", op.TimeZone)
		}
		entries, _, err := st.ListAudit(ctx, store.AuditFilter{Action: "operator.set_time_zone"})
		if err != nil || len(entries) != 1 || entries[0].NewValue == nil || *entries[0].NewValue != "time_zone=Europe/Berlin" || entries[0].Target != ann.Email {
			t.Errorf("audit of the zone change: %+v %v", entries, err)
		}
		var ve *store.ValidationError
		if _, err := st.SetSetting(ctx, store.Actor{Type: store.ActorSystem, Name: "test"}, "", store.KeyTimeZone, "Nowhere/Else"); !errors.As(err, &ve) {
			t.Errorf("setting a bad default zone: %v", err)
		}
	})
}

// TestTimeZonesLoad: every zone the account page offers loads, and times
// show with the zone's abbreviation, summer and winter.
func TestTimeZonesLoad(t *testing.T) {
	for _, name := range store.TimeZones {
		if _, err := store.LoadTimeZone(name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	ny, _ := store.LoadTimeZone("America/New_York")
	winter := time.Date(2026, 1, 15, 14, 2, 0, 0, time.UTC)
	summer := time.Date(2026, 7, 15, 14, 2, 0, 0, time.UTC)
	for _, c := range []struct{ got, want string }{
		{store.DisplayTimeIn(winter, ny), "2026-01-15 09:02 EST"},
		{store.DisplayTimeIn(summer, ny), "2026-07-15 10:02 EDT"},
		{store.DisplayClockIn(summer, ny), "10:02 EDT"},
		{store.DisplayTime(winter), "2026-01-15 14:02 UTC"},
		{store.DisplayTimeIn(winter, nil), "2026-01-15 14:02 UTC"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
