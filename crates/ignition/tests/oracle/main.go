// Command oracle produces the golden outputs for kindling's ignition crate with Go's real
// encoding/json and transcriptions of Ignition's generated schema structs (see v3_*/schema.go).
//
// Usage: oracle < config.ign > golden.json
//
// Like Ignition's util.GetConfigVersion it first decodes only ignition.version, then decodes the
// whole input into that spec's struct. Specs 3.0 to 3.3 are translated forward to 3.4 one version
// at a time by re-encoding through the next version's struct, which performs exactly the
// translations Ignition's config/v3_N/translate packages perform (plain strings that became
// pointers become pointers to the same, possibly empty, string; a nil *Clevis / *Custom stays
// absent); the version is set to each target version on the way, as Ignition does. A 3.5 config
// is kept at 3.5. The result is written with json.Marshal and no trailing newline.
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

type versionStub struct {
	Ignition struct {
		Version string
	}
}

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
	var stub versionStub
	decode(raw, &stub)

	var c30 v3_0.Config
	var c31 v3_1.Config
	var c32 v3_2.Config
	var c33 v3_3.Config
	var c34 v3_4.Config
	var result any
	switch specOf(stub.Ignition.Version) {
	case "3.5.0":
		var c35 v3_5.Config
		decode(raw, &c35)
		result = c35
	case "3.4.0":
		decode(raw, &c34)
		result = c34
	case "3.0.0", "3.1.0", "3.2.0", "3.3.0":
		v := specOf(stub.Ignition.Version)
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
		fail("unsupported version %q (the oracle takes exact versions only)", stub.Ignition.Version)
	}
	out, err := json.Marshal(result)
	if err != nil {
		fail("marshal: %v", err)
	}
	os.Stdout.Write(out)
}
