package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"reviewq/store"
)

// cmdSettings reads and changes the runtime settings. A change is audited
// and reaches every running instance within the store's SettingsTTL (store.DefaultSettingsTTL).
func cmdSettings(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		return usagef("say get [KEY] or set KEY VALUE")
	}
	switch {
	case args[0] == "get" && len(args) <= 2:
	case args[0] == "set" && len(args) == 3:
	case args[0] == "set":
		return usagef("set takes KEY VALUE, e.g. reviewq settings set autoflag.score.threshold 85")
	case args[0] == "get":
		return usagef("get takes at most one KEY")
	default:
		return usagef("unknown settings action %q: say get or set", args[0])
	}
	st, err := openCurrentStore(ctx, env)
	if err != nil {
		return err
	}
	defer st.Close()
	if args[0] == "set" {
		actor := store.Actor{Type: store.ActorSystem, Name: "cli"}
		v, err := st.SetSetting(ctx, actor, "", args[1], args[2])
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "%s = %s\n", args[1], v)
		fmt.Fprintf(env.Stderr, "running instances pick this up within %s\n", st.Options().SettingsTTL)
		return nil
	}
	all, err := st.ListSettings(ctx)
	if err != nil {
		return err
	}
	if len(args) == 2 {
		for _, s := range all {
			if s.Key == args[1] {
				fmt.Fprintln(env.Stdout, s.Value)
				return nil
			}
		}
		return store.CheckSettingKey(args[1])
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tVALUE\tDEFAULT\tCHANGED BY\tCHANGED AT")
	for _, s := range all {
		by, at := "-", "-"
		if s.UpdatedAt != nil {
			by, at = s.UpdatedBy, fmtTime(s.UpdatedAt)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.Key, s.Value, s.Default, by, at)
	}
	return tw.Flush()
}
