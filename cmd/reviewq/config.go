package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"reviewq/store"
	"reviewq/web"
)

// Config is the process configuration, from the environment.
type Config struct {
	DatabaseURL    string
	Addr           string
	SessionSecret  string
	LogLevel       slog.Level
	LogFormat      string
	TrustedProxies []*net.IPNet
	MetricsToken   string
	MetricsAddr    string
	PprofAddr      string
	CookieSecure   string
	// BaseURL is the site's address as people reach it (REVIEWQ_BASE_URL):
	// links sent to people and the single sign-on redirect are built from it.
	BaseURL string
	// SessionIdle and SessionLifetime end logins (0 keeps the store's defaults).
	SessionIdle     time.Duration
	SessionLifetime time.Duration
	// OIDC* configure single sign-on; an empty issuer turns it off.
	OIDCIssuer, OIDCClientID, OIDCClientSecret, OIDCName string
	// DrainDelay is how long serve keeps serving after SIGTERM, with
	// /readyz answering 503, before it closes its listener.
	DrainDelay time.Duration
}

// LoadConfig reads and checks the REVIEWQ_* variables.
func LoadConfig(getenv func(string) string) (Config, error) {
	c := Config{
		DatabaseURL:   getenv("REVIEWQ_DATABASE_URL"),
		Addr:          getenv("REVIEWQ_ADDR"),
		SessionSecret: getenv("REVIEWQ_SESSION_SECRET"),
		LogFormat:     getenv("REVIEWQ_LOG_FORMAT"),
		MetricsToken:  getenv("REVIEWQ_METRICS_TOKEN"),
		MetricsAddr:   getenv("REVIEWQ_METRICS_ADDR"),
		PprofAddr:     getenv("REVIEWQ_PPROF_ADDR"),
		CookieSecure:  getenv("REVIEWQ_COOKIE_SECURE"),
		BaseURL:       strings.TrimSuffix(getenv("REVIEWQ_BASE_URL"), "/"),

		OIDCIssuer:       getenv("REVIEWQ_OIDC_ISSUER"),
		OIDCClientID:     getenv("REVIEWQ_OIDC_CLIENT_ID"),
		OIDCClientSecret: getenv("REVIEWQ_OIDC_CLIENT_SECRET"),
		OIDCName:         getenv("REVIEWQ_OIDC_NAME"),
	}
	if c.DatabaseURL == "" {
		c.DatabaseURL = store.DefaultURL
	}
	if _, _, err := store.ParseURL(c.DatabaseURL); err != nil {
		return c, fmt.Errorf("REVIEWQ_DATABASE_URL: %w", err)
	}
	if c.Addr == "" {
		c.Addr = "127.0.0.1:8080"
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return c, fmt.Errorf("REVIEWQ_ADDR: %q is not host:port", c.Addr)
	}
	if host, _, err := net.SplitHostPort(c.PprofAddr); c.PprofAddr != "" && (err != nil || !isLoopbackHost(host)) {
		return c, fmt.Errorf("REVIEWQ_PPROF_ADDR: %q must be a loopback host:port (profiles reveal internals)", c.PprofAddr)
	}
	if _, _, err := net.SplitHostPort(c.MetricsAddr); c.MetricsAddr != "" && err != nil {
		return c, fmt.Errorf("REVIEWQ_METRICS_ADDR: %q is not host:port", c.MetricsAddr)
	}
	if c.BaseURL != "" {
		u, err := url.Parse(c.BaseURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(c.BaseURL, " \t\r\n") {
			return c, fmt.Errorf("REVIEWQ_BASE_URL: %q is not an http(s) address such as https://reviewq.example.com", c.BaseURL)
		}
	} else if host, _, _ := net.SplitHostPort(c.Addr); isLoopbackHost(host) {
		// Development: the one address there is.
		c.BaseURL = "http://" + c.Addr
	}
	switch lv := strings.ToLower(getenv("REVIEWQ_LOG_LEVEL")); lv {
	case "", "info":
		c.LogLevel = slog.LevelInfo
	case "debug":
		c.LogLevel = slog.LevelDebug
	case "warn":
		c.LogLevel = slog.LevelWarn
	case "error":
		c.LogLevel = slog.LevelError
	default:
		return c, fmt.Errorf("REVIEWQ_LOG_LEVEL: %q is not debug, info, warn or error", lv)
	}
	switch c.LogFormat {
	case "":
		c.LogFormat = "text"
	case "text", "json":
	default:
		return c, fmt.Errorf("REVIEWQ_LOG_FORMAT: %q is not text or json", c.LogFormat)
	}
	switch c.CookieSecure {
	case "", "true", "false":
	default:
		return c, fmt.Errorf("REVIEWQ_COOKIE_SECURE: %q is not true or false", c.CookieSecure)
	}
	for name, dst := range map[string]*time.Duration{"REVIEWQ_SESSION_IDLE": &c.SessionIdle, "REVIEWQ_SESSION_LIFETIME": &c.SessionLifetime} {
		if raw := getenv(name); raw != "" {
			d, err := time.ParseDuration(raw)
			if err != nil || d < time.Minute {
				return c, fmt.Errorf("%s: %q is not a duration of at least 1m (e.g. 30m, 8h)", name, raw)
			}
			*dst = d
		}
	}
	if raw := getenv("REVIEWQ_DRAIN_DELAY"); raw != "" {
		d, err := time.ParseDuration(raw)
		if err != nil || d < 0 || d > time.Minute {
			return c, fmt.Errorf("REVIEWQ_DRAIN_DELAY: %q is not a duration from 0s to 1m (e.g. 6s)", raw)
		}
		c.DrainDelay = d
	}
	if c.SessionIdle > 0 && c.SessionLifetime > 0 && c.SessionIdle > c.SessionLifetime {
		return c, errors.New("REVIEWQ_SESSION_IDLE must not be longer than REVIEWQ_SESSION_LIFETIME")
	}
	if err := c.checkSSO(); err != nil {
		return c, err
	}
	for _, p := range strings.Split(getenv("REVIEWQ_TRUSTED_PROXIES"), ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if !strings.Contains(p, "/") {
			if strings.Contains(p, ":") {
				p += "/128"
			} else {
				p += "/32"
			}
		}
		_, n, err := net.ParseCIDR(p)
		if err != nil {
			return c, fmt.Errorf("REVIEWQ_TRUSTED_PROXIES: %q is not an address or CIDR", p)
		}
		c.TrustedProxies = append(c.TrustedProxies, n)
	}
	return c, nil
}

// StoreOptions adds the configured lifetimes to opt; what is not configured
// stays zero and takes the store's default.
func (c Config) StoreOptions(opt store.Options) store.Options {
	opt.SessionIdle = c.SessionIdle
	opt.SessionLifetime = c.SessionLifetime
	// Webhook signing secrets are sealed under the session secret. A
	// command run without it (MySQL, REVIEWQ_SESSION_SECRET unset) still
	// works; what needs a signing secret then says so.
	if key, err := c.Secret(); err == nil {
		opt.SecretKey = key
	}
	return opt
}

// Logger builds the process logger.
func (c Config) Logger(w *os.File) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.LogLevel}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// SecureCookies: cookies are Secure unless the server listens on loopback
// only (plain http://127.0.0.1 during development); REVIEWQ_COOKIE_SECURE
// overrides.
func (c Config) SecureCookies() bool {
	if c.CookieSecure != "" {
		return c.CookieSecure == "true"
	}
	host, _, _ := net.SplitHostPort(c.Addr)
	if host == "localhost" {
		return false
	}
	ip := net.ParseIP(host)
	return ip == nil || !ip.IsLoopback()
}

// Secret returns the session secret: from the environment, or for SQLite a
// key generated once into the database's folder.
func (c Config) Secret() ([]byte, error) {
	if c.SessionSecret != "" {
		if len(c.SessionSecret) < 32 {
			return nil, errors.New("REVIEWQ_SESSION_SECRET must be at least 32 characters")
		}
		return []byte(c.SessionSecret), nil
	}
	dialect, path, _ := store.ParseURL(c.DatabaseURL)
	if dialect != store.SQLite {
		return nil, errors.New("REVIEWQ_SESSION_SECRET is required with MySQL (every instance must share it); generate one with: openssl rand -hex 32")
	}
	keyFile := filepath.Join(filepath.Dir(path), "session.key")
	// #nosec G304 -- the path is the operator's own REVIEWQ_DATABASE_URL folder.
	if b, err := os.ReadFile(keyFile); err == nil && len(strings.TrimSpace(string(b))) >= 32 {
		return []byte(strings.TrimSpace(string(b))), nil
	}
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return nil, err
	}
	key := hex.EncodeToString(buf)
	if err := os.MkdirAll(filepath.Dir(keyFile), 0o750); err != nil {
		return nil, fmt.Errorf("session key: %w", err)
	}
	if err := os.WriteFile(keyFile, []byte(key+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("session key: %w", err)
	}
	return []byte(key), nil
}

// ListensBeyondLoopback: REVIEWQ_ADDR is reachable from other hosts, so
// /metrics and /readyz are kept private there (web.Config.PrivateProbes).
func (c Config) ListensBeyondLoopback() bool {
	host, _, _ := net.SplitHostPort(c.Addr)
	return !isLoopbackHost(host)
}

func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkSSO validates the single sign-on variables (REVIEWQ_BASE_URL is
// checked in LoadConfig): all three of issuer, client id and secret, or
// none; https except on loopback.
func (c Config) checkSSO() error {
	set := 0
	for _, v := range []string{c.OIDCIssuer, c.OIDCClientID, c.OIDCClientSecret} {
		if v != "" {
			set++
		}
	}
	if set == 0 {
		if c.OIDCName != "" {
			return errors.New("REVIEWQ_OIDC_NAME is set without REVIEWQ_OIDC_ISSUER")
		}
		return nil
	}
	if set != 3 {
		return errors.New("single sign-on needs all of REVIEWQ_OIDC_ISSUER, REVIEWQ_OIDC_CLIENT_ID and REVIEWQ_OIDC_CLIENT_SECRET")
	}
	u, err := url.Parse(c.OIDCIssuer)
	if err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && isLoopbackHost(u.Hostname()))) {
		return fmt.Errorf("REVIEWQ_OIDC_ISSUER: %q must be an https:// URL (http:// only on loopback)", c.OIDCIssuer)
	}
	if len(c.OIDCName) > 64 {
		return errors.New("REVIEWQ_OIDC_NAME: at most 64 characters")
	}
	return nil
}

// OIDC is the single sign-on part of the server's configuration.
func (c Config) OIDC() web.OIDCConfig {
	if c.OIDCIssuer == "" {
		return web.OIDCConfig{}
	}
	return web.OIDCConfig{Issuer: c.OIDCIssuer, ClientID: c.OIDCClientID, ClientSecret: c.OIDCClientSecret,
		Name: c.OIDCName, BaseURL: c.BaseURL}
}
