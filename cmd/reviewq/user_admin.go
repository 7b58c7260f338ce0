package main

import (
	"context"
	"errors"
	"fmt"

	"reviewq/store"
)

// userAdmin runs set-role, deactivate, reactivate and reset-password. Each
// is one audited transaction in the store, which also refuses to remove the
// last active admin.
func userAdmin(ctx context.Context, env *Env, st *store.Store, actor store.Actor, action, email, role, pw string) error {
	op, err := st.GetOperatorByEmail(ctx, email)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no account with email %s", email)
	}
	if err != nil {
		return err
	}
	switch action {
	case "set-role":
		if !store.ValidRole(role) {
			return usagef("--role must be operator, lead or admin")
		}
		if op, err = st.SetRole(ctx, actor, "", op.ID, role); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "%s is now %s\n", op.Email, op.Role)
	case "deactivate", "reactivate":
		if op, err = st.SetActive(ctx, actor, "", op.ID, action == "reactivate"); err != nil {
			return err
		}
		if op.Active {
			fmt.Fprintf(env.Stdout, "%s is active\n", op.Email)
		} else {
			fmt.Fprintf(env.Stdout, "%s is deactivated; its sessions have ended\n", op.Email)
		}
	case "reset-password":
		if op, err = st.ResetPassword(ctx, actor, "", op.ID, pw); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "password of %s reset; its sessions have ended\n", op.Email)
	case "reset-mfa":
		// The way back in for an admin who lost the phone and the codes
		// while their role requires a second factor.
		if err := st.ResetMFA(ctx, actor, "", op.ID); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "two-factor sign-in of %s reset; its sessions have ended\n", op.Email)
	default:
		return usagef("unknown user action %q", action)
	}
	return nil
}
