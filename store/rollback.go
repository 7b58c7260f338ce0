package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// The emergency rollback: ClearFlags takes every pending review and open lead
// flag out of play after handing each to a writer (the CLI writes them to a
// JSON file), and RestoreFlags puts them back from that file.
//
// Clearing does not delete: a pending review gets the status "cleared" and
// loses its open_lead_id (so the lead counts as unflagged and may be flagged
// anew), the lead's seed columns are reset, and the history gets a "cleared"
// event. Nothing else in the row changes (not even version or updated_at), so
// restoring is setting status and open_lead_id back, and the row is exactly
// what it was (UpdateColumns: GORM would otherwise stamp updated_at). A review missing from the database (a file restored into a
// copy) is inserted again with its id.
//
// Both work in keyset batches, each batch one transaction with its own audit
// entry, so a million flags never sit in memory or in one transaction, and an
// interrupted run is finished by running it again.

// StatusCleared marks a review taken out of the queue by `reviewq flags clear`.
const StatusCleared = "cleared"

// History events of the rollback.
const (
	EventCleared  = "cleared"
	EventRestored = "restored"
)

// Audit actions of the rollback.
const (
	AuditFlagsClear   = "flags.clear"
	AuditFlagsRestore = "flags.restore"
)

// FlagFileFormat names the rollback file's format.
const FlagFileFormat = "reviewq-flags/1"

// LeadFlag is a lead's three seed columns.
type LeadFlag struct {
	ID                  int64   `json:"id"`
	RequiresHumanReview bool    `json:"requires_human_review"`
	ReviewType          *string `json:"review_type"`
	ReviewReason        *string `json:"review_reason"`
}

// FlagRecord is one cleared flag: the review row as it was (nil for a lead
// whose seed columns were set without a review) and the lead's seed columns.
type FlagRecord struct {
	Review *Review  `json:"review,omitempty"`
	Lead   LeadFlag `json:"lead"`
}

// ClearOptions steer ClearFlags.
type ClearOptions struct {
	Actor Actor
	// File is recorded in the audit log and the history events.
	File string
	// Write receives each batch before it is cleared, inside the batch's
	// transaction: if it fails, nothing of the batch is cleared.
	Write func([]FlagRecord) error
	// Batch is the number of rows per transaction (default 1000).
	Batch int
}

// ClearResult counts what ClearFlags cleared.
type ClearResult struct {
	Reviews int
	Leads   int
}

// Total is the number of records written.
func (r ClearResult) Total() int { return r.Reviews + r.Leads }

// ClearFlags clears every pending review that exists when it starts, then
// every lead still flagged without an open review.
func (s *Store) ClearFlags(ctx context.Context, opt ClearOptions) (ClearResult, error) {
	var res ClearResult
	if opt.Batch <= 0 {
		opt.Batch = 1000
	}
	if opt.Write == nil {
		return res, errors.New("clear flags: no writer for the rollback file")
	}
	db := s.DB.WithContext(ctx)
	// Reviews flagged after the start (the queue still on) are left alone,
	// so the run ends; the docs say to switch the queue off first.
	var maxReview, maxLead int64
	if err := db.Raw("SELECT COALESCE(MAX(id), 0) FROM reviews").Scan(&maxReview).Error; err != nil {
		return res, fmt.Errorf("clear flags: %w", err)
	}
	if err := db.Raw("SELECT COALESCE(MAX(id), 0) FROM leads").Scan(&maxLead).Error; err != nil {
		return res, fmt.Errorf("clear flags: %w", err)
	}
	// A batch whose transaction is retried after a deadlock must not be
	// written to the file twice.
	written := map[int64]bool{}
	var after struct {
		FlaggedAt time.Time
		ID        int64
	}
	for {
		// The candidates come from the queue index without locks; the
		// transaction then locks them by primary key and re-checks.
		var ids []struct {
			ID        int64
			FlaggedAt time.Time
		}
		q := db.Table("reviews").Select("id, flagged_at").Where("status = ? AND id <= ?", StatusPending, maxReview)
		if after.ID != 0 {
			q = q.Where("flagged_at > ? OR (flagged_at = ? AND id > ?)", after.FlaggedAt, after.FlaggedAt, after.ID)
		}
		if err := q.Order("flagged_at, id").Limit(opt.Batch).Scan(&ids).Error; err != nil {
			return res, fmt.Errorf("clear flags: find pending reviews: %w", err)
		}
		if len(ids) == 0 {
			break
		}
		after.FlaggedAt, after.ID = ids[len(ids)-1].FlaggedAt, ids[len(ids)-1].ID
		reviewIDs := make([]int64, len(ids))
		for i, r := range ids {
			reviewIDs[i] = r.ID
		}
		n, err := s.clearReviewBatch(ctx, reviewIDs, opt, written)
		if err != nil {
			return res, err
		}
		res.Reviews += n
	}
	var afterLead int64
	for {
		var ids []int64
		if err := db.Table("leads").Where("id > ? AND id <= ? AND requires_human_review = ?", afterLead, maxLead, true).
			Order("id").Limit(opt.Batch).Pluck("id", &ids).Error; err != nil {
			return res, fmt.Errorf("clear flags: find flagged leads: %w", err)
		}
		if len(ids) == 0 {
			break
		}
		afterLead = ids[len(ids)-1]
		n, err := s.clearLeadBatch(ctx, ids, opt, written)
		if err != nil {
			return res, err
		}
		res.Leads += n
	}
	return res, nil
}

// CountFlagsToClear says what ClearFlags would clear now, changing nothing.
func (s *Store) CountFlagsToClear(ctx context.Context) (ClearResult, error) {
	var res ClearResult
	var reviews, leads int64
	db := s.DB.WithContext(ctx)
	if err := db.Model(&Review{}).Where("status = ?", StatusPending).Count(&reviews).Error; err != nil {
		return res, fmt.Errorf("count pending reviews: %w", err)
	}
	if err := db.Raw(`SELECT COUNT(*) FROM leads WHERE requires_human_review = ?
		AND NOT EXISTS (SELECT 1 FROM reviews WHERE reviews.open_lead_id = leads.id)`, true).Scan(&leads).Error; err != nil {
		return res, fmt.Errorf("count flagged leads: %w", err)
	}
	res.Reviews, res.Leads = int(reviews), int(leads)
	return res, nil
}

func (s *Store) clearReviewBatch(ctx context.Context, ids []int64, opt ClearOptions, written map[int64]bool) (int, error) {
	var n int
	err := s.tx(ctx, func(tx *gorm.DB) error {
		// Leads first, then their reviews: the lock order of Flag, Decide
		// and Reopen, so a clear and a decision on one lead queue instead of
		// deadlocking. A review's lead never changes, so reading the lead
		// ids before the lock is safe.
		var leadIDs []int64
		if err := tx.Model(&Review{}).Where("id IN ?", ids).Pluck("lead_id", &leadIDs).Error; err != nil {
			return fmt.Errorf("clear flags: find leads: %w", err)
		}
		flags, err := leadFlags(tx, leadIDs)
		if err != nil {
			return err
		}
		var revs []Review
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id IN ? AND status = ?", ids, StatusPending).
			Order("id").Find(&revs).Error; err != nil {
			return fmt.Errorf("clear flags: lock reviews: %w", err)
		}
		n = len(revs)
		if n == 0 {
			return nil
		}
		leadIDs = leadIDs[:0]
		for _, r := range revs {
			leadIDs = append(leadIDs, r.LeadID)
		}
		// Subscribers to lead.eligibility_changed hear of each lead whose
		// answer the clear changes (read before and after, as for a decision).
		ob, err := s.outbox(ctx, tx, leadIDs...)
		if err != nil {
			return err
		}
		for _, r := range revs {
			ob.eligibilityMayChange(r.LeadID, r.ID, AuditFlagsClear)
		}
		recs := make([]FlagRecord, 0, n)
		reviewIDs := make([]int64, 0, n)
		events := make([]*ReviewEvent, 0, n)
		for i := range revs {
			r := revs[i]
			reviewIDs = append(reviewIDs, r.ID)
			events = append(events, newEvent(&r, EventCleared, opt.Actor, map[string]any{"file": opt.File}))
			if !written[r.ID] {
				recs = append(recs, FlagRecord{Review: &r, Lead: flags[r.LeadID]})
			}
		}
		if err := opt.Write(recs); err != nil {
			return fmt.Errorf("clear flags: write rollback file: %w", err)
		}
		for _, r := range recs {
			written[r.Review.ID] = true
		}
		if err := tx.Model(&Review{}).Where("id IN ? AND status = ?", reviewIDs, StatusPending).
			UpdateColumns(map[string]any{"status": StatusCleared, "open_lead_id": nil}).Error; err != nil {
			return fmt.Errorf("clear flags: update reviews: %w", err)
		}
		if err := unflagLeads(tx, leadIDs); err != nil {
			return err
		}
		if err := tx.CreateInBatches(events, 500).Error; err != nil {
			return fmt.Errorf("clear flags: write history: %w", err)
		}
		if err := ob.write(ctx, tx); err != nil {
			return err
		}
		return auditRollback(tx, opt.Actor, AuditFlagsClear, opt.File, map[string]any{
			"reviews": n, "first_review_id": reviewIDs[0], "last_review_id": reviewIDs[n-1]})
	})
	return n, err
}

// clearLeadBatch clears leads whose seed columns say "flagged" while no
// review is open (set by an engine writing to the table directly).
func (s *Store) clearLeadBatch(ctx context.Context, ids []int64, opt ClearOptions, written map[int64]bool) (int, error) {
	var n int
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var leads []Lead
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Select("id, requires_human_review, review_type, review_reason").
			Where("id IN ? AND requires_human_review = ?", ids, true).Order("id").Find(&leads).Error; err != nil {
			return fmt.Errorf("clear flags: lock leads: %w", err)
		}
		open, err := openReviewsOf(tx, ids)
		if err != nil {
			return err
		}
		var recs []FlagRecord
		var leadIDs []int64
		for _, l := range leads {
			if open[l.ID] {
				continue // flagged while the clear ran: not ours to clear
			}
			leadIDs = append(leadIDs, l.ID)
			// Lead ids are negated in the dedupe set so they cannot meet review ids.
			if !written[-l.ID] {
				recs = append(recs, FlagRecord{Lead: LeadFlag{ID: l.ID, RequiresHumanReview: l.RequiresHumanReview,
					ReviewType: l.ReviewType, ReviewReason: l.ReviewReason}})
			}
		}
		n = len(leadIDs)
		if n == 0 {
			return nil
		}
		if err := opt.Write(recs); err != nil {
			return fmt.Errorf("clear flags: write rollback file: %w", err)
		}
		for _, r := range recs {
			written[-r.Lead.ID] = true
		}
		ob, err := s.outbox(ctx, tx, leadIDs...)
		if err != nil {
			return err
		}
		for _, id := range leadIDs {
			ob.eligibilityMayChange(id, 0, AuditFlagsClear)
		}
		if err := unflagLeads(tx, leadIDs); err != nil {
			return err
		}
		if err := ob.write(ctx, tx); err != nil {
			return err
		}
		return auditRollback(tx, opt.Actor, AuditFlagsClear, opt.File, map[string]any{
			"leads_without_review": n, "first_lead_id": leadIDs[0], "last_lead_id": leadIDs[n-1]})
	})
	return n, err
}

func leadFlags(tx *gorm.DB, leadIDs []int64) (map[int64]LeadFlag, error) {
	var leads []Lead
	if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Select("id, requires_human_review, review_type, review_reason").
		Where("id IN ?", leadIDs).Find(&leads).Error; err != nil {
		return nil, fmt.Errorf("rollback: read leads: %w", err)
	}
	out := make(map[int64]LeadFlag, len(leads))
	for _, l := range leads {
		out[l.ID] = LeadFlag{ID: l.ID, RequiresHumanReview: l.RequiresHumanReview, ReviewType: l.ReviewType, ReviewReason: l.ReviewReason}
	}
	return out, nil
}

func sameFlag(a, b LeadFlag) bool {
	return a.RequiresHumanReview == b.RequiresHumanReview && deref(a.ReviewType) == deref(b.ReviewType) &&
		deref(a.ReviewReason) == deref(b.ReviewReason)
}

func openReviewsOf(tx *gorm.DB, leadIDs []int64) (map[int64]bool, error) {
	var open []int64
	if err := tx.Model(&Review{}).Where("open_lead_id IN ?", leadIDs).Pluck("open_lead_id", &open).Error; err != nil {
		return nil, fmt.Errorf("rollback: find open reviews: %w", err)
	}
	out := make(map[int64]bool, len(open))
	for _, id := range open {
		out[id] = true
	}
	return out, nil
}

func unflagLeads(tx *gorm.DB, leadIDs []int64) error {
	if err := tx.Model(&Lead{}).Where("id IN ?", leadIDs).Updates(map[string]any{
		"requires_human_review": false, "review_type": nil, "review_reason": nil, "updated_at": Now()}).Error; err != nil {
		return fmt.Errorf("clear flags: update leads: %w", err)
	}
	return nil
}

func auditRollback(tx *gorm.DB, actor Actor, action, file string, detail map[string]any) error {
	detail["file"] = file
	return audit(tx, actor, "", action, "flags", nil, eventDetail(detail))
}

// FlagFileWriter writes a rollback file: a JSON object whose "records" array
// is streamed one record per line, so a file of a million flags is never
// held in memory.
type FlagFileWriter struct {
	w       io.Writer
	n       int
	started bool
	// Header fields.
	Dialect   Dialect
	CreatedAt time.Time
}

// NewFlagFileWriter starts a rollback file on w.
func NewFlagFileWriter(w io.Writer, d Dialect) *FlagFileWriter {
	return &FlagFileWriter{w: w, Dialect: d, CreatedAt: Now()}
}

// Write appends records.
func (fw *FlagFileWriter) Write(recs []FlagRecord) error {
	if !fw.started {
		head := fmt.Sprintf("{\"format\":%q,\"created_at\":%q,\"database\":%q,\"records\":[",
			FlagFileFormat, fw.CreatedAt.Format(time.RFC3339Nano), fw.Dialect)
		if _, err := io.WriteString(fw.w, head); err != nil {
			return err
		}
		fw.started = true
	}
	for _, r := range recs {
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		sep := ",\n"
		if fw.n == 0 {
			sep = "\n"
		}
		if _, err := io.WriteString(fw.w, sep+string(b)); err != nil {
			return err
		}
		fw.n++
	}
	return nil
}

// Close ends the JSON document (the caller closes the file).
func (fw *FlagFileWriter) Close() error {
	if !fw.started {
		if err := fw.Write(nil); err != nil {
			return err
		}
	}
	_, err := io.WriteString(fw.w, "\n]}\n")
	return err
}

// RestoreResult counts what RestoreFlags did.
type RestoreResult struct {
	// Records read from the file.
	Records int
	// Restored reviews (reopened or re-inserted) and lead-only flags.
	Restored int
	// AlreadyOpen were open already (restored before, or never cleared).
	AlreadyOpen int
	// Skipped could not be restored; Problems says why (the first 20).
	Skipped  int
	Problems []string
}

func (r *RestoreResult) skip(format string, args ...any) {
	r.Skipped++
	if len(r.Problems) < 20 {
		r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
	}
}

// RestoreFlags reads a rollback file and puts its flags back: a cleared
// review is reopened exactly as it was, a missing one is inserted again with
// its id, and the lead's seed columns get their recorded values. A review
// that is open already is left alone, so a second run changes nothing. A
// lead that got a new open review since the clear keeps it (the old review
// is skipped and reported): there can be only one open review per lead.
func (s *Store) RestoreFlags(ctx context.Context, r io.Reader, actor Actor, file string) (RestoreResult, error) {
	var res RestoreResult
	const batch = 500
	recs := make([]FlagRecord, 0, batch)
	flush := func() error {
		if len(recs) == 0 {
			return nil
		}
		err := s.restoreBatch(ctx, recs, actor, file, &res)
		recs = recs[:0]
		return err
	}
	readErr := readFlagFile(r, func(rec FlagRecord) error {
		res.Records++
		recs = append(recs, rec)
		if len(recs) == batch {
			return flush()
		}
		return nil
	})
	// The complete records before a damaged end (an interrupted clear) are
	// still good: restore them, then report the damage.
	if err := flush(); err != nil {
		return res, err
	}
	return res, readErr
}

// ErrBadFlagFile means the rollback file is not one `flags clear` wrote, or
// ends early.
var ErrBadFlagFile = errors.New("not a complete reviewq rollback file")

func readFlagFile(r io.Reader, fn func(FlagRecord) error) error {
	dec := json.NewDecoder(r)
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrBadFlagFile, fmt.Sprintf(format, args...))
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return bad("it does not start with a JSON object")
	}
	sawFormat, sawRecords := false, false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return bad("%v", err)
		}
		key, _ := tok.(string)
		switch key {
		case "format":
			var f string
			if err := dec.Decode(&f); err != nil || f != FlagFileFormat {
				return bad("format is not %s", FlagFileFormat)
			}
			sawFormat = true
		case "records":
			if !sawFormat {
				return bad("no format before the records")
			}
			if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
				return bad("records is not an array")
			}
			n := 0
			for dec.More() {
				var rec FlagRecord
				if err := dec.Decode(&rec); err != nil {
					return bad("record %d: %v", n+1, err)
				}
				n++
				if err := fn(rec); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil {
				return bad("it ends after %d records", n)
			}
			sawRecords = true
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return bad("%v", err)
			}
		}
	}
	if _, err := dec.Token(); err != nil || !sawRecords {
		return bad("it ends early")
	}
	return nil
}

func (s *Store) restoreBatch(ctx context.Context, recs []FlagRecord, actor Actor, file string, total *RestoreResult) error {
	var res RestoreResult
	err := s.tx(ctx, func(tx *gorm.DB) error {
		res = RestoreResult{} // a retried transaction counts afresh
		var reviewIDs, leadIDs []int64
		for _, rec := range recs {
			leadIDs = append(leadIDs, rec.Lead.ID)
			if rec.Review != nil {
				reviewIDs = append(reviewIDs, rec.Review.ID)
			}
		}
		// Leads first, then reviews: the lock order of Flag, Decide and Reopen.
		nowFlags, err := leadFlags(tx, leadIDs)
		if err != nil {
			return err
		}
		current := map[int64]Review{}
		if len(reviewIDs) > 0 {
			var revs []Review
			if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id IN ?", reviewIDs).Find(&revs).Error; err != nil {
				return fmt.Errorf("restore flags: lock reviews: %w", err)
			}
			for _, r := range revs {
				current[r.ID] = r
			}
		}
		var existing []int64
		if err := tx.Model(&Lead{}).Where("id IN ?", leadIDs).Pluck("id", &existing).Error; err != nil {
			return fmt.Errorf("restore flags: find leads: %w", err)
		}
		leadExists := map[int64]bool{}
		for _, id := range existing {
			leadExists[id] = true
		}
		open, err := openReviewsOf(tx, leadIDs)
		if err != nil {
			return err
		}
		var reopen []int64
		var insert []*Review
		var events []*ReviewEvent
		var leads []LeadFlag
		for _, rec := range recs {
			lead := rec.Lead
			if !leadExists[lead.ID] {
				res.skip("lead %d no longer exists", lead.ID)
				continue
			}
			if rec.Review == nil {
				switch now := nowFlags[lead.ID]; {
				case open[lead.ID]:
					res.skip("lead %d: has an open review now; its flag follows that review", lead.ID)
				case sameFlag(now, lead):
					res.AlreadyOpen++
				case now.RequiresHumanReview:
					res.skip("lead %d: is flagged differently now", lead.ID)
				default:
					leads = append(leads, lead)
				}
				continue
			}
			r := *rec.Review
			if r.LeadID != lead.ID || r.Status != StatusPending {
				res.skip("review %d: the record is not a pending review of lead %d", r.ID, lead.ID)
				continue
			}
			cur, found := current[r.ID]
			switch {
			case found && cur.Status == StatusPending:
				res.AlreadyOpen++
				continue
			case found && cur.Status != StatusCleared:
				res.skip("review %d: it is %s now", r.ID, cur.Status)
				continue
			case found && cur.LeadID != r.LeadID:
				res.skip("review %d: belongs to lead %d in this database, not %d", r.ID, cur.LeadID, r.LeadID)
				continue
			case open[lead.ID]:
				res.skip("review %d: lead %d has another open review now", r.ID, lead.ID)
				continue
			}
			open[lead.ID] = true // two records of one lead: only the first reopens
			if found {
				reopen = append(reopen, r.ID)
			} else {
				leadID := r.LeadID
				r.OpenLeadID = &leadID
				insert = append(insert, &r)
			}
			events = append(events, newEvent(&r, EventRestored, actor, map[string]any{"file": file}))
			leads = append(leads, lead)
		}
		res.Restored = len(leads)
		if res.Restored == 0 {
			return nil
		}
		restoredIDs := make([]int64, len(leads))
		for i, l := range leads {
			restoredIDs[i] = l.ID
		}
		ob, err := s.outbox(ctx, tx, restoredIDs...)
		if err != nil {
			return err
		}
		withReview := map[int64]bool{}
		for _, e := range events {
			ob.eligibilityMayChange(e.LeadID, e.ReviewID, AuditFlagsRestore)
			withReview[e.LeadID] = true
		}
		for _, l := range leads {
			if !withReview[l.ID] {
				ob.eligibilityMayChange(l.ID, 0, AuditFlagsRestore)
			}
		}
		if len(reopen) > 0 {
			if err := tx.Model(&Review{}).Where("id IN ? AND status = ?", reopen, StatusCleared).
				UpdateColumns(map[string]any{"status": StatusPending, "open_lead_id": gorm.Expr("lead_id")}).Error; err != nil {
				return fmt.Errorf("restore flags: reopen reviews: %w", err)
			}
		}
		if len(insert) > 0 {
			if err := tx.Create(insert).Error; err != nil {
				return fmt.Errorf("restore flags: insert reviews: %w", err)
			}
		}
		now := Now()
		// One UPDATE per distinct set of seed values (reasons repeat a lot),
		// not one per lead.
		type seedValues struct {
			flagged            bool
			typeNil, reasonNil bool
			typ, reason        string
		}
		groups := map[seedValues][]int64{}
		var order []seedValues
		for _, l := range leads {
			k := seedValues{l.RequiresHumanReview, l.ReviewType == nil, l.ReviewReason == nil, deref(l.ReviewType), deref(l.ReviewReason)}
			if _, ok := groups[k]; !ok {
				order = append(order, k)
			}
			groups[k] = append(groups[k], l.ID)
		}
		for _, k := range order {
			var typ, reason any
			if !k.typeNil {
				typ = k.typ
			}
			if !k.reasonNil {
				reason = k.reason
			}
			if err := tx.Model(&Lead{}).Where("id IN ?", groups[k]).Updates(map[string]any{
				"requires_human_review": k.flagged, "review_type": typ, "review_reason": reason, "updated_at": now}).Error; err != nil {
				return fmt.Errorf("restore flags: update leads: %w", err)
			}
		}
		if len(events) > 0 {
			if err := tx.CreateInBatches(events, 500).Error; err != nil {
				return fmt.Errorf("restore flags: write history: %w", err)
			}
		}
		if err := ob.write(ctx, tx); err != nil {
			return err
		}
		return auditRollback(tx, actor, AuditFlagsRestore, file, map[string]any{
			"restored": res.Restored, "reopened": len(reopen), "reinserted": len(insert)})
	})
	if err != nil {
		return err
	}
	total.Restored += res.Restored
	total.AlreadyOpen += res.AlreadyOpen
	total.Skipped += res.Skipped
	for _, p := range res.Problems {
		if len(total.Problems) < 20 {
			total.Problems = append(total.Problems, p)
		}
	}
	return nil
}
