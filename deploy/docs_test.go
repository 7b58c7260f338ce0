package deploy_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"go.yaml.in/yaml/v3"

	"reviewq/store"
	"reviewq/store/storetest"
)

// githubSlug is the anchor GitHub gives a heading: lower case, punctuation
// dropped, spaces to hyphens.
func githubSlug(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(heading)) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// anchorsOf lists the link targets a Markdown file offers: heading slugs
// (with GitHub's -1, -2 for repeats) and explicit <a id> anchors.
func anchorsOf(md string) map[string]bool {
	out := map[string]bool{}
	inCode := false
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "```") {
			inCode = !inCode
			continue
		}
		if inCode {
			continue
		}
		if m := regexp.MustCompile(`^#{1,6} (.+)$`).FindStringSubmatch(line); m != nil {
			slug := githubSlug(regexp.MustCompile("[`*]").ReplaceAllString(m[1], ""))
			s := slug
			for i := 1; out[s]; i++ {
				s = slug + "-" + string(rune('0'+i))
			}
			out[s] = true
		}
		for _, m := range regexp.MustCompile(`<a id="([^"]+)"></a>`).FindAllStringSubmatch(line, -1) {
			out[m[1]] = true
		}
	}
	return out
}

// TestDocsLinksResolve: every relative link in the README and the guides
// names a file that exists, and every #anchor one the target offers.
func TestDocsLinksResolve(t *testing.T) {
	files, _ := filepath.Glob("../docs/*.md")
	files = append(files, "../README.md")
	link := regexp.MustCompile(`\]\(([^)\s]+)\)`)
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range link.FindAllStringSubmatch(string(raw), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			path, frag, _ := strings.Cut(target, "#")
			file := f
			if path != "" {
				file = filepath.Join(filepath.Dir(f), path)
				if _, err := os.Stat(file); err != nil {
					t.Errorf("%s: link to %s: no such file", f, target)
					continue
				}
			}
			if frag == "" || !strings.HasSuffix(file, ".md") {
				continue
			}
			body, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if !anchorsOf(string(body))[frag] {
				t.Errorf("%s: link to %s: %s has no anchor #%s", f, target, file, frag)
			}
		}
	}
}

// TestEveryAlertHasARunbook: each rule's runbook_url names an anchor of
// docs/operations.md.
func TestEveryAlertHasARunbook(t *testing.T) {
	raw, err := os.ReadFile("prometheus/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Groups []struct {
			Rules []struct {
				Alert       string
				Annotations map[string]string
			}
		}
	}
	if err := yaml.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	ops, err := os.ReadFile("../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	anchors := anchorsOf(string(ops))
	n := 0
	for _, g := range file.Groups {
		for _, r := range g.Rules {
			n++
			path, frag, _ := strings.Cut(r.Annotations["runbook_url"], "#")
			if path != "docs/operations.md" || !anchors[frag] || !strings.Contains(string(ops), `id="`+frag+`"`) {
				t.Errorf("%s: runbook_url %q has no <a id> anchor in docs/operations.md", r.Alert, r.Annotations["runbook_url"])
			}
		}
	}
	if n < 5 {
		t.Fatalf("only %d alert rules", n)
	}
}

// TestArchitectureDescribesEveryTable: the schema table of
// docs/architecture.md names every table the migrations create.
func TestArchitectureDescribesEveryTable(t *testing.T) {
	st := storetest.Open(t, store.SQLite)
	var tables []string
	if err := st.DB.Raw(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'goose_db_version'`).
		Scan(&tables).Error; err != nil {
		t.Fatal(err)
	}
	arch, err := os.ReadFile("../docs/architecture.md")
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) < 10 {
		t.Fatalf("only %v", tables)
	}
	for _, table := range tables {
		if !strings.Contains(string(arch), "| `"+table+"` |") {
			t.Errorf("docs/architecture.md, The schema: no row for table %s", table)
		}
	}
}
