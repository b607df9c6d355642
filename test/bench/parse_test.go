package main

import (
	"strings"
	"testing"
)

// sippScreen is the end of a sipp run's output (sipp 3.6), with retransmissions.
const sippScreen = `------------------------------ Scenario Screen -------- [1-9]: Change Screen --
  Call rate (length)   Port   Total-time  Total-calls  Remote-host
  30000.0(0 ms)/1.000s   5060       0.76 s        10000  127.0.0.1:15060(UDP)

                                 Messages  Retrans   Timeout   Unexpected-Msg
    REGISTER ---------->  B-RTD1 10000     3868      0                         
         401 <----------         10000     0         0         0               
    REGISTER ---------->         10000     580       0                         
         200 <----------  E-RTD1 9998      0         0         0               
------------------------------ Test Terminated --------------------------------
----------------------------- Statistics Screen ------- [1-9]: Change Screen --
-------------------------+---------------------------+--------------------------
  Counter Name           | Periodic value            | Cumulative value
-------------------------+---------------------------+--------------------------
  Elapsed Time           | 00:00:00:004000           | 00:00:00:004000          
  Call Rate              |    0.000 cps              | 13020.833 cps             
-------------------------+---------------------------+--------------------------
  Successful call        |        0                  |     9998                 
  Failed call            |        0                  |        2                 
------------------------------ Test Terminated --------------------------------
`

func TestSippScreen(t *testing.T) {
	if got := lastCounter(sippScreen, "Successful call"); got != 9998 {
		t.Errorf("successful calls %d, want 9998", got)
	}
	if got := lastCounter(sippScreen, "Failed call"); got != 2 {
		t.Errorf("failed calls %d, want 2", got)
	}
	if got := lastRate(sippScreen); got != 13020.833 {
		t.Errorf("call rate %v, want 13020.833", got)
	}
	// Only requests are retransmitted by the client: 3868 + 580.
	if got := parseSippScreen(sippScreen).Retransmissions; got != 4448 {
		t.Errorf("retransmissions %d, want 4448", got)
	}
	if got := parseSippScreen("no table").Retransmissions; got != 0 {
		t.Errorf("retransmissions of no table: %d", got)
	}
}

func TestParseSamples(t *testing.T) {
	text := `# HELP apiserver_request_total Counter of apiserver requests.
# TYPE apiserver_request_total counter
apiserver_request_total{code="200",component="apiserver",group="gb28181.io",resource="cameras",subresource="status",verb="PATCH",version="v1alpha1"} 120
apiserver_request_total{code="409",component="apiserver",group="gb28181.io",resource="cameras",subresource="status",verb="PATCH",version="v1alpha1"} 3
apiserver_request_total{code="200",component="apiserver",group="gb28181.io",resource="cameras",subresource="",verb="LIST",version="v1alpha1"} 7
apiserver_request_total{code="201",component="apiserver",group="",resource="events",subresource="",verb="POST",version="v1"} 5
apiserver_request_total{code="201",component="apiserver",group="",resource="secrets",subresource="",verb="POST",version="v1"} 1
go_memstats_heap_inuse_bytes 2.5e+07
`
	ss, err := parseSamples(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	cams, events := cameraWrites(ss)
	if cams != 123 || events != 5 {
		t.Errorf("camera writes %v, event writes %v; want 123 and 5", cams, events)
	}
	if got := ss.sum("go_memstats_heap_inuse_bytes", nil); got != 25e6 {
		t.Errorf("heap in use %v", got)
	}
}

func TestPercentiles(t *testing.T) {
	tests := []struct {
		in            []float64
		p50, p99, max float64
	}{
		{nil, 0, 0, 0},
		{[]float64{7}, 7, 7, 7},
		{[]float64{5, 1, 4, 2, 3, 6, 7, 8, 9, 10}, 6, 10, 10},
	}
	for _, tc := range tests {
		got := percentiles(tc.in)
		if got.P50 != tc.p50 || got.P99 != tc.p99 || got.Max != tc.max || got.Samples != len(tc.in) {
			t.Errorf("percentiles(%v) = %+v", tc.in, got)
		}
	}
}
