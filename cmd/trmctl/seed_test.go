package main

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestRallyAlbaniaDataIsWellFormed(t *testing.T) {
	luhn := func(s string) bool {
		sum := 0
		for i := range len(s) {
			d := int(s[len(s)-1-i] - '0')
			if i%2 == 1 {
				if d *= 2; d > 9 {
					d -= 9
				}
			}
			sum += d
		}
		return sum%10 == 0
	}
	for _, d := range rallyAlbaniaDevices {
		if !regexp.MustCompile(`^[0-9]{15}$`).MatchString(d.imei) || !luhn(d.imei) {
			t.Errorf("IMEI %s is not 15 digits with a valid Luhn check digit", d.imei)
		}
	}
	codes := map[string]bool{}
	perCategory := map[string]int{}
	for _, c := range rallyAlbaniaClasses {
		if codes[c.code] {
			t.Errorf("class %s twice", c.code)
		}
		codes[c.code] = true
		perCategory[c.category]++
	}
	if len(codes) != 18 || perCategory["moto"] != 8 || perCategory["quad"] != 3 || perCategory["car"] != 4 || perCategory["ssv"] != 3 {
		t.Errorf("classes %v per category %v; want 18: 8 moto, 3 quad, 4 car, 3 ssv", len(codes), perCategory)
	}
	for _, u := range rallyAlbaniaUsers {
		if !strings.HasSuffix(u.email, "@example.com") || !regexp.MustCompile(`^\+[1-9][0-9]{7,14}$`).MatchString(u.phone) {
			t.Errorf("user %s: e-mail must be @example.com, phone E.164 (%s)", u.email, u.phone)
		}
	}
	starts, err1 := time.Parse(time.RFC3339, rallyAlbaniaStartsAt)
	ends, err2 := time.Parse(time.RFC3339, rallyAlbaniaEndsAt)
	if err1 != nil || err2 != nil || ends.Sub(starts) != 8*24*time.Hour {
		t.Errorf("the event must span 6 to 13 June inclusive: %s .. %s", rallyAlbaniaStartsAt, rallyAlbaniaEndsAt)
	}
}
