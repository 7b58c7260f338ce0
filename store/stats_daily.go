package store

// Daily aggregates of the review flow.
//
// The stats page, the weekly report and /metrics must stay fast with millions
// of leads and decisions, so none of them reads the decision history. Every
// flag that opens a review and every decision bumps per-day counters in the
// SAME transaction as the change itself (exact, no background job, correct
// with any number of instances):
//
//   - stats_daily: n per (UTC day, kind, review_type, source, actor,
//     reason_code), kind = flagged | approved | rejected | skipped, and
//     undone_<status> for decisions taken back (UndoneKind);
//   - stats_daily_durations: per (UTC day, metric, actor) a histogram of
//     decision times, metric = wait (flag → decision) or handle (claim →
//     decision), with exact sums for averages.
//
// A range is then a primary-key range scan over days: a few hundred rows per
// day whatever the traffic. Percentiles come from the histogram (nearest
// rank, reported as the bucket's upper bound: exact to the minute under 1 h,
// to 5 minutes under 24 h, to the hour beyond); every whole hour up to 30
// days is a bucket bound, so SLA compliance against sla.critical_hours is
// exact. A decision counts on the day it was made, for as long as it
// stands. An undone decision (Undo, moments after it was made) and a
// reopened one (Reopen, a lead overturning it any time later) are taken out
// again in the transaction that takes them back (uncountDecision: the same
// day, keys, histogram bucket and milliseconds they were added with, so the
// durations come out exactly too): they count nowhere on the stats page, as
// a decision neither of outcome, decider, type or source, nor in the wait
// and handle percentiles. The next decision of the review counts normally.
// The reopen events themselves are counted apart, from the history's indexed
// 'reopened' events, and reviewer_quality.go reads the history to tell who
// was overturned. Taken-back decisions go to undone_<status>, which only
// /metrics reads (its decision counters must never go down).
//
// Writers: Flag (recordFlagStats, when it opens a review) and Decide
// (decisionCounters, in its batch transaction); Undo and Reopen subtract
// (uncountDecision). Any other code path that opens or decides a review
// must call the same helpers inside its transaction (the rollback's
// restore only puts back pending reviews, never decided ones). Seed writes rows in bulk and then calls RebuildDailyStats,
// which recomputes everything from the reviews table.

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"gorm.io/gorm"
)

// StatFlagged is the stats_daily kind of new reviews; a decision's kind is
// its outcome's status (DecisionOutcomes).
const StatFlagged = "flagged"

// Metrics of stats_daily_durations rows.
const (
	MetricWait   = "wait"
	MetricHandle = "handle"
)

// dayFormat is how days are stored: text in UTC, so ranges compare as strings.
const dayFormat = "2006-01-02"

// Day is the UTC day of t as stored in the aggregates.
func Day(t time.Time) string { return t.UTC().Format(dayFormat) }

// overflowLE is the upper bound of the last bucket (over 30 days).
const overflowLE = math.MaxInt64

// bucketLE is the upper bound, in seconds, of the histogram bucket holding d:
// buckets are (lo, hi], 1 minute wide up to 1 h, 5 minutes up to 24 h, 1 hour
// up to 30 days.
func bucketLE(d time.Duration) int64 {
	secs := int64(math.Ceil(d.Seconds()))
	ceilTo := func(step int64) int64 { return (secs + step - 1) / step * step }
	switch {
	case secs <= 60:
		return 60
	case secs <= 3600:
		return ceilTo(60)
	case secs <= 24*3600:
		return ceilTo(300)
	case secs <= 30*24*3600:
		return ceilTo(3600)
	}
	return overflowLE
}

type dailyKey struct {
	Day, Kind, ReviewType, Source, ActorType string
	ActorID                                  int64
	ReasonCode                               string
}

type durationKey struct {
	Day, Metric, ActorType string
	ActorID                int64
	LE                     int64
}

// statShards is how many rows share one counter key (see migration 00060):
// concurrent decisions land on different rows instead of queueing on one
// row lock until each other's commit.
const statShards = 16

func shardOf(reviewID int64) int64 { return reviewID % statShards }

// statShard is the counter row of a review's flag or decision on this
// instance: its lane's block of statShards rows (galera.go), then by review.
func (s *Store) statShard(reviewID int64) int64 {
	return s.statLane.Load()*statShards + shardOf(reviewID)
}

type durationVal struct{ N, SumMS int64 }

// statement is one SQL statement with its arguments.
type statement struct {
	sql  string
	args []any
}

func execStatement(tx *gorm.DB, st statement) error {
	if err := tx.Exec(st.sql, st.args...).Error; err != nil {
		return fmt.Errorf("daily stats: %w", err)
	}
	return nil
}

// upsertDailyStatement adds rows of (day, kind, review_type, source,
// actor_type, actor_id, reason_code, shard, actor_name, n) to the counters.
func upsertDailyStatement(mysql bool, rows int, args []any) statement {
	q := `INSERT INTO stats_daily (day, kind, review_type, source, actor_type, actor_id, reason_code, shard, actor_name, n) VALUES ` +
		strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?), ", rows), ", ")
	if mysql {
		q += ` ON DUPLICATE KEY UPDATE n = n + VALUES(n), actor_name = VALUES(actor_name)`
	} else {
		q += ` ON CONFLICT (day, kind, review_type, source, actor_type, actor_id, reason_code, shard)
			DO UPDATE SET n = n + excluded.n, actor_name = excluded.actor_name`
	}
	return statement{q, args}
}

func upsertDaily(tx *gorm.DB, k dailyKey, shard int64, actorName string, n int64) error {
	return execStatement(tx, upsertDailyStatement(tx.Dialector.Name() == "mysql", 1,
		[]any{k.Day, k.Kind, k.ReviewType, k.Source, k.ActorType, k.ActorID, k.ReasonCode, shard, actorName, n}))
}

// upsertDurationsStatement adds rows of (day, metric, actor_type, actor_id,
// le_seconds, shard, n, sum_ms) to the duration histograms.
func upsertDurationsStatement(mysql bool, rows int, args []any) statement {
	q := `INSERT INTO stats_daily_durations (day, metric, actor_type, actor_id, le_seconds, shard, n, sum_ms) VALUES ` +
		strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?), ", rows), ", ")
	if mysql {
		q += ` ON DUPLICATE KEY UPDATE n = n + VALUES(n), sum_ms = sum_ms + VALUES(sum_ms)`
	} else {
		q += ` ON CONFLICT (day, metric, actor_type, actor_id, le_seconds, shard)
			DO UPDATE SET n = n + excluded.n, sum_ms = sum_ms + excluded.sum_ms`
	}
	return statement{q, args}
}

// recordFlagStats counts a newly opened review on its flag day. Call it in
// the transaction that creates the review (not when a flag is added to an
// open one: that is no new work for the queue).
func (s *Store) recordFlagStats(tx *gorm.DB, r *Review) error {
	return upsertDaily(tx, dailyKey{Day: Day(r.FlaggedAt), Kind: StatFlagged, ReviewType: r.ReviewType, Source: r.Source}, s.statShard(r.ID), "", 1)
}

// historyMark is one claim, release or reopen of a review.
type historyMark struct {
	Kind      string
	ActorType string
	ActorID   *int64
	CreatedAt time.Time
}

// decisionDurations works out how long a review waited (since it was flagged,
// or last reopened) and how long its decider handled it: since the decider's
// last claim, if no release or reopen came after it. A decision without such
// a claim has no handle time (claimed is false): counting it from the flag
// would make a quick decider of old reviews look slow.
func decisionDurations(r *Review, actorType string, actorID int64, marks []historyMark, at time.Time) (wait, handle time.Duration, claimed bool) {
	waitStart := r.FlaggedAt
	var claimAt *time.Time
	for _, m := range marks {
		switch m.Kind {
		case EventReopened:
			if m.CreatedAt.After(waitStart) {
				waitStart = m.CreatedAt
			}
			claimAt = nil
		case EventReleased:
			claimAt = nil
		case EventClaimed:
			if m.ActorType == actorType && m.ActorID != nil && *m.ActorID == actorID {
				t := m.CreatedAt
				claimAt = &t
			} else {
				claimAt = nil
			}
		}
	}
	wait = max(at.Sub(waitStart), 0)
	if claimAt != nil && !claimAt.Before(waitStart) {
		return wait, max(at.Sub(*claimAt), 0), true
	}
	return wait, 0, false
}

func readMarks(tx *gorm.DB, reviewIDs []int64) (map[int64][]historyMark, error) {
	out := map[int64][]historyMark{}
	if len(reviewIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		ReviewID  int64
		Kind      string
		ActorType string
		ActorID   *int64
		CreatedAt time.Time
	}
	// The (review_id, id) index: only these reviews' own history is read.
	if err := tx.Table("review_events").Select("review_id, kind, actor_type, actor_id, created_at").
		Where("review_id IN ? AND kind IN ?", reviewIDs, []string{EventClaimed, EventReleased, EventReopened}).
		Order("review_id, id").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("daily stats: read claims: %w", err)
	}
	for _, r := range rows {
		out[r.ReviewID] = append(out[r.ReviewID], historyMark{Kind: r.Kind, ActorType: r.ActorType, ActorID: r.ActorID, CreatedAt: r.CreatedAt})
	}
	return out, nil
}

// RebuildDailyStats recomputes the daily aggregates from the reviews table in
// one transaction: every review counts as flagged on its flag day, and every
// decided review's current decision on its decision day. It is for data
// written in bulk (Seed) and for repair; it counts only standing decisions,
// as the live counters do (run it once after upgrading from a version that
// kept reopened decisions counted: `reviewq report --rebuild`).
func (s *Store) RebuildDailyStats(ctx context.Context) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Exec("DELETE FROM stats_daily").Error; err != nil {
			return fmt.Errorf("rebuild daily stats: %w", err)
		}
		if err := tx.Exec("DELETE FROM stats_daily_durations").Error; err != nil {
			return fmt.Errorf("rebuild daily stats: %w", err)
		}
		daily := map[dailyKey]int64{}
		names := map[dailyKey]string{}
		durations := map[durationKey]durationVal{}
		var lastID int64
		for {
			var batch []Review
			if err := tx.Select("id, review_type, source, flagged_at, status, decided_by_type, decided_by_id, decided_by_name, decided_at, reason_code").
				Where("id > ?", lastID).Order("id").Limit(5000).Find(&batch).Error; err != nil {
				return fmt.Errorf("rebuild daily stats: read reviews: %w", err)
			}
			if len(batch) == 0 {
				break
			}
			lastID = batch[len(batch)-1].ID
			var decided []int64
			for _, r := range batch {
				daily[dailyKey{Day: Day(r.FlaggedAt), Kind: StatFlagged, ReviewType: r.ReviewType, Source: r.Source}]++
				if r.Status != StatusPending && r.DecidedAt != nil {
					decided = append(decided, r.ID)
				}
			}
			marks, err := readMarks(tx, decided)
			if err != nil {
				return err
			}
			for _, r := range batch {
				if r.Status == StatusPending || r.DecidedAt == nil {
					continue
				}
				actorType, actorID, name := deref(r.DecidedByType), int64(0), deref(r.DecidedByName)
				if r.DecidedByID != nil {
					actorID = *r.DecidedByID
				}
				day := Day(*r.DecidedAt)
				k := dailyKey{Day: day, Kind: r.Status, ReviewType: r.ReviewType, Source: r.Source,
					ActorType: actorType, ActorID: actorID, ReasonCode: deref(r.ReasonCode)}
				daily[k]++
				names[k] = name
				wait, handle, claimed := decisionDurations(&r, actorType, actorID, marks[r.ID], *r.DecidedAt)
				metrics := map[string]time.Duration{MetricWait: wait}
				if claimed {
					metrics[MetricHandle] = handle
				}
				for metric, d := range metrics {
					dk := durationKey{Day: day, Metric: metric, ActorType: actorType, ActorID: actorID, LE: bucketLE(d)}
					v := durations[dk]
					v.N++
					v.SumMS += d.Milliseconds()
					durations[dk] = v
				}
			}
		}
		// The tables are empty now: plain multi-row inserts, 500 rows each.
		var rows [][]any
		for k, n := range daily {
			rows = append(rows, []any{k.Day, k.Kind, k.ReviewType, k.Source, k.ActorType, k.ActorID, k.ReasonCode, names[k], n})
		}
		if err := insertRows(tx, "stats_daily (day, kind, review_type, source, actor_type, actor_id, reason_code, actor_name, n)", rows); err != nil {
			return err
		}
		rows = rows[:0]
		for k, v := range durations {
			rows = append(rows, []any{k.Day, k.Metric, k.ActorType, k.ActorID, k.LE, v.N, v.SumMS})
		}
		return insertRows(tx, "stats_daily_durations (day, metric, actor_type, actor_id, le_seconds, n, sum_ms)", rows)
	})
}

func insertRows(tx *gorm.DB, into string, rows [][]any) error {
	for start := 0; start < len(rows); start += 500 {
		batch := rows[start:min(start+500, len(rows))]
		marks := "(" + strings.TrimSuffix(strings.Repeat("?,", len(batch[0])), ",") + ")"
		var args []any
		for _, r := range batch {
			args = append(args, r...)
		}
		q := "INSERT INTO " + into + " VALUES " + strings.TrimSuffix(strings.Repeat(marks+",", len(batch)), ",")
		if err := tx.Exec(q, args...).Error; err != nil {
			return fmt.Errorf("rebuild daily stats: %w", err)
		}
	}
	return nil
}
