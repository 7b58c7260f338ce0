package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"reviewq/store"
)

// cmdToken creates, lists and revokes API tokens. create prints the secret
// alone on stdout (so `TOKEN=$(reviewq token create ...)` works) and
// everything else on stderr; the secret is never shown again.
func cmdToken(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		return usagef("say create, list or revoke")
	}
	action := args[0]
	fs := flag.NewFlagSet("token "+action, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	name := fs.String("name", "", "what the token is for, e.g. scoring-engine")
	scopes := fs.String("scopes", "", "comma-separated: "+strings.Join(store.Scopes, ","))
	id := fs.Int64("id", 0, "the token's id (see token list)")
	expires := fs.String("expires", "", "create: lifetime, e.g. 90d or 36h (default: no expiry)")
	if err := fs.Parse(args[1:]); err != nil {
		return usagef("%v", err)
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	var scopeList []string
	var expiresAt *time.Time
	switch action {
	case "create":
		if strings.TrimSpace(*name) == "" {
			return usagef("--name is required")
		}
		if *scopes == "" {
			return usagef("--scopes is required: %s", strings.Join(store.Scopes, ","))
		}
		var err error
		if scopeList, err = store.ParseScopes(*scopes); err != nil {
			return err
		}
		if expiresAt, err = store.ParseTokenLifetime(*expires, time.Now()); err != nil {
			return err
		}
	case "revoke":
		if *id <= 0 {
			return usagef("--id is required (see reviewq token list)")
		}
	case "list":
	default:
		return usagef("unknown token action %q", action)
	}
	st, err := openCurrentStore(ctx, env)
	if err != nil {
		return err
	}
	defer st.Close()
	actor := store.Actor{Type: store.ActorSystem, Name: "cli"}
	switch action {
	case "create":
		t, secret, err := st.CreateTokenExpiring(ctx, actor, "", *name, scopeList, expiresAt)
		if err != nil {
			return err
		}
		fmt.Fprintln(env.Stdout, secret)
		until := "no expiry"
		if t.ExpiresAt != nil {
			until = "expires " + t.ExpiresAt.Format(time.RFC3339)
		}
		fmt.Fprintf(env.Stderr, "created token %d %q with scopes %s (%s); the secret above is shown once, store it now\n", t.ID, t.Name, t.Scopes, until)
	case "revoke":
		if err := st.RevokeToken(ctx, actor, "", *id); err != nil {
			if err == store.ErrNotFound {
				return fmt.Errorf("no token with id %d", *id)
			}
			return err
		}
		fmt.Fprintf(env.Stderr, "token %d revoked\n", *id)
	case "list":
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tPREFIX\tSCOPES\tCREATED\tLAST USED\tEXPIRES\tSTATE")
		var after int64
		for {
			toks, err := st.ListTokens(ctx, after, 500)
			if err != nil {
				return err
			}
			for _, t := range toks {
				state, until := "active", "never"
				if t.ExpiresAt != nil {
					until = t.ExpiresAt.UTC().Format(time.RFC3339)
					if !t.ExpiresAt.After(time.Now()) {
						state = "expired"
					}
				}
				if t.RevokedAt != nil {
					state = "revoked " + t.RevokedAt.UTC().Format(time.RFC3339)
				}
				fmt.Fprintf(tw, "%d\t%s\t%s…\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, t.Prefix, t.Scopes,
					t.CreatedAt.UTC().Format(time.RFC3339), fmtTime(t.LastUsedAt), until, state)
				after = t.ID
			}
			if len(toks) < 500 {
				break
			}
		}
		return tw.Flush()
	}
	return nil
}

func fmtTime(t *time.Time) string {
	if t == nil {
		return "never"
	}
	return t.UTC().Format(time.RFC3339)
}
