package store

import (
	"context"
	"fmt"
)

// DemoLogin is an account made by SeedDemo.
type DemoLogin struct {
	Email, Password, Role string
}

// SeedDemo fills an empty database with demo accounts and a demo queue. It
// does nothing (and returns no logins) when any account exists, so it never
// touches real data.
func (s *Store) SeedDemo(ctx context.Context) ([]DemoLogin, error) {
	n, err := s.CountOperators(ctx)
	if err != nil {
		return nil, err
	}
	if n > 0 {
		return nil, nil
	}
	// One random password for the demo accounts, printed once.
	pw := RandomToken(12)
	logins := []DemoLogin{
		{"admin@demo.reviewq", pw, RoleAdmin},
		{"lead@demo.reviewq", pw, RoleLead},
		{"operator@demo.reviewq", pw, RoleOperator},
	}
	names := map[string]string{RoleAdmin: "Avery Admin", RoleLead: "Lee Lead", RoleOperator: "Olive Operator"}
	for _, l := range logins {
		if _, err := s.CreateOperator(ctx, SystemActor, "", NewOperator{Email: l.Email, Name: names[l.Role], Role: l.Role, Password: l.Password}); err != nil {
			return nil, fmt.Errorf("demo account: %w", err)
		}
	}
	if err := s.Seed(ctx, SeedOptions{Leads: 120, Pending: 64, Decided: 40, Prefix: "demo"}); err != nil {
		return nil, err
	}
	return logins, nil
}
