package main

import (
	"bufio"
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// sipp reports a run on its screens; these read the counts a comparison step needs from
// the last screens of `sipp ... -nostdin` output and from its -trace_err log.

// sippCounts are one sipp run's figures.
type sippCounts struct {
	Created    int64 `json:"calls_created"`
	Successful int64 `json:"successful_calls"`
	// Failed counts the calls sipp failed and those still unfinished when it stopped:
	// either way a device did not get registered.
	Failed          int64 `json:"failed_calls"`
	Requests        int64 `json:"requests_sent"`
	Retransmissions int64 `json:"retransmissions"`
	// Answers counts the responses received, by status code: the expected ones from
	// the message table, the unexpected ones (a 503 instead of a 401) from the error log.
	Answers map[int]int64 `json:"answers_by_code"`
}

// recvRow is a response row of sipp's message table: "   401 <----------  [E-RTD1]  20  0 ...".
var recvRow = regexp.MustCompile(`(?m)^\s*(\d{3}) <----------\s+(?:[A-Z]-RTD\d+\s+)?(\d+)`)

// sendRow is a request row: "  REGISTER ---------->  [B-RTD1]  20  0 ...": messages, retransmissions.
var sendRow = regexp.MustCompile(`(?m)^\s*[A-Z]+ ---------->\s+(?:[A-Z]-RTD\d+\s+)?(\d+)\s+(\d+)`)

// parseSippScreen reads the counts of the last message table and statistics screen of
// sipp's output.
func parseSippScreen(screen string) sippCounts {
	c := sippCounts{Answers: map[int]int64{}}
	c.Created = lastCounter(screen, "Outgoing calls created")
	c.Successful = lastCounter(screen, "Successful call")
	c.Failed = lastCounter(screen, "Failed call")
	if unfinished := c.Created - c.Successful - c.Failed; unfinished > 0 {
		c.Failed += unfinished
	}
	i := strings.LastIndex(screen, "Messages  Retrans")
	if i < 0 {
		return c
	}
	table := screen[i:]
	if end := strings.Index(table, "\n---"); end > 0 {
		table = table[:end]
	}
	for _, m := range sendRow.FindAllStringSubmatch(table, -1) {
		c.Requests += atoi64(m[1])
		c.Retransmissions += atoi64(m[2])
	}
	for _, m := range recvRow.FindAllStringSubmatch(table, -1) {
		if n := atoi64(m[2]); n > 0 {
			code, _ := strconv.Atoi(m[1])
			c.Answers[code] += n
		}
	}
	// register-load.xml ends a call on a 503 as a device would, with sipp's stop_call,
	// which sipp counts successful: each 503 of the table is a call that did not
	// register.
	if shed := min(c.Answers[503], c.Successful); shed > 0 {
		c.Successful -= shed
		c.Failed += shed
	}
	return c
}

// unexpectedAnswer is the line of sipp's -trace_err log that names a response it did not expect.
var unexpectedAnswer = regexp.MustCompile(`received 'SIP/2\.0 (\d{3}) `)

// addUnexpectedAnswers counts, by code, the responses sipp's error log says it did not
// expect (a call aborted on a 503 where it waited for a 401). Lines are read whatever
// their length: an overloaded step's log has held lines longer than a Scanner's bound.
func addUnexpectedAnswers(c *sippCounts, errLog io.Reader) error {
	r := bufio.NewReaderSize(errLog, 64<<10)
	for {
		line, err := r.ReadString('\n')
		for _, m := range unexpectedAnswer.FindAllStringSubmatch(line, -1) {
			code, _ := strconv.Atoi(m[1])
			c.Answers[code]++
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func atoi64(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}
