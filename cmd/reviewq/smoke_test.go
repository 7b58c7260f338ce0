package main

import (
	"strings"
	"testing"

	"reviewq/store"
	"reviewq/web/webtest"
)

func TestSmokeAgainstARunningServer(t *testing.T) {
	env := webtest.Start(t, store.SQLite)
	storeURL := "sqlite:" + env.Store.Path
	token := env.Token(t, store.ScopeQueueRead)

	code, out, errOut := opsRun(t, storeURL, "smoke", "--url", env.URL+"/", "--token", token)
	if code != 0 {
		t.Fatalf("smoke against a healthy server: exit %d\n%s%s", code, out, errOut)
	}
	for _, check := range []string{"health", "readiness", "stats", "tasks", "auth refused without a token"} {
		if !strings.Contains(out, "PASS  "+check) {
			t.Fatalf("no PASS line for %s:\n%s", check, out)
		}
	}
	if strings.Contains(out, "FAIL") || !strings.Contains(out, "all 5 checks passed") {
		t.Fatalf("smoke output:\n%s", out)
	}
	if strings.Contains(out+errOut, token) {
		t.Fatal("smoke printed the token")
	}

	// A revoked or wrong token fails the API checks and the exit code.
	code, out, _ = opsRun(t, storeURL, "smoke", "--url", env.URL, "--token", "rq_wrong")
	if code != 1 || !strings.Contains(out, "FAIL  stats") || !strings.Contains(out, "FAIL  tasks") ||
		!strings.Contains(out, "PASS  health") || !strings.Contains(out, "2 of 5 checks failed") {
		t.Fatalf("smoke with a bad token: exit %d\n%s", code, out)
	}

	// Nothing listening: every check fails.
	dead := "http://" + webtest.FreeAddr(t)
	t.Setenv("REVIEWQ_SMOKE_TOKEN", token)
	code, out, _ = opsRun(t, storeURL, "smoke", "--url", dead)
	if code != 1 || strings.Count(out, "FAIL") != 5 {
		t.Fatalf("smoke against nothing: exit %d\n%s", code, out)
	}

	for _, bad := range [][]string{{"smoke"}, {"smoke", "--url", "ftp://x"}, {"smoke", "--url", env.URL, "extra"}} {
		if code, _, errOut := opsRun(t, storeURL, bad...); code != 2 || errOut == "" {
			t.Fatalf("%v: exit %d %q", bad, code, errOut)
		}
	}
}
