package webtest

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"reviewq/store/storetest"
)

// ChromiumPath is Debian's Chromium, which .ci/run installs.
const ChromiumPath = "/usr/bin/chromium"

// Browser starts a headless Chromium with a fresh profile and returns a tab
// context (60 s budget). Without Chromium the test skips, except under CI,
// where it fails.
func Browser(t testing.TB) context.Context {
	t.Helper()
	if _, err := os.Stat(ChromiumPath); err != nil {
		if storetest.InCI() {
			t.Fatalf("%s is missing; CI must run the browser tests", ChromiumPath)
		}
		t.Skipf("browser test skipped: %s is not installed (apt-get install chromium)", ChromiumPath)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(ChromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1366, 900),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	return ctx
}

// ArtifactsDir is test-artifacts/ at the top of the repository, where
// browser tests save screenshots to look at.
func ArtifactsDir(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "test-artifacts")
	if err := os.MkdirAll(dir, 0o755); err != nil { // #nosec G301 -- screenshots for people to look at
		t.Fatal(err)
	}
	return dir
}

// Screenshot saves a full-page PNG under test-artifacts/ as name.png.
func Screenshot(t testing.TB, ctx context.Context, name string) {
	t.Helper()
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(ArtifactsDir(t), name+".png"), buf, 0o644); err != nil { // #nosec G306 -- screenshots for people to look at
		t.Fatal(err)
	}
}

// BrowserLogin signs in through the real login form.
func BrowserLogin(t testing.TB, ctx context.Context, baseURL, email, password string) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.Navigate(baseURL+"/login"),
		chromedp.WaitVisible("#email"),
		chromedp.SendKeys("#email", email),
		chromedp.SendKeys("#password", password),
		chromedp.Click("button[type=submit]"),
		chromedp.WaitVisible("#pending-count"),
	)
	if err != nil {
		t.Fatalf("browser login as %s: %v", email, err)
	}
}
