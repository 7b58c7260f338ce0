package store_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"reviewq/store"
	"reviewq/store/storetest"
)

// scribble changes every value reachable from v that a caller could
// change: fields, slice elements, map values, and what pointers point to.
func scribble(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			scribble(v.Elem())
		}
	case reflect.Struct:
		if t, ok := v.Interface().(time.Time); ok {
			if v.CanSet() {
				v.Set(reflect.ValueOf(t.Add(time.Hour)))
			}
			return
		}
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				scribble(v.Field(i))
			}
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			scribble(v.Index(i))
		}
	case reflect.Map:
		if v.IsNil() {
			return // nothing shared: a caller would have to make its own
		}
		for _, k := range v.MapKeys() {
			v.SetMapIndex(k, reflect.Zero(v.Type().Elem()))
		}
		v.SetMapIndex(reflect.Zero(v.Type().Key()), reflect.Zero(v.Type().Elem()))
	case reflect.String:
		if v.CanSet() {
			v.SetString(v.String() + "~")
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if v.CanSet() {
			v.SetInt(v.Int() + 1)
		}
	case reflect.Bool:
		if v.CanSet() {
			v.SetBool(!v.Bool())
		}
	case reflect.Float32, reflect.Float64:
		if v.CanSet() {
			v.SetFloat(v.Float() + 1)
		}
	}
}

func snapshot(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestCachedValuesAreCopies: what the read cache hands out is the caller's
// own. A caller that changes every field, element, map value and pointee of
// what it got does not change what the next caller gets.
func TestCachedValuesAreCopies(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			url := storetest.URL(t, d)
			st := storetest.OpenURLWith(t, url, store.Options{ReadCacheTTL: time.Hour})
			if _, err := st.MigrateUp(ctx); err != nil {
				t.Fatal(err)
			}
			// Rows with the optional fields set: a claim, decisions with a
			// reason code, notes and an edited message.
			op := storetest.Operator(t, st, "cache@example.com", store.RoleOperator)
			actor := store.Actor{Type: store.ActorOperator, ID: op.ID, Name: op.Name}
			claimed := storetest.FlaggedLead(t, st, "copy-1", store.TypeMessage)
			if _, err := st.Claim(ctx, claimed.ID, actor); err != nil {
				t.Fatal(err)
			}
			storetest.FlaggedLead(t, st, "copy-2", store.TypePricing)
			rej := storetest.FlaggedLead(t, st, "copy-3", store.TypeProposal)
			if _, err := st.Decide(ctx, store.DecideInput{ReviewID: rej.ID, Outcome: store.OutcomeReject, ReasonCode: "bad_data", Notes: "n", Actor: actor}); err != nil {
				t.Fatal(err)
			}
			subject, body := "s", "b"
			app := storetest.FlaggedLead(t, st, "copy-4", store.TypeAction)
			if _, err := st.Decide(ctx, store.DecideInput{ReviewID: app.ID, Outcome: store.OutcomeApprove, Subject: &subject, Body: &body, Actor: actor}); err != nil {
				t.Fatal(err)
			}
			today, err := store.LastDays(store.Now(), 7)
			if err != nil {
				t.Fatal(err)
			}
			now := store.Now()

			for name, read := range map[string]func() (any, error){
				"ListPendingShared": func() (any, error) {
					items, next, err := st.ListPendingShared(ctx, store.QueueFilter{Limit: 1})
					return []any{items, next}, err
				},
				"CountPendingMatching": func() (any, error) { return st.CountPendingMatching(ctx, store.QueueFilter{}) },
				"QueueStats":           func() (any, error) { return st.QueueStats(ctx, time.Hour, 2*time.Hour) },
				"QueueNow":             func() (any, error) { return st.QueueNow(ctx, now) },
				"RangeStats":           func() (any, error) { return st.RangeStats(ctx, today) },
			} {
				first, err := read()
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				second, err := read()
				if err != nil || !reflect.DeepEqual(first, second) {
					t.Fatalf("%s: two reads differ (%v):\n%+v\n%+v", name, err, first, second)
				}
				if reflect.ValueOf(first).IsZero() {
					t.Fatalf("%s: nothing read", name)
				}
				// JSON holds the values behind the pointers, not the pointers.
				before := snapshot(t, second)
				scribble(reflect.ValueOf(first))
				if snapshot(t, first) == before {
					t.Fatalf("%s: scribbling changed nothing", name)
				}
				third, err := read()
				if err != nil {
					t.Fatal(err)
				}
				if after := snapshot(t, third); after != before {
					t.Errorf("%s: a caller's change reached the next caller:\n%s\n%s", name, before, after)
				}
				if after := snapshot(t, second); after != before {
					t.Errorf("%s: a caller's change reached another caller's copy:\n%s\n%s", name, before, after)
				}
			}

			// The settings snapshot is immutable by type (its map is not
			// exported); what its lists return is the caller's.
			set, err := st.Settings(ctx)
			if err != nil {
				t.Fatal(err)
			}
			reject, _ := store.OutcomeNamed(store.OutcomeReject)
			codes := set.ReasonCodes(reject)
			want := append([]string(nil), codes...)
			codes[0] = "changed"
			again, err := st.Settings(ctx)
			if err != nil || !reflect.DeepEqual(again.ReasonCodes(reject), want) {
				t.Errorf("settings after a caller changed its list: %v %v", again.ReasonCodes(reject), err)
			}
		})
	}
}
