package store

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// SettingDef describes one runtime setting.
type SettingDef struct {
	Key         string
	Default     string
	Description string
	// Validate normalises a value or explains why it is not acceptable.
	Validate func(string) (string, error)
}

func boolSetting(v string) (string, error) {
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	if err != nil {
		return "", fmt.Errorf("must be true or false")
	}
	return strconv.FormatBool(b), nil
}

func intSetting(lo, hi int) func(string) (string, error) {
	return func(v string) (string, error) {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < lo || n > hi {
			return "", fmt.Errorf("must be a whole number from %d to %d", lo, hi)
		}
		return strconv.Itoa(n), nil
	}
}

// maxReasonCodes caps a reason-code list (each code is at most 64
// characters): every decision form, filter and export carries the list.
const maxReasonCodes = 50

func codeListSetting(v string) (string, error) {
	var out []string
	seen := map[string]bool{}
	for _, c := range strings.Split(v, ",") {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		if len(c) > 64 || strings.IndexFunc(c, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-')
		}) >= 0 {
			return "", fmt.Errorf("reason code %q: use lower-case letters, digits, _ and - (at most 64)", c)
		}
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return "", fmt.Errorf("needs at least one reason code")
	}
	if len(out) > maxReasonCodes {
		return "", fmt.Errorf("at most %d reason codes (%d given)", maxReasonCodes, len(out))
	}
	return strings.Join(out, ","), nil
}

// Setting keys.
const (
	KeyQueueEnabled     = "queue.enabled"
	KeyScoreEnabled     = "autoflag.score.enabled"
	KeyScoreThreshold   = "autoflag.score.threshold"
	KeyQualityEnabled   = "autoflag.quality.enabled"
	KeyCooldownHours    = "autoflag.cooldown_hours"
	KeySLAWarningHours  = "sla.warning_hours"
	KeySLACriticalHours = "sla.critical_hours"
	KeyReasonsReject    = "reasons.reject"
	KeyReasonsSkip      = "reasons.skip"
	KeyReasonsRequired  = "reasons.required"
	KeyReasonsSnooze    = "reasons.snooze"
	KeyMFARequiredRoles = "auth.mfa_required_roles"
	KeyPasswordLogin    = "auth.password_login"
	KeyOIDCSignupRole   = "auth.oidc_signup_role"
	KeyBacklogThreshold = "queue.backlog_threshold"
	KeyUndoSeconds      = "decisions.undo_seconds"
	KeyTimeZone         = "display.time_zone"
	KeySamplingPercent  = "sampling.percent"
)

// SettingDefs lists every runtime setting with its default.
var SettingDefs = []SettingDef{
	{KeyQueueEnabled, "true", "the review queue and its API are on", boolSetting},
	{KeyScoreEnabled, "true", "a score above the threshold flags PROPOSAL", boolSetting},
	{KeyScoreThreshold, "90", "flag when score > this", intSetting(0, 100)},
	{KeyQualityEnabled, "true", "a high-severity quality-gate issue flags MESSAGE", boolSetting},
	{KeyCooldownHours, "72", "hours after a decision in which an automatic rule does not reopen the lead unless what it is about changed (0: off)", intSetting(0, 24*365)},
	{KeySLAWarningHours, "12", "age in hours that shows the warning badge", intSetting(1, 24*30)},
	{KeySLACriticalHours, "24", "age in hours that shows the critical badge", intSetting(1, 24*30)},
	{KeyReasonsReject, "not_a_fit,bad_data,do_not_contact,duplicate,other", "reject reason codes", codeListSetting},
	{KeyReasonsSkip, "needs_info,not_now,other", "skip reason codes", codeListSetting},
	{KeyReasonsSnooze, "waiting_on_customer,needs_info,other", "snooze reason codes", codeListSetting},
	{KeyReasonsRequired, "true", "reject and skip must carry a reason code", boolSetting},
	{KeyMFARequiredRoles, "", "roles that must sign in with a second factor (comma-separated, e.g. admin; empty: none)", roleListSetting},
	{KeyPasswordLogin, "true", "the password form signs in (false: single sign-on only, when it is configured)", boolSetting},
	{KeyOIDCSignupRole, "", "role of an account made at its first single sign-on (empty: no sign-up, only existing accounts)", roleOrEmptySetting},
	{KeyBacklogThreshold, "100", "pending reviews over this send the queue.backlog webhook event", intSetting(1, 1000000)},
	{KeyUndoSeconds, "10", "seconds after a decision in which the person who made it can undo it (0: off)", intSetting(0, 3600)},
	{KeyTimeZone, "UTC", "time zone (IANA name, e.g. Europe/Berlin) pages show times in for operators who chose none on their account page", timeZoneSetting},
	{KeySamplingPercent, "0", "percent of the leads the score and quality rules did not flag that go to the queue as QA samples (source sample; 0: off)", intSetting(0, 100)},
}

func settingDef(key string) (SettingDef, bool) {
	for _, d := range SettingDefs {
		if d.Key == key {
			return d, true
		}
	}
	return SettingDef{}, false
}

// CheckSettingKey says whether key names a setting, listing the known ones
// when it does not.
func CheckSettingKey(key string) error {
	if _, ok := settingDef(key); ok {
		return nil
	}
	keys := make([]string, 0, len(SettingDefs))
	for _, d := range SettingDefs {
		keys = append(keys, d.Key)
	}
	sort.Strings(keys)
	return invalid("key", "unknown setting %q; known: %s", key, strings.Join(keys, ", "))
}

func timeZoneSetting(v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		v = "UTC"
	}
	if _, err := LoadTimeZone(v); err != nil {
		return "", err
	}
	return v, nil
}

// TimeZone is the deployment's default time zone for pages (UTC when the
// setting names none that loads).
func (s Settings) TimeZone() *time.Location {
	loc, err := LoadTimeZone(s.Get(KeyTimeZone))
	if err != nil || loc == nil {
		return time.UTC
	}
	return loc
}

// Settings is a snapshot of every runtime setting.
type Settings struct {
	values map[string]string
}

// Get returns a setting's value as text.
func (s Settings) Get(key string) string { return s.values[key] }

// Bool returns a boolean setting.
func (s Settings) Bool(key string) bool { b, _ := strconv.ParseBool(s.values[key]); return b }

// Int returns a numeric setting.
func (s Settings) Int(key string) int { n, _ := strconv.Atoi(s.values[key]); return n }

// List returns a comma-separated setting as a slice.
func (s Settings) List(key string) []string {
	v := s.values[key]
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}

// QueueEnabled, and the rest, are typed views of the snapshot.
func (s Settings) QueueEnabled() bool    { return s.Bool(KeyQueueEnabled) }
func (s Settings) ReasonsRequired() bool { return s.Bool(KeyReasonsRequired) }
func (s Settings) SLAWarning() time.Duration {
	return time.Duration(s.Int(KeySLAWarningHours)) * time.Hour
}
func (s Settings) UndoWindow() time.Duration {
	return time.Duration(s.Int(KeyUndoSeconds)) * time.Second
}
func (s Settings) SLACritical() time.Duration {
	return time.Duration(s.Int(KeySLACriticalHours)) * time.Hour
}

type settingsCache struct {
	mu      sync.Mutex
	at      time.Time
	current Settings
}

func newSettingsCache() *settingsCache { return &settingsCache{} }

// Settings returns the runtime settings, read from the database at most once
// per Options.SettingsTTL per instance.
func (s *Store) Settings(ctx context.Context) (Settings, error) {
	c := s.settings
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.current.values != nil && time.Since(c.at) < s.opts.SettingsTTL {
		return c.current, nil
	}
	fresh, err := s.loadSettings(ctx, s.DB)
	if err != nil {
		return Settings{}, err
	}
	c.current, c.at = fresh, time.Now()
	return fresh, nil
}

func (s *Store) loadSettings(ctx context.Context, db *gorm.DB) (Settings, error) {
	var rows []Setting
	if err := db.WithContext(ctx).Find(&rows).Error; err != nil {
		return Settings{}, fmt.Errorf("load settings: %w", err)
	}
	values := make(map[string]string, len(SettingDefs))
	for _, d := range SettingDefs {
		values[d.Key] = d.Default
	}
	for _, r := range rows {
		if _, ok := values[r.Name]; ok {
			values[r.Name] = r.Value
		}
	}
	return Settings{values: values}, nil
}

// SettingValue is one setting as shown to an admin.
type SettingValue struct {
	Key, Value, Default, Description, UpdatedBy string
	UpdatedAt                                   *time.Time
}

// ListSettings returns every setting with its current value, uncached.
func (s *Store) ListSettings(ctx context.Context) ([]SettingValue, error) {
	var rows []Setting
	if err := s.DB.WithContext(ctx).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list settings: %w", err)
	}
	byKey := map[string]Setting{}
	for _, r := range rows {
		byKey[r.Name] = r
	}
	out := make([]SettingValue, 0, len(SettingDefs))
	for _, d := range SettingDefs {
		v := SettingValue{Key: d.Key, Value: d.Default, Default: d.Default, Description: d.Description}
		if r, ok := byKey[d.Key]; ok {
			t := r.UpdatedAt
			v.Value, v.UpdatedBy, v.UpdatedAt = r.Value, r.UpdatedBy, &t
		}
		out = append(out, v)
	}
	return out, nil
}

// settingsLockRow names the settings row every SetSetting locks first.
const settingsLockRow = "~lock"

// SetSetting validates and stores a setting and audits the change, in one
// transaction. It returns the normalised value.
func (s *Store) SetSetting(ctx context.Context, actor Actor, ip, key, value string) (string, error) {
	if err := CheckSettingKey(key); err != nil {
		return "", err
	}
	def, _ := settingDef(key)
	norm, err := def.Validate(value)
	if err != nil {
		return "", invalid(key, "%s", err.Error())
	}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		// One writer at a time: related keys (the SLA ages) are checked
		// against each other, so two admins changing one each must not
		// both pass against the old values. The lock row is not a setting
		// (loadSettings and ListSettings skip it); on SQLite BEGIN
		// IMMEDIATE already serialises writers.
		lock := Setting{Name: settingsLockRow, UpdatedAt: Now()}
		if err := tx.Clauses(clause.OnConflict{DoUpdates: clause.AssignmentColumns([]string{"updated_at"})}).Create(&lock).Error; err != nil {
			return fmt.Errorf("lock settings: %w", err)
		}
		cur, err := s.loadSettings(ctx, tx.Clauses(clause.Locking{Strength: "UPDATE"}))
		if err != nil {
			return err
		}
		old := cur.Get(key)
		if key == KeySLAWarningHours || key == KeySLACriticalHours {
			w, c := cur.Int(KeySLAWarningHours), cur.Int(KeySLACriticalHours)
			n, _ := strconv.Atoi(norm)
			if key == KeySLAWarningHours {
				w = n
			} else {
				c = n
			}
			if w >= c {
				return invalid(key, "the warning age (%d h) must be below the critical age (%d h)", w, c)
			}
		}
		row := Setting{Name: key, Value: norm, UpdatedAt: Now(), UpdatedBy: actor.Name}
		if err := tx.Clauses(clause.OnConflict{UpdateAll: true}).Create(&row).Error; err != nil {
			return fmt.Errorf("store setting: %w", err)
		}
		if key == KeyQueueEnabled {
			if err := s.emitQueueSwitch(ctx, tx, old, norm, actor); err != nil {
				return err
			}
		}
		return audit(tx, actor, ip, "settings.set", key, &old, &norm)
	})
	if err != nil {
		return "", err
	}
	s.InvalidateSettings()
	return norm, nil
}

// InvalidateSettings drops this instance's cached settings.
func (s *Store) InvalidateSettings() {
	s.settings.mu.Lock()
	s.settings.current = Settings{}
	s.settings.mu.Unlock()
}

// roleListSetting is a comma-separated list of roles, possibly empty.
func roleListSetting(v string) (string, error) {
	var out []string
	seen := map[string]bool{}
	for _, r := range strings.Split(v, ",") {
		r = strings.ToLower(strings.TrimSpace(r))
		if r == "" || seen[r] {
			continue
		}
		if !ValidRole(r) {
			return "", fmt.Errorf("role %q: use %s", r, strings.Join(Roles, ", "))
		}
		seen[r] = true
		out = append(out, r)
	}
	return strings.Join(out, ","), nil
}

// roleOrEmptySetting is one role or nothing.
func roleOrEmptySetting(v string) (string, error) {
	v = strings.ToLower(strings.TrimSpace(v))
	if v != "" && !ValidRole(v) {
		return "", fmt.Errorf("must be empty or one of %s", strings.Join(Roles, ", "))
	}
	return v, nil
}

// MFARequiredFor reports whether role must sign in with a second factor.
func (s Settings) MFARequiredFor(role string) bool {
	for _, r := range s.List(KeyMFARequiredRoles) {
		if r == role {
			return true
		}
	}
	return false
}
