package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"reviewq/store"
	"reviewq/web"
)

// cmdReport prints the ops metrics report of the last N days (UTC, today
// included) as text, or as CSV with --csv: the same figures as the stats
// page and its CSV download.
func cmdReport(ctx context.Context, env *Env, args []string) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	// Bad flags get the one-line error of run(), not flag's usage dump.
	fs.SetOutput(io.Discard)
	days := fs.Int("days", 7, "number of days, today included (1 to 366)")
	asCSV := fs.Bool("csv", false, "print CSV (section,group,metric,value) instead of text")
	rebuild := fs.Bool("rebuild", false, "first recompute the daily aggregates from the reviews table (after upgrading a database that has decisions, or to repair)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return usagef("usage: reviewq report [--days N] [--csv] [--rebuild]")
		}
		return usagef("%v", err)
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	rng, err := store.LastDays(store.Now(), *days)
	if err != nil {
		return usagef("--days must be from 1 to %d", store.MaxStatsDays)
	}
	st, err := openCurrentStore(ctx, env)
	if err != nil {
		return err
	}
	defer st.Close()
	if *rebuild {
		if err := st.RebuildDailyStats(ctx); err != nil {
			return err
		}
		fmt.Fprintln(env.Stderr, "daily stats rebuilt from the reviews table")
	}
	rs, err := st.RangeStats(ctx, rng)
	if err != nil {
		return err
	}
	if *asCSV {
		return web.WriteReportCSV(env.Stdout, rs)
	}
	return web.WriteReportText(env.Stdout, rs)
}
