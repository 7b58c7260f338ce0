package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"reviewq/store"
	"reviewq/views"
)

const tokensPageSize = 100

var scopeHelp = map[string]string{
	store.ScopeQueueRead:    "read the queue, its stats and tasks",
	store.ScopeQueueWrite:   "approve, reject and skip tasks",
	store.ScopeLeadsWrite:   "push leads, flag them, send scores and quality results",
	store.ScopeOutreachRead: "ask whether a lead may be contacted",
}

// fmtOptTime is fmtTime of a time that may not be set ("never").
func fmtOptTime(ctx context.Context, t *time.Time) string {
	if t == nil {
		return "never"
	}
	return fmtTime(ctx, *t)
}

func (s *Server) tokenRow(c echo.Context, t store.APIToken) views.TokenRow {
	r := views.TokenRow{CSRF: s.csrfToken(c), ID: t.ID, Name: t.Name, Prefix: t.Prefix, Scopes: t.ScopeList(), CreatedBy: t.CreatedBy,
		CreatedAt: fmtOptTime(c.Request().Context(), &t.CreatedAt), LastUsed: fmtOptTime(c.Request().Context(), t.LastUsedAt)}
	if t.RevokedAt != nil {
		r.Revoked = fmtOptTime(c.Request().Context(), t.RevokedAt)
	}
	if t.ExpiresAt != nil {
		r.Expires, r.Expired = fmtOptTime(c.Request().Context(), t.ExpiresAt), !t.ExpiresAt.After(store.Now())
	}
	return r
}

// tokensSection lists a keyset page of tokens (?after=ID) under the form.
func (s *Server) tokensSection(c echo.Context, form views.TokenForm) (views.TokensSection, error) {
	var after int64
	if raw := c.QueryParam("after"); raw != "" {
		var err error
		if after, err = strconv.ParseInt(raw, 10, 64); err != nil || after < 0 {
			return views.TokensSection{}, badRequest("after: not a token id")
		}
	}
	toks, err := s.store.ListTokens(c.Request().Context(), after, tokensPageSize+1)
	if err != nil {
		return views.TokensSection{}, err
	}
	sec := views.TokensSection{CSRF: s.csrfToken(c), Form: form}
	if len(toks) > tokensPageSize {
		toks = toks[:tokensPageSize]
		sec.NextURL = "/admin/tokens?after=" + strconv.FormatInt(toks[len(toks)-1].ID, 10)
	}
	for _, t := range toks {
		sec.Rows = append(sec.Rows, s.tokenRow(c, t))
	}
	for _, sc := range store.Scopes {
		checked := false
		for _, f := range form.Scopes {
			checked = checked || f == sc
		}
		sec.Scopes = append(sec.Scopes, views.ScopeOption{Value: sc, Help: scopeHelp[sc], Checked: checked})
	}
	return sec, nil
}

func (s *Server) tokensPage(c echo.Context) error {
	sec, err := s.tokensSection(c, views.TokenForm{})
	if err != nil {
		return err
	}
	return s.renderComponent(c, http.StatusOK, views.Tokens(views.TokensPage{Page: s.page(c, "API tokens", "tokens"), Section: sec}))
}

type tokenForm struct {
	Name        string   `form:"name"`
	Scopes      []string `form:"scopes"`
	ExpiresDays string   `form:"expires_days"`
}

// createToken makes a token and shows its secret this once; a bad form is
// shown again with the error (400).
func (s *Server) createToken(c echo.Context) error {
	var f tokenForm
	if err := c.Bind(&f); err != nil {
		return badRequest("the token form could not be read")
	}
	form := views.TokenForm{Name: f.Name, Scopes: f.Scopes, ExpiresDays: f.ExpiresDays}
	status := http.StatusCreated
	var created *views.CreatedToken
	var formErr string
	var tok *store.APIToken
	var secret string
	expiresAt, err := store.ParseTokenLifetime(f.ExpiresDays, store.Now())
	if err == nil {
		tok, secret, err = s.store.CreateTokenExpiring(c.Request().Context(), actorOf(c), c.RealIP(), f.Name, f.Scopes, expiresAt)
	}
	var ve *store.ValidationError
	switch {
	case errors.As(err, &ve):
		status, formErr = http.StatusBadRequest, ve.Error()
	case err != nil:
		return err
	default:
		created = &views.CreatedToken{ID: tok.ID, Name: tok.Name, Secret: secret}
		form = views.TokenForm{}
	}
	sec, err := s.tokensSection(c, form)
	if err != nil {
		return err
	}
	sec.Created, sec.Error = created, formErr
	if isHTMX(c) {
		return s.renderComponent(c, status, views.TokensBody(sec))
	}
	return s.renderComponent(c, status, views.Tokens(views.TokensPage{Page: s.page(c, "API tokens", "tokens"), Section: sec}))
}

// revokeToken ends a token at once and swaps its row for the revoked one.
func (s *Server) revokeToken(c echo.Context) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if err := s.store.RevokeToken(ctx, actorOf(c), c.RealIP(), id); err != nil {
		return err
	}
	if !isHTMX(c) {
		return c.Redirect(http.StatusSeeOther, "/admin/tokens")
	}
	tok, err := s.store.GetToken(ctx, id)
	if err != nil {
		return err
	}
	return s.renderComponent(c, http.StatusOK, views.TokenRowView(s.tokenRow(c, *tok)))
}
