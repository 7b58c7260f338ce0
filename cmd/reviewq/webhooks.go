package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"reviewq/store"
	"reviewq/webhook"
)

// webhookSettings are the delivery worker's environment variables.
type webhookSettings struct {
	// Allow is REVIEWQ_WEBHOOKS_ALLOW_PRIVATE: private ranges endpoints may
	// reach anyway.
	Allow webhook.AllowList
	// Retention is REVIEWQ_WEBHOOKS_RETENTION (default 168h).
	Retention time.Duration
	// BaseURL is REVIEWQ_BASE_URL, for the links of chat messages.
	BaseURL string
}

func loadWebhookSettings(getenv func(string) string) (webhookSettings, error) {
	var ws webhookSettings
	var err error
	if ws.Allow, err = webhook.ParseAllowList(getenv("REVIEWQ_WEBHOOKS_ALLOW_PRIVATE")); err != nil {
		return ws, fmt.Errorf("REVIEWQ_WEBHOOKS_ALLOW_PRIVATE: %w", err)
	}
	ws.Retention = webhook.DefaultRetention
	if v := getenv("REVIEWQ_WEBHOOKS_RETENTION"); v != "" {
		if ws.Retention, err = time.ParseDuration(v); err != nil || ws.Retention < time.Hour {
			return ws, fmt.Errorf("REVIEWQ_WEBHOOKS_RETENTION: %q is not a duration of at least 1h", v)
		}
	}
	ws.BaseURL = strings.TrimSuffix(getenv("REVIEWQ_BASE_URL"), "/")
	return ws, nil
}

func newWebhookWorker(st *store.Store, ws webhookSettings, log *slog.Logger) *webhook.Worker {
	w := webhook.NewWorker(st, ws.Allow, log)
	w.Retention, w.BaseURL = ws.Retention, ws.BaseURL
	return w
}

// startWebhooks runs the delivery worker until the returned stop is
// called; stop waits for the deliveries in flight to be recorded.
func startWebhooks(w *webhook.Worker) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.Run(ctx)
	}()
	return func() { cancel(); <-done }
}

// cmdWebhooks manages webhook endpoints. create prints the whsec_ secret
// alone on stdout (shown once), everything else on stderr.
func cmdWebhooks(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		return usagef("say create, list, enable, disable, delete or test")
	}
	action := args[0]
	fs := flag.NewFlagSet("webhooks "+action, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	rawURL := fs.String("url", "", "where to POST the events (http or https)")
	events := fs.String("events", "", "comma-separated event types: "+strings.Join(store.WebhookEventTypes, ","))
	kind := fs.String("kind", store.WebhookKindJSON, "json (the event) or chat (a Slack-compatible text message)")
	description := fs.String("description", "", "what the endpoint is for")
	id := fs.Int64("id", 0, "the endpoint's id (see webhooks list)")
	if err := fs.Parse(args[1:]); err != nil {
		return usagef("%v", err)
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	ws, err := loadWebhookSettings(os.Getenv)
	if err != nil {
		return err
	}
	in := store.WebhookInput{URL: *rawURL, Events: strings.Split(*events, ","), Kind: *kind, Description: *description}
	switch action {
	case "create":
		if *rawURL == "" {
			return usagef("--url is required")
		}
		if *events == "" {
			return usagef("--events is required: %s", strings.Join(store.WebhookEventTypes, ","))
		}
		if err := in.Validate(); err != nil {
			return err
		}
		u, _ := store.ValidateWebhookURL(in.URL)
		if err := ws.Allow.CheckTarget(ctx, u.Hostname()); err != nil {
			return fmt.Errorf("url: %w", err)
		}
	case "enable", "disable", "delete", "test":
		if *id <= 0 {
			return usagef("--id is required (see reviewq webhooks list)")
		}
	case "list":
	default:
		return usagef("unknown webhooks action %q", action)
	}
	st, err := openCurrentStore(ctx, env)
	if err != nil {
		return err
	}
	defer st.Close()
	actor := store.Actor{Type: store.ActorSystem, Name: "cli"}
	notFound := func(err error) error {
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("no webhook endpoint with id %d", *id)
		}
		return err
	}
	switch action {
	case "create":
		e, secret, err := st.CreateWebhook(ctx, actor, "", in)
		if err != nil {
			return err
		}
		fmt.Fprintln(env.Stdout, secret)
		fmt.Fprintf(env.Stderr, "created webhook %d (%s) to %s for %s; the secret above is shown once, store it now\n", e.ID, e.Kind, e.URL, e.EventTypes)
	case "enable", "disable":
		if err := st.SetWebhookEnabled(ctx, actor, "", *id, action == "enable"); err != nil {
			return notFound(err)
		}
		fmt.Fprintf(env.Stderr, "webhook %d %sd\n", *id, action)
	case "delete":
		if err := st.DeleteWebhook(ctx, actor, "", *id); err != nil {
			return notFound(err)
		}
		fmt.Fprintf(env.Stderr, "webhook %d deleted\n", *id)
	case "test":
		deliveryID, err := st.QueueTestEvent(ctx, actor, "", *id)
		if err != nil {
			return notFound(err)
		}
		res, err := newWebhookWorker(st, ws, slog.New(slog.DiscardHandler)).DeliverNow(ctx, deliveryID)
		if err != nil {
			return err
		}
		if !res.OK {
			return fmt.Errorf("test event not delivered: %s (retried by reviewq serve)", res.Error)
		}
		fmt.Fprintf(env.Stdout, "test event delivered: HTTP %d in %d ms\n", res.ResponseCode, res.Latency.Milliseconds())
	case "list":
		hooks, err := st.ListWebhooks(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tKIND\tURL\tEVENTS\tSTATE\tDESCRIPTION")
		for _, e := range hooks {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", e.ID, e.Kind, e.URL, e.EventTypes, webhookState(e), e.Description)
		}
		return tw.Flush()
	}
	return nil
}

// webhookState says whether an endpoint is on, failing or off, and why.
func webhookState(e store.WebhookEndpoint) string {
	switch {
	case !e.Enabled && e.DisabledReason != "":
		return "disabled (" + e.DisabledReason + ")"
	case !e.Enabled:
		return "disabled"
	case e.Failing():
		return fmt.Sprintf("failing since %s (%d failures)", fmtTime(e.FailingSince), e.Failures)
	}
	return "enabled"
}
