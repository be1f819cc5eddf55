// Package ui holds the tests that drive the Directus admin app in a real
// browser: Debian's Chromium, headless, through the DevTools protocol
// (chromedp), against a Directus provisioned as the image provisions it.
//
// The tests install nothing: Chromium comes from `make deps`
// (scripts/install-deps.sh); without /usr/bin/chromium (or TRM_CHROMIUM)
// they fail saying so. Screenshots go to $TRM_TEST_ARTIFACTS, else
// <repo>/test-artifacts/ui/, and their paths are logged (go test -v).
package ui
