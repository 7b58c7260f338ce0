// Package migrations holds the versioned SQL schema, one folder per dialect.
// Files are append-only: a released migration is never edited, a change is a
// new file. MySQL commits DDL implicitly, so each file makes one change.
package migrations

import "embed"

//go:embed mysql/*.sql sqlite/*.sql
var FS embed.FS
