// Command reviewq is the human review queue of the client-acquisition
// machine: the web dashboard, its JSON API and the admin commands. This
// package only reads flags and environment and wires things together.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"reviewq/store"
)

// Set at build time by `make release`.
var (
	version = "dev"
	commit  = "unknown"
)

const usage = `reviewq — the human review queue

usage:
  reviewq serve [--demo]                 serve the dashboard and API
  reviewq migrate up|down [--to N]|status
  reviewq user create --email E --name N --role operator|lead|admin   (password on stdin)
  reviewq user list
  reviewq user set-role --email E --role R
  reviewq user deactivate|reactivate --email E
  reviewq user reset-password --email E   (new password on stdin)
  reviewq user reset-mfa --email E        (remove the account's two-factor sign-in)
  reviewq token create --name N --scopes S[,S] [--expires 90d]   (the secret alone on stdout, shown once)
  reviewq token list | revoke --id N
  reviewq settings get [KEY] | set KEY VALUE
  reviewq seed --leads N --pending M [--decided D]
  reviewq flags clear [--out FILE] [--dry-run]   rollback: clear every pending review and open flag, saved to FILE first
  reviewq flags restore FILE             put the flags saved by flags clear back
  reviewq backup FILE                    consistent online copy of the SQLite database (MySQL: mysqldump, see docs/operations.md)
  reviewq smoke --url URL --token TOKEN  smoke-test a running instance (PASS/FAIL per check; non-zero exit on a failure)
  reviewq report [--days 7] [--csv] [--rebuild]   the ops metrics report of the last N days (UTC), as text or CSV
  reviewq webhooks create --url URL --events E[,E] [--kind json|chat] [--description D]   (the whsec_ secret alone on stdout, shown once)
  reviewq webhooks list | enable|disable|delete|test --id N
  reviewq version

configuration (environment):
  REVIEWQ_DATABASE_URL    sqlite:PATH (default sqlite:data/reviewq.db) or mysql://USER:PASS@HOST:PORT/DB
  REVIEWQ_ADDR            listen address (default 127.0.0.1:8080)
  REVIEWQ_SESSION_SECRET  key material for sessions and CSRF (generated into the data folder for SQLite; required for MySQL)
  REVIEWQ_LOG_LEVEL       debug, info, warn, error (default info)
  REVIEWQ_LOG_FORMAT      text or json (default text)
  REVIEWQ_BASE_URL        the site's address as people reach it; set-password links are built from it
  REVIEWQ_METRICS_TOKEN   when set, /metrics and /readyz require "Authorization: Bearer <token>"
  REVIEWQ_METRICS_ADDR    when set, /metrics (and /readyz) are served on this address (not /metrics on REVIEWQ_ADDR)
                          beyond loopback, /metrics and /readyz need one of these two
  REVIEWQ_SMOKE_TOKEN     the API token reviewq smoke uses when --token is not given
  REVIEWQ_BASE_URL        the dashboard's public address, for links in chat messages
  REVIEWQ_WEBHOOKS_ALLOW_PRIVATE  private/loopback CIDRs webhook endpoints may reach (default none; "true": any)
  REVIEWQ_WEBHOOKS_RETENTION      how long delivered webhook messages are kept (default 168h)
  (every variable, explained: deploy/reviewq.env.example in the source; docs/operations.md)
`

// command is one subcommand: it gets the arguments after its name.
type command func(ctx context.Context, env *Env, args []string) error

// Env is what commands share: configuration, output streams, input.
type Env struct {
	Config Config
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}

func commands() map[string]command {
	return map[string]command{
		"serve":    cmdServe,
		"migrate":  cmdMigrate,
		"user":     cmdUser,
		"token":    cmdToken,
		"settings": cmdSettings,
		"seed":     cmdSeed,
		"flags":    cmdFlags,
		"backup":   cmdBackup,
		"smoke":    cmdSmoke,
		"report":   cmdReport,
		"webhooks": cmdWebhooks,
		"version": func(_ context.Context, env *Env, _ []string) error {
			fmt.Fprintf(env.Stdout, "reviewq %s (%s)\n", version, commit)
			return nil
		},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run executes one command line and returns the exit code: errors are one
// line on stderr, never a stack trace.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, usage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := commands()[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "reviewq: unknown command %q (see reviewq --help)\n", args[0])
		return 2
	}
	cfg, err := LoadConfig(os.Getenv)
	if err != nil {
		fmt.Fprintf(stderr, "reviewq: %v\n", err)
		return 2
	}
	env := &Env{Config: cfg, Stdin: stdin, Stdout: stdout, Stderr: stderr}
	if err := cmd(ctx, env, args[1:]); err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(stderr, "reviewq %s: %v\n", args[0], err)
			return 2
		}
		var ve *store.ValidationError
		if errors.As(err, &ve) {
			fmt.Fprintf(stderr, "reviewq %s: %v\n", args[0], err)
			return 1
		}
		fmt.Fprintf(stderr, "reviewq %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

// usageError is a bad command line.
type usageError string

func (e usageError) Error() string { return string(e) }

func usagef(format string, args ...any) error { return usageError(fmt.Sprintf(format, args...)) }
