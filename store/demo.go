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
		// Three more operators, so that a lead can try splitting the
		// queue between a team of four.
		{"omar@demo.reviewq", pw, RoleOperator},
		{"priya@demo.reviewq", pw, RoleOperator},
		{"quinn@demo.reviewq", pw, RoleOperator},
	}
	names := map[string]string{"admin@demo.reviewq": "Avery Admin", "lead@demo.reviewq": "Lee Lead", "operator@demo.reviewq": "Olive Operator",
		"omar@demo.reviewq": "Omar Operator", "priya@demo.reviewq": "Priya Operator", "quinn@demo.reviewq": "Quinn Operator"}
	for _, l := range logins {
		if _, err := s.CreateOperator(ctx, SystemActor, "", NewOperator{Email: l.Email, Name: names[l.Email], Role: l.Role, Password: l.Password}); err != nil {
			return nil, fmt.Errorf("demo account: %w", err)
		}
	}
	if err := s.Seed(ctx, SeedOptions{Leads: 120, Pending: 64, Decided: 40, Prefix: "demo"}); err != nil {
		return nil, err
	}
	return logins, nil
}
