package views

import (
	"context"
	"io"
	"strconv"
	"strings"

	"github.com/a-h/templ"
)

func reviewURL(id int64) string {
	return "/dashboard/review-queue/" + strconv.FormatInt(id, 10)
}

// chipKey names a type choice's count element ("all" for no type).
func chipKey(v string) string {
	if v == "" {
		return "all"
	}
	return v
}

func boolAttr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func joinNames(names []string) string {
	return strings.Join(names, ", ")
}

// badge is <span class="class">text</span>, written directly: templ's
// class={ ... } builds and sorts a map for every element, which pprof showed
// as the largest single cost of rendering a 50-row queue page.
func badge(class, text string) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		for _, part := range [...]string{`<span class="`, templ.EscapeString(class), `">`, templ.EscapeString(text), `</span>`} {
			if _, err := io.WriteString(w, part); err != nil {
				return err
			}
		}
		return nil
	})
}
