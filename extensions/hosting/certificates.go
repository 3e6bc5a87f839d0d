package hosting

import (
	"context"
	"slices"
	"time"

	"github.com/steward-os/steward/sdk"
)

func (h *hosting) certView(c certificate) Certificate {
	out := Certificate{Domain: c.Domain, Expires: c.Expires}
	if exp, err := time.Parse(dateLayout, c.Expires); err == nil {
		out.DaysLeft = int(exp.Sub(h.today()).Hours() / 24)
	}
	return out
}

func (h *hosting) listCertificates(ctx context.Context, c sdk.Call[ListCertificatesParams]) (CertificateList, error) {
	out := CertificateList{Certificates: []Certificate{}}
	within := c.Params.ExpiringWithinDays
	if within < 0 {
		return out, sdk.Errorf(sdk.CodeInvalid, "expiring_within_days must not be negative")
	}
	certs, err := list[certificate](ctx, c.Env.State(), collCerts)
	if err != nil {
		return out, err
	}
	for _, ct := range certs {
		v := h.certView(ct)
		if within > 0 && v.DaysLeft > within {
			continue
		}
		out.Certificates = append(out.Certificates, v)
	}
	slices.SortStableFunc(out.Certificates, func(a, b Certificate) int { return a.DaysLeft - b.DaysLeft })
	return out, nil
}

func (h *hosting) renewCertificate(ctx context.Context, c sdk.Call[DomainParams]) (RenewResult, error) {
	st := c.Env.State()
	ct, err := loadCertificate(ctx, st, norm(c.Params.Domain))
	if err != nil {
		return RenewResult{}, err
	}
	prev := ct.Expires
	ct.Expires = h.today().AddDate(0, 0, RenewalDays).Format(dateLayout)
	if err := put(ctx, st, collCerts, ct.Domain, ct); err != nil {
		return RenewResult{}, err
	}
	v := h.certView(ct)
	return RenewResult{Domain: v.Domain, Expires: v.Expires, DaysLeft: v.DaysLeft, PreviousExpires: prev}, nil
}
