package hosting

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/steward-os/steward/sdk"
)

var recordTypes = []string{"A", "AAAA", "CNAME", "MX", "TXT"}

func (h *hosting) listRecords(ctx context.Context, c sdk.Call[ZoneParams]) (RecordList, error) {
	z, err := loadZone(ctx, c.Env.State(), norm(c.Params.Zone))
	if err != nil {
		return RecordList{Records: []Record{}}, err
	}
	return RecordList{Zone: z.Name, Records: z.Records}, nil
}

func (h *hosting) exportZone(ctx context.Context, c sdk.Call[ZoneParams]) (ZoneFile, error) {
	z, err := loadZone(ctx, c.Env.State(), norm(c.Params.Zone))
	if err != nil {
		return ZoneFile{}, err
	}
	return ZoneFile{Zone: z.Name, Zonefile: zoneFile(z)}, nil
}

const ttl = 3600

// zoneFile renders a zone in BIND master-file format.
func zoneFile(z zone) string {
	var b strings.Builder
	fmt.Fprintf(&b, "$ORIGIN %s.\n$TTL %d\n", z.Name, ttl)
	fmt.Fprintf(&b, "@\t%d\tIN\tSOA\tns1.%s. hostmaster.%s. %d 7200 3600 1209600 %d\n", ttl, z.Name, z.Name, max(z.Serial, 1), ttl)
	for _, r := range z.Records {
		fmt.Fprintf(&b, "%s\t%d\tIN\t%s\t%s\n", r.Name, ttl, r.Type, bindValue(r))
	}
	return b.String()
}

func bindValue(r Record) string {
	switch r.Type {
	case "CNAME":
		return r.Value + "."
	case "MX":
		pref, host, _ := strings.Cut(r.Value, " ")
		return pref + " " + host + "."
	case "TXT":
		return strconv.Quote(r.Value)
	}
	return r.Value
}

// relName turns a record name into one relative to the zone: "api",
// "api.acme.test" → "api"; "acme.test", "@" → "@".
func relName(name, zoneName string) string {
	name = norm(name)
	switch {
	case name == "@" || name == zoneName:
		return "@"
	case strings.HasSuffix(name, "."+zoneName):
		return strings.TrimSuffix(name, "."+zoneName)
	}
	return name
}

// fqdn is a record's full name.
func fqdn(r Record, zoneName string) string {
	if r.Name == "@" {
		return zoneName
	}
	return r.Name + "." + zoneName
}

func recordType(t string) (string, error) {
	u := strings.ToUpper(strings.TrimSpace(t))
	if !slices.Contains(recordTypes, u) {
		return "", sdk.Errorf(sdk.CodeInvalid, "record type must be one of A, AAAA, CNAME, MX or TXT, not %q", t)
	}
	return u, nil
}

func validHost(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}

// recordValue validates and canonicalises a value for a record type.
func recordValue(typ, value string) (string, error) {
	v := strings.TrimSpace(value)
	if v == "" {
		return "", sdk.Errorf(sdk.CodeInvalid, "value is required")
	}
	switch typ {
	case "A", "AAAA":
		ip, err := netip.ParseAddr(v)
		if err != nil || (typ == "A") != ip.Is4() {
			kind := "IPv4"
			if typ == "AAAA" {
				kind = "IPv6"
			}
			return "", sdk.Errorf(sdk.CodeInvalid, "an %s record needs an %s address, not %q", typ, kind, value)
		}
		return ip.String(), nil
	case "CNAME":
		host := norm(v)
		if !validHost(host) {
			return "", sdk.Errorf(sdk.CodeInvalid, "a CNAME record needs a host name, not %q", value)
		}
		return host, nil
	case "MX":
		pref, host := "10", v
		if p, h, ok := strings.Cut(v, " "); ok {
			if _, err := strconv.ParseUint(p, 10, 16); err != nil {
				return "", sdk.Errorf(sdk.CodeInvalid, "an MX record needs \"preference host\", not %q", value)
			}
			pref, host = p, strings.TrimSpace(h)
		}
		host = norm(host)
		if !validHost(host) {
			return "", sdk.Errorf(sdk.CodeInvalid, "an MX record needs a mail host name, not %q", value)
		}
		return pref + " " + host, nil
	}
	return v, nil
}

func (h *hosting) addRecord(ctx context.Context, c sdk.Call[AddRecordParams]) (AddRecordResult, error) {
	st := c.Env.State()
	z, err := loadZone(ctx, st, norm(c.Params.Zone))
	if err != nil {
		return AddRecordResult{}, err
	}
	typ, err := recordType(c.Params.Type)
	if err != nil {
		return AddRecordResult{}, err
	}
	name := relName(c.Params.Name, z.Name)
	if name == "" || (name != "@" && !validHost(name)) {
		return AddRecordResult{}, sdk.Errorf(sdk.CodeInvalid, "record name must be a host label such as api, not %q", c.Params.Name)
	}
	value, err := recordValue(typ, c.Params.Value)
	if err != nil {
		return AddRecordResult{}, err
	}
	rec := Record{Name: name, Type: typ, Value: value}
	for _, r := range z.Records {
		switch {
		case r == rec:
			return AddRecordResult{}, sdk.Errorf(sdk.CodeConflict, "%s already has %s record %s → %s", z.Name, typ, name, value)
		case r.Name == name && (r.Type == "CNAME" || typ == "CNAME"):
			return AddRecordResult{}, sdk.Errorf(sdk.CodeConflict, "%s already has a %s record named %s; a CNAME cannot share its name", z.Name, r.Type, name)
		}
	}
	z.Records = append(z.Records, rec)
	z.Serial++
	if err := put(ctx, st, collZones, z.Name, z); err != nil {
		return AddRecordResult{}, err
	}
	return AddRecordResult{Zone: z.Name, Record: rec}, nil
}

func (h *hosting) deleteRecord(ctx context.Context, c sdk.Call[DeleteRecordParams]) (DeleteRecordResult, error) {
	st := c.Env.State()
	z, err := loadZone(ctx, st, norm(c.Params.Zone))
	if err != nil {
		return DeleteRecordResult{}, err
	}
	typ := ""
	if strings.TrimSpace(c.Params.Type) != "" {
		if typ, err = recordType(c.Params.Type); err != nil {
			return DeleteRecordResult{}, err
		}
	}
	name := relName(c.Params.Name, z.Name)
	if err := required("name", name); err != nil {
		return DeleteRecordResult{}, err
	}
	out := DeleteRecordResult{Zone: z.Name, Name: name, Deleted: []Record{}}
	kept := make([]Record, 0, len(z.Records))
	for _, r := range z.Records {
		if r.Name == name && (typ == "" || r.Type == typ) {
			out.Deleted = append(out.Deleted, r)
			continue
		}
		kept = append(kept, r)
	}
	if len(out.Deleted) == 0 {
		if typ != "" {
			return out, sdk.Errorf(sdk.CodeNotFound, "no %s record named %q in %s", typ, name, z.Name)
		}
		return out, sdk.Errorf(sdk.CodeNotFound, "no record named %q in %s", name, z.Name)
	}
	z.Records = kept
	z.Serial++
	if err := put(ctx, st, collZones, z.Name, z); err != nil {
		return out, err
	}
	return out, nil
}
