package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"

	"reviewq/store"
	"reviewq/views"
)

// The admin's webhook endpoints: list, create (the secret shown once),
// enable, disable, rotate, delete, send a test event, and each endpoint's
// delivery log with redeliver. The store audits every change.

const deliveriesPageSize = 50

// webhookNotices are the messages shown after a redirect (?done=...).
var webhookNotices = map[string]string{
	"enable":    "Endpoint enabled; the deliveries that waited go out now, in order.",
	"disable":   "Endpoint disabled; its events wait until it is enabled again.",
	"delete":    "Endpoint deleted.",
	"test":      "Test event queued; it arrives within seconds (see the delivery log).",
	"redeliver": "Message queued for delivery again, with its original webhook-id.",
}

func (s *Server) webhookRow(ctx context.Context, e store.WebhookEndpoint, counts map[int64]map[string]int64) views.WebhookRow {
	r := views.WebhookRow{ID: e.ID, URL: e.URL, Kind: e.Kind, Events: e.Events(), Description: e.Description, Enabled: e.Enabled,
		Failing: e.Enabled && e.Failing(), CreatedAt: fmtTime(ctx, e.CreatedAt), CreatedBy: e.CreatedBy, State: "enabled",
		Pending: counts[e.ID][store.DeliveryPending], Failed: counts[e.ID][store.DeliveryFailed]}
	switch {
	case !e.Enabled && e.DisabledReason != "":
		r.State = "disabled: " + e.DisabledReason
	case !e.Enabled:
		r.State = "disabled"
	case e.Failing():
		r.State = fmt.Sprintf("failing since %s (%d failures in a row)", fmtOptTime(ctx, e.FailingSince), e.Failures)
	}
	return r
}

// webhooksView is the list page with the form as given.
func (s *Server) webhooksView(c echo.Context, form views.WebhookForm, events []string) (views.WebhooksPage, error) {
	ctx := c.Request().Context()
	hooks, err := s.store.ListWebhooks(ctx)
	if err != nil {
		return views.WebhooksPage{}, err
	}
	stats, err := s.store.WebhookStats(ctx)
	if err != nil {
		return views.WebhooksPage{}, err
	}
	counts := map[int64]map[string]int64{}
	for _, b := range stats.ByEndpoint {
		if counts[b.EndpointID] == nil {
			counts[b.EndpointID] = map[string]int64{}
		}
		counts[b.EndpointID][b.Status] = b.N
	}
	v := views.WebhooksPage{Page: s.page(c, "Webhooks", "webhooks"), Form: form, Notice: webhookNotices[c.QueryParam("done")]}
	for _, t := range store.WebhookEventTypes {
		v.Events = append(v.Events, views.EventOption{Value: t, Checked: slices.Contains(events, t)})
	}
	for _, e := range hooks {
		v.Rows = append(v.Rows, s.webhookRow(c.Request().Context(), e, counts))
	}
	return v, nil
}

func (s *Server) webhooksPage(c echo.Context) error {
	v, err := s.webhooksView(c, views.WebhookForm{}, nil)
	if err != nil {
		return err
	}
	return s.renderComponent(c, http.StatusOK, views.Webhooks(v))
}

type webhookForm struct {
	URL         string   `form:"url"`
	Events      []string `form:"events"`
	Kind        string   `form:"kind"`
	Description string   `form:"description"`
}

// createWebhook adds an endpoint and shows its secret this once; a bad form
// is shown again with the error (400).
func (s *Server) createWebhook(c echo.Context) error {
	var f webhookForm
	if err := c.Bind(&f); err != nil {
		return badRequest("the webhook form could not be read")
	}
	ctx := c.Request().Context()
	in := store.WebhookInput{URL: f.URL, Events: f.Events, Kind: f.Kind, Description: f.Description}
	err := in.Validate()
	if err == nil {
		u, _ := store.ValidateWebhookURL(in.URL)
		if terr := s.cfg.WebhookAllow.CheckTarget(ctx, u.Hostname()); terr != nil {
			err = &store.ValidationError{Field: "url", Message: terr.Error()}
		}
	}
	var e *store.WebhookEndpoint
	var secret string
	if err == nil {
		e, secret, err = s.store.CreateWebhook(ctx, actorOf(c), c.RealIP(), in)
	}
	var ve *store.ValidationError
	if err != nil && !errors.As(err, &ve) {
		return err
	}
	form, events, status := views.WebhookForm{}, []string(nil), http.StatusCreated
	if ve != nil {
		form, events, status = views.WebhookForm{URL: f.URL, Kind: f.Kind, Description: f.Description}, f.Events, http.StatusBadRequest
	}
	v, verr := s.webhooksView(c, form, events)
	if verr != nil {
		return verr
	}
	if ve != nil {
		v.Error = ve.Error()
	} else {
		v.Secret = &views.WebhookSecret{ID: e.ID, URL: e.URL, Secret: secret}
	}
	return s.renderComponent(c, status, views.Webhooks(v))
}

// webhookAction runs one of the row's buttons and goes back to the list.
func (s *Server) webhookAction(action string) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := parseID(c)
		if err != nil {
			return err
		}
		ctx, actor, ip := c.Request().Context(), actorOf(c), c.RealIP()
		switch action {
		case "enable", "disable":
			err = s.store.SetWebhookEnabled(ctx, actor, ip, id, action == "enable")
		case "delete":
			err = s.store.DeleteWebhook(ctx, actor, ip, id)
		case "test":
			_, err = s.store.QueueTestEvent(ctx, actor, ip, id)
		}
		if err != nil {
			return err
		}
		return c.Redirect(http.StatusSeeOther, "/admin/webhooks?done="+action)
	}
}

// rotateWebhook gives the endpoint a new secret and shows it this once.
func (s *Server) rotateWebhook(c echo.Context) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	secret, err := s.store.RotateWebhookSecret(ctx, actorOf(c), c.RealIP(), id)
	if err != nil {
		return err
	}
	e, err := s.store.GetWebhook(ctx, id)
	if err != nil {
		return err
	}
	v, err := s.webhooksView(c, views.WebhookForm{}, nil)
	if err != nil {
		return err
	}
	v.Secret = &views.WebhookSecret{ID: e.ID, URL: e.URL, Secret: secret, Rotated: true}
	return s.renderComponent(c, http.StatusOK, views.Webhooks(v))
}

// webhookDeliveriesPage is an endpoint's delivery log, newest first, a
// keyset page at a time (?before=ID).
func (s *Server) webhookDeliveriesPage(c echo.Context) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	var before int64
	if raw := c.QueryParam("before"); raw != "" {
		if before, err = strconv.ParseInt(raw, 10, 64); err != nil || before <= 0 {
			return badRequest("before: not a delivery id")
		}
	}
	ctx := c.Request().Context()
	e, err := s.store.GetWebhook(ctx, id)
	if err != nil {
		return err
	}
	rows, next, err := s.store.ListDeliveries(ctx, id, before, deliveriesPageSize)
	if err != nil {
		return err
	}
	v := views.WebhookDeliveriesPage{Page: s.page(c, "Webhook deliveries", "webhooks"), Endpoint: s.webhookRow(c.Request().Context(), *e, nil),
		Notice: webhookNotices[c.QueryParam("done")]}
	if next != 0 {
		v.NextURL = "/admin/webhooks/" + strconv.FormatInt(id, 10) + "?before=" + strconv.FormatInt(next, 10)
	}
	for _, d := range rows {
		r := views.DeliveryRow{ID: d.ID, MsgID: d.MsgID, Type: d.Type, Status: d.Status, Attempts: d.Attempts, Answer: d.ResponseSnippet,
			Error: d.Error, CreatedAt: fmtTime(c.Request().Context(), d.CreatedAt), CanRedeliver: d.Status != store.DeliveryPending}
		if d.LastAttemptAt != nil {
			r.LastAttempt = "last " + fmtOptTime(c.Request().Context(), d.LastAttemptAt)
		}
		if d.Status == store.DeliveryPending && d.Attempts > 0 {
			r.NextAttempt = fmtTime(c.Request().Context(), d.NextAttemptAt)
		}
		if d.ResponseCode != nil {
			r.Code = "HTTP " + strconv.Itoa(*d.ResponseCode)
		}
		if d.LatencyMS != nil {
			r.Latency = strconv.Itoa(*d.LatencyMS) + " ms"
		}
		v.Rows = append(v.Rows, r)
	}
	return s.renderComponent(c, http.StatusOK, views.WebhookDeliveries(v))
}

// redeliver queues a finished delivery again with its webhook-id.
func (s *Server) redeliver(c echo.Context) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	endpoint, err := s.store.Redeliver(ctx, actorOf(c), c.RealIP(), id)
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin/webhooks/"+strconv.FormatInt(endpoint, 10)+"?done=redeliver")
}
