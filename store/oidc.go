package store

import (
	"context"
	"strings"
)

// CreateSSOOperator makes the account of a person's first single sign-on
// (only when the auth.oidc_signup_role setting allows it), audited as the
// provider. The password is random and unknown: the account signs in
// through the provider, or an admin sends a set-password link.
func (s *Store) CreateSSOOperator(ctx context.Context, ip, email, name, role, provider string) (*Operator, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		name, _, _ = strings.Cut(email, "@")
	}
	if len(name) > 200 {
		name = name[:200]
	}
	email, name, err := validateNewOperator(NewOperator{Email: email, Name: name, Role: role})
	if err != nil {
		return nil, err
	}
	actor := Actor{Type: ActorSystem, Name: truncate("sso:"+provider, 200)}
	op, _, err := s.createOperator(ctx, actor, truncate(ip, 64), email, name, role, RandomToken(32), false)
	return op, err
}
