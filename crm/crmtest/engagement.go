package crmtest

import (
	"context"
	"time"

	"github.com/voronka/voronka/crm"
)

// EngagementStore is a function-field crm.EngagementStore.
type EngagementStore struct {
	DueSurveysFn         func(ctx context.Context, wonBefore, surveyedAfter time.Time, afterLead int64, limit int) ([]crm.Due, error)
	CreateSurveyFn       func(ctx context.Context, s *crm.Survey, job crm.Job) (bool, error)
	SurveyFn             func(ctx context.Context, id int64) (*crm.Survey, error)
	MarkSurveySentFn     func(ctx context.Context, id int64, at time.Time) error
	UnmarkSurveySentFn   func(ctx context.Context, id int64) error
	ScoreSurveyFn        func(ctx context.Context, id int64, score int, at time.Time, jobs []crm.Job) error
	CommentSurveyFn      func(ctx context.Context, id int64, comment string, at time.Time, jobs []crm.Job) error
	AwaitingCommentFn    func(ctx context.Context, contactID int64, since time.Time) (*crm.Survey, error)
	StalledLeadsFn       func(ctx context.Context, purpose string, silentBefore time.Time, afterLead int64, limit int) ([]crm.Due, error)
	LostLeadsFn          func(ctx context.Context, lostBefore time.Time, afterLead int64, limit int) ([]crm.Due, error)
	FollowupsSentFn      func(ctx context.Context, leadID int64) (int, error)
	CreateFollowupFn     func(ctx context.Context, leadID int64, purpose string, due time.Time, job crm.Job) (bool, error)
	MarkFollowupSentFn   func(ctx context.Context, leadID int64, purpose string, at time.Time) error
	UnmarkFollowupSentFn func(ctx context.Context, leadID int64, purpose string) error
	FollowupReasonFn     func(ctx context.Context, leadID int64, reason string, lost bool, at time.Time) error
	ReachFn              func(ctx context.Context, contactID int64) (crm.Reach, error)
	StopFn               func(ctx context.Context, contactID int64, at time.Time) error
	MarkUnreachableFn    func(ctx context.Context, contactID int64, at time.Time) error
	MarkReachableFn      func(ctx context.Context, contactID int64) error
	ForgetFn             func(ctx context.Context, contactID int64, at time.Time) error
}

var _ crm.EngagementStore = (*EngagementStore)(nil)

func (e *EngagementStore) DueSurveys(ctx context.Context, wonBefore, surveyedAfter time.Time, afterLead int64, limit int) ([]crm.Due, error) {
	if e.DueSurveysFn == nil {
		unset("EngagementStore.DueSurveys")
	}
	return e.DueSurveysFn(ctx, wonBefore, surveyedAfter, afterLead, limit)
}

func (e *EngagementStore) CreateSurvey(ctx context.Context, s *crm.Survey, job crm.Job) (bool, error) {
	if e.CreateSurveyFn == nil {
		unset("EngagementStore.CreateSurvey")
	}
	return e.CreateSurveyFn(ctx, s, job)
}

func (e *EngagementStore) Survey(ctx context.Context, id int64) (*crm.Survey, error) {
	if e.SurveyFn == nil {
		unset("EngagementStore.Survey")
	}
	return e.SurveyFn(ctx, id)
}

func (e *EngagementStore) MarkSurveySent(ctx context.Context, id int64, at time.Time) error {
	if e.MarkSurveySentFn == nil {
		unset("EngagementStore.MarkSurveySent")
	}
	return e.MarkSurveySentFn(ctx, id, at)
}

func (e *EngagementStore) UnmarkSurveySent(ctx context.Context, id int64) error {
	if e.UnmarkSurveySentFn == nil {
		unset("EngagementStore.UnmarkSurveySent")
	}
	return e.UnmarkSurveySentFn(ctx, id)
}

func (e *EngagementStore) ScoreSurvey(ctx context.Context, id int64, score int, at time.Time, jobs []crm.Job) error {
	if e.ScoreSurveyFn == nil {
		unset("EngagementStore.ScoreSurvey")
	}
	return e.ScoreSurveyFn(ctx, id, score, at, jobs)
}

func (e *EngagementStore) CommentSurvey(ctx context.Context, id int64, comment string, at time.Time, jobs []crm.Job) error {
	if e.CommentSurveyFn == nil {
		unset("EngagementStore.CommentSurvey")
	}
	return e.CommentSurveyFn(ctx, id, comment, at, jobs)
}

func (e *EngagementStore) AwaitingComment(ctx context.Context, contactID int64, since time.Time) (*crm.Survey, error) {
	if e.AwaitingCommentFn == nil {
		unset("EngagementStore.AwaitingComment")
	}
	return e.AwaitingCommentFn(ctx, contactID, since)
}

func (e *EngagementStore) StalledLeads(ctx context.Context, purpose string, silentBefore time.Time, afterLead int64, limit int) ([]crm.Due, error) {
	if e.StalledLeadsFn == nil {
		unset("EngagementStore.StalledLeads")
	}
	return e.StalledLeadsFn(ctx, purpose, silentBefore, afterLead, limit)
}

func (e *EngagementStore) LostLeads(ctx context.Context, lostBefore time.Time, afterLead int64, limit int) ([]crm.Due, error) {
	if e.LostLeadsFn == nil {
		unset("EngagementStore.LostLeads")
	}
	return e.LostLeadsFn(ctx, lostBefore, afterLead, limit)
}

func (e *EngagementStore) FollowupsSent(ctx context.Context, leadID int64) (int, error) {
	if e.FollowupsSentFn == nil {
		unset("EngagementStore.FollowupsSent")
	}
	return e.FollowupsSentFn(ctx, leadID)
}

func (e *EngagementStore) CreateFollowup(ctx context.Context, leadID int64, purpose string, due time.Time, job crm.Job) (bool, error) {
	if e.CreateFollowupFn == nil {
		unset("EngagementStore.CreateFollowup")
	}
	return e.CreateFollowupFn(ctx, leadID, purpose, due, job)
}

func (e *EngagementStore) MarkFollowupSent(ctx context.Context, leadID int64, purpose string, at time.Time) error {
	if e.MarkFollowupSentFn == nil {
		unset("EngagementStore.MarkFollowupSent")
	}
	return e.MarkFollowupSentFn(ctx, leadID, purpose, at)
}

func (e *EngagementStore) UnmarkFollowupSent(ctx context.Context, leadID int64, purpose string) error {
	if e.UnmarkFollowupSentFn == nil {
		unset("EngagementStore.UnmarkFollowupSent")
	}
	return e.UnmarkFollowupSentFn(ctx, leadID, purpose)
}

func (e *EngagementStore) FollowupReason(ctx context.Context, leadID int64, reason string, lost bool, at time.Time) error {
	if e.FollowupReasonFn == nil {
		unset("EngagementStore.FollowupReason")
	}
	return e.FollowupReasonFn(ctx, leadID, reason, lost, at)
}

func (e *EngagementStore) Reach(ctx context.Context, contactID int64) (crm.Reach, error) {
	if e.ReachFn == nil {
		unset("EngagementStore.Reach")
	}
	return e.ReachFn(ctx, contactID)
}

func (e *EngagementStore) Stop(ctx context.Context, contactID int64, at time.Time) error {
	if e.StopFn == nil {
		unset("EngagementStore.Stop")
	}
	return e.StopFn(ctx, contactID, at)
}

func (e *EngagementStore) MarkUnreachable(ctx context.Context, contactID int64, at time.Time) error {
	if e.MarkUnreachableFn == nil {
		unset("EngagementStore.MarkUnreachable")
	}
	return e.MarkUnreachableFn(ctx, contactID, at)
}

func (e *EngagementStore) Forget(ctx context.Context, contactID int64, at time.Time) error {
	if e.ForgetFn == nil {
		unset("EngagementStore.Forget")
	}
	return e.ForgetFn(ctx, contactID, at)
}

// Outreach is a function-field crm.Outreach.
type Outreach struct {
	AskNPSFn   func(ctx context.Context, r crm.Reach, lead *crm.Lead, survey *crm.Survey) error
	NudgeFn    func(ctx context.Context, r crm.Reach, lead *crm.Lead) error
	AskWhyFn   func(ctx context.Context, r crm.Reach, lead *crm.Lead) error
	ReengageFn func(ctx context.Context, r crm.Reach, lead *crm.Lead) error
}

var _ crm.Outreach = (*Outreach)(nil)

func (o *Outreach) AskNPS(ctx context.Context, r crm.Reach, lead *crm.Lead, survey *crm.Survey) error {
	if o.AskNPSFn == nil {
		unset("Outreach.AskNPS")
	}
	return o.AskNPSFn(ctx, r, lead, survey)
}

func (o *Outreach) Nudge(ctx context.Context, r crm.Reach, lead *crm.Lead) error {
	if o.NudgeFn == nil {
		unset("Outreach.Nudge")
	}
	return o.NudgeFn(ctx, r, lead)
}

func (o *Outreach) AskWhy(ctx context.Context, r crm.Reach, lead *crm.Lead) error {
	if o.AskWhyFn == nil {
		unset("Outreach.AskWhy")
	}
	return o.AskWhyFn(ctx, r, lead)
}

func (o *Outreach) Reengage(ctx context.Context, r crm.Reach, lead *crm.Lead) error {
	if o.ReengageFn == nil {
		unset("Outreach.Reengage")
	}
	return o.ReengageFn(ctx, r, lead)
}

func (e *EngagementStore) MarkReachable(ctx context.Context, contactID int64) error {
	if e.MarkReachableFn == nil {
		unset("EngagementStore.MarkReachable")
	}
	return e.MarkReachableFn(ctx, contactID)
}
