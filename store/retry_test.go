package store_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"testing"

	"github.com/go-sql-driver/mysql"

	"reviewq/store"
	"reviewq/store/storetest"
)

// openMySQL returns a fresh migrated MariaDB store with the given options.
func openMySQL(t *testing.T, opt store.Options) *store.Store {
	t.Helper()
	return storetest.OpenWith(t, store.MySQL, opt)
}

func countEvents(t *testing.T, st *store.Store, reviewID int64, kind string) int64 {
	t.Helper()
	var n int64
	if err := st.DB.Model(&store.ReviewEvent{}).Where("review_id = ? AND kind = ?", reviewID, kind).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func reviewNow(t *testing.T, st *store.Store, id int64) store.Review {
	t.Helper()
	var r store.Review
	if err := st.DB.Where("id = ?", id).Take(&r).Error; err != nil {
		t.Fatal(err)
	}
	return r
}

// TestDeadlockVictimIsRunAgain: a transaction InnoDB picks as a deadlock
// victim (1213, what a Galera certification failure also reports) is run
// again whole and succeeds, once: a flag (tx) and a decision (the batch
// writer).
func TestDeadlockVictimIsRunAgain(t *testing.T) {
	st := openMySQL(t, store.Options{})
	ctx := context.Background()
	rv := storetest.FlaggedLead(t, st, "deadlock-1", store.TypeMessage)

	var flagErr error
	storetest.Deadlock(t, st, rv.LeadID, rv.ID, func() {
		_, flagErr = st.Flag(ctx, rv.LeadID, store.FlagInput{ReviewType: store.TypeMessage, Reason: "second reason"}, store.SystemActor)
	}, nil)
	if flagErr != nil {
		t.Fatalf("flag after a deadlock: %v", flagErr)
	}
	if retries, _ := st.TxRetries(); retries == 0 {
		t.Fatal("no transaction was run again: the deadlock did not happen")
	}
	if n := countEvents(t, st, rv.ID, store.EventFlagged); n != 2 {
		t.Fatalf("flag events: %d, want 2 (the first flag and the retried one, once)", n)
	}

	before, _ := st.TxRetries()
	var decided *store.Decision
	var decideErr error
	storetest.Deadlock(t, st, rv.LeadID, rv.ID, func() {
		decided, decideErr = st.Decide(ctx, store.DecideInput{ReviewID: rv.ID, Outcome: store.OutcomeApprove, Actor: store.SystemActor})
	}, nil)
	if decideErr != nil || decided.Status != store.StatusApproved {
		t.Fatalf("decision after a deadlock: %v %+v", decideErr, decided)
	}
	if after, _ := st.TxRetries(); after == before {
		t.Fatal("the decision was not run again: the deadlock did not happen")
	}
	if r := reviewNow(t, st, rv.ID); r.Status != store.StatusApproved || r.Version != decided.Version {
		t.Fatalf("review after the decision: %+v", r)
	}
	if n := countEvents(t, st, rv.ID, store.EventApproved); n != 1 {
		t.Fatalf("approved events: %d, want 1", n)
	}
}

// TestRetriesRunOutAsErrUnavailable: with the retry budget at one attempt a
// deadlock is not run again; the caller gets ErrUnavailable naming the
// conflict, and nothing changed.
func TestRetriesRunOutAsErrUnavailable(t *testing.T) {
	st := openMySQL(t, store.Options{TxAttempts: 1})
	ctx := context.Background()
	rv := storetest.FlaggedLead(t, st, "deadlock-2", store.TypeMessage)

	var flagErr error
	storetest.Deadlock(t, st, rv.LeadID, rv.ID, func() {
		_, flagErr = st.Flag(ctx, rv.LeadID, store.FlagInput{ReviewType: store.TypeMessage, Reason: "second reason"}, store.SystemActor)
	}, nil)
	if !errors.Is(flagErr, store.ErrUnavailable) || !store.Conflict(flagErr) {
		t.Fatalf("flag with no retries left: %v", flagErr)
	}
	var decideErr error
	storetest.Deadlock(t, st, rv.LeadID, rv.ID, func() {
		_, decideErr = st.Decide(ctx, store.DecideInput{ReviewID: rv.ID, Outcome: store.OutcomeApprove, Actor: store.SystemActor})
	}, nil)
	if !errors.Is(decideErr, store.ErrUnavailable) || !store.Conflict(decideErr) {
		t.Fatalf("decision with no retries left: %v", decideErr)
	}
	if r := reviewNow(t, st, rv.ID); r.Status != store.StatusPending || r.Version != rv.Version || r.Reason != rv.Reason {
		t.Fatalf("the refused transactions changed the review: %+v", r)
	}
	if _, unavailable := st.TxRetries(); unavailable != 2 {
		t.Fatalf("transactions given up: %d, want 2", unavailable)
	}
}

// TestBatchConflictFailsOnlyItsItem: a decision batch meets a conflict on
// one of its reviews, which another writer (another Galera node, here a
// second connection) decides meanwhile. The other decisions of the batch go
// through; that one gets a 409 naming the winner — whether the batch is run
// again whole (the usual budget) or, its retries spent, split into single
// decisions.
func TestBatchConflictFailsOnlyItsItem(t *testing.T) {
	for _, tc := range []struct {
		name     string
		attempts int
		// batches: transactions the writer ran for the three decisions,
		// carrying decisions in all.
		batches, decisions int64
	}{{"run again whole", 0, 1, 3}, {"split after its retries", 1, 4, 6}} {
		t.Run(tc.name, func(t *testing.T) {
			st := openMySQL(t, store.Options{TxAttempts: tc.attempts})
			var rvs []*store.Review
			var ins []store.DecideInput
			for i := range 3 {
				rv := storetest.FlaggedLead(t, st, fmt.Sprintf("batch-conflict-%d", i), store.TypeMessage)
				rvs = append(rvs, rv)
				ins = append(ins, store.DecideInput{ReviewID: rv.ID, Outcome: store.OutcomeApprove, Actor: store.SystemActor})
			}
			contested := rvs[1]
			var out []store.DecisionOutcome
			storetest.Deadlock(t, st, contested.LeadID, contested.ID, func() { out = st.WriteDecisionBatch(ins) }, func(tx *sql.Tx) {
				if _, err := tx.Exec(`UPDATE reviews SET status = 'rejected', open_lead_id = NULL, decided_by_type = 'operator',
					decided_by_name = 'Winner', decided_at = UTC_TIMESTAMP(6), version = version + 1 WHERE id = ?`, contested.ID); err != nil {
					t.Fatal(err)
				}
			})
			for i, o := range out {
				if i == 1 {
					var ce *store.ConflictError
					if !errors.As(o.Err, &ce) || ce.DecidedBy != "Winner" || ce.Status != store.StatusRejected {
						t.Fatalf("the contested decision: %v", o.Err)
					}
					continue
				}
				if o.Err != nil || o.Review.Status != store.StatusApproved {
					t.Fatalf("decision %d beside the conflict: %v", i, o.Err)
				}
				if r := reviewNow(t, st, rvs[i].ID); r.Status != store.StatusApproved || countEvents(t, st, r.ID, store.EventApproved) != 1 {
					t.Fatalf("review %d: %+v", i, r)
				}
			}
			if r := reviewNow(t, st, contested.ID); r.Status != store.StatusRejected || countEvents(t, st, r.ID, store.EventApproved) != 0 {
				t.Fatalf("the contested review: %+v", r)
			}
			if batches, decisions := st.DecisionBatches(); batches != tc.batches || decisions != tc.decisions {
				t.Fatalf("writer transactions: %d carrying %d decisions, want %d carrying %d", batches, decisions, tc.batches, tc.decisions)
			}
		})
	}
}

// TestLostCommitRunAgainAnswersOwnDecision: when the connection is lost
// during COMMIT the writer runs the batch again, not knowing whether it
// committed. A decision that did commit finds the review decided by itself
// — same version, time, outcome and actor — and is answered 200 with it, not
// 409; it is in the database once. A new decision of the same actor on the
// decided review is still refused.
func TestLostCommitRunAgainAnswersOwnDecision(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		rv := storetest.FlaggedLead(t, st, "lost-commit-1", store.TypeMessage)
		in := store.DecideInput{ReviewID: rv.ID, Outcome: store.OutcomeReject, Actor: store.SystemActor}
		first, again := st.DecideThenRunAgain(in)
		if first.Err != nil || again.Err != nil {
			t.Fatalf("first %v, run again %v", first.Err, again.Err)
		}
		if again.Review.Status != store.StatusRejected || again.Review.Version != first.Review.Version ||
			!again.Review.DecidedAt.Equal(*first.Review.DecidedAt) {
			t.Fatalf("run again answered %+v, first %+v", again.Review, first.Review)
		}
		if n := countEvents(t, st, rv.ID, store.EventRejected); n != 1 {
			t.Fatalf("rejected events: %d, want 1", n)
		}
		out := st.WriteDecisionBatch([]store.DecideInput{in})
		var ce *store.ConflictError
		if !errors.As(out[0].Err, &ce) {
			t.Fatalf("a new decision on the decided review: %v", out[0].Err)
		}
	})
}

// TestWhatIsRetried: the errors a transaction is run again for, and which
// of them prove that nothing was written (so even a statement outside a
// transaction, or a COMMIT, may be sent again).
func TestWhatIsRetried(t *testing.T) {
	for _, tc := range []struct {
		name                string
		err                 error
		transient, conflict bool
	}{
		{"deadlock or certification failure", &mysql.MySQLError{Number: 1213}, true, true},
		{"lock wait timeout", &mysql.MySQLError{Number: 1205}, true, true},
		{"node not ready", fmt.Errorf("lock reviews: %w", &mysql.MySQLError{Number: 1047, Message: "WSREP has not yet prepared node for application use"}), true, false},
		{"connection killed", &mysql.MySQLError{Number: 1927}, true, false},
		{"nothing sent", driver.ErrBadConn, true, false},
		{"connection lost", mysql.ErrInvalidConn, true, false},
		{"connection refused", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}, true, false},
		{"retries spent", &store.UnavailableError{Attempts: 6, Err: &mysql.MySQLError{Number: 1213}}, true, true},
		{"duplicate key", &mysql.MySQLError{Number: 1062}, false, false},
		{"trigger refused", &mysql.MySQLError{Number: 1644}, false, false},
		{"conflict answer", &store.ConflictError{Message: "already approved"}, false, false},
		{"not found", store.ErrNotFound, false, false},
	} {
		if got := store.Transient(tc.err); got != tc.transient {
			t.Errorf("%s: Transient %v, want %v", tc.name, got, tc.transient)
		}
		if got := store.Conflict(tc.err); got != tc.conflict {
			t.Errorf("%s: Conflict %v, want %v", tc.name, got, tc.conflict)
		}
	}
	if err := (&store.UnavailableError{Err: mysql.ErrInvalidConn}); !errors.Is(err, store.ErrUnavailable) || !errors.Is(err, mysql.ErrInvalidConn) {
		t.Fatal("UnavailableError is not ErrUnavailable wrapping its cause")
	}
}
