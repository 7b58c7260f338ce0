package store_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"reviewq/store"
	"reviewq/store/storetest"
)

// TestOutcomeTableIsConsistent checks what the pages and the database rely
// on: names, statuses, events and keys are unique, a key is free (the
// queue's other shortcuts), and a reason-codes setting exists.
func TestOutcomeTableIsConsistent(t *testing.T) {
	reserved := []string{"j", "k", "o", "c", "x", "/", "?"}
	seen := map[string]bool{}
	for _, o := range store.DecisionOutcomes {
		for _, v := range []string{"name " + o.Name, "status " + o.Status, "event " + o.Event, "key " + o.Key} {
			if seen[v] || strings.HasSuffix(v, " ") {
				t.Errorf("outcome %q: %s is empty or taken", o.Name, v)
			}
			seen[v] = true
		}
		if len(o.Key) != 1 || o.Key < "a" || o.Key > "z" || slices.Contains(reserved, o.Key) {
			t.Errorf("outcome %q: key %q is not a free letter", o.Name, o.Key)
		}
		if o.Status == store.StatusPending || o.Status == store.StatusCleared || o.Status == store.StatFlagged {
			t.Errorf("outcome %q: status %q is not a decision's", o.Name, o.Status)
		}
		if o.Verb == "" || o.Done == "" || o.Plural == "" || o.Consequence == "" {
			t.Errorf("outcome %q: a label is missing", o.Name)
		}
		if o.TakesReasons() && !slices.ContainsFunc(store.SettingDefs, func(d store.SettingDef) bool { return d.Key == o.ReasonsKey }) {
			t.Errorf("outcome %q: reason-codes setting %q does not exist", o.Name, o.ReasonsKey)
		}
		if got, ok := store.OutcomeOfStatus(o.Status); !ok || got.Name != o.Name {
			t.Errorf("outcome %q: not found by its status", o.Name)
		}
	}
}

// TestDecideKeepsOnlyAChangedMessage: a message equal to the lead's is not
// an edit (whoever sends it, page or API); a changed one is, and becomes the
// lead's. Decide names the lead.
func TestDecideKeepsOnlyAChangedMessage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		subject, body := "Hello", "The suggested body"
		approve := func(ext string, sub, bod string) (*store.Decision, []store.ReviewEvent, *store.Lead) {
			t.Helper()
			r := storetest.FlaggedLead(t, st, ext, store.TypeMessage)
			if _, _, err := st.UpsertLead(ctx, store.LeadInput{ExternalID: ext, MessageSubject: &subject, MessageBody: &body}); err != nil {
				t.Fatal(err)
			}
			d, err := st.Decide(ctx, store.DecideInput{ReviewID: r.ID, Outcome: store.OutcomeApprove, Subject: &sub, Body: &bod, Actor: store.SystemActor})
			if err != nil {
				t.Fatal(err)
			}
			got, events, err := st.GetReview(ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			return d, events, &got.Lead
		}
		d, events, lead := approve("same", subject, body)
		if d.LeadName != "Lead same" {
			t.Errorf("Decide names the lead %q", d.LeadName)
		}
		last := events[len(events)-1]
		if d.DecisionSubject != nil || d.DecisionBody != nil || last.Detail == nil || strings.Contains(*last.Detail, "edited_") {
			t.Errorf("an unchanged message counted as edited: %+v, history %s", d.Review, *last.Detail)
		}
		if lead.MessageSubject != subject || deref(lead.MessageBody) != body {
			t.Errorf("the lead's message changed: %q / %q", lead.MessageSubject, deref(lead.MessageBody))
		}
		d, events, lead = approve("changed", subject, "A better body")
		last = events[len(events)-1]
		if d.DecisionBody == nil || *d.DecisionBody != "A better body" || !strings.Contains(*last.Detail, `"edited_body":"A better body"`) {
			t.Errorf("a changed message was not kept as edited: %+v, history %s", d.Review, *last.Detail)
		}
		if deref(lead.MessageBody) != "A better body" || lead.MessageSubject != subject {
			t.Errorf("the lead's message is %q / %q", lead.MessageSubject, deref(lead.MessageBody))
		}
	})
}
