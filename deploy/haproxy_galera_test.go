package deploy_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestGaleraHAProxyConfig checks deploy/haproxy/galera.cfg as shipped
// (make test-cluster runs it against a real cluster, killing the active
// node): valid for haproxy, one active server and the others backups, and a
// health check that asks for Synced, not just a MySQL handshake.
func TestGaleraHAProxyConfig(t *testing.T) {
	raw, err := os.ReadFile("haproxy/galera.cfg")
	if err != nil {
		t.Fatal(err)
	}
	cfg := string(raw)
	var active, backup int
	for _, line := range strings.Split(cfg, "\n") {
		f := strings.Fields(line)
		if len(f) > 0 && f[0] == "server" {
			if strings.Contains(line, " backup") {
				backup++
			} else {
				active++
			}
		}
	}
	if active != 1 || backup < 2 {
		t.Fatalf("galera.cfg: %d active and %d backup servers, want 1 and at least 2 (one writer at a time)", active, backup)
	}
	for _, must := range []string{"mode tcp", "option external-check", "external-check command /usr/local/lib/reviewq/galera-check", "shutdown-sessions"} {
		if !strings.Contains(cfg, must) {
			t.Errorf("galera.cfg lacks %q", must)
		}
	}
	check, err := os.ReadFile("haproxy/galera-check")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(check), "wsrep_local_state") || !strings.Contains(string(check), "Primary") {
		t.Error("galera-check does not test wsrep_local_state and the Primary component")
	}
	// A node that does not answer is not healthy.
	if err := exec.Command("sh", "haproxy/galera-check", "-", "-", "127.0.0.1", "1").Run(); err == nil {
		t.Error("galera-check passed a port where nothing listens")
	}
	haproxy, err := exec.LookPath("haproxy")
	if err != nil {
		t.Skip("haproxy is not installed: galera.cfg not validated")
	}
	if out, err := exec.Command(haproxy, "-c", "-f", "haproxy/galera.cfg").CombinedOutput(); err != nil {
		t.Fatalf("haproxy -c galera.cfg: %v\n%s", err, out)
	}
}
