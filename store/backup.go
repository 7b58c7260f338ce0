package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ErrBackupNeedsSQLite: `reviewq backup` copies the embedded SQLite file;
// a MySQL/MariaDB database is backed up with the server's own tools.
var ErrBackupNeedsSQLite = errors.New("reviewq backup copies the embedded SQLite database; for MySQL/MariaDB use " +
	"mysqldump --single-transaction --routines --triggers (see docs/operations.md, \"Backup and restore\")")

// BackupInfo describes a finished backup.
type BackupInfo struct {
	Path          string
	Bytes         int64
	SchemaVersion int64
}

// BackupSQLite writes a consistent copy of the live SQLite database to path
// with VACUUM INTO: one read transaction, so writers carry on and the copy
// is the database at one instant (WAL content included). It refuses to
// overwrite a file, and checks the copy before reporting success.
func (s *Store) BackupSQLite(ctx context.Context, path string) (*BackupInfo, error) {
	if s.Dialect != SQLite {
		return nil, ErrBackupNeedsSQLite
	}
	if _, err := os.Stat(path); err == nil {
		return nil, invalid("file", "%s already exists; backups are never overwritten", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, invalid("file", "%v", err)
	}
	if fi, err := os.Stat(filepath.Dir(abs)); err != nil || !fi.IsDir() {
		return nil, invalid("file", "folder %s does not exist", filepath.Dir(abs))
	}
	if err := s.DB.WithContext(ctx).Exec("VACUUM INTO ?", abs).Error; err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	// The copy holds personal data: owner only.
	if err := os.Chmod(abs, 0o600); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	cp, err := Open(ctx, "sqlite:"+abs, Options{MaxOpenConns: 1})
	if err != nil {
		return nil, fmt.Errorf("backup: open the copy: %w", err)
	}
	defer cp.Close()
	var check string
	if err := cp.DB.WithContext(ctx).Raw("PRAGMA quick_check").Scan(&check).Error; err != nil || check != "ok" {
		return nil, fmt.Errorf("backup: the copy at %s fails its check (%q, %v)", abs, check, err)
	}
	cur, _, err := cp.SchemaVersions(ctx)
	if err != nil {
		return nil, fmt.Errorf("backup: the copy at %s: %w", abs, err)
	}
	info := &BackupInfo{Path: abs, SchemaVersion: cur}
	if fi, err := os.Stat(abs); err == nil {
		info.Bytes = fi.Size()
	}
	return info, nil
}
