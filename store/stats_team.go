package store

// Team work over a range: escalations and snoozes, from the history.
//
// Escalations: every 'escalated' event of the range is one escalation; what
// became of it (up to now) is the first of these that follows it in its
// review's history: a decision that stood (not undone) -> decided; a
// 'sent_back' -> sent back; neither yet -> still escalated. Resolve time is
// escalation -> that decision or send-back, exact (not bucketed).
//
// Snoozes: a 'snoozed' event starts a snooze, or moves the end of one that
// is running (one snooze, not two). A snooze interval runs from its event to
// the first of: its "until" time (it ran out by itself), an 'unsnoozed',
// 'escalated' or 'cleared' event, a decision (undone: the interval goes on,
// as Undo puts the review back snoozed), and now. Figures:
//
//   - Snoozed time: the intervals' total time inside the range (up to now);
//   - Snoozes: the snoozes begun in the range, and the median and mean length
//     of those that have ended;
//   - Snoozed share of wait: of the wait (flag or reopen -> decision, as the
//     "Flag -> decision" figure) of the decisions made in the range, the
//     share spent snoozed. The SLA clock keeps running while a review is
//     snoozed (its age is always from the flag), and this share says how much
//     of that wait was parked on purpose.
//
// Both read the indexed (kind, created_at) history events of the range (for
// snoozes from MaxSnooze before it: an interval is at most that long), then
// those reviews' own events through the (review_id, id) index, in batches:
// the work grows with escalations and snoozes, never with all decisions. A
// review decided in the range whose snoozes all began more than MaxSnooze
// before the range is not seen: the share is then a lower bound.

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"
)

// TeamWork are the escalation and snooze figures over a range.
type TeamWork struct {
	// Escalated counts escalations raised in the range; of them, Decided
	// were decided (the first thing after it was a decision that stood),
	// SentBack sent back to the operators, Open are still escalated.
	Escalated, EscalationsDecided, EscalationsSentBack, EscalationsOpen int64
	// Resolve is escalation -> decision or send-back, over the resolved ones.
	Resolve Durations
	// Snoozes counts snoozes begun in the range; Length is the length of
	// those that have ended (Length.N of them).
	Snoozes int64
	Length  Durations
	// SnoozedTime is the time reviews spent snoozed inside the range.
	SnoozedTime time.Duration
	// SnoozedWait is the snoozed part of the wait of the decisions made in
	// the range; Wait is their whole wait (the daily histograms' exact sum).
	SnoozedWait, Wait time.Duration
}

// SnoozedShareOfWait is SnoozedWait / Wait (0 with no wait).
func (t *TeamWork) SnoozedShareOfWait() float64 {
	if t.Wait <= 0 {
		return 0
	}
	return float64(t.SnoozedWait) / float64(t.Wait)
}

// TeamWorkStats reads the escalation and snooze figures over r (cached
// briefly, as RangeStats).
func (s *Store) TeamWorkStats(ctx context.Context, r StatsRange) (*TeamWork, error) {
	key := "teamwork|" + r.From.Format(time.DateOnly) + "|" + r.To.Format(time.DateOnly)
	return cachedRead(ctx, s.reads, key, func(ctx context.Context) (*TeamWork, error) { return s.teamWork(ctx, r, Now()) },
		func(t *TeamWork) *TeamWork { c := *t; return &c })
}

// exactDurations summarises exact durations (nearest rank, as summarise).
func exactDurations(ds []time.Duration) Durations {
	var d Durations
	d.N = int64(len(ds))
	if d.N == 0 {
		return d
	}
	slices.Sort(ds)
	var sum time.Duration
	for _, x := range ds {
		sum += x
	}
	rank := func(p float64) time.Duration { return ds[max(int(math.Ceil(p*float64(d.N)))-1, 0)] }
	d.Mean, d.Median, d.P90 = sum/time.Duration(d.N), rank(0.5), rank(0.9)
	return d
}

// snoozeInterval is one stretch of a review snoozed.
type snoozeInterval struct {
	start, until time.Time
	cut          *time.Time // ended early, by an event
	episode      int        // index into the review's snoozes
}

func (iv *snoozeInterval) end(now time.Time) time.Time {
	e := iv.until
	if iv.cut != nil && iv.cut.Before(e) {
		e = *iv.cut
	}
	if now.Before(e) {
		e = now
	}
	return e
}

// overlap is how much of [a, b) lies in [from, to).
func overlap(a, b, from, to time.Time) time.Duration {
	if a.Before(from) {
		a = from
	}
	if b.After(to) {
		b = to
	}
	return max(b.Sub(a), 0)
}

func (s *Store) teamWork(ctx context.Context, r StatsRange, now time.Time) (*TeamWork, error) {
	db := s.DB.WithContext(ctx)
	from, end := r.From, r.End()
	out := &TeamWork{}
	var waitMS int64
	if err := db.Table("stats_daily_durations").Where("day >= ? AND day <= ? AND metric = ?", Day(from), Day(r.To), MetricWait).
		Select("COALESCE(SUM(sum_ms), 0)").Scan(&waitMS).Error; err != nil {
		return nil, fmt.Errorf("team stats: wait: %w", err)
	}
	out.Wait = time.Duration(waitMS) * time.Millisecond

	var esc, snz []int64
	if err := db.Table("review_events").Where("kind = ? AND created_at >= ? AND created_at < ?", EventEscalated, from, end).
		Distinct("review_id").Pluck("review_id", &esc).Error; err != nil {
		return nil, fmt.Errorf("team stats: escalations: %w", err)
	}
	if err := db.Table("review_events").Where("kind = ? AND created_at >= ? AND created_at < ?", EventSnoozed, from.Add(-MaxSnooze), end).
		Distinct("review_id").Pluck("review_id", &snz).Error; err != nil {
		return nil, fmt.Errorf("team stats: snoozes: %w", err)
	}
	ids := append(esc, snz...)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	kinds := append(decisionEvents(), EventUndone, EventReopened, EventEscalated, EventSentBack, EventSnoozed, EventUnsnoozed, EventCleared)
	var resolve, lengths []time.Duration
	for start := 0; start < len(ids); start += qualityEventBatch {
		batch := ids[start:min(start+qualityEventBatch, len(ids))]
		events, err := s.historyOf(ctx, batch, kinds)
		if err != nil {
			return nil, fmt.Errorf("team stats: %w", err)
		}
		for _, id := range batch {
			tw := walkTeamWork(events[id], from, end, now)
			out.Escalated += tw.escalated
			out.EscalationsDecided += tw.decided
			out.EscalationsSentBack += tw.sentBack
			out.EscalationsOpen += tw.escalated - tw.decided - tw.sentBack
			resolve = append(resolve, tw.resolve...)
			out.Snoozes += tw.snoozes
			lengths = append(lengths, tw.lengths...)
			out.SnoozedTime += tw.snoozedTime
			out.SnoozedWait += tw.snoozedWait
		}
	}
	out.Resolve, out.Length = exactDurations(resolve), exactDurations(lengths)
	return out, nil
}

// reviewTeamWork is one review's share of the TeamWork figures.
type reviewTeamWork struct {
	escalated, decided, sentBack int64
	resolve                      []time.Duration
	snoozes                      int64
	lengths                      []time.Duration
	snoozedTime, snoozedWait     time.Duration
}

// walkTeamWork reads one review's history (in order) into its figures.
func walkTeamWork(events []historyEvent, from, end, now time.Time) reviewTeamWork {
	var tw reviewTeamWork
	type escalation struct {
		at       time.Time
		inRange  bool
		resolved *time.Time
		decided  bool
	}
	type decision struct {
		at, waitStart time.Time
		undone        bool
	}
	var escs []*escalation
	var openEsc, decidedEsc *escalation
	var intervals []*snoozeInterval
	var active, cutByDecision *snoozeInterval
	var episodes []time.Time // start of each snooze
	var decisions []*decision
	var waitStart time.Time // zero: since the flag
	cut := func(at time.Time) *snoozeInterval {
		iv := active
		active = nil
		if iv == nil || !at.Before(iv.until) {
			return nil // ran out already
		}
		t := at
		iv.cut = &t
		return iv
	}
	for _, ev := range events {
		t := ev.CreatedAt
		isDecision := false
		switch ev.Kind {
		case EventEscalated:
			e := &escalation{at: t, inRange: !t.Before(from) && t.Before(end)}
			escs = append(escs, e)
			openEsc = e
			cut(t)
		case EventSentBack:
			if openEsc != nil {
				openEsc.resolved = &t
				openEsc = nil
			}
		case EventSnoozed:
			var d struct {
				Until time.Time `json:"until"`
			}
			if ev.Detail == nil || json.Unmarshal([]byte(*ev.Detail), &d) != nil || !d.Until.After(t) {
				continue
			}
			episode := len(episodes)
			if active != nil && t.Before(active.until) {
				episode = active.episode // moved: the same snooze goes on
			} else {
				episodes = append(episodes, t)
			}
			cut(t)
			active = &snoozeInterval{start: t, until: d.Until.UTC(), episode: episode}
			intervals = append(intervals, active)
		case EventUnsnoozed, EventCleared:
			cut(t)
		case EventReopened:
			waitStart = t
			active, openEsc = nil, nil
		case EventUndone:
			if n := len(decisions); n > 0 {
				decisions[n-1].undone = true
			}
			if decidedEsc != nil {
				decidedEsc.resolved, decidedEsc.decided = nil, false
				openEsc = decidedEsc
			}
			if cutByDecision != nil && t.Before(cutByDecision.until) {
				cutByDecision.cut = nil
				active = cutByDecision
			}
		default:
			if _, ok := outcomeOfEvent(ev.Kind); !ok {
				continue
			}
			isDecision = true
			decisions = append(decisions, &decision{at: t, waitStart: waitStart})
			decidedEsc = nil
			if openEsc != nil {
				openEsc.resolved, openEsc.decided = &t, true
				decidedEsc, openEsc = openEsc, nil
			}
			cutByDecision = cut(t)
		}
		if !isDecision && ev.Kind != EventUndone {
			decidedEsc, cutByDecision = nil, nil
		}
	}
	for _, e := range escs {
		if !e.inRange {
			continue
		}
		tw.escalated++
		if e.resolved != nil {
			if e.decided {
				tw.decided++
			} else {
				tw.sentBack++
			}
			tw.resolve = append(tw.resolve, e.resolved.Sub(e.at))
		}
	}
	rangeEnd := end
	if now.Before(rangeEnd) {
		rangeEnd = now
	}
	length := make([]time.Duration, len(episodes))
	ended := make([]bool, len(episodes))
	for _, iv := range intervals {
		e := iv.end(now)
		length[iv.episode] += max(e.Sub(iv.start), 0)
		ended[iv.episode] = e.Before(now)
		tw.snoozedTime += overlap(iv.start, e, from, rangeEnd)
	}
	for i, start := range episodes {
		if start.Before(from) || !start.Before(end) {
			continue
		}
		tw.snoozes++
		if ended[i] {
			tw.lengths = append(tw.lengths, length[i])
		}
	}
	for _, d := range decisions {
		if d.undone || d.at.Before(from) || !d.at.Before(end) {
			continue
		}
		for _, iv := range intervals {
			tw.snoozedWait += overlap(iv.start, iv.end(now), d.waitStart, d.at)
		}
	}
	return tw
}
