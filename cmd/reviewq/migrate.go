package main

import (
	"context"
	"flag"
	"fmt"
)

func cmdMigrate(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		return usagef("say up, down or status")
	}
	fs := flag.NewFlagSet("migrate "+args[0], flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	to := fs.Int64("to", -1, "down: roll back to this version (0 removes every table); default one step")
	if err := fs.Parse(args[1:]); err != nil {
		return usagef("%v", err)
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	st, err := openStore(ctx, env)
	if err != nil {
		return err
	}
	defer st.Close()
	switch args[0] {
	case "up":
		res, err := st.MigrateUp(ctx)
		for _, r := range res {
			fmt.Fprintf(env.Stderr, "applied %05d %s\n", r.Version, r.Name)
		}
		if err != nil {
			return err
		}
		cur, _, err := st.SchemaVersions(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "schema at version %d (%s)\n", cur, st.Dialect)
	case "down":
		res, err := st.MigrateDownTo(ctx, *to)
		for _, r := range res {
			fmt.Fprintf(env.Stderr, "rolled back %05d %s\n", r.Version, r.Name)
		}
		if err != nil {
			return err
		}
		cur, _, err := st.SchemaVersions(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "schema at version %d (%s)\n", cur, st.Dialect)
	case "status":
		list, err := st.MigrationsStatus(ctx)
		if err != nil {
			return err
		}
		for _, m := range list {
			state := "pending"
			if m.Applied {
				state = "applied"
			}
			fmt.Fprintf(env.Stdout, "%05d  %-8s %s\n", m.Version, state, m.Name)
		}
	default:
		return usagef("unknown migrate action %q: say up, down or status", args[0])
	}
	return nil
}
