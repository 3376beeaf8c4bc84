package pca

import (
	"strings"

	"github.com/openpca/openpca/internal/store"
)

// revocationLinks returns the CRL distribution point and OCSP URL that
// certificates issued by the CA carry, from its revocation configuration.
// Without a CustomCname they point at this server: the CRL at
// BASE/BUCKET/PATH/CA_ID.crl (PATH "crl" unless CustomPath), OCSP at
// BASE/ocsp/CA_ID.
func (s *Service) revocationLinks(ca store.CA) (cdp []string, ocsp string, err error) {
	if len(ca.RevocationJSON) == 0 {
		return nil, "", nil
	}
	var rc RevocationConfiguration
	if err := jsonUnmarshal(ca.RevocationJSON, &rc); err != nil {
		return nil, "", err
	}
	if crl := rc.CrlConfiguration; crl != nil && crl.Enabled &&
		(crl.CrlDistributionPointExtensionConfiguration == nil || !crl.CrlDistributionPointExtensionConfiguration.OmitExtension) {
		path := "crl"
		if crl.CustomPath != nil && strings.Trim(*crl.CustomPath, "/") != "" {
			path = strings.Trim(*crl.CustomPath, "/")
		}
		object := path + "/" + ca.ID + ".crl"
		if crl.CustomCname != nil && *crl.CustomCname != "" {
			cdp = []string{"http://" + strings.TrimSuffix(*crl.CustomCname, "/") + "/" + object}
		} else if crl.S3BucketName != nil {
			cdp = []string{s.baseURL + "/" + *crl.S3BucketName + "/" + object}
		}
	}
	if o := rc.OcspConfiguration; o != nil && o.Enabled {
		if o.OcspCustomCname != nil && *o.OcspCustomCname != "" {
			ocsp = "http://" + strings.TrimSuffix(*o.OcspCustomCname, "/")
		} else {
			ocsp = s.baseURL + "/ocsp/" + ca.ID
		}
	}
	return cdp, ocsp, nil
}
