package web

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"reviewq/store"
	"reviewq/views"
)

// HTTPError is an error with the status, code and message a client sees.
type HTTPError struct {
	Status  int
	Code    string
	Message string
	// RetryAfter, in seconds, for a 503 (5 when not set).
	RetryAfter string
}

func (e *HTTPError) Error() string { return e.Message }

func httpError(status int, code, msg string) *HTTPError {
	return &HTTPError{Status: status, Code: code, Message: msg}
}

var (
	errTooLarge     = httpError(http.StatusRequestEntityTooLarge, "body_too_large", "the request body is too large")
	errUnauthorized = httpError(http.StatusUnauthorized, "unauthorized", "log in or send a valid API token")
	errForbidden    = httpError(http.StatusForbidden, "forbidden", "your role does not allow this")
	errCSRF         = httpError(http.StatusForbidden, "csrf", "the form's security token is missing or stale: reload the page and try again")
	errNotFound     = httpError(http.StatusNotFound, "not_found", "no such page or record")
	errUnavailable  = httpError(http.StatusServiceUnavailable, "unavailable", "the database is unavailable; try again shortly")
	// errBusy: write conflicts (Galera certification failures, deadlocks)
	// outlasted the store's retries; sending the request again in a moment
	// normally succeeds.
	errBusy = &HTTPError{Status: http.StatusServiceUnavailable, Code: "unavailable", RetryAfter: "1",
		Message: "the database is busy; try again in a moment"}
)

// classify maps any error to what the client is told. Unknown errors are
// 500 unless the database does not answer, which is 503.
func (s *Server) classify(c echo.Context, err error) *HTTPError {
	var he *HTTPError
	var ve *store.ValidationError
	var ce *store.ConflictError
	var fe *store.ForbiddenError
	var ee *echo.HTTPError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &he):
		return he
	case errors.As(err, &mbe):
		return errTooLarge
	case errors.As(err, &ve):
		return httpError(http.StatusBadRequest, "invalid", ve.Error())
	case errors.As(err, &ce):
		return httpError(http.StatusConflict, "conflict", ce.Message)
	case errors.As(err, &fe):
		return httpError(http.StatusForbidden, "forbidden", fe.Message)
	case errors.Is(err, store.ErrNotFound):
		return errNotFound
	case errors.Is(err, store.ErrBadCursor):
		return httpError(http.StatusBadRequest, "invalid", "cursor: not a valid cursor")
	case store.Conflict(err):
		return errBusy
	case errors.Is(err, store.ErrUnavailable) || store.Transient(err):
		return errUnavailable
	case errors.Is(err, store.ErrQueueDisabled):
		return httpError(http.StatusServiceUnavailable, "queue_disabled", "the review queue is disabled (setting queue.enabled)")
	case errors.As(err, &ee):
		switch ee.Code {
		case http.StatusNotFound:
			return errNotFound
		case http.StatusMethodNotAllowed:
			return httpError(http.StatusMethodNotAllowed, "method_not_allowed", "method not allowed")
		case http.StatusRequestEntityTooLarge:
			return errTooLarge
		case http.StatusBadRequest:
			return httpError(http.StatusBadRequest, "invalid", "bad request")
		case http.StatusUnauthorized:
			return errUnauthorized
		case http.StatusForbidden:
			return errForbidden
		}
		return httpError(ee.Code, "error", http.StatusText(ee.Code))
	case errors.Is(err, context.Canceled):
		return httpError(499, "canceled", "request canceled")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if s.store.Ping(ctx) != nil || errors.Is(err, context.DeadlineExceeded) {
		return errUnavailable
	}
	return httpError(http.StatusInternalServerError, "internal", "something went wrong on our side; it has been logged")
}

// ctxRefusal holds why a request was refused on purpose rather than failed
// (refusalQueueDisabled), for the access log and the HTTP metrics.
const ctxRefusal = "refusal"

// ctxErrorTarget, when a handler sets it, is the element an htmx request's
// error message goes to instead of the page's flash area (the bulk bar's
// errors show next to the bar rather than pushing the page down).
const ctxErrorTarget = "error_target"

// refusalQueueDisabled: the queue.enabled setting is off, the documented
// rollback. Its 503s are logged at WARN and counted under their own label,
// so that switching the queue off does not page anyone as an outage.
const refusalQueueDisabled = "queue_disabled"

// refusal names why err is a deliberate refusal, or "" for anything else.
func refusal(err error) string {
	if errors.Is(err, store.ErrQueueDisabled) {
		return refusalQueueDisabled
	}
	return ""
}

func isAPI(c echo.Context) bool { return strings.HasPrefix(c.Request().URL.Path, "/api/") }

func isHTMX(c echo.Context) bool { return c.Request().Header.Get("HX-Request") == "true" }

// isPoll tells the requests htmx sends by itself on a timer (the queue's
// live refresh, the claim renewal) from those an operator triggered.
func isPoll(c echo.Context) bool {
	p := c.Request().URL.Path
	return p == "/dashboard/review-queue/live" || strings.HasSuffix(p, "/claim/renew")
}

// htmxStopPolling is the status that makes htmx stop a poll (hx-trigger="every ...").
const htmxStopPolling = 286

// htmxLoginNeeded answers an htmx request whose session has ended. A
// redirect would not do: the XMLHttpRequest follows it and htmx swaps the
// login page into the pane. An action the operator took gets 401 with
// HX-Redirect, so the browser loads the whole login page, whose next is the
// page the operator was on (HX-Current-URL: filters and open review kept).
// A poll stops polling and says so in the flash area instead: it must not
// take the page (and a half-edited message) away from an operator who is
// reading.
func (s *Server) htmxLoginNeeded(c echo.Context) error {
	h := c.Response().Header()
	if isPoll(c) {
		h.Set("HX-Retarget", "#flash")
		h.Set("HX-Reswap", "innerHTML")
		return s.renderComponent(c, htmxStopPolling, views.FlashMessage(views.Flash{Kind: "error",
			Message: "Your session has ended. Reload the page to sign in again; you will come back to this view."}))
	}
	h.Set("HX-Redirect", loginURL(pageOfHTMXRequest(c)))
	return c.NoContent(http.StatusUnauthorized)
}

// handleError is the one place errors become responses: JSON for the API,
// a flash fragment for htmx, an error page otherwise. Internals go to the
// log only.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	he := s.classify(c, err)
	if why := refusal(err); why != "" {
		// Not a failure: the access log line says it, at WARN, with the reason.
		c.Set(ctxRefusal, why)
	} else if he.Status >= 500 {
		s.log.Error("request failed", "request_id", c.Get(ctxRequestID), "path", c.Request().URL.Path, "error", err.Error())
	}
	if he.Status == http.StatusServiceUnavailable {
		retryAfter := he.RetryAfter
		if retryAfter == "" {
			retryAfter = "5"
		}
		c.Response().Header().Set("Retry-After", retryAfter)
	}
	var werr error
	switch {
	case isAPI(c) || c.Request().URL.Path == "/metrics":
		werr = c.JSON(he.Status, map[string]any{"error": map[string]string{"code": he.Code, "message": he.Message}})
	case he.Status == http.StatusUnauthorized && isHTMX(c):
		werr = s.htmxLoginNeeded(c)
	case he.Status == http.StatusUnauthorized:
		werr = c.Redirect(http.StatusSeeOther, "/login")
	case isHTMX(c):
		// Errors land in the flash area, whatever the request's target was,
		// unless the handler named a place next to its form.
		target := "#flash"
		if t, ok := c.Get(ctxErrorTarget).(string); ok && t != "" {
			target = t
		}
		c.Response().Header().Set("HX-Retarget", target)
		c.Response().Header().Set("HX-Reswap", "innerHTML")
		werr = s.renderComponent(c, he.Status, views.FlashMessage(views.Flash{Kind: "error", Message: he.Message}))
	default:
		heading := http.StatusText(he.Status)
		if he.Status == http.StatusServiceUnavailable {
			heading = "Service unavailable"
		}
		werr = s.renderComponent(c, he.Status, views.Error(views.ErrorPage{Page: s.page(c, heading, ""), Status: he.Status, Heading: heading, Message: he.Message}))
	}
	if werr != nil {
		s.log.Error("writing error response", "request_id", c.Get(ctxRequestID), "error", werr.Error())
	}
}
