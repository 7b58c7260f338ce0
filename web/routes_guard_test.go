package web_test

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"

	"reviewq/store"
	"reviewq/web/webtest"
)

// principals, in the order of an expectation's columns.
var guardPrincipals = []string{"anon", store.RoleOperator, store.RoleLead, store.RoleAdmin,
	"tok:" + store.ScopeQueueRead, "tok:" + store.ScopeQueueWrite, "tok:" + store.ScopeLeadsWrite, "tok:" + store.ScopeOutreachRead}

// expect is the exact status each principal gets, in guardPrincipals order.
type expect [8]int

// A page guarded by requirePageRole: anonymous visitors and API tokens
// (which carry no session) are sent to the login, weaker roles get 403 and
// the role and above get ok (what the handler answers for this request).
func page(role string, ok int) expect {
	e := expect{http.StatusSeeOther}
	for i, r := range []string{store.RoleOperator, store.RoleLead, store.RoleAdmin} {
		e[i+1] = http.StatusForbidden
		if store.RoleRank(r) >= store.RoleRank(role) {
			e[i+1] = ok
		}
	}
	for i := 4; i < 8; i++ {
		e[i] = http.StatusSeeOther
	}
	return e
}

// sessionRole is the least role whose session may use a scope (web/apiauth.go).
var sessionRole = map[string]string{store.ScopeQueueRead: store.RoleOperator, store.ScopeQueueWrite: store.RoleOperator,
	store.ScopeOutreachRead: store.RoleOperator, store.ScopeLeadsWrite: store.RoleAdmin}

// api is a JSON route that any of scopes opens: no credentials 401, a
// token without the scope or a too weak session 403, else ok.
func api(ok int, scopes ...string) expect {
	e := expect{http.StatusUnauthorized}
	for i, r := range []string{store.RoleOperator, store.RoleLead, store.RoleAdmin} {
		e[i+1] = http.StatusForbidden
		for _, sc := range scopes {
			if store.RoleRank(r) >= store.RoleRank(sessionRole[sc]) {
				e[i+1] = ok
			}
		}
	}
	for i, p := range guardPrincipals[4:] {
		e[i+4] = http.StatusForbidden
		for _, sc := range scopes {
			if p == "tok:"+sc {
				e[i+4] = ok
			}
		}
	}
	return e
}

// public is the same answer for everyone.
func public(status int) expect {
	return expect{status, status, status, status, status, status, status, status}
}

// guardRow is one route: method, path as registered, the exact status of
// each principal, and whether it needs fresh sessions (it ends them).
type guardRow struct {
	want  expect
	fresh bool
}

// guardTable has a row for EVERY route of the router; a route without a
// row fails TestRouteGuards. Ids in paths are ones that do not exist, so
// an allowed request of a state-changing route changes nothing (404).
var guardTable = map[string]guardRow{
	"GET /":                      {want: public(http.StatusSeeOther)},
	"GET /healthz":               {want: public(http.StatusOK)},
	"GET /readyz":                {want: public(http.StatusOK)},
	"GET /static/:version/:name": {want: public(http.StatusNotFound)},
	"GET /favicon.ico":           {want: public(http.StatusOK)},
	"GET /login":                 {want: expect{200, 303, 303, 303, 200, 200, 200, 200}},
	"POST /login":                {want: public(http.StatusUnauthorized)},
	"POST /logout":               {want: page(store.RoleOperator, http.StatusSeeOther), fresh: true},
	"GET /set-password/:token":   {want: public(http.StatusNotFound)},
	"POST /set-password/:token":  {want: public(http.StatusNotFound)},
	"GET /account/password":      {want: page(store.RoleOperator, http.StatusOK)},
	"POST /account/password":     {want: page(store.RoleOperator, http.StatusBadRequest)},
	"POST /account/shortcuts":    {want: page(store.RoleOperator, http.StatusBadRequest)},
	"POST /account/time-zone":    {want: page(store.RoleOperator, http.StatusOK)},

	// Without a pending login the code page sends everyone on (303); single
	// sign-on is not configured in this server (404).
	"GET /login/mfa":           {want: public(http.StatusSeeOther)},
	"POST /login/mfa":          {want: public(http.StatusSeeOther)},
	"GET /login/oidc":          {want: public(http.StatusNotFound)},
	"GET /login/oidc/callback": {want: public(http.StatusNotFound)},
	"GET /account/mfa":         {want: page(store.RoleOperator, http.StatusOK)},
	// Before any set-up there is no QR code; set-up then redirects to the
	// page; a confirm or disable without a code is refused.
	"GET /account/mfa/qr.png":             {want: page(store.RoleOperator, http.StatusNotFound)},
	"POST /account/mfa/setup":             {want: page(store.RoleOperator, http.StatusSeeOther)},
	"POST /account/mfa/confirm":           {want: page(store.RoleOperator, http.StatusBadRequest)},
	"POST /account/mfa/disable":           {want: page(store.RoleOperator, http.StatusBadRequest)},
	"POST /admin/operators/:id/mfa/reset": {want: page(store.RoleAdmin, http.StatusNotFound)},

	"GET /admin/operators":                      {want: page(store.RoleAdmin, http.StatusOK)},
	"POST /admin/operators":                     {want: page(store.RoleAdmin, http.StatusBadRequest)},
	"GET /admin/operators/:id":                  {want: page(store.RoleAdmin, http.StatusNotFound)},
	"POST /admin/operators/:id/role":            {want: page(store.RoleAdmin, http.StatusNotFound)},
	"POST /admin/operators/:id/time-zone":       {want: page(store.RoleAdmin, http.StatusNotFound)},
	"POST /admin/operators/:id/deactivate":      {want: page(store.RoleAdmin, http.StatusNotFound)},
	"POST /admin/operators/:id/reactivate":      {want: page(store.RoleAdmin, http.StatusNotFound)},
	"POST /admin/operators/:id/password":        {want: page(store.RoleAdmin, http.StatusBadRequest)},
	"POST /admin/operators/:id/sessions/revoke": {want: page(store.RoleAdmin, http.StatusBadRequest)},
	"GET /admin/audit":                          {want: page(store.RoleAdmin, http.StatusOK)},
	"POST /admin/operators/:id/skills":          {want: page(store.RoleAdmin, http.StatusNotFound)},

	"GET /admin/assignment":              {want: page(store.RoleAdmin, http.StatusOK)},
	"POST /admin/assignment":             {want: page(store.RoleAdmin, http.StatusBadRequest)},
	"POST /admin/assignment/:id/enable":  {want: page(store.RoleAdmin, http.StatusNotFound)},
	"POST /admin/assignment/:id/disable": {want: page(store.RoleAdmin, http.StatusNotFound)},
	"POST /admin/assignment/:id/delete":  {want: page(store.RoleAdmin, http.StatusNotFound)},
	"POST /admin/assignment/:id/move":    {want: page(store.RoleAdmin, http.StatusBadRequest)},

	"GET /admin/tokens":             {want: page(store.RoleAdmin, http.StatusOK)},
	"POST /admin/tokens":            {want: page(store.RoleAdmin, http.StatusBadRequest)},
	"POST /admin/tokens/:id/revoke": {want: page(store.RoleAdmin, http.StatusNotFound)},
	"GET /admin/settings":           {want: page(store.RoleAdmin, http.StatusOK)},
	"POST /admin/settings/:key":     {want: page(store.RoleAdmin, http.StatusNotFound)},

	"GET /admin/webhooks":                           {want: page(store.RoleAdmin, http.StatusOK)},
	"POST /admin/webhooks":                          {want: page(store.RoleAdmin, http.StatusBadRequest)},
	"GET /admin/webhooks/:id":                       {want: page(store.RoleAdmin, http.StatusNotFound)},
	"POST /admin/webhooks/:id/enable":               {want: page(store.RoleAdmin, http.StatusNotFound)},
	"POST /admin/webhooks/:id/disable":              {want: page(store.RoleAdmin, http.StatusNotFound)},
	"POST /admin/webhooks/:id/delete":               {want: page(store.RoleAdmin, http.StatusNotFound)},
	"POST /admin/webhooks/:id/test":                 {want: page(store.RoleAdmin, http.StatusNotFound)},
	"POST /admin/webhooks/:id/rotate":               {want: page(store.RoleAdmin, http.StatusNotFound)},
	"POST /admin/webhooks/deliveries/:id/redeliver": {want: page(store.RoleAdmin, http.StatusNotFound)},

	"GET /dashboard/review-queue":                     {want: page(store.RoleOperator, http.StatusOK)},
	"GET /dashboard/review-queue/rows":                {want: page(store.RoleOperator, http.StatusOK)},
	"GET /dashboard/review-queue/live":                {want: page(store.RoleOperator, http.StatusOK)},
	"GET /dashboard/review-queue/:id":                 {want: page(store.RoleOperator, http.StatusNotFound)},
	"GET /dashboard/review-queue/decided":             {want: page(store.RoleOperator, http.StatusOK)},
	"GET /dashboard/review-queue/decided/rows":        {want: page(store.RoleOperator, http.StatusOK)},
	"POST /dashboard/review-queue/bulk":               {want: page(store.RoleOperator, http.StatusBadRequest)},
	"POST /dashboard/review-queue/bulk/preview":       {want: page(store.RoleOperator, http.StatusBadRequest)},
	"POST /dashboard/review-queue/bulk/split/preview": {want: page(store.RoleLead, http.StatusBadRequest)},
	"POST /dashboard/review-queue/bulk/split":         {want: page(store.RoleLead, http.StatusBadRequest)},
	"POST /dashboard/review-queue/:id/claim":          {want: page(store.RoleOperator, http.StatusNotFound)},
	"POST /dashboard/review-queue/:id/claim/renew":    {want: page(store.RoleOperator, http.StatusNotFound)},
	"POST /dashboard/review-queue/:id/release":        {want: page(store.RoleOperator, http.StatusNotFound)},
	"POST /dashboard/review-queue/:id/assign":         {want: page(store.RoleOperator, http.StatusNotFound)},
	"POST /dashboard/review-queue/:id/escalate":       {want: page(store.RoleOperator, http.StatusNotFound)},
	"POST /dashboard/review-queue/:id/sendback":       {want: page(store.RoleOperator, http.StatusNotFound)},
	"POST /dashboard/review-queue/:id/snooze":         {want: page(store.RoleOperator, http.StatusNotFound)},
	"POST /dashboard/review-queue/:id/unsnooze":       {want: page(store.RoleOperator, http.StatusNotFound)},
	"POST /dashboard/review-queue/:id/reflag":         {want: page(store.RoleOperator, http.StatusBadRequest)},
	"POST /dashboard/review-queue/:id/notes":          {want: page(store.RoleOperator, http.StatusBadRequest)},
	"POST /dashboard/review-queue/:id/reopen":         {want: page(store.RoleLead, http.StatusNotFound)},
	"POST /dashboard/review-queue/:id/undo":           {want: page(store.RoleOperator, http.StatusNotFound)},

	// Saved views (web/queue_views.go): a save without a name is 400.
	"POST /dashboard/review-queue/views":             {want: page(store.RoleOperator, http.StatusBadRequest)},
	"POST /dashboard/review-queue/views/:vid/delete": {want: page(store.RoleOperator, http.StatusNotFound)},

	"GET /dashboard/leads":            {want: page(store.RoleOperator, http.StatusOK)},
	"GET /dashboard/leads/:id":        {want: page(store.RoleOperator, http.StatusNotFound)},
	"POST /dashboard/leads/:id/flag":  {want: page(store.RoleOperator, http.StatusNotFound)},
	"GET /dashboard/stats":            {want: page(store.RoleLead, http.StatusOK)},
	"GET /dashboard/stats/report.csv": {want: page(store.RoleLead, http.StatusOK)},
	"GET /metrics":                    {want: public(http.StatusOK)},

	"GET /api/v1/openapi.json":                     {want: public(http.StatusOK)},
	"GET /api/v1/review-queue/reason-codes":        {want: api(http.StatusOK, store.ScopeQueueRead)},
	"GET /api/v1/review-queue/stats":               {want: api(http.StatusOK, store.ScopeQueueRead)},
	"GET /api/v1/review-queue/tasks":               {want: api(http.StatusOK, store.ScopeQueueRead)},
	"GET /api/v1/review-queue/tasks/:id":           {want: api(http.StatusNotFound, store.ScopeQueueRead)},
	"POST /api/v1/review-queue/tasks/:id/assign":   {want: api(http.StatusBadRequest, store.ScopeQueueWrite)},
	"POST /api/v1/review-queue/tasks/:id/escalate": {want: api(http.StatusBadRequest, store.ScopeQueueWrite)},
	"POST /api/v1/review-queue/tasks/:id/snooze":   {want: api(http.StatusBadRequest, store.ScopeQueueWrite)},
	"POST /api/v1/review-queue/tasks/:id/unsnooze": {want: api(http.StatusNotFound, store.ScopeQueueWrite)},
	"POST /api/v1/leads":                           {want: api(http.StatusBadRequest, store.ScopeLeadsWrite)},
	"GET /api/v1/leads/:id":                        {want: api(http.StatusNotFound, store.ScopeLeadsWrite, store.ScopeQueueRead, store.ScopeOutreachRead)},
	"GET /api/v1/leads/:id/history":                {want: api(http.StatusNotFound, store.ScopeQueueRead)},
	"POST /api/v1/leads/:id/flag":                  {want: api(http.StatusBadRequest, store.ScopeLeadsWrite)},
	"POST /api/v1/leads/:id/score":                 {want: api(http.StatusBadRequest, store.ScopeLeadsWrite)},
	"POST /api/v1/leads/:id/quality":               {want: api(http.StatusBadRequest, store.ScopeLeadsWrite)},
	"GET /api/v1/leads/:id/eligibility":            {want: api(http.StatusNotFound, store.ScopeOutreachRead)},
	"POST /api/v1/outreach/eligibility":            {want: api(http.StatusBadRequest, store.ScopeOutreachRead)},
}

// The decision routes, one pair per outcome: a decision with no reason code
// is refused (400) before the review is looked up when the outcome needs
// one; otherwise the review does not exist (404).
func init() {
	for _, o := range store.DecisionOutcomes {
		ok := http.StatusNotFound
		if o.TakesReasons() {
			ok = http.StatusBadRequest
		}
		guardTable["POST /dashboard/review-queue/:id/"+o.Name] = guardRow{want: page(store.RoleOperator, ok)}
		guardTable["POST /api/v1/review-queue/tasks/:id/"+o.Name] = guardRow{want: api(ok, store.ScopeQueueWrite)}
	}
	guardTable["POST /api/v1/review-queue/tasks/:id/undo"] = guardRow{want: api(http.StatusNotFound, store.ScopeQueueWrite)}
	// A Bearer header exempts only /api/ from the CSRF check: a token sent
	// to a form route is a request without the form's CSRF token (403).
	for k, row := range guardTable {
		if method, path, _ := strings.Cut(k, " "); method != http.MethodGet && !strings.HasPrefix(path, "/api/") {
			for i := 4; i < 8; i++ {
				row.want[i] = http.StatusForbidden
			}
			guardTable[k] = row
		}
	}
}

// guardPath fills a registered path's parameters with values that name
// nothing.
func guardPath(path string) string {
	r := strings.NewReplacer(":version", "0000000000", ":name", "nothing.css", ":token", "no-such-link", ":id", "999999", ":key", "no.such.key")
	return r.Replace(path)
}

func TestRouteGuards(t *testing.T) {
	env := webtest.Start(t, store.SQLite)
	routes := env.Server.Echo.Routes()
	var keys []string
	seen := map[string]bool{}
	for _, rt := range routes {
		if strings.HasPrefix(rt.Method, "echo_") || rt.Method == "" {
			continue // group catch-alls that only answer 404
		}
		k := rt.Method + " " + rt.Path
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var missing []string
	for _, k := range keys {
		if _, ok := guardTable[k]; !ok {
			missing = append(missing, fmt.Sprintf("%q: {want: page(store.RoleOperator, http.StatusOK)},", k))
		}
	}
	if len(missing) > 0 {
		t.Fatalf("routes without a row in guardTable (add one line each, with the statuses they must answer):\n%s", strings.Join(missing, "\n"))
	}
	for k := range guardTable {
		if !seen[k] {
			t.Errorf("guardTable row %q names no route: remove it", k)
		}
	}

	type client struct {
		c     *webtest.Client
		token string
	}
	clients := func() []client {
		anon := env.NewClient(t)
		anon.Get("/login") // a browser has the login page's CSRF token
		out := []client{{c: anon}}
		for _, role := range []string{store.RoleOperator, store.RoleLead, store.RoleAdmin} {
			c, _ := env.LoggedIn(t, role)
			out = append(out, client{c: c})
		}
		for _, p := range guardPrincipals[4:] {
			out = append(out, client{c: env.NewClient(t), token: env.Token(t, strings.TrimPrefix(p, "tok:"))})
		}
		return out
	}
	shared := clients()
	for _, k := range keys {
		row := guardTable[k]
		method, path, _ := strings.Cut(k, " ")
		cs := shared
		if row.fresh {
			cs = clients()
		}
		for i, cl := range cs {
			var r *webtest.Response
			u := guardPath(path)
			switch {
			case strings.HasPrefix(path, "/api/") || cl.token != "":
				var body any
				if method != http.MethodGet {
					body = "{}"
				}
				r = cl.c.JSON(method, u, cl.token, body)
			case method == http.MethodGet:
				r = cl.c.Get(u)
			default:
				r = cl.c.PostForm(u, nil)
			}
			if r.Status != row.want[i] {
				t.Errorf("%s as %s: status %d, want %d", k, guardPrincipals[i], r.Status, row.want[i])
			}
		}
	}
}
