package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"reviewq/store"
)

func ms(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d.Microseconds())/1000) }

// report prints the table and writes it, with the machine, date and commit,
// to the results folder.
func report(o Options, scale string, size store.DatasetSize, results []Result) error {
	var b strings.Builder
	commit := "unknown"
	if out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output(); err == nil {
		commit = strings.TrimSpace(string(out))
	}
	fmt.Fprintf(&b, "reviewq benchmark — %s, commit %s\n", store.DisplayTime(time.Now()), commit)
	fmt.Fprintf(&b, "machine: %s, %d cores, %s; database: %s\n", cpuModel(), runtime.NumCPU(), memTotal(), redact(o.DatabaseURL))
	fmt.Fprintf(&b, "data set (%s): %d leads, %d pending, %d decided; %d connections, %s per scenario after %s warm-up\n\n",
		scale, size.Leads, size.Pending, size.Decided, o.Concurrency, o.Duration, o.Warmup)
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\treq/s\tp50 ms\tp95 ms\tp99 ms\tmax ms\trequests\terrors\tpeak RSS MB\t")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%.0f\t%s\t%s\t%s\t%s\t%d\t%d\t%.0f\t\n", r.Name, r.RPS, ms(r.P50), ms(r.P95), ms(r.P99), ms(r.Max), r.Requests, r.Errors, r.PeakRSS)
	}
	_ = tw.Flush()
	for _, r := range results {
		var codes []string
		for c, n := range r.Codes {
			codes = append(codes, fmt.Sprintf("%s×%d", c, n))
		}
		sort.Strings(codes)
		line := fmt.Sprintf("%s: status %s", r.Name, strings.Join(codes, " "))
		if r.Note != "" {
			line += "; " + r.Note
		}
		fmt.Fprintln(&b, line)
	}
	fmt.Fprint(o.Out, b.String())
	if o.ResultsDir == "" {
		return nil
	}
	if err := os.MkdirAll(o.ResultsDir, 0o755); err != nil {
		return err
	}
	name := filepath.Join(o.ResultsDir, fmt.Sprintf("%s-%s-%s.txt", time.Now().UTC().Format("20060102-1504"), scale, commit))
	if err := os.WriteFile(name, []byte(b.String()), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(o.Log, "results written to %s\n", name)
	return nil
}

func redact(u string) string {
	if i := strings.Index(u, "@"); i > 0 {
		if j := strings.Index(u, "://"); j > 0 && j < i {
			return u[:j+3] + "…" + u[i:]
		}
	}
	return u
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "model name") {
			if _, v, ok := strings.Cut(l, ":"); ok {
				return strings.TrimSpace(v)
			}
		}
	}
	return runtime.GOARCH
}

func memTotal() string {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return "?"
	}
	var kb int64
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "MemTotal:") {
			fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(l, "MemTotal:")), "%d", &kb)
		}
	}
	return fmt.Sprintf("%.0f GiB RAM", float64(kb)/1024/1024)
}
