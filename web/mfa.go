package web

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"fmt"
	"image/png"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"reviewq/store"
	"reviewq/views"
)

// Two-factor sign-in with TOTP (RFC 6238). A password that is right for an
// account with a factor starts a session in state "code", which grants
// nothing but /login/mfa; the code (or a recovery code) swaps it for a
// signed-in session with a new token. An account whose role requires a
// factor it lacks is signed in to a session in state "enrol", which reaches
// only the set-up pages until the factor is confirmed.

const (
	ctxMFAPending = "mfa_pending_operator"
	ctxMFASession = "mfa_pending_session"
	totpPeriod    = 30
	totpIssuer    = "reviewq"
)

var errMFAEnrolFirst = httpError(http.StatusForbidden, "mfa_required",
	"your role requires two-factor sign-in: set it up at /account/mfa first")

// pendingSession handles a request on a session that is not fully signed
// in (loadSession found its state set).
func (s *Server) pendingSession(c echo.Context, next echo.HandlerFunc, info *store.SessionInfo, token string) error {
	op := info.Operator
	switch info.Session.MFAState {
	case store.SessionNeedsEnrol:
		c.Set(ctxOperator, &op)
		c.Set(ctxSessionTok, token)
		p := c.Request().URL.Path
		if p == "/account/mfa" || strings.HasPrefix(p, "/account/mfa/") || p == "/logout" {
			return next(c)
		}
		if c.Request().Method == http.MethodGet && !isHTMX(c) && !isAPI(c) {
			return c.Redirect(http.StatusSeeOther, "/account/mfa")
		}
		return errMFAEnrolFirst
	default: // store.SessionNeedsCode: anonymous to everything but the code page
		c.Set(ctxMFAPending, &op)
		c.Set(ctxMFASession, token)
		return next(c)
	}
}

// secondFactorAtLogin runs after a right password: for an account with a
// factor it starts a session that waits for the code, for one whose role
// requires a factor it lacks one that may only enrol. done is false when
// neither applies and the login goes on as before.
func (s *Server) secondFactorAtLogin(c echo.Context, op *store.Operator, next string) (done bool, err error) {
	ctx := c.Request().Context()
	on, err := s.store.MFAEnabled(ctx, op.ID)
	if err != nil {
		return true, err
	}
	state := store.SessionNeedsCode
	if !on {
		set, err := s.store.Settings(ctx)
		if err != nil {
			return true, err
		}
		if !set.MFARequiredFor(op.Role) {
			return false, nil
		}
		state = store.SessionNeedsEnrol
	}
	token, err := s.store.CreatePendingSession(ctx, op, c.RealIP(), c.Request().UserAgent(), state)
	if err != nil {
		return true, err
	}
	if err := s.setSessionCookie(c, token); err != nil {
		return true, err
	}
	if state == store.SessionNeedsEnrol {
		s.loginSucceeded(c, op)
		return true, c.Redirect(http.StatusSeeOther, "/account/mfa")
	}
	// The password is proven: its failures are forgotten, the code's
	// tries are counted afresh against the same budget.
	if err := s.store.ClearLoginFailures(ctx, op.Email); err != nil {
		s.log.Warn("clearing login failures", "error", err.Error())
	}
	return true, c.Redirect(http.StatusSeeOther, "/login/mfa?next="+url.QueryEscape(safeNext(next)))
}

// setSessionCookie puts a new session token in the cookie with a new CSRF
// seed, ending the session the cookie named before.
func (s *Server) setSessionCookie(c echo.Context, token string) error {
	sess := s.cookieSession(c)
	if old, _ := sess.Values["sid"].(string); old != "" && old != token {
		_ = s.store.DeleteSession(c.Request().Context(), old)
	}
	sess.Values["sid"] = token
	sess.Values["csrf"] = store.RandomToken(24)
	return sess.Save(c.Request(), c.Response())
}

func pendingOperator(c echo.Context) (*store.Operator, string) {
	op, _ := c.Get(ctxMFAPending).(*store.Operator)
	token, _ := c.Get(ctxMFASession).(string)
	return op, token
}

func (s *Server) mfaCodePage(c echo.Context) error {
	op, _ := pendingOperator(c)
	if op == nil {
		if currentOperator(c) != nil {
			return c.Redirect(http.StatusSeeOther, safeNext(c.QueryParam("next")))
		}
		return c.Redirect(http.StatusSeeOther, "/login")
	}
	v := views.MFACodePage{Page: s.page(c, "Two-factor sign-in", ""), Email: op.Email, Next: safeNext(c.QueryParam("next"))}
	return s.render(c, http.StatusOK, views.MFACode(v), nil)
}

type mfaCodeForm struct {
	Code string `form:"code"`
	Next string `form:"next"`
}

// mfaLogin checks the second factor of a pending login.
func (s *Server) mfaLogin(c echo.Context) error {
	op, token := pendingOperator(c)
	if op == nil {
		return c.Redirect(http.StatusSeeOther, "/login")
	}
	var f mfaCodeForm
	if err := c.Bind(&f); err != nil {
		return badRequest("the form could not be read")
	}
	fail := func(status int, msg string) error {
		v := views.MFACodePage{Page: s.page(c, "Two-factor sign-in", ""), Email: op.Email, Next: safeNext(f.Next), Error: msg}
		return s.render(c, status, views.MFACode(v), nil)
	}
	if len(f.Code) > 64 {
		return fail(http.StatusBadRequest, "That is not a code.")
	}
	if msg, ok := s.loginAllowed(c, op.Email); !ok {
		return fail(http.StatusTooManyRequests, msg)
	}
	ok, msg, err := s.checkSecondFactor(c, op, f.Code)
	if err != nil {
		return err
	}
	if !ok {
		s.loginFailed(c, op.Email)
		return fail(http.StatusUnauthorized, msg)
	}
	ctx := c.Request().Context()
	fresh, err := s.store.PromoteSession(ctx, token, store.SessionNeedsCode, op, c.RealIP(), c.Request().UserAgent())
	if errors.Is(err, store.ErrNoSession) {
		return c.Redirect(http.StatusSeeOther, "/login")
	}
	if err != nil {
		return err
	}
	if err := s.setSessionCookie(c, fresh); err != nil {
		return err
	}
	s.loginSucceeded(c, op)
	return c.Redirect(http.StatusSeeOther, safeNext(f.Next))
}

// checkSecondFactor accepts a current TOTP code (once) or an unused
// recovery code (once); msg says what was wrong.
func (s *Server) checkSecondFactor(c echo.Context, op *store.Operator, code string) (ok bool, msg string, err error) {
	ctx := c.Request().Context()
	code = strings.TrimSpace(code)
	if isTOTPShape(code) {
		m, err := s.store.GetMFA(ctx, op.ID)
		if errors.Is(err, store.ErrNotFound) || (err == nil && !m.Enabled()) {
			return false, "Two-factor sign-in is not set up for this account.", nil
		}
		if err != nil {
			return false, "", err
		}
		secret, err := s.openSecret(m.Secret)
		if err != nil {
			return false, "", err
		}
		step, match := matchTOTP(secret, code, time.Now())
		if !match {
			return false, "Wrong code. Check the time on your phone and try the newest code.", nil
		}
		used, err := s.store.UseTOTPStep(ctx, op.ID, step)
		if err != nil {
			return false, "", err
		}
		if !used {
			return false, "That code was used already. Wait for the next one.", nil
		}
		return true, "", nil
	}
	used, err := s.store.UseRecoveryCode(ctx, op, c.RealIP(), code)
	if err != nil {
		return false, "", err
	}
	if !used {
		return false, "Wrong code: enter the 6-digit code from your app, or an unused recovery code.", nil
	}
	return true, "", nil
}

func isTOTPShape(code string) bool {
	code = strings.ReplaceAll(code, " ", "")
	return len(code) == 6 && strings.Trim(code, "0123456789") == ""
}

// matchTOTP finds the 30-second step whose code this is, accepting the
// previous and the next step for clocks that drift.
func matchTOTP(secret, code string, now time.Time) (int64, bool) {
	code = strings.ReplaceAll(code, " ", "")
	opts := totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}
	for _, d := range []int64{0, -1, 1} {
		t := now.Add(time.Duration(d*totpPeriod) * time.Second)
		want, err := totp.GenerateCodeCustom(secret, t, opts)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return t.Unix() / totpPeriod, true
		}
	}
	return 0, false
}

// sealSecret encrypts a TOTP secret for the database (store.SealSecret) under a
// key derived from the session secret; the database alone does not give
// the codes away. Changing REVIEWQ_SESSION_SECRET makes sealed secrets
// unreadable: every factor must then be reset.
func (s *Server) sealSecret(secret string) (string, error) {
	return store.SealSecret(store.DeriveKey(s.cfg.SessionSecret, "mfa-secret"), secret, "totp")
}

func (s *Server) openSecret(sealed string) (string, error) {
	plain, err := store.OpenSealed(store.DeriveKey(s.cfg.SessionSecret, "mfa-secret"), sealed, "totp")
	if err != nil {
		return "", errors.New("mfa secret: cannot be opened with this REVIEWQ_SESSION_SECRET (reset the account's two-factor sign-in)")
	}
	return plain, nil
}

// totpKey is the otpauth:// key an authenticator app reads from the QR code.
func totpKey(secret, email string) (*otp.Key, error) {
	u := url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + totpIssuer + ":" + email}
	q := url.Values{"secret": {secret}, "issuer": {totpIssuer}, "algorithm": {"SHA1"}, "digits": {"6"}, "period": {"30"}}
	u.RawQuery = q.Encode()
	return otp.NewKeyFromURL(u.String())
}

// --- the account's own set-up pages ---

func (s *Server) mfaVM(c echo.Context) (views.MFAPage, error) {
	ctx := c.Request().Context()
	op := currentOperator(c)
	v := views.MFAPage{Page: s.page(c, "Two-factor sign-in", "")}
	set, err := s.store.Settings(ctx)
	if err != nil {
		return v, err
	}
	v.Required = set.MFARequiredFor(op.Role)
	m, err := s.store.GetMFA(ctx, op.ID)
	if errors.Is(err, store.ErrNotFound) {
		return v, nil
	}
	if err != nil {
		return v, err
	}
	if m.Enabled() {
		v.Enabled, v.Since = true, fmtTime(c.Request().Context(), *m.ConfirmedAt)
		v.CodesLeft, err = s.store.RecoveryCodesLeft(ctx, op.ID)
		return v, err
	}
	secret, err := s.openSecret(m.Secret)
	if err != nil {
		return v, err
	}
	v.Pending, v.Secret, v.QRURL = true, groupSecret(secret), "/account/mfa/qr.png?v="+m.CreatedAt.Format("150405")
	return v, nil
}

// groupSecret shows the base32 secret in groups of four for typing.
func groupSecret(secret string) string {
	var b strings.Builder
	for i, r := range secret {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (s *Server) mfaPage(c echo.Context) error {
	v, err := s.mfaVM(c)
	if err != nil {
		return err
	}
	switch c.QueryParam("done") {
	case "off":
		v.Flash = "Two-factor sign-in is off."
	}
	return s.render(c, http.StatusOK, views.AccountMFA(v), nil)
}

func (s *Server) mfaPageError(c echo.Context, status int, msg string) error {
	v, err := s.mfaVM(c)
	if err != nil {
		return err
	}
	v.Error = msg
	return s.render(c, status, views.AccountMFA(v), nil)
}

// startMFASetup makes a new pending secret and shows it (PRG).
func (s *Server) startMFASetup(c echo.Context) error {
	op := currentOperator(c)
	key, err := totp.Generate(totp.GenerateOpts{Issuer: totpIssuer, AccountName: op.Email, Period: totpPeriod})
	if err != nil {
		return fmt.Errorf("totp key: %w", err)
	}
	sealed, err := s.sealSecret(key.Secret())
	if err != nil {
		return err
	}
	err = s.store.StartMFAEnrolment(c.Request().Context(), op.ID, sealed)
	if status, msg, ok := formError(err); ok {
		return s.mfaPageError(c, status, msg)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/account/mfa")
}

// mfaQR is the pending secret as a QR code, drawn here: the secret never
// leaves for a QR service, and the image is same-origin under the CSP.
func (s *Server) mfaQR(c echo.Context) error {
	op := currentOperator(c)
	m, err := s.store.GetMFA(c.Request().Context(), op.ID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && m.Enabled()) {
		return errNotFound
	}
	if err != nil {
		return err
	}
	secret, err := s.openSecret(m.Secret)
	if err != nil {
		return err
	}
	key, err := totpKey(secret, op.Email)
	if err != nil {
		return err
	}
	img, err := key.Image(240, 240)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, "image/png", buf.Bytes())
}

type mfaConfirmForm struct {
	Code string `form:"code"`
}

// confirmMFASetup turns the pending factor on with a code from the app and
// shows the recovery codes, once.
func (s *Server) confirmMFASetup(c echo.Context) error {
	var f mfaConfirmForm
	if err := c.Bind(&f); err != nil {
		return badRequest("the form could not be read")
	}
	ctx, op := c.Request().Context(), currentOperator(c)
	if !isTOTPShape(strings.TrimSpace(f.Code)) {
		return s.mfaPageError(c, http.StatusBadRequest, "Enter the 6-digit code your app shows.")
	}
	m, err := s.store.GetMFA(ctx, op.ID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && m.Enabled()) {
		return s.mfaPageError(c, http.StatusConflict, "There is no set-up waiting to be confirmed; start again.")
	}
	if err != nil {
		return err
	}
	secret, err := s.openSecret(m.Secret)
	if err != nil {
		return err
	}
	step, ok := matchTOTP(secret, strings.TrimSpace(f.Code), time.Now())
	if !ok {
		return s.mfaPageError(c, http.StatusBadRequest, "Wrong code. Check the time on your phone and try the newest code.")
	}
	codes, err := s.store.ConfirmMFA(ctx, actorOf(c), c.RealIP(), op.ID, step)
	if status, msg, ok := formError(err); ok {
		return s.mfaPageError(c, status, msg)
	}
	if err != nil {
		return err
	}
	// A session that could only enrol is now a full one, with a new token.
	if token, _ := c.Get(ctxSessionTok).(string); token != "" {
		fresh, err := s.store.PromoteSession(ctx, token, store.SessionNeedsEnrol, op, c.RealIP(), c.Request().UserAgent())
		switch {
		case err == nil:
			if err := s.setSessionCookie(c, fresh); err != nil {
				return err
			}
		case !errors.Is(err, store.ErrNoSession):
			return err
		}
	}
	v, err := s.mfaVM(c)
	if err != nil {
		return err
	}
	v.RecoveryCodes = codes
	v.Page = s.page(c, "Two-factor sign-in", "")
	return s.render(c, http.StatusOK, views.AccountMFA(v), nil)
}

// disableMFA turns the operator's own factor off, proven by a current code;
// not while the role requires one.
func (s *Server) disableMFA(c echo.Context) error {
	var f mfaConfirmForm
	if err := c.Bind(&f); err != nil {
		return badRequest("the form could not be read")
	}
	ctx, op := c.Request().Context(), currentOperator(c)
	if strings.TrimSpace(f.Code) == "" {
		return s.mfaPageError(c, http.StatusBadRequest, "Enter a code from your app (or a recovery code) to turn two-factor sign-in off.")
	}
	set, err := s.store.Settings(ctx)
	if err != nil {
		return err
	}
	if set.MFARequiredFor(op.Role) {
		return s.mfaPageError(c, http.StatusConflict, "Your role requires two-factor sign-in; it cannot be turned off. An admin can reset it.")
	}
	if msg, ok := s.loginAllowed(c, op.Email); !ok {
		return s.mfaPageError(c, http.StatusTooManyRequests, msg)
	}
	ok, msg, err := s.checkSecondFactor(c, op, f.Code)
	if err != nil {
		return err
	}
	if !ok {
		s.loginFailed(c, op.Email)
		return s.mfaPageError(c, http.StatusBadRequest, msg)
	}
	if err := s.store.ClearLoginFailures(ctx, op.Email); err != nil {
		s.log.Warn("clearing login failures", "error", err.Error())
	}
	err = s.store.DisableMFA(ctx, actorOf(c), c.RealIP(), op.ID)
	if status, msg, ok := formError(err); ok {
		return s.mfaPageError(c, status, msg)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/account/mfa?done=off")
}

// resetOperatorMFA is an admin removing an account's factor (audited; the
// account's sessions end).
func (s *Server) resetOperatorMFA(c echo.Context) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	err = s.store.ResetMFA(c.Request().Context(), actorOf(c), c.RealIP(), id)
	return s.afterChange(c, id, err, "mfa-reset")
}
