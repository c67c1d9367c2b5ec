// Command oracle produces the golden outputs for kindling's ignition crate with Go's real
// encoding/json, decoding into the Go structs of v3_*/schema.go, which are generated from the
// crate's own field table (src/types.rs) by schema_gen.rs.
//
// Usage: oracle < config.ign > golden.json
//
// It reads the version first, decoding only ignition.version the way Ignition's version probe
// does (untagged Go fields, so the keys match case-insensitively), then decodes the whole input
// into that spec's structs. A 3.0 to 3.3 config is carried forward to 3.4 one spec at a time by
// marshalling it and unmarshalling the bytes into the next spec's structs, setting the version
// string to each target on the way. The struct differences make that hop do what Ignition's
// translators do: a field that was a plain string and became a pointer arrives as a pointer to
// the same, possibly empty, string, and an absent 3.2 clevis or custom pin stays absent. A 3.4 or
// 3.5 config is kept at its spec. The result is written with json.Marshal and no trailing newline.
//
// The oracle does not validate: goldens are only generated for configs the Rust crate accepts.
// It needs only the Go standard library (GOPROXY=off works).
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"oracle/v3_0"
	"oracle/v3_1"
	"oracle/v3_2"
	"oracle/v3_3"
	"oracle/v3_4"
	"oracle/v3_5"
)

// specOf maps a version string to "3.N.0" the way Ignition compares go-semver versions: the
// string is split like semver.Version.Set does and must equal 3.N.0 with no pre-release or
// metadata, so "03.4.00" counts as 3.4.0. (The identifier regexp check is not needed for the
// versions the fixtures use.)
func specOf(version string) string {
	rest, metadata, _ := strings.Cut(version, "+")
	rest, pre, _ := strings.Cut(rest, "-")
	parts := strings.SplitN(rest, ".", 3)
	if len(parts) != 3 || pre != "" || metadata != "" {
		return version
	}
	var n [3]int64
	for i, p := range parts {
		v, err := strconv.ParseInt(p, 10, 64)
		if err != nil {
			return version
		}
		n[i] = v
	}
	if n[0] != 3 || n[2] != 0 || n[1] < 0 || n[1] > 5 {
		return version
	}
	return fmt.Sprintf("3.%d.0", n[1])
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "oracle: "+format+"\n", args...)
	os.Exit(1)
}

// hop re-encodes in through json into out.
func hop(in, out any) {
	b, err := json.Marshal(in)
	if err != nil {
		fail("marshal: %v", err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		fail("unmarshal: %v", err)
	}
}

func decode(raw []byte, out any) {
	if err := json.Unmarshal(raw, out); err != nil {
		fail("decode: %v", err)
	}
}

func main() {
	raw, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail("read: %v", err)
	}
	// The field names are facts: untagged, they match "ignition" and "version" in any case.
	var probe struct {
		Ignition struct {
			Version string
		}
	}
	decode(raw, &probe)

	var c30 v3_0.Config
	var c31 v3_1.Config
	var c32 v3_2.Config
	var c33 v3_3.Config
	var c34 v3_4.Config
	var result any
	switch specOf(probe.Ignition.Version) {
	case "3.5.0":
		var c35 v3_5.Config
		decode(raw, &c35)
		result = c35
	case "3.4.0":
		decode(raw, &c34)
		result = c34
	case "3.0.0", "3.1.0", "3.2.0", "3.3.0":
		v := specOf(probe.Ignition.Version)
		if v == "3.0.0" {
			decode(raw, &c30)
			hop(c30, &c31)
			c31.Ignition.Version = "3.1.0"
		}
		if v == "3.1.0" {
			decode(raw, &c31)
		}
		if v <= "3.1.0" {
			hop(c31, &c32)
			c32.Ignition.Version = "3.2.0"
		}
		if v == "3.2.0" {
			decode(raw, &c32)
		}
		if v <= "3.2.0" {
			hop(c32, &c33)
			c33.Ignition.Version = "3.3.0"
		}
		if v == "3.3.0" {
			decode(raw, &c33)
		}
		hop(c33, &c34)
		c34.Ignition.Version = "3.4.0"
		result = c34
	default:
		fail("unsupported version %q (the oracle takes exact versions only)", probe.Ignition.Version)
	}
	out, err := json.Marshal(result)
	if err != nil {
		fail("marshal: %v", err)
	}
	os.Stdout.Write(out)
}
