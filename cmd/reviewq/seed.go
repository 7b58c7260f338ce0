package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"reviewq/store"
)

func cmdSeed(ctx context.Context, env *Env, args []string) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	leads := fs.Int("leads", 0, "number of leads")
	pending := fs.Int("pending", 0, "how many of them get an open review")
	decided := fs.Int("decided", 0, "how many get a decided review with history")
	if err := fs.Parse(args); err != nil {
		return usagef("%v", err)
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if *leads <= 0 {
		return usagef("--leads must be a positive number")
	}
	if *pending < 0 || *decided < 0 || *pending+*decided > *leads {
		return usagef("--pending plus --decided must be from 0 to --leads")
	}
	st, err := openCurrentStore(ctx, env)
	if err != nil {
		return err
	}
	defer st.Close()
	start := time.Now()
	last := time.Now()
	err = st.Seed(ctx, store.SeedOptions{Leads: *leads, Pending: *pending, Decided: *decided, Progress: func(done int) {
		if time.Since(last) > 5*time.Second {
			fmt.Fprintf(env.Stderr, "  %d leads...\n", done)
			last = time.Now()
		}
	}})
	if err != nil {
		return err
	}
	el := time.Since(start)
	fmt.Fprintf(env.Stdout, "seeded %d leads (%d pending, %d decided) in %s (%.0f leads/s)\n", *leads, *pending, *decided,
		el.Round(time.Millisecond), float64(*leads)/el.Seconds())
	return nil
}
