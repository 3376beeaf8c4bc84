package e2e

import (
	"bytes"
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"io"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acmpca"
	"github.com/aws/aws-sdk-go-v2/service/acmpca/types"
	"github.com/openpca/openpca/internal/keys"
	"github.com/openpca/openpca/internal/server"
	"github.com/openpca/openpca/internal/store"
	"github.com/openpca/openpca/internal/store/sqlite"
)

// outbox reads the committed outbox rows of a data directory, as the relay will.
func outbox(t *testing.T, dataDir string) []store.Event {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(dataDir, "openpca.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	evs, err := st.ListEvents(context.Background(), 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

var (
	uuidPattern    = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	certArnPattern = regexp.MustCompile(`^/certificate/[0-9a-f]{32}$`)
	timePattern    = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$`)
	seedKeyOrder   = []string{"version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"}
)

// checkSeedShape requires an outbox payload to be exactly the seed's document.
func checkSeedShape(t *testing.T, payload []byte, detailType, account string, resources []string, detail string) {
	t.Helper()
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(payload, &doc); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range doc {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	want := append([]string(nil), seedKeyOrder...)
	sort.Strings(want)
	if strings.Join(keys, ",") != strings.Join(want, ",") {
		t.Fatalf("keys %v, want exactly %v", keys, want)
	}
	last := -1
	for _, k := range seedKeyOrder {
		i := bytes.Index(payload, []byte(`"`+k+`":`))
		if i < last {
			t.Fatalf("key %q out of the seed's order in %s", k, payload)
		}
		last = i
	}
	var ev struct {
		Version, ID, Source, Account, Time, Region string
		DetailType                                 string `json:"detail-type"`
		Resources                                  []string
	}
	json.Unmarshal(payload, &ev)
	if ev.Version != "0" || ev.Source != "aws.acm-pca" || ev.DetailType != detailType || ev.Account != account || ev.Region != region {
		t.Fatalf("event header %+v", ev)
	}
	if !uuidPattern.MatchString(ev.ID) || !timePattern.MatchString(ev.Time) {
		t.Fatalf("id %q time %q", ev.ID, ev.Time)
	}
	if strings.Join(ev.Resources, " ") != strings.Join(resources, " ") {
		t.Fatalf("resources %v, want %v", ev.Resources, resources)
	}
	if string(doc["detail"]) != detail {
		t.Fatalf("detail %s, want %s", doc["detail"], detail)
	}
}

func TestOutboxHoldsSeedEvents(t *testing.T) {
	dir := t.TempDir()
	addr := startInProcess(t, dir)
	c := adminClient(addr)
	ctx := context.Background()
	rootArn, _ := activateRoot(t, c, ecRoot)
	leafArn, leafPEM, _ := issue(t, c, rootArn, leafCSR(t, "ev.internal"), types.SigningAlgorithmSha256withecdsa, leafTemplate, days(2))
	rev := &acmpca.RevokeCertificateInput{CertificateAuthorityArn: aws.String(rootArn),
		CertificateSerial: aws.String(parseCert(t, leafPEM).SerialNumber.Text(16)), RevocationReason: types.RevocationReasonKeyCompromise}
	must[*acmpca.RevokeCertificateOutput](t)(c.RevokeCertificate(ctx, rev))
	_, err := c.RevokeCertificate(ctx, rev) // a repeated revocation emits nothing
	wantAPIError(t, err, "RequestAlreadyProcessedException")

	evs := outbox(t, dir)
	if len(evs) != 4 {
		t.Fatalf("%d outbox rows, want 4 (creation, root issuance, leaf issuance, revocation)", len(evs))
	}
	// The root's own certificate ARN was never returned to the client; take it from the event and check its form.
	var rootIssuance struct{ Resources []string }
	json.Unmarshal(evs[1].Payload, &rootIssuance)
	if len(rootIssuance.Resources) != 2 || !certArnPattern.MatchString(strings.TrimPrefix(rootIssuance.Resources[1], rootArn)) {
		t.Fatalf("root issuance resources %v", rootIssuance.Resources)
	}
	rootCertArn := rootIssuance.Resources[1]
	success := `{"result":"success"}`
	checkSeedShape(t, evs[0].Payload, "ACM Private CA Creation", defaultAcct, []string{rootArn}, success)
	checkSeedShape(t, evs[1].Payload, "ACM Private CA Certificate Issuance", defaultAcct, []string{rootArn, rootCertArn}, success)
	checkSeedShape(t, evs[2].Payload, "ACM Private CA Certificate Issuance", defaultAcct, []string{rootArn, leafArn}, success)
	checkSeedShape(t, evs[3].Payload, "ACM Private CA Certificate Revocation", defaultAcct, []string{rootArn, leafArn}, success)
	for i := 1; i < len(evs); i++ {
		if evs[i].Seq <= evs[i-1].Seq || evs[i].ID == evs[i-1].ID {
			t.Fatal("outbox rows are not in commit order with distinct IDs")
		}
	}
}

// failingKeys is a key backend whose operations fail as an HSM might.
type failingKeys struct {
	keys.Backend
	failCreate, failSign atomic.Bool
}

var errHSM = errors.New("hsm: device unavailable")

func (f *failingKeys) Create(ctx context.Context, alg keys.Algorithm, aad []byte) ([]byte, crypto.Signer, error) {
	if f.failCreate.Load() {
		return nil, nil, errHSM
	}
	return f.Backend.Create(ctx, alg, aad)
}

func (f *failingKeys) Signer(ctx context.Context, handle, aad []byte) (crypto.Signer, error) {
	s, err := f.Backend.Signer(ctx, handle, aad)
	if err != nil || !f.failSign.Load() {
		return s, err
	}
	return failingSigner{s}, nil
}

type failingSigner struct{ crypto.Signer }

func (failingSigner) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) { return nil, errHSM }

func TestFailuresEmitFailureEvents(t *testing.T) {
	dir := t.TempDir()
	software, err := keys.NewSoftware(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	backend := &failingKeys{Backend: software}
	addr := startInProcess(t, dir, server.WithKeyBackend(backend))
	c := adminClient(addr)
	ctx := context.Background()

	rootArn, _ := activateRoot(t, c, ecRoot)

	backend.failSign.Store(true)
	out := must[*acmpca.IssueCertificateOutput](t)(c.IssueCertificate(ctx, &acmpca.IssueCertificateInput{
		CertificateAuthorityArn: aws.String(rootArn), Csr: leafCSR(t, "fail.internal"),
		SigningAlgorithm: types.SigningAlgorithmSha256withecdsa, Validity: ptr(days(1))}))
	_, err = c.GetCertificate(ctx, &acmpca.GetCertificateInput{CertificateAuthorityArn: aws.String(rootArn), CertificateArn: out.CertificateArn})
	wantAPIError(t, err, "RequestFailedException")
	backend.failSign.Store(false)

	backend.failCreate.Store(true)
	failedArn := createCA(t, c, ecRoot)
	backend.failCreate.Store(false)
	ca := describe(t, c, failedArn)
	if ca.Status != types.CertificateAuthorityStatusFailed || ca.FailureReason != types.FailureReasonOther {
		t.Fatalf("CA after key failure: %s %s", ca.Status, ca.FailureReason)
	}
	_, err = c.GetCertificateAuthorityCsr(ctx, &acmpca.GetCertificateAuthorityCsrInput{CertificateAuthorityArn: aws.String(failedArn)})
	wantAPIError(t, err, "RequestFailedException")

	evs := outbox(t, dir)
	if len(evs) != 4 {
		t.Fatalf("%d outbox rows, want 4", len(evs))
	}
	failure := `{"result":"failure"}`
	checkSeedShape(t, evs[2].Payload, "ACM Private CA Certificate Issuance", defaultAcct, []string{rootArn, *out.CertificateArn}, failure)
	checkSeedShape(t, evs[3].Payload, "ACM Private CA Creation", defaultAcct, []string{failedArn}, failure)
}
