package controllers

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/google/pprof/profile"
)

// Where the API server's CPU goes while it writes Camera statuses: a CPU profile of the
// kube-apiserver process (served on its /debug/pprof to the control plane's admin),
// each sample put in the first of apiserverWork whose pattern one of its frames matches.
// The order matters: the CEL rules run inside the status strategy's validation, the
// decoding of a stored object inside the etcd store's update, the decoding of a watch
// event inside the etcd watch, and so on.

// apiserverWork is what the API server does for a write, in the order samples are
// classified.
var apiserverWork = []struct {
	name    string
	pattern *regexp.Regexp
}{
	{"gc", regexp.MustCompile(`^runtime\.(gcBgMarkWorker|bgsweep|bgscavenge)`)},
	// The rules (x-kubernetes-validations) alone: the validation's ratcheting, which
	// correlates old and new values with code in k8s.io/apiserver/pkg/cel, is the
	// validation's.
	{"cel", regexp.MustCompile(`apiextensions-apiserver/pkg/apiserver/schema/cel\.\(\*Validator\)|github\.com/google/cel-go`)},
	// Decoding a Camera, and pruning, defaulting and reading its metadata against the
	// schema, as the API server does three times a write: the request, the object it
	// wrote (read back for the answer), and the etcd watch event the write causes.
	{"decode", regexp.MustCompile(`schemaCoercingDecoder|schemaCoercingConverter|unstructuredSchemaCoercer|versioning\.\(\*codec\)\.Decode|serializer/json\.\(\*serializer\)\.Decode|serializer/cbor|etcd3\.\(\*defaultDecoder\)\.Decode|etcd3\.decodeObj`)},
	{"watch", regexp.MustCompile(`etcd3\.\(\*watchChan\)|cacher\.\(\*Cacher\)\.(processEvent|dispatchEvent)|cacher\.\(\*cacheWatcher\)|cacher\.\(\*watchCache\)|cacher\.\(\*dispatcher\)`)},
	{"managedfields", regexp.MustCompile(`handlers/fieldmanager|structured-merge-diff|util/managedfields`)},
	{"validation", regexp.MustCompile(`apiextensions-apiserver/pkg/apiserver/validation|kube-openapi/pkg/validation|apiserver/schema/(objectmeta|pruning|defaulting|listtype)|customresource\.\w+\.Validate|api/validation\.`)},
	{"etcd", regexp.MustCompile(`go\.etcd\.io/|apiserver/pkg/storage/etcd3`)},
	{"encode", regexp.MustCompile(`responsewriters|versioning\.\(\*codec\)\.Encode|runtime\.Encode$`)},
	{"http", regexp.MustCompile(`^crypto/|^net/http|golang\.org/x/net/http2|apiserver/pkg/(server|endpoints)/filters|apiserver/pkg/authentication|apiserver/pkg/authorization|apiserver/pkg/audit|flowcontrol`)},
}

// otherWork is the share of samples no pattern matched.
const otherWork = "other"

// apiserverCPUProfile fetches a CPU profile of the API server over seconds.
func apiserverCPUProfile(hc *http.Client, host string, seconds int) (*profile.Profile, error) {
	url := fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", strings.TrimSuffix(host, "/"), seconds)
	resp, err := hc.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, fmt.Errorf("%s: %s %s", url, resp.Status, body)
	}
	return profile.Parse(resp.Body)
}

// workShares is, per kind of apiserverWork (and otherWork), its share of p's CPU.
func workShares(p *profile.Profile) (map[string]float64, error) {
	idx := -1
	for i, st := range p.SampleType {
		if st.Type == "cpu" {
			idx = i
		}
	}
	if idx < 0 {
		return nil, errors.New("not a CPU profile: no cpu sample type")
	}
	total := 0.0
	shares := map[string]float64{}
	for _, s := range p.Sample {
		v := float64(s.Value[idx])
		total += v
		shares[classify(s)] += v
	}
	if total == 0 {
		return nil, errors.New("the profile holds no CPU samples")
	}
	for k := range shares {
		shares[k] /= total
	}
	return shares, nil
}

// classify names the first of apiserverWork a frame of s matches.
func classify(s *profile.Sample) string {
	for _, w := range apiserverWork {
		for _, loc := range s.Location {
			for _, line := range loc.Line {
				if line.Function != nil && w.pattern.MatchString(line.Function.Name) {
					return w.name
				}
			}
		}
	}
	return otherWork
}

// profileWrites profiles the API server at host while the writes of a benchmark run, and
// returns a function that reports, per kind of work, its CPU ms per write (share ×
// cpuPerWriteMs) and, when dir is set, writes the profile there as name.pprof.
func profileWrites(b *testing.B, hc *http.Client, host, dir, name string) (report func(cpuPerWriteMs float64)) {
	type result struct {
		p   *profile.Profile
		err error
	}
	done := make(chan result, 1)
	go func() {
		p, err := apiserverCPUProfile(hc, host, profileSeconds)
		done <- result{p, err}
	}()
	return func(cpuPerWriteMs float64) {
		r := <-done
		if r.err != nil {
			b.Errorf("profiling the API server: %v", r.err)
			return
		}
		shares, err := workShares(r.p)
		if err != nil {
			b.Error(err)
			return
		}
		for _, w := range apiserverWork {
			b.ReportMetric(shares[w.name]*cpuPerWriteMs, w.name+"-ms/write")
		}
		b.ReportMetric(shares[otherWork]*cpuPerWriteMs, otherWork+"-ms/write")
		if dir == "" {
			return
		}
		f, err := os.Create(dir + "/" + name + ".pprof")
		if err == nil {
			err = errors.Join(r.p.Write(f), f.Close())
		}
		if err != nil {
			b.Error(err)
		}
	}
}

// profileSeconds is how long a profile of the API server lasts: the writes of a
// benchmark must last longer (set -benchtime).
const profileSeconds = 4
