package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Decisions are written in batches: concurrent calls of Decide on one
// instance share a transaction (group commit). A decision costs the database
// about as much for its statements and its commit as for the rows it
// changes, so a transaction of many decisions does several times the work
// per second of one decision each (measured: 1,530 → 4,280 decisions/s with
// ten per transaction). Each decision is still exactly once — its own
// conditional update on status and version, under the rows' locks — and
// still commits together with its history and its counters. A decision that
// arrives when nothing is waiting runs at once, alone: batching adds no
// delay, it only takes what queued up while the previous transaction ran.

// decideItem is one decision waiting for a batch.
type decideItem struct {
	ctx  context.Context
	in   DecideInput
	done chan decideResult // buffered: the worker never waits for the caller
	// wrote is the decision the latest attempt wrote, kept across attempts
	// on purpose (writeBatch); only the writer goroutine touches it.
	wrote *decisionMark
}

type decideResult struct {
	decision *Decision
	err      error
}

// Batch sizes and writers: a batch's statements stay small (SQLite allows
// 32,766 variables; a batch of 32 uses under 600), and a few transactions
// run at once on MySQL, one on SQLite, which has a single writer anyway.
const (
	maxDecideBatch     = 32
	mysqlDecideWriters = 4
)

// ErrClosed means the store was closed.
var ErrClosed = errors.New("store closed")

// DecisionBatches reports how many decision transactions ran and how many
// decisions they carried, since the store opened.
func (s *Store) DecisionBatches() (transactions, decisions int64) {
	return s.decisionBatches.Load(), s.decisionsBatched.Load()
}

// startDecisionWriters starts the goroutines that write decisions.
func (s *Store) startDecisionWriters() {
	s.decisions = make(chan *decideItem, 4*maxDecideBatch)
	s.closed = make(chan struct{})
	n := 1
	if s.Dialect == MySQL {
		n = mysqlDecideWriters
	}
	for range n {
		go s.decisionWriter()
	}
}

// submitDecision hands a validated decision to the writers and waits for
// its result.
func (s *Store) submitDecision(ctx context.Context, in DecideInput) (*Decision, error) {
	it := &decideItem{ctx: ctx, in: in, done: make(chan decideResult, 1)}
	select {
	case s.decisions <- it:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-s.closed:
		return nil, ErrClosed
	}
	select {
	case res := <-it.done:
		return res.decision, res.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// decisionWriter takes what is waiting, up to a batch, and writes it. Two
// decisions on one review never share a batch: the second waits for the
// next one and then finds the review decided.
func (s *Store) decisionWriter() {
	var carry []*decideItem
	next := func(wait bool) *decideItem {
		if len(carry) > 0 {
			it := carry[0]
			carry = carry[1:]
			return it
		}
		if wait {
			select {
			case it := <-s.decisions:
				return it
			case <-s.closed:
				return nil
			}
		}
		select {
		case it := <-s.decisions:
			return it
		default:
			return nil
		}
	}
	for {
		first := next(true)
		if first == nil {
			return
		}
		batch := []*decideItem{first}
		var later []*decideItem
		for len(batch) < maxDecideBatch {
			it := next(false)
			if it == nil {
				break
			}
			if slices.ContainsFunc(batch, func(b *decideItem) bool { return b.in.ReviewID == it.in.ReviewID }) {
				later = append(later, it)
				continue
			}
			batch = append(batch, it)
		}
		carry = append(carry, later...)
		s.writeDecisions(batch)
	}
}

// writeDecisions runs one batch in one transaction and answers each caller.
//
// A batch that hits a conflict (an InnoDB deadlock, a Galera certification
// failure or brute-force abort, all error 1213) runs again whole (runTx):
// by then the conflicting transaction has committed, so the review it
// decided is found decided and that item alone gets its 409 naming the
// winner, while the others go through. A batch that still fails — retries
// spent, or an error of one item's own — is split: each decision runs alone,
// with its own retries, so one item's trouble does not fail the others. A
// batch refused because the node is not ready or the connection is gone is
// not split (every item would meet the same): each caller gets the error.
// The lock order stays the one of lockForDecision (leads, then reviews, by
// id) on every attempt.
func (s *Store) writeDecisions(items []*decideItem) {
	live := items[:0:0]
	for _, it := range items {
		if err := it.ctx.Err(); err != nil {
			it.done <- decideResult{err: err}
			continue
		}
		live = append(live, it)
	}
	if len(live) == 0 {
		return
	}
	// Not one caller's context: the batch is everyone's.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := s.writeBatch(ctx, live)
	if err == nil {
		return
	}
	if len(live) == 1 || !itemSpecific(err) || ctx.Err() != nil {
		for _, it := range live {
			it.done <- decideResult{err: err}
		}
		return
	}
	for _, it := range live {
		if err := it.ctx.Err(); err != nil {
			it.done <- decideResult{err: err}
			continue
		}
		if err := s.writeBatch(ctx, []*decideItem{it}); err != nil {
			it.done <- decideResult{err: err}
		}
	}
}

// itemSpecific: a batch error that running the decisions one by one may get
// past — a conflict on some row, or any error that is not the database being
// away (which every item would meet alike).
func itemSpecific(err error) bool {
	return Conflict(err) || !Transient(err)
}

// writeBatch decides items in one transaction, run again on a conflict, and
// answers every caller when it commits; on an error it answers none.
//
// It also runs again after a connection lost during COMMIT, when the batch
// may or may not have committed. Running it again cannot decide a review
// twice — each update is conditional on status and version — but the
// decisions that did commit would then be refused as "already decided" to
// the very caller who made them. So each item remembers the decision it
// wrote (decideItem.wrote); a later attempt that finds the review decided
// with exactly that version, time, outcome and actor knows it is its own
// committed decision and answers 200 with it, as the first attempt would
// have. Anyone else's decision, or an earlier one of the same operator,
// differs in version or time and still gets the 409.
func (s *Store) writeBatch(ctx context.Context, items []*decideItem) error {
	s.decisionBatches.Add(1)
	s.decisionsBatched.Add(int64(len(items)))
	var results []decideResult
	err := s.runTx(ctx, true, func(tx *gorm.DB) error {
		results = make([]decideResult, len(items))
		return s.decideInTx(ctx, tx, items, results)
	})
	if err != nil {
		return err
	}
	for i, it := range items {
		it.done <- results[i]
	}
	return nil
}

// decisionMark is what one attempt of a decision wrote: the review's new
// version, its decision time and status.
type decisionMark struct {
	version int
	at      time.Time
	status  string
}

// ownDecision reports whether the decided review r holds the decision an
// earlier attempt of it wrote (see writeBatch).
func (it *decideItem) ownDecision(r *Review) bool {
	w := it.wrote
	if w == nil || r.Version != w.version || r.Status != w.status || r.DecidedAt == nil || !r.DecidedAt.Equal(w.at) ||
		r.DecidedByType == nil || *r.DecidedByType != it.in.Actor.Type {
		return false
	}
	id := it.in.Actor.idPtr()
	return (id == nil) == (r.DecidedByID == nil) && (id == nil || *id == *r.DecidedByID)
}

// lockedReview is a review with the lead fields a decision reads, as the
// locking read returned them.
type lockedReview struct {
	review Review
	lead   Lead
}

// placeholders is "?, ?, ?" for n values.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

func int64Args(ids []int64) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

// decideLockSQL reads (and on MySQL locks) leads and their reviews, lead by
// lead in id order: the order Flag takes them (the lead, then its review),
// so decisions and new flags on one lead queue instead of deadlocking, and
// two batches lock in one order too. The join keyword fixes the order:
// STRAIGHT_JOIN in MySQL, CROSS JOIN in SQLite (where BEGIN IMMEDIATE
// serializes writers). The arguments are the lead ids, then the review ids.
func decideLockSQL(d Dialect, leads, reviews int) string {
	join := "CROSS JOIN"
	if d == MySQL {
		join = "STRAIGHT_JOIN"
	}
	q := "SELECT " + reviewColumns + ", leads.score, leads.status, leads.tags, leads.name, leads.message_subject, leads.message_body, leads.last_decision FROM leads " +
		join + " reviews WHERE reviews.lead_id = leads.id AND leads.id IN (" + placeholders(leads) + ") AND reviews.id IN (" +
		placeholders(reviews) + ") ORDER BY leads.id, reviews.id"
	if d == MySQL {
		q += " FOR UPDATE"
	}
	return q
}

// reviewLeadsSQL finds the reviews' leads.
func reviewLeadsSQL(n int) string {
	return "SELECT id, lead_id FROM reviews WHERE id IN (" + placeholders(n) + ")"
}

// DecisionSQL is what a decision reads, as the database gets it, for EXPLAIN.
func (s *Store) DecisionSQL(leadID, reviewID int64) []string {
	return []string{s.DB.Dialector.Explain(reviewLeadsSQL(1), reviewID),
		s.DB.Dialector.Explain(decideLockSQL(s.Dialect, 1, 1), leadID, reviewID)}
}

// reviewLeads finds which of the reviews exist, and their leads.
func reviewLeads(ctx context.Context, conn gorm.ConnPool, reviewIDs []int64) (found, leadIDs []int64, err error) {
	rows, err := conn.QueryContext(ctx, reviewLeadsSQL(len(reviewIDs)), int64Args(reviewIDs)...)
	if err != nil {
		return nil, nil, fmt.Errorf("find reviews: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, lead int64
		if err := rows.Scan(&id, &lead); err != nil {
			return nil, nil, fmt.Errorf("find reviews: %w", err)
		}
		found, leadIDs = append(found, id), append(leadIDs, lead)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("find reviews: %w", err)
	}
	return found, leadIDs, nil
}

// lockForDecision finds the reviews' leads and locks both, leads first.
func (s *Store) lockForDecision(ctx context.Context, conn gorm.ConnPool, reviewIDs []int64) (map[int64]*lockedReview, error) {
	found, leadIDs, err := reviewLeads(ctx, conn, reviewIDs)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]*lockedReview, len(found))
	if len(found) == 0 {
		return out, nil
	}
	slices.Sort(leadIDs)
	leadIDs = slices.Compact(leadIDs)
	rows, err := conn.QueryContext(ctx, decideLockSQL(s.Dialect, len(leadIDs), len(found)), append(int64Args(leadIDs), int64Args(found)...)...)
	if err != nil {
		return nil, fmt.Errorf("lock reviews: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var rs reviewScan
		var l lockedReview
		var messageBody, lastDecision sql.NullString
		if err := rows.Scan(rs.dest(&l.lead.Score, &l.lead.Status, &l.lead.Tags, &l.lead.Name, &l.lead.MessageSubject, &messageBody, &lastDecision)...); err != nil {
			return nil, fmt.Errorf("lock reviews: %w", err)
		}
		l.review = rs.review()
		l.lead.ID, l.lead.MessageBody, l.lead.LastDecision = l.review.LeadID, nullStr(messageBody), nullStr(lastDecision)
		out[l.review.ID] = &l
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lock reviews: %w", err)
	}
	return out, nil
}

// decisionCheck refuses a decision the review's state does not allow.
func decisionCheck(r *Review, in *DecideInput, now time.Time) error {
	if r.Status != StatusPending {
		return decidedConflict(r)
	}
	if err := claimRefusal(r, in.Actor, now); err != nil {
		return err
	}
	if in.ExpectedVersion != 0 && in.ExpectedVersion != r.Version {
		return &ConflictError{Message: "this review changed since you opened it; look again before deciding"}
	}
	return nil
}

// keepEditedMessage drops a submitted message that is the lead's current
// one: only a message the decider changed counts as edited.
func keepEditedMessage(in *DecideInput, lead *Lead) {
	if in.Subject == nil && in.Body == nil {
		return
	}
	if (in.Subject == nil || *in.Subject == lead.MessageSubject) && (in.Body == nil || *in.Body == deref(lead.MessageBody)) {
		in.Subject, in.Body = nil, nil
	}
}

// decisionCounters adds up a batch's daily counts and durations by row.
type decisionCounters struct {
	// lane is the Store's statLane: its counter rows are apart from those
	// of instances on other Galera nodes.
	lane      int64
	daily     map[dailyRow]int64
	names     map[dailyRow]string
	durations map[durationRow]durationVal
}

type dailyRow struct {
	key   dailyKey
	shard int64
}

type durationRow struct {
	key   durationKey
	shard int64
}

// decideInTx decides each item under the locks of one transaction; a
// refused decision is that item's result, not the batch's error.
func (s *Store) decideInTx(ctx context.Context, tx *gorm.DB, items []*decideItem, results []decideResult) error {
	conn := tx.Statement.ConnPool
	ids := make([]int64, len(items))
	for i, it := range items {
		ids[i] = it.in.ReviewID
	}
	locked, err := s.lockForDecision(ctx, conn, ids)
	if err != nil {
		return err
	}
	// The claim history matters only for reviews re-flagged, reopened or
	// claimed (a released claim counts as none); one query for them all.
	var withHistory []int64
	for _, l := range locked {
		if l.review.Version != 1 || l.review.ClaimedBy != nil {
			withHistory = append(withHistory, l.review.ID)
		}
	}
	marks, err := readMarks(tx, withHistory)
	if err != nil {
		return err
	}
	now := Now()
	counters := decisionCounters{lane: s.statLane.Load(), daily: map[dailyRow]int64{}, names: map[dailyRow]string{}, durations: map[durationRow]durationVal{}}
	// Leads whose decision only clears the flag, by the decision's status:
	// one statement for each.
	plainLeads := map[string][]int64{}
	var events []any
	outbox, err := s.outbox(ctx, tx, lockedLeadIDs(locked)...)
	if err != nil {
		return err
	}
	for i, it := range items {
		l := locked[it.in.ReviewID]
		if l == nil {
			results[i].err = ErrNotFound
			continue
		}
		in := &it.in
		r := &l.review
		if r.Status != StatusPending && it.ownDecision(r) {
			own := *r
			results[i].decision = &Decision{Review: &own, LeadName: l.lead.Name}
			continue
		}
		if err := decisionCheck(r, in, now); err != nil {
			results[i].err = err
			continue
		}
		keepEditedMessage(in, &l.lead)
		o, _ := OutcomeNamed(in.Outcome)
		// What the decision covers, from the locked read (no query).
		fingerprint := decisionFingerprint(&l.lead, in)
		// Conditional on status and version: with the row locked it always
		// matches, and the check keeps the exactly-once rule explicit.
		res, err := conn.ExecContext(ctx, `UPDATE reviews SET status = ?, open_lead_id = NULL, decided_by_type = ?, decided_by_id = ?,
			decided_by_name = ?, decided_at = ?, reason_code = ?, notes = ?, version = ?, updated_at = ?, claimed_by = NULL,
			claimed_by_name = NULL, claim_expires_at = NULL, decision_subject = COALESCE(?, decision_subject),
			decision_body = COALESCE(?, decision_body), decision_fingerprint = ?
			WHERE id = ? AND status = ? AND version = ?`,
			o.Status, in.Actor.Type, in.Actor.idPtr(), in.Actor.Name, now, nullable(in.ReasonCode), nullable(in.Notes), r.Version+1, now,
			in.Subject, in.Body, fingerprint, r.ID, StatusPending, r.Version)
		if err != nil {
			return fmt.Errorf("decide review: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("decide review: %w", err)
		}
		if n != 1 {
			results[i].err = &ConflictError{Message: "this review changed while you decided; look again"}
			continue
		}
		it.wrote = &decisionMark{version: r.Version + 1, at: now, status: o.Status}
		if !o.ChangesLead() && in.Subject == nil && in.Body == nil {
			plainLeads[o.Status] = append(plainLeads[o.Status], l.lead.ID)
		} else if err := updateDecidedLead(ctx, conn, &l.lead, o, in, now); err != nil {
			return err
		}
		ev := newEvent(r, o.Event, in.Actor, decisionDetail(r, &l.lead, in))
		events = append(events, ev.ReviewID, ev.LeadID, ev.Kind, ev.ActorType, ev.ActorID, ev.ActorName, ev.Detail, ev.CreatedAt)
		outbox.addDecided(r, &l.lead, o, in, now)
		counters.add(r, o.Status, in, marks[r.ID], now)
		results[i].decision = &Decision{Review: decidedReview(r, o.Status, in, now), LeadName: l.lead.Name}
		results[i].decision.DecisionFingerprint = &fingerprint
	}
	for _, o := range DecisionOutcomes {
		ids := plainLeads[o.Status]
		if len(ids) == 0 {
			continue
		}
		if _, err := conn.ExecContext(ctx, "UPDATE leads SET requires_human_review = ?, review_type = NULL, review_reason = NULL, updated_at = ?, last_decision = ? WHERE id IN ("+
			placeholders(len(ids))+")", append([]any{false, now, o.Status}, int64Args(ids)...)...); err != nil {
			return fmt.Errorf("update leads: %w", err)
		}
	}
	if len(events) == 0 {
		return nil
	}
	const eventColumns = 8
	if _, err := conn.ExecContext(ctx, "INSERT INTO review_events (review_id, lead_id, kind, actor_type, actor_id, actor_name, detail, created_at) VALUES "+
		strings.TrimSuffix(strings.Repeat("("+placeholders(eventColumns)+"), ", len(events)/eventColumns), ", "), events...); err != nil {
		return fmt.Errorf("write history: %w", err)
	}
	if err := outbox.write(ctx, tx); err != nil {
		return err
	}
	return s.execAll(ctx, conn, counters.statements(s.Dialect == MySQL))
}

// updateDecidedLead clears the lead's flag, records the decision as its
// last and gives it the outcome's status and tag; an edited message
// becomes the lead's.
func updateDecidedLead(ctx context.Context, conn gorm.ConnPool, lead *Lead, o Outcome, in *DecideInput, now time.Time) error {
	q := "UPDATE leads SET requires_human_review = ?, review_type = NULL, review_reason = NULL, updated_at = ?, last_decision = ?"
	args := []any{false, now, o.Status}
	if o.LeadStatus != "" {
		q += ", status = ?"
		args = append(args, o.LeadStatus)
	}
	if o.LeadTag != "" {
		q += ", tags = ?"
		args = append(args, addTag(lead.Tags, o.LeadTag))
	}
	if in.Subject != nil {
		q += ", message_subject = ?"
		args = append(args, *in.Subject)
	}
	if in.Body != nil {
		q += ", message_body = ?"
		args = append(args, *in.Body)
	}
	if _, err := conn.ExecContext(ctx, q+" WHERE id = ?", append(args, lead.ID)...); err != nil {
		return fmt.Errorf("update lead: %w", err)
	}
	return nil
}

// decisionDetail is the history's snapshot of what a decision was based on,
// and of everything it changes: Undo puts the review and the lead back from
// it (no extra write on the decision's path; see undo.go).
func decisionDetail(r *Review, lead *Lead, in *DecideInput) map[string]any {
	detail := map[string]any{
		"review_type": r.ReviewType, "reason": r.Reason, "source": r.Source, "score_at_flag": r.ScoreAtFlag,
		"lead_score": lead.Score, "lead_status": lead.Status, "version": r.Version,
		"message_subject": lead.MessageSubject, "message_body": deref(lead.MessageBody),
		"lead_tags": lead.Tags, "last_decision": lead.LastDecision,
	}
	if r.ClaimedBy != nil {
		detail["claimed_by"], detail["claimed_by_name"], detail["claim_expires_at"] = *r.ClaimedBy, deref(r.ClaimedByName), r.ClaimExpiresAt
	}
	if in.ReasonCode != "" {
		detail["reason_code"] = in.ReasonCode
	}
	if in.Notes != "" {
		detail["notes"] = in.Notes
	}
	if in.Subject != nil || in.Body != nil {
		detail["edited_subject"] = deref(in.Subject)
		detail["edited_body"] = deref(in.Body)
	}
	return detail
}

// decidedReview is the row as the decision left it, without reading it back.
func decidedReview(r *Review, status string, in *DecideInput, now time.Time) *Review {
	out := *r
	out.Status, out.OpenLeadID, out.Version, out.UpdatedAt = status, nil, r.Version+1, now
	decidedByType, decidedByName, decidedAt := in.Actor.Type, in.Actor.Name, now
	out.DecidedByType, out.DecidedByID, out.DecidedByName, out.DecidedAt = &decidedByType, in.Actor.idPtr(), &decidedByName, &decidedAt
	out.ReasonCode, out.Notes = optional(in.ReasonCode), optional(in.Notes)
	out.ClaimedBy, out.ClaimedByName, out.ClaimExpiresAt = nil, nil, nil
	if in.Subject != nil {
		out.DecisionSubject = in.Subject
	}
	if in.Body != nil {
		out.DecisionBody = in.Body
	}
	return &out
}

// add counts one decision (status) on review r as it was before it, with
// its wait and handle times.
func (c *decisionCounters) add(r *Review, status string, in *DecideInput, marks []historyMark, at time.Time) {
	actorID := int64(0)
	if p := in.Actor.idPtr(); p != nil {
		actorID = *p
	}
	day, shard := Day(at), c.lane*statShards+shardOf(r.ID)
	d := dailyRow{dailyKey{Day: day, Kind: status, ReviewType: r.ReviewType, Source: r.Source, ActorType: in.Actor.Type,
		ActorID: actorID, ReasonCode: in.ReasonCode}, shard}
	c.daily[d]++
	c.names[d] = in.Actor.Name
	wait, handle, claimed := decisionDurations(r, in.Actor.Type, actorID, marks, at)
	for _, m := range []struct {
		metric string
		d      time.Duration
	}{{MetricWait, wait}, {MetricHandle, handle}} {
		if m.metric == MetricHandle && !claimed {
			continue // no claim, no handle time (decisionDurations)
		}
		k := durationRow{durationKey{Day: day, Metric: m.metric, ActorType: in.Actor.Type, ActorID: actorID, LE: bucketLE(m.d)}, shard}
		v := c.durations[k]
		v.N++
		v.SumMS += m.d.Milliseconds()
		c.durations[k] = v
	}
}

// statements are the counters' upserts, each statement's rows in one
// order: concurrent batches lock the shared counter rows in the same order,
// or InnoDB could pick deadlock victims among them.
func (c *decisionCounters) statements(mysql bool) []statement {
	daily := make([]dailyRow, 0, len(c.daily))
	for k := range c.daily {
		daily = append(daily, k)
	}
	slices.SortFunc(daily, func(a, b dailyRow) int {
		return cmp.Or(cmp.Compare(a.key.Day, b.key.Day), cmp.Compare(a.key.Kind, b.key.Kind), cmp.Compare(a.key.ReviewType, b.key.ReviewType),
			cmp.Compare(a.key.Source, b.key.Source), cmp.Compare(a.key.ActorType, b.key.ActorType), cmp.Compare(a.key.ActorID, b.key.ActorID),
			cmp.Compare(a.key.ReasonCode, b.key.ReasonCode), cmp.Compare(a.shard, b.shard))
	})
	durations := make([]durationRow, 0, len(c.durations))
	for k := range c.durations {
		durations = append(durations, k)
	}
	slices.SortFunc(durations, func(a, b durationRow) int {
		return cmp.Or(cmp.Compare(a.key.Day, b.key.Day), cmp.Compare(a.key.Metric, b.key.Metric), cmp.Compare(a.key.ActorType, b.key.ActorType),
			cmp.Compare(a.key.ActorID, b.key.ActorID), cmp.Compare(a.key.LE, b.key.LE), cmp.Compare(a.shard, b.shard))
	})
	out := make([]statement, 0, 2)
	dailyArgs := make([]any, 0, len(daily)*10)
	for _, d := range daily {
		k := d.key
		dailyArgs = append(dailyArgs, k.Day, k.Kind, k.ReviewType, k.Source, k.ActorType, k.ActorID, k.ReasonCode, d.shard, c.names[d], c.daily[d])
	}
	if len(daily) > 0 {
		out = append(out, upsertDailyStatement(mysql, len(daily), dailyArgs))
	}
	durationArgs := make([]any, 0, len(durations)*8)
	for _, d := range durations {
		k, v := d.key, c.durations[d]
		durationArgs = append(durationArgs, k.Day, k.Metric, k.ActorType, k.ActorID, k.LE, d.shard, v.N, v.SumMS)
	}
	if len(durations) > 0 {
		out = append(out, upsertDurationsStatement(mysql, len(durations), durationArgs))
	}
	return out
}
