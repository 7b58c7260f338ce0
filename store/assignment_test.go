package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	"reviewq/store"
	"reviewq/store/storetest"
)

// assigneeCounts is the number of reviews per assignee (0: unassigned).
func assigneeCounts(t *testing.T, st *store.Store) map[int64]int {
	t.Helper()
	var rows []struct {
		AssigneeID *int64
		N          int
	}
	if err := st.DB.Raw("SELECT assignee_id, COUNT(*) AS n FROM reviews GROUP BY assignee_id").Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	out := map[int64]int{}
	for _, r := range rows {
		var id int64
		if r.AssigneeID != nil {
			id = *r.AssigneeID
		}
		out[id] = r.N
	}
	return out
}

func setSkills(t *testing.T, st *store.Store, op *store.Operator, skills ...string) {
	t.Helper()
	if _, err := st.SetSkills(context.Background(), store.SystemActor, "", op.ID, skills); err != nil {
		t.Fatal(err)
	}
}

func addRule(t *testing.T, st *store.Store, in store.RuleInput) *store.AssignmentRule {
	t.Helper()
	r, err := st.CreateAssignmentRule(context.Background(), store.Actor{Type: store.ActorSystem, Name: "admin"}, "", in)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestAutoAssignFairness flags 1,000 reviews that one rule sends to four
// operators with its skill: 400 one after the other (strict turns: each
// operator gets every fourth), then 600 from six goroutines at once,
// through two stores on the one database (two instances, each with its own
// rule cache). The rule's cursor moves under the rule row's lock in each
// flag's transaction, so the turns stay exact under concurrency too: 250
// each.
func TestAutoAssignFairness(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) { autoAssignFairness(t, d) })
	}
}

func autoAssignFairness(t *testing.T, d store.Dialect) {
	url := storetest.URL(t, d)
	st := storetest.OpenURL(t, url)
	ctx := context.Background()
	if _, err := st.MigrateUp(ctx); err != nil {
		t.Fatal(err)
	}
	other := storetest.OpenURL(t, url)
	if err := st.Seed(ctx, store.SeedOptions{Leads: 1000, Prefix: "fair"}); err != nil {
		t.Fatal(err)
	}
	var leadIDs []int64
	if err := st.DB.Table("leads").Order("id").Pluck("id", &leadIDs).Error; err != nil {
		t.Fatal(err)
	}
	if len(leadIDs) != 1000 {
		t.Fatalf("seeded %d leads", len(leadIDs))
	}
	var skilled []*store.Operator
	for _, e := range []string{"ann@example.com", "bob@example.com", "cat@example.com", "dan@example.com"} {
		op := storetest.Operator(t, st, e, store.RoleOperator)
		setSkills(t, st, op, "pricing", "general")
		skilled = append(skilled, op)
	}
	eve := storetest.Operator(t, st, "eve@example.com", store.RoleOperator)
	setSkills(t, st, eve, "general")
	rule := addRule(t, st, store.RuleInput{ReviewType: store.TypePricing, Skill: "pricing"})

	flag := func(st *store.Store, id int64) (*store.Review, error) {
		res, err := st.Flag(ctx, id, store.FlagInput{ReviewType: store.TypePricing, Reason: "asked for a discount", Source: store.SourceAPI}, store.SystemActor)
		if err != nil {
			return nil, err
		}
		return res.Review, nil
	}
	// Serial: strict turns in operator-id order.
	for i, id := range leadIDs[:400] {
		r, err := flag(st, id)
		if err != nil {
			t.Fatal(err)
		}
		want := skilled[i%4]
		if r.AssigneeID == nil || *r.AssigneeID != want.ID || r.AssigneeName == nil || *r.AssigneeName != want.Name {
			t.Fatalf("flag %d assigned to %v, want %s (strict turns)", i, r.AssigneeID, want.Name)
		}
	}
	for _, op := range skilled {
		if n := assigneeCounts(t, st)[op.ID]; n != 100 {
			t.Errorf("after 400 serial flags %s has %d, want 100", op.Name, n)
		}
	}
	// Concurrent: six goroutines, three on each store, flag the other 600.
	rest := leadIDs[400:]
	var wg sync.WaitGroup
	errs := make(chan error, len(rest))
	for g := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < len(rest); i += 6 {
				via := st
				if g%2 == 1 {
					via = other
				}
				if _, err := flag(via, rest[i]); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent flag: %v", err)
	}
	counts := assigneeCounts(t, st)
	total, lo, hi := 0, 1<<30, 0
	for _, op := range skilled {
		n := counts[op.ID]
		total += n
		lo, hi = min(lo, n), max(hi, n)
	}
	if total != 1000 || counts[0] != 0 || counts[eve.ID] != 0 {
		t.Fatalf("assignments %v: want all 1000 on the four skilled operators", counts)
	}
	if hi-lo > 0 {
		t.Errorf("unfair: counts %v (min %d, max %d), want 250 each", counts, lo, hi)
	}
	// Every assignment is in the history (actor system, naming the
	// rule) and the audit log; the rule counts them.
	if n := countRows(t, st, "review_events", "kind = ? AND actor_type = ?", store.EventAssigned, store.ActorSystem); n != 1000 {
		t.Errorf("%d assigned events, want 1000", n)
	}
	if n := countRows(t, st, "audit_log", "action = ? AND new_value LIKE ?", "review.assign", "%auto-assigned by rule%"); n != 1000 {
		t.Errorf("%d review.assign audit entries, want 1000", n)
	}
	rules, err := st.ListAssignmentRules(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rules) != 1 || rules[0].ID != rule.ID || rules[0].AssignedCount != 1000 {
		t.Errorf("rules after the run: %+v", rules)
	}
	// Each operator's queue filter shows their 250.
	for _, op := range skilled {
		if n := countRows(t, st, "reviews", "assignee_id = ? AND status = ?", op.ID, store.StatusPending); n != 250 {
			t.Errorf("%s has %d pending reviews assigned, want 250", op.Name, n)
		}
	}
}

// TestAutoAssignMatching checks which rule assigns what: type and campaign
// matching, the first rule by position wins, a rule without an active
// skilled operator is passed over, deactivated operators and removed skills
// drop out, a disabled rule assigns nothing, and with no rule left the
// review stays unassigned. Every change is audited; every assignment is in
// the history and sends review.assigned.
func TestAutoAssignMatching(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		admin := store.Actor{Type: store.ActorSystem, Name: "admin"}
		if _, _, err := st.CreateWebhook(ctx, store.SystemActor, "", store.WebhookInput{URL: "https://hooks.example.com/",
			Events: []string{store.WebhookReviewAssigned}}); err != nil {
			t.Fatal(err)
		}
		ann := storetest.Operator(t, st, "ann@example.com", store.RoleOperator)
		bob := storetest.Operator(t, st, "bob@example.com", store.RoleOperator)
		cat := storetest.Operator(t, st, "cat@example.com", store.RoleOperator)
		dan := storetest.Operator(t, st, "dan@example.com", store.RoleLead)
		setSkills(t, st, ann, "pricing")
		setSkills(t, st, bob, "Pricing", "pricing") // normalised, once
		setSkills(t, st, cat, "general")
		setSkills(t, st, dan, "enterprise")
		if sk, _ := st.SkillsOf(ctx, []int64{bob.ID}); len(sk[bob.ID]) != 1 || sk[bob.ID][0] != "pricing" {
			t.Errorf("bob's skills %v, want [pricing]", sk[bob.ID])
		}
		var ve *store.ValidationError
		if _, err := st.SetSkills(ctx, admin, "", ann.ID, []string{"bad skill!"}); !errors.As(err, &ve) {
			t.Errorf("a bad skill name: %v, want ValidationError", err)
		}
		if _, err := st.CreateAssignmentRule(ctx, admin, "", store.RuleInput{ReviewType: "NOPE", Skill: "x"}); !errors.As(err, &ve) {
			t.Errorf("an unknown type: %v, want ValidationError", err)
		}
		if _, err := st.CreateAssignmentRule(ctx, admin, "", store.RuleInput{}); !errors.As(err, &ve) {
			t.Errorf("no skill: %v, want ValidationError", err)
		}

		spring := addRule(t, st, store.RuleInput{ReviewType: "pricing", Campaign: "spring", Skill: "enterprise"})
		pricing := addRule(t, st, store.RuleInput{ReviewType: store.TypePricing, Skill: "pricing"})
		nobody := addRule(t, st, store.RuleInput{ReviewType: store.TypeRetry, Skill: "nobody"})
		general := addRule(t, st, store.RuleInput{Skill: "general"})
		if spring.Position != 1 || general.Position != 4 {
			t.Errorf("positions %d, %d: want new rules last (1, 4)", spring.Position, general.Position)
		}

		n := 0
		flag := func(typ, campaign string) *store.Review {
			t.Helper()
			n++
			ext := "m-" + strings.Repeat("x", n)
			name := "Lead " + ext
			lead, _, err := st.UpsertLead(ctx, store.LeadInput{ExternalID: ext, Name: &name, Campaign: &campaign})
			if err != nil {
				t.Fatal(err)
			}
			res, err := st.Flag(ctx, lead.ID, store.FlagInput{ReviewType: typ, Reason: "r", Source: store.SourceAPI}, store.SystemActor)
			if err != nil {
				t.Fatal(err)
			}
			return res.Review
		}
		assignee := func(r *store.Review) string {
			if r.AssigneeName == nil {
				return ""
			}
			return *r.AssigneeName
		}
		expect := func(what string, r *store.Review, want string) {
			t.Helper()
			if got := assignee(r); got != want {
				t.Errorf("%s: assigned to %q, want %q", what, got, want)
			}
		}

		first := flag(store.TypePricing, "Spring") // campaigns compare case-insensitively
		expect("PRICING in spring", first, "dan")
		expect("PRICING elsewhere", flag(store.TypePricing, "autumn"), "ann")
		expect("PRICING, next turn", flag(store.TypePricing, "autumn"), "bob")
		expect("PRICING, wraps around", flag(store.TypePricing, ""), "ann")
		expect("MESSAGE: the catch-all rule", flag(store.TypeMessage, "spring"), "cat")
		// RETRY's rule has nobody with its skill: passed over, the
		// catch-all below takes it.
		expect("RETRY: passed over to the catch-all", flag(store.TypeRetry, ""), "cat")

		// The first flag's history: flagged, then assigned by the system
		// naming the rule; the audit log and the webhook say so too.
		_, events, err := st.GetReview(ctx, first.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(events) != 2 || events[0].Kind != store.EventFlagged || events[1].Kind != store.EventAssigned ||
			events[1].ActorType != store.ActorSystem || events[1].Detail == nil ||
			!strings.Contains(*events[1].Detail, "auto-assigned by rule") || !strings.Contains(*events[1].Detail, `"to":"dan"`) {
			t.Errorf("history of an auto-assigned review: %+v", events)
		}
		audits, _, err := st.ListAudit(ctx, store.AuditFilter{Action: "review.assign"})
		if err != nil {
			t.Fatal(err)
		}
		if len(audits) != 6 || audits[len(audits)-1].Target != "review:"+itoa(first.ID) || audits[len(audits)-1].ActorType != store.ActorSystem {
			t.Errorf("review.assign audit entries: %+v", audits)
		}
		outbox, err := st.OutboxEvents(ctx, store.WebhookReviewAssigned)
		if err != nil {
			t.Fatal(err)
		}
		if len(outbox) != 6 {
			t.Fatalf("%d review.assigned events, want 6", len(outbox))
		}
		var body struct {
			Data struct {
				ReviewID   int64          `json:"review_id"`
				Assignee   map[string]any `json:"assignee"`
				AssignedBy map[string]any `json:"assigned_by"`
				Rule       map[string]any `json:"rule"`
			} `json:"data"`
		}
		if err := json.Unmarshal([]byte(outbox[0].Body), &body); err != nil {
			t.Fatal(err)
		}
		if body.Data.ReviewID != first.ID || body.Data.Assignee["email"] != "dan@example.com" ||
			body.Data.AssignedBy["type"] != store.ActorSystem || body.Data.Rule["skill"] != "enterprise" {
			t.Errorf("review.assigned body: %s", outbox[0].Body)
		}

		// Flagging a lead with an open review adds to it: no new assignment.
		again, err := st.Flag(ctx, first.LeadID, store.FlagInput{ReviewType: store.TypePricing, Reason: "again", Source: store.SourceAPI}, store.SystemActor)
		if err != nil {
			t.Fatal(err)
		}
		if again.Created || assignee(again.Review) != "dan" {
			t.Errorf("a re-flag: created %v, assignee %q", again.Created, assignee(again.Review))
		}

		// Dan deactivated: spring's rule has nobody; the PRICING rule
		// takes it at its turn (bob). Ann loses the skill: bob alone.
		if _, err := st.SetActive(ctx, admin, "", dan.ID, false); err != nil {
			t.Fatal(err)
		}
		expect("spring without dan", flag(store.TypePricing, "spring"), "bob")
		setSkills(t, st, ann)
		expect("ann without the skill", flag(store.TypePricing, ""), "bob")
		expect("ann without the skill, again", flag(store.TypePricing, ""), "bob")

		// The first rule by position wins: the catch-all moved to the top.
		if err := st.MoveAssignmentRule(ctx, admin, "", general.ID, 0); !errors.As(err, &ve) {
			t.Errorf("position 0: %v, want ValidationError", err)
		}
		if err := st.MoveAssignmentRule(ctx, admin, "", general.ID, -5+5+1); err != nil {
			t.Fatal(err)
		}
		if err := st.MoveAssignmentRule(ctx, admin, "", spring.ID, 10); err != nil {
			t.Fatal(err)
		}
		expect("catch-all first", flag(store.TypePricing, ""), "cat")

		// Disabled: the catch-all assigns nothing; RETRY now finds nobody
		// (its rule's skill has no holder) and stays unassigned.
		if err := st.SetAssignmentRuleActive(ctx, admin, "", general.ID, false); err != nil {
			t.Fatal(err)
		}
		expect("catch-all disabled: PRICING", flag(store.TypePricing, ""), "bob")
		expect("catch-all disabled: RETRY", flag(store.TypeRetry, ""), "")
		expect("catch-all disabled: MESSAGE", flag(store.TypeMessage, ""), "")
		if err := st.DeleteAssignmentRule(ctx, admin, "", nobody.ID); err != nil {
			t.Fatal(err)
		}
		if err := st.DeleteAssignmentRule(ctx, admin, "", nobody.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deleting twice: %v, want ErrNotFound", err)
		}
		if err := st.SetAssignmentRuleActive(ctx, admin, "", pricing.ID, false); err != nil {
			t.Fatal(err)
		}
		expect("no active rule", flag(store.TypePricing, ""), "")

		holders, err := st.SkillHolders(ctx, []string{"pricing", "enterprise", "general", "nobody"})
		if err != nil {
			t.Fatal(err)
		}
		if holders["pricing"] != 1 || holders["enterprise"] != 0 || holders["general"] != 1 || holders["nobody"] != 0 {
			t.Errorf("skill holders %v", holders)
		}
		// Every change of a rule or of skills is audited.
		for action, want := range map[string]int{"assignment_rule.create": 4, "assignment_rule.move": 2,
			"assignment_rule.disable": 2, "assignment_rule.delete": 1, "operator.set_skills": 5} {
			entries, _, err := st.ListAudit(ctx, store.AuditFilter{Action: action})
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != want {
				t.Errorf("%d %s audit entries, want %d", len(entries), action, want)
			}
		}
	})
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestAutoAssignReadsByIndex flags reviews that a rule assigns, on MariaDB
// with 300 operators (a third with the rule's skill, some of those
// deactivated), and has MariaDB's ANALYZE run every statement of the
// assignment: the rule's locking read is by primary key and the pick of
// the next operator a range of operator_skills' key joined to operators by
// theirs, never a scan. (The rules themselves, at most
// MaxAssignmentRules rows, are read whole once per SettingsTTL.)
func TestAutoAssignReadsByIndex(t *testing.T) {
	st := storetest.Open(t, store.MySQL)
	now := store.Now()
	var ops []store.Operator
	for i := range 300 {
		ops = append(ops, store.Operator{Email: "op" + itoa(int64(i)) + "@example.com", Name: "op" + itoa(int64(i)), Role: store.RoleOperator,
			PasswordHash: "x", Active: i%6 != 0, CreatedAt: now, UpdatedAt: now})
	}
	if err := st.DB.Create(&ops).Error; err != nil {
		t.Fatal(err)
	}
	var skills []store.OperatorSkill
	for i, op := range ops {
		skills = append(skills, store.OperatorSkill{Skill: "team-" + itoa(int64(i%10)), OperatorID: op.ID, CreatedAt: now})
		if i%3 == 0 {
			skills = append(skills, store.OperatorSkill{Skill: "pricing", OperatorID: op.ID, CreatedAt: now})
		}
	}
	if err := st.DB.Create(&skills).Error; err != nil {
		t.Fatal(err)
	}
	addRule(t, st, store.RuleInput{ReviewType: store.TypeMessage, Skill: "team-3"})
	addRule(t, st, store.RuleInput{ReviewType: store.TypePricing, Skill: "pricing"})
	for _, tbl := range []string{"operators", "operator_skills", "assignment_rules"} {
		if err := st.DB.Exec("ANALYZE TABLE " + tbl).Error; err != nil {
			t.Fatal(err)
		}
	}
	// Warm the rule cache, then record: the last skilled operator's turn
	// comes up, so the pick wraps around once.
	storetest.FlaggedLead(t, st, "ix-0", store.TypePricing)
	if err := st.DB.Exec("UPDATE assignment_rules SET last_operator_id = ? WHERE skill = 'pricing'", ops[297].ID).Error; err != nil {
		t.Fatal(err)
	}
	stmts := explainRecorder(t, st)
	var got []string
	for i := range 3 {
		r := storetest.FlaggedLead(t, st, "ix-"+itoa(int64(i+1)), store.TypePricing)
		if r.AssigneeName == nil {
			t.Fatal("not assigned")
		}
		got = append(got, *r.AssigneeName)
	}
	// op0 is deactivated (0 % 6), op3 is active.
	if strings.Join(got, ",") != "op3,op9,op15" {
		t.Errorf("turns after the last: %v, want op3,op9,op15 (wrapped, the deactivated skipped)", got)
	}
	checked := 0
	for _, q := range *stmts {
		// The whole-table read of the rules (when the cache expired
		// meanwhile on a slow machine) is by design, not checked.
		if strings.Contains(q, "operator_skills") || (strings.Contains(q, "assignment_rules") && strings.Contains(q, "FOR UPDATE")) {
			checkAnalyze(t, st, "auto-assignment", q, 1)
			checked++
		}
	}
	if checked < 6 {
		t.Errorf("only %d assignment statements recorded:\n%s", checked, strings.Join(*stmts, "\n"))
	}
}
