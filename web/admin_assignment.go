package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"reviewq/store"
	"reviewq/views"
)

// The admin's auto-assignment rules (/admin/assignment): list, add, move,
// enable, disable, delete; operators' skills are set on their account page
// (setOperatorSkills). The store audits every change.

var assignmentNotices = map[string]string{
	"created": "Rule added: it applies to reviews opened from now on.",
	"enable":  "Rule enabled.",
	"disable": "Rule disabled: it assigns nothing until enabled again.",
	"delete":  "Rule deleted; the reviews it assigned stay assigned.",
	"move":    "Rule moved.",
}

// assignmentView is the rules page with the form as given.
func (s *Server) assignmentView(c echo.Context, form views.AssignmentRuleForm) (views.AssignmentPage, error) {
	ctx := c.Request().Context()
	rules, err := s.store.ListAssignmentRules(ctx)
	if err != nil {
		return views.AssignmentPage{}, err
	}
	var skills []string
	var last []int64
	for _, r := range rules {
		skills = append(skills, r.Skill)
		if r.LastOperatorID != nil {
			last = append(last, *r.LastOperatorID)
		}
	}
	holders, err := s.store.SkillHolders(ctx, skills)
	if err != nil {
		return views.AssignmentPage{}, err
	}
	names := map[int64]string{}
	for _, id := range last {
		if _, ok := names[id]; ok {
			continue
		}
		if op, err := s.store.GetOperator(ctx, id); err == nil {
			names[id] = op.Name
		} else if !errors.Is(err, store.ErrNotFound) {
			return views.AssignmentPage{}, err
		}
	}
	v := views.AssignmentPage{Page: s.page(c, "Auto-assignment", "assignment"), Types: store.ReviewTypes, Form: form,
		Notice: assignmentNotices[c.QueryParam("done")]}
	for _, r := range rules {
		row := views.AssignmentRuleRow{ID: r.ID, Position: r.Position, ReviewType: "any", Campaign: "any", Skill: r.Skill,
			Active: r.Active, Holders: holders[r.Skill], Assigned: r.AssignedCount, CreatedBy: r.CreatedBy, CreatedAt: fmtTime(ctx, r.CreatedAt)}
		if r.ReviewType != nil {
			row.ReviewType = *r.ReviewType
		}
		if r.Campaign != nil {
			row.Campaign = *r.Campaign
		}
		if r.LastOperatorID != nil {
			row.LastAssignee = names[*r.LastOperatorID]
		}
		v.Rules = append(v.Rules, row)
	}
	return v, nil
}

func (s *Server) assignmentPage(c echo.Context) error {
	v, err := s.assignmentView(c, views.AssignmentRuleForm{})
	if err != nil {
		return err
	}
	return s.renderComponent(c, http.StatusOK, views.Assignment(v))
}

type assignmentRuleForm struct {
	ReviewType string `form:"review_type"`
	Campaign   string `form:"campaign"`
	Skill      string `form:"skill"`
	Position   string `form:"position"`
}

// createAssignmentRule adds a rule and goes back to the list (303); a bad
// form is shown again with the error (400).
func (s *Server) createAssignmentRule(c echo.Context) error {
	var f assignmentRuleForm
	if err := c.Bind(&f); err != nil {
		return badRequest("the rule form could not be read")
	}
	in := store.RuleInput{ReviewType: f.ReviewType, Campaign: f.Campaign, Skill: f.Skill}
	var err error
	if p := strings.TrimSpace(f.Position); p != "" {
		if in.Position, err = strconv.Atoi(p); err != nil || in.Position < 1 {
			err = &store.ValidationError{Field: "position", Message: "must be a whole number from 1 (empty: last)"}
		}
	}
	if err == nil {
		_, err = s.store.CreateAssignmentRule(c.Request().Context(), actorOf(c), c.RealIP(), in)
	}
	if err == nil {
		return c.Redirect(http.StatusSeeOther, "/admin/assignment?done=created")
	}
	status, msg, ok := formError(err)
	if !ok {
		return err
	}
	v, verr := s.assignmentView(c, views.AssignmentRuleForm{ReviewType: strings.ToUpper(strings.TrimSpace(f.ReviewType)),
		Campaign: f.Campaign, Skill: f.Skill, Position: f.Position})
	if verr != nil {
		return verr
	}
	v.Error = msg
	return s.renderComponent(c, status, views.Assignment(v))
}

type moveRuleForm struct {
	Position string `form:"position"`
}

// assignmentRuleAction runs one of a rule's buttons and goes back to the
// list.
func (s *Server) assignmentRuleAction(action string) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := parseID(c)
		if err != nil {
			return err
		}
		ctx, actor, ip := c.Request().Context(), actorOf(c), c.RealIP()
		switch action {
		case "enable", "disable":
			err = s.store.SetAssignmentRuleActive(ctx, actor, ip, id, action == "enable")
		case "delete":
			err = s.store.DeleteAssignmentRule(ctx, actor, ip, id)
		case "move":
			var f moveRuleForm
			if err := c.Bind(&f); err != nil {
				return badRequest("the form could not be read")
			}
			pos, perr := strconv.Atoi(strings.TrimSpace(f.Position))
			if perr != nil {
				return badRequest("position: must be a whole number from 1")
			}
			err = s.store.MoveAssignmentRule(ctx, actor, ip, id, pos)
		}
		if err != nil {
			return err
		}
		return c.Redirect(http.StatusSeeOther, "/admin/assignment?done="+action)
	}
}

type skillsForm struct {
	Skills string `form:"skills"`
}

// setOperatorSkills replaces an account's skills from the comma-separated
// list of its page.
func (s *Server) setOperatorSkills(c echo.Context) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	var f skillsForm
	if err := c.Bind(&f); err != nil {
		return badRequest("the form could not be read")
	}
	skills, err := store.ParseSkills(f.Skills)
	if err == nil {
		_, err = s.store.SetSkills(c.Request().Context(), actorOf(c), c.RealIP(), id, skills)
	}
	return s.afterChange(c, id, err, "skills")
}
