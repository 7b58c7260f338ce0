package web

import (
	"reviewq/store"
	"reviewq/views"
)

// statsReviewersView joins each decider's standing figures (RangeStats) with
// their quality figures: a decider whose every decision of the range was
// reopened still has a row (no standing decisions, overturns counted).
func statsReviewersView(rs *store.RangeStats, quality []store.ReviewerQuality) views.StatsReviewers {
	v := views.StatsReviewers{}
	for _, o := range store.DecisionOutcomes {
		v.OutcomeHeaders = append(v.OutcomeHeaders, o.Done)
	}
	type key struct {
		typ string
		id  int64
	}
	byKey := make(map[key]store.ReviewerQuality, len(quality))
	for _, q := range quality {
		byKey[key{q.ActorType, q.ActorID}] = q
	}
	name := func(n, actorType string) string {
		if actorType == store.ActorToken {
			return n + " (API token)"
		}
		return n
	}
	row := func(base views.StatsOperatorRow, q store.ReviewerQuality) views.StatsReviewerRow {
		return views.StatsReviewerRow{StatsOperatorRow: base, Made: q.Made(), Overturned: q.Overturned,
			OverturnRate: rateOrDash(q.OverturnRate(), q.Made()), SampleN: q.SampleMade(),
			SampleAgreement: rateOrDash(q.SampleAgreement(), q.SampleMade())}
	}
	for _, o := range rs.Operators {
		k := key{o.ActorType, o.ActorID}
		q, ok := byKey[k]
		if !ok {
			q = store.ReviewerQuality{Standing: o.Total()}
		}
		delete(byKey, k)
		v.Rows = append(v.Rows, row(views.StatsOperatorRow{Name: name(o.Name, o.ActorType), Decisions: o.Total(), Counts: outcomeCounts(o.Outcomes),
			ApprovalRate: rateOrDash(o.ApprovalRate(), o.Total()), MedianHandle: durationOrDash(o.Handle, o.Handle.Median),
			MedianWait: durationOrDash(o.Wait, o.Wait.Median), Claimed: o.Handle.N}, q))
	}
	// Deciders with no standing decision left in the range.
	for _, q := range quality {
		if _, ok := byKey[key{q.ActorType, q.ActorID}]; !ok || q.Made() == 0 {
			continue
		}
		v.Rows = append(v.Rows, row(views.StatsOperatorRow{Name: name(q.Name, q.ActorType), Counts: outcomeCounts(nil),
			ApprovalRate: "–", MedianHandle: "–", MedianWait: "–"}, q))
	}
	return v
}

// statsTeamView is the escalation and snooze figures as text.
func statsTeamView(t *store.TeamWork) views.StatsTeamWork {
	return views.StatsTeamWork{
		Escalated: t.Escalated, Decided: t.EscalationsDecided, SentBack: t.EscalationsSentBack, Open: t.EscalationsOpen,
		MedianResolve: durationOrDash(t.Resolve, t.Resolve.Median), Resolved: t.Resolve.N,
		Snoozes: t.Snoozes, SnoozedTime: HumanDuration(t.SnoozedTime), MedianSnooze: durationOrDash(t.Length, t.Length.Median),
		Ended: t.Length.N, SnoozedShare: rateOrDash(t.SnoozedShareOfWait(), int64(t.Wait)), SnoozedWait: HumanDuration(t.Wait),
	}
}
