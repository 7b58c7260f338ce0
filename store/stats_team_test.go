package store_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"reviewq/store"
	"reviewq/store/storetest"
)

// teamEvent writes a history event at a chosen time (events are written in
// time order, as they happen).
func teamEvent(t *testing.T, st *store.Store, r *store.Review, kind string, actor store.Actor, at time.Time, detail any) {
	t.Helper()
	id := actor.ID
	ev := &store.ReviewEvent{ReviewID: r.ID, LeadID: r.LeadID, Kind: kind, ActorType: actor.Type, ActorID: &id, ActorName: actor.Name, CreatedAt: at}
	if detail != nil {
		b, _ := json.Marshal(detail)
		s := string(b)
		ev.Detail = &s
	}
	if err := st.DB.Create(ev).Error; err != nil {
		t.Fatal(err)
	}
}

// Escalations and snoozes of one day, hand-computed.
func TestTeamWorkStats(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ana := actorOf(storetest.Operator(t, st, "ana@example.com", store.RoleOperator))
		lee := actorOf(storetest.Operator(t, st, "lee@example.com", store.RoleLead))
		day := store.Now().AddDate(0, 0, -10)
		d := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, time.UTC)
		h := func(hours float64) time.Time { return d.Add(time.Duration(hours * float64(time.Hour))) }
		snooze := func(until time.Time) map[string]any {
			return map[string]any{"until": until, "reason_code": "needs_info"}
		}
		// flagged at, decided at (zero: pending) and status, as Decide would leave it.
		review := func(ext string, flagged, decided time.Time, status string, by store.Actor) *store.Review {
			r := storetest.FlaggedLead(t, st, ext, store.TypeMessage)
			upd := map[string]any{"flagged_at": flagged}
			if !decided.IsZero() {
				upd["status"], upd["open_lead_id"], upd["decided_at"] = status, nil, decided
				upd["decided_by_type"], upd["decided_by_id"], upd["decided_by_name"] = by.Type, by.ID, by.Name
				if status == store.StatusRejected {
					upd["reason_code"] = "bad_data"
				}
			}
			if err := st.DB.Model(&store.Review{}).Where("id = ?", r.ID).Updates(upd).Error; err != nil {
				t.Fatal(err)
			}
			if err := st.DB.Where("review_id = ?", r.ID).Delete(&store.ReviewEvent{}).Error; err != nil {
				t.Fatal(err)
			}
			return r
		}
		// R1: flagged 08:00; snoozed 09:00–11:00 (ran out); snoozed 12:00
		// until 18:00, moved at 13:00 to 15:00, woken at 14:00 (one snooze
		// of 2 h); approved 16:00. Wait 8 h, 4 h of it snoozed.
		r1 := review("t1", h(8), h(16), store.StatusApproved, ana)
		teamEvent(t, st, r1, store.EventSnoozed, ana, h(9), snooze(h(11)))
		teamEvent(t, st, r1, store.EventSnoozed, ana, h(12), snooze(h(18)))
		teamEvent(t, st, r1, store.EventSnoozed, ana, h(13), snooze(h(15)))
		teamEvent(t, st, r1, store.EventUnsnoozed, ana, h(14), nil)
		teamEvent(t, st, r1, store.EventApproved, ana, h(16), nil)
		// R2: flagged the day before 20:00, snoozed 22:00 until 02:00 (2 h of
		// it in the range; begun before it); escalated 03:00, sent back
		// 04:30; escalated 05:00, rejected by Lee 06:00. Wait 10 h, 4 h
		// snoozed.
		r2 := review("t2", h(-4), h(6), store.StatusRejected, lee)
		teamEvent(t, st, r2, store.EventSnoozed, ana, h(-2), snooze(h(2)))
		teamEvent(t, st, r2, store.EventEscalated, ana, h(3), map[string]any{"note": "?"})
		teamEvent(t, st, r2, store.EventSentBack, lee, h(4.5), nil)
		teamEvent(t, st, r2, store.EventEscalated, ana, h(5), map[string]any{"note": "?"})
		teamEvent(t, st, r2, store.EventRejected, lee, h(6), nil)
		// R3: escalated 10:00, still escalated.
		r3 := review("t3", h(9), time.Time{}, "", ana)
		teamEvent(t, st, r3, store.EventEscalated, ana, h(10), map[string]any{"note": "?"})
		// R4: snoozed 22:00 until 03:00 the next day: 2 h in the range, a
		// snooze of 5 h.
		r4 := review("t4", h(21), time.Time{}, "", ana)
		teamEvent(t, st, r4, store.EventSnoozed, ana, h(22), snooze(h(27)))
		// R5: snoozed 07:00 until 09:00; approved 07:30 and undone at once
		// (the snooze goes on); woken 08:00: a snooze of 1 h; the undone
		// decision counts no wait.
		r5 := review("t5", h(6.5), time.Time{}, "", ana)
		teamEvent(t, st, r5, store.EventSnoozed, ana, h(7), snooze(h(9)))
		teamEvent(t, st, r5, store.EventApproved, ana, h(7.5), nil)
		teamEvent(t, st, r5, store.EventUndone, ana, h(7.5).Add(5*time.Second), nil)
		teamEvent(t, st, r5, store.EventUnsnoozed, ana, h(8), nil)
		if err := st.RebuildDailyStats(ctx); err != nil {
			t.Fatal(err)
		}
		rng, err := store.NewStatsRange(d, d)
		if err != nil {
			t.Fatal(err)
		}
		tw, err := st.TeamWorkStats(ctx, rng)
		if err != nil {
			t.Fatal(err)
		}
		if tw.Escalated != 3 || tw.EscalationsDecided != 1 || tw.EscalationsSentBack != 1 || tw.EscalationsOpen != 1 {
			t.Errorf("escalations: %d raised, %d decided, %d sent back, %d open; want 3, 1, 1, 1",
				tw.Escalated, tw.EscalationsDecided, tw.EscalationsSentBack, tw.EscalationsOpen)
		}
		// Answered after 1 h 30 (sent back) and 1 h (decided).
		if tw.Resolve.N != 2 || tw.Resolve.Median != time.Hour || tw.Resolve.Mean != 75*time.Minute {
			t.Errorf("escalation → answer: %+v; want 2, median 1 h, mean 1 h 15", tw.Resolve)
		}
		// Begun in the range: R1's two, R4's, R5's; lengths 2 h, 2 h, 5 h, 1 h.
		if tw.Snoozes != 4 || tw.Length.N != 4 || tw.Length.Median != 2*time.Hour || tw.Length.Mean != 150*time.Minute {
			t.Errorf("snoozes: %d begun, lengths %+v; want 4, median 2 h, mean 2 h 30", tw.Snoozes, tw.Length)
		}
		// In the range: R1 4 h, R2 2 h, R4 2 h, R5 1 h.
		if tw.SnoozedTime != 9*time.Hour {
			t.Errorf("time snoozed in the range: %v, want 9h", tw.SnoozedTime)
		}
		// Of 18 h of wait (R1 8 h, R2 10 h), 8 h snoozed.
		if tw.Wait != 18*time.Hour || tw.SnoozedWait != 8*time.Hour {
			t.Errorf("wait %v, snoozed %v; want 18h and 8h", tw.Wait, tw.SnoozedWait)
		}
		if got, want := tw.SnoozedShareOfWait(), 8.0/18; got != want {
			t.Errorf("snoozed share of wait %v, want %v", got, want)
		}
	})
}
