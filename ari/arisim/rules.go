package arisim

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"
)

// Outcome is what a simulated far end does with a call.
type Outcome string

// The outcomes, with the SIP response and the Asterisk cause they produce.
const (
	// OutcomeAnswer rings (180), then answers (200) after RingDelay.
	OutcomeAnswer Outcome = "answer"
	// OutcomeBusy answers 486 Busy Here: cause 17, dialstatus BUSY.
	OutcomeBusy Outcome = "busy"
	// OutcomeNoAnswer rings until the dial timeout: cause 19.
	OutcomeNoAnswer Outcome = "noanswer"
	// OutcomeCongestion answers 503 Service Unavailable: cause 34, dialstatus CONGESTION.
	OutcomeCongestion Outcome = "congestion"
	// OutcomeUnavailable answers 480 Temporarily Unavailable: cause 19, dialstatus NOANSWER.
	OutcomeUnavailable Outcome = "unavailable"
	// OutcomeDecline answers 603 Decline: cause 21, dialstatus NOANSWER.
	OutcomeDecline Outcome = "decline"
	// OutcomeNotFound answers 404 Not Found: cause 1, dialstatus NOANSWER.
	OutcomeNotFound Outcome = "notfound"
	// OutcomeNoResponse never responds: 408 after Config.SIPTimerB, cause 18.
	OutcomeNoResponse Outcome = "noresponse"
)

func (o Outcome) validate() error {
	switch o {
	case "", OutcomeAnswer, OutcomeBusy, OutcomeNoAnswer, OutcomeCongestion, OutcomeUnavailable,
		OutcomeDecline, OutcomeNotFound, OutcomeNoResponse:
		return nil
	}
	return fmt.Errorf("arisim: unknown outcome %q", string(o))
}

// sip returns the failure response code and cause of a failing outcome.
func (o Outcome) sip() (code, cause int) {
	switch o {
	case OutcomeBusy:
		return 486, 17
	case OutcomeCongestion:
		return 503, 34
	case OutcomeUnavailable:
		return 480, 19
	case OutcomeNotFound:
		return 404, 1
	case OutcomeNoResponse:
		return 408, 18
	}
	return 603, 21
}

// Match is how a Rule compares a dialled number.
type Match string

// The match kinds.
const (
	// MatchExact matches the whole number.
	MatchExact Match = "exact"
	// MatchPrefix matches numbers that start with the pattern ("" matches all).
	MatchPrefix Match = "prefix"
	// MatchSuffix matches numbers that end with the pattern.
	MatchSuffix Match = "suffix"
)

// Rule decides the far-end behaviour of external numbers.
//
// In JSON: {"match":"prefix","pattern":"555","outcome":"busy",
// "ring_delay":"1s","talk_duration":"4s"}; durations are Go duration
// strings or milliseconds.
type Rule struct {
	// Match is exact, prefix or suffix.
	Match Match
	// Pattern is compared with the dialled number.
	Pattern string
	// Outcome, RingDelay and TalkDuration are the behaviour applied.
	Outcome      Outcome
	RingDelay    time.Duration
	TalkDuration time.Duration
}

// DefaultRules is the documented deterministic default: a number ending in
// 7 is busy, in 8 rings until the dial timeout, in 9 is congested; any other
// number answers after 1 s and the far end hangs up 4 s later.
func DefaultRules() []Rule {
	return []Rule{
		{Match: MatchSuffix, Pattern: "7", Outcome: OutcomeBusy},
		{Match: MatchSuffix, Pattern: "8", Outcome: OutcomeNoAnswer},
		{Match: MatchSuffix, Pattern: "9", Outcome: OutcomeCongestion},
		{Match: MatchPrefix, Pattern: "", Outcome: OutcomeAnswer, RingDelay: time.Second, TalkDuration: 4 * time.Second},
	}
}

func (r Rule) validate() error {
	switch r.Match {
	case MatchExact, MatchPrefix, MatchSuffix:
	default:
		return fmt.Errorf("arisim: rule %q: unknown match %q", r.Pattern, string(r.Match))
	}
	return r.Outcome.validate()
}

func (r Rule) matches(num string) bool {
	switch r.Match {
	case MatchExact:
		return num == r.Pattern
	case MatchPrefix:
		return strings.HasPrefix(num, r.Pattern)
	case MatchSuffix:
		return strings.HasSuffix(num, r.Pattern)
	}
	return false
}

func (r Rule) behavior() Behavior {
	out := r.Outcome
	if out == "" {
		out = OutcomeAnswer
	}
	return Behavior{Outcome: out, RingDelay: r.RingDelay, TalkDuration: r.TalkDuration}
}

// matchRule returns the behaviour of an external number.
func (s *Server) matchRule(num string) Behavior {
	for _, r := range s.st.rules {
		if r.matches(num) {
			return r.behavior()
		}
	}
	for _, r := range DefaultRules() {
		if r.matches(num) {
			return r.behavior()
		}
	}
	return Behavior{Outcome: OutcomeAnswer}
}

type ruleJSON struct {
	Match        Match           `json:"match"`
	Pattern      string          `json:"pattern"`
	Outcome      Outcome         `json:"outcome"`
	RingDelay    json.RawMessage `json:"ring_delay,omitempty"`
	TalkDuration json.RawMessage `json:"talk_duration,omitempty"`
}

// MarshalJSON writes the rule with duration strings.
func (r Rule) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Match        Match   `json:"match"`
		Pattern      string  `json:"pattern"`
		Outcome      Outcome `json:"outcome"`
		RingDelay    string  `json:"ring_delay"`
		TalkDuration string  `json:"talk_duration"`
	}{r.Match, r.Pattern, r.Outcome, r.RingDelay.String(), r.TalkDuration.String()})
}

// UnmarshalJSON reads a rule; durations are strings ("1.5s") or milliseconds.
func (r *Rule) UnmarshalJSON(b []byte) error {
	var j ruleJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	ring, err := parseDurationJSON(j.RingDelay)
	if err != nil {
		return fmt.Errorf("ring_delay: %w", err)
	}
	talk, err := parseDurationJSON(j.TalkDuration)
	if err != nil {
		return fmt.Errorf("talk_duration: %w", err)
	}
	*r = Rule{Match: j.Match, Pattern: j.Pattern, Outcome: j.Outcome, RingDelay: ring, TalkDuration: talk}
	if r.Match == "" {
		r.Match = MatchExact
	}
	return r.validate()
}

// parseDurationJSON reads "1s" or a number of milliseconds.
func parseDurationJSON(raw json.RawMessage) (time.Duration, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	var str string
	if err := json.Unmarshal(raw, &str); err == nil {
		if str == "" {
			return 0, nil
		}
		return time.ParseDuration(str)
	}
	var ms float64
	if err := json.Unmarshal(raw, &ms); err != nil {
		return 0, fmt.Errorf("want a duration string or milliseconds, got %s", raw)
	}
	return time.Duration(ms * float64(time.Millisecond)), nil
}

// ParseRules reads a rule table: a JSON array of rules, or an object with
// a "rules" array.
func ParseRules(data []byte) ([]Rule, error) {
	trimmed := strings.TrimSpace(string(data))
	var rules []Rule
	if strings.HasPrefix(trimmed, "{") {
		var wrap struct {
			Rules []Rule `json:"rules"`
		}
		if err := json.Unmarshal(data, &wrap); err != nil {
			return nil, fmt.Errorf("arisim: rules: %w", err)
		}
		rules = wrap.Rules
	} else if err := json.Unmarshal(data, &rules); err != nil {
		return nil, fmt.Errorf("arisim: rules: %w", err)
	}
	if rules == nil {
		rules = []Rule{}
	}
	return rules, nil
}

// LoadRules reads a rule table from a JSON file (see ParseRules).
func LoadRules(path string) ([]Rule, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("arisim: rules: %w", err)
	}
	return ParseRules(data)
}
