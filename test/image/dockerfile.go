package image

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Instruction is one Dockerfile instruction with its continuation lines joined.
type Instruction struct {
	Cmd  string // upper case: FROM, RUN, COPY, ...
	Args string
	Line int
}

// ParseDockerfile splits a Dockerfile into instructions. It understands comments,
// parser directives and backslash continuations, which is all this repository uses.
func ParseDockerfile(r io.Reader) ([]Instruction, error) {
	var (
		out     []Instruction
		pending strings.Builder
		start   int
	)
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") || (trimmed == "" && pending.Len() == 0) {
			continue
		}
		if pending.Len() == 0 {
			start = n
		}
		if cont, ok := strings.CutSuffix(trimmed, `\`); ok {
			pending.WriteString(cont + " ")
			continue
		}
		pending.WriteString(trimmed)
		cmd, args, _ := strings.Cut(strings.TrimSpace(pending.String()), " ")
		out = append(out, Instruction{Cmd: strings.ToUpper(cmd), Args: strings.TrimSpace(args), Line: start})
		pending.Reset()
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if pending.Len() > 0 {
		return nil, errors.New("dockerfile ends inside a continued line")
	}
	return out, nil
}

// ShellWords splits a command line the way a POSIX shell does for plain words, single
// and double quotes and backslash escapes. Expansions are kept as literal text.
func ShellWords(s string) ([]string, error) {
	var (
		words []string
		cur   strings.Builder
		in    bool // inside a word
	)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("unterminated ' in %q", s)
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			in = true
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte(`"\$`+"`", s[i+1]) >= 0 {
					i++
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, fmt.Errorf("unterminated \" in %q", s)
			}
			in = true
		case c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			in = true
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if in {
		words = append(words, cur.String())
	}
	return words, nil
}

// GoBuild is a `go build` command line taken apart.
type GoBuild struct {
	Env      map[string]string // VAR=value words before the command
	Flags    []string          // build flags, without -o
	Output   string            // the -o argument
	Packages []string
}

// ParseGoBuild finds the `go build` in a shell command line (after any RUN options
// such as --mount=..., and VAR=value assignments) and takes it apart.
func ParseGoBuild(cmdline string) (GoBuild, error) {
	words, err := ShellWords(cmdline)
	if err != nil {
		return GoBuild{}, err
	}
	b := GoBuild{Env: map[string]string{}}
	i := 0
	for i < len(words) && strings.HasPrefix(words[i], "--") {
		i++
	}
	for ; i < len(words); i++ {
		k, v, ok := strings.Cut(words[i], "=")
		if !ok || strings.HasPrefix(k, "-") {
			break
		}
		b.Env[k] = v
	}
	if i+1 >= len(words) || words[i] != "go" || words[i+1] != "build" {
		return GoBuild{}, fmt.Errorf("not a go build command: %q", cmdline)
	}
	args := words[i+2:]
	for j := 0; j < len(args); j++ {
		a := args[j]
		switch {
		case a == "-o" && j+1 < len(args):
			b.Output = args[j+1]
			j++
		case strings.HasPrefix(a, "-o="):
			b.Output = strings.TrimPrefix(a, "-o=")
		case a == "-ldflags" || a == "-gcflags" || a == "-tags" || a == "-mod" || a == "-asmflags":
			if j+1 >= len(args) {
				return GoBuild{}, fmt.Errorf("%s without a value", a)
			}
			b.Flags = append(b.Flags, a+"="+args[j+1])
			j++
		case strings.HasPrefix(a, "-"):
			b.Flags = append(b.Flags, a)
		default:
			b.Packages = append(b.Packages, a)
		}
	}
	return b, nil
}
