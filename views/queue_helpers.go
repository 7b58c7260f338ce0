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

// text is escaped text, for the queue row's many fields: templ's { x }
// passes every string through fmt.Sprint (9% of a 50-row page in pprof).
type text string

func (t text) Render(_ context.Context, w io.Writer) error {
	_, err := io.WriteString(w, templ.EscapeString(string(t)))
	return err
}

// space is one space between a text and the next element.
var space = text(" ")
