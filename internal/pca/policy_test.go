package pca

import "testing"

const testCA = "arn:aws:acm-pca:us-east-1:000000000000:certificate-authority/11111111-2222-3333-4444-555555555555"

func TestPolicyEvaluation(t *testing.T) {
	doc := `{"Version":"2012-10-17","Statement":[
		{"Sid":"all","Effect":"Allow","Principal":{"AWS":["111111111111","arn:aws:iam::222222222222:root"]},"Action":"acm-pca:*","Resource":"arn:aws:acm-pca:us-east-1:000000000000:certificate-authority/*"},
		{"Sid":"noRevoke","Effect":"Deny","Principal":{"AWS":"222222222222"},"Action":"acm-pca:GetCertificate","Resource":"` + testCA + `"},
		{"Sid":"leafOnly","Effect":"Allow","Principal":{"AWS":"333333333333"},"Action":["acm-pca:IssueCertificate"],"Resource":"` + testCA + `",
		 "Condition":{"StringLike":{"acm-pca:TemplateArn":"arn:aws:acm-pca:::template/EndEntity*"}}},
		{"Sid":"notSub","Effect":"Allow","Principal":{"AWS":"444444444444"},"Action":"ACM-PCA:ISSUECERTIFICATE","Resource":"*",
		 "Condition":{"StringNotEquals":{"acm-pca:TemplateArn":"arn:aws:acm-pca:::template/SubordinateCACertificate_PathLen0/V1"}}}]}`
	p, err := parsePolicy(doc, testCA)
	if err != nil {
		t.Fatal(err)
	}
	leaf := map[string]string{conditionTemplateArn: "arn:aws:acm-pca:::template/EndEntityCertificate/V1"}
	sub := map[string]string{conditionTemplateArn: "arn:aws:acm-pca:::template/SubordinateCACertificate_PathLen0/V1"}
	cases := []struct {
		name    string
		account string
		action  string
		ctx     map[string]string
		want    bool
	}{
		{"ok/wildcard action", "111111111111", ActionIssueCertificate, leaf, true},
		{"ok/IAM ARN principal", "222222222222", ActionDescribeCertificateAuthority, nil, true},
		{"fail/deny wins", "222222222222", ActionGetCertificate, nil, false},
		{"ok/condition StringLike", "333333333333", ActionIssueCertificate, leaf, true},
		{"fail/condition StringLike", "333333333333", ActionIssueCertificate, sub, false},
		{"fail/condition key absent", "333333333333", ActionIssueCertificate, nil, false},
		{"fail/action not granted", "333333333333", ActionGetCertificate, nil, false},
		{"ok/action case-insensitive, StringNotEquals", "444444444444", ActionIssueCertificate, leaf, true},
		{"fail/StringNotEquals", "444444444444", ActionIssueCertificate, sub, false},
		{"fail/unnamed account", "555555555555", ActionDescribeCertificateAuthority, nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := p.allows(tc.account, tc.action, testCA, tc.ctx); got != tc.want {
				t.Fatalf("allows = %v, want %v", got, tc.want)
			}
		})
	}
	if g := p.grantees(); len(g) != 4 || g[0] != "111111111111" {
		t.Fatalf("grantees %v", g)
	}
}

func TestPolicyRejected(t *testing.T) {
	for name, doc := range map[string]string{
		"not JSON":         `{`,
		"unknown field":    `{"Statement":[],"Bogus":1}`,
		"no statements":    `{"Statement":[]}`,
		"bad effect":       `{"Statement":{"Effect":"Maybe","Principal":{"AWS":"111111111111"},"Action":"acm-pca:*","Resource":"*"}}`,
		"NotAction":        `{"Statement":{"Effect":"Allow","Principal":{"AWS":"111111111111"},"NotAction":"acm-pca:*","Resource":"*"}}`,
		"star principal":   `{"Statement":{"Effect":"Allow","Principal":"*","Action":"acm-pca:*","Resource":"*"}}`,
		"other service":    `{"Statement":{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"s3:*","Resource":"*"}}`,
		"other resource":   `{"Statement":{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"acm-pca:*","Resource":"arn:aws:s3:::bucket"}}`,
		"unknown operator": `{"Statement":{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"acm-pca:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}}`,
		"unknown key":      `{"Statement":{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"acm-pca:*","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpc":"v"}}}}`,
	} {
		if _, err := parsePolicy(doc, testCA); KindOf(err) != InvalidPolicy {
			t.Errorf("%s: got %v, want InvalidPolicyException", name, err)
		}
	}
}

func TestGlobMatch(t *testing.T) {
	for _, c := range []struct {
		pattern, s string
		want       bool
	}{{"*", "", true}, {"a*c", "abbc", true}, {"a*c", "abcd", false}, {"a?c", "abc", true}, {"*/V1", "template/X/V1", true},
		{"a*b*c", "aXbYc", true}, {"a*b*c", "aXcYb", false}, {"", "", true}, {"", "a", false}} {
		if got := globMatch(c.pattern, c.s); got != c.want {
			t.Errorf("globMatch(%q, %q) = %v", c.pattern, c.s, got)
		}
	}
}
