// Package store owns the database: the GORM models, every query and every
// transaction. Domain operations (flag, decide, ...) are methods on Store that
// take a context; nothing outside this package writes SQL.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/glebarez/sqlite"
	mysqldriver "github.com/go-sql-driver/mysql"
	"gorm.io/driver/mysql"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Dialect names the two supported databases.
type Dialect string

const (
	SQLite Dialect = "sqlite"
	MySQL  Dialect = "mysql"
)

// DefaultURL is the embedded database used when none is configured.
const DefaultURL = "sqlite:data/reviewq.db"

// Store is the handle every handler and command uses.
type Store struct {
	DB      *gorm.DB
	SQL     *sql.DB
	Dialect Dialect
	// Path of the SQLite file; empty for MySQL.
	Path string
	// webhookKey seals the webhook signing secrets (nil: Options had no
	// SecretKey); derived once.
	webhookKey []byte

	// opts is what Open was given, zero values replaced by the defaults.
	opts     Options
	settings *settingsCache
	reads    *readCache
	// lists caches shared pages of the queue (ListPendingShared).
	lists *readCache
	// decisions feeds the decision writers; closed stops them.
	decisions chan *decideItem
	closed    chan struct{}
	closeOnce sync.Once
	// decisionBatches and decisionsBatched count the writers' work.
	decisionBatches, decisionsBatched atomic.Int64
	// txAttempts bounds the runs of one transaction (retry.go); txRetries
	// and txUnavailable count re-runs and transactions given up.
	txAttempts               int
	txRetries, txUnavailable atomic.Int64
	// statLane spreads the counter rows of this instance apart from those
	// of instances on other Galera nodes (galera.go); 0 elsewhere.
	statLane atomic.Int64
	// subs caches which endpoints subscribe to which events (outbox.go).
	subs subscriptionCache
	// rules caches the active auto-assignment rules (assignment.go).
	rules ruleCache
}

// Options configure one Store: the pool, its caches and the lifetimes and
// limits of logins and claims. Zero values take the defaults below, so two
// stores in one process can differ (nothing here is a package variable).
type Options struct {
	MaxOpenConns int
	Logger       *slog.Logger
	// ReadCacheTTL, when set, caches the queue's aggregate reads (counts,
	// queue stats, stats figures) and its shared list pages for that long
	// on this instance; the server uses about a second, tests and commands
	// leave it off.
	ReadCacheTTL time.Duration
	// SessionLifetime is the absolute lifetime of a login; SessionIdle ends
	// a session nobody used for that long.
	SessionLifetime time.Duration
	SessionIdle     time.Duration
	// ClaimLease is how long a claim holds without renewal. The queue page
	// renews it while the operator has the review open.
	ClaimLease time.Duration
	// LoginWindow is how far back failed logins count; MaxAccountFailures
	// per account and client address, and MaxAddressFailures per client
	// address (higher, since several people can share an address) are
	// allowed within it. An account with MaxAccountFailures failures from
	// all addresses together gets one try per LoginSlowdown from the
	// addresses that failed on it (store/throttle.go).
	LoginWindow        time.Duration
	MaxAccountFailures int
	MaxAddressFailures int
	LoginSlowdown      time.Duration
	// PasswordLinkLifetime is how long a set-password link works.
	PasswordLinkLifetime time.Duration
	// SettingsTTL is how long this instance trusts its cached settings; a
	// change made on any instance is seen by every other one within it.
	SettingsTTL time.Duration
	// TxAttempts bounds how many times a transaction that hit a conflict
	// or a node that was not ready is run (retry.go); 0 means 6. Tests set
	// 1 to see what a client gets when retries run out.
	TxAttempts int
	// SecretKey is the deployment's key material (REVIEWQ_SESSION_SECRET):
	// webhook signing secrets are sealed under a key derived from it
	// (seal.go). Without it no webhook can be created or rotated, and a
	// sealed secret cannot be used.
	SecretKey []byte
}

// The defaults of Options.
const (
	DefaultSessionLifetime      = 12 * time.Hour
	DefaultSessionIdle          = 2 * time.Hour
	DefaultClaimLease           = 10 * time.Minute
	DefaultLoginWindow          = 15 * time.Minute
	DefaultMaxAccountFailures   = 5
	DefaultMaxAddressFailures   = 30
	DefaultLoginSlowdown        = 10 * time.Second
	DefaultPasswordLinkLifetime = 72 * time.Hour
	DefaultSettingsTTL          = 2 * time.Second
)

// withDefaults fills the zero fields.
func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.SessionLifetime, DefaultSessionLifetime)
	def(&o.SessionIdle, DefaultSessionIdle)
	def(&o.ClaimLease, DefaultClaimLease)
	def(&o.LoginWindow, DefaultLoginWindow)
	def(&o.LoginSlowdown, DefaultLoginSlowdown)
	def(&o.PasswordLinkLifetime, DefaultPasswordLinkLifetime)
	def(&o.SettingsTTL, DefaultSettingsTTL)
	if o.MaxAccountFailures <= 0 {
		o.MaxAccountFailures = DefaultMaxAccountFailures
	}
	if o.MaxAddressFailures <= 0 {
		o.MaxAddressFailures = DefaultMaxAddressFailures
	}
	return o
}

// Options returns the options this store runs with, defaults filled in.
func (s *Store) Options() Options { return s.opts }

// ParseURL splits a REVIEWQ_DATABASE_URL into dialect and driver DSN.
func ParseURL(raw string) (Dialect, string, error) {
	if raw == "" {
		raw = DefaultURL
	}
	switch {
	case strings.HasPrefix(raw, "sqlite:"):
		path := strings.TrimPrefix(raw, "sqlite:")
		path = strings.TrimPrefix(path, "//")
		if path == "" {
			return "", "", errors.New("database url: sqlite: needs a file path, e.g. sqlite:data/reviewq.db")
		}
		return SQLite, path, nil
	case strings.HasPrefix(raw, "mysql://"):
		u, err := url.Parse(raw)
		if err != nil {
			return "", "", errors.New("database url: cannot parse the mysql:// url")
		}
		cfg := mysqldriver.NewConfig()
		cfg.Net = "tcp"
		cfg.Addr = u.Host
		if u.Port() == "" {
			cfg.Addr = u.Hostname() + ":3306"
		}
		cfg.User = u.User.Username()
		cfg.Passwd, _ = u.User.Password()
		cfg.DBName = strings.TrimPrefix(u.Path, "/")
		if cfg.DBName == "" {
			return "", "", errors.New("database url: mysql:// needs a database name, e.g. mysql://root@127.0.0.1:3306/reviewq")
		}
		// The contract of the store: UTC times, utf8mb4, parsed DATETIMEs,
		// and RowsAffected counting changed rows (clientFoundRows stays off,
		// or the exactly-once check of decisions would break).
		cfg.ParseTime = true
		cfg.Loc = time.UTC
		cfg.Collation = "utf8mb4_unicode_ci"
		cfg.InterpolateParams = true
		cfg.ClientFoundRows = false
		cfg.Timeout = 5 * time.Second
		cfg.ReadTimeout = 30 * time.Second
		cfg.WriteTimeout = 30 * time.Second
		cfg.Params = map[string]string{"time_zone": "'+00:00'"}
		for k, v := range u.Query() {
			switch k {
			case "tls":
				cfg.TLSConfig = v[0]
			case "timeout", "readTimeout", "writeTimeout":
				d, err := time.ParseDuration(v[0])
				if err != nil {
					return "", "", fmt.Errorf("database url: %s: not a duration", k)
				}
				switch k {
				case "timeout":
					cfg.Timeout = d
				case "readTimeout":
					cfg.ReadTimeout = d
				default:
					cfg.WriteTimeout = d
				}
			default:
				return "", "", fmt.Errorf("database url: unsupported parameter %q", k)
			}
		}
		return MySQL, cfg.FormatDSN(), nil
	default:
		return "", "", errors.New("database url: must start with sqlite: or mysql://")
	}
}

// Open connects to the database named by url. It does not migrate.
func Open(ctx context.Context, rawURL string, opt Options) (*Store, error) {
	dialect, dsn, err := ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	gcfg := &gorm.Config{
		// Never print SQL with values filled in: they can be personal data.
		Logger:                 logger.Default.LogMode(logger.Silent),
		TranslateError:         true,
		SkipDefaultTransaction: true,
		NowFunc:                func() time.Time { return Now() },
	}
	opt = opt.withDefaults()
	st := &Store{Dialect: dialect, opts: opt, txAttempts: opt.TxAttempts}
	if len(opt.SecretKey) > 0 {
		st.webhookKey = DeriveKey(opt.SecretKey, "webhook-secret")
	}
	if st.txAttempts <= 0 {
		st.txAttempts = defaultTxAttempts
	}
	var db *gorm.DB
	switch dialect {
	case SQLite:
		st.Path = dsn
		if dir := filepath.Dir(dsn); dir != "." {
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return nil, fmt.Errorf("create database folder: %w", err)
			}
		}
		// WAL lets readers run beside the writer; immediate transactions take
		// the write lock up front so two writers queue on busy_timeout instead
		// of failing on a lock upgrade.
		q := "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_txlock=immediate"
		db, err = gorm.Open(sqlite.Open(dsn+q), gcfg)
	case MySQL:
		db, err = gorm.Open(mysql.New(mysql.Config{DSN: dsn}), gcfg)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", dialect, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", dialect, err)
	}
	maxOpen := opt.MaxOpenConns
	switch dialect {
	case SQLite:
		if maxOpen == 0 {
			maxOpen = 4
		}
	case MySQL:
		if maxOpen == 0 {
			maxOpen = 32
		}
		// Under the server's wait_timeout (8 h by default) and short enough
		// that a fail-over is followed quickly.
		sqlDB.SetConnMaxLifetime(5 * time.Minute)
		sqlDB.SetConnMaxIdleTime(2 * time.Minute)
	}
	sqlDB.SetMaxOpenConns(maxOpen)
	sqlDB.SetMaxIdleConns(maxOpen)
	st.DB = db
	st.SQL = sqlDB
	st.settings = newSettingsCache()
	st.reads = newReadCache(opt.ReadCacheTTL, maxAggregateEntries)
	st.lists = newReadCache(opt.ReadCacheTTL, maxListEntries)
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := sqlDB.PingContext(pctx); err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("connect to %s database: %w", dialect, err)
	}
	// On a Galera node, take this node's counter lane now (readiness checks
	// keep it current); a failure here is readiness's to report.
	_, _ = st.NodeStatus(pctx)
	st.startDecisionWriters()
	return st, nil
}

// Close stops the decision writers and releases the pool.
func (s *Store) Close() error {
	s.closeOnce.Do(func() { close(s.closed) })
	return s.SQL.Close()
}

// Ping checks the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.SQL.PingContext(ctx); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

// DisplayTime is a time as people read it: to the minute, in UTC
// ("2026-03-01 14:02 UTC"). Pages show times in their viewer's zone
// (views.DisplayTime); this is for texts that outlive a request (messages
// stored or logged, errors).
func DisplayTime(t time.Time) string { return DisplayTimeIn(t, time.UTC) }

// DisplayClock is t's time of day, UTC: "14:02 UTC".
func DisplayClock(t time.Time) string { return DisplayClockIn(t, time.UTC) }

// Now is the store's clock: UTC, truncated to microseconds so that SQLite
// and MySQL (DATETIME(6)) hold the same value.
func Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// execAll runs statements in order in a transaction. (Sending them as one
// multi-statement call on MySQL was measured: 3% more decisions per second,
// not worth allowing stacked statements on the connection.)
func (s *Store) execAll(ctx context.Context, conn gorm.ConnPool, sts []statement) error {
	for _, st := range sts {
		if _, err := conn.ExecContext(ctx, st.sql, st.args...); err != nil {
			return err
		}
	}
	return nil
}
