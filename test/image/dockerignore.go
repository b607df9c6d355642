package image

import (
	"bufio"
	"io"
	"path"
	"regexp"
	"strings"
)

// Ignore is a parsed .dockerignore.
type Ignore struct {
	rules []ignoreRule
}

type ignoreRule struct {
	re     *regexp.Regexp
	negate bool
}

// ParseDockerignore reads .dockerignore patterns: Go filepath.Match syntax plus "**" for
// any number of directories, "!" re-including, later lines winning.
func ParseDockerignore(r io.Reader) (*Ignore, error) {
	ig := &Ignore{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		p := strings.TrimSpace(sc.Text())
		if p == "" || strings.HasPrefix(p, "#") {
			continue
		}
		negate := strings.HasPrefix(p, "!")
		p = strings.TrimPrefix(p, "!")
		p = strings.Trim(path.Clean(strings.TrimPrefix(p, "/")), "/")
		ig.rules = append(ig.rules, ignoreRule{re: patternRegexp(p), negate: negate})
	}
	return ig, sc.Err()
}

func patternRegexp(p string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case strings.HasPrefix(p[i:], "**/"):
			b.WriteString("(.*/)?")
			i += 2
		case strings.HasPrefix(p[i:], "**"):
			b.WriteString(".*")
			i++
		case c == '*':
			b.WriteString("[^/]*")
		case c == '?':
			b.WriteString("[^/]")
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// Excluded reports whether a slash-separated path relative to the context root is left
// out of the build context. As in Docker, a pattern matching a parent directory matches
// everything below it.
func (ig *Ignore) Excluded(rel string) bool {
	rel = path.Clean(rel)
	excluded := false
	for _, r := range ig.rules {
		if matchesOrParent(r.re, rel) {
			excluded = !r.negate
		}
	}
	return excluded
}

func matchesOrParent(re *regexp.Regexp, rel string) bool {
	for p := rel; p != "." && p != "/"; p = path.Dir(p) {
		if re.MatchString(p) {
			return true
		}
	}
	return false
}
