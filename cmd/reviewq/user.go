package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"golang.org/x/term"

	"reviewq/store"
)

// readPassword reads a password so it never appears in the process list
// or shell history: typed at a terminal without echo (twice, to catch a
// typo), or else the first line of standard input (a pipe).
func readPassword(r io.Reader, prompt io.Writer) (string, error) {
	if f, ok := r.(*os.File); ok && term.IsTerminal(int(f.Fd())) { // #nosec G115 -- a file descriptor fits an int
		return readPasswordFromTerminal(int(f.Fd()), prompt) // #nosec G115
	}
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", usagef("give the password on standard input, e.g. printf '%%s\\n' \"$PW\" | reviewq user create ...")
	}
	return pw, nil
}

func readPasswordFromTerminal(fd int, prompt io.Writer) (string, error) {
	ask := func(what string) (string, error) {
		fmt.Fprint(prompt, what)
		b, err := term.ReadPassword(fd)
		fmt.Fprintln(prompt)
		if err != nil {
			return "", fmt.Errorf("read password from the terminal: %w", err)
		}
		return string(b), nil
	}
	pw, err := ask("Password: ")
	if err != nil {
		return "", err
	}
	if pw == "" {
		return "", usagef("no password typed")
	}
	again, err := ask("Password again: ")
	if err != nil {
		return "", err
	}
	if again != pw {
		return "", usagef("the two passwords differ")
	}
	return pw, nil
}

func cmdUser(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		return usagef("say create, list, set-role, deactivate, reactivate, reset-password or reset-mfa")
	}
	action := args[0]
	fs := flag.NewFlagSet("user "+action, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	email := fs.String("email", "", "account email")
	name := fs.String("name", "", "display name")
	role := fs.String("role", "", "operator, lead or admin")
	if err := fs.Parse(args[1:]); err != nil {
		return usagef("%v", err)
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	need := func(flags ...string) error {
		for _, f := range flags {
			if fs.Lookup(f).Value.String() == "" {
				return usagef("--%s is required", f)
			}
		}
		return nil
	}
	var pw string
	switch action {
	case "create":
		if err := need("email", "name", "role"); err != nil {
			return err
		}
		if !store.ValidRole(*role) {
			return usagef("--role must be operator, lead or admin")
		}
	case "set-role":
		if err := need("email", "role"); err != nil {
			return err
		}
	case "deactivate", "reactivate", "reset-password", "reset-mfa":
		if err := need("email"); err != nil {
			return err
		}
	case "list":
	default:
		return usagef("unknown user action %q", action)
	}
	if action == "create" || action == "reset-password" {
		var err error
		if pw, err = readPassword(env.Stdin, env.Stderr); err != nil {
			return err
		}
		if err := store.ValidatePassword(pw); err != nil {
			return err
		}
	}
	st, err := openCurrentStore(ctx, env)
	if err != nil {
		return err
	}
	defer st.Close()
	actor := store.Actor{Type: store.ActorSystem, Name: "cli"}
	switch action {
	case "create":
		op, err := st.CreateOperator(ctx, actor, "", store.NewOperator{Email: *email, Name: *name, Role: *role, Password: pw})
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "created %s (%s, id %d)\n", op.Email, op.Role, op.ID)
	case "list":
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tEMAIL\tNAME\tROLE\tACTIVE")
		var after int64
		for {
			ops, err := st.ListOperators(ctx, after, 500)
			if err != nil {
				return err
			}
			for _, o := range ops {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%v\n", o.ID, o.Email, o.Name, o.Role, o.Active)
				after = o.ID
			}
			if len(ops) < 500 {
				break
			}
		}
		return tw.Flush()
	default:
		return userAdmin(ctx, env, st, actor, action, *email, *role, pw)
	}
	return nil
}
