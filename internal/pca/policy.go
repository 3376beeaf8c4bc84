package pca

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Actions that another account can be granted on a CA through its resource
// policy, as AWS Private CA supports for cross-account sharing.
const (
	ActionDescribeCertificateAuthority       = "acm-pca:DescribeCertificateAuthority"
	ActionGetCertificateAuthorityCertificate = "acm-pca:GetCertificateAuthorityCertificate"
	ActionIssueCertificate                   = "acm-pca:IssueCertificate"
	ActionGetCertificate                     = "acm-pca:GetCertificate"
	ActionListPermissions                    = "acm-pca:ListPermissions"
	ActionListTags                           = "acm-pca:ListTags"
)

// Condition keys a policy may test.
const (
	conditionTemplateArn      = "acm-pca:templatearn"
	conditionPrincipalAccount = "aws:principalaccount"
)

// policy is a parsed resource policy. Evaluation follows IAM: an explicit
// Deny wins, otherwise any matching Allow grants, otherwise access is denied.
type policy struct {
	statements []statement
}

type statement struct {
	allow      bool
	accounts   []string
	actions    []string // lower-case globs
	resources  []string
	conditions []condition
}

type condition struct {
	operator string // StringEquals, StringNotEquals, StringLike, StringNotLike
	key      string // lower-case
	values   []string
}

// stringList is IAM's "a string or a list of strings".
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*l = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("expected a string or a list of strings")
	}
	*l = many
	return nil
}

type rawStatement struct {
	Sid          string
	Effect       string
	Principal    json.RawMessage
	NotPrincipal json.RawMessage
	Action       stringList
	NotAction    stringList
	Resource     stringList
	NotResource  stringList
	Condition    map[string]map[string]stringList
}

// parsePolicy validates a policy document for the CA; every problem is an
// InvalidPolicyException naming it. Unsupported IAM features are refused
// rather than ignored, so a policy never grants more than it says.
func parsePolicy(doc, caArn string) (*policy, error) {
	bad := func(format string, args ...any) (*policy, error) {
		return nil, fail(InvalidPolicy, "The policy is not valid: "+format, args...)
	}
	var raw struct {
		Version   string
		Id        string
		Statement json.RawMessage
	}
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return bad("%v", err)
	}
	if raw.Version != "" && raw.Version != "2012-10-17" && raw.Version != "2008-10-17" {
		return bad("unsupported Version %q", raw.Version)
	}
	var rawStatements []rawStatement
	if err := json.Unmarshal(raw.Statement, &rawStatements); err != nil {
		var one rawStatement
		if err := json.Unmarshal(raw.Statement, &one); err != nil {
			return bad("Statement must be an object or a list of objects")
		}
		rawStatements = []rawStatement{one}
	}
	if len(rawStatements) == 0 {
		return bad("the policy has no statements")
	}
	p := &policy{}
	for i, rs := range rawStatements {
		where := fmt.Sprintf("statement %d", i+1)
		if rs.Sid != "" {
			where = fmt.Sprintf("statement %q", rs.Sid)
		}
		if len(rs.NotPrincipal) > 0 || len(rs.NotAction) > 0 || len(rs.NotResource) > 0 {
			return bad("%s: NotPrincipal, NotAction and NotResource are not supported", where)
		}
		var st statement
		switch rs.Effect {
		case "Allow":
			st.allow = true
		case "Deny":
		default:
			return bad("%s: Effect must be Allow or Deny", where)
		}
		accounts, err := principalAccounts(rs.Principal)
		if err != nil {
			return bad("%s: %v", where, err)
		}
		st.accounts = accounts
		if len(rs.Action) == 0 {
			return bad("%s: Action is required", where)
		}
		for _, a := range rs.Action {
			la := strings.ToLower(a)
			if la != "*" && !strings.HasPrefix(la, "acm-pca:") {
				return bad("%s: action %q is not an acm-pca action", where, a)
			}
			st.actions = append(st.actions, la)
		}
		if len(rs.Resource) == 0 {
			return bad("%s: Resource is required", where)
		}
		for _, r := range rs.Resource {
			if !globMatch(r, caArn) {
				return bad("%s: resource %q does not match this certificate authority", where, r)
			}
			st.resources = append(st.resources, r)
		}
		for op, keys := range rs.Condition {
			switch op {
			case "StringEquals", "StringNotEquals", "StringLike", "StringNotLike":
			default:
				return bad("%s: condition operator %q is not supported", where, op)
			}
			for key, values := range keys {
				lk := strings.ToLower(key)
				if lk != conditionTemplateArn && lk != conditionPrincipalAccount {
					return bad("%s: condition key %q is not supported", where, key)
				}
				st.conditions = append(st.conditions, condition{operator: op, key: lk, values: values})
			}
		}
		p.statements = append(p.statements, st)
	}
	return p, nil
}

// principalAccounts reads {"AWS": "123456789012" | "arn:aws:iam::123456789012:root" | [...]}.
func principalAccounts(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 {
		return nil, fmt.Errorf("Principal is required")
	}
	var p struct{ AWS stringList }
	if err := json.Unmarshal(raw, &p); err != nil || len(p.AWS) == 0 {
		return nil, fmt.Errorf("Principal must be {\"AWS\": account IDs or IAM ARNs}")
	}
	var out []string
	for _, v := range p.AWS {
		acct := v
		if rest, ok := strings.CutPrefix(v, "arn:aws:iam::"); ok {
			acct, _, _ = strings.Cut(rest, ":")
		}
		if !isAccountID(acct) {
			return nil, fmt.Errorf("principal %q is not an account ID or an IAM ARN of one", v)
		}
		out = append(out, acct)
	}
	return out, nil
}

// grantees lists the accounts that Allow statements name.
func (p *policy) grantees() []string {
	set := map[string]bool{}
	for _, st := range p.statements {
		if st.allow {
			for _, a := range st.accounts {
				set[a] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for a := range set {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// allows evaluates the policy for one request.
func (p *policy) allows(account, action, resource string, context map[string]string) bool {
	allowed := false
	for _, st := range p.statements {
		if !st.matches(account, strings.ToLower(action), resource, context) {
			continue
		}
		if !st.allow {
			return false
		}
		allowed = true
	}
	return allowed
}

func (st statement) matches(account, action, resource string, context map[string]string) bool {
	return containsString(st.accounts, account) && matchAny(st.actions, action) && matchAny(st.resources, resource) &&
		st.conditionsHold(context)
}

func (st statement) conditionsHold(context map[string]string) bool {
	for _, c := range st.conditions {
		value, present := context[c.key]
		hit := false
		for _, want := range c.values {
			switch c.operator {
			case "StringEquals", "StringNotEquals":
				hit = hit || value == want
			default:
				hit = hit || globMatch(want, value)
			}
		}
		negated := strings.HasPrefix(c.operator, "StringNot")
		if !present || hit == negated {
			return false
		}
	}
	return true
}

func matchAny(globs []string, value string) bool {
	for _, g := range globs {
		if globMatch(g, value) {
			return true
		}
	}
	return false
}

func containsString(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

// globMatch is IAM's wildcard match: * is any run of characters (including
// "/"), ? is any one character.
func globMatch(pattern, s string) bool {
	px, sx := 0, 0
	starPx, starSx := -1, 0
	for sx < len(s) {
		switch {
		case px < len(pattern) && (pattern[px] == '?' || pattern[px] == s[sx]):
			px++
			sx++
		case px < len(pattern) && pattern[px] == '*':
			starPx, starSx = px, sx
			px++
		case starPx >= 0:
			starSx++
			px, sx = starPx+1, starSx
		default:
			return false
		}
	}
	for px < len(pattern) && pattern[px] == '*' {
		px++
	}
	return px == len(pattern)
}
