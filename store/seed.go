package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"
)

// SeedOptions size a bulk data set.
type SeedOptions struct {
	Leads   int
	Pending int
	Decided int
	// Prefix of the external ids; a fresh one per run keeps runs apart.
	Prefix string
	// Progress, if set, is called after each batch with leads written so far.
	Progress func(done int)
}

var (
	firstNames = []string{"Ana", "Ben", "Chloé", "Dmitri", "Elif", "Femi", "Grace", "Hiro", "Isabel", "Jonas", "Kavya", "Liam", "Mei", "Noah", "Olga", "Pedro", "Quinn", "Rosa", "Sanjay", "Tara", "Uma", "Victor", "Wen", "Yara", "Zoe"}
	lastNames  = []string{"Almeida", "Brennan", "Costa", "Dubois", "Eriksen", "Fischer", "García", "Hughes", "Ivanova", "Jensen", "Kowalski", "Lindqvist", "Moreau", "Nakamura", "O'Brien", "Patel", "Rossi", "Schmidt", "Tanaka", "Urbán", "Varga", "Weber", "Yilmaz", "Zhang"}
	companies  = []string{"Northwind Logistics", "Acme Analytics", "Bluefin Health", "Copperleaf Energy", "Delta Freight", "Evergreen Foods", "Fjord Capital", "Granite Systems", "Harbor Retail", "Ion Robotics", "Juniper Legal", "Kestrel Aerospace", "Lumen Media", "Meridian Insurance", "Nimbus Cloud", "Orchard Pharma", "Pioneer Steel", "Quartz Security", "Redwood Hotels", "Summit Education"}
	industries = []string{"logistics", "software", "healthcare", "energy", "food", "finance", "manufacturing", "retail", "legal", "media"}
	campaigns  = []string{"q4-enterprise", "smb-reactivation", "webinar-followup", "partner-referrals", "eu-expansion"}
	reasons    = map[string][]string{
		TypeMessage:  {"Quality gate: tone flagged as too aggressive", "Quality gate: mentions a competitor by name", "Quality gate: unverified claim in the message"},
		TypeProposal: {"High-value prospect (score=94)", "High-value prospect (score=97)", "Enterprise deal over the auto-approve limit"},
		TypePricing:  {"Asked for a discount over 20%", "Custom pricing requested in reply", "Multi-year pricing question"},
		TypeAction:   {"Requested a call with the CEO", "Asked to be moved to another region's team", "Non-standard follow-up sequence"},
		TypeRetry:    {"3 failed delivery attempts", "Bounced twice, new address found", "Repeated soft bounces"},
	}
	snippets = []string{"Thanks, can you send more details on pricing?", "Not interested right now, maybe next quarter.", "Who else in our industry uses this?", "Please talk to our procurement team.", ""}
)

func sourceFor(typ string, r *rand.Rand) string {
	switch typ {
	case TypeMessage:
		return SourceQuality
	case TypeProposal:
		return SourceScore
	}
	if r.IntN(2) == 0 {
		return SourceManual
	}
	return SourceAPI
}

// Seed bulk-inserts a data set with multi-row INSERTs: Leads leads, of which
// the first Pending have an open review and the next Decided a decided one
// (with its history). It is meant for demos and benchmarks: fast, not
// transactional as a whole.
func (s *Store) Seed(ctx context.Context, opt SeedOptions) error {
	if opt.Leads < 0 || opt.Pending < 0 || opt.Decided < 0 || opt.Pending+opt.Decided > opt.Leads {
		return invalid("pending", "pending + decided must be at most the number of leads")
	}
	if opt.Prefix == "" {
		opt.Prefix = fmt.Sprintf("seed-%d", time.Now().UnixNano())
	}
	now := Now()
	var mu sync.Mutex
	done := 0
	progress := func(n int) {
		mu.Lock()
		defer mu.Unlock()
		done += n
		if opt.Progress != nil {
			opt.Progress(done)
		}
	}
	// The leads with reviews first, in order; then the plain leads by two
	// writers at once on MySQL (the server has more than one core to
	// maintain the indexes with; SQLite has one writer anyway).
	withReviews := min(opt.Leads, (opt.Pending+opt.Decided+seedBatch-1)/seedBatch*seedBatch)
	if err := s.seedRange(ctx, opt, 0, withReviews, now, 1, progress); err != nil {
		return err
	}
	writers := 1
	if s.Dialect == MySQL {
		writers = 2
	}
	rest := opt.Leads - withReviews
	per := (rest/writers + seedBatch - 1) / seedBatch * seedBatch
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		from := withReviews + w*per
		to := min(opt.Leads, from+per)
		if w == writers-1 {
			to = opt.Leads
		}
		// #nosec G115 -- w is a small writer number, never negative
		go func(w, from, to int) { errs <- s.seedRange(ctx, opt, from, to, now, uint64(w+2), progress) }(w, from, to)
	}
	var firstErr error
	for w := 0; w < writers; w++ {
		if err := <-errs; err != nil && firstErr == nil {
			firstErr = err
		}
	}
	if firstErr != nil {
		return firstErr
	}
	// The rows above bypassed Flag and Decide, which keep the daily stats.
	return s.RebuildDailyStats(ctx)
}

// seedBatch is how many leads one INSERT writes.
const seedBatch = 1000

// seedRange writes the leads from..to-1 (and their reviews) of a Seed.
func (s *Store) seedRange(ctx context.Context, opt SeedOptions, from, to int, now time.Time, stream uint64, progress func(int)) error {
	if from >= to {
		return nil
	}
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), stream)) // #nosec G404 G115 -- demo data, not a secret
	batch := seedBatch
	// Ten batches per transaction: one commit (one log flush) per 10,000
	// rows instead of per statement.
	const batchesPerTx = 10
	lastReported := from
	var db *gorm.DB
	commit := func() error {
		if db == nil {
			return nil
		}
		err := db.Commit().Error
		db = nil
		if err != nil {
			return fmt.Errorf("seed: commit: %w", err)
		}
		return nil
	}
	defer func() {
		if db != nil {
			db.Rollback()
		}
	}()
	for start, nb := from, 0; start < to; start, nb = start+batch, nb+1 {
		if db == nil {
			db = s.DB.WithContext(ctx).Begin()
			if db.Error != nil {
				return fmt.Errorf("seed: begin: %w", db.Error)
			}
		}
		end := min(start+batch, to)
		n := end - start
		var sb strings.Builder
		sb.WriteString("INSERT INTO leads (external_id, name, email, company, industry, campaign, score, status, tags, failed_attempts, last_reply_snippet, message_subject, message_body, requires_human_review, review_type, review_reason, created_at, updated_at) VALUES ")
		args := make([]any, 0, n*18)
		types := make([]string, n)
		reasonOf := make([]string, n)
		for i := 0; i < n; i++ {
			idx := start + i
			if i > 0 {
				sb.WriteString(",")
			}
			sb.WriteString("(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
			first, last := firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))]
			company := companies[r.IntN(len(companies))]
			typ := ReviewTypes[idx%len(ReviewTypes)]
			types[i] = typ
			reasonOf[i] = reasons[typ][r.IntN(len(reasons[typ]))]
			score := r.IntN(90)
			if typ == TypeProposal {
				score = 91 + r.IntN(9)
			}
			flagged := idx < opt.Pending
			var rt, rr any
			if flagged {
				rt, rr = typ, reasonOf[i]
			}
			status, tags := "enriched", ""
			created := now.Add(-time.Duration(r.IntN(60*24*30)) * time.Minute)
			email := strings.ToLower(fmt.Sprintf("%s.%s.%d@%s.example", first, strings.ReplaceAll(last, "'", ""), idx, strings.Fields(company)[0]))
			args = append(args, fmt.Sprintf("%s-%09d", opt.Prefix, idx), first+" "+last, email, company,
				industries[r.IntN(len(industries))], campaigns[r.IntN(len(campaigns))], score, status, tags, r.IntN(4),
				snippets[r.IntN(len(snippets))], "Quick question about "+company, "Hi "+first+",\n\nI noticed "+company+" is growing fast. Could we talk next week?\n\nBest,\nSam",
				flagged, rt, rr, created, created)
		}
		if err := db.Exec(sb.String(), args...).Error; err != nil {
			return fmt.Errorf("seed leads: %w", err)
		}
		if start < opt.Pending+opt.Decided {
			if err := seedReviews(db, opt, start, end, types, reasonOf, r, now); err != nil {
				return err
			}
		}
		if (nb+1)%batchesPerTx == 0 || end == to {
			if err := commit(); err != nil {
				return err
			}
			progress(end - lastReported)
			lastReported = end
		}
	}
	return nil
}

func seedReviews(db *gorm.DB, opt SeedOptions, start, end int, types, reasonOf []string, r *rand.Rand, now time.Time) error {
	ext := make([]string, 0, end-start)
	for idx := start; idx < end && idx < opt.Pending+opt.Decided; idx++ {
		ext = append(ext, fmt.Sprintf("%s-%09d", opt.Prefix, idx))
	}
	var leads []struct {
		ID         int64
		ExternalID string
		Score      int
		Campaign   string
	}
	if err := db.Table("leads").Select("id, external_id, score, campaign").Where("external_id IN ?", ext).Scan(&leads).Error; err != nil {
		return fmt.Errorf("seed: read lead ids: %w", err)
	}
	byExt := map[string]int{}
	for i, l := range leads {
		byExt[l.ExternalID] = i
	}
	var sb strings.Builder
	sb.WriteString("INSERT INTO reviews (lead_id, open_lead_id, review_type, reason, source, campaign, score_at_flag, flagged_at, status, decided_by_type, decided_by_name, decided_at, reason_code, version, created_at, updated_at) VALUES ")
	args := make([]any, 0, len(ext)*16)
	var lost []int64
	decidedBy := map[string][]int64{} // leads by the status of their decision
	for k, e := range ext {
		idx := start + k
		l := leads[byExt[e]]
		typ, reason := types[idx-start], reasonOf[idx-start]
		if k > 0 {
			sb.WriteString(",")
		}
		sb.WriteString("(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
		var open, decType, decName, decAt, code any
		status, version := StatusPending, 1
		var flagged time.Time
		if idx < opt.Pending {
			open = l.ID
			flagged = now.Add(-time.Duration(r.IntN(36*60)) * time.Minute).Add(-time.Duration(idx) * time.Microsecond)
		} else {
			decided := now.Add(-time.Duration(r.IntN(30*24*60)) * time.Minute)
			flagged = decided.Add(-time.Duration(5+r.IntN(30*60)) * time.Minute)
			switch x := r.IntN(10); {
			case x < 7:
				status = StatusApproved
			case x < 9:
				status, code = StatusRejected, "not_a_fit"
				lost = append(lost, l.ID)
			default:
				status, code = StatusSkipped, "not_now"
				lost = append(lost, l.ID)
			}
			decType, decName, decAt, version = ActorOperator, "Seed Operator", decided, 2
			decidedBy[status] = append(decidedBy[status], l.ID)
		}
		args = append(args, l.ID, open, typ, reason, sourceFor(typ, r), l.Campaign, l.Score, flagged, status,
			decType, decName, decAt, code, version, flagged, flagged)
	}
	if len(args) == 0 {
		return nil
	}
	if err := db.Exec(sb.String(), args...).Error; err != nil {
		return fmt.Errorf("seed reviews: %w", err)
	}
	if len(lost) > 0 {
		if err := db.Exec("UPDATE leads SET status = 'lost' WHERE id IN ?", lost).Error; err != nil {
			return fmt.Errorf("seed: mark lost: %w", err)
		}
	}
	for status, ids := range decidedBy {
		if err := db.Exec("UPDATE leads SET last_decision = ? WHERE id IN ?", status, ids).Error; err != nil {
			return fmt.Errorf("seed: last decision: %w", err)
		}
	}
	// History: one flagged event per review, and the decision for decided ones.
	ids := make([]int64, 0, len(leads))
	for _, l := range leads {
		ids = append(ids, l.ID)
	}
	ins := "INSERT INTO review_events (review_id, lead_id, kind, actor_type, actor_name, created_at) "
	if err := db.Exec(ins+"SELECT id, lead_id, 'flagged', 'system', 'seed', flagged_at FROM reviews WHERE lead_id IN ?", ids).Error; err != nil {
		return fmt.Errorf("seed history: %w", err)
	}
	if err := db.Exec(ins+"SELECT id, lead_id, CASE status WHEN 'approved' THEN 'approved' WHEN 'rejected' THEN 'rejected' ELSE 'skipped' END, 'operator', decided_by_name, decided_at FROM reviews WHERE lead_id IN ? AND status <> 'pending'", ids).Error; err != nil {
		return fmt.Errorf("seed history: %w", err)
	}
	return nil
}
