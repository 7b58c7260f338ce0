// Package deploy holds the deployment artefacts (systemd units, the example
// environment file, reviewqctl); its tests check them against the real
// release binary.
package deploy_test

import (
	"debug/elf"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"reviewq/web/webtest"
)

var (
	releaseOnce sync.Once
	releaseBin  string
	releaseErr  string
	releaseDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if releaseDir != "" {
		os.RemoveAll(releaseDir)
	}
	os.Exit(code)
}

// release builds the binary exactly as `make release` does (once per run:
// a build takes minutes on a busy machine), with a known version and commit.
func release(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed")
	}
	releaseOnce.Do(func() {
		dir, err := os.MkdirTemp("", "reviewq-release-")
		if err != nil {
			releaseErr = err.Error()
			return
		}
		releaseDir = dir
		bin := filepath.Join(dir, "reviewq")
		out, err := exec.Command("make", "-C", "..", "release", "BIN="+bin, "VERSION=v9.8.7-test", "COMMIT=abc1234").CombinedOutput()
		switch {
		case err != nil:
			releaseErr = fmt.Sprintf("make release: %v\n%s", err, out)
		case !strings.Contains(string(out), "reviewq v9.8.7-test (abc1234)"):
			releaseErr = fmt.Sprintf("make release did not print the stamped version:\n%s", out)
		default:
			releaseBin = bin
		}
	})
	if releaseErr != "" {
		t.Fatal(releaseErr)
	}
	return releaseBin
}

func TestReleaseBinaryIsStaticAndStamped(t *testing.T) {
	bin := release(t)
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatalf("release binary is not ELF: %v", err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Fatal("release binary has a dynamic loader (PT_INTERP): it is not static")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Fatalf("release binary links %v", libs)
	}
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "reviewq v9.8.7-test (abc1234)" {
		t.Fatalf("reviewq version: %q %v", out, err)
	}
}

func TestSystemdUnitsVerify(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed: unit files not verified")
	}
	bin := release(t)
	dir := t.TempDir()
	for _, name := range []string{"reviewq.service", "reviewq@.service", "reviewq-backup.service", "reviewq-backup.timer"} {
		raw, err := os.ReadFile(filepath.Join("systemd", name))
		if err != nil {
			t.Fatal(err)
		}
		unit := string(raw)
		hardening := []string{"NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
			"CapabilityBoundingSet=\n", "RestrictAddressFamilies=", "SystemCallFilter=@system-service", "MemoryMax=",
			"EnvironmentFile=", "ReadWritePaths=/var/lib/reviewq", "User=reviewq"}
		if strings.HasSuffix(name, ".timer") {
			hardening = nil // a timer only starts its service
		}
		for _, must := range hardening {
			if !strings.Contains(unit, must) {
				t.Fatalf("%s lacks %q", name, strings.TrimSpace(must))
			}
		}
		// verify checks that ExecStart exists: point it at the fresh build.
		unit = strings.ReplaceAll(unit, "/usr/local/bin/reviewq", bin)
		target := filepath.Join(dir, name)
		if name == "reviewq@.service" {
			target = filepath.Join(dir, "reviewq@a.service")
			if err := os.WriteFile(filepath.Join(dir, name), []byte(unit), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(target, []byte(unit), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(analyze, "verify", "--man=no", target)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		// Outside a booted systemd (containers, CI) verify may complain about
		// the host; only messages about our unit count.
		var ours []string
		for _, line := range strings.Split(string(out), "\n") {
			if strings.Contains(line, filepath.Base(target)) {
				ours = append(ours, line)
			}
		}
		if len(ours) > 0 {
			t.Fatalf("systemd-analyze verify %s:\n%s", name, strings.Join(ours, "\n"))
		}
		t.Logf("systemd-analyze verify %s: ok (%v)", name, err)
		if strings.HasSuffix(name, ".timer") {
			continue
		}
		// The hardening, scored by systemd itself: 0 is locked down, 10 is
		// fully exposed; ours scores 1.6.
		sec := exec.Command(analyze, "security", "--offline=yes", "--threshold=20", target)
		sec.Dir = dir
		if out, err := sec.CombinedOutput(); err != nil {
			t.Fatalf("systemd-analyze security %s: exposure above 2.0 (%v):\n%s", name, err, out)
		}
	}
}

// codeVariables lists every REVIEWQ_* name the shipped code reads (test
// helpers and the benchmark tool left out).
func codeVariables(t *testing.T) []string {
	t.Helper()
	re := regexp.MustCompile(`REVIEWQ_[A-Z0-9_]+`)
	seen := map[string]bool{}
	for _, dir := range []string{"../cmd/reviewq", "../web", "../store"} {
		err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && (d.Name() == "webtest" || d.Name() == "storetest") {
				return filepath.SkipDir
			}
			if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, m := range re.FindAllString(string(b), -1) {
				if !strings.HasPrefix(m, "REVIEWQ_TEST_") {
					seen[m] = true
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	var out []string
	for v := range seen {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

func TestEnvExampleDocumentsEveryVariable(t *testing.T) {
	raw, err := os.ReadFile("reviewq.env.example")
	if err != nil {
		t.Fatal(err)
	}
	example := string(raw)
	vars := codeVariables(t)
	if len(vars) < 5 {
		t.Fatalf("found only %v in the code", vars)
	}
	for _, v := range vars {
		if !regexp.MustCompile(`(?m)^#?` + v + `=`).MatchString(example) {
			t.Errorf("deploy/reviewq.env.example does not document %s (a line %s=... or #%s=...)", v, v, v)
		}
	}
	for _, line := range strings.Split(example, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !regexp.MustCompile(`^REVIEWQ_[A-Z0-9_]+='[^']*'$`).MatchString(line) {
			t.Errorf("line %q: want KEY='value' (readable by systemd and sh alike)", line)
		}
	}
}

// TestReviewqctlRunsCommandsWithTheServiceEnvironment runs the wrapper as
// the current user (standing in for the reviewq user) with the example
// environment file pointed at a temporary SQLite database.
func TestReviewqctlRunsCommandsWithTheServiceEnvironment(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reviewqctl is for Linux hosts")
	}
	bin := release(t)
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	state := t.TempDir()
	raw, err := os.ReadFile("reviewq.env.example")
	if err != nil {
		t.Fatal(err)
	}
	envFile := filepath.Join(t.TempDir(), "reviewq.env")
	env := strings.ReplaceAll(string(raw), "sqlite:/var/lib/reviewq/reviewq.db", "sqlite:"+filepath.Join(state, "reviewq.db"))
	if err := os.WriteFile(envFile, []byte(env), 0o640); err != nil {
		t.Fatal(err)
	}
	ctl, _ := filepath.Abs("reviewqctl")
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(ctl, args...)
		cmd.Env = append(os.Environ(), "REVIEWQ_ENV_FILE="+envFile, "REVIEWQ_STATE_DIR="+state, "REVIEWQ_BIN="+bin,
			"REVIEWQ_USER="+me.Username, "REVIEWQ_DATABASE_URL=sqlite:/nowhere/else.db")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("reviewqctl %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	if out := run("migrate", "up"); !strings.Contains(out, "schema at version") {
		t.Fatalf("migrate up: %s", out)
	}
	if _, err := os.Stat(filepath.Join(state, "reviewq.db")); err != nil {
		t.Fatalf("the database is not where the environment file says: %v", err)
	}
	// Relative paths land in the state folder.
	if out := run("backup", "first.db"); !strings.Contains(out, filepath.Join(state, "first.db")) {
		t.Fatalf("backup: %s", out)
	}
}

// TestReleaseBinaryServesAsDeployed runs the release binary the way the
// guide does: migrate, create a token, serve, smoke-test, read the build
// info on /metrics, and stop with SIGTERM.
func TestReleaseBinaryServesAsDeployed(t *testing.T) {
	bin := release(t)
	dir := t.TempDir()
	addr := webtest.FreeAddr(t)
	env := append(os.Environ(), "REVIEWQ_DATABASE_URL=sqlite:"+filepath.Join(dir, "reviewq.db"), "REVIEWQ_ADDR="+addr)
	cli := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("reviewq %v: %v", args, err)
		}
		return strings.TrimSpace(string(out))
	}
	cli("migrate", "up")
	token := cli("token", "create", "--name", "smoke", "--scopes", "queue:read")

	serve := exec.Command(bin, "serve")
	serve.Env = env
	var logs strings.Builder
	serve.Stderr = &logs
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- serve.Wait() }()
	t.Cleanup(func() { _ = serve.Process.Kill() })
	base := "http://" + addr
	for start := time.Now(); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			break
		}
		if time.Since(start) > 20*time.Second {
			t.Fatalf("reviewq serve did not answer on %s:\n%s", addr, logs.String())
		}
	}

	smoke := exec.Command(bin, "smoke", "--url", base)
	smoke.Env = append(env, "REVIEWQ_SMOKE_TOKEN="+token)
	if out, err := smoke.CombinedOutput(); err != nil || !strings.Contains(string(out), "all 5 checks passed") {
		t.Fatalf("smoke against the release binary: %v\n%s", err, out)
	}
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !regexp.MustCompile(`reviewq_build_info\{commit="abc1234",goversion="[^"]+",version="v9\.8\.7-test"\} 1`).Match(metrics) {
		t.Fatalf("/metrics has no build info of this release:\n%s", grepLines(string(metrics), "build_info"))
	}

	if err := serve.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve did not exit cleanly on SIGTERM: %v\n%s", err, logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop within 30 s of SIGTERM")
	}
	if !strings.Contains(logs.String(), "draining") {
		t.Fatalf("no drain on SIGTERM in the log:\n%s", logs.String())
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func waitHTTP(t *testing.T, url string, want int) {
	t.Helper()
	for start := time.Now(); time.Since(start) < 20*time.Second; time.Sleep(100 * time.Millisecond) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == want {
				return
			}
		}
	}
	t.Fatalf("%s did not answer %d within 20 s", url, want)
}

// TestTwoInstancesBehindHAProxy deploys as the guide does: two release
// binaries on one database behind deploy/haproxy/reviewq.cfg, a smoke test
// through the balancer, then one instance stopped while requests go on.
func TestTwoInstancesBehindHAProxy(t *testing.T) {
	haproxy, err := exec.LookPath("haproxy")
	if err != nil {
		t.Skip("haproxy is not installed (apt-get install haproxy): the load balancer setup is not tried")
	}
	raw, err := os.ReadFile("haproxy/reviewq.cfg")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(haproxy, "-c", "-f", "haproxy/reviewq.cfg").CombinedOutput(); err != nil {
		t.Fatalf("haproxy -c: %v\n%s", err, out)
	}
	bin := release(t)
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "reviewq.db")
	secret := "test-secret-test-secret-test-secret-0123456789"
	base := append(os.Environ(), "REVIEWQ_DATABASE_URL="+db, "REVIEWQ_SESSION_SECRET="+secret)
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = base
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("reviewq %v: %v", args, err)
		}
		return strings.TrimSpace(string(out))
	}
	run("migrate", "up")
	token := run("token", "create", "--name", "smoke", "--scopes", "queue:read")

	addrs := []string{webtest.FreeAddr(t), webtest.FreeAddr(t)}
	// The balancer checks /readyz on each instance's metrics address.
	metricsAddrs := []string{webtest.FreeAddr(t), webtest.FreeAddr(t)}
	procs := make([]*exec.Cmd, 2)
	logs := make([]strings.Builder, 2)
	for i, a := range addrs {
		cmd := exec.Command(bin, "serve")
		cmd.Stderr = &logs[i]
		// The drain delay the guide gives for the shipped health checks.
		cmd.Env = append(base, "REVIEWQ_ADDR="+a, "REVIEWQ_TRUSTED_PROXIES=127.0.0.1", "REVIEWQ_METRICS_ADDR="+metricsAddrs[i], "REVIEWQ_DRAIN_DELAY=6s")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		procs[i] = cmd
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		waitHTTP(t, "http://"+a+"/readyz", http.StatusOK)
	}

	lb := webtest.FreeAddr(t)
	cfg := string(raw)
	cfg = strings.Replace(cfg, "    bind :80\n", "    bind "+lb+"\n", 1)
	for i, server := range []string{"10.0.0.11:8080 check port 9090", "10.0.0.12:8080 check port 9090"} {
		if !strings.Contains(cfg, server) {
			t.Fatalf("haproxy/reviewq.cfg has no server line %q", server)
		}
		_, mport, _ := net.SplitHostPort(metricsAddrs[i])
		cfg = strings.Replace(cfg, server, addrs[i]+" check port "+mport, 1)
	}
	cfg = strings.Replace(cfg, "log /dev/log local0", "log stderr format raw local0", 1)
	cfgFile := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	hp := exec.Command(haproxy, "-f", cfgFile)
	if err := hp.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = hp.Process.Kill(); _ = hp.Wait() })
	front := "http://" + lb
	waitHTTP(t, front+"/readyz", http.StatusOK)

	smoke := exec.Command(bin, "smoke", "--url", front)
	smoke.Env = append(base, "REVIEWQ_SMOKE_TOKEN="+token)
	if out, err := smoke.CombinedOutput(); err != nil || !strings.Contains(string(out), "all 5 checks passed") {
		t.Fatalf("smoke through the balancer: %v\n%s", err, out)
	}
	if resp, err := http.Get(front + "/metrics"); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("/metrics through the balancer: %v %v, want 404", resp, err)
	}

	// Stop instance a: every request gets an answer, from the moment of
	// SIGTERM until a has exited and after.
	stopped := make(chan struct{})
	if err := procs[0].Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = procs[0].Process.Wait(); close(stopped) }()
	afterStop, sawNotReady := 0, false
	for i := 0; afterStop < 10; i++ {
		select {
		case <-stopped:
			afterStop++
		default:
			if i > 300 {
				t.Fatal("instance a did not stop within 30 s of SIGTERM")
			}
			// Stopping, a says it is not ready while it still answers.
			if resp, err := http.Get("http://" + addrs[0] + "/readyz"); err == nil {
				resp.Body.Close()
				sawNotReady = sawNotReady || resp.StatusCode == http.StatusServiceUnavailable
			}
		}
		req, _ := http.NewRequest(http.MethodGet, front+"/api/v1/review-queue/stats", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("request %d while an instance stops: %v\n%s", i, err, logs[0].String())
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("request %d while an instance stops: status %d\n%s", i, resp.StatusCode, logs[0].String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !sawNotReady {
		t.Fatalf("instance a never answered /readyz with 503 while stopping\n%s", logs[0].String())
	}
}
