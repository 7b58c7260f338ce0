package store_test

import (
	"context"
	"errors"
	"testing"

	"reviewq/store"
	"reviewq/store/storetest"
)

func TestNormalizeEmail(t *testing.T) {
	for in, want := range map[string]string{
		"op@x.io":          "op@x.io",
		"  Op@X.IO\t":      "op@x.io",
		"Ze\u0301lie@x.io": "z\u00e9lie@x.io", // NFC: e + combining acute is é
	} {
		if got, ok := store.NormalizeEmail(in); !ok || got != want {
			t.Errorf("NormalizeEmail(%q) = %q, %t; want %q", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", "   ", "op\x01@x.io", "op\x00@x.io", "op\x7f@x.io", "op\u200b@x.io", "op\ufeff@x.io",
		"op\u202e@x.io", "\uff4fp@x.io", "op\uff20x.io", "op@x\uff0eio", "op@x.io\xff", "not an email", "Op <op@x.io>", "op@"} {
		if got, ok := store.NormalizeEmail(bad); ok {
			t.Errorf("NormalizeEmail(%q) accepted as %q", bad, got)
		}
	}
}

// TestEmailAndExternalIDLookupsAreExact is the store half of issue 15
// finding 2: under MySQL's utf8mb4_unicode_ci, lookalikes of an email (a
// control character, a zero-width space, fullwidth or accented letters) and
// of an external id found the real row.
func TestEmailAndExternalIDLookupsAreExact(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		op := storetest.Operator(t, st, "op@x.io", store.RoleOperator)
		for _, v := range []string{"op\x01@x.io", "op\x00@x.io", "op\u200b@x.io", "\uff4f\uff50@x.io", "\u00f6p@x.io", "op@x.io\u0301"} {
			if _, err := st.Authenticate(ctx, v, storetest.Password(store.RoleOperator)); !errors.Is(err, store.ErrBadCredentials) {
				t.Errorf("signed in as %q: %v", v, err)
			}
			if got, err := st.GetOperatorByEmail(ctx, v); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("GetOperatorByEmail(%q) = %+v, %v", v, got, err)
			}
		}
		if got, err := st.Authenticate(ctx, " OP@x.io ", storetest.Password(store.RoleOperator)); err != nil || got.ID != op.ID {
			t.Fatalf("the email in another case: %+v %v", got, err)
		}

		name := "Lower"
		lower, _, err := st.UpsertLead(ctx, store.LeadInput{ExternalID: "crm-ab1", Name: &name})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range []string{"CRM-AB1", "crm-\u00e4b1", "crm-ab1\x01"} {
			if got, err := st.GetLeadByExternalID(ctx, v); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("GetLeadByExternalID(%q) = lead %d, %v", v, got.ID, err)
			}
			if _, err := st.EligibilityOfExternalID(ctx, v); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("EligibilityOfExternalID(%q): %v", v, err)
			}
		}
		upper, created, err := st.UpsertLead(ctx, store.LeadInput{ExternalID: "CRM-AB1", Name: &name})
		if err != nil || !created || upper.ID == lower.ID {
			t.Fatalf("upsert of CRM-AB1 beside crm-ab1: created %t, %+v %v", created, upper, err)
		}
		el, err := st.EligibilityByExternalIDs(ctx, []string{"CRM-AB1", "crm-ab1", "Crm-Ab1"})
		if err != nil || el[0].LeadID != upper.ID || el[1].LeadID != lower.ID || el[2].Reason != store.EligibleUnknownLead {
			t.Fatalf("eligibility by external ids: %+v %v", el, err)
		}
	})
}

// TestPasswordLinkDiesWhenThePasswordChanges: a set-password link handed
// out earlier stops working once the password is changed by any route (the
// operator's own change too), not only by the link or an admin reset.
func TestPasswordLinkDiesWhenThePasswordChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		op := storetest.Operator(t, st, "link@x.io", store.RoleOperator)
		secret, err := st.CreatePasswordLink(ctx, store.SystemActor, "", op.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.PasswordLinkOperator(ctx, secret); err != nil {
			t.Fatalf("fresh link: %v", err)
		}
		if err := st.ChangePassword(ctx, op.ID, "", storetest.Password(store.RoleOperator), "changed-by-the-owner", ""); err != nil {
			t.Fatal(err)
		}
		if _, err := st.PasswordLinkOperator(ctx, secret); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("link after the owner changed the password: %v", err)
		}
		if _, err := st.SetPasswordWithLink(ctx, "", secret, "taken-over-by-link"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("password set through a dead link: %v", err)
		}
	})
}
