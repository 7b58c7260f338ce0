package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	mysqldriver "github.com/go-sql-driver/mysql"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"reviewq/store"
	"reviewq/web"
)

func openStore(ctx context.Context, env *Env) (*store.Store, error) {
	return store.Open(ctx, env.Config.DatabaseURL, env.Config.StoreOptions(store.Options{}))
}

// openCurrentStore opens the database and refuses a schema that is behind
// this build, as every command but migrate must.
func openCurrentStore(ctx context.Context, env *Env) (*store.Store, error) {
	st, err := openStore(ctx, env)
	if err != nil {
		return nil, err
	}
	if err := st.CheckSchema(ctx); err != nil {
		_ = st.Close()
		return nil, err
	}
	return st, nil
}

// defaultMemoryLimit is the server's soft memory limit unless GOMEMLIMIT is set.
const defaultMemoryLimit = 100 << 20

// defaultGCPercent is the server's GOGC unless GOGC is set.
const defaultGCPercent = 600

func cmdServe(ctx context.Context, env *Env, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	demo := fs.Bool("demo", false, "seed demo data and demo logins into an empty database")
	if err := fs.Parse(args); err != nil {
		return usagef("%v", err)
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	log := env.Config.Logger(os.Stderr)
	// A soft memory limit makes the collector work harder before the heap
	// grows past it: password hashing makes 19 MiB of garbage per login,
	// which would otherwise double the resident size under a login burst.
	// GOMEMLIMIT, when set, wins.
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	// The live heap is small (about 10 MiB), so at Go's default GOGC=100 the
	// collector ran every few milliseconds under load and took a tenth of the
	// CPU of a queue page (pprof). A larger ratio collects less often; the
	// memory limit above still bounds the heap (measured: queue pages +15%,
	// peak RSS under the login burst 116 MB, was 125). GOGC, when set, wins.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
	// The MySQL driver reports dropped connections on its own logger:
	// route it into ours, so every line has one format.
	_ = mysqldriver.SetLogger(driverLogger{log})
	secret, err := env.Config.Secret()
	if err != nil {
		return err
	}
	// The server caches the queue's aggregate reads for a second (see
	// store.readCache); one-shot commands read fresh.
	st, err := store.Open(ctx, env.Config.DatabaseURL, env.Config.StoreOptions(store.Options{ReadCacheTTL: time.Second}))
	if err != nil {
		return err
	}
	defer st.Close()
	// Migrations are an explicit step (goose has no lock on MySQL): an
	// instance never migrates by itself, it refuses a stale schema.
	if err := st.CheckSchema(ctx); err != nil {
		return err
	}
	// Signing secrets an earlier release stored as plain text are sealed
	// now (any instance may do it; it is idempotent).
	if n, err := st.SealWebhookSecrets(ctx); err != nil {
		return err
	} else if n > 0 {
		log.Info("sealed the signing secrets of webhook endpoints stored as plain text", "endpoints", n)
	}
	if *demo {
		logins, err := st.SeedDemo(ctx)
		if err != nil {
			return fmt.Errorf("demo data: %w", err)
		}
		if logins == nil {
			fmt.Fprintln(env.Stderr, "demo: the database already has accounts, so no demo data was added (reset a password with: reviewq user reset-password --email admin@demo.reviewq)")
		} else {
			fmt.Fprintln(env.Stdout, "demo data added. Log in with one of:")
			for _, l := range logins {
				fmt.Fprintf(env.Stdout, "  %-9s %-24s password: %s\n", l.Role, l.Email, l.Password)
			}
		}
	}
	webhooks, err := loadWebhookSettings(os.Getenv)
	if err != nil {
		return err
	}
	webhookWorker := newWebhookWorker(st, webhooks, log)
	srv, err := web.New(st, web.Config{
		SessionSecret: secret, SecureCookies: env.Config.SecureCookies(), TrustedProxies: env.Config.TrustedProxies,
		MetricsToken: env.Config.MetricsToken, MetricsAddr: env.Config.MetricsAddr, Version: version, Commit: commit, Logger: log,
		OIDC: env.Config.OIDC(), BaseURL: env.Config.BaseURL, PrivateProbes: env.Config.ListensBeyondLoopback(),
		WebhookAllow: webhooks.Allow, Collectors: []prometheus.Collector{webhookWorker.Attempts},
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", env.Config.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", env.Config.Addr, err)
	}
	// /metrics on its own address (REVIEWQ_METRICS_ADDR), e.g. one only Prometheus reaches.
	if env.Config.MetricsAddr != "" {
		mln, err := net.Listen("tcp", env.Config.MetricsAddr)
		if err != nil {
			return fmt.Errorf("listen on %s (REVIEWQ_METRICS_ADDR): %w", env.Config.MetricsAddr, err)
		}
		ms := &http.Server{Handler: srv.MetricsHandler(), ReadHeaderTimeout: 5 * time.Second, WriteTimeout: 30 * time.Second}
		go func() { _ = ms.Serve(mln) }()
		defer ms.Close()
		log.Info("serving metrics", "addr", mln.Addr().String())
	}
	logProbes(log, env.Config, srv)
	if env.Config.BaseURL == "" {
		log.Warn("REVIEWQ_BASE_URL is not set: set-password links are shown as a path on this site, to be completed by hand")
	}
	if o := env.Config.OIDC(); o.Issuer != "" {
		log.Info("single sign-on on", "issuer", o.Issuer, "name", o.Name, "redirect_base", o.BaseURL)
	}
	hs := srv.HTTPServer(env.Config.Addr)
	fmt.Fprintf(env.Stdout, "reviewq %s serving http://%s/dashboard/review-queue\n", version, ln.Addr())
	log.Info("serving", "addr", ln.Addr().String(), "database", string(st.Dialect), "version", version)
	if env.Config.PprofAddr != "" {
		startPprof(env.Config.PprofAddr, log)
	}
	// The webhook delivery worker; stopped after the requests drained, so
	// the events of their changes are written before it goes.
	stopWebhooks := startWebhooks(webhookWorker)
	defer stopWebhooks()
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	// SIGINT/SIGTERM: first say not-ready and keep serving while the load
	// balancer's health checks notice (closing the listener at once
	// resets connections it has just opened: 502s); then stop accepting
	// and let in-flight requests finish.
	if env.Config.DrainDelay > 0 {
		srv.Drain()
		log.Info("shutting down: /readyz answers 503, serving on until the load balancer has noticed", "drain_delay", env.Config.DrainDelay.String())
		time.Sleep(env.Config.DrainDelay)
	}
	log.Info("shutting down: draining in-flight requests")
	sctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

// driverLogger adapts the MySQL driver's logger to slog.
type driverLogger struct{ log *slog.Logger }

func (l driverLogger) Print(v ...any) { l.log.Warn("mysql driver", "message", fmt.Sprint(v...)) }

// logProbes says at start where /metrics and /readyz can be reached.
func logProbes(log *slog.Logger, c Config, srv *web.Server) {
	switch {
	case !srv.ProbesHere() && c.MetricsAddr != "":
		log.Info("/metrics and /readyz are served on REVIEWQ_METRICS_ADDR only: REVIEWQ_ADDR is beyond loopback and REVIEWQ_METRICS_TOKEN is not set", "metrics_addr", c.MetricsAddr)
	case !srv.ProbesHere():
		log.Warn("/metrics and /readyz are not served: REVIEWQ_ADDR is beyond loopback; set REVIEWQ_METRICS_TOKEN (a bearer token) or REVIEWQ_METRICS_ADDR (a separate address)")
	case c.MetricsToken != "":
		log.Info("/metrics and /readyz require REVIEWQ_METRICS_TOKEN as a bearer token")
	default:
		log.Info("/metrics and /readyz are open: REVIEWQ_ADDR is loopback only")
	}
}
