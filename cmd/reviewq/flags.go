package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"reviewq/store"
)

// cmdFlags is the emergency rollback: `flags clear` takes every pending
// review and open flag out of play after saving them to a file, `flags
// restore FILE` puts them back.
func cmdFlags(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		return usagef("say clear or restore")
	}
	switch args[0] {
	case "clear":
		return flagsClear(ctx, env, args[1:])
	case "restore":
		return flagsRestore(ctx, env, args[1:])
	}
	return usagef("unknown flags action %q: say clear or restore", args[0])
}

func flagsClear(ctx context.Context, env *Env, args []string) error {
	fs := flag.NewFlagSet("flags clear", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	out := fs.String("out", "", "file to write the cleared flags to (default reviewq-flags-TIMESTAMP.json in the current folder)")
	dryRun := fs.Bool("dry-run", false, "only say how many pending reviews and lead flags would be cleared")
	if err := fs.Parse(args); err != nil {
		return usagef("%v", err)
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if *dryRun {
		return flagsCount(ctx, env)
	}
	path := *out
	if path == "" {
		path = "reviewq-flags-" + time.Now().UTC().Format("20060102T150405Z") + ".json"
	}
	if _, err := os.Stat(path); err == nil {
		return usagef("%s already exists: it may hold the only copy of earlier flags; choose another --out", path)
	}
	if fi, err := os.Stat(filepath.Dir(path)); err != nil || !fi.IsDir() {
		return usagef("folder %s does not exist: the cleared flags must be saved before anything is cleared", filepath.Dir(path))
	}
	st, err := openCurrentStore(ctx, env)
	if err != nil {
		return err
	}
	defer st.Close()
	if set, err := st.Settings(ctx); err == nil && set.QueueEnabled() {
		fmt.Fprintln(env.Stderr, "warning: the queue is on (queue.enabled), so engines can flag leads again during and after the clear;"+
			" to stop that first: reviewq settings set queue.enabled false")
	}

	// The file is created on the first batch, so "nothing to clear" leaves
	// no empty file behind; each batch is on disk before its transaction
	// commits.
	var f *os.File
	var bw *bufio.Writer
	var fw *store.FlagFileWriter
	write := func(recs []store.FlagRecord) error {
		if f == nil {
			var err error
			f, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600) // #nosec G304 -- the operator names the file on the command line
			if err != nil {
				return err
			}
			bw = bufio.NewWriterSize(f, 1<<16)
			fw = store.NewFlagFileWriter(bw, st.Dialect)
		}
		if err := fw.Write(recs); err != nil {
			return err
		}
		if err := bw.Flush(); err != nil {
			return err
		}
		return f.Sync()
	}
	abs, _ := filepath.Abs(path)
	res, clearErr := st.ClearFlags(ctx, store.ClearOptions{Actor: cliActor(), File: abs, Write: write})
	if f != nil {
		err := fw.Close()
		if err == nil {
			err = bw.Flush()
		}
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil && clearErr == nil {
			clearErr = fmt.Errorf("finish %s: %w", path, err)
		}
	}
	if clearErr != nil {
		if f != nil {
			fmt.Fprintf(env.Stderr, "what was cleared before the error is in %s; run the command again with another --out to finish\n", abs)
		}
		return clearErr
	}
	if res.Total() == 0 {
		fmt.Fprintln(env.Stdout, "nothing to clear: no pending reviews and no flagged leads")
		return nil
	}
	fmt.Fprintf(env.Stdout, "cleared %d pending reviews and %d lead flags without a review\nsaved to %s\nto put them back: reviewq flags restore %s\n",
		res.Reviews, res.Leads, abs, abs)
	return nil
}

func flagsCount(ctx context.Context, env *Env) error {
	st, err := openCurrentStore(ctx, env)
	if err != nil {
		return err
	}
	defer st.Close()
	n, err := st.CountFlagsToClear(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "would clear %d pending reviews and %d lead flags without a review (dry run: nothing changed)\n", n.Reviews, n.Leads)
	return nil
}

func flagsRestore(ctx context.Context, env *Env, args []string) error {
	fs := flag.NewFlagSet("flags restore", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	if err := fs.Parse(args); err != nil {
		return usagef("%v", err)
	}
	if fs.NArg() != 1 {
		return usagef("say which file: reviewq flags restore FILE")
	}
	path := fs.Arg(0)
	f, err := os.Open(path) // #nosec G304 -- the operator names the file on the command line
	if err != nil {
		return usagef("cannot open %s: %v", path, errors.Unwrap(err))
	}
	defer f.Close()
	st, err := openCurrentStore(ctx, env)
	if err != nil {
		return err
	}
	defer st.Close()
	abs, _ := filepath.Abs(path)
	res, err := st.RestoreFlags(ctx, bufio.NewReaderSize(f, 1<<16), cliActor(), abs)
	for _, p := range res.Problems {
		fmt.Fprintf(env.Stderr, "not restored: %s\n", p)
	}
	if res.Skipped > len(res.Problems) {
		fmt.Fprintf(env.Stderr, "... and %d more not restored\n", res.Skipped-len(res.Problems))
	}
	if res.Records > 0 || err == nil {
		fmt.Fprintf(env.Stdout, "restored %d of %d flags (%d were open already, %d could not be restored)\n",
			res.Restored, res.Records, res.AlreadyOpen, res.Skipped)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// cliActor is who the audit log names for an admin command.
func cliActor() store.Actor {
	name := "cli"
	if u := os.Getenv("USER"); u != "" {
		name = "cli:" + u
	}
	return store.Actor{Type: store.ActorSystem, Name: name}
}
