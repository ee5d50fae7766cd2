package soap

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/centralita/centralita"
)

// ACDConfig is what the call-center operations of apiws use (soap-apiws.md §7).
type ACDConfig struct {
	// ACD is the live state (statusQueues, getAgentLoggedInfo, getAgentLogin)
	// and agent control (loginAgent, logoutAgent, pauseAgent, unpauseAgent).
	ACD centralita.ACD
	// Agents resolves usernames and numbers, and pause reasons.
	Agents centralita.AgentService
	// Queues gives queue descriptions and memberships (getAgentTimes).
	Queues centralita.QueueService
	// Users answers getUserInfo's profile; nil means agents only.
	Users centralita.UserService
	// QueueLog is read by queueData.
	QueueLog centralita.QueueLogService
	// Reports answers agentData, getAgentTimes and agentSessionDetail.
	Reports centralita.ACDReporter
	// Location is the time zone dates in requests and answers are local to;
	// default time.Local.
	Location *time.Location
	// Now is the clock (getAgentTimes' "range in the future"); default time.Now.
	Now func() time.Time
	// Endpoints, when set, lets getAgentLogin answer -5 for an extension
	// whose endpoint does not exist (A16); nil lists any well-formed one.
	Endpoints centralita.EndpointLister
}

// acdOperations are the operations RegisterACD serves.
var acdOperations = []string{
	"statusQueues", "queueData", "agentData", "loginAgent", "logoutAgent", "pauseAgent", "unpauseAgent",
	"getAgentLoggedInfo", "getUserByAgent", "getUserInfo", "getAgentTimes", "agentSessionDetail", "getAgentLogin",
}

// RegisterACD serves the 13 call-center operations: statusQueues, queueData,
// agentData, loginAgent, logoutAgent, pauseAgent, unpauseAgent,
// getAgentLoggedInfo, getUserByAgent, getUserInfo, getAgentTimes,
// agentSessionDetail and getAgentLogin. It fails with EINVALID when ACD,
// Agents, Queues, QueueLog or Reports is nil, or when one of these
// operations is registered already.
//
// Agents are named by username in loginAgent, logoutAgent, pauseAgent,
// unpauseAgent, getAgentLoggedInfo, getUserInfo, getAgentTimes and
// agentSessionDetail, as the spec writes; when no agent has that username
// the value is tried as an agent number. getUserByAgent takes a number.
func (s *Server) RegisterACD(cfg ACDConfig) error {
	switch {
	case cfg.ACD == nil, cfg.Agents == nil, cfg.Queues == nil, cfg.QueueLog == nil, cfg.Reports == nil:
		return centralita.Errorf(centralita.EINVALID, "soap: RegisterACD needs ACD, Agents, Queues, QueueLog and Reports")
	}
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s.mu.RLock()
	for _, name := range acdOperations {
		if _, dup := s.routes[name]; dup {
			s.mu.RUnlock()
			return centralita.Errorf(centralita.EINVALID, "soap: operation %s is registered already", name)
		}
	}
	s.mu.RUnlock()
	a := &acdOps{cfg}
	for name, fn := range map[string]HandlerFunc{
		"statusQueues": a.statusQueues, "queueData": a.queueData, "agentData": a.agentData,
		"loginAgent": a.loginAgent, "logoutAgent": a.logoutAgent, "pauseAgent": a.pauseAgent,
		"unpauseAgent": a.unpauseAgent, "getAgentLoggedInfo": a.getAgentLoggedInfo,
		"getUserByAgent": a.getUserByAgent, "getUserInfo": a.getUserInfo, "getAgentTimes": a.getAgentTimes,
		"agentSessionDetail": a.agentSessionDetail, "getAgentLogin": a.getAgentLogin,
	} {
		s.Handle(name, fn)
	}
	return nil
}

// acdOps implements the call-center operations.
type acdOps struct{ cfg ACDConfig }

// findAgent resolves an agent by username, then by number (see RegisterACD);
// EINVALID when id is blank, ENOTFOUND when neither matches.
func (a *acdOps) findAgent(ctx context.Context, id string) (*centralita.Agent, error) {
	id = strings.TrimSpace(id)
	if id == "" {
		return nil, centralita.Errorf(centralita.EINVALID, "no agent given")
	}
	ag, err := a.cfg.Agents.FindAgentByUsername(ctx, id)
	if centralita.ErrorKind(err) != centralita.ENOTFOUND {
		return ag, err
	}
	ag, err = a.cfg.Agents.FindAgent(ctx, id)
	if centralita.ErrorKind(err) == centralita.ENOTFOUND {
		return nil, centralita.Errorf(centralita.ENOTFOUND, "no agent %q", id)
	}
	return ag, err
}

// loginAgent logs the agent in to all its queues at extension (§7.5): a
// bare extension "101" is the interface "SIP/101"; a value holding "/"
// ("PJSIP/101") is used as it is. Any failure is FALSE.
func (a *acdOps) loginAgent(ctx context.Context, r *Request) (any, error) {
	ag, err := a.findAgent(ctx, r.Param("agent"))
	if err != nil {
		return nil, err
	}
	ext := strings.TrimSpace(r.Param("extension"))
	if ext == "" {
		return nil, centralita.Errorf(centralita.EINVALID, "no extension given")
	}
	if !strings.Contains(ext, "/") {
		ext = "SIP/" + ext
	}
	if err := a.cfg.ACD.Login(ctx, ag.Number, ext); err != nil {
		return nil, err
	}
	return true, nil
}

// logoutAgent logs the agent out of all its queues (§7.6); an extra
// extension parameter is ignored (A7). Any failure is FALSE.
func (a *acdOps) logoutAgent(ctx context.Context, r *Request) (any, error) {
	ag, err := a.findAgent(ctx, r.Param("agent"))
	if err != nil {
		return nil, err
	}
	if err := a.cfg.ACD.Logout(ctx, ag.Number); err != nil {
		return nil, err
	}
	return true, nil
}

// pauseAgent pauses the agent (§7.7) in the listed queues, separated by
// commas and/or spaces, or in all its queues when the list is empty (A8).
// pauseDTMF names a configured PauseReason by code or, failing that, by
// name (case-insensitive); the reason's code is handed to the ACD. Empty
// means a pause with no reason; an unknown reason is FALSE, as is any
// other failure.
func (a *acdOps) pauseAgent(ctx context.Context, r *Request) (any, error) {
	ag, err := a.findAgent(ctx, r.Param("agent"))
	if err != nil {
		return nil, err
	}
	reason := strings.TrimSpace(r.Param("pauseDTMF"))
	if reason != "" {
		pr, err := a.pauseReason(ctx, reason)
		if err != nil {
			return nil, err
		}
		reason = pr.Code
	}
	if err := a.cfg.ACD.Pause(ctx, ag.Number, splitList(r.Param("queues")), reason); err != nil {
		return nil, err
	}
	return true, nil
}

// unpauseAgent ends the agent's pause (§7.8) in the listed queues, or in
// all of them when the list is empty (A8). Any failure is FALSE.
func (a *acdOps) unpauseAgent(ctx context.Context, r *Request) (any, error) {
	ag, err := a.findAgent(ctx, r.Param("agent"))
	if err != nil {
		return nil, err
	}
	if err := a.cfg.ACD.Unpause(ctx, ag.Number, splitList(r.Param("queues"))); err != nil {
		return nil, err
	}
	return true, nil
}

// pauseReason finds the configured reason whose code is v, else whose name
// is v ignoring case; EINVALID when none is.
func (a *acdOps) pauseReason(ctx context.Context, v string) (*centralita.PauseReason, error) {
	reasons, err := a.cfg.Agents.FindPauseReasons(ctx)
	if err != nil {
		return nil, err
	}
	for _, pr := range reasons {
		if pr.Code == v {
			return pr, nil
		}
	}
	for _, pr := range reasons {
		if strings.EqualFold(pr.Name, v) {
			return pr, nil
		}
	}
	return nil, centralita.Errorf(centralita.EINVALID, "unknown pause reason %q", v)
}

// reasonNames maps pause-reason codes to names, so that a reason the log
// holds by code is shown by name ("Almuerzo", as the spec's examples show);
// reasons that are no code are shown as they are. The ACD keeps live
// pauses by name already (acd.Engine.Pause), so only the reports, which
// read the log, need it.
type reasonNames map[string]string

func (a *acdOps) reasonNames(ctx context.Context) (reasonNames, error) {
	reasons, err := a.cfg.Agents.FindPauseReasons(ctx)
	if err != nil {
		return nil, fmt.Errorf("soap: pause reasons: %w", err)
	}
	m := make(reasonNames, len(reasons))
	for _, pr := range reasons {
		if pr.Name != "" {
			m[pr.Code] = pr.Name
		}
	}
	return m, nil
}

func (m reasonNames) name(reason string) string {
	if n, ok := m[reason]; ok {
		return n
	}
	return reason
}

// splitList splits a list separated by commas and/or white space (A8).
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == ';' || r == ' ' || r == '\t' || r == '\n' || r == '\r'
	})
}

// liveAgent returns the snapshot's state of the agent whose username is
// id, else of the agent numbered id (findAgent's order), or nil.
func liveAgent(snap *centralita.ACDSnapshot, id string) *centralita.AgentState {
	for i := range snap.Agents {
		if snap.Agents[i].Agent.Username == id {
			return &snap.Agents[i]
		}
	}
	for i := range snap.Agents {
		if snap.Agents[i].Agent.Number == id {
			return &snap.Agents[i]
		}
	}
	return nil
}

// splitInterface splits "SIP/101" into "SIP" and "101"; a bare "101" has no technology.
func splitInterface(iface string) (tech, resource string) {
	if t, r, ok := strings.Cut(iface, "/"); ok {
		return t, r
	}
	return "", iface
}

// getAgentLoggedInfo describes the agent with that username while it is
// logged in (§7.9), else "0"; an unknown agent is "0" too. -2 when no
// username is given, -3 on other failures. The key may also be sent as
// autorizedkey (A5; every operation accepts that alias, see Operations).
// nombre is the agent's name (its username when it has none), agente its
// username (A13), nroAgente its number and extension the resource of the
// interface it is logged in at ("803" for "SIP/803").
//
// Everything comes from one ACD.Snapshot, which carries every agent's
// record: the agent is found there by username, then by number (as
// findAgent finds it in the store), with no store read. An agent the ACD
// does not know (created since its last Reload) is not logged in: "0".
func (a *acdOps) getAgentLoggedInfo(ctx context.Context, r *Request) (any, error) {
	id := strings.TrimSpace(r.Param("username"))
	if id == "" {
		return nil, centralita.Errorf(centralita.EINVALID, "no agent given")
	}
	snap, err := a.cfg.ACD.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	st := liveAgent(snap, id)
	if st == nil || !st.LoggedIn {
		return "0", nil
	}
	ag := &st.Agent
	iface := orElse(st.Interface, ag.Interface)
	_, ext := splitInterface(iface)
	w := newXMLWriter(declUTF8, false)
	w.start("agentAgent")
	w.empty("user", "nombre", orElse(ag.Name, ag.Username), "email", ag.Email, "logueado", "1",
		"agente", ag.Username, "nroAgente", ag.Number, "extension", ext)
	w.end("agentAgent")
	return w.String(), nil
}

// getUserByAgent returns the username of the agent with that number
// (§7.10), "" when there is none; -2 when no number is given, -3 on other failures.
func (a *acdOps) getUserByAgent(ctx context.Context, r *Request) (any, error) {
	number := strings.TrimSpace(r.Param("agent"))
	if number == "" {
		return nil, centralita.Errorf(centralita.EINVALID, "no agent number given")
	}
	ag, err := a.cfg.Agents.FindAgent(ctx, number)
	if err != nil {
		return nil, err
	}
	return ag.Username, nil
}

// getUserInfo describes a user (§7.11): the Users account with that
// username and/or the agent with it (or, when neither exists, the agent
// with that number). nombre is the agent's name (else the username), email
// the agent's, perfil the user's role ("agente" when there is only an
// agent), supervisor 1 for the admin and supervisor roles, agente 1 when
// an agent exists (A13) and nroAgente its number. "" when neither exists;
// -2 when no username is given, -3 on other failures.
func (a *acdOps) getUserInfo(ctx context.Context, r *Request) (any, error) {
	username := strings.TrimSpace(r.Param("username"))
	if username == "" {
		return nil, centralita.Errorf(centralita.EINVALID, "no username given")
	}
	var user *centralita.User
	if a.cfg.Users != nil {
		u, err := a.cfg.Users.FindUserByUsername(ctx, username)
		if err != nil && centralita.ErrorKind(err) != centralita.ENOTFOUND {
			return nil, err
		}
		user = u
	}
	ag, err := a.cfg.Agents.FindAgentByUsername(ctx, username)
	if centralita.ErrorKind(err) == centralita.ENOTFOUND && user == nil {
		ag, err = a.cfg.Agents.FindAgent(ctx, username)
	}
	switch {
	case centralita.ErrorKind(err) == centralita.ENOTFOUND:
		ag = nil
	case err != nil:
		return nil, err
	}
	if user == nil && ag == nil {
		return "", nil
	}
	perfil, supervisor := "agente", false
	if user != nil {
		perfil = string(user.Role)
		supervisor = user.Role == centralita.RoleAdmin || user.Role == centralita.RoleSupervisor
	}
	nombre, email, number := username, "", ""
	if ag != nil {
		nombre, email, number = orElse(ag.Name, ag.Username), ag.Email, ag.Number
	}
	w := newXMLWriter(declUTF8, false)
	w.start("userInfo")
	w.empty("user", "nombre", nombre, "email", email, "perfil", perfil, "supervisor", flag(supervisor),
		"agente", flag(ag != nil), "nroAgente", number)
	w.end("userInfo")
	return w.String(), nil
}

// orElse returns s, or def when s is empty.
func orElse(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// parseLocal reads a spec date (§4) in loc: "YYYY-MM-DD HH:MM:SS", or a
// bare "YYYY-MM-DD" (dateOnly set).
func parseLocal(v string, loc *time.Location) (t time.Time, dateOnly bool, ok bool) {
	v = strings.TrimSpace(v)
	if t, err := time.ParseInLocation(dateLayout, v, loc); err == nil {
		return t, false, true
	}
	if t, err := time.ParseInLocation("2006-01-02", v, loc); err == nil {
		return t, true, true
	}
	return time.Time{}, false, false
}

// reportPeriod is a report's period: [from, to).
type reportPeriod struct{ from, to time.Time }

// periodStatus tells what is wrong with an inicio–fin pair.
type periodStatus int

const (
	periodOK       periodStatus = iota
	periodBadStart              // inicio is not a date
	periodBadEnd                // fin is not a date
	periodEmpty                 // fin is not after inicio
)

// readPeriod reads inicio and fin in loc the same way for every operation
// (cdrData, cdrCustom and the reports), so that every report covers the
// same seconds for the same arguments: fin is inclusive, to the second
// ("… 23:59:59" ends the day), and a bare date fin covers that whole day.
// periodEmpty: fin is before inicio.
func readPeriod(inicio, fin string, loc *time.Location) (reportPeriod, periodStatus) {
	from, _, ok := parseLocal(inicio, loc)
	if !ok {
		return reportPeriod{}, periodBadStart
	}
	to, dateOnly, ok := parseLocal(fin, loc)
	if !ok {
		return reportPeriod{}, periodBadEnd
	}
	if dateOnly {
		to = to.AddDate(0, 0, 1)
	} else {
		to = to.Add(time.Second)
	}
	if !to.After(from) {
		return reportPeriod{from, to}, periodEmpty
	}
	return reportPeriod{from, to}, periodOK
}

// period is readPeriod for the call-center reports, where the period is
// also empty when fin equals inicio with times (a bare-date pair
// "2014-01-01"/"2014-01-01" is that day).
func (a *acdOps) period(inicio, fin string) (reportPeriod, periodStatus) {
	p, st := readPeriod(inicio, fin, a.cfg.Location)
	if st == periodOK && !p.to.Add(-time.Second).After(p.from) {
		st = periodEmpty
	}
	return p, st
}

// reportPeriodOrFault is period for queueData and agentData, which have no
// codes for bad dates (A18): a bad or empty period is a soap:Client fault
// (EINVALID) naming the parameter, as cdrData answers.
func (a *acdOps) reportPeriodOrFault(inicio, fin string) (reportPeriod, error) {
	p, st := a.period(inicio, fin)
	switch st {
	case periodBadStart:
		return p, centralita.Errorf(centralita.EINVALID, "FechaInicio %q: want YYYY-MM-DD HH:MM:SS", strings.TrimSpace(inicio))
	case periodBadEnd:
		return p, centralita.Errorf(centralita.EINVALID, "FechaFin %q: want YYYY-MM-DD HH:MM:SS", strings.TrimSpace(fin))
	case periodEmpty:
		return p, centralita.Errorf(centralita.EINVALID, "FechaFin %q is not after FechaInicio %q", strings.TrimSpace(fin), strings.TrimSpace(inicio))
	}
	return p, nil
}

// reportArgs reads the arguments queueData and agentData share: the queue
// (Cola) and the period (FechaInicio, FechaFin), or a soap:Client fault. A
// key-less call reaches it only when the Server runs without
// Config.RequireKey (A4); with it, the Server answers -1 first.
func (a *acdOps) reportArgs(r *Request) (queue string, p reportPeriod, err error) {
	queue = strings.TrimSpace(r.Param("Cola"))
	if queue == "" {
		return "", p, centralita.Errorf(centralita.EINVALID, "Cola: a queue is required")
	}
	p, err = a.reportPeriodOrFault(r.Param("FechaInicio"), r.Param("FechaFin"))
	return queue, p, err
}

// lessNumber orders agent numbers and extensions numerically when both are
// digits of different lengths ("99" before "100"), otherwise as text.
func lessNumber(x, y string) bool {
	if len(x) != len(y) && allDigits(x) && allDigits(y) {
		return len(x) < len(y)
	}
	return x < y
}

func allDigits(s string) bool {
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}
