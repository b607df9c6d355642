package digestparam

import (
	"errors"
	"maps"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		header  string
		want    map[string]string
		wantErr error
	}{
		{name: "compact challenge as strict firmware wants it",
			header: `Digest realm="3402000000",nonce="abc",algorithm=MD5,qop="auth",opaque="o"`,
			want:   map[string]string{"realm": "3402000000", "nonce": "abc", "algorithm": "MD5", "qop": "auth", "opaque": "o"}},
		{name: "lower-case scheme, spaces around '=' and commas, upper-case keys",
			header: "  digest\tREALM = \"r\" ,  Nonce=n ,stale=TRUE",
			want:   map[string]string{"realm": "r", "nonce": "n", "stale": "TRUE"}},
		{name: "commas inside quotes",
			header: `Digest nonce="a,b", qop="auth,auth-int"`,
			want:   map[string]string{"nonce": "a,b", "qop": "auth,auth-int"}},
		{name: "empty quoted value",
			header: `Digest opaque="", realm=r`,
			want:   map[string]string{"opaque": "", "realm": "r"}},
		{name: "trailing comma and spaces", header: `Digest realm=r,  `, want: map[string]string{"realm": "r"}},
		{name: "other scheme", header: `Basic realm="x"`, wantErr: ErrNotDigest},
		{name: "scheme alone", header: `Digest`, wantErr: ErrNotDigest},
		{name: "empty", header: ``, wantErr: ErrNotDigest},
		{name: "quote left open", header: `Digest nonce="abc`, wantErr: ErrSyntax},
		{name: "parameter without '='", header: `Digest realm="r", stale`, wantErr: ErrSyntax},
		{name: "value without key", header: `Digest ="r"`, wantErr: ErrSyntax},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.header)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Parse(%q) error %v, want %v", tt.header, err, tt.wantErr)
			}
			if tt.wantErr == nil && !maps.Equal(got, tt.want) {
				t.Errorf("Parse(%q) = %v, want %v", tt.header, got, tt.want)
			}
		})
	}
}

// The registrar walks every Authorization header with List and Next; they must not
// allocate, or a REGISTER flood would cost garbage per message.
func TestNextDoesNotAllocate(t *testing.T) {
	const header = `Digest username="34020000001320000001", realm="3402000000", nonce="n", uri="sip:x", response="r", qop=auth, nc=00000001, cnonce="c"`
	allocs := testing.AllocsPerRun(100, func() {
		list, err := List(header)
		for err == nil {
			var key string
			if key, _, list, err = Next(list); key == "" {
				break
			}
		}
	})
	if allocs != 0 {
		t.Errorf("List and Next allocate %.0f times per header, want 0", allocs)
	}
}
