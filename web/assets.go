package web

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"reviewq/static"
)

const htmxFile = static.HTMX

// faviconFile is the icon; /favicon.ico answers with it too, for the
// browsers (and tools) that ask for that path whatever the page says.
const faviconFile = "favicon.svg"

func (s *Server) favicon(c echo.Context) error {
	b, err := static.FS.ReadFile(faviconFile)
	if err != nil {
		return errNotFound
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=86400")
	return c.Blob(http.StatusOK, "image/svg+xml", b)
}

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
	switch {
	case strings.HasSuffix(name, ".js"):
		ct = "text/javascript; charset=utf-8"
	case strings.HasSuffix(name, ".svg"):
		ct = "image/svg+xml"
	}
	return c.Blob(http.StatusOK, ct, b)
}
