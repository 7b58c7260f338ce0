package main

import (
	"context"
	"flag"
	"fmt"

	"reviewq/store"
)

// cmdBackup writes an online, consistent copy of the embedded SQLite
// database; MySQL/MariaDB are backed up with mysqldump (docs/operations.md).
func cmdBackup(ctx context.Context, env *Env, args []string) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	if err := fs.Parse(args); err != nil {
		return usagef("%v", err)
	}
	if fs.NArg() != 1 {
		return usagef("say where to write the copy: reviewq backup FILE")
	}
	if d, _, _ := store.ParseURL(env.Config.DatabaseURL); d != store.SQLite {
		return store.ErrBackupNeedsSQLite
	}
	st, err := openStore(ctx, env)
	if err != nil {
		return err
	}
	defer st.Close()
	info, err := st.BackupSQLite(ctx, fs.Arg(0))
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "backup written to %s (%d bytes, schema version %d)\n", info.Path, info.Bytes, info.SchemaVersion)
	return nil
}
