package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"
)

// Targets: an endpoint may not reach loopback, private, link-local (the
// cloud metadata address 169.254.169.254 is one), carrier-grade NAT,
// unspecified or multicast addresses, unless the operator's allow-list
// (REVIEWQ_WEBHOOKS_ALLOW_PRIVATE) names them. The check runs on the
// address actually dialled, so a name that resolves to a private address
// later is refused then too.

// AllowList is the private ranges endpoints may reach anyway.
type AllowList []netip.Prefix

// ParseAllowList reads REVIEWQ_WEBHOOKS_ALLOW_PRIVATE: comma-separated
// CIDRs or addresses, or "true" for every address.
func ParseAllowList(v string) (AllowList, error) {
	v = strings.TrimSpace(v)
	switch strings.ToLower(v) {
	case "", "false":
		return nil, nil
	case "true":
		return AllowList{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")}, nil
	}
	var out AllowList
	for _, p := range strings.Split(v, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if !strings.Contains(p, "/") {
			a, err := netip.ParseAddr(p)
			if err != nil {
				return nil, fmt.Errorf("%q is not an address or CIDR", p)
			}
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		pr, err := netip.ParsePrefix(p)
		if err != nil {
			return nil, fmt.Errorf("%q is not an address or CIDR", p)
		}
		out = append(out, pr.Masked())
	}
	return out, nil
}

var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// ErrForbiddenTarget means an endpoint points at a refused address.
var ErrForbiddenTarget = errors.New("the address is private, loopback, link-local or metadata; allow it with REVIEWQ_WEBHOOKS_ALLOW_PRIVATE")

// Allowed reports whether the client may connect to addr.
func (l AllowList) Allowed(addr netip.Addr) bool {
	addr = addr.Unmap()
	if !(addr.IsLoopback() || addr.IsPrivate() || addr.IsLinkLocalUnicast() || addr.IsLinkLocalMulticast() ||
		addr.IsUnspecified() || addr.IsMulticast() || addr.IsInterfaceLocalMulticast() || cgnat.Contains(addr)) {
		return true
	}
	for _, p := range l {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// CheckTarget resolves the URL's host and refuses it if any address is
// not allowed: said at creation, before any event is sent.
func (l AllowList) CheckTarget(ctx context.Context, host string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return fmt.Errorf("cannot resolve %s", host)
	}
	for _, a := range addrs {
		if !l.Allowed(a) {
			return fmt.Errorf("%s resolves to %s: %w", host, a, ErrForbiddenTarget)
		}
	}
	return nil
}

// maxResponseBytes bounds what is read of an answer.
const maxResponseBytes = 64 << 10

// NewClient is the HTTP client of deliveries: a timeout per request, no
// redirects followed (a 3xx is a failed delivery), no proxy from the
// environment (it would hide the target), TLS verified, and only allowed
// addresses dialled.
func NewClient(timeout time.Duration, allow AllowList) *http.Client {
	dialer := &net.Dialer{
		Timeout: 5 * time.Second,
		Control: func(_, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			a, err := netip.ParseAddr(host)
			if err != nil {
				return err
			}
			if !allow.Allowed(a) {
				return fmt.Errorf("dial %s: %w", a, ErrForbiddenTarget)
			}
			return nil
		},
	}
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			DialContext:           dialer.DialContext,
			TLSHandshakeTimeout:   5 * time.Second,
			ResponseHeaderTimeout: timeout,
			MaxIdleConnsPerHost:   4,
			IdleConnTimeout:       90 * time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
