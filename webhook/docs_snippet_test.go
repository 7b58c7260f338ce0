package webhook_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"reviewq/store"
	"reviewq/store/storetest"
)

// verifyWebhook checks a reviewq delivery: a timestamp within 5 minutes
// and a v1 signature made with the endpoint's whsec_ secret.
func verifyWebhook(secret string, h http.Header, body []byte) error {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return err
	}
	id, ts := h.Get("webhook-id"), h.Get("webhook-timestamp")
	sent, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || math.Abs(time.Since(time.Unix(sent, 0)).Seconds()) > 300 {
		return errors.New("webhook: missing or old timestamp")
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "."))
	mac.Write(body)
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	for _, sig := range strings.Fields(h.Get("webhook-signature")) {
		if hmac.Equal([]byte(sig), []byte(want)) {
			return nil
		}
	}
	return errors.New("webhook: no valid signature")
}

// codeBlock returns the fenced block of lang in md that contains marker.
func codeBlock(t *testing.T, md, lang, marker string) string {
	t.Helper()
	for _, part := range strings.Split(md, "```"+lang+"\n")[1:] {
		block, _, _ := strings.Cut(part, "```")
		if strings.Contains(block, marker) {
			return block
		}
	}
	t.Fatalf("docs/integration.md has no %s block with %q", lang, marker)
	return ""
}

// TestDocsVerificationSnippets: the Go and Python snippets of
// docs/integration.md accept a real delivery and refuse it with another
// secret.
func TestDocsVerificationSnippets(t *testing.T) {
	raw, err := os.ReadFile("../docs/integration.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	self, err := os.ReadFile("docs_snippet_test.go")
	if err != nil {
		t.Fatal(err)
	}
	_, fn, _ := strings.Cut(string(self), "// verifyWebhook checks")
	fn, _, _ = strings.Cut(fn, "\n}\n")
	if goBlock := codeBlock(t, doc, "go", "func verifyWebhook"); goBlock != "// verifyWebhook checks"+fn+"\n}\n" {
		t.Fatalf("the Go snippet of docs/integration.md is not verifyWebhook of this test:\n%s", goBlock)
	}
	pyBlock := codeBlock(t, doc, "python", "def verify_webhook")

	st := storetest.Open(t, store.SQLite)
	rcv := newReceiver(t)
	_, secret := subscribe(t, st, rcv.srv.URL, "", store.WebhookReviewFlagged)
	_, other := subscribe(t, st, "https://other.example.com/", "", store.WebhookQueueEnabled)
	storetest.FlaggedLead(t, st, "L1", store.TypeMessage)
	runUntil(t, newWorker(t, st), "a delivery", func() bool { return len(rcv.requests()) == 1 })
	req := rcv.requests()[0]
	if err := verifyWebhook(secret, req.Header, req.Body); err != nil {
		t.Fatalf("the Go snippet refuses a real delivery: %v", err)
	}
	if err := verifyWebhook(other, req.Header, req.Body); err == nil {
		t.Fatal("the Go snippet accepts another secret")
	}

	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed: the Python snippet is not run")
	}
	script := filepath.Join(t.TempDir(), "verify.py")
	driver := pyBlock + `
import json, sys
req = json.load(sys.stdin)
verify_webhook(req["secret"], req["headers"], req["body"].encode())
`
	if err := os.WriteFile(script, []byte(driver), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(secret string) error {
		in, _ := json.Marshal(map[string]any{"secret": secret, "body": string(req.Body), "headers": map[string]string{
			"webhook-id": req.Header.Get("webhook-id"), "webhook-timestamp": req.Header.Get("webhook-timestamp"),
			"webhook-signature": req.Header.Get("webhook-signature")}})
		cmd := exec.Command(python, script)
		cmd.Stdin = strings.NewReader(string(in))
		out, err := cmd.CombinedOutput()
		if err != nil {
			return errors.New(string(out))
		}
		return nil
	}
	if err := run(secret); err != nil {
		t.Fatalf("the Python snippet refuses a real delivery: %v", err)
	}
	if err := run(other); err == nil || !strings.Contains(err.Error(), "no valid signature") {
		t.Fatalf("the Python snippet accepts another secret: %v", err)
	}
}
