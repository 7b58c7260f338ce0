package main

import (
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
)

// session is a logged-in browser: its cookie header and CSRF token.
type session struct {
	Cookie string
	CSRF   string
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// loginForm fetches the login page and returns its cookie and CSRF token.
func loginForm(base string, client *http.Client) (string, error) {
	resp, err := client.Get(base + "/login")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := csrfInput.FindSubmatch(b)
	if m == nil {
		return "", fmt.Errorf("no CSRF token on the login page")
	}
	return html.UnescapeString(string(m[1])), nil
}

// login signs in through the form, as a browser does.
func login(base string) (*session, error) {
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	csrf, err := loginForm(base, client)
	if err != nil {
		return nil, err
	}
	resp, err := client.PostForm(base+"/login", url.Values{"email": {benchEmail}, "password": {benchPassword}, "csrf": {csrf}})
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return nil, fmt.Errorf("login: status %d", resp.StatusCode)
	}
	u, _ := url.Parse(base)
	var parts []string
	for _, c := range jar.Cookies(u) {
		parts = append(parts, c.Name+"="+c.Value)
	}
	s := &session{Cookie: strings.Join(parts, "; ")}
	// The CSRF token of the logged-in session (a new seed at login).
	req, _ := http.NewRequest(http.MethodGet, base+"/dashboard/review-queue", nil)
	req.Header.Set("Cookie", s.Cookie)
	page, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer page.Body.Close()
	b, _ := io.ReadAll(page.Body)
	if m := csrfInput.FindSubmatch(b); m != nil {
		s.CSRF = html.UnescapeString(string(m[1]))
	}
	return s, nil
}
