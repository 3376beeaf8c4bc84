package pattern

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// ruleEvent is the sample event of the aws/event-ruler README ("Ruler by
// Example"), which the EventBridge content-filtering examples also use.
const ruleEvent = `{
  "version": "0",
  "id": "ddddd4-aaaa-7777-4444-345dd43cc333",
  "detail-type": "EC2 Instance State-change Notification",
  "source": "aws.ec2",
  "account": "012345679012",
  "time": "2017-10-02T16:24:49Z",
  "region": "us-east-1",
  "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],
  "detail": {
    "c-count": 5,
    "d-count": 3,
    "x-limit": 301.8,
    "source-ip": "10.0.0.33",
    "instance-id": "i-000000aaaaaa00000",
    "state": "running"
  }
}`

// pcaEvent is what this server publishes when a certificate is issued.
const pcaEvent = `{"version":"0","id":"7bf73129-1428-4cd3-a780-95db273d1602","detail-type":"ACM Private CA Certificate Issuance","source":"aws.acm-pca","account":"123456789012","time":"2019-11-04T19:14:56Z","region":"us-east-1","resources":["arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/11111111-1111-1111-1111-111111111111","arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/11111111-1111-1111-1111-111111111111/certificate/7a4a68c8ea5ba3d67ff5e8b9b0ffee66"],"detail":{"result":"success"}}`

type conformanceCase struct {
	name    string
	pattern string
	event   string
	want    bool
}

// d builds a small event with the given detail object.
func d(detail string) string {
	return `{"source":"test","detail":` + detail + `}`
}

var conformance = []conformanceCase{
	// EventBridge User Guide, "Amazon EventBridge event patterns" and "Event
	// pattern syntax": fields AND together, values in a list OR together,
	// fields not named in the pattern are ignored, nesting must agree.
	{"syntax/ec2 example", `{"source":["aws.ec2"],"detail-type":["EC2 Instance State-change Notification"],"detail":{"state":["running"]}}`, ruleEvent, true},
	{"syntax/one field differs", `{"source":["aws.ec2"],"detail":{"state":["terminated"]}}`, ruleEvent, false},
	{"syntax/any of the listed values", `{"source":["aws.ec2","aws.fargate"]}`, ruleEvent, true},
	{"syntax/none of the listed values", `{"source":["aws.s3","aws.fargate"]}`, ruleEvent, false},
	{"syntax/field missing from event", `{"detail":{"color":["red"]}}`, ruleEvent, false},
	{"syntax/nesting must agree", `{"state":["running"]}`, ruleEvent, false},
	{"syntax/values are case sensitive", `{"source":["AWS.EC2"]}`, ruleEvent, false},
	{"syntax/pca issuance rule", `{"source":["aws.acm-pca"],"detail-type":["ACM Private CA Certificate Issuance"]}`, pcaEvent, true},
	{"syntax/pca result", `{"detail":{"result":["success"]}}`, pcaEvent, true},
	{"syntax/pca result failure", `{"detail":{"result":["failure"]}}`, pcaEvent, false},

	// "Arrays in Amazon EventBridge event patterns": with an array in the
	// event, the pattern matches if the two arrays intersect.
	{"arrays/doc intersection", `{"resources":["arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f","arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f","arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f"]}`,
		`{"resources":["arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate","arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f"]}`, true},
	{"arrays/no intersection", `{"resources":["arn:x","arn:y"]}`, `{"resources":["arn:a","arn:b"]}`, false},
	{"arrays/pca resources prefix", `{"resources":[{"prefix":"arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/11111111-1111-1111-1111-111111111111/certificate/"}]}`, pcaEvent, true},
	{"arrays/empty event array matches nothing", `{"resources":["arn:a"]}`, `{"resources":[]}`, false},
	{"arrays/numbers in event array", `{"detail":{"ports":[443]}}`, d(`{"ports":[80,443]}`), true},
	{"arrays/nested arrays are crushed", `{"detail":{"tags":["b"]}}`, d(`{"tags":[["a"],["b","c"]]}`), true},
	// event-ruler README, "JSON Array Matching": fields of one object
	// pattern must come from the same array element.
	{"arrays/objects: same element", `{"employees":{"firstName":["Anna"],"lastName":["Smith"]}}`, `{"employees":[{"firstName":"John","lastName":"Doe"},{"firstName":"Anna","lastName":"Smith"},{"firstName":"Peter","lastName":"Jones"}]}`, true},
	{"arrays/objects: different elements", `{"employees":{"firstName":["Anna"],"lastName":["Jones"]}}`, `{"employees":[{"firstName":"John","lastName":"Doe"},{"firstName":"Anna","lastName":"Smith"},{"firstName":"Peter","lastName":"Jones"}]}`, false},
	{"arrays/objects: multi-level", `{"employees":{"firstName":["Peter"]}}`, `{"employees":[[{"firstName":"John"},{"firstName":"Anna"}],[{"firstName":"Peter"}]]}`, true},
	{"arrays/objects: deeper consistency", `{"a":{"b":{"c":[1],"d":[2]}}}`, `{"a":[{"b":[{"c":1},{"d":2}]},{"b":{"c":1,"d":2}}]}`, true},
	{"arrays/objects: deeper inconsistency", `{"a":{"b":{"c":[1],"d":[2]}}}`, `{"a":[{"b":[{"c":1},{"d":2}]},{"b":{"c":1}}]}`, false},

	// "Matching null values and empty strings in Amazon EventBridge event
	// patterns".
	{"null/null value", `{"detail":{"responseElements":[null]}}`, `{"detail":{"eventVersion":"","responseElements":null}}`, true},
	{"null/empty string", `{"detail":{"eventVersion":[""]}}`, `{"detail":{"eventVersion":"","responseElements":null}}`, true},
	{"null/null is not a missing field", `{"detail":{"other":[null]}}`, `{"detail":{"eventVersion":"","responseElements":null}}`, false},
	{"null/null is not the empty string", `{"detail":{"responseElements":[""]}}`, `{"detail":{"eventVersion":"","responseElements":null}}`, false},
	{"null/booleans", `{"detail":{"enabled":[true]}}`, d(`{"enabled":true}`), true},
	{"null/boolean is not its string", `{"detail":{"enabled":["true"]}}`, d(`{"enabled":true}`), false},

	// "Comparison operators for use in event patterns", "Prefix matching".
	{"prefix/doc time", `{"time":[{"prefix":"2017-10-02"}]}`, ruleEvent, true},
	{"prefix/no", `{"time":[{"prefix":"2017-10-03"}]}`, ruleEvent, false},
	{"prefix/strings only", `{"detail":{"c-count":[{"prefix":"5"}]}}`, ruleEvent, false},
	// "Prefix matching while ignoring case".
	{"prefix ignore case/doc", `{"service":[{"prefix":{"equals-ignore-case":"EventB"}}]}`, `{"service":"eventbridge"}`, true},
	{"prefix ignore case/upper", `{"service":[{"prefix":{"equals-ignore-case":"EventB"}}]}`, `{"service":"EVENTBRIDGE"}`, true},
	{"prefix ignore case/no", `{"service":[{"prefix":{"equals-ignore-case":"EventB"}}]}`, `{"service":"SNS"}`, false},

	// "Suffix matching" and "Suffix matching while ignoring case".
	{"suffix/doc png", `{"FileName":[{"suffix":".png"}]}`, `{"FileName":"image.png"}`, true},
	{"suffix/no", `{"FileName":[{"suffix":".png"}]}`, `{"FileName":"image.jpg"}`, false},
	{"suffix ignore case/doc", `{"FileName":[{"suffix":{"equals-ignore-case":".png"}}]}`, `{"FileName":"image.PNG"}`, true},
	{"suffix ignore case/mixed", `{"FileName":[{"suffix":{"equals-ignore-case":".png"}}]}`, `{"FileName":"image.Png"}`, true},
	{"suffix ignore case/no", `{"FileName":[{"suffix":{"equals-ignore-case":".png"}}]}`, `{"FileName":"image.gif"}`, false},

	// "Anything-but matching".
	{"anything-but/doc string", `{"detail":{"state":[{"anything-but":"initializing"}]}}`, ruleEvent, true},
	{"anything-but/doc string excluded", `{"detail":{"state":[{"anything-but":"running"}]}}`, ruleEvent, false},
	{"anything-but/doc number", `{"detail":{"x-limit":[{"anything-but":123}]}}`, ruleEvent, true},
	{"anything-but/doc number excluded", `{"detail":{"x-limit":[{"anything-but":301.8}]}}`, ruleEvent, false},
	{"anything-but/doc string list", `{"detail":{"state":[{"anything-but":["stopped","overloaded"]}]}}`, ruleEvent, true},
	{"anything-but/doc string list excluded", `{"detail":{"state":[{"anything-but":["stopped","running"]}]}}`, ruleEvent, false},
	{"anything-but/doc number list", `{"detail":{"x-limit":[{"anything-but":[100,200,300]}]}}`, ruleEvent, true},
	{"anything-but/doc number list excluded", `{"detail":{"c-count":[{"anything-but":[4,5,6]}]}}`, ruleEvent, false},
	{"anything-but/missing field does not match", `{"detail":{"color":[{"anything-but":"red"}]}}`, ruleEvent, false},
	{"anything-but/numbers: 123.0 is 123", `{"detail":{"n":[{"anything-but":123}]}}`, d(`{"n":123.0}`), false},
	{"anything-but/numbers: strings are not excluded", `{"detail":{"n":[{"anything-but":123}]}}`, d(`{"n":"123"}`), true},
	{"anything-but/numbers: array with another value", `{"detail":{"price":[{"anything-but":[100,500]}]}}`, d(`{"price":[100,50]}`), true},
	{"anything-but/numbers: array of excluded values", `{"detail":{"price":[{"anything-but":[100,500]}]}}`, d(`{"price":[100,500.0]}`), false},
	{"anything-but/strings: number passes", `{"detail":{"n":[{"anything-but":"5"}]}}`, d(`{"n":5}`), true},
	{"anything-but/null passes", `{"detail":{"n":[{"anything-but":"x"}]}}`, d(`{"n":null}`), true},
	// "Anything-but matching on prefixes / suffixes / ignoring case / using
	// wildcards".
	{"anything-but prefix/doc", `{"detail":{"state":[{"anything-but":{"prefix":"init"}}]}}`, ruleEvent, true},
	{"anything-but prefix/excluded", `{"detail":{"state":[{"anything-but":{"prefix":"run"}}]}}`, ruleEvent, false},
	{"anything-but prefix/list", `{"Region":[{"anything-but":{"prefix":["us-","eu-"]}}]}`, `{"Region":"eu-west-1"}`, false},
	{"anything-but suffix/doc", `{"FileName":[{"anything-but":{"suffix":".txt"}}]}`, `{"FileName":"notes.md"}`, true},
	{"anything-but suffix/excluded", `{"FileName":[{"anything-but":{"suffix":".txt"}}]}`, `{"FileName":"notes.txt"}`, false},
	{"anything-but ignore case/doc", `{"detail":{"state":[{"anything-but":{"equals-ignore-case":["Stopped","OverLoaded"]}}]}}`, d(`{"state":"stopped"}`), false},
	{"anything-but ignore case/other", `{"detail":{"state":[{"anything-but":{"equals-ignore-case":["Stopped","OverLoaded"]}}]}}`, d(`{"state":"running"}`), true},
	{"anything-but ignore case/single", `{"detail":{"state":[{"anything-but":{"equals-ignore-case":"initializing"}}]}}`, d(`{"state":"INITIALIZING"}`), false},
	{"anything-but wildcard/doc", `{"FilePath":[{"anything-but":{"wildcard":"*/lib/*"}}]}`, `{"FilePath":"/usr/lib/libc.so"}`, false},
	{"anything-but wildcard/other", `{"FilePath":[{"anything-but":{"wildcard":"*/lib/*"}}]}`, `{"FilePath":"/usr/bin/env"}`, true},
	{"anything-but wildcard/list", `{"FilePath":[{"anything-but":{"wildcard":["*/lib/*","*/bin/*"]}}]}`, `{"FilePath":"/usr/bin/env"}`, false},

	// "Numeric matching" (and event-ruler README, "Numeric matching").
	{"numeric/doc example", `{"detail":{"c-count":[{"numeric":[">",0,"<=",5]}],"d-count":[{"numeric":["<",10]}],"x-limit":[{"numeric":["=",3.018e2]}]}}`, ruleEvent, true},
	{"numeric/open top excludes", `{"detail":{"c-count":[{"numeric":[">",0,"<",5]}]}}`, ruleEvent, false},
	{"numeric/>= includes", `{"detail":{"c-count":[{"numeric":[">=",5]}]}}`, ruleEvent, true},
	{"numeric/> excludes", `{"detail":{"c-count":[{"numeric":[">",5]}]}}`, ruleEvent, false},
	{"numeric/<= includes", `{"detail":{"d-count":[{"numeric":["<=",3]}]}}`, ruleEvent, true},
	{"numeric/negative", `{"detail":{"t":[{"numeric":[">=",-10.5,"<",0]}]}}`, d(`{"t":-10.5}`), true},
	{"numeric/six decimals", `{"detail":{"t":[{"numeric":[">",0.000001]}]}}`, d(`{"t":0.000002}`), true},
	{"numeric/strings never match", `{"detail":{"t":[{"numeric":[">",0]}]}}`, d(`{"t":"5"}`), false},
	{"numeric/array element", `{"detail":{"t":[{"numeric":[">",10]}]}}`, d(`{"t":[1,2,30]}`), true},
	{"numeric/too precise event value", `{"detail":{"t":[{"numeric":[">",0]}]}}`, d(`{"t":1.0000001}`), false},
	{"numeric/out of range event value", `{"detail":{"t":[{"numeric":[">",0]}]}}`, d(`{"t":6e9}`), false},
	{"numeric/range edge 5e9", `{"detail":{"t":[{"numeric":[">",0]}]}}`, d(`{"t":5e9}`), true},

	// Numbers in exact matching: event-ruler adds a numeric-equality matcher
	// next to the literal one, so equal values match in any spelling while
	// they are comparable; beyond that only the text is compared.
	{"5 vs 5.0/pattern 5 event 5.0", `{"detail":{"n":[5]}}`, d(`{"n":5.0}`), true},
	{"5 vs 5.0/pattern 5.0 event 5", `{"detail":{"n":[5.0]}}`, d(`{"n":5}`), true},
	{"5 vs 5.0/exponent", `{"detail":{"n":[5]}}`, d(`{"n":500e-2}`), true},
	{"5 vs 5.0/doc 3.018e2", `{"detail":{"x-limit":[3.018e2]}}`, ruleEvent, true},
	{"5 vs 5.0/number is not a string", `{"detail":{"n":[5]}}`, d(`{"n":"5"}`), false},
	{"5 vs 5.0/string is not a number", `{"detail":{"n":["5"]}}`, d(`{"n":5}`), false},
	{"5 vs 5.0/negative zero", `{"detail":{"n":[0]}}`, d(`{"n":-0.0}`), true},
	{"5 vs 5.0/account number by text", `{"account":[123456789012]}`, `{"account":123456789012}`, true},
	{"5 vs 5.0/large numbers are text", `{"account":[123456789012]}`, `{"account":123456789012.0}`, false},
	{"5 vs 5.0/too precise are text", `{"detail":{"n":[0.10000001]}}`, d(`{"n":0.100000010}`), false},
	{"5 vs 5.0/numeric = 5.000", `{"detail":{"n":[{"numeric":["=",5]}]}}`, d(`{"n":5.000}`), true},

	// "IP address matching".
	{"cidr/doc ipv4", `{"detail":{"source-ip":[{"cidr":"10.0.0.0/24"}]}}`, ruleEvent, true},
	{"cidr/ipv4 outside", `{"detail":{"source-ip":[{"cidr":"10.0.1.0/24"}]}}`, ruleEvent, false},
	{"cidr/ipv4 /8", `{"detail":{"source-ip":[{"cidr":"10.0.0.0/8"}]}}`, ruleEvent, true},
	{"cidr/host bits are masked", `{"detail":{"source-ip":[{"cidr":"10.0.0.200/24"}]}}`, ruleEvent, true},
	{"cidr/ipv6", `{"sourceIPAddress":[{"cidr":"2001:db8::/64"}]}`, `{"sourceIPAddress":"2001:db8::1"}`, true},
	{"cidr/ipv6 outside", `{"sourceIPAddress":[{"cidr":"2001:db8::/64"}]}`, `{"sourceIPAddress":"2001:db9::1"}`, false},
	{"cidr/ipv4 pattern ipv6 value", `{"ip":[{"cidr":"0.0.0.0/0"}]}`, `{"ip":"::1"}`, false},
	{"cidr/not an address", `{"ip":[{"cidr":"10.0.0.0/8"}]}`, `{"ip":"10.0.0.x"}`, false},
	{"cidr/plain address any spelling", `{"ip":["2001:db8::1"]}`, `{"ip":"2001:0db8:0:0:0:0:0:1"}`, true},

	// "Exists matching", including the README's note that exists only
	// looks at leaves.
	{"exists/doc true", `{"detail":{"c-count":[{"exists":true}]}}`, ruleEvent, true},
	{"exists/doc false", `{"detail":{"c-count":[{"exists":false}]}}`, ruleEvent, false},
	{"exists/false on missing", `{"detail":{"color":[{"exists":false}]}}`, ruleEvent, true},
	{"exists/true on missing", `{"detail":{"color":[{"exists":true}]}}`, ruleEvent, false},
	{"exists/false on intermediate node", `{"detail":{"c-count":[{"exists":false}]}}`, d(`{"c-count":{"c1":100}}`), true},
	{"exists/true on intermediate node", `{"detail":{"c-count":[{"exists":true}]}}`, d(`{"c-count":{"c1":100}}`), false},
	{"exists/true on null", `{"detail":{"v":[{"exists":true}]}}`, d(`{"v":null}`), true},
	{"exists/false on null", `{"detail":{"v":[{"exists":false}]}}`, d(`{"v":null}`), false},
	{"exists/false on empty array", `{"detail":{"v":[{"exists":false}]}}`, d(`{"v":[]}`), true},
	{"exists/true on array", `{"detail":{"v":[{"exists":true}]}}`, d(`{"v":[1]}`), true},
	{"exists/false under missing parent", `{"detail":{"a":{"b":[{"exists":false}]}}}`, `{"source":"x"}`, true},
	{"exists/false: no element has it", `{"a":{"b":[{"exists":false}]}}`, `{"a":[{"c":1},{"c":2}]}`, true},
	{"exists/false: one element has it", `{"a":{"b":[{"exists":false}]}}`, `{"a":[{"c":1},{"b":2}]}`, false},
	{"exists/false with positive, same element", `{"a":{"c":[1],"b":[{"exists":false}]}}`, `{"a":[{"c":1},{"b":2}]}`, true},
	{"exists/false with positive, element has it", `{"a":{"c":[1],"b":[{"exists":false}]}}`, `{"a":[{"c":1,"b":2},{"c":2}]}`, false},
	{"exists/false or value", `{"detail":{"v":[{"exists":false},"x"]}}`, d(`{"v":"x"}`), true},

	// "Equals-ignore-case matching".
	{"ignore case/doc", `{"detail-type":[{"equals-ignore-case":"ec2 instance state-change notification"}]}`, ruleEvent, true},
	{"ignore case/different text", `{"detail-type":[{"equals-ignore-case":"ec2 instance state notification"}]}`, ruleEvent, false},
	{"ignore case/readme EC2", `{"source":[{"equals-ignore-case":"AWS.EC2"}]}`, ruleEvent, true},
	{"ignore case/strings only", `{"detail":{"c-count":[{"equals-ignore-case":"5"}]}}`, ruleEvent, false},
	// Non-ASCII case folding follows Java's full mappings.
	{"case folding/ß upper is SS", `{"w":[{"equals-ignore-case":"ß"}]}`, `{"w":"SS"}`, true},
	{"case folding/ß is not ss", `{"w":[{"equals-ignore-case":"ß"}]}`, `{"w":"ss"}`, false},
	{"case folding/Straße", `{"w":[{"equals-ignore-case":"Straße"}]}`, `{"w":"STRASSE"}`, true},
	{"case folding/straße", `{"w":[{"equals-ignore-case":"Straße"}]}`, `{"w":"straße"}`, true},
	{"case folding/strasse", `{"w":[{"equals-ignore-case":"Straße"}]}`, `{"w":"strasse"}`, false},
	{"case folding/cyrillic", `{"w":[{"equals-ignore-case":"Привет"}]}`, `{"w":"пРИВЕТ"}`, true},
	{"case folding/greek", `{"w":[{"equals-ignore-case":"ΟΔΥΣΣΕΥΣ"}]}`, `{"w":"οδυσσευσ"}`, true},
	{"case folding/dotted I", `{"w":[{"equals-ignore-case":"İstanbul"}]}`, `{"w":"i̇stanbul"}`, true},
	{"case folding/dotted I is not i", `{"w":[{"equals-ignore-case":"İstanbul"}]}`, `{"w":"istanbul"}`, false},
	{"case folding/kelvin sign", `{"w":[{"equals-ignore-case":"\u212a"}]}`, `{"w":"k"}`, true},
	{"case folding/titlecase itself", `{"w":[{"equals-ignore-case":"ǅ"}]}`, `{"w":"ǅ"}`, true},
	{"case folding/deseret", `{"w":[{"equals-ignore-case":"𐐀"}]}`, `{"w":"𐐨"}`, true},
	{"case folding/prefix", `{"w":[{"prefix":{"equals-ignore-case":"STRASS"}}]}`, `{"w":"strasse 5"}`, true},
	{"case folding/suffix ß", `{"w":[{"suffix":{"equals-ignore-case":"ße"}}]}`, `{"w":"STRASSE"}`, true},
	{"case folding/suffix no", `{"w":[{"suffix":{"equals-ignore-case":"SSE"}}]}`, `{"w":"Straße"}`, false},

	// "Wildcard matching".
	{"wildcard/doc event bus arn", `{"EventBusArn":[{"wildcard":"arn:aws:events:us-east-1:*:event-bus/*"}]}`, `{"EventBusArn":"arn:aws:events:us-east-1:123456789012:event-bus/myEventBus"}`, true},
	{"wildcard/doc other region", `{"EventBusArn":[{"wildcard":"arn:aws:events:us-east-1:*:event-bus/*"}]}`, `{"EventBusArn":"arn:aws:events:us-west-2:123456789012:event-bus/myEventBus"}`, false},
	{"wildcard/doc dir png", `{"FileName":[{"wildcard":"dir/*.png"}]}`, `{"FileName":"dir/a/b.png"}`, true},
	{"wildcard/readme Simple*Service", `{"source":[{"wildcard":"Simple*Service"}]}`, `{"source":"SimpleNotificationService"}`, true},
	{"wildcard/star matches empty", `{"source":[{"wildcard":"Simple*Service"}]}`, `{"source":"SimpleService"}`, true},
	{"wildcard/lone star", `{"v":[{"wildcard":"*"}]}`, `{"v":""}`, true},
	{"wildcard/strings only", `{"v":[{"wildcard":"*"}]}`, `{"v":5}`, false},
	{"wildcard/no overlap of prefix and suffix", `{"v":[{"wildcard":"ab*ba"}]}`, `{"v":"aba"}`, false},
	{"wildcard/escaped star is literal", `{"v":[{"wildcard":"a\\*b"}]}`, `{"v":"a*b"}`, true},
	{"wildcard/escaped star is not a wildcard", `{"v":[{"wildcard":"a\\*b"}]}`, `{"v":"axb"}`, false},
	{"wildcard/escaped backslash", `{"v":[{"wildcard":"C:\\\\*"}]}`, `{"v":"C:\\Windows"}`, true},
	{"wildcard/escaped star then star", `{"v":[{"wildcard":"\\**"}]}`, `{"v":"*anything"}`, true},
	{"wildcard/repeats", `{"v":[{"wildcard":"*ab*ab*"}]}`, `{"v":"xxabyyab"}`, true},

	// "Complex example with multiple matching" (README "Complex example").
	{"complex/readme", `{"time":[{"prefix":"2017-10-02"}],"detail":{"state":[{"anything-but":"initializing"}],"c-count":[{"numeric":[">",0,"<=",5]}],"d-count":[{"numeric":["<",10]}],"x-limit":[{"anything-but":[100,200,300]}],"source-ip":[{"cidr":"10.0.0.0/8"}]}}`, ruleEvent, true},
	{"complex/readme one miss", `{"time":[{"prefix":"2017-10-02"}],"detail":{"state":[{"anything-but":"running"}],"c-count":[{"numeric":[">",0,"<=",5]}]}}`, ruleEvent, false},

	// "Complex example with $or matching" and the README's "$or" section.
	{"$or/doc detail", `{"detail":{"$or":[{"c-count":[{"numeric":[">",0,"<=",5]}]},{"d-count":[{"numeric":["<",10]}]},{"x-limit":[{"numeric":["=",3.018e2]}]}]}}`, d(`{"d-count":3}`), true},
	{"$or/doc detail none", `{"detail":{"$or":[{"c-count":[{"numeric":[">",0,"<=",5]}]},{"d-count":[{"numeric":["<",10]}]}]}}`, d(`{"c-count":9,"d-count":30}`), false},
	{"$or/normal", `{"source":["aws.cloudwatch"],"$or":[{"metricName":["CPUUtilization","ReadLatency"]},{"namespace":["AWS/EC2","AWS/ES"]}]}`, `{"source":"aws.cloudwatch","namespace":"AWS/ES"}`, true},
	{"$or/normal and fails", `{"source":["aws.cloudwatch"],"$or":[{"metricName":["CPUUtilization","ReadLatency"]},{"namespace":["AWS/EC2","AWS/ES"]}]}`, `{"source":"aws.s3","namespace":"AWS/ES"}`, false},
	{"$or/parallel", `{"$or":[{"metricName":["CPUUtilization"]},{"namespace":["AWS/EC2"]}],"detail":{"$or":[{"source":["aws.cloudwatch"]},{"detail-type":["CloudWatch Alarm State Change"]}]}}`, `{"namespace":"AWS/EC2","detail":{"detail-type":"CloudWatch Alarm State Change"}}`, true},
	{"$or/parallel second fails", `{"$or":[{"metricName":["CPUUtilization"]},{"namespace":["AWS/EC2"]}],"detail":{"$or":[{"source":["aws.cloudwatch"]},{"detail-type":["CloudWatch Alarm State Change"]}]}}`, `{"namespace":"AWS/EC2","detail":{"source":"aws.s3"}}`, false},
	{"$or/and inside", `{"source":["aws.cloudwatch"],"$or":[{"metricName":["CPUUtilization"]},{"metricType":["MetricType"],"namespace":["AWS/EC2"]},{"scope":["Service"]}]}`, `{"source":"aws.cloudwatch","metricType":"MetricType","namespace":"AWS/EC2"}`, true},
	{"$or/and inside partial", `{"source":["aws.cloudwatch"],"$or":[{"metricName":["CPUUtilization"]},{"metricType":["MetricType"],"namespace":["AWS/EC2"]},{"scope":["Service"]}]}`, `{"source":"aws.cloudwatch","metricType":"MetricType","namespace":"AWS/ES"}`, false},
	{"$or/nested", `{"source":["aws.cloudwatch"],"$or":[{"metricName":["CPUUtilization"]},{"metricType":["MetricType"],"namespace":["AWS/EC2"],"$or":[{"metricId":[1234]},{"spaceId":[1000]}]},{"scope":["Service"]}]}`, `{"source":"aws.cloudwatch","metricType":"MetricType","namespace":"AWS/EC2","spaceId":1000}`, true},
	{"$or/nested inner fails", `{"source":["aws.cloudwatch"],"$or":[{"metricName":["CPUUtilization"]},{"metricType":["MetricType"],"namespace":["AWS/EC2"],"$or":[{"metricId":[1234]},{"spaceId":[1000]}]},{"scope":["Service"]}]}`, `{"source":"aws.cloudwatch","metricType":"MetricType","namespace":"AWS/EC2","spaceId":1001}`, false},
	{"$or/with exists false", `{"$or":[{"a":[{"exists":false}]},{"b":["x"]}]}`, `{"c":1}`, true},
	{"$or/branches share an array element", `{"d":{"x":[1]},"$or":[{"d":{"y":[2]}},{"z":[3]}]}`, `{"d":[{"x":1},{"y":2}]}`, false},
	{"$or/branches share an array element, same one", `{"d":{"x":[1]},"$or":[{"d":{"y":[2]}},{"z":[3]}]}`, `{"d":[{"x":1,"y":2},{"y":5}]}`, true},
	{"$or/other branch needs no element", `{"d":{"x":[1]},"$or":[{"d":{"y":[2]}},{"z":[3]}]}`, `{"d":[{"x":1},{"y":2}],"z":3}`, true},
	// Regressions found by TestOracleRandom: a key that is both a leaf and
	// an object keeps its leaf when merged into $or branches, and the two
	// sides of such a key meeting a mixed array use different elements.
	{"$or/merged key keeps its leaf", `{"b":[1],"b":{"q":[{"exists":false}]},"$or":[{"b":{"r":[{"exists":false}]}},{"z":[1]}]}`, `{"b":2}`, false},
	{"$or/merged key keeps its leaf, match", `{"b":[1],"b":{"q":[{"exists":false}]},"$or":[{"b":{"r":[{"exists":false}]}},{"z":[1]}]}`, `{"b":1}`, true},
	{"$or/leaf and object of one key need one element", `{"c":{"c":[{"anything-but":"1"}]},"$or":[{"c":[{"exists":true}]},{"z":[1]}]}`, `{"c":[{"c":1},5]}`, false},
	{"arrays/leaf and object of one key", `{"c":[5],"c":{"d":[1]}}`, `{"c":[5,{"d":1}]}`, false},
	{"arrays/leaf and absent object field", `{"c":[5],"c":{"d":[{"exists":false}]}}`, `{"c":[5,{"d":1}]}`, true},
}

func TestConformance(t *testing.T) {
	if len(conformance) < 60 {
		t.Fatalf("only %d conformance cases", len(conformance))
	}
	for _, tc := range conformance {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Compile([]byte(tc.pattern))
			if err != nil {
				t.Fatalf("Compile(%s): %v", tc.pattern, err)
			}
			got, err := p.MatchJSON([]byte(tc.event))
			if err != nil {
				t.Fatalf("MatchJSON: %v", err)
			}
			if got != tc.want {
				t.Errorf("pattern %s\nevent %s\ngot %v, want %v", tc.pattern, tc.event, got, tc.want)
			}
		})
	}
}

type invalidCase struct {
	name    string
	pattern string
	reason  string // a fragment the message must contain
}

var invalid = []invalidCase{
	{"not JSON", `{"source": [`, "invalid JSON"},
	{"garbage", `source=aws.ec2`, "invalid JSON"},
	{"trailing data", `{"a":["x"]} {}`, "invalid JSON"},
	{"empty input", ``, "invalid JSON"},
	{"not an object: array", `["aws.ec2"]`, "Filter is not an object"},
	{"not an object: string", `"aws.ec2"`, "Filter is not an object"},
	{"not an object: null", `null`, "Filter is not an object"},
	{"empty pattern", `{}`, "Empty objects are not allowed"},
	{"empty nested object", `{"detail":{}}`, "Empty objects are not allowed"},
	{"leaf is a string", `{"source":"aws.ec2"}`, `"source" must be an object or an array`},
	{"leaf is a number", `{"detail":{"n":5}}`, `"n" must be an object or an array`},
	{"leaf is null", `{"detail":{"n":null}}`, `"n" must be an object or an array`},
	{"empty leaf array", `{"source":[]}`, "Empty arrays are not allowed"},
	{"nested array value", `{"source":[["aws.ec2"]]}`, "Match value must be"},
	{"unknown operator", `{"source":[{"contains":"ec2"}]}`, "Unrecognized match type contains"},
	{"empty match expression", `{"source":[{}]}`, "expression name not found"},
	{"two operators in one object", `{"source":[{"prefix":"a","suffix":"b"}]}`, "Only one key allowed"},
	{"prefix number", `{"source":[{"prefix":5}]}`, "prefix match pattern must be a string"},
	{"prefix unsupported inner", `{"source":[{"prefix":{"wildcard":"a*"}}]}`, "Unsupported prefix pattern"},
	{"prefix ignore case number", `{"source":[{"prefix":{"equals-ignore-case":5}}]}`, "equals-ignore-case match pattern must be a string"},
	{"suffix array", `{"source":[{"suffix":["a"]}]}`, "suffix match pattern must be a string"},
	{"equals-ignore-case number", `{"source":[{"equals-ignore-case":1}]}`, "equals-ignore-case match pattern must be a string"},
	{"exactly number", `{"source":[{"exactly":1}]}`, "exactly match pattern must be a string"},
	{"exists string", `{"source":[{"exists":"true"}]}`, "exists match pattern must be either true or false"},
	{"numeric not array", `{"n":[{"numeric":">"}]}`, "Value of numeric must be an array"},
	{"numeric empty", `{"n":[{"numeric":[]}]}`, "Invalid member in numeric match"},
	{"numeric unknown op", `{"n":[{"numeric":["!=",5]}]}`, "Unrecognized numeric range operator: !="},
	{"numeric op not string", `{"n":[{"numeric":[5,">"]}]}`, "Invalid member in numeric match: 5"},
	{"numeric value missing", `{"n":[{"numeric":[">"]}]}`, "Value of > must be numeric"},
	{"numeric value string", `{"n":[{"numeric":["<","5"]}]}`, "Value of < must be numeric"},
	{"numeric = with more", `{"n":[{"numeric":["=",5,"<",6]}]}`, "Too many elements"},
	{"numeric < then >", `{"n":[{"numeric":["<",5,">",1]}]}`, "Too many elements"},
	{"numeric bad second op", `{"n":[{"numeric":[">",1,">",5]}]}`, "Bad numeric range operator: >"},
	{"numeric second op not string", `{"n":[{"numeric":[">",1,5]}]}`, "Bad value in numeric range: 5"},
	{"numeric second value missing", `{"n":[{"numeric":[">",1,"<"]}]}`, "Value of < must be numeric"},
	{"numeric too many terms", `{"n":[{"numeric":[">",1,"<",5,"<",6]}]}`, "Too many terms"},
	{"numeric empty range", `{"n":[{"numeric":[">",5,"<",5]}]}`, "Bottom must be less than top"},
	{"numeric inverted range", `{"n":[{"numeric":[">=",10,"<=",1]}]}`, "Bottom must be less than top"},
	{"numeric above range", `{"n":[{"numeric":["<",5e10]}]}`, "Value must be between"},
	{"numeric below range", `{"n":[{"numeric":[">",-6000000000]}]}`, "Value must be between"},
	{"numeric too precise", `{"n":[{"numeric":[">",0.0000001]}]}`, "Only values upto 6 decimals"},
	{"numeric > max", `{"n":[{"numeric":[">",5e9]}]}`, "Bottom must be less than top"},
	{"anything-but empty list", `{"s":[{"anything-but":[]}]}`, "Empty arrays are not allowed"},
	{"anything-but mixed list", `{"s":[{"anything-but":["a",1]}]}`, "mixed type is not supported"},
	{"anything-but null", `{"s":[{"anything-but":null}]}`, "Value of anything-but must be"},
	{"anything-but bool in list", `{"s":[{"anything-but":[true]}]}`, "only strings and numbers"},
	{"anything-but number out of range", `{"s":[{"anything-but":123456789012}]}`, "Value must be between"},
	{"anything-but unsupported inner", `{"s":[{"anything-but":{"numeric":[">",1]}}]}`, "Unsupported anything-but pattern: numeric"},
	{"anything-but empty prefix", `{"s":[{"anything-but":{"prefix":""}}]}`, "Null prefix/suffix not allowed"},
	{"anything-but prefix number", `{"s":[{"anything-but":{"prefix":1}}]}`, "must be a string or an array of strings"},
	{"anything-but suffix list with number", `{"s":[{"anything-but":{"suffix":[".txt",1]}}]}`, "must be a string or an array of strings"},
	{"anything-but ignore case number", `{"s":[{"anything-but":{"equals-ignore-case":[1]}}]}`, "must be a string or an array of strings"},
	{"anything-but wildcard invalid", `{"s":[{"anything-but":{"wildcard":"a**"}}]}`, "Consecutive wildcard characters"},
	{"anything-but two inner keys", `{"s":[{"anything-but":{"prefix":"a","suffix":"b"}}]}`, "Only one key allowed"},
	{"wildcard consecutive stars", `{"s":[{"wildcard":"a**b"}]}`, "Consecutive wildcard characters"},
	{"wildcard bad escape", `{"s":[{"wildcard":"a\\b"}]}`, "Invalid escape character"},
	{"wildcard trailing backslash", `{"s":[{"wildcard":"ab\\"}]}`, "Invalid escape character"},
	{"wildcard number", `{"s":[{"wildcard":5}]}`, "wildcard match pattern must be a string"},
	{"cidr no slash", `{"ip":[{"cidr":"10.0.0.0"}]}`, "one '/' required"},
	{"cidr two slashes", `{"ip":[{"cidr":"10.0.0.0/8/8"}]}`, "one '/' required"},
	{"cidr mask not integer", `{"ip":[{"cidr":"10.0.0.0/x"}]}`, "mask bits must be an integer"},
	{"cidr negative mask", `{"ip":[{"cidr":"10.0.0.0/-1"}]}`, "must not be negative"},
	{"cidr bad address", `{"ip":[{"cidr":"10.0.0.256/8"}]}`, "Nonstandard IP address"},
	{"cidr host name", `{"ip":[{"cidr":"example.com/8"}]}`, "Nonstandard IP address"},
	{"cidr ipv4 /32", `{"ip":[{"cidr":"10.0.0.1/32"}]}`, "IPv4 mask bits must be < 32"},
	{"cidr ipv6 /128", `{"ip":[{"cidr":"::1/128"}]}`, "IPv6 mask bits must be < 128"},
	{"cidr number", `{"ip":[{"cidr":10}]}`, "cidr match pattern must be a string"},
	{"$or not array", `{"$or":{"a":["x"]}}`, "It must be an Array"},
	{"$or one branch", `{"$or":[{"a":["x"]}]}`, "at least 2 Objects"},
	{"$or empty", `{"$or":[]}`, "at least 2 Objects"},
	{"$or branch not object", `{"$or":[{"a":["x"]},["b"]]}`, "Only JSON object is allowed"},
	{"$or empty branch", `{"$or":[{"a":["x"]},{}]}`, "Empty objects are not allowed"},
	{"$or reserved field name", `{"$or":[{"numeric":[1]},{"prefix":["abc"]}]}`, "reserved word"},
	{"$or nested reserved field name", `{"$or":[{"a":{"prefix":["x"]}},{"b":["y"]}]}`, "reserved word"},
	{"duplicate key", `{"source":["a"],"source":["b"]}`, "Path `source` cannot be allowed multiple times"},
	{"duplicate nested path", `{"detail":{"a":["x"]},"detail":{"a":["y"]}}`, "Path `detail.a` cannot be allowed multiple times"},
	{"path in parent and $or", `{"a":["x"],"$or":[{"a":["y"]},{"b":["z"]}]}`, "Path `a` cannot be allowed multiple times"},
}

func TestInvalidPatterns(t *testing.T) {
	for _, tc := range invalid {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Compile([]byte(tc.pattern))
			if err == nil {
				t.Fatalf("Compile(%s) = %v, want an error", tc.pattern, p)
			}
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("Compile(%s) error %T %v, want *Error", tc.pattern, err, err)
			}
			if !strings.Contains(pe.Message, tc.reason) {
				t.Errorf("Compile(%s) = %q, want it to mention %q", tc.pattern, pe.Message, tc.reason)
			}
			if pe.Error() != pe.Message {
				t.Errorf("Error() = %q, Message = %q", pe.Error(), pe.Message)
			}
		})
	}
}

// Patterns that look odd but are valid.
func TestValidEdgePatterns(t *testing.T) {
	for _, src := range []string{
		`{"$or":[{"a":["x"]},{"a":["y"]}]}`,                      // same path in exclusive branches
		`{"detail":{"a":["x"]},"detail":{"b":["y"]}}`,            // repeated object keys merge
		`{"a":{"prefix":["x"]}}`,                                 // operator names are fine as fields outside $or
		`{"n":[{"numeric":["<",5000000000]}]}`,                   // the domain's edge
		`{"n":[{"numeric":[">=",-5e9,"<=",5e9]}]}`,               // the whole domain
		`{"s":[{"prefix":""}]}`,                                  // empty prefix matches every string
		`{"s":[{"anything-but":{"wildcard":["*.a","*.b"]}}]}`,    // wildcard list
		`{"s":[{"exists":true},{"exists":false}]}`,               // always true
		`{"ip":[{"cidr":"0.0.0.0/0"},{"cidr":"::/0"}]}`,          // everything
		`{"a":[{"anything-but":{"equals-ignore-case":"ß"}}]}`,    // non-ASCII operand
		`{"account":[123456789012, 1.5e300, -0.0000001]}`,        // exact numbers outside the numeric domain
		`{"detail":{"$or":[{"x":[1]},{"y":[2]}],"z":{"w":[3]}}}`, // $or beside nested fields
	} {
		if _, err := Compile([]byte(src)); err != nil {
			t.Errorf("Compile(%s): %v", src, err)
		}
	}
}

func TestParseEventErrors(t *testing.T) {
	for _, src := range []string{``, `[]`, `"x"`, `5`, `null`, `{"a":`, `{"a":1} x`, `{"a":1}{}`} {
		if _, err := ParseEvent([]byte(src)); err == nil {
			t.Errorf("ParseEvent(%q) succeeded", src)
		}
	}
	p, err := Compile([]byte(`{"a":["x"]}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.MatchJSON([]byte(`[1]`)); err == nil {
		t.Error("MatchJSON accepted an array event")
	}
}

// An event is parsed once and then matched against many patterns, also
// from several goroutines (the dispatcher's pattern).
func TestEventReuse(t *testing.T) {
	e, err := ParseEvent([]byte(ruleEvent))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan bool)
	for g := 0; g < 4; g++ {
		go func() {
			ok := true
			for _, tc := range conformance {
				if tc.event != ruleEvent {
					continue
				}
				p, err := Compile([]byte(tc.pattern))
				if err != nil || p.Match(e) != tc.want {
					ok = false
				}
			}
			done <- ok
		}()
	}
	for g := 0; g < 4; g++ {
		if !<-done {
			t.Error("a reused event gave a different answer")
		}
	}
}

// Matching cost must not depend on how the operand's stars could be
// arranged against the input: these would take ages with backtracking.
func TestWildcardIsLinear(t *testing.T) {
	long := strings.Repeat("a", 200000)
	op := strings.Repeat("*a", 500) + "*b"
	p, err := Compile([]byte(`{"v":[{"wildcard":"` + op + `"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if ok, _ := p.MatchJSON([]byte(`{"v":"` + long + `"}`)); ok {
		t.Error("matched a string without b")
	}
	if ok, _ := p.MatchJSON([]byte(`{"v":"` + long + `b"}`)); !ok {
		t.Error("did not match")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("wildcard match took %v", d)
	}
}

// Merging $or branches into their parents multiplies out; a pattern
// written to explode must be refused quickly instead of eating memory.
func TestOrExpansionIsBounded(t *testing.T) {
	inner := `{"x":["1"]}`
	for i := 0; i < 20; i++ {
		inner = fmt.Sprintf(`{"a":%s,"$or":[{"a":{"y%d":["1"]}},{"a":{"z%d":["2"]}}]}`, inner, i, i)
	}
	start := time.Now()
	_, err := Compile([]byte(`{"d":` + inner + `}`))
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Compile took %v", d)
	}
	var pe *Error
	if !errors.As(err, &pe) || !strings.Contains(pe.Message, "too complex") {
		t.Errorf("Compile = %v, want a too-complex error", err)
	}
}
