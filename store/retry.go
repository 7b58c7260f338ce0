package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"time"

	mysqldriver "github.com/go-sql-driver/mysql"
	"gorm.io/gorm"
)

// Retried transactions (docs/architecture.md, "Conflicts are retried").
//
// On a Galera cluster every node takes writes and conflicts are found at
// commit: a transaction that touched a row another node changed meanwhile
// fails (certification failure, or a brute-force abort of a local one) with
// 1213, the deadlock error, at any statement or at COMMIT. A node that is
// rejoining answers 1047 until it is synced, and a node that goes away drops
// its connections. None of that says the request was wrong: the whole
// transaction runs again, after a short jittered backoff, a bounded number of
// times; then the caller gets ErrUnavailable (HTTP 503 with Retry-After).

// ErrUnavailable means the database refused or lost a transaction every time
// it was tried (write conflicts, a node not ready, connections lost): the
// request may succeed when sent again shortly.
var ErrUnavailable = errors.New("the database is busy or unavailable; try again shortly")

// UnavailableError is ErrUnavailable with its cause: what the last attempt
// got. errors.Is(err, ErrUnavailable) holds for it.
type UnavailableError struct {
	Attempts int
	// CommitUnknown: the connection was lost while COMMIT ran, so the
	// transaction may have committed (it was not run again).
	CommitUnknown bool
	Err           error
}

func (e *UnavailableError) Error() string {
	if e.CommitUnknown {
		return fmt.Sprintf("database unavailable: connection lost during commit (outcome unknown): %v", e.Err)
	}
	return fmt.Sprintf("database unavailable after %d attempts: %v", e.Attempts, e.Err)
}

func (e *UnavailableError) Unwrap() []error { return []error{ErrUnavailable, e.Err} }

// The retry budget: attempts in all, and the time after which no new attempt
// starts (the context's deadline, when nearer, wins). The backoff before
// attempt n+1 is random in [d/2, d], d = retryBase·2^(n-1) capped at
// retryCap: about 15, 30, 60, 120, 240 ms, under half a second in all, so a
// conflict costs little and an unready node is given up on in about 2 s.
const (
	defaultTxAttempts = 6
	retryWindow       = 2 * time.Second
	retryBase         = 20 * time.Millisecond
	retryCap          = 400 * time.Millisecond
)

func backoff(attempt int) time.Duration {
	d := min(retryBase<<(attempt-1), retryCap)
	return d/2 + rand.N(d/2+1) // #nosec G404 -- jitter, not a secret
}

// MySQL server errors that say the statement or transaction did not happen
// and may be run again.
const (
	erLockWaitTimeout = 1205 // only the statement is rolled back; tx rolls back the rest
	erDeadlock        = 1213 // InnoDB deadlock victim, Galera certification failure or brute-force abort
	erWsrepNotReady   = 1047 // "WSREP has not yet prepared node for application use"
	erServerShutdown  = 1053
	erConnKilled      = 1927 // MariaDB: connection killed (node shutting down)
)

// Transient reports whether err is one a transaction that failed with it may
// be run again for: a conflict, a lock wait timeout, a node not (yet) ready,
// or a connection that broke. The web layer answers these with 503 and
// Retry-After, never 500.
func Transient(err error) bool {
	return notRun(err) || connectionLost(err)
}

// Conflict reports whether err is (or ended retries on) a write conflict:
// a deadlock or Galera certification failure (1213) or a lock wait timeout
// (1205), as opposed to a node or connection that is away.
func Conflict(err error) bool {
	var me *mysqldriver.MySQLError
	return errors.As(err, &me) && (me.Number == erDeadlock || me.Number == erLockWaitTimeout)
}

// notRun: errors after which the statement (and, within a transaction, the
// whole transaction once rolled back) certainly did not take effect, even
// when COMMIT was the statement.
func notRun(err error) bool {
	if err == nil {
		return false
	}
	var me *mysqldriver.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case erDeadlock, erLockWaitTimeout, erWsrepNotReady:
			return true
		}
		return false
	}
	// driver.ErrBadConn promises nothing was sent; a failed dial sent nothing.
	var oe *net.OpError
	return errors.Is(err, driver.ErrBadConn) || errors.As(err, &oe) && oe.Op == "dial"
}

// connectionLost: the connection broke while a statement ran. Inside a
// transaction before COMMIT that rolls it back; during COMMIT (or a
// statement outside a transaction) the outcome is unknown.
func connectionLost(err error) bool {
	if err == nil {
		return false
	}
	var me *mysqldriver.MySQLError
	if errors.As(err, &me) {
		return me.Number == erServerShutdown || me.Number == erConnKilled
	}
	var ne net.Error
	return errors.Is(err, mysqldriver.ErrInvalidConn) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.As(err, &ne)
}

// commitUnknown marks an attempt that lost its connection during COMMIT.
type commitUnknown struct{ err error }

func (e *commitUnknown) Error() string { return e.err.Error() }
func (e *commitUnknown) Unwrap() error { return e.err }

// retry runs attempt until it succeeds, fails with an error not worth
// retrying (returned as it is), or the budget is spent (UnavailableError).
// again decides whether an error is worth another attempt.
func (s *Store) retry(ctx context.Context, again func(error) bool, attempt func() error) error {
	start := time.Now()
	for n := 1; ; n++ {
		err := attempt()
		var cu *commitUnknown
		if errors.As(err, &cu) {
			s.txUnavailable.Add(1)
			return &UnavailableError{Attempts: n, CommitUnknown: true, Err: cu.err}
		}
		if err == nil || !again(err) || ctx.Err() != nil {
			return err
		}
		wait := backoff(n)
		deadline, hasDeadline := ctx.Deadline()
		if n >= s.txAttempts || (n > 1 && time.Since(start)+wait > retryWindow) ||
			(hasDeadline && time.Until(deadline) < wait) {
			s.txUnavailable.Add(1)
			return &UnavailableError{Attempts: n, Err: err}
		}
		s.txRetries.Add(1)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			s.txUnavailable.Add(1)
			return &UnavailableError{Attempts: n, Err: err}
		case <-t.C:
		}
	}
}

// tx runs fn in one transaction, and runs it again (whole, after a backoff)
// when the database refused or lost it (Transient), up to the retry budget.
// fn must be safe to run again: it keeps no state from an attempt that
// failed (reset what it fills in at its start). A connection lost during
// COMMIT is not retried — the transaction may have committed, and running it
// again could do it twice — but answered ErrUnavailable.
func (s *Store) tx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	return s.runTx(ctx, false, fn)
}

// runTx is tx; rerunUnknownCommit also runs fn again after a connection lost
// during COMMIT, for callers that recognise their own committed work on the
// next attempt (the decision writer).
func (s *Store) runTx(ctx context.Context, rerunUnknownCommit bool, fn func(tx *gorm.DB) error) error {
	err := s.retry(ctx, Transient, func() error {
		committing := false
		err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			if err := fn(tx); err != nil {
				return err
			}
			committing = true
			return nil
		})
		if err != nil && committing && !rerunUnknownCommit && !notRun(err) && connectionLost(err) {
			return &commitUnknown{err}
		}
		return err
	})
	if err == nil {
		s.InvalidateReadCache()
	}
	return err
}

// exec runs one statement outside a transaction (autocommit), again when it
// certainly did not run (a conflict, a node not ready, nothing sent); with
// idempotent set, also after a connection lost mid-statement, when running it
// twice does no harm (an UPDATE to a fixed value, a DELETE).
func (s *Store) exec(ctx context.Context, idempotent bool, fn func(db *gorm.DB) error) error {
	again := notRun
	if idempotent {
		again = Transient
	}
	return s.retry(ctx, again, func() error { return fn(s.DB.WithContext(ctx)) })
}

// TxRetries reports how many times a transaction or statement was run again
// and how many gave up (ErrUnavailable), since the store opened.
func (s *Store) TxRetries() (retries, unavailable int64) {
	return s.txRetries.Load(), s.txUnavailable.Load()
}
