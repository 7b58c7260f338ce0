package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"

	"reviewq/migrations"
)

// ErrStaleSchema means the database is behind the migrations of this build.
var ErrStaleSchema = errors.New("the database schema is not current: run `reviewq migrate up`")

func (s *Store) migrator() (*goose.Provider, error) {
	sub, err := fs.Sub(migrations.FS, string(s.Dialect))
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	dialect := goose.DialectMySQL
	if s.Dialect == SQLite {
		dialect = goose.DialectSQLite3
	}
	p, err := goose.NewProvider(dialect, s.SQL, sub)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	return p, nil
}

// MigrationResult describes one applied migration.
type MigrationResult struct {
	Version   int64
	Name      string
	Direction string
}

// MigrateUp applies every pending migration.
func (s *Store) MigrateUp(ctx context.Context) ([]MigrationResult, error) {
	p, err := s.migrator()
	if err != nil {
		return nil, err
	}
	res, err := p.Up(ctx)
	return results(res), wrapMigrate(err)
}

// MigrateDownTo rolls back to version (0 removes everything); with
// version < 0 it rolls back exactly one migration.
func (s *Store) MigrateDownTo(ctx context.Context, version int64) ([]MigrationResult, error) {
	p, err := s.migrator()
	if err != nil {
		return nil, err
	}
	if version < 0 {
		r, err := p.Down(ctx)
		if r == nil {
			return nil, wrapMigrate(err)
		}
		return results([]*goose.MigrationResult{r}), wrapMigrate(err)
	}
	res, err := p.DownTo(ctx, version)
	return results(res), wrapMigrate(err)
}

func wrapMigrate(err error) error {
	if err == nil || errors.Is(err, goose.ErrNoNextVersion) || errors.Is(err, goose.ErrNoCurrentVersion) {
		return nil
	}
	return fmt.Errorf("migrate: %w", err)
}

func results(in []*goose.MigrationResult) []MigrationResult {
	out := make([]MigrationResult, 0, len(in))
	for _, r := range in {
		if r == nil || r.Source == nil {
			continue
		}
		out = append(out, MigrationResult{Version: r.Source.Version, Name: r.Source.Path, Direction: r.Direction})
	}
	return out
}

// MigrationStatus is one line of `reviewq migrate status`.
type MigrationStatus struct {
	Version int64
	Name    string
	Applied bool
}

// MigrationsStatus lists every migration and whether it is applied.
func (s *Store) MigrationsStatus(ctx context.Context) ([]MigrationStatus, error) {
	p, err := s.migrator()
	if err != nil {
		return nil, err
	}
	st, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("migration status: %w", err)
	}
	out := make([]MigrationStatus, 0, len(st))
	for _, m := range st {
		out = append(out, MigrationStatus{Version: m.Source.Version, Name: m.Source.Path, Applied: m.State == goose.StateApplied})
	}
	return out, nil
}

// SchemaVersions reports the database's version and this build's latest.
func (s *Store) SchemaVersions(ctx context.Context) (current, latest int64, err error) {
	p, err := s.migrator()
	if err != nil {
		return 0, 0, err
	}
	current, latest, err = p.GetVersions(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("schema version: %w", err)
	}
	return current, latest, nil
}

// CheckSchema returns ErrStaleSchema unless every migration is applied.
func (s *Store) CheckSchema(ctx context.Context) error {
	p, err := s.migrator()
	if err != nil {
		return err
	}
	pending, err := p.HasPending(ctx)
	if err != nil {
		return fmt.Errorf("schema check: %w", err)
	}
	if pending {
		return ErrStaleSchema
	}
	return nil
}
