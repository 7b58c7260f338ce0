package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"reviewq/store"
)

// decodeJSON reads exactly one JSON object into v, strictly: unknown
// fields, wrong types, trailing data and malformed JSON are 400 naming the
// problem, a body over the limit 413. allowEmpty takes an empty body as {}.
func decodeJSON(c echo.Context, v any, allowEmpty bool) error {
	req := c.Request()
	if ct := req.Header.Get(echo.HeaderContentType); ct != "" && !strings.HasPrefix(ct, echo.MIMEApplicationJSON) {
		return httpError(http.StatusUnsupportedMediaType, "unsupported_media_type", "send the body as application/json")
	}
	return decodeStrict(req.Body, v, allowEmpty)
}

// decodeStrict is decodeJSON without the request (and the fuzz target).
func decodeStrict(r io.Reader, v any, allowEmpty bool) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) && allowEmpty {
			return nil
		}
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errTooLarge
		}
		return badRequest("the body must be one JSON object and nothing after it")
	}
	return nil
}

// jsonError turns a decoding error into a 400 that names the field, never
// into Go's type names.
func jsonError(err error) error {
	var mbe *http.MaxBytesError
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &mbe):
		return errTooLarge
	case errors.Is(err, io.EOF):
		return badRequest("the body is empty: send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("malformed JSON: the body ends too early")
	case errors.As(err, &se):
		return badRequest(fmt.Sprintf("malformed JSON at byte %d", se.Offset))
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			return badRequest("the body must be a JSON object")
		}
		return httpError(http.StatusBadRequest, "invalid", fmt.Sprintf("%s: must be %s", field, jsonKind(te.Type.Kind().String())))
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return badRequest("unknown field " + f)
	}
	return badRequest("malformed JSON")
}

func jsonKind(k string) string {
	switch {
	case strings.HasPrefix(k, "int"), strings.HasPrefix(k, "uint"):
		return "a whole number"
	case strings.HasPrefix(k, "float"):
		return "a number"
	case k == "string":
		return "a string"
	case k == "bool":
		return "true or false"
	case k == "slice", k == "array":
		return "an array"
	case k == "struct", k == "map", k == "ptr":
		return "an object"
	}
	return "of another type"
}

// leadID resolves the :id of a lead route: reviewq's id, or with
// ?by=external_id the engines' id.
func (s *Server) leadID(c echo.Context) (int64, error) {
	raw := leadParam(c)
	switch c.QueryParam("by") {
	case "", "id":
		id, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || id <= 0 {
			return 0, httpError(http.StatusNotFound, "not_found", "no lead with id "+strconv.Quote(raw)+" (to use the engines' id add ?by=external_id)")
		}
		return id, nil
	case "external_id":
		l, err := s.store.GetLeadByExternalID(c.Request().Context(), raw)
		if errors.Is(err, store.ErrNotFound) {
			return 0, httpError(http.StatusNotFound, "not_found", "no lead with external_id "+strconv.Quote(raw))
		}
		if err != nil {
			return 0, err
		}
		return l.ID, nil
	}
	return 0, badRequest("by: must be id or external_id")
}

// leadParam is the :id of a lead route, unescaped: echo hands it over as
// sent when the path holds escapes (an external id with "/" or spaces).
func leadParam(c echo.Context) string {
	raw := c.Param("id")
	if v, err := url.PathUnescape(raw); err == nil {
		return v
	}
	return raw
}

func leadNotFound(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return httpError(http.StatusNotFound, "not_found", "no such lead")
	}
	return err
}

// requireQueueEnabled answers 503 on the review endpoints while the
// queue.enabled setting is off.
func (s *Server) requireQueueEnabled(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		set, err := s.store.Settings(c.Request().Context())
		if err != nil {
			return err
		}
		if !set.QueueEnabled() {
			return store.ErrQueueDisabled
		}
		return next(c)
	}
}

// requireAnyScope is requireScope for routes several kinds of client use.
func requireAnyScope(scopes ...string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if tok := currentToken(c); tok != nil {
				for _, sc := range scopes {
					if tok.HasScope(sc) {
						return next(c)
					}
				}
				return httpError(http.StatusForbidden, "forbidden", "this token lacks the scope: one of "+strings.Join(scopes, ", "))
			}
			op := currentOperator(c)
			if op == nil {
				return errUnauthorized
			}
			for _, sc := range scopes {
				if store.RoleRank(op.Role) >= store.RoleRank(scopeRoles[sc]) {
					return next(c)
				}
			}
			return errForbidden
		}
	}
}
