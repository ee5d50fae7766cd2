package rest

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v5"

	"github.com/centralita/centralita"
)

// AdminBlacklistInput is the body of POST /api/v1/blacklist.
type AdminBlacklistInput struct {
	Phone string `json:"phone"`
	// Campaign is a campaign's name, or "*" for every campaign.
	Campaign string `json:"campaign"`
	Company  string `json:"company"`
	JobTitle string `json:"job_title"`
	Name     string `json:"name"`
}

// AdminDialerStatus is the body of GET /api/v1/dialer/status.
type AdminDialerStatus struct {
	Campaigns []AdminCampaignStatus `json:"campaigns"`
}

// AdminCampaignStatus is one campaign's live figures. Counters of calls are
// since local midnight; rates are percentages of live answers, two decimals.
type AdminCampaignStatus struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Mode  string `json:"mode"`
	State string `json:"state"`
	Queue string `json:"queue"`
	// Contacts by state, and those due now.
	Pending   int `json:"pending"`
	Completed int `json:"completed"`
	Rejected  int `json:"rejected"`
	Canceled  int `json:"canceled"`
	Due       int `json:"due"`
	// Lines dialling now, and answered calls waiting for an agent.
	Dialing int `json:"dialing"`
	Waiting int `json:"waiting"`
	// Today's calls dialled, answered live, abandoned and connected.
	Dialed         int     `json:"dialed"`
	Answered       int     `json:"answered"`
	Abandoned      int     `json:"abandoned"`
	Connected      int     `json:"connected"`
	AbandonRate30d float64 `json:"abandon_rate_30d"`
	AbandonRate24h float64 `json:"abandon_rate_24h"`
	// Ratio is the lines per free agent the pacer used last.
	Ratio float64 `json:"ratio"`
}

// listBlacklist answers the do-not-call entries of the campaign query
// parameter (a name, or "*" for the global ones); every entry without it.
func (a *adminAPI) listBlacklist(c *echo.Context) error {
	if err := adminNeed(a.cfg.Blacklist != nil, "the do-not-call list is"); err != nil {
		return err
	}
	es, err := a.cfg.Blacklist.FindBlacklist(c.Request().Context(), c.QueryParam("campaign"))
	if err != nil {
		return err
	}
	out := make([]*centralita.BlacklistEntry, 0, len(es))
	for _, e := range es {
		cp := *e
		cp.CreatedAt = e.CreatedAt.In(a.cfg.Location)
		out = append(out, &cp)
	}
	return c.JSON(http.StatusOK, out)
}

// addBlacklist adds a number to a campaign's do-not-call list, or to every
// campaign's ("*"); the user is recorded. Adding it again is not an error; 201.
func (a *adminAPI) addBlacklist(c *echo.Context) error {
	if err := adminNeed(a.cfg.Blacklist != nil, "the do-not-call list is"); err != nil {
		return err
	}
	var in AdminBlacklistInput
	if err := adminDecode(c, &in, false); err != nil {
		return err
	}
	e := &centralita.BlacklistEntry{
		Phone: strings.TrimSpace(in.Phone), Campaign: in.Campaign,
		Company: in.Company, JobTitle: in.JobTitle, Name: in.Name,
	}
	switch {
	case e.Phone == "" || len(e.Phone) > 40:
		return centralita.Errorf(centralita.EINVALID, "phone must have 1 to 40 characters")
	case e.Campaign == "" || len(e.Campaign) > 128:
		return centralita.Errorf(centralita.EINVALID, "campaign must be a campaign's name or \"*\"")
	case len(e.Company) > 128 || len(e.JobTitle) > 128 || len(e.Name) > 128:
		return centralita.Errorf(centralita.EINVALID, "company, job_title and name have at most 128 characters")
	}
	ctx := c.Request().Context()
	if e.Campaign != centralita.BlacklistAll && a.cfg.Campaigns != nil {
		if _, err := a.cfg.Campaigns.FindCampaignByName(ctx, e.Campaign); err != nil {
			if centralita.ErrorKind(err) == centralita.ENOTFOUND {
				return centralita.Errorf(centralita.EINVALID, "campaign %q does not exist", e.Campaign)
			}
			return err
		}
	}
	if p := PrincipalOf(c); p != nil && p.User != nil {
		e.Username = p.User.Username
	}
	if err := a.cfg.Blacklist.AddBlacklist(ctx, e); err != nil {
		return err
	}
	e.CreatedAt = e.CreatedAt.In(a.cfg.Location)
	return c.JSON(http.StatusCreated, e)
}

// removeBlacklist removes the entry named by the campaign and phone query
// parameters, both required; 204.
func (a *adminAPI) removeBlacklist(c *echo.Context) error {
	if err := adminNeed(a.cfg.Blacklist != nil, "the do-not-call list is"); err != nil {
		return err
	}
	campaign, phone := c.QueryParam("campaign"), c.QueryParam("phone")
	if campaign == "" || phone == "" {
		return centralita.Errorf(centralita.EINVALID, "query parameters campaign and phone are required")
	}
	if err := a.cfg.Blacklist.RemoveBlacklist(c.Request().Context(), campaign, phone); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// dialerStatus answers every campaign's live figures.
func (a *adminAPI) dialerStatus(c *echo.Context) error {
	if err := adminNeed(a.cfg.Dialer != nil, "the dialer is"); err != nil {
		return err
	}
	st, err := a.cfg.Dialer.Status(c.Request().Context())
	if err != nil {
		return err
	}
	out := AdminDialerStatus{Campaigns: make([]AdminCampaignStatus, 0, len(st))}
	for _, s := range st {
		out.Campaigns = append(out.Campaigns, AdminCampaignStatus{
			ID: s.Campaign.ID, Name: s.Campaign.Name, Mode: string(s.Campaign.Mode),
			State: string(s.Campaign.State), Queue: s.Campaign.Queue,
			Pending: s.Pending, Completed: s.Completed, Rejected: s.Rejected, Canceled: s.Canceled, Due: s.Due,
			Dialing: s.Dialing, Waiting: s.Waiting,
			Dialed: s.Dialed, Answered: s.Answered, Abandoned: s.Abandoned, Connected: s.Connected,
			AbandonRate30d: adminRound2(s.AbandonRate30d), AbandonRate24h: adminRound2(s.AbandonRate24h),
			Ratio: adminRound2(s.Ratio),
		})
	}
	return c.JSON(http.StatusOK, out)
}

// listJobs answers the running and recent long jobs (base uploads).
func (a *adminAPI) listJobs(c *echo.Context) error {
	if err := adminNeed(a.cfg.Dialer != nil, "the dialer is"); err != nil {
		return err
	}
	js, err := a.cfg.Dialer.Jobs(c.Request().Context())
	if err != nil {
		return err
	}
	out := make([]centralita.Job, 0, len(js))
	for _, j := range js {
		j.StartedAt = j.StartedAt.In(a.cfg.Location)
		if j.EndedAt != nil {
			j.EndedAt = a.local(*j.EndedAt)
		}
		if j.Rejections == nil {
			j.Rejections = []centralita.Rejection{}
		}
		out = append(out, j)
	}
	return c.JSON(http.StatusOK, out)
}

// cancelJob stops a running job; the body, if any, must be {}. 204.
func (a *adminAPI) cancelJob(c *echo.Context) error {
	if err := adminNeed(a.cfg.Dialer != nil, "the dialer is"); err != nil {
		return err
	}
	id, err := adminParam(c, "id")
	if err != nil {
		return err
	}
	var in struct{}
	if err := adminDecode(c, &in, true); err != nil {
		return err
	}
	if err := a.cfg.Dialer.CancelJob(c.Request().Context(), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
