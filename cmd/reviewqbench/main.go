// Command reviewqbench is the load benchmark behind `make bench`: it seeds
// (or reuses) a data set, starts `reviewq serve` as a separate process, logs
// in, creates a token, and runs each scenario at a fixed concurrency for a
// fixed time, printing throughput, latency percentiles, errors and the
// server's peak RSS. Numbers compare runs on one machine; they are not
// asserted anywhere.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"
)

// Options are the benchmark's knobs.
type Options struct {
	DatabaseURL string
	Binary      string
	Leads       int
	Pending     int
	Decided     int
	Concurrency int
	Duration    time.Duration
	Warmup      time.Duration
	ResultsDir  string
	Only        string
	// Profile names the scenario (substring) to take a CPU profile of.
	Profile string
	// LoginAccounts is how many operators the login scenario signs in as.
	LoginAccounts int
	Out           io.Writer
	Log           io.Writer
}

func main() {
	var o Options
	scale := flag.String("scale", "1m", "data set: 1m (1,000,000 leads, 10,000 pending, 200,000 decided), 10m, 100k (100,000 / 10,000 / 20,000; make bench CLUSTER=1), or tiny")
	tag := flag.String("tag", "", "a word added to the results file's name and the table's heading (e.g. cluster)")
	flag.StringVar(&o.DatabaseURL, "db", os.Getenv("REVIEWQ_BENCH_DATABASE_URL"), "database (created if missing on MySQL); default the local MariaDB's reviewq_bench, reviewq_bench_10m for -scale 10m")
	flag.StringVar(&o.Binary, "bin", "bin/reviewq", "the reviewq binary to start")
	flag.IntVar(&o.Concurrency, "c", 100, "concurrent connections")
	flag.DurationVar(&o.Duration, "d", 10*time.Second, "measured time per scenario")
	flag.DurationVar(&o.Warmup, "warmup", 2*time.Second, "warm-up time per scenario")
	flag.StringVar(&o.ResultsDir, "results", "bench/results", "folder for the results table")
	flag.StringVar(&o.Only, "only", "", "run only scenarios whose name contains this (or any of several, comma-separated)")
	flag.IntVar(&o.LoginAccounts, "login-accounts", 100, "operators (and client addresses) the login scenario uses")
	flag.StringVar(&o.Profile, "profile", "", "take a CPU profile of the server during the scenario whose name contains this")
	flag.Parse()
	switch *scale {
	case "1m":
		o.Leads, o.Pending, o.Decided = 1_000_000, 10_000, 200_000
	case "10m":
		o.Leads, o.Pending, o.Decided = 10_000_000, 100_000, 200_000
	case "100k":
		o.Leads, o.Pending, o.Decided = 100_000, 10_000, 20_000
	case "tiny":
		o.Leads, o.Pending, o.Decided = 2_000, 300, 200
	default:
		fmt.Fprintf(os.Stderr, "reviewqbench: --scale must be 1m, 10m, 100k or tiny\n")
		os.Exit(2)
	}
	if o.DatabaseURL == "" {
		// One database per scale, so a 10m run does not grow the 1m data set.
		o.DatabaseURL = "mysql://root@127.0.0.1:3306/reviewq_bench"
		if *scale == "10m" {
			o.DatabaseURL += "_10m"
		}
	}
	// The load generator shares the machine's two cores with the server and
	// MariaDB: collecting its garbage less often leaves them more CPU.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	o.Out, o.Log = os.Stdout, os.Stderr
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	label := *scale
	if *tag != "" {
		label += "-" + *tag
	}
	if _, err := Run(ctx, o, label); err != nil {
		fmt.Fprintf(os.Stderr, "reviewqbench: %v\n", err)
		os.Exit(1)
	}
}
