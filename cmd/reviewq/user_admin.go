package main

import (
	"context"
	"fmt"

	"reviewq/store"
)

// userAdmin runs set-role, deactivate, reactivate and reset-password.
func userAdmin(ctx context.Context, env *Env, st *store.Store, actor store.Actor, action, email, role, pw string) error {
	return fmt.Errorf("%s is not available yet", action)
}
