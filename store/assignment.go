package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Auto-assignment: operators carry skills (operator_skills), and rules
// (assignment_rules) say which skill a new review of a type and/or campaign
// needs. When Flag opens a review, the first active rule (by position, then
// id) that matches its type and campaign and has an active operator with its
// skill assigns it, in the flag's own transaction, to the next such operator
// in round-robin order: the operator with the smallest id after the rule's
// last_operator_id, wrapping around. The cursor is moved under the rule
// row's lock, so concurrent flags through any number of instances queue on
// that row and the turns stay exact (1,000 flags over 4 operators: 250
// each); an operator deactivated or stripped of the skill simply stops being
// a candidate. A matching rule without any candidate is passed over (logged
// at INFO), so a catch-all rule further down is the fallback; when none
// finds anyone the review stays unassigned and the flag goes through.
//
// Every automatic assignment writes the `assigned` history event (actor
// system, naming the rule), the audit entry review.assign and the webhook
// event review.assigned, as a manual assignment does. Every change of a rule
// or of an operator's skills is audited.

// MaxAssignmentRules bounds the rules table: each new review tests them.
const MaxAssignmentRules = 100

// MaxSkillsPerOperator bounds an operator's skills.
const MaxSkillsPerOperator = 20

// OperatorSkill is one skill of one operator.
type OperatorSkill struct {
	Skill      string `gorm:"primaryKey"`
	OperatorID int64  `gorm:"primaryKey"`
	CreatedAt  time.Time
}

// TableName of OperatorSkill.
func (OperatorSkill) TableName() string { return "operator_skills" }

// AssignmentRule sends new reviews of a type and/or campaign (nil: any) to
// the operators with Skill, round-robin.
type AssignmentRule struct {
	ID         int64
	ReviewType *string
	Campaign   *string
	Skill      string
	Position   int
	Active     bool
	// LastOperatorID is the round-robin cursor: the operator the rule
	// assigned last.
	LastOperatorID *int64
	// AssignedCount is how many reviews the rule has assigned.
	AssignedCount int64
	CreatedBy     string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// TableName of AssignmentRule.
func (AssignmentRule) TableName() string { return "assignment_rules" }

// Matches reports whether a new review of reviewType in campaign falls
// under the rule (campaigns compare case-insensitively, as the queue's
// filter does on MySQL).
func (r AssignmentRule) Matches(reviewType, campaign string) bool {
	if r.ReviewType != nil && *r.ReviewType != reviewType {
		return false
	}
	return r.Campaign == nil || strings.EqualFold(*r.Campaign, campaign)
}

// Describe says what the rule does: "rule 3: PRICING, campaign spring →
// skill pricing".
func (r AssignmentRule) Describe() string {
	typ, camp := "any type", "any campaign"
	if r.ReviewType != nil {
		typ = *r.ReviewType
	}
	if r.Campaign != nil {
		camp = "campaign " + *r.Campaign
	}
	return fmt.Sprintf("rule %d: %s, %s → skill %s", r.ID, typ, camp, r.Skill)
}

var skillPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,63}$`)

// NormalizeSkill lower-cases and checks a skill name: letters, digits,
// '_', '.', '-', at most 64, starting with a letter or digit.
func NormalizeSkill(raw string) (string, error) {
	s := strings.ToLower(strings.TrimSpace(raw))
	if !skillPattern.MatchString(s) {
		return "", invalid("skill", "%q is not a skill name: use letters, digits, '_', '.' or '-' (at most 64)", raw)
	}
	return s, nil
}

// ParseSkills reads a list of skills separated by commas or spaces into a
// sorted set.
func ParseSkills(raw string) ([]string, error) {
	out := []string{}
	for _, f := range strings.FieldsFunc(raw, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r' }) {
		s, err := NormalizeSkill(f)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	if len(out) > MaxSkillsPerOperator {
		return nil, invalid("skills", "at most %d skills per operator", MaxSkillsPerOperator)
	}
	slices.Sort(out)
	return out, nil
}

// SkillsOf returns the skills of each given operator (sorted).
func (s *Store) SkillsOf(ctx context.Context, ids []int64) (map[int64][]string, error) {
	out := map[int64][]string{}
	if len(ids) == 0 {
		return out, nil
	}
	if len(ids) > 500 {
		return nil, invalid("ids", "at most 500 at once")
	}
	var rows []OperatorSkill
	if err := s.DB.WithContext(ctx).Where("operator_id IN ?", ids).Order("operator_id, skill").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("operator skills: %w", err)
	}
	for _, r := range rows {
		out[r.OperatorID] = append(out[r.OperatorID], r.Skill)
	}
	return out, nil
}

// SetSkills replaces an operator's skills, audited (operator.set_skills)
// when they change. It returns the skills now held.
func (s *Store) SetSkills(ctx context.Context, actor Actor, ip string, id int64, skills []string) ([]string, error) {
	want := make([]string, 0, len(skills))
	for _, raw := range skills {
		sk, err := NormalizeSkill(raw)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(want, sk) {
			want = append(want, sk)
		}
	}
	if len(want) > MaxSkillsPerOperator {
		return nil, invalid("skills", "at most %d skills per operator", MaxSkillsPerOperator)
	}
	slices.Sort(want)
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var op Operator
		err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Select("id", "email").Where("id = ?", id).Take(&op).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("get operator: %w", err)
		}
		var have []string
		if err := tx.Model(&OperatorSkill{}).Where("operator_id = ?", id).Order("skill").Pluck("skill", &have).Error; err != nil {
			return fmt.Errorf("operator skills: %w", err)
		}
		if slices.Equal(have, want) {
			return nil
		}
		var gone, added []string
		for _, sk := range have {
			if !slices.Contains(want, sk) {
				gone = append(gone, sk)
			}
		}
		for _, sk := range want {
			if !slices.Contains(have, sk) {
				added = append(added, sk)
			}
		}
		if len(gone) > 0 {
			if err := tx.Where("operator_id = ? AND skill IN ?", id, gone).Delete(&OperatorSkill{}).Error; err != nil {
				return fmt.Errorf("remove skills: %w", err)
			}
		}
		if len(added) > 0 {
			now := Now()
			rows := make([]OperatorSkill, 0, len(added))
			for _, sk := range added {
				rows = append(rows, OperatorSkill{Skill: sk, OperatorID: id, CreatedAt: now})
			}
			if err := tx.Create(&rows).Error; err != nil {
				return fmt.Errorf("add skills: %w", err)
			}
		}
		ov, nv := "skills="+strings.Join(have, ","), "skills="+strings.Join(want, ",")
		return audit(tx, actor, ip, "operator.set_skills", op.Email, &ov, &nv)
	})
	if err != nil {
		return nil, err
	}
	return want, nil
}

// RuleInput is a new assignment rule; empty ReviewType or Campaign means
// any, Position 0 puts it last.
type RuleInput struct {
	ReviewType string
	Campaign   string
	Skill      string
	Position   int
}

// Validate checks and normalises the rule's fields.
func (in *RuleInput) Validate() error {
	in.ReviewType = strings.ToUpper(strings.TrimSpace(in.ReviewType))
	if in.ReviewType == "ANY" {
		in.ReviewType = ""
	}
	if in.ReviewType != "" && !slices.Contains(ReviewTypes, in.ReviewType) {
		return invalid("review_type", "must be any or one of %s", strings.Join(ReviewTypes, ", "))
	}
	in.Campaign = strings.TrimSpace(in.Campaign)
	if utf8.RuneCountInString(in.Campaign) > 200 {
		return invalid("campaign", "must be at most 200 characters")
	}
	sk, err := NormalizeSkill(in.Skill)
	if err != nil {
		if strings.TrimSpace(in.Skill) == "" {
			return invalid("skill", "is required: the skill an operator needs to get these reviews")
		}
		return err
	}
	in.Skill = sk
	if in.Position < 0 || in.Position > 1000000 {
		return invalid("position", "must be between 1 and 1000000 (empty: last)")
	}
	return nil
}

// ListAssignmentRules returns every rule in the order they are tried.
func (s *Store) ListAssignmentRules(ctx context.Context) ([]AssignmentRule, error) {
	var out []AssignmentRule
	if err := s.DB.WithContext(ctx).Order("position, id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list assignment rules: %w", err)
	}
	return out, nil
}

// SkillHolders counts the active operators holding each skill.
func (s *Store) SkillHolders(ctx context.Context, skills []string) (map[string]int64, error) {
	out := map[string]int64{}
	if len(skills) == 0 {
		return out, nil
	}
	var rows []struct {
		Skill string
		N     int64
	}
	if err := s.DB.WithContext(ctx).Raw(`SELECT s.skill AS skill, COUNT(*) AS n FROM operator_skills s
		JOIN operators o ON o.id = s.operator_id WHERE s.skill IN ? AND o.active = ? GROUP BY s.skill`, skills, true).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("skill holders: %w", err)
	}
	for _, r := range rows {
		out[r.Skill] = r.N
	}
	return out, nil
}

// CreateAssignmentRule adds a rule, audited (assignment_rule.create).
func (s *Store) CreateAssignmentRule(ctx context.Context, actor Actor, ip string, in RuleInput) (*AssignmentRule, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var out *AssignmentRule
	err := s.tx(ctx, func(tx *gorm.DB) error {
		out = nil
		var agg struct {
			N   int64
			Max *int
		}
		if err := tx.Model(&AssignmentRule{}).Select("COUNT(*) AS n, MAX(position) AS max").Scan(&agg).Error; err != nil {
			return fmt.Errorf("count assignment rules: %w", err)
		}
		if agg.N >= MaxAssignmentRules {
			return invalid("rules", "at most %d rules; delete one first", MaxAssignmentRules)
		}
		pos := in.Position
		if pos == 0 {
			pos = 1
			if agg.Max != nil {
				pos = *agg.Max + 1
			}
		}
		now := Now()
		r := &AssignmentRule{ReviewType: optional(in.ReviewType), Campaign: optional(in.Campaign), Skill: in.Skill,
			Position: pos, Active: true, CreatedBy: actor.Name, CreatedAt: now, UpdatedAt: now}
		if err := tx.Create(r).Error; err != nil {
			return fmt.Errorf("create assignment rule: %w", err)
		}
		nv := r.Describe() + ", position " + strconv.Itoa(r.Position)
		if err := audit(tx, actor, ip, "assignment_rule.create", ruleTarget(r.ID), nil, &nv); err != nil {
			return err
		}
		out = r
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.InvalidateAssignmentRules()
	return out, nil
}

func ruleTarget(id int64) string { return "assignment_rule:" + strconv.FormatInt(id, 10) }

// changeRule runs fn on the locked rule in one transaction.
func (s *Store) changeRule(ctx context.Context, id int64, fn func(tx *gorm.DB, r *AssignmentRule) error) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var r AssignmentRule
		err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = ?", id).Take(&r).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("get assignment rule: %w", err)
		}
		return fn(tx, &r)
	})
	if err == nil {
		s.InvalidateAssignmentRules()
	}
	return err
}

// SetAssignmentRuleActive enables or disables a rule, audited.
func (s *Store) SetAssignmentRuleActive(ctx context.Context, actor Actor, ip string, id int64, active bool) error {
	return s.changeRule(ctx, id, func(tx *gorm.DB, r *AssignmentRule) error {
		if r.Active == active {
			return nil
		}
		if err := tx.Model(&AssignmentRule{}).Where("id = ?", r.ID).Updates(map[string]any{"active": active, "updated_at": Now()}).Error; err != nil {
			return fmt.Errorf("update assignment rule: %w", err)
		}
		action := "assignment_rule.disable"
		if active {
			action = "assignment_rule.enable"
		}
		ov, nv := fmt.Sprintf("active=%t", r.Active), fmt.Sprintf("active=%t", active)
		return audit(tx, actor, ip, action, ruleTarget(r.ID), &ov, &nv)
	})
}

// MoveAssignmentRule gives a rule another position, audited.
func (s *Store) MoveAssignmentRule(ctx context.Context, actor Actor, ip string, id int64, position int) error {
	if position < 1 || position > 1000000 {
		return invalid("position", "must be between 1 and 1000000")
	}
	return s.changeRule(ctx, id, func(tx *gorm.DB, r *AssignmentRule) error {
		if r.Position == position {
			return nil
		}
		if err := tx.Model(&AssignmentRule{}).Where("id = ?", r.ID).Updates(map[string]any{"position": position, "updated_at": Now()}).Error; err != nil {
			return fmt.Errorf("update assignment rule: %w", err)
		}
		ov, nv := "position="+strconv.Itoa(r.Position), "position="+strconv.Itoa(position)
		return audit(tx, actor, ip, "assignment_rule.move", ruleTarget(r.ID), &ov, &nv)
	})
}

// DeleteAssignmentRule removes a rule, audited with what it was. The
// reviews it assigned stay assigned.
func (s *Store) DeleteAssignmentRule(ctx context.Context, actor Actor, ip string, id int64) error {
	return s.changeRule(ctx, id, func(tx *gorm.DB, r *AssignmentRule) error {
		if err := tx.Where("id = ?", r.ID).Delete(&AssignmentRule{}).Error; err != nil {
			return fmt.Errorf("delete assignment rule: %w", err)
		}
		ov := r.Describe() + fmt.Sprintf(", position %d, active=%t, assigned %d", r.Position, r.Active, r.AssignedCount)
		return audit(tx, actor, ip, "assignment_rule.delete", ruleTarget(r.ID), &ov, nil)
	})
}

// ruleCache keeps the active rules per instance for Options.SettingsTTL,
// as the webhook subscriptions are: a flag reads nothing while no rule
// exists. A matching rule is read again under its lock before it assigns,
// so a rule disabled or deleted anywhere never assigns again; a rule added
// on another instance applies within SettingsTTL.
type ruleCache struct {
	mu      sync.Mutex
	at      time.Time
	loaded  bool
	current []AssignmentRule
}

// InvalidateAssignmentRules drops this instance's cached rules.
func (s *Store) InvalidateAssignmentRules() {
	s.rules.mu.Lock()
	s.rules.loaded = false
	s.rules.mu.Unlock()
}

// activeRules returns the cached active rules in order, read through tx
// when stale.
func (s *Store) activeRules(tx *gorm.DB) ([]AssignmentRule, error) {
	c := &s.rules
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.loaded && time.Since(c.at) < s.opts.SettingsTTL {
		return c.current, nil
	}
	var rules []AssignmentRule
	if err := tx.Where("active = ?", true).Order("position, id").Find(&rules).Error; err != nil {
		return nil, fmt.Errorf("read assignment rules: %w", err)
	}
	c.current, c.at, c.loaded = rules, time.Now(), true
	return rules, nil
}

// logger is Options.Logger, else slog's default.
func (s *Store) logger() *slog.Logger {
	if s.opts.Logger != nil {
		return s.opts.Logger
	}
	return slog.Default()
}

// autoAssignment is what a rule chose for a new review.
type autoAssignment struct {
	rule     AssignmentRule
	operator Operator
}

// autoAssign picks the operator for a new review of reviewType in campaign,
// inside the flag's transaction (nil: no rule applies or no operator has
// the skill). It moves the chosen rule's cursor.
func (s *Store) autoAssign(tx *gorm.DB, reviewType, campaign string) (*autoAssignment, error) {
	rules, err := s.activeRules(tx)
	if err != nil || len(rules) == 0 {
		return nil, err
	}
	for _, cached := range rules {
		if !cached.Matches(reviewType, campaign) {
			continue
		}
		var rule AssignmentRule
		err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = ? AND active = ?", cached.ID, true).Take(&rule).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			continue // disabled or deleted since the cache was read
		}
		if err != nil {
			return nil, fmt.Errorf("lock assignment rule: %w", err)
		}
		op, err := nextSkilled(tx, rule.Skill, rule.LastOperatorID)
		if err != nil {
			return nil, err
		}
		if op == nil {
			s.logger().InfoContext(tx.Statement.Context, "auto-assignment: no active operator has the rule's skill; trying the next rule",
				"rule_id", rule.ID, "skill", rule.Skill, "review_type", reviewType)
			continue
		}
		res := tx.Model(&AssignmentRule{}).Where("id = ?", rule.ID).
			Updates(map[string]any{"last_operator_id": op.ID, "assigned_count": gorm.Expr("assigned_count + 1")})
		if res.Error != nil {
			return nil, fmt.Errorf("move assignment cursor: %w", res.Error)
		}
		if res.RowsAffected != 1 {
			return nil, fmt.Errorf("move assignment cursor: rule %d changed under its lock", rule.ID)
		}
		return &autoAssignment{rule: rule, operator: *op}, nil
	}
	return nil, nil
}

// nextSkilled is the active operator with skill whose id follows after
// (nil: from the start), wrapping around; nil when nobody has the skill.
// A range of operator_skills' key (skill, operator_id), each candidate
// checked by operators' primary key.
func nextSkilled(tx *gorm.DB, skill string, after *int64) (*Operator, error) {
	const q = `SELECT o.id, o.name, o.email FROM operator_skills s JOIN operators o ON o.id = s.operator_id
		WHERE s.skill = ? AND s.operator_id > ? AND o.active = ? ORDER BY s.operator_id LIMIT 1`
	var from int64
	if after != nil {
		from = *after
	}
	for {
		var ops []Operator
		if err := tx.Raw(q, skill, from, true).Scan(&ops).Error; err != nil {
			return nil, fmt.Errorf("next operator with skill: %w", err)
		}
		if len(ops) == 1 {
			return &ops[0], nil
		}
		if from == 0 {
			return nil, nil
		}
		from = 0 // wrap around
	}
}

// recordAutoAssignment writes what an automatic assignment of the new
// review r did: the history event (actor system, naming the rule), the
// audit entry and review.assigned.
func recordAutoAssignment(tx *gorm.DB, r *Review, a *autoAssignment, outbox *outboxBatch) error {
	rule := a.rule.Describe()
	detail := map[string]any{"to": a.operator.Name, "to_email": a.operator.Email, "rule_id": a.rule.ID,
		"rule": "auto-assigned by " + rule}
	if err := tx.Create(newEvent(r, EventAssigned, SystemActor, detail)).Error; err != nil {
		return fmt.Errorf("write history: %w", err)
	}
	nv := a.operator.Name + " (auto-assigned by " + rule + ")"
	if err := audit(tx, SystemActor, "", "review.assign", "review:"+strconv.FormatInt(r.ID, 10), nil, &nv); err != nil {
		return err
	}
	d := reviewData(r)
	d["assigned_by"] = ActorJSON(SystemActor)
	d["assignee"] = map[string]any{"id": a.operator.ID, "name": a.operator.Name, "email": a.operator.Email}
	d["previous_assignee"] = nil
	d["rule"] = map[string]any{"id": a.rule.ID, "review_type": a.rule.ReviewType, "campaign": a.rule.Campaign, "skill": a.rule.Skill}
	outbox.add(WebhookReviewAssigned, r.ID, r.LeadID, d)
	return nil
}
