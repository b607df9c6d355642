package main

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// A message table and statistics screen as sipp 3.6 prints them at the end of a run
// with -nostdin: 5 calls, 2 of which met a 503 where a 401 was expected and 1 still
// unfinished when the run stopped.
const sippScreenWith503 = `------------------------------ Scenario Screen -------- [1-9]: Change Screen --
                                 Messages  Retrans   Timeout   Unexpected-Msg
    REGISTER ---------->  B-RTD1 5         4         0
         401 <----------         3         0         0         2
    REGISTER ---------->         3         0         0
         200 <----------  E-RTD1 2         0         0         0
------------------------------ Test Terminated --------------------------------
----------------------------- Statistics Screen ------- [1-9]: Change Screen --
  Counter Name           | Periodic value            | Cumulative value
  Call Rate              |    0.000 cps              |    9.970 cps
  Outgoing calls created |        0                  |        5
  Successful call        |        0                  |        2
  Failed call            |        0                  |        2
------------------------------ Test Terminated --------------------------------
`

const sippErrors = `2026-12-01	10:58:46.151722	1796122726.151722: Aborting call on unexpected message for Call-Id '1-30268@127.0.0.1': while expecting '401' (index 1), received 'SIP/2.0 503 Service Unavailable
Via: SIP/2.0/UDP 127.0.0.1:5060;rport=5060;branch=z9hG4bK-30268-1-2;received=127.0.0.1
2026-12-01	10:58:46.151800	1796122726.151800: Aborting call on unexpected message for Call-Id '2-30268@127.0.0.1': while expecting '401' (index 1), received 'SIP/2.0 503 Service Unavailable
`

func TestParseSippScreen(t *testing.T) {
	got := parseSippScreen(sippScreenWith503)
	// An overloaded step's log can hold a line of megabytes between the ones counted.
	long := strings.Repeat("x", 2<<20) + "\n"
	if err := addUnexpectedAnswers(&got, strings.NewReader(long+sippErrors+long)); err != nil {
		t.Fatal(err)
	}
	want := sippCounts{Created: 5, Successful: 2, Failed: 3, Requests: 8, Retransmissions: 4,
		Answers: map[int]int64{200: 2, 401: 3, 503: 2}}
	if got.Created != want.Created || got.Successful != want.Successful || got.Failed != want.Failed ||
		got.Requests != want.Requests || got.Retransmissions != want.Retransmissions || len(got.Answers) != len(want.Answers) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for code, n := range want.Answers {
		if got.Answers[code] != n {
			t.Errorf("answers %d: got %d, want %d", code, got.Answers[code], n)
		}
	}
}

// A run of register-load.xml whose registrar shed load: 2 of 6 calls were answered 503
// (one instead of its challenge, one instead of its 200) and ended there, which sipp
// counts as successful calls.
const sippScreenShed = `------------------------------ Scenario Screen -------- [1-9]: Change Screen --
                                 Messages  Retrans   Timeout   Unexpected-Msg
    REGISTER ---------->  B-RTD1 6         0         0
         503 <----------         1         0         0         0
         401 <----------         5         0         0         0
    REGISTER ---------->         5         0         0
         503 <----------         1         0         0         0
         200 <----------  E-RTD1 4         0         0         0
              [ NOP ]
------------------------------ Test Terminated --------------------------------
----------------------------- Statistics Screen ------- [1-9]: Change Screen --
  Counter Name           | Periodic value            | Cumulative value
  Call Rate              |    0.000 cps              |    5.990 cps
  Outgoing calls created |        0                  |        6
  Successful call        |        0                  |        6
  Failed call            |        0                  |        0
------------------------------ Test Terminated --------------------------------
`

func TestParseSippScreenShed(t *testing.T) {
	got := parseSippScreen(sippScreenShed)
	if got.Created != 6 || got.Successful != 4 || got.Failed != 2 || got.Answers[503] != 2 || got.Answers[200] != 4 || got.Requests != 11 {
		t.Fatalf("got %+v; want 6 created, 4 registered, 2 failed on 503, 11 requests", got)
	}
	if got.clean() {
		t.Error("a step whose registrar shed load is clean")
	}
}

func TestCleanStep(t *testing.T) {
	tests := []struct {
		name   string
		counts sippCounts
		want   bool
	}{
		{"all registered, no retransmission", sippCounts{Successful: 100, Requests: 200}, true},
		{"retransmissions just under 1 %", sippCounts{Successful: 100, Requests: 1000, Retransmissions: 9}, true},
		{"retransmissions at 1 %", sippCounts{Successful: 100, Requests: 1000, Retransmissions: 10}, false},
		{"one failed call", sippCounts{Successful: 99, Failed: 1, Requests: 200}, false},
		{"nothing registered", sippCounts{}, false},
	}
	for _, tt := range tests {
		if got := tt.counts.clean(); got != tt.want {
			t.Errorf("%s: clean() = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestHighestCleanRate(t *testing.T) {
	ok := sippCounts{Created: 10, Successful: 10, Requests: 20}
	bad := sippCounts{Created: 10, Successful: 9, Failed: 1, Requests: 20}
	short := sippCounts{Created: 8, Successful: 8, Requests: 16}
	tests := []struct {
		name  string
		steps []compareStep
		want  int
	}{
		{"none", nil, 0},
		{"clean up to the last", []compareStep{{Rate: 2000, Calls: 10, Counts: ok}, {Rate: 4000, Calls: 10, Counts: ok}}, 4000},
		{"fails at the top", []compareStep{{Rate: 2000, Calls: 10, Counts: ok}, {Rate: 4000, Calls: 10, Counts: bad}}, 2000},
		{"sipp made fewer calls than offered", []compareStep{{Rate: 2000, Calls: 10, Counts: ok}, {Rate: 4000, Calls: 10, Counts: short}}, 2000},
		{"sipp did not finish", []compareStep{{Rate: 2000, Calls: 10, Counts: ok}, {Rate: 4000, Calls: 10, Counts: ok, Error: "killed"}}, 2000},
		{"a clean step above a failed one counts", []compareStep{{Rate: 2000, Calls: 10, Counts: bad}, {Rate: 4000, Calls: 10, Counts: ok}}, 4000},
		{"never clean", []compareStep{{Rate: 2000, Calls: 10, Counts: bad}}, 0},
	}
	for _, tt := range tests {
		if got := highestCleanRate(tt.steps); got != tt.want {
			t.Errorf("%s: got %d, want %d", tt.name, got, tt.want)
		}
	}
}

// TestKamailioRegistersWithTheBenchCredentials runs the committed kamailio.cfg for real:
// a device of the db_text table it is given registers with its password and is refused
// with another. Without kamailio it skips, except in CI, which installs it; under -short
// (`make unit`) it skips.
func TestKamailioRegistersWithTheBenchCredentials(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: runs kamailio")
	}
	bin, err := kamailioBinary()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("kamailio is not installed; .ci/run installs it")
		}
		t.Skip("kamailio is not installed (Debian package kamailio)")
	}
	ids := []string{"34020000001320000001", "34020000001320000002"}
	k, err := startKamailio(t.Context(), bin, t.TempDir(), 1, ids, comparePassword)
	if err != nil {
		t.Fatal(err)
	}
	defer k.stop()
	registerEach(t, k.addr, []registerCase{
		{ids[1], comparePassword(ids[1]), false},
		{ids[1], "not-the-password", true},
		{"34020000001320000099", comparePassword("34020000001320000099"), true},
	})
}

func TestTargetOverloaded(t *testing.T) {
	clean := compareStep{Calls: 10, Counts: sippCounts{Created: 10, Successful: 10, Requests: 20}}
	unclean := compareStep{Calls: 10, Counts: sippCounts{Created: 10, Successful: 10, Requests: 20, Retransmissions: 5}}
	tests := []struct {
		name  string
		steps []compareStep
		want  bool
	}{
		{"no step yet", nil, false},
		{"one unclean step: the machine's load may have moved", []compareStep{clean, unclean}, false},
		{"two unclean steps in a row", []compareStep{clean, unclean, unclean}, true},
		{"clean again after an unclean step", []compareStep{unclean, clean}, false},
	}
	for _, tt := range tests {
		target := compareTarget{Steps: tt.steps}
		if got := target.overloaded(); got != tt.want {
			t.Errorf("%s: overloaded() = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestJudgeRatio(t *testing.T) {
	clean := sippCounts{Created: 10, Successful: 10, Requests: 20}
	r := compareResult{Targets: []compareTarget{
		{Name: kamailioTarget, Topology: topologyDev.Name, Generator: generatorSipp, Steps: []compareStep{{Rate: 4000, Calls: 10, Counts: clean}}},
		{Name: operatorTarget, Topology: topologyDev.Name, Generator: generatorSipp, Steps: []compareStep{{Rate: 4000, Calls: 10, Counts: clean}, {Rate: 6000, Calls: 10, Counts: clean}}},
		{Name: kamailioTarget, Topology: topologyProduction.Name, Generator: generatorSipp, Steps: []compareStep{{Rate: 8000, Calls: 10, Counts: clean}}},
		{Name: operatorTarget, Topology: topologyProduction.Name, Generator: generatorSipp, Steps: []compareStep{{Rate: 2000, Calls: 10, Counts: clean}}},
		{Name: kamailioTarget, Topology: topologyProduction.Name, Generator: generatorLean, Steps: []compareStep{{Rate: 4000, Calls: 10, Counts: clean}}},
		{Name: operatorTarget, Topology: topologyProduction.Name, Generator: generatorLean, Steps: []compareStep{{Rate: 24000, Calls: 10, Counts: clean}}},
		{Name: registrarTarget, Topology: inProcess, Generator: generatorSipp, Steps: []compareStep{{Rate: 16000, Calls: 10, Counts: clean}}},
	}}
	r.judge()
	// Each ratio pairs the targets of one topology and one generator.
	want := []compareRatio{
		{Topology: topologyDev.Name, Generator: generatorSipp, Operator: 6000, Kamailio: 4000, Ratio: 1.5},
		{Topology: topologyProduction.Name, Generator: generatorSipp, Operator: 2000, Kamailio: 8000, Ratio: 0.25},
		{Topology: topologyProduction.Name, Generator: generatorLean, Operator: 24000, Kamailio: 4000, Ratio: 6},
	}
	if len(r.Ratios) != len(want) {
		t.Fatalf("ratios %+v, want %+v", r.Ratios, want)
	}
	for i := range want {
		if r.Ratios[i] != want[i] {
			t.Errorf("ratio %d: got %+v, want %+v", i, r.Ratios[i], want[i])
		}
	}
	if r.Targets[6].HighestClean != 16000 {
		t.Errorf("registrar alone: highest clean %d, want 16000", r.Targets[6].HighestClean)
	}
}

func TestGoodput(t *testing.T) {
	tests := []struct {
		name string
		step compareStep
		want float64
	}{
		{"every call registered", compareStep{AchievedRate: 5000, Counts: sippCounts{Created: 100, Successful: 100}}, 5000},
		{"a quarter failed", compareStep{AchievedRate: 4000, Counts: sippCounts{Created: 100, Successful: 75, Failed: 25}}, 3000},
		{"sipp made no call", compareStep{AchievedRate: 0}, 0},
	}
	for _, tt := range tests {
		if got := tt.step.goodput(); got != tt.want {
			t.Errorf("%s: goodput %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestStepSeconds(t *testing.T) {
	if got := (compareStep{AchievedRate: 14000, Counts: sippCounts{Created: 70000}}).seconds(); got != 5 {
		t.Errorf("70,000 calls at 14,000/s took %v s, want 5", got)
	}
	if got := (compareStep{Counts: sippCounts{Created: 10}}).seconds(); got != 0 {
		t.Errorf("a step without a rate took %v s, want 0", got)
	}
}

func TestCountsByResult(t *testing.T) {
	for _, tc := range []struct {
		in   map[string]float64
		want string
	}{
		{nil, "none"},
		{map[string]float64{"answered": 4999, "no_answer": 1}, "4999 answered, 1 no_answer"},
		{map[string]float64{"not_sent": 2, "no_answer": 2, "answered": 3}, "3 answered, 2 no_answer, 2 not_sent"},
	} {
		if got := countsByResult(tc.in); got != tc.want {
			t.Errorf("countsByResult(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestLadderRates(t *testing.T) {
	tests := []struct {
		name       string
		sipp, lean []int
		want       []int
	}{
		{"lean rates above sipp's", []int{2000, 4000}, []int{8000, 16000}, []int{2000, 4000, 8000, 16000}},
		{"lean rates within sipp's are not run twice", []int{2000, 16000}, []int{16000, 24000}, []int{2000, 16000, 24000}},
		{"no lean rate above sipp's", []int{2000, 48000}, []int{16000, 24000}, []int{2000, 48000}},
	}
	for _, tt := range tests {
		if got := ladderRates(opts{compareRates: tt.sipp, compareLeanRates: tt.lean}); !slices.Equal(got, tt.want) {
			t.Errorf("%s: ladderRates = %v, want %v", tt.name, got, tt.want)
		}
	}
}
