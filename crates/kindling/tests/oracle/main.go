// Command mbref is the reference side of kindling's differential test
// (crates/kindling/tests/differential.rs). It is an HTTP server built only
// from Go's standard library that reproduces matchbox v0.11's HTTP layer as
// the compatibility contract describes it (§1 HTTP API, §2.2–2.5 data
// directory, §3 templates). It was written from that description; no
// matchbox source is used.
//
// Every piece of Go standard-library behaviour that matchbox relies on is the
// real thing here: http.ServeMux (path cleaning, 301s, /assets → /assets/),
// http.FileServer + http.StripPrefix, http.ServeContent, sniffing,
// url.ParseQuery, net.ParseMAC, encoding/json, text/template and fmt.
//
// Where this server knowingly differs from a real matchbox binary:
//
//  1. /ignition needs the Ignition and Butane libraries, which are not
//     available offline. Failures are answered as matchbox answers them
//     (404: no group, missing or invalid profile, missing file, template
//     parse or execution error). Anything that would need the libraries
//     (parsing a raw .ign file, translating a rendered Butane template) gets
//     501 "mbref: ..." so that a test can never mistake it for a reference
//     answer.
//  2. /cloud: a "#cloud-config" document is not YAML-validated
//     (coreos-cloudinit is not available); only the first-line rule is
//     applied.
//  3. /metadata walks every map in sorted key order, as kindling does (D10);
//     matchbox's order is random (Go map iteration).
//  4. Groups with identical selectors keep file-name order (a stable sort),
//     kindling's D6 tie-break, which is also what matchbox does with 12
//     groups or fewer. Selector keys are applied to the template variables
//     in sorted order (matchbox: map order; only observable when two keys
//     differ by case alone).
//  5. Content-Type by extension uses Go's built-in table only. Go's mime
//     package lazily merges the system tables (/etc/mime.types,
//     /usr/share/mime/globs2, ...) into that table on first use, and a
//     process cannot hide those files from itself. So (a) at start-up the
//     built-in entries are written back over whatever the system files
//     loaded (mime.AddExtensionType), and (b) the asset file system is
//     wrapped so that a file whose extension is not in the built-in table
//     reports an empty name from Stat; http.FileServer then calls
//     serveContent with name "", finds no type by extension and sniffs the
//     content, exactly as it would on a machine without system mime files.
//  6. Go 1.19's directory listing starts with "<pre>\n". Newer Go (and the
//     matchbox release builds, and kindling) write
//     "<!doctype html>\n<meta name=\"viewport\" content=\"width=device-width\">\n"
//     first; a ResponseWriter wrapper adds that prefix when FileServer
//     starts a listing (first write "<pre>\n", HTML type, no Content-Length,
//     no status written yet).
//
// Flags: -address (use 127.0.0.1:0), -data-path, -assets-path ("" turns
// /assets/ off). When ready it prints to stderr:
//
//	level=info msg="listening" service="http" addr=127.0.0.1:PORT
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log"
	"mime"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"text/template"
	"time"
)

// bootIPXE is the static iPXE bootstrap script (contract §1.3).
const bootIPXE = "#!ipxe\nchain ipxe?uuid=${uuid}&mac=${mac:hexhyp}&domain=${domain}&hostname=${hostname}&serial=${serial}&arch=${buildarch:uristring}\n"

// listingPrefix is what newer Go writes before "<pre>\n" in a listing.
const listingPrefix = "<!doctype html>\n<meta name=\"viewport\" content=\"width=device-width\">\n"

// builtinTypes is Go 1.19's built-in extension table (mime/type.go), which
// is also the table of the Go releases kindling follows.
var builtinTypes = map[string]string{
	".avif": "image/avif",
	".css":  "text/css; charset=utf-8",
	".gif":  "image/gif",
	".htm":  "text/html; charset=utf-8",
	".html": "text/html; charset=utf-8",
	".jpeg": "image/jpeg",
	".jpg":  "image/jpeg",
	".js":   "text/javascript; charset=utf-8",
	".json": "application/json",
	".mjs":  "text/javascript; charset=utf-8",
	".pdf":  "application/pdf",
	".png":  "image/png",
	".svg":  "image/svg+xml",
	".wasm": "application/wasm",
	".webp": "image/webp",
	".xml":  "text/xml; charset=utf-8",
}

func main() {
	address := flag.String("address", "127.0.0.1:8080", "HTTP listen address")
	dataPath := flag.String("data-path", "/var/lib/matchbox", "data directory")
	assetsPath := flag.String("assets-path", "/var/lib/matchbox/assets", "assets directory; empty turns /assets/ off")
	flag.Parse()

	if fi, err := os.Stat(*dataPath); err != nil || !fi.IsDir() {
		log.Fatalf("A valid -data-path is required")
	}
	if *assetsPath != "" {
		if fi, err := os.Stat(*assetsPath); err != nil || !fi.IsDir() {
			log.Fatalf("Provide a valid -assets-path or '' to disable asset serving: %s", *assetsPath)
		}
	}
	restoreBuiltinMimeTypes()

	s := &server{store: fileStore{root: *dataPath}}
	handler := s.mux(*assetsPath)

	ln, err := net.Listen("tcp", *address)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "level=info msg=\"listening\" service=\"http\" addr=%s\n", ln.Addr())
	log.Fatal(http.Serve(ln, handler))
}

// restoreBuiltinMimeTypes forces the mime package's lazy load of the system
// tables, then writes the built-in entries back over them (deviation 5).
func restoreBuiltinMimeTypes() {
	for ext, typ := range builtinTypes {
		if err := mime.AddExtensionType(ext, typ); err != nil {
			log.Fatal(err)
		}
	}
}

// builtinType looks an extension up the way mime.TypeByExtension does
// (exact, then lower-cased), in the built-in table only.
func builtinType(ext string) (string, bool) {
	if t, ok := builtinTypes[ext]; ok {
		return t, true
	}
	t, ok := builtinTypes[strings.ToLower(ext)]
	return t, ok
}

// ---------------------------------------------------------------------------
// Data directory (contract §2.2–2.5)

type fileStore struct {
	root string
}

// resolve maps a path below the data root the way matchbox does: the kind
// directory is joined to the name before cleaning (so "../x" can move
// across kinds, D5), the result is cleaned as if rooted at "/", and NUL is
// refused.
func (s fileStore) resolve(rel string) (string, error) {
	if strings.IndexByte(rel, 0) >= 0 {
		return "", errors.New("invalid character in file path")
	}
	return filepath.Join(s.root, filepath.FromSlash(path.Clean("/"+rel))), nil
}

func (s fileStore) read(kind, name string) ([]byte, error) {
	p, err := s.resolve(kind + "/" + name)
	if err != nil {
		return nil, err
	}
	return os.ReadFile(p)
}

// groupFile is the on-disk group shape (§2.3).
type groupFile struct {
	ID       string                 `json:"id,omitempty"`
	Name     string                 `json:"name,omitempty"`
	Profile  string                 `json:"profile,omitempty"`
	Selector map[string]string      `json:"selector,omitempty"`
	Metadata map[string]interface{} `json:"metadata,omitempty"`
}

type group struct {
	file     string
	profile  string
	selector map[string]string
	metadata []byte // compact JSON, nil when absent
}

func (g *group) selectorString() string {
	pairs := make([]string, 0, len(g.selector))
	for k, v := range g.selector {
		pairs = append(pairs, k+"="+v)
	}
	sort.Strings(pairs)
	return strings.Join(pairs, ",")
}

func (g *group) matches(labels map[string]string) bool {
	for k, v := range g.selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func parseGroup(file string, data []byte) (*group, error) {
	var gf groupFile
	if err := json.Unmarshal(data, &gf); err != nil {
		return nil, err
	}
	g := &group{file: file, profile: gf.Profile, selector: map[string]string{}}
	for k, v := range gf.Selector {
		if strings.ToLower(k) == "mac" {
			hw, err := net.ParseMAC(v)
			if err != nil {
				return nil, err
			}
			v = hw.String()
		}
		g.selector[k] = v
	}
	if gf.Metadata != nil {
		meta, err := json.Marshal(gf.Metadata)
		if err != nil {
			return nil, err
		}
		g.metadata = meta
	}
	return g, nil
}

// groups lists groups/ (sorted by file name) and parses every entry as
// <name without extension>.json, skipping failures (§2.5, D15 quirks kept).
func (s fileStore) groups() ([]*group, error) {
	dir, err := s.resolve("groups")
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	out := make([]*group, 0, len(entries))
	for _, e := range entries {
		id := strings.TrimSuffix(e.Name(), filepath.Ext(e.Name()))
		data, err := s.read("groups", id+".json")
		if err != nil {
			log.Printf("Group %q: %v", id, err)
			continue
		}
		g, err := parseGroup(e.Name(), data)
		if err != nil {
			log.Printf("Group %q: %v", id, err)
			continue
		}
		out = append(out, g)
	}
	return out, nil
}

type netBoot struct {
	Kernel string   `json:"kernel,omitempty"`
	Initrd []string `json:"initrd,omitempty"`
	Args   []string `json:"args,omitempty"`
}

// profile is the on-disk profile shape (§2.2).
type profile struct {
	ID         string   `json:"id,omitempty"`
	Name       string   `json:"name,omitempty"`
	IgnitionID string   `json:"ignition_id,omitempty"`
	CloudID    string   `json:"cloud_id,omitempty"`
	Boot       *netBoot `json:"boot,omitempty"`
	GenericID  string   `json:"generic_id,omitempty"`
}

func (s fileStore) profile(id string) (*profile, error) {
	data, err := s.read("profiles", id+".json")
	if err != nil {
		return nil, err
	}
	p := new(profile)
	if err := json.Unmarshal(data, p); err != nil {
		return nil, err
	}
	if p.ID == "" {
		return nil, errors.New("Id is required")
	}
	return p, nil
}

// ---------------------------------------------------------------------------
// Selection (§1.2, §2.4)

// labelsFromRequest: query only, first value per key, mac (any key case)
// normalized with net.ParseMAC and dropped when it does not parse.
func labelsFromRequest(r *http.Request) map[string]string {
	values := r.URL.Query()
	labels := make(map[string]string, len(values))
	for key := range values {
		val := values.Get(key)
		if strings.ToLower(key) == "mac" {
			hw, err := net.ParseMAC(val)
			if err != nil {
				log.Printf("ignoring unparseable MAC address %q", val)
				continue
			}
			val = hw.String()
		}
		labels[key] = val
	}
	return labels
}

type server struct {
	store fileStore
}

func (s *server) selectGroup(labels map[string]string) (*group, error) {
	groups, err := s.store.groups()
	if err != nil {
		return nil, err
	}
	sort.SliceStable(groups, func(i, j int) bool {
		a, b := groups[i], groups[j]
		if len(a.selector) != len(b.selector) {
			return len(a.selector) > len(b.selector)
		}
		return a.selectorString() > b.selectorString()
	})
	for _, g := range groups {
		if g.matches(labels) {
			return g, nil
		}
	}
	return nil, errors.New("matchbox: No matching Group")
}

func (s *server) selectProfile(labels map[string]string) (*group, *profile, error) {
	g, err := s.selectGroup(labels)
	if err != nil {
		return nil, nil, err
	}
	p, err := s.store.profile(g.profile)
	if err != nil {
		return nil, nil, fmt.Errorf("matchbox: No matching Profile: %v", err)
	}
	return g, p, nil
}

// ---------------------------------------------------------------------------
// Templates (§3)

func collectVariables(r *http.Request, g *group, labels map[string]string) (map[string]interface{}, error) {
	vars := map[string]interface{}{"request": map[string]interface{}{}}
	if g.metadata != nil {
		if err := json.Unmarshal(g.metadata, &vars); err != nil {
			return nil, err
		}
	}
	keys := make([]string, 0, len(g.selector))
	for k := range g.selector {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		vars[strings.ToLower(k)] = g.selector[k]
	}
	vars["request"] = map[string]interface{}{
		"query":     labels,
		"raw_query": r.URL.RawQuery,
	}
	return vars, nil
}

func render(text []byte, vars map[string]interface{}) ([]byte, error) {
	t, err := template.New("").Option("missingkey=error").Parse(string(text))
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, vars); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// renderFor runs the group → profile → template file → render chain shared by
// /cloud, /generic and templated /ignition.
func (s *server) renderFor(r *http.Request, kind string, pick func(*profile) string) ([]byte, string, error) {
	labels := labelsFromRequest(r)
	g, p, err := s.selectProfile(labels)
	if err != nil {
		return nil, "", err
	}
	name := pick(p)
	text, err := s.store.read(kind, name)
	if err != nil {
		return nil, name, err
	}
	if kind == "ignition" && (strings.HasSuffix(name, ".ign") || strings.HasSuffix(name, ".ignition")) {
		return nil, name, errUnsupported
	}
	vars, err := collectVariables(r, g, labels)
	if err != nil {
		return nil, name, err
	}
	out, err := render(text, vars)
	return out, name, err
}

var errUnsupported = errors.New("needs the Ignition library")

// ---------------------------------------------------------------------------
// Handlers (§1)

func (s *server) mux(assetsPath string) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintf(w, "matchbox\n")
	})
	boot := func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, bootIPXE) }
	mux.HandleFunc("/boot.ipxe", boot)
	mux.HandleFunc("/boot.ipxe.0", boot)
	mux.HandleFunc("/ipxe", s.bootScript(ipxeScript))
	mux.HandleFunc("/grub", s.bootScript(grubConfig))
	mux.HandleFunc("/ignition", s.ignition)
	mux.HandleFunc("/cloud", s.cloud)
	mux.HandleFunc("/generic", s.generic)
	mux.HandleFunc("/metadata", s.metadata)
	if assetsPath != "" {
		files := http.FileServer(builtinNameFS{http.Dir(assetsPath)})
		mux.Handle("/assets/", http.StripPrefix("/assets/", withListingPrefix(files)))
	}
	return mux
}

func (s *server) bootScript(script func(*netBoot) []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_, p, err := s.selectProfile(labelsFromRequest(r))
		if err != nil || p.Boot == nil {
			http.NotFound(w, r)
			return
		}
		w.Write(script(p.Boot))
	}
}

// ipxeScript builds the fixed iPXE script of §1.4.
func ipxeScript(b *netBoot) []byte {
	var buf bytes.Buffer
	buf.WriteString("#!ipxe\nkernel ")
	buf.WriteString(b.Kernel)
	for _, a := range b.Args {
		buf.WriteString(" ")
		buf.WriteString(a)
	}
	for _, i := range b.Initrd {
		buf.WriteString("\ninitrd ")
		buf.WriteString(i)
	}
	buf.WriteString("\nboot\n")
	return buf.Bytes()
}

// grubConfig builds the fixed GRUB configuration of §1.5.
func grubConfig(b *netBoot) []byte {
	var buf bytes.Buffer
	entry := func(title, linux, initrd string) {
		fmt.Fprintf(&buf, "menuentry %q {\n", title)
		buf.WriteString("echo \"Loading kernel\"\n")
		buf.WriteString(linux + " \"" + b.Kernel + "\"")
		for _, a := range b.Args {
			buf.WriteString(" " + a)
		}
		buf.WriteString("\necho \"Loading initrd\"\n")
		buf.WriteString(initrd + " ")
		for _, i := range b.Initrd {
			buf.WriteString(" \"" + i + "\"")
		}
		buf.WriteString("\n}\n")
	}
	buf.WriteString("default=0\nfallback=1\ntimeout=1\n")
	entry("CoreOS (EFI)", "linuxefi", "initrdefi")
	entry("CoreOS (BIOS)", "linux", "initrd")
	return buf.Bytes()
}

func (s *server) ignition(w http.ResponseWriter, r *http.Request) {
	_, name, err := s.renderFor(r, "ignition", func(p *profile) string { return p.IgnitionID })
	switch {
	case err == errUnsupported:
		http.Error(w, "mbref: raw Ignition "+name+" needs the Ignition library", http.StatusNotImplemented)
	case err != nil:
		http.NotFound(w, r)
	default:
		http.Error(w, "mbref: Butane translation of "+name+" needs the Butane library", http.StatusNotImplemented)
	}
}

func (s *server) cloud(w http.ResponseWriter, r *http.Request) {
	out, _, err := s.renderFor(r, "cloud", func(p *profile) string { return p.CloudID })
	if err != nil {
		http.NotFound(w, r)
		return
	}
	first := strings.SplitN(string(out), "\n", 2)[0]
	if strings.TrimSuffix(first, "\r") != "#cloud-config" && !strings.HasPrefix(first, "#!") {
		http.NotFound(w, r)
		return
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(out))
}

func (s *server) generic(w http.ResponseWriter, r *http.Request) {
	out, _, err := s.renderFor(r, "generic", func(p *profile) string { return p.GenericID })
	if err != nil {
		http.NotFound(w, r)
		return
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(out))
}

func (s *server) metadata(w http.ResponseWriter, r *http.Request) {
	labels := labelsFromRequest(r)
	g, err := s.selectGroup(labels)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	vars, err := collectVariables(r, g, labels)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "plain/text")
	var buf bytes.Buffer
	writeEnv(&buf, "", vars)
	w.Write(buf.Bytes())
}

// writeEnv writes NAME=value lines: scalars printed with %v, nested maps
// flattened with "_", names upper-cased, everything else dropped. Keys are
// visited in sorted order (deviation 3).
func writeEnv(w io.Writer, prefix string, m map[string]interface{}) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		name := strings.ToUpper(prefix + k)
		switch v := m[k].(type) {
		case string, bool, float64:
			fmt.Fprintf(w, "%s=%v\n", name, v)
		case map[string]interface{}:
			writeEnv(w, name+"_", v)
		case map[string]string:
			sub := make(map[string]interface{}, len(v))
			for sk, sv := range v {
				sub[sk] = sv
			}
			writeEnv(w, name+"_", sub)
		}
	}
}

// ---------------------------------------------------------------------------
// /assets/ helpers (deviations 5 and 6)

// builtinNameFS hides the name of every file whose extension is not in Go's
// built-in table, so FileServer sniffs it instead of asking the system
// mime tables.
type builtinNameFS struct {
	fs http.FileSystem
}

func (b builtinNameFS) Open(name string) (http.File, error) {
	f, err := b.fs.Open(name)
	if err != nil {
		return nil, err
	}
	return builtinNameFile{f}, nil
}

type builtinNameFile struct {
	http.File
}

func (f builtinNameFile) Stat() (fs.FileInfo, error) {
	fi, err := f.File.Stat()
	if err != nil || fi.IsDir() {
		return fi, err
	}
	if _, ok := builtinType(filepath.Ext(fi.Name())); ok {
		return fi, nil
	}
	return unnamed{fi}, nil
}

// ReadDir keeps FileServer's listing on the same (ReadDir, d_type based)
// path it takes for an unwrapped *os.File.
func (f builtinNameFile) ReadDir(n int) ([]fs.DirEntry, error) {
	if d, ok := f.File.(fs.ReadDirFile); ok {
		return d.ReadDir(n)
	}
	return nil, errors.New("not a directory")
}

type unnamed struct {
	fs.FileInfo
}

func (unnamed) Name() string { return "" }

func withListingPrefix(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(&listingWriter{ResponseWriter: w}, r)
	})
}

type listingWriter struct {
	http.ResponseWriter
	wroteHeader bool
	checked     bool
}

func (l *listingWriter) WriteHeader(code int) {
	l.wroteHeader = true
	l.ResponseWriter.WriteHeader(code)
}

func (l *listingWriter) Write(p []byte) (int, error) {
	if !l.checked {
		l.checked = true
		h := l.Header()
		if !l.wroteHeader && string(p) == "<pre>\n" &&
			h.Get("Content-Type") == "text/html; charset=utf-8" && h.Get("Content-Length") == "" {
			if _, err := io.WriteString(l.ResponseWriter, listingPrefix); err != nil {
				return 0, err
			}
		}
	}
	return l.ResponseWriter.Write(p)
}
