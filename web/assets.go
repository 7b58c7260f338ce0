package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"reviewq/static"
)

const htmxFile = static.HTMX

// assetURL is the content-hashed URL of a static file: it changes whenever
// the file does, so it can be cached for a year.
func (s *Server) assetURL(name string) string {
	return "/static/" + s.assets[name] + "/" + name
}

func (s *Server) staticFile(c echo.Context) error {
	name := c.Param("name")
	hash, ok := s.assets[name]
	if !ok {
		return errNotFound
	}
	b, err := static.FS.ReadFile(name)
	if err != nil {
		return errNotFound
	}
	h := c.Response().Header()
	if c.Param("version") == hash {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		// An old or made-up version: serve the current file, uncached.
		h.Set("Cache-Control", "no-cache")
	}
	ct := "text/css; charset=utf-8"
	if len(name) > 3 && name[len(name)-3:] == ".js" {
		ct = "text/javascript; charset=utf-8"
	}
	return c.Blob(http.StatusOK, ct, b)
}
