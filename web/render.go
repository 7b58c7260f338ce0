package web

import (
	"bytes"
	"net/http"
	"sync"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"reviewq/views"
)

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// renderComponent renders into a buffer first, so a render error still
// reaches the error handler and gives a clean error page.
func (s *Server) renderComponent(c echo.Context, status int, comp templ.Component) error {
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	if err := comp.Render(c.Request().Context(), buf); err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.HTMLBlob(status, buf.Bytes())
}

// render answers a full page, or only the partial when htmx asked for it.
// One URL answering both ways needs Vary: HX-Request for caches.
func (s *Server) render(c echo.Context, status int, page, partial templ.Component) error {
	c.Response().Header().Add("Vary", "HX-Request")
	if partial != nil && isHTMX(c) && c.Request().Header.Get("HX-History-Restore-Request") != "true" {
		return s.renderComponent(c, status, partial)
	}
	return s.renderComponent(c, status, page)
}

// htmxConfig keeps htmx inside the CSP: no eval, no script tags from
// responses, no injected indicator styles, requests to this origin only.
// Error statuses are swapped too: the server sends a fragment for them.
// attributesToSettle leaves out "style": settling it (after a resized
// textarea, say) sets an inline style, which the CSP refuses.
const htmxConfig = `{"selfRequestsOnly":true,"allowEval":false,"allowScriptTags":false,"includeIndicatorStyles":false,` +
	`"attributesToSettle":["class","width","height"],` +
	`"historyCacheSize":0,"defaultSwapStyle":"innerHTML","responseHandling":[{"code":"204","swap":false},` +
	`{"code":"[23]..","swap":true},{"code":"[45]..","swap":true,"error":true}]}`

// page fills the parts of every page's view model.
func (s *Server) page(c echo.Context, title, nav string) views.Page {
	p := views.Page{
		Title: title, Nav: nav, CSRF: s.csrfToken(c), HTMXConfig: htmxConfig,
		Assets: views.Assets{CSS: s.assetURL("app.css"), JS: s.assetURL("app.js"), HTMX: s.assetURL(htmxFile), Icon: s.assetURL(faviconFile)},
	}
	if op := currentOperator(c); op != nil {
		p.User = &views.User{ID: op.ID, Name: op.Name, Email: op.Email, Role: op.Role}
		p.ShortcutsOff = op.ShortcutsOff
	}
	return p
}

func badRequest(msg string) *HTTPError { return httpError(http.StatusBadRequest, "invalid", msg) }
