package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"strings"
	"testing"

	"reviewq/store"
	"reviewq/store/storetest"
)

func reportRun(t *testing.T, dbURL string, args ...string) (int, string, string) {
	t.Helper()
	t.Setenv("REVIEWQ_DATABASE_URL", dbURL)
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"report"}, args...), strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestReportCommand(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			u := storetest.URL(t, d)
			st := storetest.OpenURL(t, u)
			if _, err := st.MigrateUp(ctx); err != nil {
				t.Fatal(err)
			}
			ana := store.Actor{Type: store.ActorOperator, ID: 7, Name: "Ana"}
			bob := store.Actor{Type: store.ActorOperator, ID: 8, Name: "-Bob+1"}
			r1 := storetest.FlaggedLead(t, st, "r1", store.TypeProposal)
			r2 := storetest.FlaggedLead(t, st, "r2", store.TypeMessage)
			storetest.FlaggedLead(t, st, "r3", store.TypeMessage)
			if _, err := st.Decide(ctx, store.DecideInput{ReviewID: r1.ID, Outcome: store.OutcomeApprove, Actor: ana}); err != nil {
				t.Fatal(err)
			}
			if _, err := st.Decide(ctx, store.DecideInput{ReviewID: r2.ID, Outcome: store.OutcomeReject, ReasonCode: "duplicate", Actor: bob}); err != nil {
				t.Fatal(err)
			}

			code, out, errOut := reportRun(t, u, "--days", "7")
			if code != 0 {
				t.Fatalf("report: exit %d: %s", code, errOut)
			}
			for _, want := range []string{"(7 days, UTC)", "Total reviewed", "(approved 1, rejected 1, skipped 0)", "Approval rate       50.0%",
				"SLA compliance      100.0%", "False-positive flags by rule", "Per operator", "-Bob+1", "duplicate"} {
				if !strings.Contains(out, want) {
					t.Errorf("text report lacks %q:\n%s", want, out)
				}
			}

			code, out, errOut = reportRun(t, u, "--days", "7", "--csv")
			if code != 0 {
				t.Fatalf("report --csv: exit %d: %s", code, errOut)
			}
			rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
			if err != nil {
				t.Fatalf("not CSV: %v\n%s", err, out)
			}
			got := map[string]string{}
			for _, r := range rows {
				got[r[0]+"/"+r[1]+"/"+r[2]] = r[3]
			}
			for k, want := range map[string]string{
				"summary//total_reviewed": "2", "summary//approval_rate": "0.5000", "summary//flagged": "3",
				"by_type/MESSAGE/false_positive_rate": "1.0000", "operator/Ana/decisions": "1", "operator/'-Bob+1/decisions": "1",
			} {
				if got[k] != want {
					t.Errorf("%s = %q, want %q", k, got[k], want)
				}
			}

			// --rebuild recomputes the aggregates from the reviews: same figures.
			if err := st.DB.Exec("DELETE FROM stats_daily").Error; err != nil {
				t.Fatal(err)
			}
			code, out, errOut = reportRun(t, u, "--days", "1", "--csv", "--rebuild")
			if code != 0 || !strings.Contains(out, "summary,,total_reviewed,2\n") || !strings.Contains(errOut, "rebuilt") {
				t.Errorf("--rebuild: exit %d\n%s\n%s", code, out, errOut)
			}

			for _, bad := range [][]string{{"--days", "0"}, {"--days", "400"}, {"--days", "x"}, {"extra"}} {
				code, out, errOut := reportRun(t, u, bad...)
				if code != 2 || out != "" || !strings.HasPrefix(errOut, "reviewq report: ") {
					t.Errorf("%v: exit %d, stdout %q, stderr %q", bad, code, out, errOut)
				}
			}
		})
	}
}
