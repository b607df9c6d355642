package main

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// samples are the samples of a Prometheus text exposition.
type samples []sample

type sample struct {
	name   string
	labels map[string]string
	value  float64
}

// scrape fetches and parses a Prometheus text endpoint.
func scrape(ctx context.Context, c *http.Client, url string) (samples, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", url, resp.Status)
	}
	return parseSamples(resp.Body)
}

// parseSamples reads the text format's sample lines: name{label="value",...} value.
// Label values here are plain (no escaped quotes or commas), which is all the bench
// reads.
func parseSamples(r io.Reader) (samples, error) {
	var out samples
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		s := sample{labels: map[string]string{}}
		var rest string
		if i := strings.IndexByte(line, '{'); i >= 0 {
			j := strings.LastIndexByte(line, '}')
			if j < i {
				continue
			}
			s.name = line[:i]
			for _, kv := range strings.Split(line[i+1:j], ",") {
				k, v, ok := strings.Cut(kv, "=")
				if ok {
					s.labels[strings.TrimSpace(k)] = strings.Trim(v, `"`)
				}
			}
			rest = strings.TrimSpace(line[j+1:])
		} else {
			name, after, ok := strings.Cut(line, " ")
			if !ok {
				continue
			}
			s.name, rest = name, after
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			continue
		}
		s.value = v
		out = append(out, s)
	}
	return out, sc.Err()
}

// sum adds the samples of name whose labels satisfy match (nil: all).
func (ss samples) sum(name string, match func(map[string]string) bool) float64 {
	var total float64
	for _, s := range ss {
		if s.name == name && (match == nil || match(s.labels)) {
			total += s.value
		}
	}
	return total
}

// byLabel adds the samples of name by the value of their label.
func (ss samples) byLabel(name, label string, match func(map[string]string) bool) map[string]float64 {
	by := map[string]float64{}
	for _, s := range ss {
		if s.name == name && (match == nil || match(s.labels)) {
			by[s.labels[label]] += s.value
		}
	}
	return by
}

// grown is what each count of after grew by from before; counts that did not grow are
// left out.
func grown(after, before map[string]float64) map[string]float64 {
	d := map[string]float64{}
	for k, v := range after {
		if n := v - before[k]; n > 0 {
			d[k] = n
		}
	}
	return d
}

// mostFirst is the keys of counts, the largest count first, then by name.
func mostFirst(counts map[string]float64) []string {
	return slices.SortedFunc(maps.Keys(counts), func(a, b string) int {
		return cmp.Or(cmp.Compare(counts[b], counts[a]), strings.Compare(a, b))
	})
}

// writeVerbs are the verbs of apiserver_request_total that write.
var writeVerbs = map[string]bool{"POST": true, "PUT": true, "PATCH": true, "APPLY": true, "DELETE": true, "DELETECOLLECTION": true, "CREATE": true, "UPDATE": true}

// cameraWrites counts the API write requests on Cameras (any subresource) and Events:
// everything the operator's status keeping costs the API server.
func cameraWrites(ss samples) (cameras, events float64) {
	cameras = ss.sum("apiserver_request_total", func(l map[string]string) bool {
		return l["resource"] == "cameras" && writeVerbs[l["verb"]]
	})
	events = ss.sum("apiserver_request_total", func(l map[string]string) bool {
		return l["resource"] == "events" && writeVerbs[l["verb"]]
	})
	return cameras, events
}

// processCPU is the process_cpu_seconds_total of the scraped process.
func (ss samples) processCPU() float64 { return ss.sum("process_cpu_seconds_total", nil) }

// leaseWrites is the Lease write requests the API server counted: the Cameras' liveness
// Leases, and the operator's leader election (a renewal every few seconds).
func leaseWrites(ss samples) float64 {
	return ss.sum("apiserver_request_total", func(l map[string]string) bool {
		return l["resource"] == "leases" && writeVerbs[l["verb"]]
	})
}
